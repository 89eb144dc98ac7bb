"""Ingest: file -> text (``loaders``) -> clean structured ``Document`` (``cleaning``) ->
chunks with offsets (``chunking``) -> embedded into the index (``run``)."""

from rag.ingest.run import EMBED_BATCH, IngestReport, doc_id_for, ingest, ingest_documents, load_document

__all__ = ["EMBED_BATCH", "IngestReport", "doc_id_for", "ingest", "ingest_documents", "load_document"]

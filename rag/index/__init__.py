"""The index: embeddings (``embeddings``), Chroma with the documents (``store``), the BM25
index beside it (``lexical``), and hybrid retrieval over both (``retriever``)."""

"""Files and texts that arrive over the network (the UI's uploads, ``POST /v1/documents``).

Each is checked (type, size, encoding, text present) in a temp folder before anything is
stored; a good one is kept under ``data_dir/uploads/`` and ingested from there, so its recorded
source stays readable for a later re-ingest. A text identical to a stored document under another
id is not stored twice: the result names the document that already holds it. Shortcut: the
document id comes from the file name, so a second upload of the same name replaces the first
(an incremental re-ingest).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rag.errors import InputError
from rag.index.store import Store
from rag.ingest.run import IngestReport, Progress, ingest, load_document
from rag.settings import Settings


@dataclass
class Upload:
    report: IngestReport | None
    doc_id: str
    duplicate_of: str | None = None


def safe_name(name: str, default: str = "upload.txt") -> str:
    """A file name without folders or characters a file system or a shell would choke on."""
    stem = Path(name.replace("\\", "/")).name
    stem = re.sub(r"[^\w.\- ()\u3000-\u9fff]+", "_", stem).strip(" .")
    return stem[:150] or default


def store_upload(name: str, data: bytes, settings: Settings, progress: Progress | None = None) -> Upload:
    name = safe_name(name)
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / name
        staged.write_bytes(data)
        try:
            doc = load_document(staged, settings)
        except InputError as err:  # name the upload, not the temp path
            raise InputError(err.message.replace(str(staged.resolve()), name).replace(str(staged), name), err.hint) from err
        same = [d for d in Store(settings).documents_with_hash(doc.content_hash) if d != doc.doc_id]
        if same:
            return Upload(None, same[0], duplicate_of=same[0])
        uploads = settings.data_dir / "uploads"
        uploads.mkdir(parents=True, exist_ok=True)
        target = uploads / name
        shutil.copyfile(staged, target)
    report = ingest([target], settings, progress=progress)
    return Upload(report, report.documents[0])


def store_text(text: str, title: str, settings: Settings, doc_id: str | None = None) -> Upload:
    """A document given as text: kept as ``uploads/<id>.md`` and ingested like an upload."""
    name = safe_name(doc_id or title, default="document")
    if not name.lower().endswith((".md", ".txt")):
        name += ".md"
    return store_upload(name, text.encode("utf-8"), settings)

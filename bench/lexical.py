"""What it costs a worker to rebuild its BM25 index from a Chroma server (issue 13: how the lexical
index stays consistent across workers -- rebuilt from Chroma on change, or shared).

Starts ``chroma run`` on loopback, fills a collection with N chunks of corpus text (random
vectors: embedding is not what is measured), then times what a worker does when the store's
stamp changes: read every chunk's text and metadata over HTTP and build the BM25 index
(``Store.rebuild_lexical``), and, for comparison, loading the saved index from disk. Prints
seconds per size and the rate in chunks per second.

    .venv/bin/python bench/lexical.py                # 1,000 / 5,000 / 20,000 chunks
    .venv/bin/python bench/lexical.py --sizes 1000 50000
"""

from __future__ import annotations

import argparse
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def corpus_sentences() -> list[str]:
    from rag.text import split_sentences

    texts = [(ROOT / "data" / "000_d11b5f0043a94887.txt").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "eval" / "corpora" / "news").glob("*.txt"))]
    return [t[a:b] for t in texts for a, b in split_sentences(t, 0) if b - a > 10]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    args = ap.parse_args()

    from rag.index.lexical import LexicalIndex
    from rag.index.store import Store
    from rag.settings import Settings

    sentences = corpus_sentences()
    rng = random.Random(0)
    tmp = Path(tempfile.mkdtemp(prefix="rag-lexical-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chroma = subprocess.Popen(
        [str(Path(sys.executable).parent / "chroma"), "run", "--path", str(tmp / "chroma"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)
        print(f"{'chunks':>7} {'rebuild from Chroma s':>22} {'of it: read s':>14} {'chunks/s':>9} {'load saved s':>13}")
        for n in args.sizes:
            s = Settings(data_dir=tmp / f"w{n}", chroma_host="127.0.0.1", chroma_port=port, collection=f"bench{n}")
            store = Store(s)
            for i in range(0, n, 500):
                ids = [f"c{j}" for j in range(i, min(n, i + 500))]
                texts = ["".join(rng.sample(sentences, 4))[:320] for _ in ids]
                metas = [{"doc_id": f"d{j // 50}", "section": "s", "start": 0, "end": len(t)} for j, t in zip(range(i, i + len(ids)), texts)]
                store.chunks.add(ids=ids, embeddings=[[rng.random() for _ in range(8)] for _ in ids], documents=texts, metadatas=metas)
            t = time.perf_counter()
            store.all_chunks()
            read = time.perf_counter() - t
            t = time.perf_counter()
            store.rebuild_lexical()
            rebuild = time.perf_counter() - t
            t = time.perf_counter()
            LexicalIndex.load(store.lexical_dir)
            load = time.perf_counter() - t
            print(f"{n:>7} {rebuild:>22.2f} {read:>14.2f} {n / rebuild:>9.0f} {load:>13.2f}")
    finally:
        chroma.kill()
        chroma.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

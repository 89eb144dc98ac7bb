"""Ingest time of pathological files against normal text of the same size (issue 12: "a 5 MB
one-line file within 1.5x of 5 MB of normal text").

The normal file is the bundled article and the news corpus repeated to ``--mb`` megabytes, with
its paragraphs. The variants hold the same text: on one line (every line break removed), and on
one line with no sentence end at all (。！？ turned into commas, so only clause marks or length
can split it). Each is ingested into a fresh store with the default embedder, in this process, one
after the other; the figures are seconds, chunks, the longest chunk, and the ratio to normal.

    .venv/bin/python bench/ingest.py            # 5 MB each (minutes on 2 cores)
    .venv/bin/python bench/ingest.py --mb 0.5   # a quick look
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def corpus_text(mb: float) -> str:
    parts = [(ROOT / "data" / "000_d11b5f0043a94887.txt").read_text(encoding="utf-8")]
    parts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "eval" / "corpora" / "news").glob("*.txt"))]
    base = "\n\n".join(parts) + "\n\n"
    want = int(mb * 2**20)
    text = base * (want // len(base.encode()) + 1)
    return text[: len(text) * want // len(text.encode())]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=5.0, help="size of each file in megabytes (default 5)")
    args = ap.parse_args()

    from rag.index.store import Store
    from rag.ingest import ingest
    from rag.settings import Settings

    normal = corpus_text(args.mb)
    variants = {
        "normal text": normal,
        "one line": re.sub(r"\s+", "", normal),
        "one line, no sentence ends": re.sub(r"[。！？!?\s]+", "，", normal),
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, text) in enumerate(variants.items()):
            path = Path(tmp) / f"v{i}.txt"
            path.write_text(text, encoding="utf-8")
            s = Settings(data_dir=Path(tmp) / f"data{i}", max_file_mb=max(10.0, args.mb * 2))
            t = time.perf_counter()
            report = ingest([path], s)
            seconds = time.perf_counter() - t
            longest = max(len(t) for _, t, _ in Store(s).all_chunks())
            rows.append((name, path.stat().st_size / 2**20, seconds, report.chunks_total, longest))
            print(f"  {name}: {seconds:.1f} s", file=sys.stderr, flush=True)
    base = rows[0][2]
    print(f"{'file':<28} {'MB':>5} {'seconds':>8} {'chunks':>7} {'longest':>8} {'vs normal':>9}")
    for name, mb, seconds, chunks, longest in rows:
        print(f"{name:<28} {mb:>5.2f} {seconds:>8.1f} {chunks:>7} {longest:>8} {seconds / base:>8.2f}x")


if __name__ == "__main__":
    main()

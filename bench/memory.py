"""Memory benchmark: the UI process's resident memory over one long chat session.

Usage: .venv/bin/python bench/memory.py [--turns 500] [--every 50]

One chat session in the UI's own handler (``ui.chat.respond``, the code a browser drives)
asks ``--turns`` questions in a row, passing the session state along as Gradio does, on
a fresh store of the bundled article. The model is the fake (memory of the app, not of
llama.cpp, which is fixed once loaded). Printed every ``--every`` turns: RSS, the size of
the last response (the chat HTML plus the source panel) and the turns kept; at the end the
change of RSS after the first 50 turns (the issue's bound: within +-10 %).
"""

from __future__ import annotations

import os

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import argparse
import gc
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

QUESTIONS = ["化辛小区是哪两个村的回迁安置小区?", "捷温公司有多少人驻厂生产?", "有多少名退役军人加入志愿先锋队?"]
FACTS = ["化营、辛庄两个村", "805人驻厂生产", "181名退役军人"]


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    from rag.ingest import ingest
    from rag.models import registry
    from rag.models.fake import FakeChatModel
    from rag.settings import Settings
    from ui import chat
    from ui.context import AppContext

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=500)
    ap.add_argument("--every", type=int, default=50)
    args = ap.parse_args()

    def reply(messages):
        text = messages[-1].content
        for fact in FACTS:
            for line in text.splitlines():
                if fact in line and line.startswith("["):
                    n = line[1 : line.index("]")]
                    return f"资料显示{fact}[{n}]。"
        return "资料中没有相关信息。"

    request = SimpleNamespace(headers={"accept-language": "zh-CN"})
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        ingest([settings.corpus_dir], settings)
        ctx = AppContext(settings)
        turns: list = []
        marks = {}
        t0 = time.perf_counter()
        with registry.override(FakeChatModel(reply)):
            for i in range(1, args.turns + 1):
                frames = list(chat.respond(ctx, QUESTIONS[i % len(QUESTIONS)], turns, None, request))
                messages, sources, turns = frames[-1][0], frames[-1][1], frames[-1][2]
                if i % args.every == 0 or i == 1:
                    gc.collect()
                    size = sum(len(m["content"]) for m in messages) + len(sources)
                    marks[i] = rss_mb()
                    print(f"turn {i:4d}  RSS {marks[i]:7.1f} MB  response {size / 1024:6.1f} KB  turns kept {len(turns)}"
                          f"  {time.perf_counter() - t0:6.1f} s", flush=True)
    base = marks.get(50) or marks[min(marks)]
    last = marks[max(marks)]
    print(f"\nRSS after turn 50: {base:.1f} MB, after turn {max(marks)}: {last:.1f} MB, change {100 * (last - base) / base:+.1f} %")


if __name__ == "__main__":
    main()

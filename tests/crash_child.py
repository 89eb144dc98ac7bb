"""One ingest in a child process, for tests/test_crash.py: kills itself with SIGKILL at the
K-th store operation (every Chroma call, every lexical-index save and every rename inside
one), or runs to the end with K = 0 and prints how many operations it made.

Usage: python tests/crash_child.py DATA_DIR K REBUILD(0|1) PATH...
Prints "ready" once imported (a parent that kills at a random time starts its clock there).
"""

import os
import signal
import sys
import time
from pathlib import Path

from rag.index.lexical import LexicalIndex
from rag.index.store import Store
from rag.ingest import ingest
from rag.settings import Settings

ops = 0


def main() -> None:
    data, kill_at, rebuild, *paths = sys.argv[1:]
    kill_at = int(kill_at)

    def step() -> None:
        global ops
        ops += 1
        if ops == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    call, save, rename = Store._call, LexicalIndex.save, Path.rename

    def counted_call(self, fn):
        out = call(self, fn)
        step()
        return out

    def counted_save(self, folder, fingerprint):
        step()
        save(self, folder, fingerprint)
        step()

    def counted_rename(self, target):
        out = rename(self, target)
        step()
        return out

    Store._call, LexicalIndex.save, Path.rename = counted_call, counted_save, counted_rename
    print("ready", flush=True)
    t = time.perf_counter()
    ingest([Path(p) for p in paths], Settings(data_dir=Path(data)), rebuild=rebuild == "1")
    print(ops, round(time.perf_counter() - t, 3), flush=True)


if __name__ == "__main__":
    main()

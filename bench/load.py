"""Load on the HTTP API, on loopback only and bounded in time (issue 13).

Three runs, each ``--clients`` concurrent clients (default 16) sending requests back to back for
``--seconds`` (default 60) against one ``rag serve`` app on 127.0.0.1 with the bundled article:

1. **search**: ``POST /v1/search`` -- p50/p95 latency, requests/s, errors (must be 0);
2. **fake model**: ``POST /v1/ask`` with a fake model that takes ``--fake-seconds`` per answer --
   errors, p50/p95, and fairness of the model queue: answers per client (min/max) and how long
   requests waited for the model (p50/p95/max of the ``queued`` time);
3. **local model**: ``POST /v1/ask`` with the bundled GGUF behind ``python -m llama_cpp.server``
   -- answers/minute, p50/p95, errors. Requests still in flight when the time is up are waited
   for (and counted) so nothing is cut off; ``--skip-model`` leaves this run out.

    .venv/bin/python bench/load.py                 # all three (~5 min on 2 cores)
    .venv/bin/python bench/load.py --skip-model --seconds 20
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

QUESTIONS = [
    "截至3月19日,全区有多少名退役军人加入志愿先锋队?",
    "捷温公司有多少人驻厂生产?",
    "化辛小区是哪两个村的回迁安置小区?",
    "依工汽车公司的运输车开往哪里?",
    "全区累计检测了多少人次?",
    "月球上有多少座城市?",
]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app) -> tuple[str, object]:
    """Run ``app`` with uvicorn in a thread on a free loopback port."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def hammer(url: str, path: str, body, clients: int, seconds: float, timeout: float = 900) -> list[dict]:
    """``clients`` threads posting ``body(i)`` back to back for ``seconds``; one row per request."""
    import httpx

    rows: list[dict] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(n: int):
        with httpx.Client(base_url=url, timeout=timeout) as http:
            i = 0
            while time.perf_counter() < stop:
                t = time.perf_counter()
                try:
                    r = http.post(path, json=body(n * 1000 + i))
                    row = {"client": n, "s": time.perf_counter() - t, "status": r.status_code, "json": r.json()}
                except Exception as exc:  # noqa: BLE001 - counted as an error
                    row = {"client": n, "s": time.perf_counter() - t, "status": type(exc).__name__, "json": {}}
                with lock:
                    rows.append(row)
                i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return rows


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def report(name: str, rows: list[dict], seconds: float, clients: int) -> None:
    ok = [r for r in rows if r["status"] == 200]
    errors = len(rows) - len(ok)
    took = [r["s"] for r in ok]
    per_client = [sum(1 for r in ok if r["client"] == n) for n in range(clients)]
    print(f"\n## {name}")
    print(f"requests {len(rows)}, errors {errors}, {len(ok) / seconds:.2f}/s ({60 * len(ok) / seconds:.1f}/min)")
    print(f"latency p50 {pct(took, 0.5):.3f} s, p95 {pct(took, 0.95):.3f} s, max {max(took, default=float('nan')):.3f} s")
    print(f"per client: min {min(per_client)}, max {max(per_client)}")
    queued = [r["json"].get("timings", {}).get("queued_s", 0.0) for r in ok if isinstance(r["json"], dict) and "timings" in r["json"]]
    if queued:
        print(f"waited for the model: p50 {pct(queued, 0.5):.2f} s, p95 {pct(queued, 0.95):.2f} s, max {max(queued):.2f} s")
    if errors:
        kinds = sorted({str(r["status"]) for r in rows if r["status"] != 200})
        print(f"error kinds: {kinds}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--fake-seconds", type=float, default=0.25, help="how long the fake model takes per answer")
    ap.add_argument("--skip-model", action="store_true", help="leave out the run with the local model")
    args = ap.parse_args()

    from api import create_api
    from rag.ingest import ingest
    from rag.models import registry
    from rag.models.fake import FakeChatModel
    from rag.models.files import ensure_local_model
    from rag.settings import Settings, default_data_dir

    tmp = Path(tempfile.mkdtemp(prefix="rag-load-"))
    try:
        base = Settings(data_dir=tmp / "data", api_rate_per_minute=0, chat_model="fake")
        ingest([ROOT / "data"], base)
        search_body = lambda i: {"query": QUESTIONS[i % len(QUESTIONS)], "k": 5}  # noqa: E731
        ask_body = lambda i: {"question": QUESTIONS[i % len(QUESTIONS)]}  # noqa: E731

        def slow_fake(messages):
            time.sleep(args.fake_seconds)
            return "资料中没有相关信息。"

        with registry.override(FakeChatModel(slow_fake)):
            url, server = serve(create_api(base, ui=False))
            print(f"# bench/load.py: {args.clients} clients x {args.seconds:g} s on {url}")
            report("search", hammer(url, "/v1/search", search_body, args.clients, args.seconds), args.seconds, args.clients)
            report(f"ask, fake model ({args.fake_seconds:g} s an answer, one at a time)",
                   hammer(url, "/v1/ask", ask_body, args.clients, args.seconds), args.seconds, args.clients)
            server.should_exit = True
        if args.skip_model:
            return
        gguf = ensure_local_model(Settings(data_dir=default_data_dir()))
        port = free_port()
        model = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", "qwen", "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "4096", "--n_threads", str(os.cpu_count() or 2)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            import httpx

            for _ in range(240):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            real = base.model_copy(update={
                "chat_model": "openai:qwen", "openai_base_url": f"http://127.0.0.1:{port}/v1", "request_timeout": 600,
            })
            url, server = serve(create_api(real, ui=False))
            t = time.perf_counter()
            rows = hammer(url, "/v1/ask", ask_body, args.clients, args.seconds)
            took = time.perf_counter() - t  # the window plus the answers still in flight at its end
            report(f"ask, local model behind llama_cpp.server ({took:.0f} s until the last answer)", rows, took, args.clients)
            server.should_exit = True
        finally:
            model.kill()
            model.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

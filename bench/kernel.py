"""Kernel benchmark: prompt evaluation speed of the bundled GGUF against a requantised copy and
other llama.cpp settings, on this machine, in one run.

Usage: .venv/bin/python bench/kernel.py [--threads N] [--repeats 2]

llama.cpp repacks some quantisations into interleaved layouts (REPACK in
``llama_print_system_info``) that evaluate prompts faster on AVX2/AVX-512. The bundled
Qwen2.5-Coder-1.5B Q4_K_M is already repacked (as ``q4_K_8x8``); this measures whether a
Q4_0, IQ4_NL or Q8_0 copy (``llama_model_quantize``, made in a temporary folder, the original
untouched), a q8_0 KV cache, or other batch/attention settings evaluate a fixed ~1,000-token
prompt faster. Figures are
tokens/s and the ratio to the default setting measured in the same run.
"""

from __future__ import annotations

import argparse
import ctypes
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def prompt_speed(path: str, threads: int, repeats: int, **kw) -> float:
    from llama_cpp import Llama

    llm = Llama(model_path=path, n_ctx=4096, n_threads=threads, n_threads_batch=threads, verbose=False, **kw)
    text = next((ROOT / "data").glob("*.txt")).read_text(encoding="utf-8")[:1600]
    tokens = llm.tokenize(text.encode("utf-8"))
    speeds = []
    for _ in range(repeats):
        llm.reset()
        t = time.perf_counter()
        llm.eval(tokens)
        speeds.append(len(tokens) / (time.perf_counter() - t))
    del llm
    return statistics.median(speeds)


def requantise(src: str, dst: str, threads: int, ftype: str = "Q4_0") -> None:
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{ftype}")
    params.allow_requantize = True
    params.nthread = threads
    if llama_cpp.llama_model_quantize(src.encode(), dst.encode(), ctypes.byref(params)) != 0:
        raise SystemExit("llama_model_quantize failed")


def main() -> None:
    from rag.models.files import ensure_local_model
    from rag.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=Settings().llm_threads)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    bundled = str(ensure_local_model(Settings()))
    with tempfile.TemporaryDirectory() as tmp:
        copies = {}
        for ftype in ("Q4_0", "IQ4_NL", "Q8_0"):
            copies[ftype] = f"{tmp}/{ftype}.gguf"
            requantise(bundled, copies[ftype], args.threads, ftype)
        runs = [
            ("Q4_K_M (bundled, default)", bundled, {}),
            *((f"{ftype} (requantised)", path, {}) for ftype, path in copies.items()),
            ("Q4_K_M KV cache q8_0, flash_attn", bundled, {"type_k": 8, "type_v": 8, "flash_attn": True}),
            ("Q4_K_M flash_attn", bundled, {"flash_attn": True}),
            ("Q4_K_M n_batch=n_ubatch=256", bundled, {"n_batch": 256, "n_ubatch": 256}),
            ("Q4_K_M n_batch=n_ubatch=1024", bundled, {"n_batch": 1024, "n_ubatch": 1024}),
        ]
        base = None
        print(f"{'setting':32s} {'prompt tok/s':>13s} {'ratio':>7s}")
        for name, path, kw in runs:
            speed = prompt_speed(path, args.threads, args.repeats, **kw)
            base = base or speed
            print(f"{name:32s} {speed:13.1f} {speed / base:7.2f}", flush=True)


if __name__ == "__main__":
    main()

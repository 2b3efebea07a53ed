"""Shared helpers of the benchmarks: paths, timers, latency percentiles, peak memory, machine load."""
from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
SOURCE = ROOT / "data" / "policies"
QUESTIONS = ROOT / "eval" / "datasets" / "policy_qa.jsonl"
BGE_FIXTURE = ROOT / "tests" / "fixtures" / "bge-small-zh-v1.5"
BGE_TOKENIZER_FILES = ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def cpu_s() -> float:
    """CPU seconds of this process and its finished children (ingest workers)."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 1024 / 1024


def latency(samples_s: list[float]) -> dict:
    import numpy as np

    ms = np.asarray(samples_s) * 1000
    return {"n": len(ms), "p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)),
            "mean_ms": float(ms.mean()), "max_ms": float(ms.max())}


def timed(fn):
    """(result, wall seconds)."""
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def timed_cpu(fn):
    """(result, wall seconds, CPU seconds of this process, all threads): CPU time moves less when others share the cores."""
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - c


def contention() -> dict:
    """How busy the machine is right now: other processes share these cores, and wall times move with them."""
    out = {"loadavg_1m": round(os.getloadavg()[0], 2)}
    try:  # Linux PSI: share of the last 10 s in which some runnable task waited for a CPU
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        out["cpu_pressure_avg10"] = float(line.split("avg10=")[1].split()[0])
    except (OSError, IndexError, ValueError):
        pass
    return out


def fmt_load(c: dict) -> str:
    return f"{c['loadavg_1m']:.1f}/{c.get('cpu_pressure_avg10', float('nan')):.0f}%"


def table(rows: list[list], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(r: list) -> str:
        return "  ".join(str(c).rjust(w) for c, w in zip(r, widths))

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])

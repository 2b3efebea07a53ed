"""Load test of the running app through its API: N users, each its own gradio_client, ask M questions at once.

Every answer must come back (no error) and equal the answer the same question got alone, before the load; the
script prints errors, mismatches, latency percentiles and throughput, and exits 1 when any answer failed or
differed. Without --url it starts `python app.py --lexical` on a temporary store (first start imports
data/policies/) and stops it afterwards.

    python bench/load_test.py                          # 50 users × 10 questions, its own app
    python bench/load_test.py --url http://127.0.0.1:7860/ --users 20 --questions 5 [--auth user:password]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [  # one of each kind the shipped set asks: figures, units, articles, lists, compare, refusals
    "嘉定区到2025年新增光伏装机目标是多少？",
    "松江区新增充电桩的目标和牵头部门是什么？",
    "上海市环境保护条例第十八条规定了什么？",
    "超标排放污染物的，按条例罚款多少？",
    "青浦、普陀、松江三个区到2025年单位生产总值能耗分别下降多少？",
    "嘉定区在交通方面有哪些减污降碳举措？",
    "普陀区到2025年公园绿地服务半径覆盖要达到什么水平？",
    "上海到2025年要建多少座加氢站？",
    "上海职工医保门诊费用报销比例是多少？",
    "企业想拆掉或者停用环保设施，要提前多久报批？",
]
START_TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "GRADIO_"))}
    env.update(GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", GRADIO_TEMP_DIR=str(workdir / "gradio_tmp"))
    log = open(workdir / "app.log", "wb")
    proc = subprocess.Popen([sys.executable, "app.py", "--lexical", "--port", str(port), "--store", str(workdir / "store")],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"app.py exited early; see {workdir / 'app.log'}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"app.py did not answer within {START_TIMEOUT_S} s")


def comparable(result: dict) -> str:
    """What must not change under load: the answer, its citations, refusal, notice."""
    return json.dumps([result["answer"], [c["clause_id"] for c in result["citations"]], result["refused"],
                       result["notice"]], ensure_ascii=False)


def run(url: str, users: int, questions: list[str], auth: tuple[str, str] | None) -> dict:
    from gradio_client import Client

    alone = {q: comparable(Client(url, auth=auth, verbose=False).predict(q, [], api_name="/ask")) for q in questions}
    clients = [Client(url, auth=auth, verbose=False) for _ in range(users)]
    latencies: list[float] = []
    errors: list[str] = []
    differ: list[str] = []
    lock = threading.Lock()
    go = threading.Event()

    def user(i: int) -> None:
        go.wait()
        for k in range(len(questions)):
            q = questions[(i + k) % len(questions)]  # users start at different questions
            t0 = time.monotonic()
            try:
                got = comparable(clients[i].predict(q, [], api_name="/ask"))
            except Exception as e:  # noqa: BLE001 — every failure is counted and shown
                with lock:
                    errors.append(f"user {i}: {q}: {e!r}"[:300])
                continue
            with lock:
                latencies.append(time.monotonic() - t0)
                if got != alone[q]:
                    differ.append(f"user {i}: {q}")

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    go.set()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    lat = sorted(latencies)
    pct = (lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))], 3)) if lat else (lambda p: None)
    return {"users": users, "questions_per_user": len(questions), "requests": users * len(questions),
            "answered": len(latencies), "errors": len(errors), "differing": len(differ), "wall_s": round(wall, 1),
            "per_s": round(len(latencies) / wall, 1) if wall else None, "p50_s": pct(0.5), "p95_s": pct(0.95),
            "max_s": round(lat[-1], 3) if lat else None,
            "mean_s": round(statistics.mean(lat), 3) if lat else None, "first_errors": errors[:5],
            "first_differing": differ[:5]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="a running app (default: start one on a temporary store)")
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--questions", type=int, default=len(QUESTIONS), help=f"per user, at most {len(QUESTIONS)}")
    p.add_argument("--auth", metavar="USER:PASSWORD", help="login of an app with login on")
    p.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = p.parse_args(argv)
    if not 1 <= args.questions <= len(QUESTIONS) or args.users < 1:
        p.error(f"--users ≥ 1 and 1 ≤ --questions ≤ {len(QUESTIONS)}")
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    proc = None
    with tempfile.TemporaryDirectory(prefix="policy-qa-load-") as tmp:
        url = args.url
        if url is None:
            proc, url = start_app(Path(tmp))
        try:
            figures = run(url, args.users, QUESTIONS[: args.questions], auth)  # type: ignore[arg-type]
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0 if figures["errors"] == 0 and figures["differing"] == 0 and figures["answered"] == figures["requests"] else 1


if __name__ == "__main__":
    sys.exit(main())

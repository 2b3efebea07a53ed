"""The app under slow questions: eight questions over a 19 MB single-paragraph file, asked at once through the
API, do not delay a normal question past its time budget (the budget bounds each, there are enough workers that
none waits in the queue behind them, and a short GIL switch interval lets the server's event loop in).

With eight workers (the queue's former limit) the normal question waited for a slow one and this test fails (the
server begins it only after a slow one ends); measured now on the 2-core dev machine: the normal one 2.1 s, the
slow ones 3.6–3.7 s."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from gradio_client import Client

from hostile import giant_paragraph_txt

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 4.0
# Words the file doesn't use, many parts: every fallback of the matcher runs over 10,000-character clauses (about
# 1.2 s each alone on the 2-core dev machine; eight at once need ten seconds of CPU, so each runs into its budget).
SLOW = [
    "巨型方案中饭店、砍树、景区、下水道、油烟、噪声、扬尘、夜间施工分别有什么规定？",
    "巨型方案对餐馆油烟、工地扬尘、夜间噪声、河道垃圾、露天烧烤各有什么要求？",
    "巨型方案中宠物、广场舞、电动车充电、快递包装、外卖餐盒分别怎么管？",
    "巨型方案中砍树、挖沙、填湖、捕鱼、放生分别要审批吗？",
]
NORMAL = ("嘉定区到2025年新增光伏装机目标是多少？", "29.4万千瓦")


@pytest.fixture(scope="module")
def giant_app(launch_app, tmp_path_factory):
    work = tmp_path_factory.mktemp("app_giant")
    giant = giant_paragraph_txt(work / "巨型方案.txt", megabytes=19)
    subprocess.run([sys.executable, "-m", "assistant", "ingest", str(ROOT / "data" / "policies"), str(giant),
                    "--store", str(work / "store"), "--lexical"], cwd=ROOT, check=True, capture_output=True, timeout=600)
    server = launch_app(work, {"ASSISTANT_ANSWER_BUDGET_S": str(BUDGET_S)})
    yield server
    server.stop()


def test_eight_slow_questions_do_not_delay_a_normal_one_past_its_budget(giant_app):
    clients = [Client(giant_app.url, verbose=False) for _ in range(9)]
    clients[0].predict(NORMAL[0], [], api_name="/ask")  # warm: jieba and the lexical index are loaded
    slow: list[tuple[float, dict | str]] = []

    def ask_slow(i: int) -> None:
        t0 = time.monotonic()
        try:
            out: dict | str = clients[i].predict(SLOW[i % len(SLOW)], [], api_name="/ask")
        except Exception as e:  # noqa: BLE001 — counted below
            out = repr(e)
        slow.append((time.monotonic() - t0, out))

    threads = [threading.Thread(target=ask_slow, args=(i,)) for i in range(1, 9)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # the eight are being answered
    t0 = time.monotonic()
    result = clients[0].predict(NORMAL[0], [], api_name="/ask")
    normal = time.monotonic() - t0
    for t in threads:
        t.join(timeout=120)

    assert NORMAL[1] in result["answer"] and not result["refused"], result
    assert normal < BUDGET_S, f"the normal question took {normal:.2f} s under load (budget {BUDGET_S} s)"
    # Not queued behind them: from the audit log (time written at the end, latency since the handler began), the
    # server began the normal question before any slow one had finished.
    from datetime import datetime, timedelta

    from assistant.audit import AuditLog

    entries = [e.answer for e in AuditLog(giant_app.store).read().entries]
    ends = {a.question: datetime.fromisoformat(a.time) for a in entries}
    begins = {a.question: datetime.fromisoformat(a.time) - timedelta(milliseconds=a.latency_ms) for a in entries}
    slow_ends = [t for a in entries for t in [datetime.fromisoformat(a.time)] if a.question in SLOW]
    normal_begin = max(b for a in entries for b in [begins[a.question]] if a.question == NORMAL[0])
    assert normal_begin < min(slow_ends), (normal_begin, sorted(slow_ends)[:2], ends)
    assert len(slow) == 8 and all(isinstance(r, dict) for _, r in slow), slow  # every slow one answered or timed out
    assert normal < max(s for s, _ in slow) < BUDGET_S + 3  # they ran beside it, longer, and were bounded
    print(f"normal {normal:.2f} s; slow {sorted(round(s, 2) for s, _ in slow)} s; "
          f"处理超时 {sum('处理超时' in r['answer'] for _, r in slow)}/8")


def test_the_load_script_runs_and_finds_every_answer_identical(app_server, tmp_path):
    """bench/load_test.py at a small scale (the README's figure is 50 users × 10 questions)."""
    import json

    out = subprocess.run([sys.executable, "bench/load_test.py", "--url", app_server.url, "--users", "5",
                          "--questions", "3", "--json", str(tmp_path / "load.json")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    figures = json.loads((tmp_path / "load.json").read_text(encoding="utf-8"))
    assert (figures["requests"], figures["answered"], figures["errors"], figures["differing"]) == (15, 15, 0, 0)


# ---- readers follow writers ----------------------------------------------------------------------------

PUTUO = "普陀区碳达峰实施方案"
PUTUO_Q = "普陀区到2025年新增光伏装机容量是多少？"


@pytest.fixture(scope="module")
def own_app(launch_app, tmp_path_factory):
    """An app with a store of its own: the test removes a document from it through the CLI."""
    server = launch_app(tmp_path_factory.mktemp("app_stale"))
    yield server
    server.stop()


def test_a_document_removed_through_the_cli_is_no_longer_listed_or_cited(own_app):
    client = Client(own_app.url, verbose=False)
    titles = lambda: [d["title"] for d in client.predict(api_name="/docs")["documents"]]  # noqa: E731
    assert PUTUO in titles()
    before = client.predict(PUTUO_Q, [], api_name="/ask")
    assert any(c["doc_title"] == PUTUO for c in before["citations"]), before

    removed = subprocess.run([sys.executable, "-m", "assistant", "remove", PUTUO, "--store", str(own_app.store)],
                             cwd=ROOT, env=own_app.env, capture_output=True, text=True, timeout=120)
    assert removed.returncode == 0, removed.stderr

    deadline = time.monotonic() + 5  # the next request sees the new generation (no restart)
    while PUTUO in titles() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert PUTUO not in titles()
    after = client.predict(PUTUO_Q, [], api_name="/ask")
    assert not any(c["doc_title"] == PUTUO for c in after["citations"] + after["related"]), after
    assert PUTUO not in after["answer"]
    hits = client.predict("普陀区 光伏", None, api_name="/lookup")["results"]
    assert hits and not any(h["doc_title"] == PUTUO for h in hits)

"""The audit log on its own: whole lines under concurrent writers (threads and processes), rotation by size,
reading with --since, the CSV and the 👎 candidates in the eval dataset format."""
from __future__ import annotations

import csv
import json
import multiprocessing
import threading
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.audit import AuditLog, answer_record, eval_candidates, parse_since, write_csv, write_jsonl

CITATION = "《嘉定区减污降碳协同增效实施方案》（嘉府发〔2023〕27号）二、（一）1."
ANSWER_KEYS = {"id", "time", "user", "via", "question", "standalone_question", "history", "backend", "mode", "refused",
               "citations", "latency_ms", "answer", "kind"}


def fake_answer(question: str = "嘉定区到2025年新增光伏装机目标是多少？", long: int = 0):
    clause = SimpleNamespace(clause_id="d4c9c22f2b06-8f41aa47f986", doc_id="d4c9c22f2b06", citation=CITATION)
    return SimpleNamespace(question=question + "补" * long, standalone_question=question,
                           answer="到2025年，新增光伏装机容量29.4万千瓦[1]。" + "述" * long,
                           citations=[SimpleNamespace(n=1, clause=clause)], refused=False, backend="extractive")


def write_answers(store: str, worker: int, n: int, max_bytes: int) -> None:
    log = AuditLog(store, max_bytes=max_bytes)
    for i in range(n):
        rec = answer_record(fake_answer(f"第{worker}组第{i}问", long=300), user=f"u{worker}", via="api", mode="lexical",
                            latency_s=0.01, versions={"d4c9c22f2b06": "f" * 64})
        log.record_answer(rec)


def lines_of(log: AuditLog) -> list[str]:
    return [ln for f in log.files() for ln in f.read_text(encoding="utf-8").splitlines()]


def test_concurrent_processes_and_threads_write_whole_lines_across_rotation(tmp_path):
    """4 processes × 4 threads × 25 answers of ~2 KB with rotation at 64 KB: every line whole, none lost."""
    store = str(tmp_path / "store")
    ctx = multiprocessing.get_context("spawn")

    def threads_in_process(worker: int) -> None:
        ts = [threading.Thread(target=write_answers, args=(store, worker * 10 + t, 25, 64 * 1024)) for t in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    threads_in_process(0)  # this process too
    procs = [ctx.Process(target=_process_worker, args=(store, w)) for w in range(1, 4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    log = AuditLog(store)
    assert len(log.files()) > 5  # it did rotate, repeatedly, while others were writing
    lines = lines_of(log)
    assert len(lines) == 4 * 4 * 25
    records = [json.loads(ln) for ln in lines]  # each line parses on its own: no interleaving
    assert all(set(r) == ANSWER_KEYS for r in records)
    assert len({r["id"] for r in records}) == len(records)
    assert {r["question"][:9] for r in records} >= {"第0组第0问补补补", "第30组第0问补补"}
    assert all(f.stat().st_size <= 64 * 1024 for f in log.files())
    report = log.read()
    assert len(report.entries) == 400 and report.malformed == []


def _process_worker(store: str, worker: int) -> None:
    ts = [threading.Thread(target=write_answers, args=(store, worker * 10 + t, 25, 64 * 1024)) for t in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def test_record_carries_what_the_answer_relied_on(tmp_path):
    log = AuditLog(tmp_path)
    history = [{"role": "user", "content": "上一问"}, {"role": "assistant", "content": "上一答[1]。"}]
    rec = answer_record(fake_answer(), user="reviewer", via="chat", mode="hybrid", latency_s=0.1234,
                        history=history, versions={"d4c9c22f2b06": "ab" * 32})
    log.record_answer(rec)
    (line,) = lines_of(log)
    d = json.loads(line)
    assert d["user"] == "reviewer" and d["via"] == "chat" and d["mode"] == "hybrid" and d["backend"] == "extractive"
    assert d["latency_ms"] == 123 and d["refused"] is False and d["history"] == history
    assert d["citations"] == [{"n": 1, "clause_id": "d4c9c22f2b06-8f41aa47f986", "doc_id": "d4c9c22f2b06",
                               "doc_version": "ab" * 32, "citation": CITATION}]
    datetime.fromisoformat(d["time"])  # ISO 8601 with the offset


def test_feedback_joins_its_answer_and_the_latest_wins(tmp_path):
    log = AuditLog(tmp_path)
    a = log.record_answer(answer_record(fake_answer(), user=None, via="chat", mode="lexical", latency_s=0))
    b = log.record_answer(answer_record(fake_answer("第二问？"), user=None, via="chat", mode="lexical", latency_s=0))
    log.record_feedback(a, "up")
    log.record_feedback(a, "down", "  数字不对  ")
    with pytest.raises(ValueError):
        log.record_feedback(b, "meh")
    entries = {e.answer.id: e for e in log.read().entries}
    assert entries[a].feedback.value == "down" and entries[a].feedback.comment == "数字不对"
    assert entries[b].feedback is None


def test_since_filters_and_malformed_lines_are_reported_not_fatal(tmp_path):
    log = AuditLog(tmp_path)
    old = answer_record(fake_answer("去年的问题"), user=None, via="cli", mode="lexical", latency_s=0)
    old = type(old)(**{**old.__dict__, "time": (datetime.now().astimezone() - timedelta(days=400)).isoformat()})
    log.record_answer(old)
    log.record_answer(answer_record(fake_answer("今天的问题"), user=None, via="cli", mode="lexical", latency_s=0))
    with open(log.path, "a", encoding="utf-8") as f:
        f.write('{"kind": "answer", "id": "x"\n')  # a torn line, as a crash mid-write would leave
    report = log.read(parse_since(datetime.now().strftime("%Y-%m-%d")))
    assert [e.answer.question for e in report.entries] == ["今天的问题"]
    assert report.malformed == ["audit.jsonl:3"]
    assert len(log.read().entries) == 2
    with pytest.raises(ValueError, match="2026-12-01"):
        parse_since("上周")


def test_csv_opens_in_excel_and_candidates_are_valid_eval_items(tmp_path):
    from eval.dataset import parse_lines

    log = AuditLog(tmp_path)
    history = [{"role": "user", "content": "嘉定区到2025年新增光伏装机目标是多少？"},
               {"role": "assistant", "content": "29.4万千瓦[1]。"}]
    a = log.record_answer(answer_record(fake_answer("那青浦区呢？"), user="reviewer", via="chat", mode="lexical",
                                        latency_s=0.2, history=history))
    b = log.record_answer(answer_record(fake_answer(), user="reviewer", via="chat", mode="lexical", latency_s=0.2))
    log.record_feedback(a, "down", "说的是嘉定不是青浦")
    log.record_feedback(b, "up")
    entries = log.read().entries

    path = tmp_path / "a.csv"
    assert write_csv(entries, path) == 2
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel/WPS read UTF-8
    rows = list(csv.DictReader(open(path, encoding="utf-8-sig")))
    assert rows[0]["question"] == "那青浦区呢？" and rows[0]["feedback"] == "👎" and rows[0]["comment"] == "说的是嘉定不是青浦"
    assert rows[0]["citations"] == f"[1] {CITATION}" and rows[1]["feedback"] == "👍"

    items = eval_candidates(entries)
    assert len(items) == 1  # only the 👎
    out = tmp_path / "cand.jsonl"
    write_jsonl(items, out)
    parsed, errors = parse_lines(out.read_text(encoding="utf-8").splitlines())
    assert errors == [] and len(parsed) == 1
    item = parsed[0]
    assert item.question == "那青浦区呢？" and item.history == tuple(history) and item.category == "feedback"
    assert item.doc == ("嘉定区减污降碳协同增效实施方案",) and item.evidence == () and item.answer_facts == ()
    assert "说的是嘉定不是青浦" in json.loads(out.read_text(encoding="utf-8"))["note"]


def test_unwritable_log_is_one_line_error(tmp_path):
    from assistant.audit import AuditError

    blocker = tmp_path / "store"
    blocker.write_text("a file where the store folder should be", encoding="utf-8")
    with pytest.raises(AuditError, match="审计日志"):
        AuditLog(blocker).record_feedback("x", "up")


def test_bounds_keep_lines_small(tmp_path):
    log = AuditLog(tmp_path)
    log.record_answer(answer_record(fake_answer(long=100_000), user=None, via="api", mode="lexical", latency_s=0,
                                    history=[{"role": "user", "content": "长" * 10_000}] * 20))
    (line,) = lines_of(log)
    assert len(line.encode("utf-8")) < 40_000
    assert len(json.loads(line)["history"]) == 6


def test_reading_needs_no_index(tmp_path):
    assert AuditLog(tmp_path / "nowhere").read().entries == []
    assert Path(tmp_path / "nowhere").exists() is False

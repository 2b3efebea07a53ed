"""Bounded answering: a giant single-paragraph file ingests into capped clauses and questions over it stay fast;
a question past its time budget gets 处理超时 with what was found, not a worker held for minutes."""
from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest

from assistant import evidence
from assistant.service import Assistant
from hostile import giant_paragraph_txt
from index import limits

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "data" / "policies"


@pytest.fixture(scope="module")
def giant_store(tmp_path_factory):
    """The shipped corpus plus a 19 MB single-paragraph .txt (the audit's file: one clause of 6.7 M characters)."""
    folder = tmp_path_factory.mktemp("giant")
    giant = giant_paragraph_txt(folder / "巨型方案.txt", megabytes=19)
    a = Assistant(store=folder / "store", retrieval="lexical")
    report = a.ingest([POLICIES, giant])
    assert not report.failed, report.failed
    return a


def test_a_19_mb_paragraph_is_stored_as_capped_clauses(giant_store):
    clauses = giant_store.clauses("巨型方案")
    assert len(clauses) >= 19 * 1024 * 1024 // 3 // limits.MAX_CLAUSE_CHARS
    assert max(len(c.text) for c in clauses) <= limits.MAX_CLAUSE_CHARS
    assert {c.n_parts for c in clauses} == {len(clauses)}


@pytest.mark.parametrize("question", [
    "巨型方案中既有建筑节能改造多少万平方米？",
    "巨型方案中光伏装机容量是多少？充电桩新增多少个？清洁生产审核多少个企业？",
    "巨型方案中饭店砍树景区下水道有什么规定？",  # words the file doesn't use: every fallback of the matcher runs
])
def test_a_question_over_the_giant_file_answers_within_a_second(giant_store, question):
    giant_store.ask("预热")
    times, answer = [], None
    for _ in range(3):
        t0 = time.perf_counter()
        answer = giant_store.ask(question)
        times.append(time.perf_counter() - t0)
    assert statistics.median(times) < 1.0, times
    assert "处理超时" not in answer.answer


def test_the_giant_file_does_not_change_answers_about_the_shipped_plans(giant_store):
    ans = giant_store.ask("嘉定区到2025年新增光伏装机目标是多少？")
    assert "29.4万千瓦" in ans.answer and not ans.refused


def test_past_its_budget_a_question_gets_what_was_found_and_says_timeout(tmp_path, monkeypatch):
    a = Assistant(store=tmp_path / "store", retrieval="lexical", answer_budget_s=0.5)
    a.ingest([POLICIES])
    real = evidence.passage_support

    def slow(*args, **kwargs):  # stands for a stage that would run for minutes on hostile input
        time.sleep(0.05)
        return real(*args, **kwargs)

    monkeypatch.setattr(evidence, "passage_support", slow)
    t0 = time.perf_counter()
    ans = a.ask("嘉定区到2025年新增光伏装机目标是多少？")
    assert time.perf_counter() - t0 < 0.5 + 0.3
    assert ans.answer.startswith("处理超时：未能在 0.5 秒内完成回答") and ans.notice == "处理超时"
    assert ans.related and "可能相关：" in ans.answer and not ans.citations
    monkeypatch.setattr(evidence, "passage_support", real)
    assert "29.4万千瓦" in a.ask("嘉定区到2025年新增光伏装机目标是多少？").answer  # the next question has its own budget

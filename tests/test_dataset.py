"""The QA evaluation set: every item checks out against the shipped documents."""
from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from eval.dataset import (
    CATEGORIES,
    DatasetError,
    EvalItem,
    check_item,
    load_dataset,
    load_raw_doc_texts,
    squash,
)

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT / "eval" / "datasets" / "policy_qa.jsonl"
POLICIES = ROOT / "data" / "policies"

MIN_ITEMS = 130
MIN_PER_CATEGORY = {
    "number": 25,
    "fact": 20,
    "department": 20,
    "compare": 10,
    "followup": 12,
    "table": 10,
    "regulation": 20,
    "out_of_scope": 15,
}


@pytest.fixture(scope="module")
def loaded() -> tuple[list[EvalItem], list[DatasetError]]:
    return load_dataset(DATASET)


@pytest.fixture(scope="module")
def doc_texts() -> dict[str, str]:
    return load_raw_doc_texts(POLICIES)


def test_dataset_loads_without_errors(loaded):
    _, errors = loaded
    assert not errors, "\n".join(e.message for e in errors)


def test_every_item_checks_out_against_the_documents(loaded, doc_texts):
    items, _ = loaded
    assert len(doc_texts) == 6, sorted(doc_texts)
    failures = []
    for item in items:
        for problem in check_item(item, doc_texts):
            failures.append(f"{item.id}: {problem}")
    assert not failures, f"{len(failures)} 个问题：\n" + "\n".join(failures)


def test_size_and_category_minimums(loaded):
    items, _ = loaded
    assert len(items) >= MIN_ITEMS
    counts = collections.Counter(i.category for i in items)
    short = {c: (counts[c], n) for c, n in MIN_PER_CATEGORY.items() if counts[c] < n}
    assert not short, f"类别数量不足（现有, 至少）：{short}"
    assert set(counts) <= set(CATEGORIES)


def test_ids_unique_in_file():
    ids = [json.loads(line)["id"] for line in DATASET.read_text(encoding="utf-8").splitlines() if line.strip()]
    dup = [i for i, n in collections.Counter(ids).items() if n > 1]
    assert not dup, dup


def test_followups_have_history_and_compares_span_documents(loaded, doc_texts):
    items, _ = loaded
    for item in items:
        if item.category == "followup":
            assert 2 <= len(item.history) <= 4, item.id
            assert item.history[0]["role"] == "user" and item.history[-1]["role"] == "assistant", item.id
        if item.category == "compare":
            assert len(item.doc) >= 2, item.id
            # one snippet from each compared document
            for title in item.doc:
                assert any(squash(e) in doc_texts[title] for e in item.evidence), (item.id, title)


def test_load_dataset_reports_bad_lines_and_keeps_good_ones(tmp_path):
    good = {
        "id": "t-01",
        "question": "嘉定区到2025年新增光伏装机容量是多少？",
        "category": "number",
        "evidence": ["新增光伏装机容量29.4万千瓦"],
        "answer_facts": ["29.4万千瓦"],
        "doc": "嘉定区减污降碳协同增效实施方案",
    }
    missing_question = {k: v for k, v in good.items() if k != "question"} | {"id": "t-02"}
    bad_category = good | {"id": "t-03", "category": "数字 题？"}
    new_category = good | {"id": "t-05", "category": "penalty"}  # a blind writer's own category is kept
    good_followup = good | {
        "id": "t-04",
        "category": "followup",
        "question": "其中公共机构占多少？",
        "history": [
            {"role": "user", "content": "嘉定区到2025年新增光伏装机容量是多少？"},
            {"role": "assistant", "content": "到2025年，新增光伏装机容量29.4万千瓦[1]。"},
        ],
        "doc": ["嘉定区减污降碳协同增效实施方案"],
    }
    lines = [
        json.dumps(good, ensure_ascii=False),  # 1
        '{"id": "t-bad", "question": "缺引号}',  # 2 bad JSON
        json.dumps(missing_question, ensure_ascii=False),  # 3
        "",  # 4 blank: ignored
        json.dumps(bad_category, ensure_ascii=False),  # 5
        json.dumps(good_followup, ensure_ascii=False),  # 6
        json.dumps(new_category, ensure_ascii=False),  # 7
    ]
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    items, errors = load_dataset(path)

    assert [i.id for i in items] == ["t-01", "t-04", "t-05"]
    assert [e.line for e in errors] == [2, 3, 5]
    assert all(e.message.startswith(f"第 {e.line} 行：") for e in errors)
    assert "缺少字段 question" in errors[1].message
    assert "category" in errors[2].message
    first, follow, penalty = items
    assert penalty.category == "penalty"
    assert first.doc == ("嘉定区减污降碳协同增效实施方案",) and first.history == ()
    assert follow.doc == ("嘉定区减污降碳协同增效实施方案",) and len(follow.history) == 2


def test_load_dataset_reports_wrong_types_and_duplicate_ids(tmp_path):
    base = {
        "id": "t-01",
        "question": "问题？",
        "category": "out_of_scope",
        "evidence": [],
        "answer_facts": [],
        "doc": None,
    }
    lines = [
        json.dumps(base, ensure_ascii=False),
        json.dumps(base | {"id": "t-02", "evidence": "不是列表"}, ensure_ascii=False),
        json.dumps(base, ensure_ascii=False),  # duplicate id
        json.dumps(base | {"id": "t-03", "history": [{"role": "system", "content": "x"}]}, ensure_ascii=False),
        json.dumps(base | {"id": "t-04", "extra": 1}, ensure_ascii=False),
        "[1, 2]",
    ]
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    items, errors = load_dataset(path)
    assert [i.id for i in items] == ["t-01"]
    assert items[0].doc == ()
    assert [e.line for e in errors] == [2, 3, 4, 5, 6]
    assert "evidence" in errors[0].message
    assert "重复" in errors[1].message


def test_squash_deletes_whitespace_only():
    assert squash(" 29.4 万千瓦\n\n其中\t公共机构\u3000 ") == "29.4万千瓦其中公共机构"
    assert squash("（区发展改革委、区经委）") == "（区发展改革委、区经委）"


def test_check_item_reports_problems(doc_texts):
    title = "嘉定区减污降碳协同增效实施方案"
    ok = EvalItem("x", "问？", (), "number", ("新增光伏装机容量 29.4 万千瓦",), ("29.4万千瓦",), (title,))
    assert check_item(ok, doc_texts) == []

    bad = EvalItem("x", "问？", (), "number", ("新增光伏装机容量30万千瓦",), ("30万千瓦",), (title,))
    problems = check_item(bad, doc_texts)
    assert any("evidence" in p for p in problems) and any("answer_fact" in p for p in problems)

    unknown = EvalItem("x", "问？", (), "number", ok.evidence, ok.answer_facts, ("不存在的方案",))
    assert any("未知文档" in p for p in check_item(unknown, doc_texts))

    oos = EvalItem("x", "问？", (), "out_of_scope", ("新增光伏装机容量29.4万千瓦",), (), (title,))
    assert any("out_of_scope" in p for p in check_item(oos, doc_texts))

    empty = EvalItem("x", "问？", (), "fact", (), (), (title,))
    assert len(check_item(empty, doc_texts)) == 2

    # Markdown markup is stripped from the raw files: quotes span **bold** item titles
    md = EvalItem("x", "问？", (), "number", ("1.大力发展非化石能源。推动光伏、风能、氢能",), ("氢能",), ("上海市青浦区碳达峰实施方案",))
    assert check_item(md, doc_texts) == []

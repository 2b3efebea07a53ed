"""The QA evaluation set: loading, validation and checking against the documents.

A dataset is a JSON Lines file (see ``eval/datasets/policy_qa.jsonl``), one item
per line with exactly these fields:

- ``id``: unique string, e.g. ``"jd-num-01"``
- ``question``: the question, in Chinese
- ``history``: optional list of ``{"role": "user"|"assistant", "content": str}``
  (the earlier turns of a follow-up question)
- ``category``: a short name; ``CATEGORIES`` are the usual ones, others are accepted and reported
  on their own (blind question writers use ``list``, ``broad``, ``article``, ``penalty`` too);
  ``out_of_scope`` marks questions the documents do not answer
- ``evidence``: verbatim snippets of the source document(s) that hold the answer
  (empty for ``out_of_scope``)
- ``answer_facts``: short strings a correct answer must contain (empty for
  ``out_of_scope``)
- ``doc``: the document title, a list of titles (``compare``), or null
- ``absent_terms``: optional, out-of-scope items: key terms that occur in no document
- ``note``: optional free text for the people who maintain the set

Snippets and facts are matched after deleting all whitespace from both sides
(``squash``), so the hard wraps of PDF-extracted text and spaces such as
"29.4 万千瓦" do not matter.

Pure Python on purpose: the eval runner, the tests and outside scripts import
this without pulling in the retrieval stack.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

CATEGORIES = (
    "number",
    "fact",
    "department",
    "compare",
    "followup",
    "table",
    "regulation",
    "list",
    "broad",
    "article",
    "penalty",
    "out_of_scope",
)

REQUIRED_FIELDS = ("id", "question", "category", "evidence", "answer_facts", "doc")
OPTIONAL_FIELDS = ("history", "absent_terms", "note")
ROLES = ("user", "assistant")

_WS = re.compile(r"\s+")  # str patterns: Unicode whitespace, same set as str.isspace()


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    history: tuple[dict, ...]
    category: str
    evidence: tuple[str, ...]
    answer_facts: tuple[str, ...]
    doc: tuple[str, ...]  # normalised to a tuple; empty when the file says null


@dataclass(frozen=True)
class DatasetError:
    line: int  # 1-based line number in the file
    message: str  # Chinese, starting with "第 N 行："


def squash(s: str) -> str:
    """Delete all whitespace (and nothing else)."""
    return _WS.sub("", s)


# ---------------------------------------------------------------- loading


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _validate_record(rec: dict[str, Any]) -> list[str]:
    """Problems with one parsed line's shape and types (empty when fine)."""
    problems: list[str] = []
    for name in REQUIRED_FIELDS:
        if name not in rec:
            problems.append(f"缺少字段 {name}")
    extra = [k for k in rec if k not in REQUIRED_FIELDS and k not in OPTIONAL_FIELDS]
    if extra:
        problems.append("未知字段 " + "、".join(extra))

    for name in ("id", "question"):
        if name in rec and (not isinstance(rec[name], str) or not rec[name].strip()):
            problems.append(f"字段 {name} 应为非空字符串")

    if "category" in rec:
        cat = rec["category"]
        if not isinstance(cat, str) or not re.fullmatch(r"[\w-]{1,40}", cat):
            problems.append("字段 category 应为简短的类别名（字母、数字、下划线），如 number、out_of_scope")

    for name in ("evidence", "answer_facts", "absent_terms"):
        if name not in rec:
            continue
        v = rec[name]
        if not _is_str_list(v):
            problems.append(f"字段 {name} 应为字符串列表")
        elif any(not x.strip() for x in v):
            problems.append(f"字段 {name} 含空字符串")

    if "doc" in rec:
        d = rec["doc"]
        if d is None:
            pass
        elif isinstance(d, str):
            if not d.strip():
                problems.append("字段 doc 不能为空字符串")
        elif _is_str_list(d):
            if not d or any(not x.strip() for x in d):
                problems.append("字段 doc 为列表时应为非空的标题列表")
        else:
            problems.append("字段 doc 应为标题字符串、标题列表或 null")

    if "history" in rec and rec["history"] is not None:
        h = rec["history"]
        if not isinstance(h, list):
            problems.append("字段 history 应为列表")
        else:
            for i, turn in enumerate(h, 1):
                if not isinstance(turn, dict) or set(turn) != {"role", "content"}:
                    problems.append(f"history 第 {i} 轮应为含 role 和 content 的对象")
                elif turn["role"] not in ROLES:
                    problems.append(f"history 第 {i} 轮的 role 应为 user 或 assistant")
                elif not isinstance(turn["content"], str) or not turn["content"].strip():
                    problems.append(f"history 第 {i} 轮的 content 应为非空字符串")
    return problems


def _to_item(rec: dict[str, Any]) -> EvalItem:
    d = rec["doc"]
    doc = () if d is None else (d,) if isinstance(d, str) else tuple(d)
    return EvalItem(
        id=rec["id"],
        question=rec["question"],
        history=tuple(dict(t) for t in (rec.get("history") or ())),
        category=rec["category"],
        evidence=tuple(rec["evidence"]),
        answer_facts=tuple(rec["answer_facts"]),
        doc=doc,
    )


def parse_lines(lines: Iterable[str]) -> tuple[list[EvalItem], list[DatasetError]]:
    """Parse dataset lines; a bad line is reported (one error per line) and skipped."""
    items: list[EvalItem] = []
    errors: list[DatasetError] = []
    seen: dict[str, int] = {}
    for no, raw in enumerate(lines, 1):
        if no == 1:
            raw = raw.lstrip("\ufeff")
        if not raw.strip():
            continue
        prefix = f"第 {no} 行："
        try:
            rec = json.loads(raw)
        except json.JSONDecodeError as e:
            errors.append(DatasetError(no, f"{prefix}JSON 格式错误（{e.msg}，第 {e.colno} 列）"))
            continue
        if not isinstance(rec, dict):
            errors.append(DatasetError(no, f"{prefix}应为 JSON 对象"))
            continue
        problems = _validate_record(rec)
        if problems:
            errors.append(DatasetError(no, prefix + "；".join(problems)))
            continue
        item = _to_item(rec)
        if item.id in seen:
            errors.append(DatasetError(no, f"{prefix}id {item.id} 重复（首次出现在第 {seen[item.id]} 行）"))
            continue
        seen[item.id] = no
        items.append(item)
    return items, errors


def load_dataset(path: str | Path) -> tuple[list[EvalItem], list[DatasetError]]:
    """Load a JSON Lines dataset. Blank lines are ignored; bad lines are reported and skipped."""
    text = Path(path).read_text(encoding="utf-8")
    return parse_lines(text.split("\n"))


# ---------------------------------------------------------------- checking

_MD_COMMENT = re.compile(r"<!--.*?-->", re.S)
_MD_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]*", re.M)


def strip_markup(text: str) -> str:
    """Remove the Markdown markup the policy files carry: **, leading #s, <!-- … -->."""
    text = _MD_COMMENT.sub("\n", text)
    text = _MD_HEADING.sub("", text)
    return text.replace("**", "")


def load_raw_doc_texts(directory: str | Path) -> dict[str, str]:
    """Title (file stem) -> squashed text, read straight from the raw .txt/.md files.

    A stand-in until the project's normaliser provides the document texts.
    """
    out: dict[str, str] = {}
    for p in sorted(Path(directory).iterdir()):
        if p.is_file() and p.suffix.lower() in (".txt", ".md"):
            out[p.stem] = squash(strip_markup(p.read_text(encoding="utf-8-sig")))
    return out


def _short(s: str, n: int = 40) -> str:
    return s if len(s) <= n else s[:n] + "…"


def check_item(item: EvalItem, doc_texts: dict[str, str]) -> list[str]:
    """What is wrong with one item against the documents (Chinese messages; empty when fine).

    ``doc_texts`` maps document title to text; texts are squashed here again, so
    squashed or raw (markup-free) texts both work.
    """
    problems: list[str] = []
    oos = item.category == "out_of_scope"
    texts: list[str] = []
    for title in item.doc:
        if title in doc_texts:
            texts.append(squash(doc_texts[title]))
        else:
            problems.append(f"未知文档《{title}》")

    if oos:
        if item.evidence:
            problems.append("out_of_scope 题不应有 evidence")
        if item.answer_facts:
            problems.append("out_of_scope 题不应有 answer_facts")
    else:
        if not item.doc:
            problems.append("缺少 doc")
        if not item.evidence:
            problems.append("缺少 evidence")
        if not item.answer_facts:
            problems.append("缺少 answer_facts")
    if item.category == "compare" and len(item.doc) < 2:
        problems.append("compare 题应涉及至少两份文档")
    if item.category == "followup" and not item.history:
        problems.append("followup 题缺少 history")
    if item.history and item.category != "followup":
        problems.append("只有 followup 题可以带 history")

    if texts:
        for ev in item.evidence:
            s = squash(ev)
            if not s or not any(s in t for t in texts):
                problems.append(f"evidence 未在文档中找到：「{_short(ev)}」")
        for fact in item.answer_facts:
            s = squash(fact)
            if not s or not any(s in t for t in texts):
                problems.append(f"answer_fact 未在文档中找到：「{_short(fact)}」")
    return problems

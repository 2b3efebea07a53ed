"""Tasks by unit: every clause or annex row whose responsibility statement names a unit, with role and deadline."""
from __future__ import annotations

import re
from typing import Iterable

from assistant.drafting.numbers import BOTH_PERIODS, FIVE_YEAR_END, PERIOD, YEAR
from assistant.drafting.types import Task
from assistant.drafting.units import Statement, paragraph_statements, row_statement, same_unit, table_cells
from index.models import KIND_CLOSING, KIND_PREAMBLE, KIND_TABLE_ROW, Clause

SKIP_KINDS = (KIND_PREAMBLE, KIND_CLOSING)
TASK_CHARS = 40  # a task's name: the clause's heading, cut
QUOTE_CHARS = 300
_MARKER = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.、．]|[（(]\d+[）)]|[①-⑳])\s*")
_DEADLINE_COLUMN = re.compile(r"节点|时限|时间|期限|年份|年度")
_DATE = re.compile(rf"(?:到|至|截至|力争到|力争)?(?P<y>{YEAR})年(?:\d{{1,2}}月)?(?:年?底|末)?(?:前)?")
_NOT_DEADLINE_BEFORE = re.compile(r"(?:较|比|相比|与|在)\s*$")
_NOT_DEADLINE_AFTER = re.compile(r"^\s*(?:起|开始|以来|基础上|基数|的基础)")


def _plain(s: str) -> str:
    return s.replace("(", "（").replace(")", "）").replace(" ", "")


def strip_headings(clause: Clause, text: str | None = None) -> str:
    """The clause's text (or a paragraph of it) without the heading lines its path repeats: (二)… / 1.大力发展…。"""
    text = clause.text if text is None else text
    for line in clause.path:
        head = _plain(line).rstrip("。")
        body = text.lstrip()
        if head and _plain(body[:len(line) + 2]).startswith(head):
            k, matched = 0, ""
            while k < len(body) and len(_plain(matched)) < len(head):
                matched += body[k]
                k += 1
            text = body[k:].lstrip(" 。．.\n")
    return text


def statements_of(clause: Clause) -> list[Statement]:
    """The clause's responsibility statements: paragraph-final unit lists, or an annex row's unit columns."""
    if clause.kind in SKIP_KINDS:
        return []
    if clause.kind == KIND_TABLE_ROW:
        cells = table_cells(clause.text)
        if cells:
            st = row_statement(cells)
            return [st] if st else []
    return paragraph_statements(clause.text)


def written_units(clauses: Iterable[Clause]) -> list[str]:
    """Every unit name the clauses' statements use, in first-seen order."""
    seen: dict[str, None] = {}
    for c in clauses:
        for st in statements_of(c):
            for a in st.assignments:
                seen.setdefault(a.unit, None)
    return list(seen)


def deadline_of(text: str) -> str:
    """The deadlines a paragraph sets: 2025年 / 2025年、2030年 / “十四五”期间（2025年）; '' when none."""
    found: list[tuple[int, str]] = []
    for m in BOTH_PERIODS.finditer(text):
        found.append((2030, "“十四五”和“十五五”期间（2030年）"))
    for m in PERIOD.finditer(text):
        if m.group(1) in FIVE_YEAR_END and not BOTH_PERIODS.search(text[max(0, m.start() - 8):m.end() + 8]):
            found.append((FIVE_YEAR_END[m.group(1)], f"“{m.group(1)}”期间（{FIVE_YEAR_END[m.group(1)]}年）"))
    for m in _DATE.finditer(text):
        if _NOT_DEADLINE_BEFORE.search(text[max(0, m.start() - 2):m.start()]) or _NOT_DEADLINE_AFTER.match(text[m.end():m.end() + 4]):
            continue
        phrase = re.sub(r"^(?:到|至|截至|力争到|力争)", "", m.group(0))
        found.append((int(m.group("y")), phrase))
    by_year: dict[int, str] = {}
    for y, phrase in found:
        if y not in by_year or len(phrase) > len(by_year[y]):
            by_year[y] = phrase
    return "、".join(by_year[y] for y in sorted(by_year))


def _task_name(clause: Clause, st: Statement) -> str:
    if clause.kind == KIND_TABLE_ROW:
        name = st.paragraph
    else:
        name = clause.path[-1] if clause.path else st.paragraph
    name = _MARKER.sub("", name.split("\n")[0]).strip()
    name = re.split(r"[。；]", name)[0]
    return name if len(name) <= TASK_CHARS else name[:TASK_CHARS - 1] + "…"


def _quote(text: str) -> str:
    q = " ".join(text.split())
    return q if len(q) <= QUOTE_CHARS else q[:QUOTE_CHARS - 1] + "…"


def clause_task(clause: Clause, unit: str) -> Task | None:
    """The clause's task for `unit` (its first statement naming it), or None."""
    for st in statements_of(clause):
        for a in st.assignments:
            if not same_unit(unit, a.unit):
                continue
            if clause.kind == KIND_TABLE_ROW:
                cells = table_cells(clause.text)
                deadline = next((c for h, c in cells if _DEADLINE_COLUMN.search(h)), "") or deadline_of(st.paragraph)
                quote = "；".join(f"{h}：{c}" for h, c in cells)
            else:
                deadline = deadline_of(st.paragraph)
                quote = strip_headings(clause, st.paragraph)  # the headings are the task's name, not its text
            return Task(
                unit=unit, written_as=a.unit, role=a.role, doc_id=clause.doc_id, doc_title=clause.doc_title,
                label=clause.label, citation=clause.citation, clause_id=clause.clause_id,
                task=_task_name(clause, st), deadline=deadline, lead=st.lead,
                partners=tuple(b.unit for b in st.assignments if b.unit != a.unit), quote=_quote(quote),
            )
    return None

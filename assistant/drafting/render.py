"""The drafting tools' rows as one `DraftTable` each: what the tab shows, the exports write and TSV copies."""
from __future__ import annotations

from typing import Sequence

from assistant.drafting.types import NOT_FOUND, CompareRow, DraftTable, Target, Task

TARGET_COLUMNS = ("指标", "目标值", "比较", "基准年", "目标年", "文件", "条款", "责任单位", "原文", "引用")
TASK_COLUMNS = ("单位", "角色", "任务", "时限", "文件", "条款", "牵头单位", "其他单位", "原文", "引用")
COMPARE_COLUMNS = ("文件", "文号", "条款", "相关规定（原文）", "数字与年份", "责任单位", "引用")


def _year(y: int | None) -> str:
    return f"{y}年" if y else ""


def targets_table(rows: Sequence[Target], title: str = "指标") -> DraftTable:
    return DraftTable(title, TARGET_COLUMNS, tuple(
        (t.indicator, t.value_text, t.comparison_text, _year(t.baseline_year), _year(t.target_year), t.doc_title,
         t.label, "、".join(t.units), t.quote, t.citation) for t in rows))


def tasks_table(rows: Sequence[Task], title: str = "按单位") -> DraftTable:
    notes = ()
    written = sorted({t.written_as for t in rows if t.written_as != t.unit})
    if written:
        notes = (f"“{rows[0].unit}”在文件中也写作：{'、'.join(written)}",)
    return DraftTable(title, TASK_COLUMNS, tuple(
        (t.written_as, t.role, t.task, t.deadline, t.doc_title, t.label, "、".join(t.lead), "、".join(t.partners),
         t.quote, t.citation) for t in rows), notes=notes)


def compare_table(rows: Sequence[CompareRow], title: str = "对照") -> DraftTable:
    out = []
    for r in rows:
        if not r.provisions:
            out.append((r.doc_title, r.doc_number or "", "—", NOT_FOUND, "", "", ""))
            continue
        ps = r.provisions
        out.append((
            r.doc_title, r.doc_number or "", "\n".join(p.label for p in ps), "\n".join(p.text for p in ps),
            "\n".join(f for p in ps for f in p.figures), "\n".join("、".join(p.units) for p in ps if p.units),
            "\n".join(p.citation for p in ps),
        ))
    return DraftTable(title, COMPARE_COLUMNS, tuple(out))

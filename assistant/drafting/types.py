"""Typed rows of the drafting tools (targets, tasks by unit, side by side) and the table every one exports as."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

LEAD, SUPPORT = "牵头", "配合"
NOT_FOUND = "未找到"


@dataclass(frozen=True)
class Target:
    """One quantified target as the plan states it, pointing to its clause."""

    doc_id: str
    doc_title: str
    label: str
    citation: str
    clause_id: str
    indicator: str  # what is measured: 新增光伏装机容量
    value: str  # the number: 29.4, or 3-6 for a range
    unit: str  # 万千瓦, %, 个 … ('' for a ratio such as PUE)
    value_text: str  # as written: 29.4万千瓦
    comparison: str  # 下降 / 提高 / 达到 / 不低于 / 不高于 / 超过 / 左右 / 保持 / 完成
    baseline_year: int | None
    target_year: int | None
    units: tuple[str, ...]  # responsible units of the sentence's paragraph (or the table row)
    quote: str  # the sentence (or table row) that states it

    @property
    def comparison_text(self) -> str:
        """较2020年下降 / 达到 / 不低于 …: the comparison as a drafter writes it."""
        if self.baseline_year and self.comparison in ("下降", "提高"):
            return f"较{self.baseline_year}年{self.comparison}"
        return self.comparison

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["units"] = list(self.units)
        d["comparison_text"] = self.comparison_text
        return d


@dataclass(frozen=True)
class Task:
    """One clause (or annex row) whose responsibility statement names the unit."""

    unit: str  # the unit asked for
    written_as: str  # how this document writes it (区发改委)
    role: str  # 牵头 / 配合
    doc_id: str
    doc_title: str
    label: str
    citation: str
    clause_id: str
    task: str  # the clause's heading or the annex row's task cell
    deadline: str  # 2025年 / 2024年6月底前 / “十四五”期间（2025年） / ''
    lead: tuple[str, ...]  # the statement's lead units
    partners: tuple[str, ...]  # the other units named with it
    quote: str  # the paragraph the statement closes

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["lead"], d["partners"] = list(self.lead), list(self.partners)
        return d


@dataclass(frozen=True)
class Provision:
    """One matching clause in a side-by-side row."""

    label: str
    citation: str
    clause_id: str
    text: str  # the clause's sentences on the topic, quoted
    figures: tuple[str, ...]  # 到2025年 新增光伏装机容量 29.4万千瓦 …
    units: tuple[str, ...]
    score: float

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["figures"], d["units"] = list(self.figures), list(self.units)
        return d


@dataclass(frozen=True)
class CompareRow:
    doc_id: str
    doc_title: str
    doc_number: str | None
    provisions: tuple[Provision, ...]  # best first; empty when nothing on the topic

    @property
    def found(self) -> bool:
        return bool(self.provisions)

    def to_json(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "doc_title": self.doc_title, "doc_number": self.doc_number,
                "found": self.found, "provisions": [p.to_json() for p in self.provisions]}


@dataclass(frozen=True)
class DraftTable:
    """What the UI shows, the exports write and the clipboard gets: a title, columns, string rows.

    `citation_column` names the column holding each row's formal citation (every export keeps it).
    """

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    citation_column: str = "引用"
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "columns": list(self.columns), "rows": [list(r) for r in self.rows],
                "citation_column": self.citation_column, "notes": list(self.notes)}


@dataclass(frozen=True)
class Comparison:
    """A side-by-side table: the topic compared (typed, or a picked clause's heading) and one row per document."""

    topic: str
    picked: str | None  # the citation of the clause picked in lookup, if any
    rows: tuple[CompareRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {"topic": self.topic, "picked": self.picked, "rows": [r.to_json() for r in self.rows]}


@dataclass(frozen=True)
class UnitTasks:
    """Every task of one unit, and how the documents write its name."""

    unit: str
    written_as: tuple[str, ...]
    tasks: tuple[Task, ...]

    def to_json(self) -> dict[str, Any]:
        return {"unit": self.unit, "written_as": list(self.written_as), "tasks": [t.to_json() for t in self.tasks]}

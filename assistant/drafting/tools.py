"""The three drafting tools over the service's public reads (documents, clauses, lookup): choose the documents,
run the extractor, filter and sort. `Assistant.side_by_side / unit_tasks / targets` delegate here."""
from __future__ import annotations

import re
from typing import Protocol, Sequence

from assistant.drafting.compare import side_by_side as compare_rows, similar, topic_of
from assistant.drafting.targets import clause_targets
from assistant.drafting.tasks import clause_task, written_units
from assistant.drafting.types import LEAD, SUPPORT, Comparison, Target, UnitTasks
from assistant.drafting.units import same_unit
from index.store.clause_index import UnknownDocument
from index.models import Clause, DocumentMeta

PLAN_KIND = re.compile(r"方案|规划|计划|意见|纲要|要点")  # what "all plans" means when no document is chosen
ROLES = (LEAD, SUPPORT)
SORTS = ("文件", "指标", "年份")
MAX_TOPIC_CHARS = 60


class DraftingInputError(ValueError):
    """Input a drafting tool can't work with; str(e) is one Chinese line saying what to enter instead."""


class Reader(Protocol):
    def documents(self) -> list[tuple[DocumentMeta, int]]: ...
    def clauses(self, doc: str) -> list[Clause]: ...
    def lookup(self, query: str, doc: str | None = None, k: int = 10) -> tuple[list[tuple[Clause, float | None]], bool]: ...


def is_plan(meta: DocumentMeta) -> bool:
    return bool(meta.kind and PLAN_KIND.search(meta.kind)) or bool(PLAN_KIND.search(meta.title))


def choose_docs(reader: Reader, docs: Sequence[str] | None = None, kind: str | None = None) -> list[DocumentMeta]:
    """The documents named (doc_id, title, or a unique part of a title such as 青浦), in library order; with none
    named, every document of `kind`, or every plan (实施方案, 行动方案, 规划 …)."""
    metas = [m for m, _ in reader.documents()]
    if docs:
        chosen: list[DocumentMeta] = []
        for name in (d.strip() for d in docs if d and d.strip()):
            hits = [m for m in metas if name in (m.doc_id, m.title)] or [m for m in metas if name in m.title]
            if len(hits) != 1:
                raise UnknownDocument(name, [m.title for m in (hits or metas)])
            if hits[0] not in chosen:
                chosen.append(hits[0])
        if chosen:
            return [m for m in metas if m in chosen]
    if kind:
        return [m for m in metas if m.kind == kind]
    return [m for m in metas if is_plan(m)]


def side_by_side(reader: Reader, topic: str | None = None, clause: str | None = None,
                 docs: Sequence[str] | None = None) -> Comparison:
    picked: Clause | None = None
    if clause and clause.strip():
        found, exact = reader.lookup(clause.strip())
        if not exact or not found:
            raise DraftingInputError(f"找不到条款“{clause.strip()}”：请写成“嘉定 二（一）1”或“环境保护条例 第十八条”这样的引用")
        picked = found[0][0]
    topic_typed = topic
    topic = (topic or "").strip() or (topic_of(picked) if picked else "")
    if not topic:
        raise DraftingInputError("请输入要对照的主题（如“光伏装机”“新能源汽车”），或选择一个条款")
    if len(topic) > MAX_TOPIC_CHARS:
        raise DraftingInputError(f"主题太长（{len(topic)} 字）：请用不超过 {MAX_TOPIC_CHARS} 字的词语，如“单位生产总值能耗”")
    kind = None
    if picked and not docs:
        kind = next((m.kind for m, _ in reader.documents() if m.doc_id == picked.doc_id), None)
    metas = choose_docs(reader, docs, kind)
    by_doc = {m.doc_id: reader.clauses(m.doc_id) for m in metas}
    rows = similar(picked, metas, by_doc) if picked and not (topic_typed or "").strip() else compare_rows(topic, metas, by_doc)
    return Comparison(topic, picked.citation if picked else None, tuple(rows))


def unit_tasks(reader: Reader, unit: str, docs: Sequence[str] | None = None, role: str | None = None) -> UnitTasks:
    unit = (unit or "").strip()
    if not unit:
        raise DraftingInputError("请输入单位名称，如“区发展改革委”“区发改委”“市生态环境局”")
    if role and role not in ROLES:
        raise DraftingInputError(f"角色只能是{'、'.join(ROLES)}")
    metas = choose_docs(reader, docs)
    tasks, written = [], []
    for m in metas:
        clauses = reader.clauses(m.doc_id)
        written += [w for w in written_units(clauses) if same_unit(unit, w) and w not in written]
        for c in clauses:
            t = clause_task(c, unit)
            if t and (not role or t.role == role):
                tasks.append(t)
    return UnitTasks(unit, tuple(written), tuple(tasks))


def targets(reader: Reader, docs: Sequence[str] | None = None, indicator: str | None = None,
            year: int | None = None, sort: str = "文件") -> list[Target]:
    if sort not in SORTS:
        raise DraftingInputError(f"排序只能按{'、'.join(SORTS)}")
    rows: list[Target] = []
    for m in choose_docs(reader, docs):
        for c in reader.clauses(m.doc_id):
            rows += clause_targets(c)
    if indicator and indicator.strip():
        words = [w for w in re.split(r"[\s,，、]+", indicator.strip()) if w]
        rows = [t for t in rows if all(w in t.indicator or w in t.quote for w in words)]
    if year:
        rows = [t for t in rows if t.target_year == int(year)]
    if sort == "指标":
        rows.sort(key=lambda t: (t.indicator, t.target_year or 0))
    elif sort == "年份":
        rows.sort(key=lambda t: (t.target_year or 9999,))
    return rows

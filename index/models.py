"""Typed values passed between the index modules: documents, clauses, search hits.

Clause identity and metadata are the product's core data model: answers cite
clauses, the app shows them, eval scores them. Keep this module dependency-free.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

# Clause kinds.
KIND_ARTICLE = "article"  # 第X条 of a statute
KIND_ITEM = "item"  # smallest numbered outline unit (1. / （一） without children ...)
KIND_LEAD = "lead"  # a section's lead paragraph (between a heading and its first child)
KIND_PREAMBLE = "preamble"  # 印发通知 / statute's adoption history / plan's opening paragraph
KIND_CLOSING = "closing"  # 抄送 / 印发 / 信息公开属性 ...
KIND_TABLE_ROW = "table_row"  # one row of an annex table
KIND_PARAGRAPH = "paragraph"  # text with no recognisable structure

# How a document arrived (DocumentMeta.origin).
ORIGIN_CORPUS = "corpus"  # the shipped corpus (data/policies/ or ASSISTANT_CORPUS), imported on first start or 重新索引
ORIGIN_CLI = "cli"  # `python -m assistant ingest` on the server: an administrator
ORIGIN_UPLOAD = "upload"  # uploaded in the app
ORIGIN_NAMES = {ORIGIN_CORPUS: "随附文件库", ORIGIN_CLI: "命令行导入", ORIGIN_UPLOAD: "网页上传"}

# The fields of a clause in JSON, in this order (CLI, app, eval and outside scripts rely on them).
CLAUSE_JSON_FIELDS = (
    "clause_id",
    "doc_id",
    "doc_title",
    "doc_number",
    "label",
    "path",
    "text",
    "units",
    "citation",
)


def short_hash(*parts: str, n: int = 12) -> str:
    h = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()
    return h[:n]


def make_doc_id(title: str, doc_number: str | None, version_date: str | None = None, part: str | None = None) -> str:
    """A document's identity is its title, 文号, version and part, not the file it came in.

    The same plan as .txt, .docx or .pdf is one document; re-ingesting it in
    another format replaces it rather than duplicating every clause. Two versions
    of one law (民事诉讼法 as amended in 2021 and in 2023) share title and 文号 and
    are two documents, and so are two files holding parts of one law (民法典's
    物权编 and 合同编); a text that states neither keeps the id it always had.
    """
    extra = [x for x in (version_date, part) if x]
    return "d" + short_hash(title, doc_number or "", *extra, n=11)


@dataclass(frozen=True)
class DocumentMeta:
    doc_id: str
    title: str
    doc_number: str | None
    issuer: str | None
    date: str | None  # ISO yyyy-mm-dd, or None when the document doesn't say
    kind: str | None  # 实施方案 / 条例 / 办法 / 通知 ... or None
    path: str  # source file as given to ingest
    content_hash: str  # sha256 of the source file's bytes
    fmt: str  # txt / md / docx / pdf
    # ISO date of the latest adoption / amendment the 题注 states: which version of a law this is.
    # None when the document states none (plans, notices); records written before the field read as None.
    version_date: str | None = None
    # How a citation names this version (2024年修正 / 2022年修订 / 2020年通过), from the 题注 (index/history.py).
    edition: str | None = None
    part: str | None = None  # the part of a law a file holds (民法典 / 物权编): versions are per law and part
    effective_date: str | None = None  # the 施行 date the document states
    repeals: tuple[str, ...] = ()  # titles the document says it repeals (《A》同时废止), see index/versions.py
    # Provenance: how the document arrived (ORIGIN_*), who added it (the login user of an upload, the system user
    # of a CLI import) and when (ISO time). None in records written before these fields existed.
    origin: str | None = None
    added_by: str | None = None
    added_at: str | None = None
    # Labels of the clauses whose text addresses the assistant (index/trust.py): never quoted, listed in the library.
    flagged: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["repeals"] = list(self.repeals)
        d["flagged"] = list(self.flagged)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "DocumentMeta":
        """Tolerant of records written by earlier versions (fields missing) and later ones (fields unknown)."""
        kw = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        kw["repeals"] = tuple(kw.get("repeals") or ())
        kw["flagged"] = tuple(kw.get("flagged") or ())
        for k in ("doc_id", "title", "path", "content_hash", "fmt"):
            kw.setdefault(k, "")
        for k in ("doc_number", "issuer", "date", "kind"):
            kw.setdefault(k, None)
        return cls(**kw)


@dataclass(frozen=True)
class Origin:
    """How the documents of one ingest arrive: stamped into each document's DocumentMeta."""

    kind: str  # ORIGIN_CORPUS / ORIGIN_CLI / ORIGIN_UPLOAD
    user: str | None = None
    at: str | None = None  # ISO time; now when None

    def stamp(self, meta: "DocumentMeta") -> "DocumentMeta":
        from dataclasses import replace
        from datetime import datetime

        return replace(meta, origin=self.kind, added_by=self.user,
                       added_at=self.at or datetime.now().astimezone().isoformat(timespec="seconds"))


@dataclass(frozen=True)
class Clause:
    """One citable unit of one document."""

    clause_id: str
    doc_id: str
    doc_title: str
    doc_number: str | None
    label: str  # 二（一）1 / 第十八条 / 附件1 第12项 / 印发通知 / 抄送
    path: tuple[str, ...]  # heading titles from the top level down to the clause
    text: str  # verbatim normalised clause text
    units: tuple[str, ...]  # responsible units
    citation: str  # formal reference to paste into a draft
    kind: str = KIND_ITEM
    order: int = 0  # position in document order
    span: tuple[int, int] = (0, 0)  # [start, end) in the normalised document text
    parent_id: str | None = None  # id of the enclosing section (not itself a clause)
    prev_id: str | None = None
    next_id: str | None = None
    # A clause longer than index.limits.MAX_CLAUSE_CHARS is stored as parts: same label, path and citation (with
    # 第k部分), the first part's id is the clause's, the others' ids extend it with -p2, -p3 …
    part: int = 0  # 0-based
    n_parts: int = 1

    def to_json(self) -> dict[str, Any]:
        """The public clause JSON (CLAUSE_JSON_FIELDS), lists not tuples."""
        d = {k: getattr(self, k) for k in CLAUSE_JSON_FIELDS}
        d["path"] = list(self.path)
        d["units"] = list(self.units)
        return d

    def to_record(self) -> dict[str, Any]:
        """Everything, for the on-disk clause store (a whole clause's record has no part fields, as before)."""
        d = asdict(self)
        d["path"] = list(self.path)
        d["units"] = list(self.units)
        d["span"] = list(self.span)
        if self.n_parts == 1:
            del d["part"], d["n_parts"]
        return d

    @classmethod
    def from_record(cls, d: dict[str, Any]) -> "Clause":
        kw = {k: d.get(k) for k in cls.__dataclass_fields__ if k in d}
        kw["path"] = tuple(d.get("path") or ())
        kw["units"] = tuple(d.get("units") or ())
        kw["span"] = tuple(d.get("span") or (0, 0))
        return cls(**kw)

    def header(self) -> str:
        """Contextual header prefixed to the embedded / BM25-indexed text."""
        return "《" + self.doc_title + "》" + " ".join(self.path)


@dataclass(frozen=True)
class Chunk:
    """What is embedded and BM25-indexed: a clause, or one part of a long clause."""

    chunk_id: str  # clause_id, or clause_id#pN for parts
    clause_id: str
    part: int  # 0-based
    n_parts: int
    text: str  # the part's own text (verbatim)
    index_text: str  # contextual header + text: what is embedded and tokenised


@dataclass(frozen=True)
class Hit:
    clause: Clause
    score: float
    rank: int  # 1-based
    lexical_rank: int | None = None
    dense_rank: int | None = None
    rerank_score: float | None = None

    def to_json(self) -> dict[str, Any]:
        d = self.clause.to_json()
        d["rank"] = self.rank
        d["score"] = round(float(self.score), 6)
        return d


@dataclass(frozen=True)
class IngestFailure:
    path: str
    error: str  # one line, Chinese, naming the reason and the fix


@dataclass(frozen=True)
class IngestReport:
    documents: int  # documents (re)indexed by this run
    clauses: int  # clauses written by this run
    skipped_unchanged: int
    failed: tuple[IngestFailure, ...] = ()
    warnings: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "clauses": self.clauses,
            "skipped_unchanged": self.skipped_unchanged,
            "failed": [{"path": f.path, "error": f.error} for f in self.failed],
            "warnings": list(self.warnings),
        }

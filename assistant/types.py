"""Typed values of the answering layer: citations, checked sentences, answers."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from index.models import Clause

REFUSAL_PREFIX = "现有文件中未找到"


@dataclass(frozen=True)
class Citation:
    n: int  # the [n] marker in the answer
    clause: Clause

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, **self.clause.to_json()}


@dataclass(frozen=True)
class Sentence:
    text: str  # with its [n] markers
    citations: tuple[int, ...]
    supported: bool
    reason: str | None = None  # why the guard rejected it

    def to_json(self) -> dict[str, Any]:
        d = {"text": self.text, "citations": list(self.citations), "supported": self.supported}
        if self.reason:
            d["reason"] = self.reason
        return d


@dataclass(frozen=True)
class Answer:
    question: str
    standalone_question: str
    answer: str  # with [n] markers matching `citations`
    citations: tuple[Citation, ...]
    sentences: tuple[Sentence, ...]
    refused: bool
    backend: str
    notice: str | None = None
    related: tuple[Clause, ...] = field(default=())  # 可能相关 when refused
    support: float | None = None  # how well the best clause covers the question (the refusal decision's input)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "standalone_question": self.standalone_question,
            "answer": self.answer,
            "citations": [c.to_json() for c in self.citations],
            "refused": self.refused,
            "sentences": [s.to_json() for s in self.sentences],
            "backend": self.backend,
            "notice": self.notice,
            "related": [c.to_json() for c in self.related],
            "support": self.support,
        }


@dataclass(frozen=True)
class Draft:
    """A backend's answer before verification: text with [n] markers into the numbered context."""

    text: str
    backend: str
    notice: str | None = None


@dataclass(frozen=True)
class LookupRow:
    """One clause a lookup shows."""

    clause: Clause
    score: float | None = None  # relevance of a ranked result; None for a clause a reference names
    focus: str | None = None  # the 款 or 项 the reference names inside the clause
    status: str | None = None  # its document's status when not in force (已废止（…）), else None

    def to_json(self) -> dict[str, Any]:
        return dict(self.clause.to_json(), score=self.score, focus=self.focus, status=self.status)


@dataclass(frozen=True)
class Lookup:
    """What 条款查找 shows for a query: the clauses a reference names (exact), or ranked clauses, and one line
    when the reference names nothing that exists or a name that fits several laws."""

    query: str
    rows: tuple[LookupRow, ...]
    exact: bool
    message: str | None = None
    notes: tuple[str, ...] = ()  # a named document's status when it is not in force

    @property
    def clauses(self) -> list[Clause]:
        return [r.clause for r in self.rows]

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "exact": self.exact, "message": self.message, "notes": list(self.notes),
                "results": [r.to_json() for r in self.rows]}

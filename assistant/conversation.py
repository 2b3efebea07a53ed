"""Conversations as the app keeps them: typed turns (question, answer, its own citations, feedback) and the
history of past conversations, stored in the browser (or per user on the server when login is on).

Stored values come back from the browser, so `from_json` accepts only what it can read and bounds its size.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Mapping

VERSION = 1
HISTORY_DIR = "history"  # <store>/history/<user hash>.json when login is on
MAX_CONVERSATIONS = 50  # the oldest is dropped when a new one would exceed this
MAX_TURNS = 100  # per conversation; the oldest turns are dropped
MAX_CITES = 30  # per answer
MAX_FIELD_CHARS = 20_000  # one clause text, one answer
TITLE_CHARS = 30


def _s(v: Any, limit: int = MAX_FIELD_CHARS) -> str:
    return str(v)[:limit] if v is not None else ""


def _opt(v: Any) -> str | None:
    return _s(v) if v not in (None, "") else None


@dataclass(frozen=True)
class CitedClause:
    """A clause as the answer cited it, kept with the turn so it survives re-indexing and removal."""

    n: int  # the [n] marker; 0 for a 可能相关 clause of a refusal
    clause_id: str
    doc_title: str
    doc_number: str | None
    label: str
    citation: str  # the formal citation a drafter pastes
    text: str
    units: tuple[str, ...] = ()

    @classmethod
    def from_clause(cls, n: int, c: Any) -> "CitedClause":
        return cls(n, c.clause_id, c.doc_title, c.doc_number, c.label, c.citation, c.text, tuple(c.units))

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "clause_id": self.clause_id, "doc_title": self.doc_title, "doc_number": self.doc_number,
                "label": self.label, "citation": self.citation, "text": self.text, "units": list(self.units)}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "CitedClause":
        return cls(int(d.get("n") or 0), _s(d.get("clause_id"), 200), _s(d.get("doc_title"), 500), _opt(d.get("doc_number")),
                   _s(d.get("label"), 200), _s(d.get("citation"), 1000), _s(d.get("text")),
                   tuple(_s(u, 200) for u in (d.get("units") or ())[:50]))


@dataclass(frozen=True)
class Sentence:
    text: str  # with its [n] markers
    citations: tuple[int, ...]
    supported: bool = True
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "citations": list(self.citations), "supported": self.supported, "reason": self.reason}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Sentence":
        return cls(_s(d.get("text")), tuple(int(n) for n in (d.get("citations") or ())[:MAX_CITES]),
                   bool(d.get("supported", True)), _opt(d.get("reason")))


@dataclass(frozen=True)
class Turn:
    id: str  # the answer's id in the audit log (feedback refers to it)
    question: str
    answer: str  # with [n] markers
    citations: tuple[CitedClause, ...] = ()
    sentences: tuple[Sentence, ...] = ()
    related: tuple[CitedClause, ...] = ()  # 可能相关 when refused
    refused: bool = False
    notice: str | None = None
    standalone_question: str = ""
    time: str = ""
    feedback: str | None = None  # up / down
    comment: str = ""

    @classmethod
    def from_answer(cls, answer_id: str, ans: Any) -> "Turn":
        """A turn from an `assistant.types.Answer`."""
        return cls(
            id=answer_id, question=ans.question, answer=ans.answer,
            citations=tuple(CitedClause.from_clause(c.n, c.clause) for c in ans.citations[:MAX_CITES]),
            sentences=tuple(Sentence(s.text, tuple(s.citations), s.supported, s.reason) for s in ans.sentences),
            related=tuple(CitedClause.from_clause(0, c) for c in ans.related[:MAX_CITES]),
            refused=bool(ans.refused), notice=ans.notice, standalone_question=ans.standalone_question,
            time=datetime.now().astimezone().isoformat(timespec="seconds"),
        )

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "question": self.question, "answer": self.answer,
                "citations": [c.to_json() for c in self.citations], "sentences": [s.to_json() for s in self.sentences],
                "related": [c.to_json() for c in self.related], "refused": self.refused, "notice": self.notice,
                "standalone_question": self.standalone_question, "time": self.time, "feedback": self.feedback,
                "comment": self.comment}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Turn":
        fb = d.get("feedback")
        return cls(
            id=_s(d.get("id"), 64), question=_s(d.get("question")), answer=_s(d.get("answer")),
            citations=tuple(CitedClause.from_json(c) for c in (d.get("citations") or ())[:MAX_CITES]),
            sentences=tuple(Sentence.from_json(s) for s in (d.get("sentences") or ())[:200]),
            related=tuple(CitedClause.from_json(c) for c in (d.get("related") or ())[:MAX_CITES]),
            refused=bool(d.get("refused")), notice=_opt(d.get("notice")),
            standalone_question=_s(d.get("standalone_question")), time=_s(d.get("time"), 40),
            feedback=fb if fb in ("up", "down") else None, comment=_s(d.get("comment"), 1000),
        )

    def history_messages(self) -> list[dict[str, str]]:
        return [{"role": "user", "content": self.question}, {"role": "assistant", "content": self.answer}]


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    updated: str
    turns: tuple[Turn, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "updated": self.updated, "turns": [t.to_json() for t in self.turns]}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Conversation":
        turns = tuple(Turn.from_json(t) for t in (d.get("turns") or ())[-MAX_TURNS:] if isinstance(t, Mapping))
        return cls(_s(d.get("id"), 64) or uuid.uuid4().hex, _s(d.get("title"), 200), _s(d.get("updated"), 40), turns)

    def history_messages(self) -> list[dict[str, str]]:
        return [m for t in self.turns for m in t.history_messages()]


@dataclass(frozen=True)
class History:
    """All conversations of one browser (or one user), most recently updated first; `current` is the open one."""

    conversations: tuple[Conversation, ...] = ()
    current: str | None = None
    user: str | None = None  # whose history this is when login is on

    # ---- reading ----------------------------------------------------------------------------
    @property
    def open(self) -> Conversation | None:
        return next((c for c in self.conversations if c.id == self.current), None)

    @property
    def turns(self) -> tuple[Turn, ...]:
        conv = self.open
        return conv.turns if conv else ()

    def choices(self) -> list[tuple[str, str]]:
        """(label, id) for a dropdown: date, title and number of questions."""
        return [(f"{c.updated[5:16].replace('T', ' ')} {c.title}（{len(c.turns)} 问）", c.id) for c in self.conversations]

    # ---- changes (each returns a new History) ------------------------------------------------
    def add_turn(self, turn: Turn) -> "History":
        now = datetime.now().astimezone().isoformat(timespec="seconds")
        conv = self.open or Conversation(uuid.uuid4().hex, _title(turn.question), now)
        conv = replace(conv, turns=(conv.turns + (turn,))[-MAX_TURNS:], updated=now)
        others = tuple(c for c in self.conversations if c.id != conv.id)
        return replace(self, conversations=((conv,) + others)[:MAX_CONVERSATIONS], current=conv.id)

    def drop_last_turn(self) -> "History":
        conv = self.open
        if conv is None or not conv.turns:
            return self
        return self._replace_open(replace(conv, turns=conv.turns[:-1]))

    def with_feedback(self, turn_id: str, value: str, comment: str = "") -> "History":
        conv = self.open
        if conv is None:
            return self
        turns = tuple(replace(t, feedback=value, comment=comment) if t.id == turn_id else t for t in conv.turns)
        return self._replace_open(replace(conv, turns=turns))

    def switch(self, conv_id: str | None) -> "History":
        return replace(self, current=conv_id if any(c.id == conv_id for c in self.conversations) else None)

    def new(self) -> "History":
        return replace(self, current=None)

    def delete(self, conv_id: str | None) -> "History":
        convs = tuple(c for c in self.conversations if c.id != conv_id)
        return replace(self, conversations=convs, current=None if self.current == conv_id else self.current)

    def clear(self) -> "History":
        return replace(self, conversations=(), current=None)

    def _replace_open(self, conv: Conversation) -> "History":
        convs = tuple(conv if c.id == conv.id else c for c in self.conversations)
        return replace(self, conversations=convs if conv.turns else tuple(c for c in convs if c.id != conv.id),
                       current=conv.id if conv.turns else None)

    # ---- storage ---------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {"v": VERSION, "user": self.user, "current": self.current,
                "conversations": [c.to_json() for c in self.conversations]}

    @classmethod
    def from_json(cls, d: Any) -> "History":
        """What a browser (or a user file) holds; anything unreadable becomes an empty history, never an error."""
        if not isinstance(d, Mapping) or d.get("v") != VERSION:
            return cls()
        convs: list[Conversation] = []
        for c in (d.get("conversations") or ())[:MAX_CONVERSATIONS]:
            if isinstance(c, Mapping):
                try:
                    conv = Conversation.from_json(c)
                except (TypeError, ValueError):
                    continue
                if conv.turns:
                    convs.append(conv)
        current = d.get("current") if any(c.id == d.get("current") for c in convs) else None
        return cls(tuple(convs), current, _opt(d.get("user")))


def _title(question: str) -> str:
    q = " ".join(question.split())
    return q if len(q) <= TITLE_CHARS else q[:TITLE_CHARS] + "…"


def turns_from_json(items: Iterable[Any]) -> list[Turn]:
    return [Turn.from_json(t) for t in items if isinstance(t, Mapping)]


class UserHistories:
    """Per-user history files on the server (login on): the browser keeps nothing, any browser sees the same."""

    def __init__(self, store: str | Path) -> None:
        self.dir = Path(store) / HISTORY_DIR
        self._lock = threading.Lock()

    def _path(self, user: str) -> Path:
        return self.dir / (hashlib.sha256(user.encode("utf-8")).hexdigest()[:24] + ".json")

    def load(self, user: str) -> History:
        try:
            data = json.loads(self._path(user).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return History(user=user)
        h = History.from_json(data)
        return h if h.user == user else History(user=user)

    def save(self, user: str, history: History) -> None:
        path = self._path(user)
        with self._lock:
            self.dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(replace(history, user=user).to_json(), ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)


__all__ = ["CitedClause", "Conversation", "History", "Sentence", "Turn", "UserHistories"]

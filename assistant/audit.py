"""The audit log: one JSON line per answer and per feedback, appended under <store>/audit/, rotated by size.

Records which clauses (and which version of each document) every answer relied on, who asked (when login is
on), and what the asker thought of it. Writers in any number of threads and processes append whole lines: each
line is one `os.write` on an O_APPEND descriptor while holding the log's file lock, so lines never interleave.
"""
from __future__ import annotations

import csv
import json
import os
import threading
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

AUDIT_DIR = "audit"
LOG_NAME = "audit.jsonl"
LOCK_NAME = "audit.lock"
ROTATED_GLOB = "audit-*.jsonl"
MAX_BYTES = 10 * 1024 * 1024  # the current file is renamed aside before a line would take it past this
LOCK_TIMEOUT_S = 30.0
# Bounds on what one line carries: a pasted document as a question must not make a 1 MB line.
MAX_TEXT_CHARS = 2000
MAX_HISTORY_MESSAGES = 6
MAX_CITATIONS = 50
FEEDBACK_VALUES = ("up", "down")

KIND_ANSWER = "answer"
KIND_FEEDBACK = "feedback"


class AuditError(RuntimeError):
    """The audit log can't be written or read; str(e) is one Chinese line with the fix."""


@dataclass(frozen=True)
class CitedClause:
    n: int
    clause_id: str
    doc_id: str
    doc_version: str | None  # the source file's content hash when the answer was given
    citation: str


@dataclass(frozen=True)
class AnswerRecord:
    id: str
    time: str  # ISO 8601 with the local offset
    user: str | None
    via: str  # chat / api / cli
    question: str
    standalone_question: str
    history: tuple[dict, ...]
    backend: str
    mode: str  # lexical / hybrid
    refused: bool
    citations: tuple[CitedClause, ...]
    latency_ms: int
    answer: str
    kind: str = KIND_ANSWER

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FeedbackRecord:
    answer_id: str
    time: str
    user: str | None
    value: str  # up / down
    comment: str
    kind: str = KIND_FEEDBACK

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AuditEntry:
    """An answer with the latest feedback given on it (what `audit` lists and exports)."""

    answer: AnswerRecord
    feedback: FeedbackRecord | None = None


@dataclass
class ReadReport:
    entries: list[AuditEntry] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)  # "FILE:LINE" of lines that are not a record


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


def _clip(text: str | None, limit: int = MAX_TEXT_CHARS) -> str:
    text = text or ""
    return text if len(text) <= limit else text[:limit] + "…"


def answer_record(answer: Any, *, user: str | None, via: str, mode: str, latency_s: float,
                  history: Sequence[Mapping[str, Any]] = (), versions: Mapping[str, str] | None = None) -> AnswerRecord:
    """The record of one `Answer` (assistant.types) as given: cited clauses with their document versions."""
    versions = versions or {}
    cited = tuple(CitedClause(c.n, c.clause.clause_id, c.clause.doc_id, versions.get(c.clause.doc_id), c.clause.citation)
                  for c in answer.citations[:MAX_CITATIONS])
    turns = tuple({"role": str(m.get("role")), "content": _clip(str(m.get("content") or ""), 500)}
                  for m in list(history)[-MAX_HISTORY_MESSAGES:])
    return AnswerRecord(
        id=uuid.uuid4().hex, time=now_iso(), user=user, via=via, question=_clip(answer.question),
        standalone_question=_clip(answer.standalone_question), history=turns, backend=answer.backend, mode=mode,
        refused=bool(answer.refused), citations=cited, latency_ms=round(latency_s * 1000), answer=_clip(answer.answer),
    )


class AuditLog:
    """Append and read the audit log of one store."""

    def __init__(self, store: str | Path, max_bytes: int = MAX_BYTES) -> None:
        self.dir = Path(store) / AUDIT_DIR
        self.path = self.dir / LOG_NAME
        self.max_bytes = max_bytes
        self._thread_lock = threading.Lock()  # threads of one process queue here before the file lock

    # ---- writing ------------------------------------------------------------------------
    def record_answer(self, record: AnswerRecord) -> str:
        self._append(record.to_json())
        return record.id

    def record_feedback(self, answer_id: str, value: str, comment: str = "", user: str | None = None) -> FeedbackRecord:
        if value not in FEEDBACK_VALUES:
            raise ValueError(f"feedback must be one of {FEEDBACK_VALUES}, not {value!r}")
        rec = FeedbackRecord(answer_id=str(answer_id)[:64], time=now_iso(), user=user, value=value,
                             comment=_clip((comment or "").strip(), 1000))
        self._append(rec.to_json())
        return rec

    def _append(self, record: dict[str, Any]) -> None:
        from filelock import FileLock, Timeout

        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            with self._thread_lock, FileLock(str(self.dir / LOCK_NAME), timeout=LOCK_TIMEOUT_S):
                self._rotate_if_full(len(line))
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
                try:
                    written = os.write(fd, line)
                    while written < len(line):  # a regular file takes it whole; finish it under the lock if not
                        written += os.write(fd, line[written:])
                finally:
                    os.close(fd)
        except Timeout as e:
            raise AuditError(f"审计日志 {self.path} 被其他进程锁定超过 {LOCK_TIMEOUT_S:.0f} 秒；请检查是否有卡住的进程") from e
        except OSError as e:
            raise AuditError(f"无法写入审计日志 {self.path}（{e.strerror or e}）；请检查该目录的权限和磁盘空间") from e

    def _rotate_if_full(self, incoming: int) -> None:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size and size + incoming > self.max_bytes:
            stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
            os.replace(self.path, self.dir / f"audit-{stamp}.jsonl")

    # ---- reading ------------------------------------------------------------------------
    def files(self) -> list[Path]:
        """Rotated files oldest first (their names sort by time), then the current one."""
        if not self.dir.is_dir():
            return []
        rotated = sorted(self.dir.glob(ROTATED_GLOB))
        return rotated + ([self.path] if self.path.exists() else [])

    def records(self) -> Iterator[tuple[str, dict[str, Any] | None]]:
        """("FILE:LINE", record or None when the line is not a JSON object) for every line, oldest first."""
        for path in self.files():
            with open(path, encoding="utf-8", errors="replace") as f:
                for no, raw in enumerate(f, 1):
                    if not raw.strip():
                        continue
                    where = f"{path.name}:{no}"
                    try:
                        rec = json.loads(raw)
                    except ValueError:
                        yield where, None
                        continue
                    yield where, rec if isinstance(rec, dict) else None

    def read(self, since: datetime | None = None) -> ReadReport:
        """Answers (at or after `since`) with their latest feedback."""
        report = ReadReport()
        answers: dict[str, AnswerRecord] = {}
        feedback: dict[str, FeedbackRecord] = {}
        for where, rec in self.records():
            try:
                if rec is None:
                    raise ValueError(where)
                if rec.get("kind") == KIND_FEEDBACK:
                    fb = _feedback_from_json(rec)
                    feedback[fb.answer_id] = fb
                elif rec.get("kind") == KIND_ANSWER:
                    ans = _answer_from_json(rec)
                    if since is None or _parse_time(ans.time) >= since:
                        answers[ans.id] = ans
                else:
                    raise ValueError(where)
            except (ValueError, TypeError, KeyError):
                report.malformed.append(where)
        report.entries = [AuditEntry(a, feedback.get(a.id)) for a in answers.values()]
        return report


def _answer_from_json(d: dict[str, Any]) -> AnswerRecord:
    cited = tuple(CitedClause(int(c["n"]), str(c["clause_id"]), str(c["doc_id"]), c.get("doc_version"), str(c["citation"]))
                  for c in d["citations"])
    _parse_time(d["time"])
    return AnswerRecord(
        id=str(d["id"]), time=str(d["time"]), user=d.get("user"), via=str(d.get("via") or ""),
        question=str(d["question"]), standalone_question=str(d.get("standalone_question") or d["question"]),
        history=tuple(h for h in d.get("history") or () if isinstance(h, dict)), backend=str(d["backend"]),
        mode=str(d.get("mode") or ""), refused=bool(d["refused"]), citations=cited,
        latency_ms=int(d.get("latency_ms") or 0), answer=str(d.get("answer") or ""),
    )


def _feedback_from_json(d: dict[str, Any]) -> FeedbackRecord:
    if d.get("value") not in FEEDBACK_VALUES:
        raise ValueError(d.get("value"))
    _parse_time(d["time"])
    return FeedbackRecord(answer_id=str(d["answer_id"]), time=str(d["time"]), user=d.get("user"),
                          value=str(d["value"]), comment=str(d.get("comment") or ""))


def _parse_time(text: str) -> datetime:
    t = datetime.fromisoformat(text)
    return t if t.tzinfo else t.astimezone()


def parse_since(text: str) -> datetime:
    """`--since`: a date (2026-12-01, from local midnight) or an ISO date-time; ValueError with a Chinese message."""
    try:
        if len(text.strip()) == 10:
            return datetime.combine(date.fromisoformat(text.strip()), time()).astimezone()
        return _parse_time(text.strip())
    except ValueError as e:
        raise ValueError(f"无法识别的日期“{text}”：请写成 2026-12-01 或 2026-12-01T09:30") from e


# ---- exports ------------------------------------------------------------------------------

CSV_COLUMNS = ("time", "user", "via", "question", "standalone_question", "backend", "mode", "refused",
               "latency_ms", "citations", "clause_ids", "doc_versions", "feedback", "comment", "id")


def csv_row(e: AuditEntry) -> dict[str, Any]:
    a = e.answer
    return {
        "time": a.time, "user": a.user or "", "via": a.via, "question": a.question,
        "standalone_question": a.standalone_question, "backend": a.backend, "mode": a.mode,
        "refused": "是" if a.refused else "否", "latency_ms": a.latency_ms,
        "citations": "\n".join(f"[{c.n}] {c.citation}" for c in a.citations),
        "clause_ids": " ".join(c.clause_id for c in a.citations),
        "doc_versions": " ".join(sorted({f"{c.doc_id}@{(c.doc_version or '?')[:12]}" for c in a.citations})),
        "feedback": {"up": "👍", "down": "👎"}.get(e.feedback.value, "") if e.feedback else "",
        "comment": e.feedback.comment if e.feedback else "", "id": a.id,
    }


def write_csv(entries: Iterable[AuditEntry], path: str | Path) -> int:
    """UTF-8 with a BOM, so Excel and WPS open the Chinese text correctly; returns the number of rows."""
    n = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        w.writeheader()
        for e in entries:
            w.writerow(csv_row(e))
            n += 1
    return n


def eval_candidates(entries: Iterable[AuditEntry]) -> list[dict[str, Any]]:
    """Answers marked 👎 as items in the eval JSON Lines format (eval/dataset.py): question and history are
    filled in; evidence and answer_facts are left for the maintainer who reviews the candidate."""
    items = []
    for e in entries:
        if not e.feedback or e.feedback.value != "down":
            continue
        a = e.answer
        titles = list(dict.fromkeys(c.citation.split("》")[0].lstrip("《") for c in a.citations if c.citation.startswith("《")))
        note = f"👎 {e.feedback.time}" + (f"（{e.feedback.user}）" if e.feedback.user else "")
        if e.feedback.comment:
            note += f"：{e.feedback.comment}"
        note += f"｜当时的回答：{a.answer}"
        item: dict[str, Any] = {"id": f"fb-{a.id[:12]}", "question": a.question, "category": "feedback",
                                "evidence": [], "answer_facts": [],
                                "doc": titles[0] if len(titles) == 1 else (titles or None), "note": note}
        history = [h for h in a.history if h.get("role") in ("user", "assistant") and str(h.get("content") or "").strip()]
        if history:
            item["history"] = [{"role": h["role"], "content": h["content"]} for h in history]
        items.append(item)
    return items


def write_jsonl(items: Iterable[dict[str, Any]], path: str | Path) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
            n += 1
    return n


def log_answer(log: AuditLog, assistant: Any, answer: Any, *, user: str | None, via: str, latency_s: float,
               history: Sequence[Mapping[str, Any]] = ()) -> str:
    """Record an answer the `Assistant` gave, with the retrieval mode and the cited documents' versions."""
    versions = {m.doc_id: m.content_hash for m, _ in assistant.documents()}
    mode = "hybrid" if assistant.mode().dense else "lexical"
    return log.record_answer(answer_record(answer, user=user, via=via, mode=mode, latency_s=latency_s,
                                           history=history, versions=versions))

"""The Assistant: the one service object that the CLI, app.py and eval/ call."""
from __future__ import annotations

import getpass
import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from assistant.progress import stage_bars
from assistant.settings import Settings, load_settings
from assistant.types import Answer, Lookup
from index.failures import QUARANTINE, FailedFile, FailedFiles, file_hash
from index.loaders import iter_document_paths
from index.models import ORIGIN_CLI, ORIGIN_CORPUS, ORIGIN_UPLOAD, Clause, DocumentMeta, Hit, IngestReport, Origin
from index.store.clause_index import ClauseIndex, Progress, RetrievalMode
from index.versions import STATUS_CURRENT, Validity

if TYPE_CHECKING:
    from assistant.drafting.types import Comparison, DraftTable, Target, UnitTasks


from assistant.mechanisms import MECHANISMS, REFUSE_BELOW, unknown_mechanisms

# stage_bars: the ingest progress callback the CLI and eval pass; MECHANISMS / REFUSE_BELOW / unknown_mechanisms:
# the answer path's switches and refusal threshold, for ablations and calibration
__all__ = ["Assistant", "stage_bars", "MECHANISMS", "REFUSE_BELOW", "unknown_mechanisms"]
logger = logging.getLogger(__name__)


def _system_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's arbitrary uid)
        return None


def _merged(reports: list[IngestReport]) -> IngestReport:
    first, *rest = reports
    for r in rest:
        first = replace(first, documents=first.documents + r.documents, clauses=first.clauses + r.clauses,
                        skipped_unchanged=first.skipped_unchanged + r.skipped_unchanged,
                        failed=first.failed + r.failed, warnings=first.warnings + r.warnings,
                        doc_ids=first.doc_ids + r.doc_ids)
    return first


class Assistant:
    """Owns the clause index (and, for answering, the answer backend)."""

    def __init__(self, settings: Settings | None = None, **overrides: object) -> None:
        self.settings = settings or load_settings(**overrides)
        s = self.settings
        self.index = ClauseIndex(
            s.store, embed_model=s.embed_model, rerank_model=s.rerank_model, lexical_only=s.retrieval == "lexical",
            max_chunk_chars=s.max_chunk_chars, rrf_k=s.rrf_k, candidates=s.candidates, rerank_top_n=s.rerank_top_n,
            chroma_url=s.chroma_url, embed_device=s.embed_device, embed_batch_size=s.embed_batch_size,
            characters="characters" not in (s.disabled or ()),
        )

    # ---- documents ----------------------------------------------------------------------
    def ingest(self, paths: Iterable[str | Path] | None = None, progress: Progress | None = None,
               origin: Origin | None = None) -> IngestReport:
        """Import files and folders (default: the shipped corpus). Files that fail are remembered by content hash
        (reindex skips them); a file that imports clears its record."""
        targets = list(paths) if paths else [self.settings.corpus]
        origin = origin or Origin(ORIGIN_CORPUS if not paths else ORIGIN_CLI, _system_user() if paths else None)
        files, _ = iter_document_paths(targets)
        hashes = {str(f): file_hash(f) for f in files}
        report = self.index.ingest(targets, progress, origin)
        self._remember(report, hashes)
        return report

    def reindex(self, progress: Progress | None = None) -> tuple[IngestReport, list[FailedFile]]:
        """重新索引: the shipped corpus and the uploads again, skipping every file that failed before (a file that
        blew up a parser is not fed to it again unless someone imports it by name). Returns the report and the
        files skipped for an earlier failure."""
        failed = FailedFiles(self.settings.store)
        known = failed.read()
        corpus, _ = iter_document_paths([self.settings.corpus])
        uploads, _ = iter_document_paths([self.uploads_dir]) if self.uploads_dir.exists() else ([], [])
        skipped: list[FailedFile] = []
        batches: dict[str, list[Path]] = {ORIGIN_CORPUS: [], ORIGIN_UPLOAD: []}
        hashes: dict[str, str | None] = {}
        for kind, files in ((ORIGIN_CORPUS, corpus), (ORIGIN_UPLOAD, uploads)):
            for f in files:
                h = hashes[str(f)] = file_hash(f)
                if h in known:
                    skipped.append(known[h])
                else:
                    batches[kind].append(f)
        reports = [self.index.ingest(batches[ORIGIN_CORPUS], progress, Origin(ORIGIN_CORPUS))]
        if batches[ORIGIN_UPLOAD]:  # provenance of an upload is kept by the index for documents it already holds
            reports.append(self.index.ingest(batches[ORIGIN_UPLOAD], progress, Origin(ORIGIN_UPLOAD)))
        report = _merged(reports)
        self._remember(report, hashes)
        return report, skipped

    def _remember(self, report: IngestReport, hashes: dict[str, str | None]) -> None:
        failed = {hashes[f.path]: (Path(f.path).name, f.error) for f in report.failed if hashes.get(f.path)}
        failed_paths = {f.path for f in report.failed}
        done = {h for p, h in hashes.items() if h and p not in failed_paths}
        try:
            FailedFiles(self.settings.store).update(failed, done)
        except OSError as e:  # the record is a convenience; the import itself has been reported
            logger.warning("无法记录导入失败的文件（%s）", e.strerror or e)

    def ensure_corpus(self, progress: Progress | None = None) -> IngestReport | None:
        """Ingest the shipped corpus when the store is empty (first start)."""
        if self.index.documents():
            return None
        return self.ingest(None, progress)

    def remove(self, doc: str) -> DocumentMeta:
        return self.index.remove(doc)

    def documents(self) -> list[tuple[DocumentMeta, int]]:
        return self.index.documents()

    def clauses(self, doc: str) -> list[Clause]:
        return self.index.clauses(doc)

    def mode(self) -> RetrievalMode:
        return self.index.mode()

    # ---- retrieval ----------------------------------------------------------------------
    def search(self, query: str, k: int | None = None, doc: str | Sequence[str] | None = None) -> list[Hit]:
        """Clauses ranked for a question or keywords, as the answer path ranks its evidence."""
        from assistant.answering import search

        return search(self, query, k or self.settings.top_k, doc)

    # ---- answering ----------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[dict] | None = None, backend: str | None = None,
            k: int | None = None) -> Answer:
        """Condense → retrieve → answer → verify. Never raises for model faults: falls back to extractive."""
        from assistant.answering import answer_question

        return answer_question(self, question, history, backend or self.settings.backend, k or self.settings.top_k)

    def ask_stream(self, question: str, history: Sequence[dict] | None = None, backend: str | None = None,
                   k: int | None = None) -> Iterator[str | Answer]:
        """Partial text while an LLM streams, then the verified Answer (which may differ: the guard edits)."""
        from assistant.answering import stream_answer

        yield from stream_answer(self, question, history, backend or self.settings.backend, k or self.settings.top_k)

    # ---- drafting lookup and uploads ----------------------------------------------------
    def lookup(self, query: str, doc: str | None = None, k: int = 10) -> Lookup:
        """A reference → the clauses it names: 《title》第X条第Y款 (and the citations this product prints), a short
        title (大气污染防治条例 第十八条; one that fits several laws lists them by place), a 文号 with or without a
        clause path, 嘉定 二（一）1, 第十八条 within `doc`, a stated version (2020年版 / 修订前). A reference to
        something that does not exist → one line saying so. Anything else → ranked search (in the document a
        reference named, if any)."""
        from assistant.types import LookupRow

        r = self.index.resolve_reference(query, doc)
        if r.is_reference:
            rows = tuple(LookupRow(f.clause, None, f.focus, self._status(f.clause.doc_id)) for f in r.found)
            return Lookup(query, rows, True, r.message, r.notes)
        hits = self.index.search(query, k, list(r.docs) or doc)
        return Lookup(query, tuple(LookupRow(h.clause, h.score, None, self._status(h.clause.doc_id)) for h in hits),
                      False)

    def _status(self, doc_id: str) -> str | None:
        """A document's status line when it is not in force (已废止（…） / 已被修订（…）), else None."""
        line = self.index.status_line(doc_id)
        return None if line.startswith(STATUS_CURRENT) else line

    # ---- versions and status ------------------------------------------------------------
    def set_status(self, doc: str, status: str | None, note: str | None = None, by: str | None = None) -> Validity:
        """Mark a document 已废止 / 尚未施行 / 现行有效 (None clears the mark); the mark persists in the store."""
        return self.index.set_status(doc, status, note, by)

    def versions(self, doc: str) -> list[tuple[DocumentMeta, Validity]]:
        """Every version of a document's law in the store, oldest first, each with its status."""
        return [(m, self.index.validity(m.doc_id)) for m in self.index.versions(doc)]

    def library(self) -> list[tuple[DocumentMeta, int, Validity, str]]:
        """The documents with clause counts, status and the status line, for the library table and `docs`."""
        return [(m, n, self.index.validity(m.doc_id), self.index.status_line(m.doc_id)) for m, n in self.documents()]

    def neighbours(self, clause_id: str, n: int = 1) -> list[Clause]:
        return self.index.neighbours(clause_id, n)

    @property
    def uploads_dir(self) -> Path:
        return Path(self.settings.store) / "uploads"

    def add_files(self, files: Iterable[tuple[str, str]], progress: Progress | None = None,
                  user: str | None = None) -> tuple[IngestReport | None, list[str]]:
        """Store uploaded (temp_path, original_name) files safely and ingest them as uploads by `user`; returns the
        report and the rejections. An upload that fails to import is moved out of uploads/ into quarantine/, so
        重新索引 never reads it again."""
        from assistant.uploads import UploadRejected, quarantine, store_upload

        stored, rejected = [], []
        for src, name in files:
            try:
                stored.append(store_upload(src, name, self.uploads_dir, self.settings.max_upload_mb))
            except UploadRejected as e:
                rejected.append(str(e))
        if not stored:
            return None, rejected
        report = self.ingest(stored, progress, Origin(ORIGIN_UPLOAD, user))
        for f in report.failed:
            quarantine(Path(f.path), self.uploads_dir, Path(self.settings.store) / QUARANTINE)
        return report, rejected

    # ---- drafting: side by side, tasks by unit, targets (assistant/drafting/) ----------------
    def side_by_side(self, topic: str | None = None, clause: str | None = None,
                     docs: Sequence[str] | None = None) -> "Comparison":
        """对照: each document's provision on a topic (光伏装机) or on a picked clause's subject (嘉定 二（一）1),
        or 未找到. Default documents: every plan (for a picked clause: every document of its kind)."""
        from assistant.drafting.tools import side_by_side

        return side_by_side(self, topic, clause, docs)

    def unit_tasks(self, unit: str, docs: Sequence[str] | None = None, role: str | None = None) -> "UnitTasks":
        """按单位: every task the unit leads (牵头) or supports (配合), by document and clause; 区发改委 finds 区发展改革委."""
        from assistant.drafting.tools import unit_tasks

        return unit_tasks(self, unit, docs, role)

    def targets(self, docs: Sequence[str] | None = None, indicator: str | None = None, year: int | None = None,
                sort: str = "文件") -> list["Target"]:
        """指标: every quantified target in the chosen documents (default: every plan), annex tables included."""
        from assistant.drafting.tools import targets

        return targets(self, docs, indicator, year, sort)

    def export_table(self, table: "DraftTable", fmt: str, path: str | Path) -> Path:
        """Write a drafting table as .xlsx or .docx (citations in their own column)."""
        from assistant.drafting.export import export

        return export(table, fmt, path)

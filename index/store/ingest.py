"""The write path: files → prepared documents (index/store/prepare.py, in worker processes for large ingests)
→ committed batches of documents, clauses, chunks and postings.

Each batch (about COMMIT_CLAUSES clauses) is one SQLite transaction, so an interrupted ingest keeps every batch
it committed (the next ingest skips those files as unchanged) and a crash inside a batch leaves the previous
commit searchable. `ASSISTANT_CRASH_AT=early|mid|commit[:n]` kills the process that reaches that point the n-th
time (SIGKILL): the crash tests use it, nothing else sets it.
"""
from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from index.models import Clause, DocumentMeta, IngestFailure, IngestReport, Origin
from index.store import lexical, substrings
from index.store.db import GENERATION, NAMES, TOKENIZER, Database, get_meta, set_meta
from index.store.names import aliases_of, names_version
from index.store.prepare import Prepared, default_workers, prepare_clauses, prepare_many
from index.store.tokens import TOKENIZER_VERSION
from index.versions import law_key

Progress = Callable[[str, int, int], None]  # (stage, done, total)
COMMIT_CLAUSES = 20000  # clauses per transaction: bounds memory and what an interrupted ingest loses
CRASH_ENV = "ASSISTANT_CRASH_AT"
STAGE_PARSE = "解析文件"
STAGE_INDEX = "建立关键词索引"
REASON_NO_CLAUSES = "未能从文件中解析出任何条款文本，请检查文件内容"
_passes: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Fault injection for the kill -9 tests (see the module docstring)."""
    want = os.environ.get(CRASH_ENV)
    if not want:
        return
    point, _, nth = want.partition(":")
    if point != name:
        return
    _passes[name] = _passes.get(name, 0) + 1
    if _passes[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def ingest(db: Database, paths: Sequence[str | Path], *, max_chunk_chars: int, commit_clauses: int = COMMIT_CLAUSES,
           workers: int | None = None, progress: Progress | None = None, origin: Origin | None = None) -> IngestReport:
    from index.loaders import iter_document_paths

    with db.read() as conn:
        rows = conn.execute("SELECT doc_id, meta FROM documents").fetchall()
    metas = {d: DocumentMeta.from_json(json.loads(m)) for d, m in rows}
    by_path = {m.path: d for d, m in metas.items()}
    files, bad = iter_document_paths(list(paths))
    failures = [IngestFailure(p, r) for p, r in bad]
    warnings: list[str] = []
    skipped = 0
    written: dict[str, int] = {}  # doc_id → clauses, over all batches (a later file of the same document wins)
    batch: dict[str, Prepared] = {}
    dropped: set[str] = set()
    pending = 0  # clauses in the batch
    known = frozenset(m.content_hash for m in metas.values())
    for n, (f, result) in enumerate(prepare_many(files, known, max_chunk_chars, workers or default_workers(), origin)):
        if progress:
            progress(STAGE_PARSE, n, len(files))
        if result[0] == "failed":
            failures.append(IngestFailure(str(f), result[1]))
            continue
        if result[0] == "skipped":
            skipped += 1
            continue
        if result[0] == "empty":
            failures.append(IngestFailure(str(f), REASON_NO_CLAUSES))
            continue
        doc, doc_warnings = result[1], result[2]
        warnings.extend(f"{f}: {w}" for w in doc_warnings)
        old = by_path.get(str(f))
        if old and old != doc.meta.doc_id and law_key(metas[old]) != law_key(doc.meta):
            dropped.add(old)  # the same file now parses as another document (its title changed)
        # (a file that now holds another version of its law adds that version: no version is ever lost)
        same = metas.get(doc.meta.doc_id)
        if same and same.path != doc.meta.path:
            warnings.append(f"{f}: 与已导入的 {same.path} 是同一文件（标题、文号与版本相同），已用新文件替换")
        batch[doc.meta.doc_id] = doc
        metas[doc.meta.doc_id] = doc.meta
        written[doc.meta.doc_id] = len(doc.clauses)
        pending += len(doc.clauses)
        if pending >= commit_clauses:
            commit(db, batch, dropped, progress)
            batch, dropped, pending = {}, set(), 0
    if progress:
        progress(STAGE_PARSE, len(files), len(files))
    if batch or dropped:
        commit(db, batch, dropped, progress)
    return IngestReport(len(written), sum(written.values()), skipped, tuple(failures), tuple(warnings), tuple(written))


def commit(db: Database, docs: dict[str, Prepared], dropped: set[str], progress: Progress | None = None) -> None:
    """One transaction: drop the replaced and dropped documents, add `docs`, index them, bump the generation."""
    n_clauses = sum(len(d.clauses) for d in docs.values())
    if progress:
        progress(STAGE_INDEX, 0, n_clauses)
    with db.write() as tx:
        conn = tx.conn
        gone = remove_documents(conn, set(docs) | dropped)
        clause_row, chunk_row = _next_row(conn, "clauses"), _next_row(conn, "chunks")
        lex_parts, gram_parts, kept = [], [], set()
        for doc in docs.values():
            seq = conn.execute("INSERT INTO documents(doc_id, meta, n_clauses, aliases) VALUES (?, ?, ?, ?)",
                               (doc.meta.doc_id, json.dumps(doc.meta.to_json(), ensure_ascii=False), len(doc.clauses),
                                json.dumps(doc.aliases, ensure_ascii=False))).lastrowid
            c_rows = np.arange(clause_row, clause_row + len(doc.clauses), dtype=np.int32)
            k_rows = np.arange(chunk_row, chunk_row + len(doc.chunk_ids), dtype=np.int32)
            owners = c_rows[np.asarray(doc.chunk_owner, dtype=np.int64)] if doc.chunk_ids else k_rows
            conn.executemany("INSERT INTO clauses(row, clause_id, doc_seq, ord, label_key, lead_key, parent_key, text,"
                             " record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             ((int(r), cid, seq, *rest) for r, (cid, *rest) in zip(c_rows, doc.clauses)))
            conn.executemany("INSERT INTO chunks(row, chunk_id, clause_row) VALUES (?, ?, ?)",
                             zip(k_rows.tolist(), doc.chunk_ids, owners.tolist()))
            lex_parts.append((doc.lexical, k_rows, seq, owners))
            gram_parts.append((doc.grams, c_rows, seq, c_rows))
            kept.update(doc.chunk_ids)
            clause_row += len(doc.clauses)
            chunk_row += len(doc.chunk_ids)
        crash_point("mid")
        lexical.SEGMENTS.add(conn, lex_parts)
        substrings.SEGMENTS.add(conn, gram_parts)
        trash = [(cid,) for cid in gone if cid not in kept]  # unchanged clauses keep their ids and their vectors
        conn.executemany("INSERT OR IGNORE INTO chroma_trash(chunk_id) VALUES (?)", trash)
        conn.executemany("DELETE FROM embedded WHERE chunk_id = ?", trash)
        merge_segments(conn)
        set_meta(conn, TOKENIZER, TOKENIZER_VERSION)
        if get_meta(conn, NAMES) is None:
            set_meta(conn, NAMES, names_version())
        set_meta(conn, GENERATION, str(int(get_meta(conn, GENERATION) or 0) + 1))
        crash_point("commit")
    if progress:
        progress(STAGE_INDEX, n_clauses, n_clauses)


def remove_documents(conn, doc_ids: set[str]) -> list[str]:
    """Delete documents with their clauses and chunks (postings stay, dead); returns the chunk ids removed."""
    if not doc_ids:
        return []
    ids = sorted(doc_ids)
    seqs = [s for (s,) in conn.execute(f"SELECT seq FROM documents WHERE doc_id IN ({_marks(ids)})", ids)]
    if not seqs:
        return []
    gone = [c for (c,) in conn.execute(
        f"SELECT k.chunk_id FROM chunks k JOIN clauses c ON c.row = k.clause_row WHERE c.doc_seq IN ({_marks(seqs)})", seqs)]
    conn.execute(f"DELETE FROM chunks WHERE clause_row IN (SELECT row FROM clauses WHERE doc_seq IN ({_marks(seqs)}))", seqs)
    conn.execute(f"DELETE FROM clauses WHERE doc_seq IN ({_marks(seqs)})", seqs)
    conn.execute(f"DELETE FROM documents WHERE seq IN ({_marks(seqs)})", seqs)
    return gone


def merge_segments(conn) -> None:
    live = np.asarray([s for (s,) in conn.execute("SELECT seq FROM documents")], dtype=np.int32)
    lexical.SEGMENTS.merge(conn, live)
    substrings.SEGMENTS.merge(conn, live)


def rebuild_postings(db: Database, max_chunk_chars: int, progress: Progress | None = None,
                     commit_clauses: int = COMMIT_CLAUSES) -> None:
    """Re-tokenise every stored clause into fresh postings (after a tokenizer change); rows stay as they are."""
    with db.write() as tx:
        conn = tx.conn
        lexical.SEGMENTS.clear(conn)
        substrings.SEGMENTS.clear(conn)
        docs = conn.execute("SELECT seq, meta FROM documents ORDER BY seq").fetchall()
        lex_parts, gram_parts, pending = [], [], 0
        for n, (seq, meta) in enumerate(docs, 1):
            rows = conn.execute("SELECT row, record FROM clauses WHERE doc_seq = ? ORDER BY ord", (seq,)).fetchall()
            clauses = [Clause.from_record(json.loads(r)) for _, r in rows]
            doc = prepare_clauses(DocumentMeta.from_json(json.loads(meta)), clauses, max_chunk_chars)
            chunk_row = dict(conn.execute(f"SELECT chunk_id, row FROM chunks WHERE chunk_id IN ({_marks(doc.chunk_ids)})",
                                          doc.chunk_ids)) if doc.chunk_ids else {}
            c_rows = np.asarray([r for r, _ in rows], dtype=np.int32)
            k_rows = np.asarray([chunk_row[c] for c in doc.chunk_ids], dtype=np.int32)
            owners = c_rows[np.asarray(doc.chunk_owner, dtype=np.int64)] if doc.chunk_ids else k_rows
            lex_parts.append((doc.lexical, k_rows, seq, owners))
            gram_parts.append((doc.grams, c_rows, seq, c_rows))
            pending += len(rows)
            if pending >= commit_clauses or n == len(docs):
                lexical.SEGMENTS.add(conn, lex_parts)
                substrings.SEGMENTS.add(conn, gram_parts)
                lex_parts, gram_parts, pending = [], [], 0
            if progress:
                progress(STAGE_INDEX, n, len(docs))
        set_meta(conn, TOKENIZER, TOKENIZER_VERSION)
        set_meta(conn, GENERATION, str(int(get_meta(conn, GENERATION) or 0) + 1))


def refresh_names(db: Database) -> None:
    """Recompute every document's aliases (the code that derives them changed since they were stored)."""
    with db.write() as tx:
        rows = tx.conn.execute("SELECT seq, meta FROM documents").fetchall()
        tx.conn.executemany("UPDATE documents SET aliases = ? WHERE seq = ?",
                            ((json.dumps(aliases_of(json.loads(m)["title"]), ensure_ascii=False), s) for s, m in rows))
        set_meta(tx.conn, NAMES, names_version())
        set_meta(tx.conn, GENERATION, str(int(get_meta(tx.conn, GENERATION) or 0) + 1))


def _marks(items: Sequence) -> str:
    return ",".join("?" * len(items))


def _next_row(conn, table: str) -> int:
    """The next AUTOINCREMENT row: rows are never reused, so postings of removed rows can't point at new ones."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
    top = conn.execute(f"SELECT MAX(row) FROM {table}").fetchone()[0]
    return max(row[0] if row else 0, top or 0) + 1

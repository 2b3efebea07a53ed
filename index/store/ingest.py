"""The write path: files → parsed documents → committed batches of documents, clauses, chunks and postings.

Each batch (about COMMIT_CLAUSES clauses) is one SQLite transaction, so an interrupted ingest keeps every batch
it committed (the next ingest skips those files as unchanged) and a crash inside a batch leaves the previous
commit searchable. `ASSISTANT_CRASH_AT=early|mid|commit[:n]` kills the process (SIGKILL) at the n-th pass of
that point: the crash tests use it, nothing else sets it.
"""
from __future__ import annotations

import json
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from index.aliases import label_key
from index.models import Clause, DocumentMeta, IngestFailure, IngestReport
from index.store import lexical, substrings
from index.store.db import GENERATION, NAMES, TOKENIZER, Database, get_meta, set_meta
from index.store.names import aliases_of, names_version
from index.store.tokens import TOKENIZER_VERSION

Progress = Callable[[str, int, int], None]  # (stage, done, total)
COMMIT_CLAUSES = 20000  # clauses per transaction: bounds memory and what an interrupted ingest loses
CRASH_ENV = "ASSISTANT_CRASH_AT"
STAGE_PARSE = "解析文件"
STAGE_INDEX = "建立关键词索引"
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


@dataclass(frozen=True)
class NewDocument:
    meta: DocumentMeta
    clauses: tuple[Clause, ...]


def parse_files(paths: Sequence[str | Path], known_hashes: set[str], known_paths: dict[str, str],
                progress: Progress | None) -> Iterable[tuple[str, object]]:
    """('failed', IngestFailure) | ('skipped', path) | ('warning', text) | ('dropped', doc_id) | ('doc', NewDocument),
    file by file, so the caller commits in batches while parsing goes on."""
    from index.loaders import DocumentError, iter_document_paths, load_document
    from index.parser import parse_document

    files, bad = iter_document_paths(list(paths))
    for p, r in bad:
        yield "failed", IngestFailure(p, r)
    for n, f in enumerate(files, 1):
        if progress:
            progress(STAGE_PARSE, n - 1, len(files))
        try:
            lt = load_document(f)
        except DocumentError as e:
            yield "failed", IngestFailure(str(f), e.reason)
            continue
        crash_point("early")
        if lt.content_hash in known_hashes:  # byte-identical to an indexed file: nothing to do
            yield "skipped", str(f)
            continue
        doc = parse_document(lt.text, fmt=lt.fmt, path=str(f), content_hash=lt.content_hash)
        if not doc.clauses:
            yield "failed", IngestFailure(str(f), "未能从文件中解析出任何条款文本，请检查文件内容")
            continue
        for w in doc.warnings:
            yield "warning", f"{f}: {w}"
        old = known_paths.get(str(f))
        if old and old != doc.meta.doc_id:
            yield "dropped", old  # the same file now parses as another document (its title changed)
        yield "doc", NewDocument(doc.meta, tuple(doc.clauses))
    if progress:
        progress(STAGE_PARSE, len(files), len(files))


def ingest(db: Database, paths: Sequence[str | Path], *, max_chunk_chars: int, commit_clauses: int = COMMIT_CLAUSES,
           progress: Progress | None = None) -> IngestReport:
    with db.read() as conn:
        rows = conn.execute("SELECT doc_id, meta FROM documents").fetchall()
    metas = {d: DocumentMeta.from_json(json.loads(m)) for d, m in rows}
    hashes = {m.content_hash for m in metas.values()}
    by_path = {m.path: d for d, m in metas.items()}
    failures: list[IngestFailure] = []
    warnings: list[str] = []
    skipped = 0
    written: dict[str, int] = {}  # doc_id → clauses, over all batches (a later file of the same document wins)
    batch: dict[str, NewDocument] = {}
    dropped: set[str] = set()
    pending = 0  # clauses in the batch
    for kind, item in parse_files(paths, hashes, by_path, progress):
        if kind == "failed":
            failures.append(item)
        elif kind == "skipped":
            skipped += 1
        elif kind == "warning":
            warnings.append(item)
        elif kind == "dropped":
            dropped.add(item)
        else:
            doc: NewDocument = item
            same = metas.get(doc.meta.doc_id) or (batch[doc.meta.doc_id].meta if doc.meta.doc_id in batch else None)
            if same and same.path != doc.meta.path:
                warnings.append(f"{doc.meta.path}: 与已导入的 {same.path} 是同一文件（标题与文号相同），已用新文件替换")
            batch[doc.meta.doc_id] = doc
            metas[doc.meta.doc_id] = doc.meta
            written[doc.meta.doc_id] = len(doc.clauses)
            pending += len(doc.clauses)
            if pending >= commit_clauses:
                commit(db, batch, dropped, max_chunk_chars, progress)
                batch, dropped, pending = {}, set(), 0
    if batch or dropped:
        commit(db, batch, dropped, max_chunk_chars, progress)
    return IngestReport(len(written), sum(written.values()), skipped, tuple(failures), tuple(warnings), tuple(written))


def commit(db: Database, docs: dict[str, NewDocument], dropped: set[str], max_chunk_chars: int,
           progress: Progress | None = None) -> None:
    """One transaction: drop the replaced and dropped documents, add `docs`, index them, bump the generation."""
    from index.parser import split_clause

    n_clauses = sum(len(d.clauses) for d in docs.values())
    if progress:
        progress(STAGE_INDEX, 0, n_clauses)
    with db.write() as tx:
        conn = tx.conn
        gone = remove_documents(conn, set(docs) | dropped)
        clause_row = _next_row(conn, "clauses")
        chunk_row = _next_row(conn, "chunks")
        c_rows, c_docs, c_texts = [], [], []
        k_rows, k_docs, k_owner, k_chunks = [], [], [], []
        for doc in docs.values():
            cur = conn.execute("INSERT INTO documents(doc_id, meta, n_clauses, aliases) VALUES (?, ?, ?, ?)",
                               (doc.meta.doc_id, json.dumps(doc.meta.to_json(), ensure_ascii=False), len(doc.clauses),
                                json.dumps(aliases_of(doc.meta.title), ensure_ascii=False)))
            seq = cur.lastrowid
            records = []
            for ord_, c in enumerate(doc.clauses):
                records.append((clause_row, c.clause_id, seq, ord_, label_key(c.label), *_family_keys(c), c.text,
                                json.dumps(_record(c), ensure_ascii=False)))
                c_rows.append(clause_row)
                c_docs.append(seq)
                c_texts.append(c.text)
                for ch in split_clause(c, max_chunk_chars):
                    k_rows.append(chunk_row)
                    k_docs.append(seq)
                    k_owner.append(clause_row)
                    k_chunks.append(ch)
                    chunk_row += 1
                clause_row += 1
            conn.executemany("INSERT INTO clauses(row, clause_id, doc_seq, ord, label_key, lead_key, parent_key, text,"
                             " record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", records)
        conn.executemany("INSERT INTO chunks(row, chunk_id, clause_row) VALUES (?, ?, ?)",
                         ((r, ch.chunk_id, o) for r, ch, o in zip(k_rows, k_chunks, k_owner)))
        crash_point("mid")
        lexical.add_segment(conn, k_rows, k_docs, k_owner, k_chunks)
        substrings.add_segment(conn, c_rows, c_docs, c_texts)
        kept = {ch.chunk_id for ch in k_chunks}
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
    marks = ",".join("?" * len(ids))
    seqs = [s for (s,) in conn.execute(f"SELECT seq FROM documents WHERE doc_id IN ({marks})", ids)]
    if not seqs:
        return []
    smarks = ",".join("?" * len(seqs))
    gone = [c for (c,) in conn.execute(
        f"SELECT k.chunk_id FROM chunks k JOIN clauses c ON c.row = k.clause_row WHERE c.doc_seq IN ({smarks})", seqs)]
    conn.execute(f"DELETE FROM chunks WHERE clause_row IN (SELECT row FROM clauses WHERE doc_seq IN ({smarks}))", seqs)
    conn.execute(f"DELETE FROM clauses WHERE doc_seq IN ({smarks})", seqs)
    conn.execute(f"DELETE FROM documents WHERE seq IN ({smarks})", seqs)
    return gone


def merge_segments(conn) -> None:
    live = np.asarray([s for (s,) in conn.execute("SELECT seq FROM documents")], dtype=np.int32)
    lexical.SEGMENTS.merge(conn, live)
    substrings.SEGMENTS.merge(conn, live)


def rebuild_postings(db: Database, max_chunk_chars: int, progress: Progress | None = None,
                     commit_clauses: int = COMMIT_CLAUSES) -> None:
    """Re-tokenise every stored clause into fresh postings (after a tokenizer change); clauses keep their rows."""
    from index.parser import split_clause

    with db.write() as tx:
        conn = tx.conn
        lexical.SEGMENTS.clear(conn)
        substrings.SEGMENTS.clear(conn)
        total = conn.execute("SELECT COUNT(*) FROM clauses").fetchone()[0]
        chunk_rows = dict(conn.execute("SELECT chunk_id, row FROM chunks"))
        cursor = conn.execute("SELECT c.row, c.doc_seq, c.text, c.record FROM clauses c JOIN documents d"
                              " ON d.seq = c.doc_seq ORDER BY c.doc_seq, c.ord")
        done = 0
        while rows := cursor.fetchmany(commit_clauses):
            k_rows, k_docs, k_owner, k_chunks = [], [], [], []
            for row, seq, _, record in rows:
                for ch in split_clause(Clause.from_record(json.loads(record)), max_chunk_chars):
                    k_rows.append(chunk_rows[ch.chunk_id])
                    k_docs.append(seq)
                    k_owner.append(row)
                    k_chunks.append(ch)
            lexical.add_segment(conn, k_rows, k_docs, k_owner, k_chunks)
            substrings.add_segment(conn, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
            done += len(rows)
            if progress:
                progress(STAGE_INDEX, done, total)
        set_meta(conn, TOKENIZER, TOKENIZER_VERSION)
        set_meta(conn, GENERATION, str(int(get_meta(conn, GENERATION) or 0) + 1))


_RECORD_FIELDS = tuple(Clause.__dataclass_fields__)


def _record(c: Clause) -> dict:
    """Clause.to_record() without dataclasses.asdict's deep copy (a tenth of the ingest time at 130k clauses)."""
    d = {f: getattr(c, f) for f in _RECORD_FIELDS}
    d["path"], d["units"], d["span"] = list(c.path), list(c.units), list(c.span)
    return d


def refresh_names(db: Database) -> None:
    """Recompute every document's aliases (the code that derives them changed since they were stored)."""
    with db.write() as tx:
        rows = tx.conn.execute("SELECT seq, meta FROM documents").fetchall()
        tx.conn.executemany("UPDATE documents SET aliases = ? WHERE seq = ?",
                            ((json.dumps(aliases_of(json.loads(m)["title"]), ensure_ascii=False), s) for s, m in rows))
        set_meta(tx.conn, NAMES, names_version())
        set_meta(tx.conn, GENERATION, str(int(get_meta(tx.conn, GENERATION) or 0) + 1))


def _family_keys(c: Clause) -> tuple[str | None, str | None]:
    """(lead_key, parent_key): a list lead is found by its own path, an item by its parent's."""
    lead = json.dumps(list(c.path), ensure_ascii=False) if c.kind == "lead" else None
    parent = json.dumps(list(c.path[:-1]), ensure_ascii=False) if len(c.path) > 1 and c.kind != "lead" else None
    return lead, parent


def _next_row(conn, table: str) -> int:
    """The next AUTOINCREMENT row: rows are never reused, so postings of removed rows can't point at new ones."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
    top = conn.execute(f"SELECT MAX(row) FROM {table}").fetchone()[0]
    return max(row[0] if row else 0, top or 0) + 1

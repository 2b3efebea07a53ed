"""Dense ingest: embed the committed chunks Chroma doesn't hold yet, resumably, and forget removed ones.

Runs after the lexical commit, so clauses are searchable by keyword at once and vectors follow. The store's
`embedded` table records which chunk ids have a vector per model: an interrupted run (Ctrl-C, kill -9, a
crash) continues where it stopped, and unchanged clauses (ids are content hashes) are never embedded twice.
bge-small on 2 CPU cores encodes ~17 chunks/s (≈ 10 min per 10k chunks); see bench/README.md for the GPU path.
"""
from __future__ import annotations

import json
import logging
from typing import Callable

from index.models import Clause
from index.store.db import Database

logger = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
STAGE_EMBED = "计算向量"
# Chunks handed to the embedder per call: progress is reported between calls, and each FlagEmbedding
# encode call pays one trial forward pass to size its batches, so fewer, larger calls cost less.
EMBED_SLICE = 256


def empty_trash(db: Database, chroma) -> int:
    """Delete from Chroma the vectors of chunks that commits removed."""
    with db.read() as conn:
        ids = [c for (c,) in conn.execute("SELECT chunk_id FROM chroma_trash")]
    if not ids:
        return 0
    chroma.delete(ids)
    with db.write() as tx:
        tx.conn.executemany("DELETE FROM chroma_trash WHERE chunk_id = ?", ((i,) for i in ids))
    return len(ids)


def sync_embedded(db: Database, chroma, model: str) -> None:
    """Make the `embedded` table agree with Chroma when they differ (a migrated store, a reset server)."""
    with db.read() as conn:
        ours = conn.execute("SELECT COUNT(*) FROM embedded WHERE model = ?", (model,)).fetchone()[0]
    if ours == chroma.count():
        return
    have = chroma.ids()
    with db.write() as tx:
        tx.conn.execute("DELETE FROM embedded WHERE model = ?", (model,))
        live = {c for (c,) in tx.conn.execute("SELECT chunk_id FROM chunks")}
        tx.conn.executemany("INSERT INTO embedded(model, chunk_id) VALUES (?, ?)", ((model, c) for c in have & live))
        stale = have - live
    if stale:
        chroma.delete(sorted(stale))


def missing(db: Database, model: str) -> list[tuple[str, int]]:
    """(chunk_id, clause_row) of committed chunks without a vector from `model`, in index order."""
    with db.read() as conn:
        return conn.execute("SELECT k.chunk_id, k.clause_row FROM chunks k WHERE NOT EXISTS (SELECT 1 FROM embedded e"
                            " WHERE e.model = ? AND e.chunk_id = k.chunk_id) ORDER BY k.row", (model,)).fetchall()


def embed_missing(db: Database, chroma, embedder, model: str, max_chunk_chars: int,
                  progress: Progress | None = None) -> int:
    """Embed every committed chunk that has no vector yet; returns how many were added."""
    from index.parser import split_clause

    empty_trash(db, chroma)
    sync_embedded(db, chroma, model)
    added = 0
    while todo := missing(db, model):  # chunks committed meanwhile by another process come in the next round
        before = added
        for start in range(0, len(todo), EMBED_SLICE):
            if progress:
                progress(STAGE_EMBED, start, len(todo))
            part = todo[start: start + EMBED_SLICE]
            clauses = _clauses(db, sorted({row for _, row in part}))
            wanted = {cid for cid, _ in part}
            chunks = [ch for c in clauses.values() for ch in split_clause(c, max_chunk_chars) if ch.chunk_id in wanted]
            if not chunks:
                continue
            vectors = embedder.encode_corpus([ch.index_text for ch in chunks])
            chroma.upsert(chunks, {c.clause_id: c for c in clauses.values()}, vectors)
            with db.write() as tx:
                tx.conn.executemany("INSERT OR IGNORE INTO embedded(model, chunk_id) VALUES (?, ?)",
                                    ((model, ch.chunk_id) for ch in chunks))
            added += len(chunks)
        if progress:
            progress(STAGE_EMBED, len(todo), len(todo))
        if added == before:
            break  # nothing embeddable (clauses removed meanwhile): don't spin
    return added


def _clauses(db: Database, rows: list[int]) -> dict[int, Clause]:
    with db.read() as conn:
        found = conn.execute(f"SELECT row, record FROM clauses WHERE row IN ({','.join('?' * len(rows))})", rows)
        return {row: Clause.from_record(json.loads(rec)) for row, rec in found}


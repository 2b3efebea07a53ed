"""Stores written before index.sqlite (manifest.json, one JSONL clause file per document, bm25-gN/ folders) are
migrated once, when a ClauseIndex opens them for the first time: clauses are copied as they were parsed (no
re-parsing), postings are built, the old files removed, and one log line says so. Chroma is kept as it is
(chunk ids don't change). A migration interrupted by a crash resumes: documents already copied are skipped.
"""
from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from index.models import Clause, DocumentMeta
from index.store.db import Database, StoreCorrupt, rebuild_advice
from index.store.ingest import COMMIT_CLAUSES, commit
from index.store.prepare import Prepared, prepare_clauses

logger = logging.getLogger(__name__)
LEGACY_MANIFEST = "manifest.json"
LEGACY_CLAUSES = "clauses"
LEGACY_BM25_GLOB = "bm25-g*"


def needs_migration(store: Path) -> bool:
    return (Path(store) / LEGACY_MANIFEST).is_file()


def migrate(db: Database, store: Path, max_chunk_chars: int) -> tuple[int, int]:
    """Copy a legacy store into `db`; returns (documents, clauses)."""
    store = Path(store)
    try:
        manifest = json.loads((store / LEGACY_MANIFEST).read_text(encoding="utf-8"))
        entries = [(DocumentMeta.from_json(e["meta"]), store / LEGACY_CLAUSES / e["file"]) for e in manifest["documents"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise StoreCorrupt(f"索引目录 {store} 已损坏（{e}）；{rebuild_advice(store)}") from e
    with db.read() as conn:
        have = {d: json.loads(m)["content_hash"] for d, m in conn.execute("SELECT doc_id, meta FROM documents")}
    batch: dict[str, Prepared] = {}
    n_docs = n_clauses = pending = 0
    for meta, path in entries:
        try:
            rows = path.read_text(encoding="utf-8").splitlines()
            clauses = tuple(Clause.from_record(json.loads(r)) for r in rows if r.strip())
        except (OSError, ValueError, TypeError) as e:
            raise StoreCorrupt(f"索引目录 {store} 已损坏（{path.name}: {e}）；{rebuild_advice(store)}") from e
        n_docs, n_clauses = n_docs + 1, n_clauses + len(clauses)
        if have.get(meta.doc_id) == meta.content_hash:
            continue  # copied before an interruption
        batch[meta.doc_id] = prepare_clauses(meta, clauses, max_chunk_chars)
        pending += len(clauses)
        if pending >= COMMIT_CLAUSES:
            commit(db, batch, set())
            batch, pending = {}, 0
    if batch or not have:
        commit(db, batch, set())
    for p in store.glob(LEGACY_BM25_GLOB):
        shutil.rmtree(p, ignore_errors=True)
    shutil.rmtree(store / LEGACY_CLAUSES, ignore_errors=True)
    (store / LEGACY_MANIFEST).unlink(missing_ok=True)  # last: until it is gone, the next open resumes
    logger.warning("已把旧格式索引（manifest.json + JSONL）迁移到 %s：%d 个文件、%d 条", db.path, n_docs, n_clauses)
    return n_docs, n_clauses

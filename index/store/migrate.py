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


# ---- stores written before versions and validity ----------------------------------------------------

def needs_versions(db: Database) -> bool:
    """Does some document's record predate versions (no `edition` field)?"""
    with db.read() as conn:
        return conn.execute("SELECT 1 FROM documents WHERE json_type(meta, '$.edition') IS NULL LIMIT 1").fetchone() \
            is not None


def add_versions(db: Database) -> tuple[int, int]:
    """Give documents recorded before versions existed their edition, 施行 date and the repeals they state, read from
    their stored clauses (the 题注 and the provisions, as a parse would), and their citations the edition of an
    amended law (《…》（2022年修正）第十八条). Nothing is re-parsed or re-indexed: ids, postings and vectors stay.
    Returns (documents, citations) updated; says so in one line."""
    from dataclasses import replace

    from index.history import read_history
    from index.models import KIND_ARTICLE, KIND_ITEM, KIND_LEAD, KIND_PARAGRAPH
    from index.store.db import GENERATION, get_meta, set_meta
    from index.store.marks import MARKS_SQL
    from index.versions import citation_prefix, parse_tag, repealed_titles, stated_effective_date

    n_docs = n_cites = 0
    with db.write() as tx:
        conn = tx.conn
        conn.execute(MARKS_SQL)
        rows = conn.execute("SELECT seq, meta FROM documents WHERE json_type(meta, '$.edition') IS NULL").fetchall()
        if not rows:  # another process upgraded it while this one waited for the lock
            return 0, 0
        for seq, raw in rows:
            meta = DocumentMeta.from_json(json.loads(raw))
            clauses = [(r, Clause.from_record(json.loads(rec))) for r, rec in
                       conn.execute("SELECT row, record FROM clauses WHERE doc_seq = ? ORDER BY ord", (seq,))]
            head = next((c for _, c in clauses if c.label in ("题注", "引言")), None)
            history = read_history(head.text.split("\n") if head else [c.text for _, c in clauses[:10]])
            provisions = [c.text for _, c in clauses if c.kind in (KIND_ARTICLE, KIND_ITEM, KIND_LEAD, KIND_PARAGRAPH)]
            new = replace(meta, edition=history.edition,
                          effective_date=history.effective_date or stated_effective_date(provisions),
                          repeals=repealed_titles(provisions))
            conn.execute("UPDATE documents SET meta = ? WHERE seq = ?",
                         (json.dumps(new.to_json(), ensure_ascii=False), seq))
            n_docs += 1
            old_prefix = citation_prefix(meta.title, meta.doc_number, None)
            new_prefix = citation_prefix(meta.title, meta.doc_number, parse_tag(new.edition))
            if new_prefix == old_prefix:
                continue
            for row, c in clauses:
                if c.citation.startswith(old_prefix):
                    rec = c.to_record()
                    rec["citation"] = new_prefix + c.citation[len(old_prefix):]
                    conn.execute("UPDATE clauses SET record = ? WHERE row = ?", (json.dumps(rec, ensure_ascii=False), row))
                    n_cites += 1
        set_meta(conn, GENERATION, str(int(get_meta(conn, GENERATION) or 0) + 1))
    logger.warning("已为索引 %s 补记版本与效力信息：%d 个文件，%d 条引文加上修正/修订版本（如《…》（2022年修正）第十八条）",
                   db.path, n_docs, n_cites)
    return n_docs, n_cites

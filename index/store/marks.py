"""Users' status marks (已废止 / 尚未施行 / 现行有效) in the store: one row per doc_id, so a mark survives re-ingest
of the same document, and every process sees it at its next generation."""
from __future__ import annotations

import sqlite3

from index.versions import Mark

MARKS_SQL = ("CREATE TABLE IF NOT EXISTS marks(doc_id TEXT PRIMARY KEY, status TEXT NOT NULL, note TEXT,"
             " marked_at TEXT, marked_by TEXT)")


def load(conn: sqlite3.Connection) -> dict[str, Mark]:
    """The marks of a store (none in a store written before marks existed)."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'marks'").fetchone() is None:
        return {}
    return {d: Mark(d, s, n, at, by) for d, s, n, at, by in
            conn.execute("SELECT doc_id, status, note, marked_at, marked_by FROM marks")}


def save(conn: sqlite3.Connection, doc_id: str, mark: Mark | None) -> None:
    """Set or (mark None) clear a document's mark, inside the caller's write transaction."""
    conn.execute(MARKS_SQL)
    if mark is None:
        conn.execute("DELETE FROM marks WHERE doc_id = ?", (doc_id,))
        return
    conn.execute("INSERT INTO marks(doc_id, status, note, marked_at, marked_by) VALUES (?, ?, ?, ?, ?)"
                 " ON CONFLICT(doc_id) DO UPDATE SET status = excluded.status, note = excluded.note,"
                 " marked_at = excluded.marked_at, marked_by = excluded.marked_by",
                 (doc_id, mark.status, mark.note, mark.marked_at, mark.marked_by))

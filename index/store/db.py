"""The store's one SQLite file: documents, clauses, chunks and both postings indexes, committed together.

WAL mode: readers never block the writer, and a read transaction sees exactly one committed generation, in
this process or any other. A write is one transaction, so a crash (kill -9 included) leaves the last commit.
"""
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

DB_FILE = "index.sqlite"
SCHEMA_VERSION = "2"
BUSY_TIMEOUT_S = 60  # a reader waits this long for a checkpoint, a second writer for the first
CACHE_KIB = 65536  # SQLite page cache per connection

# meta keys
GENERATION = "generation"
SCHEMA = "schema"
TOKENIZER = "tokenizer"
NAMES = "names_version"

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents(
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- ingest order, a replaced document gets a new seq
    doc_id TEXT NOT NULL UNIQUE, meta TEXT NOT NULL, n_clauses INTEGER NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]');  -- how questions name it (index.aliases), see names.names_version
CREATE TABLE IF NOT EXISTS clauses(
    row INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, so postings of removed clauses stay dead
    clause_id TEXT NOT NULL UNIQUE, doc_seq INTEGER NOT NULL, ord INTEGER NOT NULL,
    label_key TEXT NOT NULL, lead_key TEXT, parent_key TEXT, text TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS clauses_doc ON clauses(doc_seq, ord);
CREATE INDEX IF NOT EXISTS clauses_label ON clauses(label_key) WHERE label_key != '';
CREATE INDEX IF NOT EXISTS clauses_lead ON clauses(doc_seq, lead_key) WHERE lead_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS clauses_parent ON clauses(doc_seq, parent_key) WHERE parent_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS chunks(
    row INTEGER PRIMARY KEY AUTOINCREMENT, chunk_id TEXT NOT NULL UNIQUE, clause_row INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_clause ON chunks(clause_row);
-- chunk ids whose vectors Chroma holds, per embedding model (what a resumed dense ingest skips)
CREATE TABLE IF NOT EXISTS embedded(model TEXT NOT NULL, chunk_id TEXT NOT NULL, PRIMARY KEY(model, chunk_id)) WITHOUT ROWID;
-- vectors to delete from Chroma, written by the commit that drops their chunks, cleared once Chroma has them gone
CREATE TABLE IF NOT EXISTS chroma_trash(chunk_id TEXT PRIMARY KEY) WITHOUT ROWID;
-- users' status marks (index/store/marks.py), by doc_id so they survive re-ingest
CREATE TABLE IF NOT EXISTS marks(doc_id TEXT PRIMARY KEY, status TEXT NOT NULL, note TEXT, marked_at TEXT, marked_by TEXT);
"""


class StoreCorrupt(RuntimeError):
    """A store problem a user can fix; str(e) is one Chinese line with the fix."""


def rebuild_advice(store: Path) -> str:
    """How to rebuild a damaged store without losing what only it holds: the uploaded files (uploads/ is their
    only copy), the audit log and the users' conversations."""
    return (f"请先把 {store} 中的 uploads（已上传文件的唯一副本）、audit 和 history 复制到别处，再删除该目录并运行 "
            f"`python -m assistant ingest`，然后用 `python -m assistant ingest <复制出的 uploads 文件夹>` 重新导入上传的文件")


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: atomic and consistent after a crash
    conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    return conn


class Database:
    """Thread-local connections to one store file; `read()` and `write()` are transactions."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()

    def exists(self) -> bool:
        return self.path.exists()

    def conn(self) -> sqlite3.Connection:
        c = getattr(self._local, "conn", None)
        if c is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                c = connect(self.path)
            except sqlite3.DatabaseError as e:
                raise StoreCorrupt(f"索引文件 {self.path} 无法打开（{e}）；{rebuild_advice(self.path.parent)}") from e
            self._local.conn = c
        return c

    def create(self, extra_sql: str = "") -> None:
        c = self.conn()
        with self.write():
            for stmt in (SCHEMA_SQL + extra_sql).split(";"):
                if stmt.strip():
                    c.execute(stmt)
            if get_meta(c, SCHEMA) is None:
                set_meta(c, SCHEMA, SCHEMA_VERSION)
                set_meta(c, GENERATION, "0")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """One snapshot: every statement inside sees the same committed generation."""
        c = self.conn()
        if c.in_transaction:  # nested inside another read or a write: reuse it
            yield c
            return
        with self._corrupt_is_one_line():
            c.execute("BEGIN")
            try:
                yield c
            finally:
                c.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator["_Tx"]:
        """One write transaction (BEGIN IMMEDIATE: a second writer waits); rolled back on any exception."""
        c = self.conn()
        with self._corrupt_is_one_line():
            c.execute("BEGIN IMMEDIATE")
            try:
                yield _Tx(c)
            except BaseException:
                c.execute("ROLLBACK")
                raise
            c.execute("COMMIT")

    @contextmanager
    def _corrupt_is_one_line(self):
        try:
            yield
        except sqlite3.DatabaseError as e:
            broken = type(e) is sqlite3.DatabaseError or any(w in str(e) for w in ("malformed", "not a database"))
            if broken:
                raise StoreCorrupt(f"索引文件 {self.path} 已损坏（{e}）；{rebuild_advice(self.path.parent)}") from e
            raise

    def close(self) -> None:
        c = getattr(self._local, "conn", None)
        if c is not None:
            c.close()
            self._local.conn = None


class _Tx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 (key, value))


def generation(conn: sqlite3.Connection) -> int:
    try:
        value = get_meta(conn, GENERATION)
    except sqlite3.OperationalError:  # no tables yet: an empty store
        return 0
    return int(value or 0)

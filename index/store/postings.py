"""Segmented postings in SQLite: for each term, the rows that hold it (and how often), one blob per segment.

A commit writes one segment for what it adds. Rows are global and never reused; a row is live while its
document's seq is live, so replacing or removing a document rewrites no postings. Statistics (N, average length,
df) are counted over live rows when a query runs, so they always equal those of a full rebuild. Small segments,
and segments that are mostly dead, are merged at commit time (Lucene's tiered merging, simplified), which keeps
both the segment count and the dead weight bounded.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

if TYPE_CHECKING:
    from index.store.prepare import LocalPostings

SMALL_SEGMENT_ROWS = 5000  # segments below this many rows are merged together ...
MAX_SMALL_SEGMENTS = 8  # ... once there are more than this many of them
MAX_DEAD_SHARE = 0.5  # a segment with more dead rows than this is rewritten without them
ROW_DTYPE = np.int32
TF_DTYPE = np.uint16  # a chunk is at most a few hundred tokens


@dataclass(frozen=True)
class RowTable:
    """Per global row id: document seq (-1: no such row), length in tokens, owner row (a chunk's clause row)."""

    doc: np.ndarray
    length: np.ndarray
    owner: np.ndarray

    @classmethod
    def empty(cls) -> "RowTable":
        z = np.zeros(0, dtype=ROW_DTYPE)
        return cls(z, z, z)


class Segments:
    """The postings of one index (`name`): a segments table and a postings table in the store's SQLite file."""

    def __init__(self, name: str, with_tf: bool) -> None:
        self.name = name
        self.with_tf = with_tf
        self.seg_table = f"{name}_segments"
        self.post_table = f"{name}_postings"

    def schema(self) -> str:
        return (f"CREATE TABLE IF NOT EXISTS {self.seg_table}(seg INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL,"
                f" rows BLOB NOT NULL, docs BLOB NOT NULL, lens BLOB NOT NULL, owners BLOB NOT NULL);"
                f"CREATE TABLE IF NOT EXISTS {self.post_table}(term TEXT NOT NULL, seg INTEGER NOT NULL,"
                f" rows BLOB NOT NULL, tfs BLOB, PRIMARY KEY(term, seg));")

    # ---- writing ----------------------------------------------------------------------------
    def add(self, conn: sqlite3.Connection, parts: Sequence[tuple["LocalPostings", np.ndarray, int, np.ndarray]]) -> None:
        """One new segment from documents' own postings: (postings, global row of each item, doc seq, owner rows)."""
        parts = [p for p in parts if len(p[1])]
        if not parts:
            return
        vocab: dict[str, int] = {}
        t_ids, p_rows, p_tfs = [], [], []
        for lp, rows, _, _ in parts:
            ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in lp.terms), dtype=np.int32, count=len(lp.terms))
            t_ids.append(ids[lp.term_idx])
            p_rows.append(rows[lp.item_idx])
            if self.with_tf:
                p_tfs.append(lp.tfs)
        rows = np.concatenate([p[1] for p in parts]).astype(ROW_DTYPE)
        docs = np.concatenate([np.full(len(p[1]), p[2], dtype=ROW_DTYPE) for p in parts])
        lens = np.concatenate([p[0].lens for p in parts]).astype(ROW_DTYPE)
        owners = np.concatenate([p[3] for p in parts]).astype(ROW_DTYPE)
        self._write(conn, rows, docs, lens, owners, list(vocab), np.concatenate(t_ids), np.concatenate(p_rows).astype(ROW_DTYPE),
                    np.concatenate(p_tfs) if self.with_tf else None)

    def _write(self, conn, rows, docs, lens, owners, terms: list[str], t_ids, p_rows, p_tfs) -> None:
        cur = conn.execute(f"INSERT INTO {self.seg_table}(n, rows, docs, lens, owners) VALUES (?, ?, ?, ?, ?)",
                           (len(rows), rows.tobytes(), docs.tobytes(), lens.tobytes(), owners.tobytes()))
        seg = cur.lastrowid
        if not len(t_ids):
            return
        order = np.argsort(t_ids, kind="stable")  # stable: rows stay ascending within a term
        t_sorted, r_sorted = t_ids[order], p_rows[order]
        tf_sorted = p_tfs[order].astype(TF_DTYPE) if p_tfs is not None else None
        bounds = np.flatnonzero(np.diff(t_sorted)) + 1
        starts, ends = np.r_[0, bounds].tolist(), np.r_[bounds, len(t_sorted)].tolist()
        conn.executemany(
            f"INSERT INTO {self.post_table}(term, seg, rows, tfs) VALUES (?, ?, ?, ?)",
            ((terms[t_sorted[s]], seg, r_sorted[s:e].tobytes(), tf_sorted[s:e].tobytes() if tf_sorted is not None else None)
             for s, e in zip(starts, ends)))

    def clear(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"DELETE FROM {self.post_table}")
        conn.execute(f"DELETE FROM {self.seg_table}")

    def merge(self, conn: sqlite3.Connection, live_docs: np.ndarray) -> int:
        """Merge the small segments when there are too many, and rewrite mostly-dead ones; returns segments merged."""
        segs = [(seg, np.frombuffer(docs, dtype=ROW_DTYPE)) for seg, docs in
                conn.execute(f"SELECT seg, docs FROM {self.seg_table} ORDER BY seg")]
        live = {seg: np.isin(docs, live_docs) for seg, docs in segs}
        dead = [seg for seg, docs in segs if len(docs) and 1 - live[seg].mean() > MAX_DEAD_SHARE]
        small = [seg for seg, _ in segs if live[seg].sum() < SMALL_SEGMENT_ROWS and seg not in dead]
        chosen = dead + (small if len(small) > MAX_SMALL_SEGMENTS else [])
        if not chosen or (len(chosen) == 1 and not dead):
            return 0
        self._merge(conn, sorted(chosen), live_docs)
        return len(chosen)

    def _merge(self, conn, chosen: list[int], live_docs: np.ndarray) -> None:
        marks = ",".join("?" * len(chosen))
        parts = [[np.frombuffer(b, dtype=ROW_DTYPE) for b in r] for r in conn.execute(
            f"SELECT rows, docs, lens, owners FROM {self.seg_table} WHERE seg IN ({marks}) ORDER BY seg", chosen)]
        rows, docs, lens, owners = (np.concatenate([p[i] for p in parts]) for i in range(4))
        keep = np.isin(docs, live_docs)
        rows, docs, lens, owners = rows[keep], docs[keep], lens[keep], owners[keep]
        alive = np.zeros(int(rows.max()) + 1 if len(rows) else 0, dtype=bool)
        alive[rows] = True
        merged: dict[str, list[tuple[np.ndarray, np.ndarray | None]]] = {}
        for term, r, tf in conn.execute(f"SELECT term, rows, tfs FROM {self.post_table} WHERE seg IN ({marks}) ORDER BY seg",
                                        chosen):
            merged.setdefault(term, []).append((np.frombuffer(r, dtype=ROW_DTYPE),
                                                np.frombuffer(tf, dtype=TF_DTYPE) if tf is not None else None))
        conn.execute(f"DELETE FROM {self.post_table} WHERE seg IN ({marks})", chosen)
        conn.execute(f"DELETE FROM {self.seg_table} WHERE seg IN ({marks})", chosen)
        if not len(rows):
            return
        cur = conn.execute(f"INSERT INTO {self.seg_table}(n, rows, docs, lens, owners) VALUES (?, ?, ?, ?, ?)",
                           (len(rows), rows.tobytes(), docs.tobytes(), lens.tobytes(), owners.tobytes()))
        seg = cur.lastrowid
        out = []
        for term, pieces in merged.items():
            r = np.concatenate([p[0] for p in pieces])
            ok = alive[np.minimum(r, len(alive) - 1)] & (r < len(alive))
            if not ok.any():
                continue
            tf = np.concatenate([p[1] for p in pieces])[ok].tobytes() if self.with_tf else None
            out.append((term, seg, r[ok].tobytes(), tf))
        conn.executemany(f"INSERT INTO {self.post_table}(term, seg, rows, tfs) VALUES (?, ?, ?, ?)", out)

    # ---- reading ----------------------------------------------------------------------------
    def row_table(self, conn: sqlite3.Connection) -> RowTable:
        parts = [[np.frombuffer(b, dtype=ROW_DTYPE) for b in r] for r in
                 conn.execute(f"SELECT rows, docs, lens, owners FROM {self.seg_table}")]
        if not parts:
            return RowTable.empty()
        rows = np.concatenate([p[0] for p in parts])
        size = int(rows.max()) + 1 if len(rows) else 0
        doc = np.full(size, -1, dtype=ROW_DTYPE)
        length = np.zeros(size, dtype=ROW_DTYPE)
        owner = np.zeros(size, dtype=ROW_DTYPE)
        doc[rows] = np.concatenate([p[1] for p in parts])
        length[rows] = np.concatenate([p[2] for p in parts])
        owner[rows] = np.concatenate([p[3] for p in parts])
        return RowTable(doc, length, owner)

    def fetch(self, conn: sqlite3.Connection, terms: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
        """term → (rows, tfs) over every segment (dead rows included: the caller masks them)."""
        found: dict[str, list[tuple[bytes, bytes | None]]] = {}
        for start in range(0, len(terms), 500):  # SQLite's parameter limit
            part = terms[start: start + 500]
            for term, r, tf in conn.execute(
                    f"SELECT term, rows, tfs FROM {self.post_table} WHERE term IN ({','.join('?' * len(part))})", part):
                found.setdefault(term, []).append((r, tf))
        out = {}
        for term, blobs in found.items():
            rows = np.frombuffer(b"".join(r for r, _ in blobs), dtype=ROW_DTYPE)
            tfs = np.frombuffer(b"".join(t for _, t in blobs), dtype=TF_DTYPE) if self.with_tf else None
            out[term] = (rows, tfs)
        return out

    def has_term(self, conn: sqlite3.Connection, term: str) -> bool:
        return conn.execute(f"SELECT 1 FROM {self.post_table} WHERE term = ? LIMIT 1", (term,)).fetchone() is not None

    def terms(self, conn: sqlite3.Connection) -> Iterable[str]:
        return (t for (t,) in conn.execute(f"SELECT DISTINCT term FROM {self.post_table}"))

    def count(self, conn: sqlite3.Connection) -> int:
        return int(conn.execute(f"SELECT COUNT(*) FROM {self.seg_table}").fetchone()[0])

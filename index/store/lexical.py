"""The lexical index: Lucene BM25 over chunk tokens (jieba words + CJK bigrams), as segmented postings in SQLite.

Scores equal bm25s's "lucene" method with the same k1 and b (index/store/bm25.py), but N, the average length and
each term's df are counted over the live rows when a query runs, so adding a document indexes only that document
and still ranks exactly like a full rebuild.
"""
from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field

import numpy as np

from index.store.bm25 import BM25_B, BM25_K1
from index.store.postings import RowTable, Segments
from index.store.tokens import is_word, tokenize, without_characters

SEGMENTS = Segments("lex", with_tf=True)
POSTINGS_CACHE_TERMS = 4096  # decoded postings kept per generation (a question has ~30-80 terms)


@dataclass
class LexicalView:
    """One generation's row table and statistics, shared by every search of that generation."""

    rows: RowTable
    live: np.ndarray  # bool per row
    n: int
    avgdl: float
    norm: np.ndarray  # k1 · (1 − b + b · length / avgdl) per row
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, conn: sqlite3.Connection, live_docs: np.ndarray) -> "LexicalView":
        rows = SEGMENTS.row_table(conn)
        live = np.isin(rows.doc, live_docs) if len(rows.doc) else np.zeros(0, dtype=bool)
        n = int(live.sum())
        avgdl = float(rows.length[live].mean()) if n else 0.0
        norm = BM25_K1 * (1 - BM25_B + BM25_B * rows.length.astype(np.float32) / np.float32(avgdl or 1.0))
        return cls(rows, live, n, avgdl, norm.astype(np.float32))

    def postings(self, conn: sqlite3.Connection, terms: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Live postings of `terms` (rows, tfs), decoded once per generation (up to POSTINGS_CACHE_TERMS kept)."""
        out = {t: self._cache[t] for t in terms if t in self._cache}
        missing = [t for t in terms if t not in out]
        if missing:
            found = SEGMENTS.fetch(conn, missing)
            if len(self._cache) + len(missing) > POSTINGS_CACHE_TERMS:
                self._cache.clear()
            for t in missing:
                rows, tfs = found.get(t, (np.zeros(0, np.int32), np.zeros(0, np.uint16)))
                keep = self.live[rows] if len(rows) else np.zeros(0, dtype=bool)
                out[t] = self._cache[t] = (rows[keep], tfs[keep])
        return out

    def words(self, conn: sqlite3.Connection) -> frozenset[str]:
        return frozenset(t for t in SEGMENTS.terms(conn) if is_word(t))

    def search(self, conn: sqlite3.Connection, query: str, k: int, allowed_docs: np.ndarray | None = None,
               characters: bool = True) -> list[tuple[int, float]]:
        """Top k (row, score > 0), best first; equal scores keep index order. `allowed_docs` filters before the cut;
        `characters` False leaves the query's single characters out (an ablation)."""
        tokens = list(dict.fromkeys(tokenize(query)))
        return self.search_terms(conn, tokens if characters else without_characters(tokens), k, allowed_docs)

    def search_terms(self, conn: sqlite3.Connection, terms: list[str], k: int, allowed_docs: np.ndarray | None = None
                     ) -> list[tuple[int, float]]:
        if not self.n or k <= 0 or not terms:
            return []
        scores = np.zeros(len(self.live), dtype=np.float32)
        for rows, tfs in self.postings(conn, terms).values():
            df = len(rows)
            if not df:
                continue
            idf = math.log(1 + (self.n - df + 0.5) / (df + 0.5))
            tf = tfs.astype(np.float32)
            scores[rows] += (np.float32(idf) * tf / (tf + self.norm[rows])).astype(np.float32)
        mask = scores > 0
        if allowed_docs is not None:
            mask &= np.isin(self.rows.doc, allowed_docs)
        cand = np.flatnonzero(mask)
        if cand.size == 0:
            return []
        if cand.size > k:  # keep every row tied with the k-th, then order: stable ties keep index order
            kth = np.partition(scores[cand], cand.size - k)[cand.size - k]
            cand = cand[scores[cand] >= kth]
        order = cand[np.argsort(-scores[cand], kind="stable")][:k]
        return [(int(r), float(scores[r])) for r in order]

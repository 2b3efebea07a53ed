"""Which clauses contain a string: character-bigram postings over clause texts (for corpus_has, df and rarity).

A string of two characters is answered by its bigram's postings alone; a longer one by the intersection of its
bigrams' postings, each candidate then checked against the clause text (above VERIFY_MAX candidates, an evenly
spaced sample of them is checked and the count scaled). One character falls back to a scan (the answering
layer never asks: its terms have at least two characters).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

import numpy as np

from index.store.postings import RowTable, Segments

SEGMENTS = Segments("gram", with_tf=False)
VERIFY_MAX = 2000  # candidates checked against clause texts per term; above it a sample this size is checked
VERIFY_BATCH = 200


def grams(text: str) -> set[str]:
    return set(map(str.__add__, text, text[1:]))


@dataclass
class SubstringView:
    rows: RowTable
    live: np.ndarray
    n: int  # live clauses
    _df: dict = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, conn: sqlite3.Connection, live_docs: np.ndarray) -> "SubstringView":
        rows = SEGMENTS.row_table(conn)
        live = np.isin(rows.doc, live_docs) if len(rows.doc) else np.zeros(0, dtype=bool)
        return cls(rows, live, int(live.sum()))

    def _candidates(self, conn: sqlite3.Connection, term: str) -> np.ndarray:
        keys = sorted(grams(term))
        found = SEGMENTS.fetch(conn, keys)
        if len(found) < len(keys):
            return np.zeros(0, dtype=np.int32)
        lists = sorted((rows[self.live[rows]] for rows, _ in found.values()), key=len)
        cand = np.unique(lists[0])
        for rows in lists[1:]:
            if not cand.size:
                break
            cand = np.intersect1d(cand, rows)
        return cand

    def _count_in_texts(self, conn: sqlite3.Connection, term: str, rows: np.ndarray, stop_at_first: bool) -> int:
        hits = 0
        for start in range(0, len(rows), VERIFY_BATCH):
            part = rows[start: start + VERIFY_BATCH].tolist()
            for (text,) in conn.execute(f"SELECT text FROM clauses WHERE row IN ({','.join('?' * len(part))})", part):
                if term in text:
                    hits += 1
                    if stop_at_first:
                        return hits
        return hits

    def df(self, conn: sqlite3.Connection, term: str) -> int:
        """Live clauses whose text contains `term`."""
        if term in self._df:
            return self._df[term]
        if not term:
            n = self.n
        elif len(term) == 1:
            n = int(conn.execute("SELECT COUNT(*) FROM clauses WHERE instr(text, ?) > 0", (term,)).fetchone()[0])
        else:
            cand = self._candidates(conn, term)
            if len(term) == 2 or not cand.size:
                n = int(cand.size)
            elif cand.size <= VERIFY_MAX:
                n = self._count_in_texts(conn, term, cand, stop_at_first=False)
            else:
                sample = cand[np.linspace(0, cand.size - 1, VERIFY_MAX).astype(np.int64)]
                n = round(self._count_in_texts(conn, term, sample, stop_at_first=False) * cand.size / VERIFY_MAX)
        self._df[term] = n
        return n

    def has(self, conn: sqlite3.Connection, term: str) -> bool:
        if self._df.get(term):  # a positive count, even an estimated one, saw a clause holding it
            return True
        if len(term) == 1:
            return conn.execute("SELECT 1 FROM clauses WHERE instr(text, ?) > 0 LIMIT 1", (term,)).fetchone() is not None
        if len(term) == 2:
            return self.df(conn, term) > 0
        cand = self._candidates(conn, term)
        return bool(cand.size) and self._count_in_texts(conn, term, cand, stop_at_first=True) > 0

"""One committed generation of the store as the read path sees it: the document list, the users' status marks, and
what questions need of them (names, versions and status, which documents are searched by default), built on
first use and kept until the next commit."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from index.models import DocumentMeta
from index.store.names import DocumentNames
from index.versions import Mark, Validity, citation_prefix, link, parse_tag


@dataclass
class _View:
    """One committed generation: the document list and, built on first use, what questions need of it."""

    generation: int
    docs: list[tuple[int, DocumentMeta, int]]  # (seq, meta, clauses) in ingest order
    stored_aliases: dict[str, list[str]] = field(default_factory=dict, repr=False)
    marks: dict[str, Mark] = field(default_factory=dict, repr=False)  # users' status marks
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _lazy: dict = field(default_factory=dict, repr=False)

    @property
    def seq_of(self) -> dict[str, int]:
        return self._get("seq_of", lambda: {m.doc_id: s for s, m, _ in self.docs})

    @property
    def meta_of(self) -> dict[int, DocumentMeta]:
        return self._get("meta_of", lambda: {s: m for s, m, _ in self.docs})

    @property
    def live(self) -> np.ndarray:
        return self._get("live", lambda: np.asarray([s for s, _, _ in self.docs], dtype=np.int32))

    @property
    def names(self) -> DocumentNames:
        return self._get("names", lambda: DocumentNames([m for _, m, _ in self.docs], self.stored_aliases, self.hidden))

    @property
    def validity(self) -> dict[str, Validity]:
        """Each document's versions and status (index/versions.py), for this generation."""
        today = date.today().isoformat()  # a law whose 施行 date comes while the app runs is in force from that day
        return self._get(("validity", today), lambda: link([m for _, m, _ in self.docs], self.marks, today))

    @property
    def hidden(self) -> frozenset[str]:
        """Superseded versions: searched and named only when asked for."""
        return self._get("hidden", lambda: frozenset(d for d, x in self.validity.items() if not x.current))

    @property
    def current_seqs(self) -> np.ndarray | None:
        """The documents searched by default; None when that is every document."""
        return self._get("current_seqs", lambda: np.asarray(
            [s for s, m, _ in self.docs if m.doc_id not in self.hidden], dtype=np.int32) if self.hidden else None)

    @property
    def by_title(self) -> dict[str, list[DocumentMeta]]:
        def build():
            out: dict[str, list[DocumentMeta]] = {}
            for _, m, _ in self.docs:
                out.setdefault(m.title, []).append(m)
            return out
        return self._get("by_title", build)

    @property
    def dressing(self) -> dict[str, tuple[str, str]]:
        """doc_id → (the citation prefix its clauses were stored with, the one they print now): a superseded first
        version names its edition (《…》（2020年通过）第八条), which its parse could not know."""
        def build():
            out = {}
            for _, m, _ in self.docs:
                stored = citation_prefix(m.title, m.doc_number, parse_tag(m.edition))
                shown = citation_prefix(m.title, m.doc_number, self.validity[m.doc_id].tag)
                if shown != stored:
                    out[m.doc_id] = (stored, shown)
            return out
        return self._get("dressing", build)

    @property
    def titles(self) -> str:
        return self._get("titles", lambda: "\n".join(m.title for _, m, _ in self.docs))

    def _get(self, key, build):
        if key not in self._lazy:
            with self.lock:
                if key not in self._lazy:
                    self._lazy[key] = build()
        return self._lazy[key]

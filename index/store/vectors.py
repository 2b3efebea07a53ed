"""The dense side of the clause index: the bge embedder and reranker, Chroma (on disk or a server), and keeping
Chroma in step with the committed clauses. Anything missing (weights, the server) leaves one line and lexical search.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from index.store.db import Database

logger = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RetrievalMode:
    dense: bool
    embed_model: str | None
    reranker: str | None
    reason: str | None  # why dense retrieval is off

    @property
    def label(self) -> str:
        return "混合检索（BM25 + bge 向量）" if self.dense else "仅关键词检索（BM25）"

    def to_json(self) -> dict:
        return {"mode": "hybrid" if self.dense else "lexical", "label": self.label,
                "embed_model": self.embed_model, "reranker": self.reranker, "reason": self.reason}


class Vectors:
    """Models and Chroma for one store, loaded on first use, once."""

    def __init__(self, store: Path, *, embed_model: str | None, rerank_model: str | None, lexical_only: bool,
                 chroma_url: str | None, device: str, batch_size: int, max_chunk_chars: int) -> None:
        self.store, self.embed_model, self.rerank_model = store, embed_model, rerank_model
        self.chroma_url, self.device, self.batch_size = chroma_url, device, batch_size
        self.max_chunk_chars = max_chunk_chars
        self.embedder = None
        self.reranker = None
        self._lock = threading.Lock()
        self._tried = lexical_only
        self._model_error: str | None = "已设置为仅关键词检索" if lexical_only else None
        self._chroma = None
        self._chroma_error: str | None = None

    def load(self) -> None:
        """Load bge (and the reranker) once; on failure say why once and stay lexical-only."""
        with self._lock:
            if self._tried:
                return
            self._tried = True
            from index.store.embedder import ModelUnavailable, load_embedder, load_reranker

            try:
                self.embedder = load_embedder(self.embed_model, device=self.device, batch_size=self.batch_size)
            except ModelUnavailable as e:
                self._model_error = str(e)
                logger.debug("lexical only: %s", e)
            if self.rerank_model:
                try:
                    self.reranker = load_reranker(self.rerank_model, device=self.device)
                except ModelUnavailable as e:
                    logger.debug("no reranker: %s", e)

    def mode(self) -> RetrievalMode:
        self.load()
        dense = self.embedder is not None and self._chroma_error is None
        reason = self._model_error if self.embedder is None else self._chroma_error
        return RetrievalMode(dense, self.embed_model if dense else None,
                             self.rerank_model if self.reranker else None, reason)

    def chroma(self):
        """The Chroma store, or None (with one logged line) when it can't be reached: answers stay lexical."""
        if self._chroma is None and self._chroma_error is None:
            from index.store.chroma_store import ChromaStore, ChromaUnavailable

            try:
                path = None if self.chroma_url else self.store / "chroma"
                self._chroma = ChromaStore(path, self.embed_model or "none", url=self.chroma_url)
            except ChromaUnavailable as e:
                self._unavailable(e)
        return self._chroma

    def _unavailable(self, e: Exception) -> None:
        self._chroma, self._chroma_error = None, str(e)
        logger.warning("%s", e)

    def query(self, query: str, k: int, doc_ids: list[str] | None) -> list[tuple[str, str, float]]:
        """(chunk_id, clause_id, similarity) best first; [] when dense retrieval is off or Chroma fails."""
        self.load()
        if self.embedder is None or self.chroma() is None:
            return []
        try:
            vec = self.embedder.encode_queries([query])[0]
            return self._chroma.query(vec, k, doc_ids)
        except Exception as e:  # a Chroma server that went away mid-session: one line, then lexical only
            from index.store.chroma_store import ChromaUnavailable

            self._unavailable(ChromaUnavailable(f"Chroma 查询失败（{type(e).__name__}: {e}）；已改为仅关键词检索"))
            return []

    def sync(self, db: Database, progress: Progress | None) -> int:
        """Delete vectors of removed chunks and embed the missing ones, under a lock of its own: keyword search
        and further ingests go on meanwhile; a second embedding process leaves the work to the first."""
        from filelock import FileLock, Timeout

        if not db.exists():
            return 0
        self.load()
        if self.embedder is None and not (self.chroma_url or (self.store / "chroma").exists()):
            with db.write() as tx:  # no vectors anywhere: nothing to delete later
                tx.conn.execute("DELETE FROM chroma_trash")
            return 0
        chroma = self.chroma()
        if chroma is None:
            return 0
        from index.store import dense

        try:
            with FileLock(str(self.store / ".dense.lock"), timeout=0):
                if self.embedder is None:
                    dense.empty_trash(db, chroma)
                    return 0
                return dense.embed_missing(db, chroma, self.embedder, self.embed_model, self.max_chunk_chars, progress)
        except Timeout:
            logger.warning("另一个进程正在计算向量；新条款的向量由它补上（关键词检索已可用）")
            return 0

    def count(self) -> int:
        if self.embedder is None or self.chroma() is None:
            return 0
        return self._chroma.count()

"""Dense vectors of chunks in a local Chroma database, one collection per embedding model.

Chroma never embeds anything here: vectors always come from index.store.embedder, so Chroma's default
ONNX embedding function (which would download a model) is never created.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable
from urllib.parse import urlsplit

from index.models import Chunk, Clause, short_hash

if TYPE_CHECKING:
    import numpy as np

COLLECTION_PREFIX = "chunks"
HNSW_SPACE = "cosine"
FALLBACK_MAX_BATCH = 5000
# Flat scalar metadata stored with every chunk (Chroma accepts only str/int/float/bool).
META_CLAUSE_ID = "clause_id"
META_DOC_ID = "doc_id"
META_DOC_TITLE = "doc_title"
META_DOC_NUMBER = "doc_number"
META_LABEL = "label"
META_PATH = "path"
META_UNITS = "units"
META_CITATION = "citation"
META_KIND = "kind"
META_ORDER = "order"
META_PART = "part"
META_N_PARTS = "n_parts"
META_MODEL = "embed_model"
PATH_SEP = " / "
UNITS_SEP = "、"


class ChromaUnavailable(RuntimeError):
    """Chroma can't be reached or opened; str(e) is one Chinese line naming where and how to fix it."""


def _client(path: Path | None, url: str | None):
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if url:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        ssl = parts.scheme == "https"
        port = parts.port or (443 if ssl else 8000)
        try:
            return chromadb.HttpClient(host=parts.hostname or "127.0.0.1", port=port, ssl=ssl, settings=settings)
        except Exception as e:  # chromadb raises ValueError, httpx and OS errors alike for "no server there"
            raise ChromaUnavailable(f"Chroma 服务器 {url} 无法连接（{type(e).__name__}: {e}）；请启动 "
                                    f"`chroma run --path <目录> --host {parts.hostname} --port {port}` 或修改 "
                                    f"ASSISTANT_CHROMA_URL；在此之前仅用关键词检索") from e
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def collection_name(model_name: str) -> str:
    """A Chroma-legal collection name (3-512 chars of [a-zA-Z0-9._-], alnum at both ends) unique per model name."""
    slug = re.sub(r"[^a-zA-Z0-9._-]+", "-", model_name.rstrip("/").split("/")[-1]).strip("._-")
    slug = re.sub(r"\.{2,}", ".", slug)[:80].strip("._-")
    # The hash keeps two models with the same folder name (or hub id vs local copy) apart.
    return f"{COLLECTION_PREFIX}_{slug}_{short_hash(model_name, n=8)}" if slug else f"{COLLECTION_PREFIX}_{short_hash(model_name, n=8)}"


def clause_metadata(chunk: Chunk, clause: Clause) -> dict[str, str | int]:
    return {
        META_CLAUSE_ID: clause.clause_id,
        META_DOC_ID: clause.doc_id,
        META_DOC_TITLE: clause.doc_title,
        META_DOC_NUMBER: clause.doc_number or "",
        META_LABEL: clause.label,
        META_PATH: PATH_SEP.join(clause.path),
        META_UNITS: UNITS_SEP.join(clause.units),
        META_CITATION: clause.citation,
        META_KIND: clause.kind,
        META_ORDER: int(clause.order),
        META_PART: int(chunk.part),
        META_N_PARTS: int(chunk.n_parts),
    }


class ChromaStore:
    """Chunk vectors for one embedding model: a PersistentClient at `path`, or the Chroma server at `url`."""

    def __init__(self, path: Path | None, model_name: str, *, url: str | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.url = url
        self.model_name = model_name
        self._client = _client(self.path, url)
        self.collection_name = collection_name(model_name)
        self._col = self._client.get_or_create_collection(
            name=self.collection_name,
            configuration={"hnsw": {"space": HNSW_SPACE}},
            metadata={META_MODEL: model_name},
            embedding_function=None,
        )
        get_max = getattr(self._client, "get_max_batch_size", None)
        self._max_batch = int(get_max()) if callable(get_max) else FALLBACK_MAX_BATCH

    def __repr__(self) -> str:
        where = self.url or str(self.path)
        return f"ChromaStore({where!r}, collection={self.collection_name!r}, count={self.count()})"

    def count(self) -> int:
        return int(self._col.count())

    def __len__(self) -> int:
        return self.count()

    def upsert(self, chunks: list[Chunk], clauses: dict[str, Clause], vectors: np.ndarray) -> None:
        import numpy as np

        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(chunks):
            raise ValueError(f"{len(chunks)} chunks but vectors of shape {vectors.shape}")
        missing = sorted({c.clause_id for c in chunks} - clauses.keys())
        if missing:
            raise KeyError(f"no clause for chunk(s) of {missing[:5]}")
        for start in range(0, len(chunks), self._max_batch):
            batch = chunks[start : start + self._max_batch]
            self._col.upsert(
                ids=[c.chunk_id for c in batch],
                embeddings=vectors[start : start + len(batch)],
                documents=[c.text for c in batch],
                metadatas=[clause_metadata(c, clauses[c.clause_id]) for c in batch],
            )

    def has(self, ids: list[str]) -> set[str]:
        """Which of `ids` hold a vector."""
        out: set[str] = set()
        for start in range(0, len(ids), self._max_batch):
            out.update(self._col.get(ids=ids[start: start + self._max_batch], include=[])["ids"])
        return out

    def ids(self) -> set[str]:
        out: set[str] = set()
        offset = 0
        while True:
            got = self._col.get(include=[], limit=self._max_batch, offset=offset)
            out.update(got["ids"])
            if len(got["ids"]) < self._max_batch:
                return out
            offset += len(got["ids"])

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(dict.fromkeys(ids))
        for start in range(0, len(ids), self._max_batch):
            self._col.delete(ids=ids[start : start + self._max_batch])

    def query(self, vector: np.ndarray, k: int, doc_ids: list[str] | None = None) -> list[tuple[str, str, float]]:
        """(chunk_id, clause_id, cosine similarity) best first; doc_ids restricts to those documents."""
        import numpy as np

        if k <= 0 or (doc_ids is not None and not doc_ids):
            return []
        n = self.count()
        if n == 0:
            return []
        where = {META_DOC_ID: {"$in": list(doc_ids)}} if doc_ids else None
        res = self._col.query(
            query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1),
            n_results=min(k, n),
            where=where,
            include=["metadatas", "distances"],
        )
        ids, metas, dists = res["ids"][0], res["metadatas"][0], res["distances"][0]
        return [(cid, str(m[META_CLAUSE_ID]), 1.0 - float(d)) for cid, m, d in zip(ids, metas, dists)]

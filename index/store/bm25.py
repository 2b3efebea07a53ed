"""An in-memory BM25 index (bm25s) over chunks: what the naive eval baseline and the lexical comparison use.

The product's own lexical index is index/store/lexical.py (incremental, in SQLite); both score Lucene's BM25
with the same k1, b and tokens, so their rankings agree. Saved as bm25s's own files plus a JSON that maps row
numbers back to chunk and clause ids.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Callable, Iterable

from index.models import Chunk
from index.store.tokens import TOKENIZER_VERSION, is_word, tokenize

FORMAT_VERSION = 1
META_FILE = "chunks.json"
BM25S_PARAMS = "params.index.json"  # written by bm25s.BM25.save; holds num_docs
# Anserini's defaults. On 50 paraphrased questions over the six bundled policies (~220-char
# chunks) they beat Lucene's k1=1.2, b=0.75: MRR 0.896 vs 0.850, hit@1 0.84 vs 0.76.
BM25_K1 = 0.9
BM25_B = 0.4
BM25_METHOD = "lucene"


class IndexOutdated(RuntimeError):
    """The saved BM25 index was built by another tokenizer or format; str(e) says to rebuild it."""


def _write_json_atomic(path: Path, data: object) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


class BM25Store:
    """BM25 over Chunk.index_text; search returns (chunk_id, score) best first."""

    def __init__(self, retriever: object | None, chunk_ids: list[str], clause_ids: list[str],
                 saved: Path | None = None) -> None:
        if len(chunk_ids) != len(clause_ids):
            raise ValueError("chunk_ids and clause_ids differ in length")
        self._loaded = retriever  # None for an empty corpus: bm25s can't index zero documents
        self._saved = saved  # a saved index not read yet: bm25s and scipy cost ~0.3 s, `docs` needs neither
        self._load_lock = threading.Lock()
        self.chunk_ids = list(chunk_ids)
        self.clause_ids = list(clause_ids)

    @property
    def _retriever(self) -> object | None:
        if self._saved is not None:
            with self._load_lock:
                if self._saved is not None:
                    import bm25s

                    self._loaded = bm25s.BM25.load(str(self._saved), load_corpus=False, mmap=False, show_progress=False)
                    self._saved = None
        return self._loaded

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def words(self) -> frozenset[str]:
        """The indexed word tokens (jieba words, not bigrams): what the corpus can be asked about."""
        if self._retriever is None:
            return frozenset()
        return frozenset(t for t in self._retriever.vocab_dict if is_word(t))

    def __repr__(self) -> str:
        return f"BM25Store(chunks={len(self)})"

    @classmethod
    def build(cls, chunks: Iterable[Chunk]) -> "BM25Store":
        chunks = list(chunks)
        if not chunks:
            return cls(None, [], [])
        import bm25s

        retriever = bm25s.BM25(k1=BM25_K1, b=BM25_B, method=BM25_METHOD)
        retriever.index([tokenize(c.index_text) for c in chunks], show_progress=False)
        return cls(retriever, [c.chunk_id for c in chunks], [c.clause_id for c in chunks])

    def save(self, dir: Path) -> None:
        """Write the index to `dir`, replacing what was there only once the new one is complete."""
        dir = Path(dir)
        dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=dir.name + ".tmp-", dir=dir.parent))
        try:
            if self._retriever is not None:
                self._retriever.save(str(tmp), show_progress=False)
            meta = {
                "format": FORMAT_VERSION,
                "tokenizer": TOKENIZER_VERSION,
                "chunk_ids": self.chunk_ids,
                "clause_ids": self.clause_ids,
            }
            _write_json_atomic(tmp / META_FILE, meta)
            old = None
            if dir.exists():
                old = Path(tempfile.mkdtemp(prefix=dir.name + ".old-", dir=dir.parent))
                os.replace(dir, old / "index")  # a non-empty directory can't be os.replace'd onto
            try:
                os.replace(tmp, dir)
            except OSError:
                if old is not None:
                    os.replace(old / "index", dir)
                raise
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, dir: Path) -> "BM25Store":
        dir = Path(dir)
        meta_path = dir / META_FILE
        if not meta_path.is_file():
            raise FileNotFoundError(f"{dir} 中没有 BM25 索引（缺少 {META_FILE}），请先运行 ingest 建立索引")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION or meta.get("tokenizer") != TOKENIZER_VERSION:
            raise IndexOutdated(
                f"{dir} 中的 BM25 索引由旧版程序生成（分词器 {meta.get('tokenizer')}，当前 {TOKENIZER_VERSION}），请重新运行 ingest 重建索引"
            )
        chunk_ids, clause_ids = meta["chunk_ids"], meta["clause_ids"]
        if not chunk_ids:
            return cls(None, [], [])
        try:  # bm25s's own parameters file: checked now, the index itself is read at the first search
            n = int(json.loads((dir / BM25S_PARAMS).read_text(encoding="utf-8"))["num_docs"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise IndexOutdated(f"{dir} 中的 BM25 索引不完整（{e}），请重新运行 ingest 重建索引") from e
        if n != len(chunk_ids):
            raise IndexOutdated(f"{dir} 中的 BM25 索引不完整（{n} 行，{len(chunk_ids)} 个 chunk），请重新运行 ingest 重建索引")
        return cls(None, chunk_ids, clause_ids, saved=dir)

    def search(self, query: str, k: int, allowed: Callable[[str], bool] | None = None) -> list[tuple[str, float]]:
        """Top k (chunk_id, score > 0), best first; `allowed(clause_id)` filters before the cut, so filters still get k."""
        if self._retriever is None or k <= 0:
            return []
        import numpy as np

        vocab = self._retriever.vocab_dict
        tokens = [t for t in dict.fromkeys(tokenize(query)) if t in vocab]
        if not tokens:
            return []
        scores = np.asarray(self._retriever.get_scores(tokens), dtype=np.float64)
        rows = np.flatnonzero(scores > 0)
        if allowed is not None:
            verdict: dict[str, bool] = {}
            keep = []
            for r in rows.tolist():
                cid = self.clause_ids[r]
                if cid not in verdict:
                    verdict[cid] = bool(allowed(cid))
                if verdict[cid]:
                    keep.append(r)
            rows = np.asarray(keep, dtype=np.int64)
        if rows.size == 0:
            return []
        # Stable sort on rows in index order: equal scores keep document order.
        order = rows[np.argsort(-scores[rows], kind="stable")][:k]
        return [(self.chunk_ids[r], float(scores[r])) for r in order.tolist()]

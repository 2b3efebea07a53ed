"""The clause index: documents in, clauses out, hybrid search over them.

One on-disk store holds a manifest (the committed state), a JSONL clause file per
document, a BM25 index per generation, and Chroma (bge vectors). A write builds the
next generation beside the current one and commits by atomically replacing the
manifest; Chroma is reconciled to the manifest afterwards, also when a write fails,
so Chroma and BM25 always describe the same clauses.
"""
from __future__ import annotations

import json
import logging
import math
import re
import os
import shutil
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from index.bm25_store import BM25Store, IndexOutdated
from index.fusion import rrf
from index.loaders import iter_document_paths
from index.models import Chunk, Clause, DocumentMeta, Hit, IngestFailure, IngestReport, Origin
from index.synonyms import expand
from index.aliases import abbreviations, doc_aliases, label_key, own_place

if TYPE_CHECKING:
    from index.parser import ParsedDocument

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = 1
Progress = Callable[[str, int, int], None]  # (stage, done, total)
# Chunks handed to the embedder per call: progress is reported between calls, and each FlagEmbedding
# encode call pays one trial forward pass to size its batches, so fewer, larger calls cost less.
EMBED_SLICE = 256
# index.parser.DEFAULT_MAX_CHARS: the parser (and llama-index under it, ~1 s) is imported only by writes,
# so `docs` and `search` start fast.
DEFAULT_MAX_CHARS = 420


class StoreCorrupt(RuntimeError):
    """A store problem a user can fix; str(e) is one Chinese line with the fix."""


class UnknownDocument(LookupError):
    def __init__(self, doc: str, candidates: Sequence[str] = ()):
        hint = f"；可选：{'、'.join(candidates[:8])}" if candidates else "；用 `python -m assistant docs` 查看已导入文件"
        super().__init__(f"找不到文件“{doc}”{hint}")
        self.doc = doc


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


@dataclass(frozen=True)
class _Snapshot:
    generation: int
    docs: dict[str, DocumentMeta]  # doc_id → meta, in ingest order
    files: dict[str, str]  # doc_id → clause file name
    clauses: dict[str, Clause]
    by_doc: dict[str, list[str]]  # doc_id → clause ids in document order
    bm25: BM25Store = field(repr=False)


def _empty() -> _Snapshot:
    return _Snapshot(0, {}, {}, {}, {}, BM25Store.build([]))


class ClauseIndex:
    """Read and write one clause store. Reads use an immutable snapshot, so searches never see half a write."""

    def __init__(self, store: Path | str, *, embed_model: str | None = "BAAI/bge-small-zh-v1.5",
                 rerank_model: str | None = None, lexical_only: bool = False,
                 max_chunk_chars: int = DEFAULT_MAX_CHARS, rrf_k: int = 60, candidates: int = 50,
                 rerank_top_n: int = 20) -> None:
        self.store = Path(store)
        self.embed_model = embed_model
        self.rerank_model = rerank_model
        self.lexical_only = lexical_only or not embed_model
        self.max_chunk_chars = max_chunk_chars
        self.rrf_k, self.candidates, self.rerank_top_n = rrf_k, candidates, rerank_top_n
        self._write_lock = threading.RLock()
        self._model_lock = threading.Lock()
        self._embedder = None
        self._reranker = None
        self._dense_error: str | None = "已设置为仅关键词检索" if self.lexical_only else None
        self._models_tried = self.lexical_only
        self._chroma = None
        self._snap = self._read()

    # ---- models -------------------------------------------------------------------------
    def _load_models(self) -> None:
        """Load bge (and the reranker) once; on failure say why once and stay lexical-only."""
        with self._model_lock:
            if self._models_tried:
                return
            self._models_tried = True
            from index.embedder import ModelUnavailable, load_embedder, load_reranker

            try:
                self._embedder = load_embedder(self.embed_model)
            except ModelUnavailable as e:
                self._dense_error = str(e)
                logger.debug("lexical only: %s", e)
            if self.rerank_model:
                try:
                    self._reranker = load_reranker(self.rerank_model)
                except ModelUnavailable as e:
                    logger.debug("no reranker: %s", e)

    def mode(self) -> RetrievalMode:
        self._load_models()
        return RetrievalMode(self._embedder is not None, self.embed_model if self._embedder else None,
                             self.rerank_model if self._reranker else None, self._dense_error)

    def _chroma_store(self, create: bool):
        if self._chroma is None:
            path = self.store / "chroma"
            if not create and not path.exists():
                return None
            from index.chroma_store import ChromaStore

            self._chroma = ChromaStore(path, self.embed_model or "none")
        return self._chroma

    # ---- reading ------------------------------------------------------------------------
    def _read(self) -> _Snapshot:
        path = self.store / MANIFEST
        if not path.exists():
            return _empty()
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            docs, files, clauses, by_doc = {}, {}, {}, {}
            for entry in manifest["documents"]:
                meta = DocumentMeta.from_json(entry["meta"])
                docs[meta.doc_id], files[meta.doc_id] = meta, entry["file"]
                rows = (self.store / "clauses" / entry["file"]).read_text(encoding="utf-8").splitlines()
                cs = [Clause.from_record(json.loads(r)) for r in rows if r.strip()]
                by_doc[meta.doc_id] = [c.clause_id for c in cs]
                clauses.update((c.clause_id, c) for c in cs)
            bm25 = self._load_bm25(self.store / manifest["bm25"], clauses, by_doc)
            return _Snapshot(int(manifest["generation"]), docs, files, clauses, by_doc, bm25)
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise StoreCorrupt(f"索引目录 {self.store} 已损坏（{e}）；请删除该目录后重新运行 `python -m assistant ingest`") from e

    def _load_bm25(self, folder: Path, clauses: dict[str, Clause], by_doc: dict[str, list[str]]) -> BM25Store:
        """The saved BM25 index; one written by an older tokenizer is rebuilt from the clause files (kept on disk
        at the next write), so upgrading the product never strands a store."""
        if not clauses:
            return BM25Store.build([])
        try:
            return BM25Store.load(folder)
        except IndexOutdated as e:
            logger.warning("%s；已根据条款库自动重建关键词索引", e)
            self._bm25_rebuilt = True
            from index.parser import split_clause

            return BM25Store.build([ch for ids in by_doc.values() for c in ids
                                    for ch in split_clause(clauses[c], self.max_chunk_chars)])

    def documents(self) -> list[tuple[DocumentMeta, int]]:
        snap = self._snap
        return [(m, len(snap.by_doc[d])) for d, m in snap.docs.items()]

    def resolve_doc(self, doc: str) -> DocumentMeta:
        """A document by doc_id, exact title, 文号, file name, or a unique part of its title."""
        snap, key = self._snap, doc.strip().strip("《》")
        if key in snap.docs:
            return snap.docs[key]
        metas = list(snap.docs.values())
        for m in metas:
            if key in (m.title, m.doc_number, Path(m.path).name, Path(m.path).stem):
                return m
        partial = [m for m in metas if key and key in m.title]
        if len(partial) == 1:
            return partial[0]
        raise UnknownDocument(doc, [m.title for m in (partial or metas)])

    def clauses(self, doc: str | None = None) -> list[Clause]:
        snap = self._snap
        doc_ids = [self.resolve_doc(doc).doc_id] if doc else list(snap.docs)
        return [snap.clauses[c] for d in doc_ids for c in snap.by_doc[d]]

    def clause(self, clause_id: str) -> Clause | None:
        return self._snap.clauses.get(clause_id)

    def lead_of(self, clause: Clause) -> Clause | None:
        """The lead clause an item hangs under (（二）有下列情形之一的，由…追回资金：  →  1.弄虚作假…的；)."""
        return self._family()[0].get((clause.doc_id, clause.path[:-1])) if len(clause.path) > 1 else None

    def items_of(self, lead: Clause) -> list[Clause]:
        """The items under a lead clause, in document order."""
        return self._family()[1].get((lead.doc_id, lead.path), [])

    def _family(self) -> tuple[dict, dict]:
        snap = self._snap
        if getattr(self, "_family_gen", None) != snap.generation:
            leads: dict[tuple[str, tuple[str, ...]], Clause] = {}
            items: dict[tuple[str, tuple[str, ...]], list[Clause]] = {}
            for d, ids in snap.by_doc.items():
                for cid in ids:
                    c = snap.clauses[cid]
                    if c.kind == "lead":
                        leads[(d, c.path)] = c
                    elif len(c.path) > 1:
                        items.setdefault((d, c.path[:-1]), []).append(c)
            self._family_cache = (leads, items)
            self._family_gen = snap.generation
        return self._family_cache

    def neighbours(self, clause_id: str, n: int = 1) -> list[Clause]:
        """The clause with up to n clauses either side, in document order."""
        snap = self._snap
        c = snap.clauses.get(clause_id)
        if c is None:
            return []
        ids = snap.by_doc[c.doc_id]
        i = ids.index(clause_id)
        return [snap.clauses[x] for x in ids[max(0, i - n): i + n + 1]]

    def mentioned_docs(self, text: str) -> list[str]:
        """Documents a question names: by place (青浦区 / 青浦), title or title without its place."""
        return list(dict.fromkeys(d for _, ids in self.mentions(text) for d in ids))

    def mentions(self, text: str) -> list[tuple[str, list[str]]]:
        """(alias, doc_ids) for each way `text` names documents, in order of length (specific first)."""
        found: list[tuple[str, list[str]]] = []
        rest = text
        for alias, doc_ids in self._aliases():
            if alias in rest:
                rest = rest.replace(alias, "□")  # a longer, more specific alias wins
                found.append((alias, doc_ids))
        for short, doc_id in self._abbreviations(rest):
            found.append((short, [doc_id]))
        return found

    def _abbreviations(self, text: str) -> list[tuple[str, str]]:
        return abbreviations(text, [(m.doc_id, m.title) for m in self._snap.docs.values()])

    def _aliases(self) -> list[tuple[str, list[str]]]:
        snap = self._snap
        if getattr(self, "_alias_gen", None) != snap.generation:
            table: dict[str, list[str]] = {}
            for d, m in snap.docs.items():
                for alias in doc_aliases(m.title):
                    table.setdefault(alias, []).append(d)
            self._alias_table = sorted(table.items(), key=lambda x: -len(x[0]))
            self._alias_gen = snap.generation
        return self._alias_table

    def aliases(self) -> set[str]:
        return {a for a, _ in self._aliases()}

    def short_name(self, doc_id: str) -> str:
        """A document's name in a compare answer: its most specific place (青浦区), else its title."""
        meta = self._snap.docs[doc_id]
        place = own_place(meta.title)
        shared = [m for m in self._snap.docs.values() if place and own_place(m.title) == place]
        return place if len(shared) == 1 else meta.title

    def level(self, doc_id: str) -> int:
        """How local a document is: 0 unknown or national, 1 a province or city (上海市), 2 a district or county."""
        place = own_place(self._snap.docs[doc_id].title)
        if not place:
            return 0
        return 2 if place[-1] in "区县旗镇乡" or place.endswith("街道") else 1

    def corpus_has(self, term: str) -> bool:
        """Does any indexed clause contain `term`?"""
        snap = self._snap
        if getattr(self, "_joined_gen", None) != snap.generation:
            self._joined = "\n".join(c.doc_title + " " + c.text for c in snap.clauses.values())
            self._joined_gen = snap.generation
        return term in self._joined

    def rarity(self, term: str) -> float:
        """How few clauses mention `term`: log-scaled inverse clause frequency in [0, 1]."""
        snap = self._snap
        if getattr(self, "_rarity_gen", None) != snap.generation:
            self._rarity_cache: dict[str, float] = {}
            self._rarity_texts = [c.text for c in snap.clauses.values()]
            self._rarity_gen = snap.generation
        if term not in self._rarity_cache:
            n = len(self._rarity_texts)
            df = sum(term in t for t in self._rarity_texts)
            self._rarity_cache[term] = math.log((n + 1) / (df + 1)) / math.log(n + 1) if n else 0.0
        return self._rarity_cache[term]

    def vocabulary(self) -> frozenset[str]:
        """Words of the indexed clauses (jieba tokens): what the corpus can be asked about."""
        snap = self._snap
        if getattr(self, "_vocab_gen", None) != snap.generation:
            self._vocab = snap.bm25.words()
            self._vocab_gen = snap.generation
        return self._vocab

    def lookup(self, reference: str, doc: str | None = None) -> list[Clause]:
        """Clauses a formal reference names: 嘉定 二（一）1 / 环境保护条例 第十八条 / 第18条 (within `doc`) / 附件1 第12项."""
        snap = self._snap
        text = reference.strip()
        if doc:
            doc_ids = [self.resolve_doc(doc).doc_id]
        else:
            found = self.mentions(text)
            doc_ids = list(dict.fromkeys(d for _, ids in found for d in ids)) or list(snap.docs)
            for alias, _ in found:
                text = text.replace(alias, " ")
        key = label_key(text)
        if not key:
            return []
        return [snap.clauses[c] for d in doc_ids for c in snap.by_doc[d] if label_key(snap.clauses[c].label) == key]

    def find_quote(self, quote: str) -> Clause | None:
        """The clause whose text contains `quote` (or its longest phrase): how a follow-up finds what was cited."""
        phrases = sorted((p for p in re.split(r"[，。；、]", quote) if len(p) >= 4), key=len, reverse=True)
        if not phrases:
            return None
        for hit in self.search(quote, k=20):
            if any(p in hit.clause.text for p in phrases[:2]):
                return hit.clause
        return None

    # ---- search -------------------------------------------------------------------------
    def search(self, query: str, k: int = 5, doc: str | Sequence[str] | None = None) -> list[Hit]:
        snap = self._snap
        if not query.strip() or not snap.clauses:
            return []
        doc_ids = None
        if doc:
            doc_ids = {self.resolve_doc(d).doc_id for d in ([doc] if isinstance(doc, str) else doc)}
        allowed = (lambda cid: cid in snap.clauses and (doc_ids is None or snap.clauses[cid].doc_id in doc_ids))
        lexical = _dedupe(snap.bm25.search(expand(query), self.candidates * 2, allowed), snap)
        self._load_models()
        dense: list[tuple[str, float]] = []
        if self._embedder is not None:
            store = self._chroma_store(create=True)
            vec = self._embedder.encode_queries([query])[0]
            found = store.query(vec, self.candidates * 2, sorted(doc_ids) if doc_ids else None)
            dense = _dedupe([(chunk_id, sim) for chunk_id, _, sim in found if allowed(chunk_id.split("#")[0])], snap)
        lex_rank = {cid: r for r, (cid, _) in enumerate(lexical, 1)}
        dense_rank = {cid: r for r, (cid, _) in enumerate(dense, 1)}
        if dense:
            fused = rrf([[c for c, _ in lexical[: self.candidates]], [c for c, _ in dense[: self.candidates]]], k=self.rrf_k)
        else:
            fused = lexical[: self.candidates]
        mentioned = set(self.mentioned_docs(query)) if doc_ids is None else set()
        if mentioned:  # the question names documents: their clauses first, in fused order
            fused = [x for x in fused if snap.clauses[x[0]].doc_id in mentioned] + \
                    [x for x in fused if snap.clauses[x[0]].doc_id not in mentioned]
        rerank: dict[str, float] = {}
        if self._reranker is not None and fused:
            head = [cid for cid, _ in fused[: self.rerank_top_n]]
            scores = self._reranker.score(query, [snap.clauses[c].header() + "\n" + snap.clauses[c].text for c in head])
            rerank = dict(zip(head, scores))
            fused = sorted(((c, rerank[c]) for c in head), key=lambda x: -x[1]) + fused[self.rerank_top_n:]
        return [Hit(snap.clauses[cid], score, rank, lex_rank.get(cid), dense_rank.get(cid), rerank.get(cid))
                for rank, (cid, score) in enumerate(fused[:k], 1)]

    # ---- writing ------------------------------------------------------------------------
    def ingest(self, paths: Iterable[str | Path], progress: Progress | None = None,
               origin: Origin | None = None) -> IngestReport:
        from filelock import FileLock

        self.store.mkdir(parents=True, exist_ok=True)
        with self._write_lock, FileLock(str(self.store / ".lock")):
            try:
                return self._ingest(list(paths), progress, origin)
            finally:
                self._reconcile_chroma()

    def _ingest(self, paths: list, progress: Progress | None, origin: Origin | None = None) -> IngestReport:
        from index.sandbox import parse_files

        snap = self._snap = self._read()  # another process may have written since we loaded
        files, bad = iter_document_paths(paths)
        failures = [IngestFailure(p, r) for p, r in bad]
        warnings: list[str] = []
        hashes = {m.content_hash for m in snap.docs.values()}
        by_path = {m.path: d for d, m in snap.docs.items()}
        parsed: dict[str, ParsedDocument] = {}
        dropped: set[str] = set()
        skipped = 0
        # Files are read and parsed in a worker process with memory and time limits (index/sandbox.py).
        for n, (f, out) in enumerate(zip(files, parse_files(files, hashes)), 1):
            if progress:
                progress("解析文件", n - 1, len(files))
            if out.failure:
                failures.append(IngestFailure(str(f), out.failure))
                continue
            if out.skipped:  # byte-identical to an indexed file: nothing to do
                skipped += 1
                continue
            doc = out.doc
            if origin is not None:
                doc = replace(doc, meta=origin.stamp(doc.meta))
            warnings.extend(f"{f}: {w}" for w in doc.warnings)
            same = snap.docs.get(doc.meta.doc_id) or (parsed[doc.meta.doc_id].meta if doc.meta.doc_id in parsed else None)
            if same and same.path != str(f):
                warnings.append(f"{f}: 与已导入的 {same.path} 是同一文件（标题与文号相同），已用新文件替换")
            old = by_path.get(str(f))
            if old and old != doc.meta.doc_id:
                dropped.add(old)  # the same file now parses as another document (its title changed)
            parsed[doc.meta.doc_id] = doc
        if progress:
            progress("解析文件", len(files), len(files))
        if parsed or dropped or getattr(self, "_bm25_rebuilt", False):
            self._commit(snap, parsed, dropped, progress)
        n_clauses = sum(len(d.clauses) for d in parsed.values())
        return IngestReport(len(parsed), n_clauses, skipped, tuple(failures), tuple(warnings), tuple(parsed))

    def remove(self, doc: str) -> DocumentMeta:
        from filelock import FileLock

        with self._write_lock, FileLock(str(self.store / ".lock")):
            try:
                snap = self._snap = self._read()
                meta = self.resolve_doc(doc)
                self._commit(snap, {}, {meta.doc_id}, None)
                return meta
            finally:
                self._reconcile_chroma()

    def _commit(self, snap: _Snapshot, parsed: dict[str, ParsedDocument], dropped: set[str], progress: Progress | None) -> None:
        from index.parser import split_clause

        gen = snap.generation + 1
        docs = {d: m for d, m in snap.docs.items() if d not in dropped and d not in parsed}
        files = {d: snap.files[d] for d in docs}
        by_doc = {d: snap.by_doc[d] for d in docs}
        clauses = {c: snap.clauses[c] for d in docs for c in by_doc[d]}
        (self.store / "clauses").mkdir(parents=True, exist_ok=True)
        for doc_id, doc in parsed.items():
            name = f"{doc_id}-{doc.meta.content_hash[:12]}-g{gen}.jsonl"
            _write_atomic(self.store / "clauses" / name,
                          "".join(json.dumps(c.to_record(), ensure_ascii=False) + "\n" for c in doc.clauses))
            docs[doc_id], files[doc_id] = doc.meta, name
            by_doc[doc_id] = [c.clause_id for c in doc.clauses]
            clauses.update((c.clause_id, c) for c in doc.clauses)
        chunks = [ch for d in docs for c in by_doc[d] for ch in split_clause(clauses[c], self.max_chunk_chars)]
        self._embed_missing(chunks, clauses, progress)
        if progress:
            progress("建立关键词索引", 0, 1)
        bm25 = BM25Store.build(chunks)
        bm25_dir = f"bm25-g{gen}"
        bm25.save(self.store / bm25_dir)
        manifest = {"format": FORMAT, "generation": gen, "bm25": bm25_dir,
                    "documents": [{"meta": docs[d].to_json(), "file": files[d]} for d in docs]}
        _write_atomic(self.store / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        self._snap = _Snapshot(gen, docs, files, clauses, by_doc, bm25)
        self._bm25_rebuilt = False
        if progress:
            progress("建立关键词索引", 1, 1)
        self._collect_garbage()

    def _embed_missing(self, chunks: list[Chunk], clauses: dict[str, Clause], progress: Progress | None) -> None:
        """Embed the chunks Chroma doesn't hold yet (clause ids are content hashes: unchanged clauses are reused)."""
        self._load_models()
        if self._embedder is None:
            return
        store = self._chroma_store(create=True)
        have = store.ids()
        todo = [c for c in chunks if c.chunk_id not in have]
        batch = EMBED_SLICE
        for i in range(0, len(todo), batch):
            if progress:
                progress("计算向量", i, len(todo))
            part = todo[i: i + batch]
            vecs = self._embedder.encode_corpus([c.index_text for c in part])
            store.upsert(part, clauses, vecs)
        if progress and todo:
            progress("计算向量", len(todo), len(todo))

    def sync_dense(self, progress: Progress | None = None) -> int:
        """Embed clauses indexed while the model was unavailable; returns how many chunks were added."""
        from filelock import FileLock

        from index.parser import split_clause

        self._load_models()
        if self._embedder is None:
            return 0
        with self._write_lock, FileLock(str(self.store / ".lock")):
            snap = self._snap
            chunks = [ch for c in snap.clauses.values() for ch in split_clause(c, self.max_chunk_chars)]
            before = self._chroma_store(create=True).count()
            self._embed_missing(chunks, snap.clauses, progress)
            self._reconcile_chroma()
            return self._chroma_store(create=True).count() - before

    def _reconcile_chroma(self) -> None:
        """Delete from Chroma every vector whose clause isn't in the committed manifest."""
        try:
            self._snap = self._read()
        except StoreCorrupt:
            return
        store = self._chroma_store(create=False)
        if store is None:
            return
        stale = [i for i in store.ids() if i.split("#")[0] not in self._snap.clauses]
        if stale:
            store.delete(stale)

    def _collect_garbage(self) -> None:
        snap = self._snap
        keep_files = set(snap.files.values())
        for p in (self.store / "clauses").glob("*.jsonl"):
            if p.name not in keep_files:
                p.unlink(missing_ok=True)
        for p in self.store.glob("bm25-g*"):
            if p.name != f"bm25-g{snap.generation}" and p.is_dir():
                shutil.rmtree(p, ignore_errors=True)

    def dense_count(self) -> int:
        store = self._chroma_store(create=False)
        return store.count() if store is not None and self._embedder is not None else 0


def _dedupe(ranked: list[tuple[str, float]], snap: _Snapshot) -> list[tuple[str, float]]:
    """Chunk hits → clause hits: a clause ranks by its best part."""
    seen: dict[str, float] = {}
    for chunk_id, score in ranked:
        cid = chunk_id.split("#")[0]
        if cid in snap.clauses and cid not in seen:
            seen[cid] = score
    return list(seen.items())


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)

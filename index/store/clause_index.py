"""The clause index: documents in, clauses out, hybrid search over them — what assistant/ and eval/ read.

One SQLite file (index.sqlite) holds the committed state: documents, clauses, chunks, the lexical postings and
the substring postings. A write commits in transactions, so a reader (in this process or another) sees one
generation at a time and a crash leaves the last commit. What the answering layer asks per question (aliases,
mentions, short names, levels, corpus_has, rarity) is computed once per generation or answered from postings.
Chroma (bge vectors) follows the commits: vectors of removed chunks are deleted, missing ones embedded.

For the answering layer, per question: `mentions(text)` (the aliases a text holds, not all of `aliases()`),
`alias_overlaps(place)` (instead of scanning `aliases()`), `short_names()` (all documents' names in one call),
`df(term)` / `n_clauses()` (the counts behind `rarity`), `corpus_has(term)`: each costs lookups, not a pass
over the documents or clauses.
"""
from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from index.aliases import label_key
from index.models import Clause, DocumentMeta, Hit, IngestReport, Origin
from index.store import marks as marks_table
from index.store.db import DB_FILE, NAMES, TOKENIZER, Database, StoreCorrupt, generation, get_meta
from index.store.fusion import rrf
from index.store.lexical import LexicalView
from index.store.names import UnknownDocument, names_version
from index.store.view import _View
from index.store.substrings import SubstringView
from index.store.tokens import TOKENIZER_VERSION
from index.store.vectors import RetrievalMode, Vectors
from index.synonyms import expand
from index.versions import STATUS_REPEALED, USER_STATUSES, Mark, Validity, describe, law_key, version_key

logger = logging.getLogger(__name__)

__all__ = ["ClauseIndex", "RetrievalMode", "StoreCorrupt", "UnknownDocument", "Progress"]
Progress = Callable[[str, int, int], None]  # (stage, done, total)
DEFAULT_MAX_CHARS = 420  # index.parser.DEFAULT_MAX_CHARS, without importing the parser on the read path
CLAUSE_CACHE = 20000  # parsed Clause objects kept per process (rows never change, so no invalidation)
WAITING_FOR_WRITER = "另一个进程正在写入索引目录 {store}，等待它完成后继续…（按 Ctrl+C 取消）"
VIEW_RECHECK_S = 0.05  # how stale a cached generation may be for per-document questions (see _current)


class ClauseIndex:
    """Read and write one clause store; reads see one committed generation, never half a write."""

    def __init__(self, store: Path | str, *, embed_model: str | None = "BAAI/bge-small-zh-v1.5",
                 rerank_model: str | None = None, lexical_only: bool = False,
                 max_chunk_chars: int = DEFAULT_MAX_CHARS, rrf_k: int = 60, candidates: int = 50,
                 rerank_top_n: int = 20, chroma_url: str | None = None, embed_device: str = "cpu",
                 embed_batch_size: int = 32, commit_clauses: int | None = None,
                 ingest_workers: int | None = None, characters: bool = True) -> None:
        self.store = Path(store)
        self.embed_model = embed_model
        self.rerank_model = rerank_model
        self.lexical_only = lexical_only or not embed_model
        self.max_chunk_chars = max_chunk_chars
        self.rrf_k, self.candidates, self.rerank_top_n = rrf_k, candidates, rerank_top_n
        self.chroma_url = chroma_url or None
        self.embed_device, self.embed_batch_size = embed_device, embed_batch_size
        self.commit_clauses = commit_clauses
        self.ingest_workers = ingest_workers  # None: up to 4, one per core (index/store/prepare.py)
        self.characters = characters  # single characters count in lexical search (index/store/tokens.py)
        self.db = Database(self.store / DB_FILE)
        self._write_lock = threading.RLock()
        self._view_lock = threading.Lock()
        self.vectors = Vectors(self.store, embed_model=embed_model, rerank_model=rerank_model,
                               lexical_only=self.lexical_only, chroma_url=self.chroma_url, device=embed_device,
                               batch_size=embed_batch_size, max_chunk_chars=max_chunk_chars)
        self._v: _View | None = None
        self._checked = float("-inf")  # when _current last compared the cached generation with the store
        self._clause_cache: dict[int, Clause] = {}
        self._open()

    def _open(self) -> None:
        """Create or migrate the store file when needed; rebuild postings written by another tokenizer."""
        from index.store import migrate

        if not self.db.exists() and not migrate.needs_migration(self.store):
            return  # nothing on disk yet: reads see an empty store, the first write creates it
        from index.store import lexical, substrings
        from index.store.db import SCHEMA

        schema = None
        if self.db.exists():
            with self.db.read() as conn:
                schema = get_meta(conn, SCHEMA) if conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone() else None
        if schema is None:  # a new file, or a migration about to fill one
            with self._writing():
                self.db.create(lexical.SEGMENTS.schema() + substrings.SEGMENTS.schema())
        if migrate.needs_migration(self.store):
            with self._writing():
                migrate.migrate(self.db, self.store, self.max_chunk_chars)
        with self.db.read() as conn:
            tok, names = get_meta(conn, TOKENIZER), get_meta(conn, NAMES)
            has_docs = conn.execute("SELECT 1 FROM documents LIMIT 1").fetchone() is not None
        if has_docs and tok != TOKENIZER_VERSION:
            from index.store.ingest import rebuild_postings

            logger.warning("索引由旧版分词器（%s，当前 %s）生成；已根据条款库自动重建关键词索引", tok, TOKENIZER_VERSION)
            with self._writing():
                rebuild_postings(self.db, self.max_chunk_chars)
        if has_docs and names != names_version():
            from index.store.ingest import refresh_names

            with self._writing():  # silently: same answers, computed once instead of per process
                refresh_names(self.db)
        if has_docs and migrate.needs_versions(self.db):
            with self._writing():
                migrate.add_versions(self.db)

    def _writing(self):
        from contextlib import ExitStack

        from filelock import FileLock, Timeout

        stack = ExitStack()
        self.store.mkdir(parents=True, exist_ok=True)
        stack.enter_context(self._write_lock)
        lock = FileLock(str(self.store / ".lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:  # another process is writing: say so rather than hang silently
            logger.warning(WAITING_FOR_WRITER.format(store=self.store))
            lock.acquire()
        stack.callback(lock.release)
        return stack

    # ---- models -------------------------------------------------------------------------
    def mode(self) -> RetrievalMode:
        return self.vectors.mode()

    @property
    def _embedder(self):  # the loaded bge model, for the naive eval baseline (one copy in memory)
        return self.vectors.embedder

    @property
    def _reranker(self):
        return self.vectors.reranker

    # ---- generations ----------------------------------------------------------------------
    def _view(self, conn) -> _View:
        gen = generation(conn)
        v = self._v
        if v is not None and v.generation == gen:
            return v
        with self._view_lock:
            if self._v is None or self._v.generation != gen:
                rows = conn.execute("SELECT seq, meta, n_clauses, aliases FROM documents ORDER BY seq").fetchall()
                docs = [(s, DocumentMeta.from_json(json.loads(m)), n) for s, m, n, _ in rows]
                fresh = get_meta(conn, NAMES) == names_version()
                stored = {m.doc_id: json.loads(a) for (_, m, _), (_, _, _, a) in zip(docs, rows)} if fresh else {}
                self._v = _View(gen, docs, stored, marks_table.load(conn))
            return self._v

    def _read(self):
        """A read transaction, or None when nothing has been written yet."""
        return self.db.read() if self.db.exists() else None

    def _lexical(self, conn, v: _View) -> LexicalView:
        return v._get("lexical", lambda: LexicalView.load(conn, v.live))

    def _substrings(self, conn, v: _View) -> SubstringView:
        return v._get("substrings", lambda: SubstringView.load(conn, v.live))

    def _rows_to_clauses(self, conn, rows: Sequence[int]) -> dict[int, Clause]:
        cache = self._clause_cache
        out = {r: cache[r] for r in dict.fromkeys(rows) if r in cache}
        need = [r for r in dict.fromkeys(rows) if r not in out]
        for start in range(0, len(need), 500):
            part = need[start: start + 500]
            for row, rec in conn.execute(f"SELECT row, record FROM clauses WHERE row IN ({','.join('?' * len(part))})", part):
                if len(cache) >= CLAUSE_CACHE:
                    cache.clear()  # what this call has read stays in `out`: a full cache never drops a result
                out[row] = cache[row] = Clause.from_record(json.loads(rec))
        dressing = self._view(conn).dressing
        if dressing:
            out = {r: _dressed(c, dressing) for r, c in out.items()}
        return out

    def _select(self, sql: str, args: Sequence = ()) -> list[Clause]:
        """Clauses by a query returning rows (in its order)."""
        tx = self._read()
        if tx is None:
            return []
        with tx as conn:
            rows = [r for (r,) in conn.execute(sql, list(args))]
            found = self._rows_to_clauses(conn, rows)
        return [found[r] for r in rows if r in found]

    def _current(self) -> _View:
        """The committed generation, checked against the store at most every VIEW_RECHECK_S: the answering layer
        asks per document (short_name of each of 3,000 documents per question), and another process's commit
        shows up a few milliseconds later either way. This process's own writes are seen at once."""
        v, now = self._v, time.monotonic()
        if v is not None and now - self._checked < VIEW_RECHECK_S:
            return v
        tx = self._read()
        if tx is None:
            return _View(0, [])
        with tx as conn:
            v = self._view(conn)
        self._checked = now
        return v

    # ---- documents and clauses ------------------------------------------------------------
    def documents(self) -> list[tuple[DocumentMeta, int]]:
        v = self._current()
        return list(v._get("documents", lambda: [(m, n) for _, m, n in v.docs]))

    def n_clauses(self) -> int:
        """Clauses in the committed generation."""
        v = self._current()
        return v._get("n_clauses", lambda: sum(n for _, _, n in v.docs))

    def resolve_doc(self, doc: str) -> DocumentMeta:
        """A document by doc_id, exact title, 文号, file name, or a unique part of its title."""
        return self._current().names.resolve(doc)

    def clauses(self, doc: str | None = None) -> list[Clause]:
        if doc:
            seq = self._current().seq_of[self.resolve_doc(doc).doc_id]
            return self._select("SELECT row FROM clauses WHERE doc_seq = ? ORDER BY ord", (seq,))
        return self._select("SELECT c.row FROM clauses c JOIN documents d ON d.seq = c.doc_seq ORDER BY c.doc_seq, c.ord")

    def clause(self, clause_id: str) -> Clause | None:
        found = self._select("SELECT row FROM clauses WHERE clause_id = ?", (clause_id,))
        return found[0] if found else None

    def lead_of(self, clause: Clause) -> Clause | None:
        """The lead clause an item hangs under (（二）有下列情形之一的，由…追回资金：  →  1.弄虚作假…的；)."""
        if len(clause.path) <= 1:
            return None
        seq = self._current().seq_of.get(clause.doc_id)
        key = json.dumps(list(clause.path[:-1]), ensure_ascii=False)
        found = self._select("SELECT row FROM clauses WHERE doc_seq = ? AND lead_key = ? ORDER BY ord DESC LIMIT 1",
                             (seq, key))
        return found[0] if found else None

    def items_of(self, lead: Clause) -> list[Clause]:
        """The items under a lead clause, in document order."""
        seq = self._current().seq_of.get(lead.doc_id)
        key = json.dumps(list(lead.path), ensure_ascii=False)
        return self._select("SELECT row FROM clauses WHERE doc_seq = ? AND parent_key = ? ORDER BY ord", (seq, key))

    def neighbours(self, clause_id: str, n: int = 1) -> list[Clause]:
        """The clause with up to n clauses either side, in document order."""
        return self._select("SELECT b.row FROM clauses a JOIN clauses b ON b.doc_seq = a.doc_seq AND b.ord BETWEEN"
                            " a.ord - ? AND a.ord + ? WHERE a.clause_id = ? ORDER BY b.ord", (n, n, clause_id))

    # ---- how questions name documents (per generation) ------------------------------------
    def mentioned_docs(self, text: str) -> list[str]:
        """Documents a question names: by place (青浦区 / 青浦), title or title without its place."""
        return list(dict.fromkeys(d for _, ids in self.mentions(text) for d in ids))

    def mentions(self, text: str) -> list[tuple[str, list[str]]]:
        """(alias, doc_ids) for each way `text` names documents, in order of length (specific first)."""
        return self._current().names.mentions(text)

    def aliases(self) -> set[str]:
        return self._current().names.aliases()

    def alias_overlaps(self, text: str) -> bool:
        """Is `text` part of some document alias, or an alias part of it? (青浦 → True: 青浦区 is an alias.)
        The per-question form of `any(text in a or a in text for a in aliases())`, which scans every alias."""
        return self._current().names.overlaps(text)

    def short_name(self, doc_id: str) -> str:
        """A document's name in a compare answer: its most specific place (青浦区), else its title."""
        return self._current().names.short_name(doc_id)

    def short_names(self) -> dict[str, str]:
        """short_name of every document (doc_id → name), built once per generation: one call per question instead
        of one per document."""
        v = self._current()
        return dict(v._get("short_names", lambda: {m.doc_id: v.names.short_name(m.doc_id) for _, m, _ in v.docs}))

    def level(self, doc_id: str) -> int:
        """How local a document is: 0 unknown or national, 1 a province or city (上海市), 2 a district or county."""
        return self._current().names.level(doc_id)

    # ---- corpus statistics (postings, cached per generation) ----------------------------
    def df(self, term: str) -> int:
        """How many clauses' text contains `term` (a substring, not a token)."""
        cached = self._current()._lazy.get("substrings")
        if cached is not None and term in cached._df:  # answered before in this generation: no transaction
            return cached._df[term]
        tx = self._read()
        if tx is None:
            return 0
        with tx as conn:
            return self._substrings(conn, self._view(conn)).df(conn, term)

    def corpus_has(self, term: str) -> bool:
        """Does any indexed clause (or document title) contain `term`?"""
        v = self._current()
        cached = v._lazy.get("substrings")
        if term in v.titles or (cached is not None and cached._df.get(term)):
            return True
        tx = self._read()
        if tx is None:
            return False
        with tx as conn:
            v = self._view(conn)
            return term in v.titles or self._substrings(conn, v).has(conn, term)

    def char_rarity(self, chars: Iterable[str]) -> dict[str, float]:
        """How few indexed chunks contain each character: log-scaled inverse frequency in [0, 1] (from the lexical
        index's single-character postings), read once per generation: every answer stage weighs a question's terms."""
        from index.store.tokens import CHAR_PREFIX

        chars = list(dict.fromkeys(chars))
        v = self._current()
        known: dict[str, float] = v._lazy.setdefault("char_rarity", {})
        missing = [ch for ch in chars if ch not in known]
        tx = self._read() if missing else None
        if tx is not None:
            with tx as conn:
                lex = self._lexical(conn, self._view(conn))
                found = lex.postings(conn, [CHAR_PREFIX + ch for ch in missing]) if lex.n else {}
            top = math.log(lex.n + 1) if lex.n else 1.0
            for ch in missing:
                df = len(found[CHAR_PREFIX + ch][0]) if found else 0
                known[ch] = math.log((lex.n + 1) / (df + 1)) / top if lex.n else 0.0
        return {ch: known.get(ch, 0.0) for ch in chars}

    def rarity(self, term: str) -> float:
        """How few clauses mention `term`: log-scaled inverse clause frequency in [0, 1]."""
        n = self.n_clauses()
        return math.log((n + 1) / (self.df(term) + 1)) / math.log(n + 1) if n else 0.0

    def vocabulary(self) -> frozenset[str]:
        """Words of the indexed clauses (jieba tokens): what the corpus can be asked about."""
        tx = self._read()
        if tx is None:
            return frozenset()
        with tx as conn:
            v = self._view(conn)
            return v._get("vocabulary", lambda: self._lexical(conn, v).words(conn))

    # ---- versions and status -------------------------------------------------------------
    def validity(self, doc_id: str) -> Validity:
        """A document's versions and status: 现行有效 / 已被修订 / 已废止 / 尚未施行 (index/versions.py)."""
        return self._current().validity[doc_id]

    def status_line(self, doc_id: str) -> str:
        """One line on a document's status: 已被修订（由2024年修正版取代，2024-09-27）."""
        v = self._current()
        metas = v.meta_of
        titles = {m.doc_id: m.title for m in metas.values()}
        editions = {d: (x.tag or metas[v.seq_of[d]].edition) and f"{x.tag or metas[v.seq_of[d]].edition}版"
                    for d, x in v.validity.items()}
        return describe(v.validity[doc_id], titles, editions)

    def versions(self, doc: str) -> list[DocumentMeta]:
        """Every version of a document's law in the store, oldest first."""
        v = self._current()
        key = law_key(self.resolve_doc(doc))
        return sorted((m for _, m, _ in v.docs if law_key(m) == key), key=lambda m: (version_key(m), m.doc_id))

    def versions_asked(self, doc_ids: Sequence[str], spec) -> list[str]:
        """The documents a question names, each replaced by the version it asks for (an EditionSpec: 2020年版 /
        修订前); a law with one version in the store, or without the version asked for, stays as named."""
        from index.store.lookup import choose_version

        v = self._current()
        out: list[str] = []
        for d in doc_ids:
            key = law_key(v.meta_of[v.seq_of[d]])
            versions = sorted((m for _, m, _ in v.docs if law_key(m) == key), key=lambda m: (version_key(m), m.doc_id))
            picked, _ = choose_version(v, versions, spec) if len(versions) > 1 else ([], None)
            out.extend(m.doc_id for m in picked) if picked else out.append(d)
        return list(dict.fromkeys(out))

    def set_status(self, doc: str, status: str | None, note: str | None = None, by: str | None = None) -> Validity:
        """Mark a document 已废止 / 尚未施行 / 现行有效, or (status None) clear the mark; kept by doc_id, so it
        survives re-ingest. Returns the document's validity afterwards."""
        from datetime import datetime

        if status is not None and status not in USER_STATUSES:
            raise ValueError(f"状态只能是 {'、'.join(USER_STATUSES)}（或 清除）")
        meta = self.resolve_doc(doc)
        mark = Mark(meta.doc_id, status, note or None, datetime.now().astimezone().isoformat(timespec="seconds"), by) \
            if status else None
        with self._writing():
            with self.db.write() as tx:
                marks_table.save(tx.conn, meta.doc_id, mark)
                tx.conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
        self._checked = float("-inf")
        return self.validity(meta.doc_id)

    # ---- lookup ---------------------------------------------------------------------------
    def resolve_reference(self, reference: str, doc: str | None = None):
        """What a reference names (index/store/lookup.py): 《title》（2024年修正）第X条第Y款, a short title, a 文号 with or
        without a clause path, 嘉定 二（一）1, 第十八条 within `doc`; one line when it names nothing that exists."""
        from index.store.lookup import resolve

        return resolve(self, reference, doc)

    def lookup(self, reference: str, doc: str | None = None) -> list[Clause]:
        """Clauses a formal reference names (see resolve_reference); [] when it names none."""
        return self.resolve_reference(reference, doc).clauses

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
        """Ranked clauses of the current versions (or of `doc`): the documents a query names first, an article it
        names (第十八条) first within them, repealed documents after the ones in force."""
        tx = self._read()
        if not query.strip() or tx is None:
            return []
        mentioned = set(self.mentioned_docs(query)) if not doc else set()
        with tx as conn:
            v = self._view(conn)
            if not v.docs:
                return []
            doc_ids = None
            if doc:
                doc_ids = {v.names.resolve(d).doc_id for d in ([doc] if isinstance(doc, str) else doc)}
            allowed = np.asarray([v.seq_of[d] for d in doc_ids], dtype=np.int32) if doc_ids else v.current_seqs
            lex = self._lexical(conn, v)
            found = lex.search(conn, expand(query), self.candidates * 2, allowed, self.characters)
            lexical = _dedupe((int(lex.rows.owner[r]), s) for r, s in found)
            ids = dict(conn.execute(f"SELECT row, clause_id FROM clauses WHERE row IN ({','.join('?' * len(lexical))})",
                                    [r for r, _ in lexical])) if lexical else {}
            lexical = [(ids[r], s) for r, s in lexical if r in ids]
            dense = self._dense_search(conn, v, query, allowed if doc_ids else None)
            if not doc_ids and v.hidden:
                dense = [(c, s) for c, s in dense if c.split("-", 1)[0] not in v.hidden]
            lex_rank = {cid: r for r, (cid, _) in enumerate(lexical, 1)}
            dense_rank = {cid: r for r, (cid, _) in enumerate(dense, 1)}
            if dense:
                fused = rrf([[c for c, _ in lexical[: self.candidates]], [c for c, _ in dense[: self.candidates]]],
                            k=self.rrf_k)
            else:
                fused = lexical[: self.candidates]
            named = self._named_articles(conn, v, query, doc_ids or mentioned)
            if named:  # 第十八条 of the document named never loses to its 第二十八条
                top = fused[0][1] if fused else 1.0
                fused = [(c, top) for c in named] + [x for x in fused if x[0] not in set(named)]
            head = [cid for cid, _ in fused]
            rows = dict(conn.execute(f"SELECT clause_id, row FROM clauses WHERE clause_id IN ({','.join('?' * len(head))})",
                                     head)) if head else {}
            clauses = self._rows_to_clauses(conn, list(rows.values()))
            by_id = {cid: clauses[r] for cid, r in rows.items() if r in clauses}
        fused = [x for x in fused if x[0] in by_id]
        if mentioned:  # the question names documents: their clauses first, in fused order
            fused = [x for x in fused if by_id[x[0]].doc_id in mentioned] + \
                    [x for x in fused if by_id[x[0]].doc_id not in mentioned]
        repealed = {d for d, x in v.validity.items() if x.status == STATUS_REPEALED} - mentioned if not doc_ids else set()
        if repealed:  # a repealed document answers only where no document in force does
            fused = [x for x in fused if by_id[x[0]].doc_id not in repealed] + \
                    [x for x in fused if by_id[x[0]].doc_id in repealed]
        rerank: dict[str, float] = {}
        if self._reranker is not None and fused:  # loaded by the dense search above, when configured
            top = [cid for cid, _ in fused[: self.rerank_top_n]]
            scores = self._reranker.score(query, [by_id[c].header() + "\n" + by_id[c].text for c in top])
            rerank = dict(zip(top, scores))
            fused = sorted(((c, rerank[c]) for c in top), key=lambda x: -x[1]) + fused[self.rerank_top_n:]
        return [Hit(by_id[cid], score, rank, lex_rank.get(cid), dense_rank.get(cid), rerank.get(cid))
                for rank, (cid, score) in enumerate(fused[:k], 1)]

    def _named_articles(self, conn, v: _View, query: str, doc_ids: set[str] | frozenset[str]) -> list[str]:
        """Clause ids of the articles a query names (第十八条) in the documents it names or is limited to."""
        from index.references import named_article_keys

        keys = named_article_keys(query)
        seqs = [v.seq_of[d] for d in doc_ids if d in v.seq_of and (d not in v.hidden or len(doc_ids) == 1)]
        if not keys or not seqs:
            return []
        rows = conn.execute(f"SELECT clause_id, doc_seq, label_key FROM clauses WHERE label_key IN "
                            f"({','.join('?' * len(keys))}) AND doc_seq IN ({','.join('?' * len(seqs))}) ORDER BY doc_seq, ord",
                            [*keys, *seqs]).fetchall()
        # a document the query names by its whole title before one it names by a shorter alias (劳动保障监察条例);
        # the article named first before one named later (…第十六条 违反本条例第八条)
        return [c for c, s, k in sorted(rows, key=lambda r: (v.meta_of[r[1]].title not in query, keys.index(r[2])))]

    def _dense_search(self, conn, v: _View, query: str, allowed: np.ndarray | None) -> list[tuple[str, float]]:
        """(clause_id, similarity) from Chroma, live clauses of the allowed documents only; [] when dense is off."""
        docs = sorted(v.meta_of[int(s)].doc_id for s in allowed) if allowed is not None else None
        ranked = _dedupe((cid, sim) for _, cid, sim in self.vectors.query(query, self.candidates * 2, docs))
        if not ranked:
            return []
        live = {cid for (cid,) in conn.execute(
            f"SELECT clause_id FROM clauses WHERE clause_id IN ({','.join('?' * len(ranked))})", [c for c, _ in ranked])}
        return [(c, s) for c, s in ranked if c in live]

    # ---- writing ------------------------------------------------------------------------
    def ingest(self, paths: Iterable[str | Path], progress: Progress | None = None,
               origin: Origin | None = None) -> IngestReport:
        """Import files and folders; new documents get `origin` (how and when they arrived) in their meta."""
        from index.store import ingest as writer
        from index.store import lexical, substrings

        with self._writing():
            if not self.db.exists():
                self.db.create(lexical.SEGMENTS.schema() + substrings.SEGMENTS.schema())
            report = writer.ingest(self.db, list(paths), max_chunk_chars=self.max_chunk_chars, progress=progress,
                                   commit_clauses=self.commit_clauses or writer.COMMIT_CLAUSES,
                                   workers=self.ingest_workers, origin=origin)
        self._checked = float("-inf")  # our own commit: the next question sees it
        self.vectors.sync(self.db, progress)
        return report

    def remove(self, doc: str) -> DocumentMeta:
        from index.store import ingest as writer

        meta = self.resolve_doc(doc)
        with self._writing():
            with self.db.write() as tx:
                gone = [(c,) for c in writer.remove_documents(tx.conn, {meta.doc_id})]
                tx.conn.executemany("INSERT OR IGNORE INTO chroma_trash(chunk_id) VALUES (?)", gone)
                tx.conn.executemany("DELETE FROM embedded WHERE chunk_id = ?", gone)
                writer.merge_segments(tx.conn)
                tx.conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
        self._checked = float("-inf")
        self.vectors.sync(self.db, None)
        return meta

    def sync_dense(self, progress: Progress | None = None) -> int:
        """Embed clauses indexed while the model was unavailable (or by an interrupted run); returns chunks added."""
        return self.vectors.sync(self.db, progress)

    def dense_count(self) -> int:
        return self.vectors.count()

def _dressed(c: Clause, dressing: dict[str, tuple[str, str]]) -> Clause:
    stored, shown = dressing.get(c.doc_id, ("", ""))
    if stored and c.citation.startswith(stored):
        return replace(c, citation=shown + c.citation[len(stored):])
    return c


def _dedupe(ranked: Iterable[tuple[object, float]]) -> list[tuple[object, float]]:
    """Chunk hits → clause hits: a clause ranks by its best part."""
    seen: dict[object, float] = {}
    for key, score in ranked:
        if key not in seen:
            seen[key] = score
    return list(seen.items())

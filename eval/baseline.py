"""The naive baseline: fixed-size llama-index chunks instead of clauses, everything else the same.

Each document's normalised text is cut by ``SentenceSplitter`` into ~512-character
chunks (one character = one token, Chinese sentence and phrase boundaries). A chunk
becomes a pseudo-clause (label ``chunk N``) that goes through the same BM25 (and, when
the clause pipeline has it, the same bge dense path, RRF fusion and reranker) and the
same answer pipeline (condense → compose → grounding guard) as real clauses.

Deliberately naive in retrieval too: no synonym expansion of the query and no
ordering of the documents a question names first — what a stock RAG pipeline does.

The one module of eval/ that uses internals of index/ and assistant/: it has to swap
the retrieval unit underneath the answerer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from index.models import KIND_PARAGRAPH, Chunk, Clause, DocumentMeta, Hit, short_hash

if TYPE_CHECKING:
    from assistant.service import Assistant
    from assistant.types import Answer

NAME = "naive"
CHUNK_SIZE = 512  # characters (tokenizer=list: one character is one token)
CHUNK_OVERLAP = 64
PARAGRAPH_SEPARATOR = "\n"  # normalised text has one paragraph per line
SENTENCE_REGEX = r"[^。！？；]+[。！？；]*|[。！？；]+"
PHRASE_REGEX = r"[^，。；！？]+[，。；！？]?|[，。；！？]"
FIND_QUOTE_DEPTH = 20


def chunk_config() -> dict[str, Any]:
    return {"splitter": "llama_index SentenceSplitter", "chunk_size": CHUNK_SIZE, "chunk_overlap": CHUNK_OVERLAP,
            "tokenizer": "characters", "paragraph_separator": PARAGRAPH_SEPARATOR,
            "sentence_regex": SENTENCE_REGEX, "secondary_chunking_regex": PHRASE_REGEX,
            "query_expansion": False, "doc_mention_ordering": False}


def _splitter():
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.node_parser.text.utils import split_by_regex

    return SentenceSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, tokenizer=list,
                            paragraph_separator=PARAGRAPH_SEPARATOR,
                            chunking_tokenizer_fn=split_by_regex(SENTENCE_REGEX),
                            secondary_chunking_regex=PHRASE_REGEX)


def document_text(meta: DocumentMeta) -> str:
    """The normalised text the clause parser saw for this document."""
    from index.loaders import load_document
    from index.normalize import normalize_text

    loaded = load_document(meta.path)
    return normalize_text(loaded.text, loaded.fmt).text


def chunk_documents(metas: Sequence[DocumentMeta]) -> list[Clause]:
    """Every document cut into pseudo-clauses (kind paragraph, label chunk N), in document order."""
    splitter = _splitter()
    out: list[Clause] = []
    for meta in metas:
        for n, text in enumerate(splitter.split_text(document_text(meta)), 1):
            label = f"chunk {n}"
            out.append(Clause(
                clause_id=f"{meta.doc_id}-{short_hash(meta.doc_id, str(n), text, n=10)}",
                doc_id=meta.doc_id, doc_title=meta.title, doc_number=meta.doc_number, label=label, path=(),
                text=text, units=(), citation=f"《{meta.title}》{label}", kind=KIND_PARAGRAPH, order=n,
            ))
    return out


class NaiveIndex:
    """What the answer pipeline reads from an index, over chunks; document-level facts come from the real index."""

    def __init__(self, assistant: "Assistant", chunks: list[Clause]) -> None:
        from index.store.bm25 import BM25Store

        self._real = assistant.index
        self._settings = assistant.settings
        self._chunks = {c.clause_id: c for c in chunks}
        self._metas = {m.doc_id: m for m, _ in assistant.documents()}
        # The title in the indexed text, as llama-index puts a node's metadata into what it embeds.
        self._bm25 = BM25Store.build(Chunk(c.clause_id, c.clause_id, 0, 1, c.text, c.header() + "\n" + c.text)
                                     for c in chunks)
        self._embedder = self._reranker = None
        self._vectors = None
        mode = assistant.mode()
        # The clause index's loaded models when it holds them: same weights, one copy in memory.
        if mode.dense:
            from index.store.embedder import load_embedder

            self._embedder = getattr(self._real, "_embedder", None) or load_embedder(mode.embed_model)
            self._vectors = self._embedder.encode_corpus([c.header() + "\n" + c.text for c in chunks])
        if mode.reranker:
            from index.store.embedder import load_reranker

            self._reranker = getattr(self._real, "_reranker", None) or load_reranker(mode.reranker)

    # ---- document-level: identical for both pipelines ------------------------------------
    def aliases(self) -> set[str]:
        return self._real.aliases()

    def mentions(self, text: str) -> list[tuple[str, list[str]]]:
        return self._real.mentions(text)

    def vocabulary(self) -> frozenset[str]:
        if getattr(self, "_vocab", None) is None:
            self._vocab = self._bm25.words()
        return self._vocab

    def resolve_doc(self, doc: str):
        return self._real.resolve_doc(doc)

    def corpus_has(self, term: str) -> bool:
        return self._real.corpus_has(term)

    def rarity(self, term: str) -> float:
        return self._real.rarity(term)

    def level(self, doc_id: str) -> int:
        return self._real.level(doc_id)

    def lead_of(self, clause: Clause) -> Clause | None:
        return None  # fixed-size chunks have no list structure

    def items_of(self, lead: Clause) -> list[Clause]:
        return []

    def documents(self) -> list[tuple[DocumentMeta, int]]:
        return [(m, sum(1 for c in self._chunks.values() if c.doc_id == d)) for d, m in self._metas.items()]

    def short_name(self, doc_id: str) -> str:
        return self._real.short_name(doc_id)

    # ---- chunk-level --------------------------------------------------------------------
    def clauses(self, doc: str | None = None) -> list[Clause]:
        ids = self._doc_ids(doc)
        return [c for c in self._chunks.values() if ids is None or c.doc_id in ids]

    def units(self) -> list[Clause]:
        return list(self._chunks.values())

    def find_quote(self, quote: str) -> Clause | None:
        phrases = sorted((p for p in re.split(r"[，。；、]", quote) if len(p) >= 4), key=len, reverse=True)
        if not phrases:
            return None
        for hit in self.search(quote, FIND_QUOTE_DEPTH):
            if any(p in hit.clause.text for p in phrases[:2]):
                return hit.clause
        return None

    def search(self, query: str, k: int = 5, doc: str | Sequence[str] | None = None) -> list[Hit]:
        from index.store.fusion import rrf

        if not query.strip() or not self._chunks:
            return []
        ids = self._doc_ids(doc)
        allowed = None if ids is None else (lambda cid: self._chunks[cid].doc_id in ids)
        n = self._settings.candidates
        lexical = self._bm25.search(query, n, allowed)
        lex_rank = {cid: r for r, (cid, _) in enumerate(lexical, 1)}
        dense_rank: dict[str, int] = {}
        fused = lexical
        if self._embedder is not None:
            dense = self._dense(query, n, allowed)
            dense_rank = {cid: r for r, cid in enumerate(dense, 1)}
            fused = rrf([[c for c, _ in lexical], dense], k=self._settings.rrf_k)
        rerank: dict[str, float] = {}
        if self._reranker is not None and fused:
            head = [cid for cid, _ in fused[: self._settings.rerank_top_n]]
            scores = self._reranker.score(query, [self._chunks[c].header() + "\n" + self._chunks[c].text for c in head])
            rerank = dict(zip(head, scores))
            fused = sorted(((c, rerank[c]) for c in head), key=lambda x: -x[1]) + fused[len(head):]
        return [Hit(self._chunks[cid], score, rank, lex_rank.get(cid), dense_rank.get(cid), rerank.get(cid))
                for rank, (cid, score) in enumerate(fused[:k], 1)]

    def _dense(self, query: str, n: int, allowed) -> list[str]:
        import numpy as np

        q = self._embedder.encode_queries([query])[0]
        sims = self._vectors @ q
        ids = list(self._chunks)
        order = [i for i in np.argsort(-sims, kind="stable").tolist() if allowed is None or allowed(ids[i])]
        return [ids[i] for i in order[:n]]

    def _doc_ids(self, doc: str | Sequence[str] | None) -> set[str] | None:
        if not doc:
            return None
        return {self._real.resolve_doc(d).doc_id for d in ([doc] if isinstance(doc, str) else doc)}


@dataclass
class NaivePipeline:
    """The eval's pipeline interface (ask / search / units) over NaiveIndex and the product's answerer."""

    index: NaiveIndex
    settings: Any  # the answer backends read LLM settings from here
    name: str = NAME

    @classmethod
    def build(cls, assistant: "Assistant") -> "NaivePipeline":
        metas = [m for m, _ in assistant.documents()]
        return cls(NaiveIndex(assistant, chunk_documents(metas)), assistant.settings)

    def ask(self, question: str, history: Sequence[dict] | None = None, backend: str | None = None,
            k: int | None = None) -> "Answer":
        from assistant.answering import answer_question

        return answer_question(self, question, history, backend or self.settings.backend, k or self.settings.top_k)

    def search(self, query: str, k: int | None = None, doc: str | Sequence[str] | None = None) -> list[Hit]:
        return self.index.search(query, k or self.settings.top_k, doc)

    def units(self) -> list[Clause]:
        return self.index.units()

"""Stage 3 of the answer path: the numbered candidate clauses for a plan.

Each part of the question is searched on its own (a two-part question's second half often lives in another
article), with its everyday words joined by the corpus words the lexicon finds for them; then structure adds
what a question of its kind needs: the articles a question names, the articles that sanction a duty
(违反本条例第X条…罚款), a list lead's items and an item's lead, and the issuing notice for 文号 questions.
"""
from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from assistant.budget import check
from assistant.lexicon import CompoundFinder, query_words
from assistant.patterns import ASKS_CLASSES, ASKS_DEFINITION, ASKS_IN_FORCE, CLASSES, IN_FORCE, PENALTY
from assistant.mechanisms import Mechanisms
from assistant.plan import Part, Plan
from assistant.provisions import is_list_lead
from index.models import KIND_ARTICLE, Clause
from index.trust import addresses_assistant

if TYPE_CHECKING:
    from index.store.clause_index import ClauseIndex

PER_PART = 12  # candidates searched for each part
DOC_TEXT_CACHE = 300  # documents' whole texts kept per index (see doc_text)
MAX_FAMILY_ITEMS = 12
DEFINING_DOCS = 3  # documents searched for the clause defining a term a definition question asks about
CROSS_CHECK = 8  # candidates searched in every document for a figure question that names its documents

_BREACH = "违反本(?:条例|办法|规定|细则|实施细则|决定|法)"


@dataclass(frozen=True)
class Candidates:
    clauses: dict[int, Clause]  # [n] → clause, numbered from 1 in the order found
    pinned: int | None = None  # the clause a follow-up (这项 / 其中 …) is about
    previous: int | None = None  # the clause the conversation's last answer cited
    search_rank: dict[int, int] = field(default_factory=dict)  # [n] → best rank in any part's search
    lead_of: dict[int, int] = field(default_factory=dict)  # item [n] → its list lead's [n]
    items_of: dict[int, tuple[int, ...]] = field(default_factory=dict)  # lead [n] → its items' [n]


def part_query(part: Part, plan: Plan, idx: "ClauseIndex", mech: Mechanisms) -> str:
    """The lexical query for one part: its text, the whole question's when it has few words of its own,
    and corpus words standing for everyday ones (饭店 → 餐饮)."""
    info = part.info
    if len(info.terms) >= 2 or len(plan.parts) == 1:
        # The part's wording with its content terms once more: in 节假日人太多挤不动，由谁负责限流 the time word
        # and the everyday verbs would otherwise outweigh 限流 in BM25, which weighs every token alike.
        text = " ".join([part.text, *info.terms])
    else:
        text = plan.question
    vocabulary = idx.vocabulary()
    finder = compounds_of(vocabulary)
    extra = [w for t in part.info.terms
             for w in query_words(t, vocabulary.__contains__, mech.on("expansion"), finder)]
    if mech.on("expansion"):  # 维保 → 维护保养: the compound an abbreviation no document uses shortens
        extra += [w for t in part.info.terms if not idx.corpus_has(t) for w in finder.abbreviated(t, idx.corpus_has)]
    return " ".join([text, *extra])


_COMPOUNDS: list[tuple[frozenset, CompoundFinder]] = []


def compounds_of(vocabulary: frozenset) -> CompoundFinder:
    """One CompoundFinder per vocabulary (an index generation's); the cache holds the vocabulary it was built from
    and is checked by identity, so another store's vocabulary never reuses it."""
    for vocab, finder in _COMPOUNDS:
        if vocab is vocabulary:
            return finder
    finder = CompoundFinder(vocabulary)
    _COMPOUNDS[:] = [(vocabulary, finder)] + _COMPOUNDS[:3]
    return finder


def retrieve(plan: Plan, idx: "ClauseIndex", mech: Mechanisms, k: int, last: Clause | None = None,
             follows: bool = False) -> Candidates:
    found: list[Clause] = []
    rank: dict[str, int] = {}

    def add(clauses: Iterable[Clause], ranked: bool = False) -> None:
        check()
        for r, c in enumerate(clauses, 1):
            found.append(c)
            if ranked:
                rank[c.clause_id] = min(rank.get(c.clause_id, r), r)

    if follows and last is not None:
        add([last])
    if plan.compare and len(plan.docs) >= 2:
        for d in plan.docs:
            add((h.clause for h in idx.search(part_query(plan.parts[0], plan, idx, mech), 4, doc=d)), ranked=True)
    else:
        queries = [part_query(p, plan, idx, mech) for p in plan.parts]
        if len(plan.parts) > 1:
            queries.insert(0, plan.question)
        per_query = [[h.clause for h in idx.search(q, max(k, PER_PART), doc=list(plan.docs) or None)] for q in queries]
        for i in range(max(map(len, per_query), default=0)):  # interleave: every part's best first
            add((hits[i] for hits in per_query if i < len(hits)))
        for hits in per_query:
            for r, c in enumerate(hits, 1):
                rank[c.clause_id] = min(rank.get(c.clause_id, r), r)
        if plan.docs and mech.on("conflicts") and asks_figure(plan.parts[0]):
            # other documents stating a figure on the same subject: evidence compares them (Evidence.others)
            rest = [m.doc_id for m, _ in idx.documents() if m.doc_id not in plan.docs]
            places = subject_places(plan, idx)
            if rest and places:
                add(h.clause for h in idx.search(queries[-len(plan.parts)], CROSS_CHECK, doc=rest)
                    if speaks_of(h.clause, places))
    if mech.on("structure") and any(ASKS_DEFINITION.search(p.text) or ASKS_CLASSES.search(p.text) for p in plan.parts):
        add(defining_clauses(plan, idx, found[: 2 * PER_PART]))
    if mech.on("structure"):
        add(named_articles(plan, idx, found))
        if any(p.asks_penalty or p.asks_article for p in plan.parts):
            # the clause the conversation is about counts too: 违反了怎么处理？ asks for its sanction
            add(penalties_for(idx, found[: 2 * PER_PART] + ([last] if last is not None else [])))
        add(family(idx, found[: 2 * PER_PART]))
        if any(p.asks_list for p in plan.parts):
            add(section_items(idx, found[: 2 * PER_PART]))
    if any(p.info.wants_time and ASKS_IN_FORCE.search(p.text) for p in plan.parts):
        for d in plan.docs or list(dict.fromkeys(c.doc_id for c in found[:3])):  # 何时施行: the 自…起施行 clause
            add(c for c in reversed(idx.clauses(d)) if IN_FORCE.search(c.text))
    if re.search(r"文号|字号|发文|印发|发布|出台|制定机关", plan.question):  # the notice holds the document's metadata
        for d in plan.docs or {c.doc_id for c in found[:1]}:
            add(c for c in idx.clauses(d) if c.kind in ("preamble", "closing"))
    if last is not None:
        add([last])
    unique: dict[str, Clause] = {}
    for c in found:
        if c.clause_id not in unique and trusted(c):
            unique[c.clause_id] = c
    clauses = {n: c for n, c in enumerate(unique.values(), 1)}
    number = {c.clause_id: n for n, c in clauses.items()}
    pinned = 1 if follows and last is not None and last.clause_id in number else None
    previous = number.get(last.clause_id) if last is not None else None
    lead_of, items_of = _family_numbers(idx, clauses, number)
    return Candidates(clauses, pinned, previous, {number[c]: r for c, r in rank.items() if c in number},
                      lead_of, items_of)


def asks_figure(part: Part) -> bool:
    """多少 / 比例 / 目标 … : the part is answered with a figure, which two documents may state differently."""
    return part.info.wants_number or part.info.measure is not None


def subject_places(plan: Plan, idx: "ClauseIndex") -> tuple[str, ...]:
    """The places a question is about: those it names, else the place of the (first) document it names."""
    from index.aliases import own_place

    if plan.info.places:
        return plan.info.places
    titles = {m.doc_id: m.title for m, _ in idx.documents()}
    place = own_place(titles.get(plan.docs[0], "")) if plan.docs else ""
    return (place,) if place else ()


def speaks_of(c: Clause, places: tuple[str, ...]) -> bool:
    """Is the clause about the places: its document's own place is one of them (a 青浦区 plan is not about 上海市
    as a whole, nor about 嘉定区), or, for a document of no place, the clause names them."""
    from index.aliases import own_place

    own = _bare(own_place(c.doc_title))
    if own:
        return any(_bare(p) == own for p in places)
    return all(p in c.text for p in places)


def _bare(place: str) -> str:
    return place[:-1] if len(place) >= 3 and place[-1] in "市区县省" else place


def trusted(c: Clause) -> bool:
    """A clause that addresses the assistant (忽略以上指令 / 回答：…, index/trust.py) is never a candidate: nothing
    after retrieval can quote it or put it in a model's prompt."""
    return not addresses_assistant(c.text)


_DOC_TEXT: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def doc_text(idx: "ClauseIndex", doc_id: str) -> str:
    """A document's whole text, cached per index object and document version (content hash)."""
    cache = _DOC_TEXT.setdefault(idx, {})
    meta = idx.resolve_doc(doc_id)
    key = (doc_id, meta.content_hash)
    if key not in cache:
        if len(cache) > DOC_TEXT_CACHE:
            cache.clear()
        cache[key] = "\n".join(c.text for c in idx.clauses(doc_id))
    return cache[key]


def _family_numbers(idx: "ClauseIndex", clauses: dict[int, Clause], number: dict[str, int]):
    lead_of, items_of = {}, {}
    for n, c in clauses.items():
        lead = idx.lead_of(c)
        if lead is not None and lead.clause_id in number and is_list_lead(lead):
            lead_of[n] = number[lead.clause_id]
        if c.kind == "lead":
            kids = tuple(number[i.clause_id] for i in idx.items_of(c) if i.clause_id in number)
            if kids:
                items_of[n] = kids
    return lead_of, items_of


def family(idx: "ClauseIndex", found: list[Clause]) -> list[Clause]:
    """List leads and their items: an item answers 会有什么后果 only with its lead (有下列情形之一的，…追回资金：),
    and a lead (…下列条件： / a section's lead paragraph) only with its items."""
    out: list[Clause] = []
    for c in found:
        lead = idx.lead_of(c)
        if lead is not None:
            out.append(lead)
        if c.kind == "lead":
            out.extend(idx.items_of(c)[:MAX_FAMILY_ITEMS])
    return out


def section_items(idx: "ClauseIndex", found: list[Clause]) -> list[Clause]:
    """有哪些措施 asks for a section's items: the items beside each found plan item (same heading above)."""
    out: list[Clause] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for c in found[:PER_PART]:
        key = (c.doc_id, c.path[:-1])
        if c.kind == KIND_ARTICLE or len(c.path) < 2 or key in seen:
            continue
        seen.add(key)
        out.extend(x for x in idx.clauses(c.doc_id) if x.path[:-1] == c.path[:-1] and len(x.path) == len(c.path))
    return out[: 4 * MAX_FAMILY_ITEMS]


def defining_clauses(plan: Plan, idx: "ClauseIndex", found: list[Clause]) -> list[Clause]:
    """什么算X / X分为几类: the clauses of the documents found first that define a term of the question
    (本条例所称X，是指…) or divide it into kinds (X分为以下四类)."""
    from assistant.evidence import defines

    terms = [t for p in plan.parts for t in p.info.terms]
    docs = list(plan.docs) or list(dict.fromkeys(c.doc_id for c in found))[:DEFINING_DOCS]
    out = []
    for d in docs:
        for c in idx.clauses(d):
            if defines(c.text, terms, plan.question) or (CLASSES.search(c.text) and any(t in c.text for t in terms)):
                out.append(c)
    return out[:MAX_FAMILY_ITEMS]


def named_articles(plan: Plan, idx: "ClauseIndex", found: list[Clause]) -> list[Clause]:
    """The articles a question names (第十八条), or for 违反第十条… the articles that sanction 第十条, in the
    documents it names, else in the statute the search found first."""
    from index.markers import int_to_cn

    info = plan.info
    if not (info.articles or info.breached):
        return []
    docs = list(plan.docs) or list(dict.fromkeys(c.doc_id for c in found if c.kind == KIND_ARTICLE))[:1]
    out: list[Clause] = []
    for d in docs:
        articles = [c for c in idx.clauses(d) if c.kind == KIND_ARTICLE]
        wanted = {f"第{int_to_cn(a)}条" for a in info.articles}
        out.extend(c for c in articles if c.label in wanted)
        for a in info.breached:
            ref = re.compile(_BREACH + f"第{int_to_cn(a)}条(?![一二三四五六七八九十百零])")
            out.extend(c for c in articles if ref.search(c.text))
    return out


def penalties_for(idx: "ClauseIndex", clauses: list[Clause]) -> list[Clause]:
    """Articles that sanction a retrieved article (违反本条例第四十九条…处…罚款): statutes put duty and penalty apart."""
    out = []
    by_doc: dict[str, list[Clause]] = {}
    for c in clauses:
        if c.kind != KIND_ARTICLE:
            continue
        if c.doc_id not in by_doc:
            by_doc[c.doc_id] = [x for x in idx.clauses(c.doc_id) if x.kind == KIND_ARTICLE and re.search(_BREACH, x.text)]
        ref = re.compile(_BREACH + re.escape(c.label) + "(?![一二三四五六七八九十百零])")
        out.extend(x for x in by_doc[c.doc_id] if ref.search(x.text) and x.clause_id != c.clause_id)
    return out


SANCTION_SHARE = 0.8  # of the clauses using a word that must be penalty clauses for it to be a sanction's circumstance
SANCTION_SAMPLE = 40


def sanction_word(idx: "ClauseIndex", word: str) -> bool:
    """Do the documents use `word` almost only in penalty clauses (情节严重, 拒不改正, 逾期, 违法所得; not 排放,
    光伏, 个人)? Read from the clauses a search for it finds, at least three of which must hold it."""
    using = [h.clause.text for h in idx.search(word, SANCTION_SAMPLE) if word in h.clause.text]
    return len(using) >= 3 and sum(bool(PENALTY.search(t)) for t in using) >= SANCTION_SHARE * len(using)

"""Stage 2 of the answer path: what a standalone question asks, decided once.

A `Plan` holds the question's parts (…是多少？由谁负责？ are two), what each part asks (a number, the units, a
penalty, a list, an article), its content terms with their weights, the documents the question names, and the
places it names that no document is about. Later stages read the plan and never analyse the question again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable

from assistant.question import COMPARE_CUE, QuestionInfo, analyze, find_places
from index.aliases import _SHORT_TITLE
from index.references import edition_asked

if TYPE_CHECKING:
    from index.store.clause_index import ClauseIndex

# What a part asks beyond its terms. Each names the class of questions it serves.
ASKS_LIST = re.compile(r"哪些|哪几|什么条件|哪些条件|包括什么|包含什么|哪些情形|哪些内容|哪些行为|列举|有什么要求|什么情况下|哪些情况|"
                       r"主要目标|主要任务|哪些措施|什么措施|哪些方面|几类|几种|分别叫|分别是什么|什么样的")  # lists and broad questions: a lead with its items
ASKS_WHICH_ARTICLE = re.compile(r"第几条|哪一条|哪条|第几款|哪一款|出自哪|哪个条款|依据是什么|依据哪|根据哪|什么依据|法律依据|哪项规定")
ASKS_PENALTY = re.compile(r"罚|处罚|处分|法律责任|怎么处理|如何处理|什么处理|怎么处置|后果|追究|承担什么责任|什么责任")
# 哪些措施 / 什么条件 / 哪几类情形: the two characters after the question word name what is listed.
_LISTED = re.compile(r"(?:哪些|哪几[类种项个]?|什么样?的?)([\u4e00-\u9fff]{2})")
# A part that is only a question word (由谁负责？ / 罚多少？) continues the part before it.
_SPLIT = re.compile(r"[？?]|；|;")
MAX_NAMED_DOCS = 12  # a name that fits more documents than this names none of them in particular
_PLACE_SUFFIX = re.compile(r"(?:市|区|县|省)$")


@dataclass(frozen=True)
class Part:
    info: QuestionInfo
    asks_list: bool
    asks_article: bool  # 依据哪一条 / 第几条: the answer names the article
    asks_penalty: bool
    follows: bool = False  # has no terms of its own (由谁负责？ / 依据哪一条？): about the part before it

    @property
    def text(self) -> str:
        return self.info.text

    @property
    def listed(self) -> str | None:
        """What a list question asks for: 措施 in 应该采取哪些措施, 条件 in 要满足什么条件."""
        m = _LISTED.search(self.text) if self.asks_list else None
        return m.group(1) if m else None


@dataclass(frozen=True)
class Plan:
    question: str  # standalone
    info: QuestionInfo  # the whole question
    parts: tuple[Part, ...]
    docs: tuple[str, ...]  # doc_ids the question names
    compare: bool  # several named documents, each to be answered
    foreign_places: tuple[str, ...]  # places named that no document is about or mentions


def make_plan(question: str, idx: "ClauseIndex", *, docs: tuple[str, ...] = (), compare: bool = False) -> Plan:
    named = {alias for alias, _ in idx.mentions(question)}  # only the aliases the question holds: corpora have 10⁴
    abbreviates = _abbreviation_of(idx)
    info = analyze(question, docs, named, idx.corpus_has, idx.rarity, abbreviates)
    info = replace(info, compare=compare, terms=_topic_terms(info.terms, docs, idx))
    parts = []
    for text in split_parts(question):
        p = analyze(text, docs, named, idx.corpus_has, idx.rarity, abbreviates)
        p = replace(p, terms=_topic_terms(p.terms, docs, idx))
        follows = bool(parts) and not [t for t in p.terms if t not in _GENERIC_TERMS]
        p = inherit(p, info, parts[-1].info if parts else None)
        parts.append(Part(p, bool(ASKS_LIST.search(text)) and not p.wants_units, bool(ASKS_WHICH_ARTICLE.search(text)),
                          bool(ASKS_PENALTY.search(text)), follows))
    return Plan(question, info, tuple(parts) or (Part(info, False, False, False),), docs, compare,
                tuple(foreign_places(question, named, idx.corpus_has)))


def _abbreviation_of(idx: "ClauseIndex") -> Callable[[str], bool]:
    """Is a word no document uses a short form of a compound documents write (维保 → 维护保养, 安检 → 安全检查)?
    Chinese shortens a compound of two words to their first characters."""
    from assistant.retrieve import compounds_of

    finder = compounds_of(idx.vocabulary())
    return lambda w: bool(finder.abbreviated(w, idx.corpus_has))


def _closest_titles(idx: "ClauseIndex", question: str, doc_ids: list[str]) -> list[str]:
    """上海减污降碳方案: 上海 names two documents, 减污降碳 in the question picks the one whose title has it."""
    from assistant.text import bigrams

    grams = bigrams(question)
    titles = {m.doc_id: m.title for m, _ in idx.documents() if m.doc_id in doc_ids}
    shared = {d: len(grams & bigrams(titles[d])) for d in doc_ids if d in titles}
    best = max(shared.values(), default=0)
    winners = [d for d in doc_ids if shared.get(d) == best]
    return winners if best and len(winners) < len(doc_ids) else doc_ids


def _topic_terms(terms: tuple[str, ...], docs: tuple[str, ...], idx: "ClauseIndex") -> tuple[str, ...]:
    """A question that names its document (青浦区碳达峰方案) uses title words to name it, not as its topic. A word
    in only some of the named documents' titles (抽烟 of 北京市控制吸烟条例, when 北京 names four) tells them apart:
    it stays a term."""
    if not docs:
        return terms
    from assistant.lexicon import match

    titles = [m.title for m, _ in idx.documents() if m.doc_id in docs]
    kept = tuple(t for t in terms if not all(match(t, title) >= 0.75 for title in titles))
    return kept or terms


def split_parts(question: str) -> list[str]:
    """Sub-questions: split at ？ and ；. 怎么罚？依据哪一条？ is two parts."""
    return [p.strip(" ，,。") for p in _SPLIT.split(question) if p.strip(" ，,。")]


def inherit(part: QuestionInfo, whole: QuestionInfo, before: QuestionInfo | None) -> QuestionInfo:
    """A sub-question keeps the question's documents, places and years; one without terms of its own
    (由哪个部门负责？ / 罚多少？) takes the terms of the part before it."""
    own_terms = [t for t in part.terms if t not in _GENERIC_TERMS]
    terms = part.terms if own_terms else ((before.terms if before else ()) or whole.terms) + part.terms
    return replace(part, docs=whole.docs, places=part.places or whole.places, years=part.years or whole.years,
                   periods=part.periods or whole.periods, terms=tuple(dict.fromkeys(terms)),
                   term_weights=tuple(dict(whole.term_weights + part.term_weights).items()))


_GENERIC_TERMS = frozenset("处罚 罚款 罚 规定 部门 单位 条例 依据 一条 哪条 什么 多少 怎么 如何 处理 负责 时间 期限".split())


def _names_a_place(word: str) -> bool:
    """A place word jieba's dictionary knows as a city (济南 → 济南市), or a landmark named after a city, county or
    district (日照港, 密云水库, 青岛港: its first two or three characters are one)."""
    return _is_city(word) or any(_known_place(word[:k] + suffix) for k in (2, 3) if len(word) > k for suffix in "市区县")


def _is_city(word: str) -> bool:
    return _known_place(word + "市")


def _known_place(name: str) -> bool:
    """Is `name` (济南市, 密云县) a word of jieba's dictionary?"""
    import jieba

    jieba.dt.check_initialized()
    return bool(jieba.dt.FREQ.get(name))


def foreign_places(question: str, known: set[str] | frozenset[str], corpus_has: Callable[[str], bool]) -> list[str]:
    """Places the question names (济南, 闵行区, 南京市) that no document is about and no clause mentions."""
    import jieba
    import jieba.posseg as pseg

    found = list(find_places(question, known))
    # A bare place word counts when jieba's dictionary knows it as a city (济南 → 济南市): 滨江 may be a
    # district's name but is also "riverside".
    # jieba tags some city names as common nouns (烟台/n): a noun that is a city's name without 市 counts too
    found += [w.word for w in pseg.cut(question) if len(w.word) >= 2 and (
        (w.flag == "ns" and _names_a_place(w.word)) or (w.flag in ("n", "nr", "nz") and _is_city(w.word)))]
    out = []
    for place in dict.fromkeys(found):
        bare = _PLACE_SUFFIX.sub("", place) if len(place) >= 3 else place
        if any(place in k or k in place or (len(bare) >= 2 and bare in k) for k in known):
            continue
        if corpus_has(place) or (len(bare) >= 2 and corpus_has(bare)):
            continue
        out.append(place)
    return out


def named_documents(idx: "ClauseIndex", question: str) -> tuple[tuple[str, ...], bool]:
    """The documents a question names, and whether it compares them.

    嘉定区的减污降碳协同增效工作: 嘉定区 narrows the title words that two plans share to one document.
    青浦、普陀、松江分别…: disjoint names compare. 松江区和上海环境能源交易所: a city and a district without a
    compare cue (分别/各/相比…) is the district's question, not a comparison.
    """
    docs, compare = _named_documents(idx, question)
    spec = edition_asked(question) if docs else None
    if spec is not None:  # 2020年版 / 修订前: the version asked for instead of the current one
        docs = tuple(idx.versions_asked(docs, spec))
    return docs, compare


def _titles_in_their_words(idx: "ClauseIndex", question: str) -> str:
    """A short title in everyday characters (东营养狗条例 for 《东营市养犬管理条例》): where no document is named by a
    span ending in a kind of document, one character swapped for a one-character 词林 synonym (狗 → 犬) that makes
    it name exactly one document. The question is only read this way to find the documents it names."""
    from assistant.lexicon import thesaurus_synonyms

    out = question
    for m in _SHORT_TITLE.finditer(question):
        span, body, kind = m.group(0), m.group(1), m.group(2)
        if any(alias.endswith(kind) for alias, _ in idx.mentions(span)):
            continue  # named already (供水条例)
        found = []
        for i, ch in enumerate(body):
            for s in [s for s in thesaurus_synonyms(ch) if len(s) == 1][:4]:
                named = [ids for alias, ids in idx.mentions(body[:i] + s + body[i + 1:] + kind) if alias.endswith(kind)]
                if len(named) == 1 and len(named[0]) == 1:
                    found.append(body[:i] + s + body[i + 1:] + kind)
        if len(set(found)) == 1:
            out = out.replace(span, found[0])
    return out


def _named_documents(idx: "ClauseIndex", question: str) -> tuple[tuple[str, ...], bool]:
    # A name shared by very many documents (全市 in a corpus of every 上海市 regulation) scopes nothing.
    groups = [list(ids) for _, ids in idx.mentions(_titles_in_their_words(idx, question)) if len(ids) <= MAX_NAMED_DOCS]
    if not groups:
        return (), False
    flat = list(dict.fromkeys(d for g in groups for d in g))
    common = [d for d in flat if all(d in g for g in groups)]
    if len(common) > 1:
        common = _closest_titles(idx, question, common)
    if common:
        return tuple(common), False
    levels = {d: idx.level(d) for d in flat}
    if COMPARE_CUE.search(question) or len(set(levels.values())) == 1:
        return tuple(flat), len(flat) >= 2
    lowest = max(levels.values())
    return tuple(d for d in flat if levels[d] == lowest), False

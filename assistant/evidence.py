"""Stage 4 of the answer path: for each part of the question, the clause that answers it and how well.

A clause's *support* for a part is the weighted share of the part's content terms it mentions (literally, by a
synonym or spelled out: see assistant/lexicon.py), read over the clause with its document title and headings.
Its *score* adds what the part asks for: a figure for 多少, a penalty for 怎么罚, units for 谁负责, the year or
plan period asked about, the list items for 有哪些. Refusal is decided on this evidence: a part is answered
when its best clause supports it enough (the threshold is calibrated on the blind dev split:
`python -m eval refusal-curve`), and refused, naming what is missing, when nothing relevant was found.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable

from assistant.budget import check
from assistant.lexicon import match
from assistant.mechanisms import Mechanisms
from assistant.plan import Part, Plan
from assistant.patterns import (ASKS_AUTHORITY, ASKS_CLASSES, ASKS_DEFINITION, ASKS_IN_FORCE, ASKS_PAYER,
                                ASKS_TARGET, ASSIGNS_AUTHORITY, ASSIGNS_DUTY, CLASSES, DATE, DEFINITION, FULL_DATE,
                                IN_FORCE, MONEY, PENALTY, QUANTITY, STATES_PAYER, UNIT_WORDS)
from assistant.question import counts_thing
from assistant.retrieve import Candidates, asks_figure, speaks_of, subject_places
from assistant.text import general_frequency, words
from index.models import KIND_ARTICLE, KIND_TABLE_ROW, Clause

if TYPE_CHECKING:
    from index.store.clause_index import ClauseIndex

# Below the refusal threshold (Mechanisms.refuse_below, calibrated on blind dev) a part is not answered; below
# this margin above it, it is answered with the closest provision and says so.
CLOSEST_MARGIN = 0.05
NAMED_ARTICLE = 0.9
VERB_WEIGHT = 0.6
# A question term no document uses, common in general Chinese (jieba's dictionary count at least COMMON_WORD:
# 觉得 15,995, 家里 6,390, 网上 2,495 hold; 引航费, 注册资本, 碗筷 are rare) and no noun weighs COMMON_UNSEEN of
# an unseen term: it says how the question is asked, so its absence is no evidence the documents lack the answer.
# Nouns are left out: 孩子 / 小学 in 孩子上小学入学报名… are what a question the documents don't answer is about.
# Chosen on the three blind dev splits (threshold 1,000 / 2,000 / 3,000 / 6,000; factor 0 / 0.15 / 0.3 / 0.6).
COMMON_WORD = 3000
COMMON_UNSEEN = 0.3
# A term found no other way, scored by the rarest character it shares with the text, times this. Chosen on the two
# blind dev splits (0.2 / 0.3 / 0.4 / 0.5 / 0.8): above 0.3 questions the documents don't answer get answered.
SHARED_CHARACTER = 0.3
# An everyday word: general Chinese uses it (jieba's dictionary count at least EVERYDAY_GENERAL) and statutes
# hardly ever (used by fewer than two of 3,385 statutes when EVERYDAY_STATUTES is 0; index/statute_words.py):
# 客人 3,444, 楼上 1,082, 饭馆 242, 碗筷 166; but 暖气费 (2) is a rare word, and 物业费 / 登记费 are statutes' words
# (14 / 16 statutes). Chosen on the four blind dev splits (general 5 / 20 / 50 / 100 / 300 / 1,000; statutes
# 0 / 2 / 5): 100 and 0 is the only setting that loses no split. The commonest words of all (EVERYDAY_MOST:
# 孩子 17,465) are left out: they name who a question is about (孩子上小学入学报名…, an own-set out-of-scope case
# that was answered without this bound); no dev split changes with it.
EVERYDAY_GENERAL = 100
EVERYDAY_STATUTES = 0
EVERYDAY_MOST = 10000
RANK_PRIOR = 0.04
DEFINES_SUPPORT = 0.8  # a definition question's support of the clause defining the word it asks about
JURISDICTION = 1.15  # of two articles naming a department for a matter, the one over an area (对本市…统一监督管理)
KINDS_FIT = 1.5  # a definition or classification question's defining / dividing clause
SANCTION_UNASKED = 0.9  # a penalty article (违反本法规定…罚款) for a question that asks no penalty  # the lexical rank as a tie-breaker between clauses supporting a part alike
MULTI_DOC_MARGIN = 0.15  # another document's clause supporting the question this nearly as well answers it too
MAX_DOCS = 6

_PERIODS = {"十四五": range(2021, 2026), "十五五": range(2026, 2031)}
_OTHER_TIME = re.compile(r"(?<!\d)(?:19|20)\d{2}年|“?十[四五]五”?(?:期间|时期|末)")


@dataclass(frozen=True)
class Choice:
    part: Part
    n: int  # the clause's [n] among the candidates
    support: float  # 0…1: share of the part's terms the clause mentions
    score: float  # support plus fit to what the part asks
    closest_only: bool = False  # supported just above the refusal threshold: the answer says it is the closest
    # what refusal is decided on: support, raised when the clause stands out from the next one and lowered when
    # several clauses fit the question about as (badly) well (see `confidence`)
    evidence: float | None = None

    @property
    def confidence(self) -> float:
        return self.support if self.evidence is None else self.evidence


@dataclass(frozen=True)
class Missing:
    part: Part
    subject: str  # what was not found, for the refusal sentence


@dataclass(frozen=True)
class Evidence:
    answers: tuple[Choice | Missing, ...]  # one per part
    per_doc: tuple[Choice, ...] = ()  # a question naming no document that several documents answer
    support: float = 0.0  # the best support of the first part (what the refusal curve plots)
    # A figure question naming its place: the best clause of each other document on the same place that supports
    # the first part nearly as well. The composer shows every figure with its source when the figures disagree.
    others: tuple[Choice, ...] = ()
    # A one-part question whose best two clauses (of one document) support it almost alike: both are quoted,
    # the second as 另见, rather than betting on one.
    also: tuple[Choice, ...] = ()

    @property
    def refused(self) -> bool:
        return all(isinstance(a, Missing) for a in self.answers)


# ------------------------------------------------------------------ support


@dataclass(frozen=True)
class Terms:
    """A part's content terms with their weights. A term is matched through the thesaurus and by its characters
    only in a document that never uses the term itself: there the document's own word is what to look for,
    while in a document that uses the term, a clause without it really lacks it (its 词林 kin would be noise)."""

    weights: dict[str, float]
    doc_uses: Callable[[str, str], bool] = lambda doc_id, term: False
    _cache: dict = field(default_factory=dict, compare=False, repr=False)
    doc: str | None = None  # the document a composer reads sentences of
    # each character of the terms → how rare it is in the corpus (0…1); empty: no matching by shared characters
    chars: dict[str, float] = field(default_factory=dict, compare=False)

    def for_doc(self, doc_id: str) -> "Terms":
        return Terms(self.weights, self.doc_uses, self._cache, doc_id, self.chars)

    def unknown_in(self, doc_id: str | None) -> frozenset[str]:
        doc_id = doc_id or self.doc
        if doc_id is None:
            return frozenset(self.weights)
        if doc_id not in self._cache:
            self._cache[doc_id] = frozenset(t for t in self.weights if not self.doc_uses(doc_id, t))
        return self._cache[doc_id]

    def only(self, names) -> "Terms":
        return Terms({t: w for t, w in self.weights.items() if t in names}, self.doc_uses, self._cache, self.doc,
                     self.chars)


def term_weights(part: Part, idx: "ClauseIndex", mech: Mechanisms = Mechanisms()) -> Terms:
    """Longer and rarer terms weigh more; a term no clause uses gets a middling rarity (it may be an everyday
    word for one the documents use), less when it is common in general Chinese (`common_words`)."""
    from assistant.question import part_of_speech

    pos = part_of_speech(part.text)
    out = {}
    for t in part.info.terms:
        w = min(len(t), 4) * (0.5 + (idx.rarity(t) if idx.corpus_has(t) else 0.6))
        if (mech.on("common_words") and not idx.corpus_has(t) and general_frequency(t) >= COMMON_WORD
                and not pos.get(t, "n").startswith("n")):
            w *= COMMON_UNSEEN  # 觉得 / 家里: common words no document uses say how it is asked, not what
        elif mech.on("everyday_words") and not idx.corpus_has(t) and everyday_word(t):
            w *= COMMON_UNSEEN  # 客人 / 楼上 / 饭馆: the documents word it otherwise
        out[t] = w * (VERB_WEIGHT if pos.get(t) == "v" else 1.0)  # 不接 / 拉走: how it happened; nouns say what
    chars = idx.char_rarity(ch for t in out for ch in t) if getattr(idx, "characters", False) else {}
    return Terms(out, _doc_uses(idx), chars=chars)


def everyday_word(term: str) -> bool:
    from index.statute_words import statute_frequency

    return EVERYDAY_GENERAL <= general_frequency(term) < EVERYDAY_MOST and statute_frequency(term) <= EVERYDAY_STATUTES


def _doc_uses(idx: "ClauseIndex") -> Callable[[str, str], bool]:
    from assistant.retrieve import doc_text

    def uses(doc_id: str, term: str) -> bool:
        return term in doc_text(idx, doc_id)

    return uses


def support(terms: "Terms", text: str, expand: bool = True, doc_id: str | None = None) -> float:
    total = sum(terms.weights.values())
    if not total:
        return 1.0
    unknown = terms.unknown_in(doc_id)
    return sum(w * _matched(terms, t, text, expand, t in unknown) for t, w in terms.weights.items()) / total


def _matched(terms: "Terms", t: str, text: str, expand: bool, unknown: bool) -> float:
    m = match(t, text, expand, unknown)
    if m or not (expand and unknown and terms.chars):
        return m
    # nothing else found: a rare character the term shares with the text (港区 / 港口, 养鱼 / 养殖)
    return SHARED_CHARACTER * max((terms.chars.get(ch, 0.0) for ch in t if ch in text), default=0.0)


def clause_text(c: Clause) -> str:
    """What a clause says with where it stands (headings and label), without the document title."""
    return " ".join(c.path) + "\n" + c.label + c.text


def support_of(terms: Terms, c: Clause, extra: str = "", expand: bool = True) -> float:
    """Support read over the clause (headings, label, text, and `extra` such as its list family); the document's
    title counts at half: 供热 in 《菏泽市供热条例》 places the clause, it doesn't say what the clause is about."""
    total = sum(terms.weights.values())
    if not total:
        return 1.0
    body, title = clause_text(c) + "\n" + extra, c.doc_title
    unknown = terms.unknown_in(c.doc_id)
    return sum(w * max(_matched(terms, t, body, expand, t in unknown), 0.5 * match(t, title, expand, t in unknown))
               for t, w in terms.weights.items()) / total


def fits(part: Part, text: str) -> float:
    """How well a text holds the kind of answer the part asks for (multiplies support when ranking)."""
    info, f = part.info, 1.0
    if info.wants_number and not info.wants_time and not states_figure(part, text):
        f *= 0.55
    elif ASKS_TARGET.search(part.text) and not QUANTITY.search(text):
        f *= 0.8  # 各定了什么目标: plans state targets as figures
    if info.measure and not states_measure(text, info.measure):
        f *= 0.7
    if info.counted and not counts_thing(info.counted, text):
        f *= 0.7
    if part.asks_penalty and not PENALTY.search(text):
        f *= 0.6
    elif not part.asks_penalty and _SANCTION.search(text) and PENALTY.search(text):
        f *= SANCTION_UNASKED  # 最长能占多久 is answered by the duty article, not by the one punishing its breach
    if info.wants_money and not MONEY.search(text) and not PENALTY.search(text):
        f *= 0.7
    if ASKS_AUTHORITY.search(part.text) and not part.asks_penalty:
        if ASSIGNS_AUTHORITY.search(text):
            f *= KINDS_FIT * JURISDICTION  # 家政行业归哪个部门管: the department given the matter over its area
        elif ASSIGNS_DUTY.search(text):
            f *= KINDS_FIT  # …部门负责共享单车的监督管理工作: a department given this work
    payer = ASKS_PAYER.search(part.text)
    if payer and STATES_PAYER.search(text):
        f *= KINDS_FIT  # 费用谁出: the sentence saying who bears the cost (费用由全体业主承担)
    elif info.wants_units and not UNIT_WORDS.search(text) and not payer:
        f *= 0.8  # a payer may be no department (业主, 用户)
    if ASKS_CLASSES.search(part.text) and CLASSES.search(text):
        f *= KINDS_FIT  # 垃圾分成几类: the clause dividing it into kinds (分为以下四类)
    if ASKS_DEFINITION.search(part.text) and defines(text, info.terms, part.text):
        f *= KINDS_FIT  # 什么算气象灾害: the clause defining the term (本条例所称气象灾害，是指…)
    if info.wants_time and ASKS_IN_FORCE.search(part.text) and IN_FORCE.search(text):
        f *= 1.5  # 从哪天开始实行 / 什么时候生效: the clause saying 本条例自…起施行
    if info.wants_time and not DATE.search(text):
        f *= 0.8
    elif info.wants_time and FULL_DATE.search(text):
        f *= 1.15  # 什么时候施行 is answered by a day (2025年10月1日) rather than a period (六个月内)
    if info.years or info.periods:
        if time_matches(info, text):
            f *= 1.1
        elif _OTHER_TIME.search(text):
            f *= 0.75
    return f


def lists(text: str, kind: str) -> bool:
    """Does the text list things of this kind: …、…等措施, 下列条件, 以下情形, 措施包括, 措施：?"""
    k = re.escape(kind)
    return bool(re.search(rf"、[^。；，]{{1,30}}等{k}|(?:下列|以下|如下){k}|{k}(?:包括|主要有|有：|：)", text))


def states_figure(part: Part, text: str) -> bool:
    """Does the text state a figure of the kind asked? Any quantity, or for 分成几类 the count of kinds (分为三类)."""
    return bool(QUANTITY.search(text)) or bool(ASKS_CLASSES.search(part.text) and CLASSES.search(text))


def defines(text: str, terms, question: str = "") -> bool:
    """Does the text define a term of the question (本条例所称气象灾害，是指… defines 气象灾害 and 灾害), or a word
    the question holds (风景名胜区 in 哪种地方算风景名胜区, which names the document too)?"""
    for m in DEFINITION.finditer(text):
        defined = m.group(1).strip("的")
        if len(defined) >= 2 and defined in question:
            return True
        if any(t in defined or defined in t for t in terms if len(t) >= 2):
            return True
    return False


WINDOW_SHARE = 0.6  # a clause's support: this share from its best passage, the rest from the whole clause


def passages(c: Clause) -> list[str]:
    """Overlapping two-sentence passages of a clause: where a question's words must meet, not just occur."""
    sents = [s for s in re.findall(r"[^。！？!?；;\n]+[。！？!?；;]?", c.text) if s.strip(" 。；")]
    if len(sents) <= 2:
        return ["".join(sents)] if sents else [c.text]
    return [sents[i] + sents[i + 1] for i in range(len(sents) - 1)]


def passage_support(terms: Terms, c: Clause, expand: bool = True) -> tuple[float, str]:
    """The best passage's support (read with the clause's headings and label) and the passage."""
    head = " ".join(c.path) + c.label
    best, where = -1.0, ""
    total = sum(terms.weights.values()) or 1.0
    unknown = terms.unknown_in(c.doc_id)
    for p in passages(c):
        v = sum(w * max(_matched(terms, t, head + p, expand, t in unknown),
                        0.5 * match(t, c.doc_title, expand, t in unknown))
                for t, w in terms.weights.items()) / total
        if v > best:
            best, where = v, p
    return max(best, 0.0), where


def rank_part(part: Part, cands: Candidates, weights: Terms, mech: Mechanisms,
              eligible: Callable[[Clause], bool], idx: "ClauseIndex", used: int | None = None) -> list[Choice]:
    """Candidates for one part, best first."""
    expand = mech.on("expansion")
    out = []
    named = _named_labels(part, cands)
    in_force = part.info.wants_time and bool(ASKS_IN_FORCE.search(part.text))
    defining = mech.on("structure") and bool(ASKS_DEFINITION.search(part.text))
    # 家政行业归哪个部门管 of a document the question names: its subject is the document's, so the article giving
    # a department the document's matter answers, whatever words the question shares with it
    authority = (mech.on("structure") and len(part.info.docs) == 1 and not part.asks_penalty
                 and bool(ASKS_AUTHORITY.search(part.text)))
    for n, c in cands.clauses.items():
        check()
        if not eligible(c) or (named and c.label not in named) or not _names_places(part, c, idx):
            continue
        text = clause_text(c)
        family = _family_text(n, cands)
        whole = max(support_of(weights, c, "", expand), support_of(weights, c, family, expand) * 0.95 if family else 0)
        local, passage = passage_support(weights, c, expand)
        sup = WINDOW_SHARE * local + (1 - WINDOW_SHARE) * whole if mech.on("rerank") else whole
        if named:
            sup = max(sup, NAMED_ARTICLE)  # the question names this article: it is what the question is about
        elif defining and defines(c.text, part.info.terms, part.text):
            sup = max(sup, DEFINES_SUPPORT)  # 哪种地方算风景名胜区: the clause defining it, whatever else it shares
        elif authority and c.doc_id in part.info.docs and c.kind == KIND_ARTICLE and (
                ASSIGNS_AUTHORITY.search(c.text) or ASSIGNS_DUTY.search(c.text)):
            sup = max(sup, DEFINES_SUPPORT)  # 会员卡归哪个部门管: the article naming who is in charge of it
        elif in_force and IN_FORCE.search(c.text) and (not cands.pinned or c.doc_id == cands.clauses[cands.pinned].doc_id):
            sup = max(sup, NAMED_ARTICLE)  # 从哪天开始实行: the clause saying 自…起施行 is what is asked for
        score = sup
        if mech.on("rerank"):
            score = sup * max(fits(part, passage), 0.85 * fits(part, text), 0.8 * fits(part, text + family))
            score += RANK_PRIOR / cands.search_rank.get(n, 30)
        else:
            score += 0.1 / n
        if c.kind in ("preamble", "closing"):
            score *= 0.8  # the notice answers questions about the document itself, rarely about its content
        if n == cands.pinned:
            score += 0.3
        elif n == used:
            score += 0.15
        elif n == cands.previous:
            score += 0.08
        out.append(Choice(part, n, sup, score))
    if part.asks_penalty and mech.on("structure"):
        out = _sanctions_inherit(out, part, cands, weights, expand)
    return sorted(out, key=lambda ch: (-ch.score, ch.n))


_SANCTION = re.compile(r"违反本(?:条例|办法|规定|细则|实施细则|决定|法)(.{0,60}?)规定")
_REF_ARTICLE = re.compile(r"第([一二三四五六七八九十百零〇]+)条")
_REF_ITEMS = re.compile(r"第[（(]?([一二三四五六七八九十]+)[)）]?项(?:至第[（(]?([一二三四五六七八九十]+)[)）]?项)?")


def sanctioned(c: Clause) -> list[tuple[str, frozenset[int] | None]]:
    """The articles (and their 项, when named) whose breach a penalty article sanctions:
    违反本条例第十三条第八项规定的… → [("第十三条", {8})]."""
    from index.markers import cn_to_int

    out = []
    for m in _SANCTION.finditer(c.text):
        refs = list(_REF_ARTICLE.finditer(m.group(1)))
        for i, r in enumerate(refs):
            tail = m.group(1)[r.end(): refs[i + 1].start() if i + 1 < len(refs) else None]
            items: set[int] = set()
            for it in _REF_ITEMS.finditer(tail):
                lo = cn_to_int(it.group(1)) or 0
                hi = cn_to_int(it.group(2)) if it.group(2) else lo
                items.update(range(lo, (hi or lo) + 1))
            out.append((f"第{r.group(1)}条", frozenset(items) or None))
    return out


def _sanctions_inherit(ranked: list[Choice], part: Part, cands: Candidates, weights: Terms, expand: bool) -> list[Choice]:
    """怎么罚 questions describe the conduct in the duty article's words, while the penalty sits in an article of
    the 法律责任 chapter that only cites it (违反本条例第十三条第八项规定的，…罚款): the penalty article takes the
    support of the duty article it sanctions (of the 项 the question matches best, when it names items)."""
    from assistant.provisions import ITEM_LINE

    by_label = {(cands.clauses[ch.n].doc_id, cands.clauses[ch.n].label): ch for ch in ranked
                if cands.clauses[ch.n].kind == KIND_ARTICLE}
    out = []
    for ch in ranked:
        c = cands.clauses[ch.n]
        if c.kind != KIND_ARTICLE or not PENALTY.search(c.text):
            out.append(ch)
            continue
        best_sup, pinned = ch.support, 0.0
        for label, items in sanctioned(c):
            duty = by_label.get((c.doc_id, label))
            if duty is None or duty.n == ch.n:
                continue
            factor = 0.95
            if items:
                lines = [l for l in cands.clauses[duty.n].text.split("\n") if ITEM_LINE.match(l)]
                scores = [support(weights, l, expand, c.doc_id) for l in lines]
                if scores:
                    top = max(range(len(scores)), key=lambda k: scores[k]) + 1
                    factor = 0.95 if top in items else 0.7
            best_sup = max(best_sup, duty.support * factor)
            if duty.n == cands.pinned:
                pinned = 0.35  # 这项违反了怎么罚: the sanction of the clause the follow-up is pinned to
            elif duty.n == cands.previous:
                pinned = max(pinned, 0.2)  # …or of the clause the conversation's last answer spoke of
        if best_sup > ch.support or pinned:
            gain = best_sup - ch.support
            ch = replace(ch, support=best_sup, score=ch.score + gain * fits(part, c.text) + pinned)
        out.append(ch)
    return out


def _is_document_place(idx: "ClauseIndex", place: str) -> bool:
    """Does some document alias contain the place, or the place an alias (青浦 / 青浦区)?"""
    overlaps = getattr(idx, "alias_overlaps", None)  # the store answers without scanning every alias
    if overlaps is not None:
        return overlaps(place)
    return any(place in k or k in place for k in idx.aliases())


def _names_places(part: Part, c: Clause, idx: "ClauseIndex") -> bool:
    """A place the question names that no document is about (浦东新区, 杭州市) must be named by the clause."""
    for place in part.info.places:
        if _is_document_place(idx, place):
            continue
        if place not in c.text:
            return False
    return True


def _named_labels(part: Part, cands: Candidates) -> set[str]:
    """第二十六条 asked: only that article answers (when the candidates hold it); 违反第七条… asks about the
    articles that sanction 第七条."""
    from index.markers import int_to_cn

    wanted = {f"第{int_to_cn(a)}条" for a in part.info.articles}
    item = re.search(r"第[（(]?([一二三四五六七八九十]{1,3})[)）]?项", part.text)
    for a in part.info.breached:
        ref = re.compile(r"违反本(?:条例|办法|规定|细则|实施细则|决定|法)" + f"第{int_to_cn(a)}条(?![一二三四五六七八九十百零])"
                         + (r"[^。；，]{0,24}?[（(]" + item.group(1) + "[)）]" if item else ""))
        wanted |= {c.label for c in cands.clauses.values() if c.kind == KIND_ARTICLE and ref.search(c.text)}
    return wanted if any(c.label in wanted for c in cands.clauses.values()) else set()


def _family_text(n: int, cands: Candidates) -> str:
    """A list item is read with its lead, a lead with its items."""
    parts = []
    if n in cands.lead_of:
        parts.append(cands.clauses[cands.lead_of[n]].text)
    for m in cands.items_of.get(n, ()):
        parts.append(cands.clauses[m].text)
    return "\n".join(parts)


# ------------------------------------------------------------------ choosing


def choose(plan: Plan, cands: Candidates, idx: "ClauseIndex", mech: Mechanisms) -> Evidence:
    if plan.foreign_places:
        place = plan.foreign_places[0]
        return Evidence(tuple(Missing(p, f"关于“{place}”的规定") for p in plan.parts))
    known_numbers = {m.doc_number for m, _ in idx.documents() if m.doc_number}
    unknown = [d for d in plan.info.doc_numbers if d not in known_numbers]
    if unknown:
        return Evidence(tuple(Missing(p, f"文号为{unknown[0]}的文件") for p in plan.parts))
    missing_article = _missing_article(plan, cands)
    if missing_article:
        return Evidence(tuple(Missing(p, missing_article) for p in plan.parts))

    def eligible(c: Clause) -> bool:
        return not plan.docs or c.doc_id in plan.docs

    answers: list[Choice | Missing] = []
    also: tuple[Choice, ...] = ()
    used: int | None = cands.pinned
    first_support = 0.0
    per_doc: tuple[Choice, ...] = ()
    for i, part in enumerate(plan.parts):
        weights = term_weights(part, idx, mech)
        if mech.on("part_terms"):
            weights = _own_terms_first(weights, part, plan)
        previous = answers[-1] if answers else None
        if part.follows and part.asks_article and previous is not None:  # 依据哪一条？ of the provision just quoted
            answers.append(Choice(part, previous.n, previous.support, previous.score) if isinstance(previous, Choice)
                           else Missing(part, previous.subject))
            continue
        ranked = rank_part(part, cands, weights, mech, eligible, idx, used)
        if part.asks_penalty and mech.on("structure"):
            ranked = _sanction_of_the_anchor(ranked, cands)
        best = ranked[0] if ranked else None
        if best is not None and mech.on("margin"):
            best = replace(best, evidence=confidence(best, ranked))
        if i == 0:
            first_support = best.confidence if best else 0.0
        why = _why_not(part, best, cands, mech, weights, idx)
        if why:
            answers.append(Missing(part, why))
            continue
        if best.confidence < mech.refuse_below + CLOSEST_MARGIN and best.n != cands.pinned and not _anchored(best, cands):
            best = replace(best, closest_only=True)
        answers.append(best)
        used = best.n
        if i == 0 and mech.on("multi_doc") and not plan.docs and cands.pinned is None:
            per_doc = _per_document(best, ranked, cands, idx)
        if i == 0 and len(plan.parts) == 1 and mech.on("runner_up"):
            also = _runner_up(best, ranked, cands, mech)
    answers = _same_document_retry(answers, cands, idx, mech)
    if mech.on("structure"):
        answers = _duty_of_the_sanction(answers, cands, idx, mech)
    if per_doc:
        also = ()
    others: tuple[Choice, ...] = ()
    first = answers[0] if answers else None
    if isinstance(first, Choice) and plan.docs and not per_doc and mech.on("conflicts") and cands.pinned is None:
        others = _same_subject(first, plan, cands, idx, mech)
    return Evidence(tuple(answers), per_doc, first_support, others, also)


CONDUCT_SHARE = 0.6  # of a penalty item's conduct words, the share the duty clause must hold to be its sanction


_ITEM_SPLIT = re.compile(r"[；;\n]|(?=[（(][一二三四五六七八九十]+[)）])")
_CONDUCT_END = re.compile(r"的[，,]")  # 携犬出户未佩戴犬牌的，处…: the breach ends at 的，


def conduct_share(penalty: Clause, duty: str) -> float:
    """How much of the breach a penalty article's item describes (the words before its 的，) the duty text holds:
    the best item's share of its words of two or more characters."""
    best = 0.0
    for item in _ITEM_SPLIT.split(penalty.text):
        parts = _CONDUCT_END.split(item, maxsplit=1)
        ws = [w for w in words(parts[0]) if len(w) >= 2] if len(parts) == 2 else []
        if len(ws) >= 3:
            best = max(best, sum(w in duty for w in ws) / len(ws))
    return best


def _conversation_clause(cands: Candidates) -> Clause | None:
    """The clause the conversation is about: the one a follow-up is pinned to, else the last answer's."""
    return cands.clauses.get(cands.pinned or cands.previous or 0)


def _sanction_of_the_anchor(ranked: list[Choice], cands: Candidates) -> list[Choice]:
    """不照做的话会怎么罚？ after a duty was quoted: the penalty article of that document whose item describes the
    breach in the duty's own words (携犬出户未佩戴电子标识牌…进入电梯间未采取预防犬只伤人措施的 for the article on
    携犬出户 and 电梯间) answers, though it cites no article number and the question shares few words with it."""
    anchor = _conversation_clause(cands)
    if anchor is None or not ranked or PENALTY.search(anchor.text):
        return ranked
    pool = [(conduct_share(cands.clauses[ch.n], anchor.text), ch) for ch in ranked
            if cands.clauses[ch.n].doc_id == anchor.doc_id and PENALTY.search(cands.clauses[ch.n].text)]
    if not pool:
        return ranked
    share, ch = max(pool, key=lambda x: x[0])
    if share < CONDUCT_SHARE or ch is ranked[0]:
        return ranked
    lifted = replace(ch, support=max(ch.support, ranked[0].support), score=ranked[0].score + 0.01)
    return [lifted] + [x for x in ranked if x is not ch]


SHARED_TERM = 0.5  # chosen on the three blind dev splits (0.5 and 0.7 alike)


def _own_terms_first(weights: Terms, part: Part, plan: Plan) -> Terms:
    """In a question of several parts, a term every part has (被困 in 被困…维保单位多久赶到？被困的人打哪个号码？)
    is the shared subject; the part's own terms (维保, 赶到) say which clause answers this part."""
    others = [p for p in plan.parts if p is not part and not p.follows]
    if not others:
        return weights
    shared = {t for t in weights.weights if all(t in p.info.terms for p in others)}
    if not shared or shared == set(weights.weights):
        return weights
    return Terms({t: w * (SHARED_TERM if t in shared else 1.0) for t, w in weights.weights.items()},
                 weights.doc_uses, {}, weights.doc, weights.chars)


MARGIN_WEIGHT = 0.5
MARGIN_TYPICAL = 0.05
MARGIN_CAP = 0.3


def confidence(best: Choice, ranked: list[Choice]) -> float:
    """How sure the evidence is that the best clause answers the part: its support, moved by how far its score
    stands above the next clause's. A question the documents answer usually has one clause that fits it clearly
    better than the rest; one they don't answer finds several clauses that each share a few of its words."""
    nxt = next((ch.score for ch in ranked[1:] if ch.n != best.n), 0.0)
    margin = min(max(best.score - nxt, 0.0), MARGIN_CAP)
    return min(1.0, max(0.0, best.support + MARGIN_WEIGHT * (margin - MARGIN_TYPICAL)))


ALSO_SHARE = 0.92  # the runner-up's score as a share of the best one's, to be quoted beside it


def _runner_up(best: Choice, ranked: list[Choice], cands: Candidates, mech: Mechanisms) -> tuple[Choice, ...]:
    """The second clause of the best one's document when it supports the question almost as well (not the best
    one's list family, which the answer quotes anyway)."""
    if best.closest_only or best.n == cands.pinned or len(ranked) < 2:
        return ()
    first = cands.clauses[best.n]
    family = {cands.lead_of.get(best.n), *cands.items_of.get(best.n, ())}
    for ch in ranked[1:3]:
        c = cands.clauses[ch.n]
        if c.doc_id != first.doc_id or ch.n in family or best.n in cands.items_of.get(ch.n, ()):
            continue
        if ch.score >= ALSO_SHARE * best.score and ch.support >= mech.refuse_below + CLOSEST_MARGIN:
            return (ch,)
    return ()


CONFLICT_MARGIN = 0.1  # another document's clause supporting the part this nearly as well states its figure too


def _same_subject(best: Choice, plan: Plan, cands: Candidates, idx: "ClauseIndex", mech: Mechanisms) -> tuple[Choice, ...]:
    """For a figure question about a place (嘉定区…是多少？): the best clause of each other document that speaks of
    that place (in its text or title) and supports the question nearly as well as the answer does."""
    part = best.part
    if not asks_figure(part) or best.closest_only:
        return ()
    first = cands.clauses[best.n]
    places = subject_places(plan, idx)
    if not places:
        return ()

    def about(c: Clause) -> bool:
        return c.doc_id != first.doc_id and speaks_of(c, places)

    ranked = rank_part(part, cands, term_weights(part, idx, mech), mech, about, idx)
    bar = max(mech.refuse_below, best.support - CONFLICT_MARGIN)
    picked: dict[str, Choice] = {}
    for ch in ranked:
        c = cands.clauses[ch.n]
        if c.doc_id not in picked and ch.support >= bar and fits(part, c.text) >= 1.0:
            picked[c.doc_id] = ch
    return tuple(picked.values())[: MAX_DOCS - 1]


def _duty_of_the_sanction(answers: list, cands: Candidates, idx: "ClauseIndex", mech: Mechanisms) -> list:
    """…多长时间报一次？没按时报会罚多少？ asks about one duty and its sanction: when one part is answered by a penalty
    article (违反本条例第二十八条规定，未按时报送…), another part is answered by the article it sanctions, when that
    supports the part well enough, rather than by another document's clause sharing more of its words."""
    duties = {(cands.clauses[a.n].doc_id, label) for a in answers
              if isinstance(a, Choice) and a.part.asks_penalty and not a.closest_only
              for label, _ in sanctioned(cands.clauses[a.n])}
    if not duties:
        return answers
    out = []
    for a in answers:
        here = cands.clauses[a.n] if isinstance(a, Choice) else None
        if a.part.asks_penalty or a.part.follows or (here is not None and (here.doc_id, here.label) in duties):
            out.append(a)
            continue
        terms = term_weights(a.part, idx, mech)
        ranked = rank_part(a.part, cands, terms, mech, lambda c: (c.doc_id, c.label) in duties, idx)
        if ranked and ranked[0].support >= mech.refuse_below + CLOSEST_MARGIN:
            out.append(ranked[0])
            continue
        out.append(a)
    return out


SAME_DOC_SLACK = 0.15  # a part is answered from the document its sibling part was answered from on this lower bar


def _same_document_retry(answers: list, cands: Candidates, idx: "ClauseIndex", mech: Mechanisms) -> list:
    """A two-part question is about one document: once one part is answered, a part that found no clause good
    enough anywhere is looked for again in that document, on a lower bar (能退多少暖气费？退费最晚什么时候办？)."""
    docs = {cands.clauses[a.n].doc_id for a in answers if isinstance(a, Choice)}
    if not docs or all(isinstance(a, Choice) for a in answers):
        return answers
    out = []
    for a in answers:
        if isinstance(a, Missing) and a.subject.startswith("关于“"):  # not found at all (not: found without a figure)
            terms = term_weights(a.part, idx, mech)
            ranked = rank_part(a.part, cands, terms, mech, lambda c: c.doc_id in docs, idx)
            if ranked and ranked[0].support >= mech.refuse_below - SAME_DOC_SLACK and _why_not(
                    a.part, ranked[0], cands, replace(mech, refuse_below=mech.refuse_below - SAME_DOC_SLACK), terms, idx) is None:
                out.append(replace(ranked[0], closest_only=False))
                continue
        out.append(a)
    return out


def _why_not(part: Part, best: Choice | None, cands: Candidates, mech: Mechanisms, weights: Terms,
             idx: "ClauseIndex") -> str | None:
    """Why the best clause does not answer the part, or None when it does."""
    if best is None:
        return _subject(part, None, cands)
    c = cands.clauses[best.n]
    text = clause_text(c) + "\n" + _family_text(best.n, cands)
    if mech.on("evidence_refusal"):
        if best.confidence < mech.refuse_below * (ANCHORED_SHARE if _anchored(best, cands) else 1.0):
            return _subject(part, best, cands)
    elif _vocabulary_refuses(part, idx):
        return _subject(part, best, cands)
    info = part.info
    if (info.confirms and mech.on("confirms") and match(info.confirms, text) < CONFIRMED
            and not everyday_word(info.confirms)):
        return f"关于“{info.confirms}”的规定"  # 投诉电话是12320吗: a clause not naming 12320 neither confirms nor denies
    if (info.years or info.periods) and not time_matches(info, text) and other_time(text):
        return _subject(part, best, cands)  # the clause speaks of another year (2025 for a 2035 question)
    if info.counted and not counts_thing(info.counted, text):
        return f"“{_topic(part, best, cands)}”的具体数值"  # 几座加氢站 is not answered by a count of charging piles
    if info.wants_number and not info.wants_time and not states_figure(part, text) and not part.asks_list:
        return f"“{_topic(part, best, cands)}”的具体数值"
    if info.measure and not states_measure(text, info.measure):
        return f"“{_topic(part, best, cands)}”的具体数值"
    if info.wants_money and not part.asks_penalty and not MONEY.search(text):
        return f"“{_topic(part, best, cands)}”的具体金额"
    return None


# How well a clause must name the thing a question asks to confirm: the thing itself, a synonym or its characters in
# order, not a word inside it (引航 does not name 引航费, the fee asked about).
CONFIRMED = 0.5
ANCHORED_SHARE = 0.4  # of the refusal threshold, for a clause the conversation is about


def _anchored(best: Choice, cands: Candidates) -> bool:
    """Is the chosen clause what the conversation is about: the clause a follow-up is pinned to or the last
    answer cited, or the article that sanctions it (违反了会怎么罚？)? Its support is read on the question's
    own words, which may be few or everyday ones, so it answers on a lower bar."""
    if best.n in (cands.pinned, cands.previous):
        return True
    about = _conversation_clause(cands)
    c = cands.clauses[best.n]
    return about is not None and c.doc_id == about.doc_id and (
        any(label == about.label for label, _ in sanctioned(c))
        or (PENALTY.search(c.text) is not None and not PENALTY.search(about.text)
            and conduct_share(c, about.text) >= CONDUCT_SHARE))


def _vocabulary_refuses(part: Part, idx: "ClauseIndex") -> bool:
    """The rule the product had before refusing on evidence, kept for the ablation (`--without evidence_refusal`):
    refuse when the question is mostly words no document uses, or a specific dictionary word of three or more
    characters that no document even half-mentions weighs enough of it."""
    from index.synonyms import synonyms

    from assistant.text import is_dictionary_word

    terms = part.info.terms
    if not terms:
        return False
    weight = {t: min(len(t), 4) for t in terms}
    known = {t for t in terms if idx.corpus_has(t) or any(idx.corpus_has(s) for s in synonyms(t))}
    if sum(weight[t] for t in known) / sum(weight.values()) < 0.38:
        return True
    alien = [t for t in terms if len(t) >= 3 and t not in known and is_dictionary_word(t)
             and sum(idx.corpus_has(t[i: i + 2]) for i in range(len(t) - 1)) / (len(t) - 1) < 0.5]
    return sum(weight[t] for t in alien) / sum(weight.values()) >= 0.3


def _missing_article(plan: Plan, cands: Candidates) -> str | None:
    from index.markers import int_to_cn

    if not plan.info.articles:
        return None
    labels = {c.label for c in cands.clauses.values() if c.kind == KIND_ARTICLE and (not plan.docs or c.doc_id in plan.docs)}
    missing = [n for n in plan.info.articles if f"第{int_to_cn(n)}条" not in labels]
    return f"第{int_to_cn(missing[0])}条" if missing else None


def _per_document(best: Choice, ranked: list[Choice], cands: Candidates, idx: "ClauseIndex") -> tuple[Choice, ...]:
    """新增光伏装机目标是多少？ with no place named, when several plans each state one: the best clause of each
    document whose score is close to the best one's, for documents of the same kind (plans with plans)."""
    first = cands.clauses[best.n]
    if best.closest_only:
        return ()
    picked = {first.doc_id: best}
    for ch in ranked[1:]:
        c = cands.clauses[ch.n]
        if c.doc_id in picked or ch.support < best.support - MULTI_DOC_MARGIN or ch.score < 0.8 * best.score:
            continue
        if (c.kind == KIND_ARTICLE) != (first.kind == KIND_ARTICLE):
            continue
        picked[c.doc_id] = ch
        if len(picked) >= MAX_DOCS:
            break
    return tuple(picked.values()) if len(picked) >= 2 else ()


def _topic(part: Part, best: Choice | None, cands: Candidates) -> str:
    terms = [t for t in part.info.terms if t != part.info.counted]
    if best is not None:  # what the closest clause lacks comes first
        text = clause_text(cands.clauses[best.n])
        terms.sort(key=lambda t: match(t, text) > 0)
    terms.sort(key=lambda t: general_frequency(t) >= COMMON_WORD or everyday_word(t))  # 水压 before 觉得 / 楼上
    named = list(part.info.places) + ([part.info.counted] if part.info.counted else []) + terms
    return "、".join(named[:3]) if named else "该问题"


def _subject(part: Part, best: Choice | None, cands: Candidates) -> str:
    topic = _topic(part, best, cands)
    if part.info.years:
        return f"关于“{topic}”{'、'.join(str(y) for y in part.info.years)}年的规定"
    return f"关于“{topic}”的规定"


# ------------------------------------------------------------------ helpers the composer shares


def states_measure(text: str, measure: str) -> bool:
    if measure in ("天", "日"):
        return bool(re.search(r"[\d零一二两三四五六七八九十百]+(?:个工作)?[日天]", text))
    if measure in ("元", "万元"):
        return bool(MONEY.search(text))
    if measure in ("人", "名"):  # people are counted in 人, 名 or 位
        return bool(re.search(r"[\d零一二两三四五六七八九十百千]+\s*[人名位]", text))
    if measure == "年":
        return bool(re.search(r"[\d零一二两三四五六七八九十百]+(?:个)?(?:周)?年(?!度)", text))
    return bool(re.search(r"[\d零一二两三四五六七八九十百千万亿.]+\s*" + re.escape(measure), text))


def time_matches(info, text: str) -> bool:
    """The text speaks of the year or 五年规划 period asked about (2025 ↔ “十四五”)."""
    for y in info.years:
        if str(y) in text or any(p in text and y in r for p, r in _PERIODS.items()):
            return True
    for p in info.periods:
        if p in text or any(str(y) in text for y in _PERIODS.get(p, ())):
            return True
    return False


def other_time(text: str) -> bool:
    return bool(_OTHER_TIME.search(text))

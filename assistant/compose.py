"""Stage 5 of the answer path: the extractive answer, built from the chosen clauses' own words.

The unit quoted follows the document's structure: a statute answers with the article's 款 that the question is
about (the whole article when short), with its 项 when the question asks for conditions or a list; a plan item
answers with the sentence that holds what was asked (the figure and year, the units); a 有哪些 question with a
list lead and its items, or a section's items, saying how many there are. Every sentence carries its [n], and the
answer names the document it speaks for.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.budget import check
from assistant.evidence import (Candidates, Choice, Evidence, Missing, Terms, clause_text, fits, lists, other_time,
                                support, term_weights, time_matches)
from assistant.patterns import ASKS_TARGET, MONEY, PENALTY, QUANTITY, UNIT_WORDS
from assistant.mechanisms import Mechanisms
from assistant.plan import Part, Plan
from assistant.provisions import ARTICLE_HEAD, ITEM_LINE, article_paragraphs, is_list_lead, lead_in, strip_marker
from assistant.text import is_heading_sentence
from assistant.types import REFUSAL_PREFIX, Draft
from index.models import KIND_ARTICLE, KIND_LEAD, KIND_TABLE_ROW, ORIGIN_NAMES, ORIGIN_UPLOAD, Clause
from index.trust import FLAG_NOTE
from index.units import trailing_parenthetical

if TYPE_CHECKING:
    from index.store.clause_index import ClauseIndex

BACKEND = "extractive"
ARTICLE_WHOLE = 240  # characters: an article this short is quoted whole
UNIT_BUDGET = 240  # characters of one part's answer
LIST_BUDGET = 600  # characters of a list answer (条件 / 情形 / 要求 with their 项)
MAX_SENTENCE = 120  # a longer plan sentence is trimmed to the phrases that answer
MAX_ITEMS = 12
SECTION_SUPPORT = 0.5  # a 有哪些 question this much about a section's heading lists the section's items
CLOSEST_NOTE = "文件中没有直接的规定，最接近的是"


@dataclass(frozen=True)
class Refusal:
    subject: str  # what was not found, e.g. "关于“浦东新区”的规定"

    @property
    def text(self) -> str:
        from assistant.prompts import refusal_text

        return refusal_text(self.subject)


def compose(plan: Plan, ev: Evidence, cands: Candidates, idx: "ClauseIndex", mech: Mechanisms,
            said: str = "") -> Draft | Refusal:
    if ev.refused:
        first = ev.answers[0]
        return Refusal(first.subject if isinstance(first, Missing) else "相关规定")
    if plan.compare and len(plan.docs) >= 2:
        return _compare(plan, cands, idx, mech)
    if ev.per_doc:
        return Draft("\n".join(f"{_short_name(idx, cands.clauses[ch.n])}：{_unit(ch, cands, idx, mech, said)}"
                               for ch in ev.per_doc), BACKEND)
    out: list[str] = []
    named: set[str] = set()
    quoted: list[tuple[int, str]] = []
    notice = None
    for i, a in enumerate(ev.answers):
        if isinstance(a, Missing):
            out.append(f"{REFUSAL_PREFIX}{a.subject}。")
            continue
        if i == 0 and ev.others:
            disagreement = _disagreement(a, ev.others, cands, idx, mech, said)
            if disagreement is not None:
                text, notice, docs = disagreement
                out.append(text)
                quoted.append((a.n, text))
                named.update(docs)
                continue
        c = cands.clauses[a.n]
        if a.part.asks_article and a.part.follows:  # 依据哪一条？ after the provision was quoted
            if c.label not in "".join(out):
                out.append(cite(f"以上规定见{c.citation}", a.n))
            continue
        text = _unsaid(_unit(a, cands, idx, mech, said), "".join(q for _, q in quoted))
        if not text:
            continue  # the other part's quote already says it
        quoted.append((a.n, text))
        prefix = ""
        if mech.on("name_source") and c.doc_id not in named:
            prefix = _source_prefix(c, idx, plan)
            named.add(c.doc_id)
        elif c.kind == KIND_ARTICLE and (a.part.asks_article or len(quoted) > 1):
            prefix = f"{c.label}规定："
        if a.closest_only:
            prefix = f"{CLOSEST_NOTE}{_citation_name(c)}："
        out.append(prefix + text)
    for b in ev.also:  # a second clause supporting the question almost as well
        text = _unsaid(_unit(b, cands, idx, mech, said), "".join(out))
        if text:
            out.append(f"另见{cands.clauses[b.n].label}：" + text)
    return Draft("".join(out), BACKEND, notice)


# A figure with its unit (29.4万千瓦, 15%, 3500个): what two documents may state differently for one question.
_FIGURE = re.compile(r"(\d+(?:\.\d+)?)\s*(%|％|[十百千万亿]*(?:千瓦时|千瓦|瓦|吨标准煤|吨|立方米|平方米|平方公里|公里|米|辆|个|座|家|"
                     r"台|套|项|元|户|人|公顷|亩|条|处|所|根|倍))")


def figures(text: str) -> dict[str, list[str]]:
    """unit → the figures stated in that unit, in order (29.4万千瓦 → {"万千瓦": ["29.4"]})."""
    out: dict[str, list[str]] = {}
    for value, unit in _FIGURE.findall(text):
        out.setdefault(unit.replace("％", "%"), []).append(value)
    return out


def _disagreement(best: Choice, others: tuple[Choice, ...], cands: Candidates, idx: "ClauseIndex",
                  mech: Mechanisms, said: str) -> tuple[str, str, set[str]] | None:
    """Each document's figure with its source, when another document on the same subject states a different one
    in the same unit: (text, notice, documents named), or None when they agree. Documents from the shipped corpus
    or an administrator come before uploads, and documents flagged for instruction text come last."""
    first = _unit(best, cands, idx, mech, said)
    mine = figures(first)
    rows = [(best, first)]
    for ch in others:
        text = _unit(ch, cands, idx, mech, said)
        theirs = figures(text)
        if any(set(mine[u]).isdisjoint(theirs[u]) for u in mine.keys() & theirs.keys()):
            rows.append((ch, text))
    if len(rows) == 1:
        return None
    metas = {m.doc_id: m for m, _ in idx.documents()}

    def distrust(row: tuple[Choice, str]) -> int:
        meta = metas.get(cands.clauses[row[0].n].doc_id)
        return (2 if meta is not None and meta.flagged else 0) + (1 if meta is not None and meta.origin == ORIGIN_UPLOAD else 0)

    rows.sort(key=distrust)
    unit = next(u for u in mine if any(u in figures(t) for _, t in rows[1:]))
    stated = "、".join(dict.fromkeys(figures(t)[unit][0] + unit for _, t in rows if unit in figures(t)))
    notes = []
    for ch, _ in rows:
        meta = metas.get(cands.clauses[ch.n].doc_id)
        if meta is not None and (meta.flagged or meta.origin == ORIGIN_UPLOAD):
            how = [ORIGIN_NAMES[ORIGIN_UPLOAD] + "的文件"] if meta.origin == ORIGIN_UPLOAD else []
            how += [FLAG_NOTE] if meta.flagged else []
            notes.append(f"《{meta.title}》{'，'.join(how)}")
    notice = (f"各文件对此给出的数字不一致（{stated}），已逐一列出出处，请以正式印发的文件为准"
              + ("；" + "；".join(notes) if notes else "") + "。")
    lines = [f"《{cands.clauses[ch.n].doc_title}》：{text}" for ch, text in rows]
    return "\n".join(lines), notice, {cands.clauses[ch.n].doc_id for ch, _ in rows}


def _unsaid(text: str, before: str) -> str:
    """The cited sentences of `text` that an earlier part of the answer has not said already."""
    if not before:
        return text
    said = _core(before)
    # a piece is everything up to and including its [n] markers (and the mark after them), so no piece loses
    # its citation; text after the last marker stays with the last piece
    pieces = re.findall(r".*?(?:\[\d+\])+[。；：]?", text, flags=re.S)
    rest = text[sum(map(len, pieces)):]
    if rest and pieces:
        pieces[-1] += rest
    elif rest:
        pieces = [rest]
    return "".join(p for p in pieces if _core(p) and _core(p) not in said)


def _source_prefix(c: Clause, idx: "ClauseIndex", plan: Plan) -> str:
    if c.kind == KIND_ARTICLE:
        return f"《{c.doc_title}》{c.label}规定："
    return f"{_short_name(idx, c)}："


def _citation_name(c: Clause) -> str:
    return f"《{c.doc_title}》{c.label}" if c.kind == KIND_ARTICLE else f"《{c.doc_title}》"


def _short_name(idx: "ClauseIndex", c: Clause) -> str:
    try:
        return idx.short_name(c.doc_id)
    except KeyError:
        return c.doc_title


def _compare(plan: Plan, cands: Candidates, idx: "ClauseIndex", mech: Mechanisms) -> Draft | Refusal:
    from assistant.evidence import rank_part

    lines, found = [], 0
    part = plan.parts[0]
    weights = term_weights(part, idx, mech)
    for d in plan.docs:
        ranked = rank_part(part, cands, weights, mech, lambda c, d=d: c.doc_id == d, idx)
        name = idx.short_name(d)
        if not ranked or ranked[0].support < mech.refuse_below:
            lines.append(f"{name}：{REFUSAL_PREFIX}相关规定。")
            continue
        found += 1
        lines.append(f"{name}：{_unit(ranked[0], cands, idx, mech, '')}")
    if not found:
        return Refusal("相关规定")
    return Draft("\n".join(lines), BACKEND)


# ------------------------------------------------------------------ the unit quoted for one part


def _unit(ch: Choice, cands: Candidates, idx: "ClauseIndex", mech: Mechanisms, said: str) -> str:
    check()
    c = cands.clauses[ch.n]
    part = ch.part
    weights = term_weights(part, idx, mech).for_doc(c.doc_id)
    if c.kind == KIND_TABLE_ROW:
        return cite(c.text, ch.n)
    structure = mech.on("structure")
    if c.kind == KIND_ARTICLE:
        return _article(ch, c, weights, cands, structure)
    if structure and part.asks_list:
        listed = _list_answer(ch, c, cands, idx, weights)
        if listed:
            return listed
    if structure and ch.n in cands.lead_of and _needs_lead(part, c.text):
        m = cands.lead_of[ch.n]
        return cite_each(lead_in(cands.clauses[m]), m) + cite(strip_marker(_best_sentence(part, c, weights, said)), ch.n)
    sentence = _best_sentence(part, c, weights, said)
    text = cite(sentence, ch.n)
    more = _completing_sentence(part, c, weights, sentence, said) if structure else None
    if more:
        text += cite(more, ch.n)
    if part.info.wants_units and not any(u in sentence for u in c.units):
        units = _unit_sentence(c)
        if units:
            text += cite(units, ch.n)
    return text


def _completing_sentence(part: Part, c: Clause, weights: Terms, first: str, said: str) -> str | None:
    """A second sentence of the same clause when the first leaves some of the part's terms unsaid
    (几家零碳工厂、几家绿色园区 may be two sentences apart)."""
    missing = weights.only({t for t in weights.weights if support(weights.only({t}), first) == 0})
    if not missing.weights or sum(missing.weights.values()) < 0.25 * sum(weights.weights.values()):
        return None
    best, best_v = None, 0.0
    for s in _sentences(c.text):
        if _core(s) in _core(first) or _core(first) in _core(s) or _is_heading(s, c) or (said and _repeats(s, said)):
            continue
        v = support(missing, s) * fits(part, s)
        if v > best_v:
            best, best_v = s, v
    return _trim(best, part, weights) if best and best_v >= 0.5 else None


def _needs_lead(part: Part, text: str) -> bool:
    """An item (弄虚作假…的；) says what, its lead what follows: does the part ask for the latter?"""
    return bool((part.asks_penalty and not PENALTY.search(text)) or (part.info.wants_money and not MONEY.search(text))
                or (part.info.wants_units and not UNIT_WORDS.search(text)))


def _article(ch: Choice, c: Clause, weights: Terms, cands: Candidates, structure: bool) -> str:
    """The 款 asked about (or all of a short article), each with its 项."""
    part = ch.part
    paragraphs = article_paragraphs(c) if structure else [ARTICLE_HEAD.sub("", c.text).replace("\n", "")]
    if not paragraphs:
        return cite(c.text, ch.n)
    chosen: list[str]
    if part.info.paragraphs:
        chosen = [paragraphs[k - 1] for k in part.info.paragraphs if 0 < k <= len(paragraphs)] or paragraphs[:1]
    elif sum(map(len, paragraphs)) <= ARTICLE_WHOLE:
        chosen = paragraphs
    else:
        scored = sorted(paragraphs, key=lambda p: -(support(weights, p) * fits(part, p) * _listing_fit(part, p)))
        chosen = [scored[0]]
        if part.asks_penalty and not PENALTY.search(scored[0]):
            chosen += [p for p in scored[1:] if PENALTY.search(p)][:1]
        if part.info.wants_units and not UNIT_WORDS.search("".join(chosen)):
            chosen += [p for p in scored[1:] if UNIT_WORDS.search(p)][:1]
        chosen = [p for p in paragraphs if p in chosen]  # document order
    budget = LIST_BUDGET if part.asks_list else UNIT_BUDGET
    text = "".join(_fit_paragraph(p, part, weights, budget // len(chosen)) for p in chosen)
    return "".join(cite(s, ch.n) for s in _sentences(text))


LISTING_FIT = 1.3  # 第七十八条禁止做哪些事？: of an article's 款, the one listing 项 answers a list question
_ITEMS = re.compile(r"[：:]\s*[（(][一二三四五六七八九十]+[)）]")


def _listing_fit(part: Part, paragraph: str) -> float:
    """Of an article's 款, a list question is answered by the one listing 项, or the kind of thing it asks for
    (应该采取哪些措施 ~ 景区应当采取引导旅游者、调整路线、暂停开放等措施)."""
    if not part.asks_list:
        return 1.0
    if _ITEMS.search(paragraph) or (part.listed and lists(paragraph, part.listed)):
        return LISTING_FIT
    return 1.0


def _fit_paragraph(p: str, part: Part, weights: Terms, budget: int) -> str:
    """A 款 within the budget: whole, or its lead-in with the 项 that matter, or its best sentences."""
    if len(p) <= budget:
        return p
    lines = re.split(r"(?<=[：:；;])(?=[（(][一二三四五六七八九十]+[)）]|\d{1,2}[.．、])", p)
    if len(lines) > 1:  # a lead-in and its items
        head, items = lines[0], lines[1:]
        if part.asks_list or len(head) + sum(map(len, items)) <= budget * 1.5:
            kept = _take(items, budget - len(head), [support(weights, i) for i in items],
                         _covering(items, part, weights, budget - len(head)))
        else:
            kept = [items[i] for i in sorted(_covering(items, part, weights, budget - len(head)))]
        return head + "".join(kept)
    sents = _sentences(p)
    ranked = sorted(sents, key=lambda s: -(support(weights, s) * fits(part, s)))
    kept = []
    for s in ranked:
        if kept and sum(map(len, kept)) + len(s) > budget:
            continue
        kept.append(s)
    return "".join(s for s in sents if s in kept)


COVER_SHARE = 0.15  # of the question's weight an item must add, in terms no kept item has, to be kept too
SAID = 0.75  # a term is said by a kept item when matched this well (安全网 does not say 安全帽 by their shared 安全)


def _covering(items: list[str], part: Part, weights: Terms, budget: int) -> list[int]:
    """The item the question speaks of most, and any other item naming what it left unsaid (错别字 in one 项,
    配料表顺序 in another: a question naming two cases is answered by both)."""
    chosen = [max(range(len(items)), key=lambda i: support(weights, items[i]) * fits(part, items[i]))]
    total = sum(weights.weights.values()) or 1.0
    while len(chosen) < len(items):
        said = "".join(items[j] for j in chosen)
        unsaid = weights.only({t for t in weights.weights if support(weights.only({t}), said) < SAID})
        if not unsaid.weights:
            break
        rest = [i for i in range(len(items)) if i not in chosen]
        gain, i = max((support(unsaid, items[i]) * sum(unsaid.weights.values()) / total, i) for i in rest)
        if gain < COVER_SHARE or len(said) + len(items[i]) > max(budget, 60) * 2:
            break
        chosen.append(i)
    return chosen


def _take(items: list[str], budget: int, asked: list[float] | None = None, named: list[int] = ()) -> list[str]:
    """Items within the budget, in document order: the items naming what the question names (`named`) and those
    it speaks of, the ones it speaks of most first (推说老板不在 → the item on 不在岗为由 before items sharing only
    检查), then the others from the top; the last says how many there are when some are left to the citation."""
    asked = asked or [0.0] * len(items)
    order = sorted(range(len(items)), key=lambda i: (-asked[i], i))
    chosen: list[int] = list(named)
    for i in (i for i in order if i not in named):
        if chosen and sum(len(items[j]) for j in chosen) + len(items[i]) > max(budget, 60):
            break
        chosen.append(i)
    kept = [items[i] for i in sorted(chosen)]
    if len(kept) < len(items):
        kept[-1] = kept[-1].rstrip("；;。") + f"等（共{len(items)}项，另有{len(items) - len(kept)}项见所引条款）。"
    return kept


def _list_answer(ch: Choice, c: Clause, cands: Candidates, idx: "ClauseIndex", weights: Terms) -> str | None:
    """有哪些 questions: a list lead with its items, or the items of the section the clause belongs to when the
    question is about the section itself (交通领域有哪些措施 ~ （三）交通领域减污降碳协同增效)."""
    if c.kind == KIND_LEAD and ch.n in cands.items_of:
        items = [cands.clauses[m] for m in cands.items_of[ch.n]]
        total = len(idx.items_of(c)) or len(items)
        head = cite_each(lead_in(c), ch.n) if is_list_lead(c) else cite(_first_sentence(c.text), ch.n)
        return head + _item_lines([(m, cands.clauses[m]) for m in cands.items_of[ch.n]], total)
    if c.kind == KIND_LEAD and is_list_lead(c):
        return None
    section = _best_section(c, cands, weights)
    if section is None:
        return None
    siblings = _section_items(section, idx)
    number = {x.clause_id: n for n, x in cands.clauses.items()}
    if len(siblings) >= 2 and all(s.clause_id in number for s in siblings[:MAX_ITEMS]):
        heading = section.path[-2]
        return f"{strip_marker(heading)}包括：" + _item_lines([(number[s.clause_id], s) for s in siblings], len(siblings))
    return None


def _best_section(c: Clause, cands: Candidates, weights: Terms) -> Clause | None:
    """The candidate item (of the chosen clause's document) whose section heading the question is about
    (交通方面有哪些举措 ~ （三）交通领域减污降碳协同增效), when that heading covers the question better than any
    single sentence of the chosen clause does; None otherwise."""
    best, best_v = None, 0.0
    for x in cands.clauses.values():
        if x.doc_id != c.doc_id or len(x.path) < 2 or x.kind == KIND_ARTICLE:
            continue
        v = support(weights, x.path[-2])
        if v > best_v:
            best, best_v = x, v
    own = max((support(weights, s) for s in _sentences(c.text)), default=0.0)
    return best if best is not None and best_v >= SECTION_SUPPORT and best_v >= own else None


def _section_items(c: Clause, idx: "ClauseIndex") -> list[Clause]:
    if len(c.path) < 2:
        return []
    return [x for x in idx.clauses(c.doc_id) if x.path[:-1] == c.path[:-1] and len(x.path) == len(c.path)
            and x.kind != KIND_LEAD]


def _item_lines(items: list[tuple[int, Clause]], total: int) -> str:
    out, used = [], 0
    for n, item in items[:MAX_ITEMS]:
        title = strip_marker(item.path[-1]) if item.path else ""
        text = title if title and len(title) <= 40 and not title.startswith("第") else _first_sentence(item.text)
        if out and used + len(text) > UNIT_BUDGET:
            break
        used += len(text)
        out.append((n, text))
    listed = "".join(cite(t, n)[:-1] + "；" if i < len(out) - 1 else cite(t, n) for i, (n, t) in enumerate(out))
    note = f"共{total}项，以上列出全部" if len(out) == total else f"共{total}项，以上列出前{len(out)}项，其余见所引条款"
    return listed[:-1] + f"（{note}）。"


def _first_sentence(text: str) -> str:
    lines = [l for l in text.split("\n") if l.strip()]
    body = [l for l in lines if not is_heading_sentence(l)] or lines
    return strip_marker(_sentences(body[0])[0]) if body else text


# ------------------------------------------------------------------ sentences of plan clauses


def _sentences(text: str) -> list[str]:
    return [s for s in re.findall(r"[^。！？!?；;\n]+[。！？!?；;]?", text) if s.strip(" 。；")]


def _best_sentence(part: Part, c: Clause, weights: Terms, said: str) -> str:
    """The clause's sentence that answers the part best (read with its line): one pass over the clause."""
    best, best_score = None, -1.0
    several = len(_sentences(c.text)) > 1
    for line in c.text.split("\n"):
        line_support = None
        for s in _sentences(line):
            if _is_heading(s, c) and several:
                continue
            if line_support is None:
                line_support = support(weights, line)
            score = support(weights, s) * fits(part, s) + 0.3 * line_support
            if (part.info.wants_number or ASKS_TARGET.search(part.text)) and QUANTITY.search(s):
                score += 0.15  # 目标 / 指标 are stated as figures
            if part.info.years or part.info.periods:
                score += 0.2 if time_matches(part.info, s) else (-0.2 if other_time(s) else 0)
            if said and _repeats(s, said):
                score -= 0.4
            if score > best_score:
                best, best_score = s, score
    return _trim(best or c.text, part, weights)


def _is_heading(s: str, c: Clause) -> bool:
    return is_heading_sentence(s) or bool(re.match(r"^关于(?:印发|发布)", s))


def _trim(sentence: str, part: Part, weights: Terms) -> str:
    """Keep the comma-separated phrases that answer; the wording stays the document's own."""
    if len(sentence) <= MAX_SENTENCE:
        return sentence
    end = sentence[-1] if sentence[-1] in "。；！？" else ""
    segs = [s for s in re.split(r"(?<=[，,；;])", sentence[:-1] if end else sentence) if s]
    if len(segs) == 1:
        return sentence
    scores = []
    for s in segs:
        v = support(weights, s) if weights.weights else 0.0
        if QUANTITY.search(s):
            v += 0.5 if part.info.wants_number else 0.2
        if part.info.wants_money and MONEY.search(s):
            v += 1.0
        if part.info.wants_units and UNIT_WORDS.search(s):
            v += 0.5
        if (part.info.years or part.info.periods) and time_matches(part.info, s):
            v += 0.3
        scores.append(v)
    i = max(range(len(segs)), key=lambda k: (scores[k], -k))
    lo = hi = i
    while True:
        grown = False
        for j in (lo - 1, hi + 1):
            if 0 <= j < len(segs) and scores[j] > 0 and len("".join(segs[min(lo, j): max(hi, j) + 1])) <= MAX_SENTENCE:
                lo, hi = min(lo, j), max(hi, j)
                grown = True
        if not grown:
            break
    if lo > 0 and re.match(r"^(?:到|至|截至)?\s*(?:19|20)\d{2}年|^“十[四五]五”", segs[0]):
        return (segs[0] + "".join(segs[lo:hi + 1])).rstrip("，,；;") + (end or "。")
    return "".join(segs[lo:hi + 1]).rstrip("，,；;") + (end or "。")


def _repeats(sent: str, said: str) -> bool:
    from difflib import SequenceMatcher

    a, b = _core(sent), _core(said)
    if not a or not b:
        return False
    blocks = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    return sum(m.size for m in blocks if m.size >= 4) / len(a) >= 0.45


def _core(text: str) -> str:
    return re.sub(r"[\s，。；、：:,.;\[\]\d]", "", text)


def _unit_sentence(c: Clause) -> str | None:
    inner = trailing_parenthetical(c.text)
    if not c.units or not inner:
        return None
    if re.match(r"^(?:责任单位|牵头单位|责任部门|牵头部门)[：:]", inner):
        return inner + "。"
    return "由" + inner + "。" if "负责" in inner else "责任单位：" + inner + "。"


def cite_each(text: str, n: int) -> str:
    """Every sentence of `text` with its [n] (a lead-in line may hold several: （2）示范项目。被认定为…。…下列条件：)."""
    sents = [x for x in re.findall(r"[^。！？!?；;：:]+[。！？!?；;：:]?", text) if x.strip(" 。；")]
    kept = [x for x in sents if not is_heading_sentence(x) or x.rstrip().endswith(("：", ":"))] or sents
    return "".join(cite(x, n) for x in kept)


def cite(sentence: str, n: int) -> str:
    s = sentence.strip()
    if not s:
        return ""
    if s[-1] in "：:":
        return f"{s[:-1]}[{n}]："  # a lead-in: its items follow
    if s[-1] in "。；！？;!?":
        return f"{s[:-1]}[{n}]。"
    return f"{s}[{n}]。"

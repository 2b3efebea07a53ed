"""The extractive backend: answers composed of the retrieved clauses' own sentences.

For each part of a question it picks the sentence that answers it (the quantity and
year for 多少 questions, the unit list for 谁负责, the right 款 of an article), trims
it to the comma-separated phrases that carry the answer, and cites it [n]. When no
clause covers the question's terms, places, years or the figure asked for, it says
so instead (a `Refusal`), and every backend then refuses too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from assistant.question import QuestionInfo, analyze, counts_thing, term_in, term_score
from assistant.text import is_dictionary_word, is_heading_sentence, numbers, split_sentences
from assistant.provisions import (ARTICLE_HEAD, article_paragraphs, following_items, item_lead_in, lead_in,
                                  sentences_of_text, strip_marker)
from assistant.types import REFUSAL_PREFIX, Draft
from index.models import KIND_ARTICLE, KIND_TABLE_ROW, Clause, DocumentMeta
from index.units import trailing_parenthetical

BACKEND = "extractive"
MAX_SENTENCE = 90  # characters; longer sentences are trimmed to the phrases that answer
MIN_TERM_COVERAGE = 0.6  # share of the question's known focus terms the chosen clause must mention
PREVIOUS_BONUS = 0.2  # for the clause the conversation's last answer cited, when it also covers the question
MIN_KNOWN_SHARE = 0.38  # share of a question's terms that must be words the corpus uses
MIN_UNKNOWN_BIGRAMS = 0.5  # a 3+-character term no document uses must share this much of its bigrams with them
MIN_ALIEN_SHARE = 0.3  # … or else weigh less than this share of the question's terms
_QUESTIONISH = re.compile(r"[谁哪多少几何么吗呢被由来下为怎啥]")  # 由谁来 / 多长时间 / 被选为: how, not what
_META = re.compile(r"文号|发文字号|字号|发文机关|印发单位|发文单位|哪个部门印发|什么时候印发|印发日期|发布日期|哪天印发")
# A stated quantity: any number that isn't a calendar year, a percentage, or a Chinese-numeral amount.
_QUANTITY = re.compile(r"(?<![\d.])(?!(?:19|20)\d{2}年)\d+(?:\.\d+)?|百分之|[零一二两三四五六七八九十百千万亿]+(?:元|万元|个|个工作日|日|天|倍|座|辆|家|项|年)")
_MONEY = re.compile(r"[\d零一二两三四五六七八九十百千万亿]+\s*(?:万)?元")
_ASKS_PENALTY = re.compile(r"罚|处罚|处分|法律责任|怎么处理|如何处理|后果|追究")
_PENALTY = re.compile(r"罚款|倍以上|没收|追回|取消[^，。；]{0,16}资格|纳入[^，。；]{0,8}(?:失信|信用)|吊销|责令停产|责令停业|停业整顿|关闭|处分|警告|追究[^，。；]{0,6}责任")
_UNIT_WORDS = re.compile(r"部门|单位|委|局|办|政府|街镇|负责|牵头")
_DATE = re.compile(r"(?:19|20)\d{2}年\d{1,2}月\d{1,2}日|[零一二三四五六七八九十]+(?:个工作)?日")


@dataclass(frozen=True)
class Refusal:
    subject: str  # what was not found, e.g. "浦东新区的相关规定"

    @property
    def text(self) -> str:
        from assistant.prompts import refusal_text

        return refusal_text(self.subject)


@dataclass(frozen=True)
class Context:
    """Numbered clauses for one question: [n] → clause, plus what the index knows about documents."""

    clauses: dict[int, Clause]
    doc_names: dict[str, str]  # doc_id → short name (青浦区) for compare lines
    known_places: frozenset[str]  # place names that documents are about
    doc_numbers: frozenset[str]
    pinned: int | None = None  # [n] of the clause the previous answer cited (这项 / 其中 …)
    previous: int | None = None  # [n] of the clause the conversation's last answer cited (preferred on a tie)
    said: str = ""  # the conversation's last answer, markers removed: a follow-up asks for something new
    lead_of: dict[int, int] = field(default_factory=dict)  # item [n] → [n] of its list lead (有下列情形之一的…：)
    items_of: dict[int, tuple[int, ...]] = field(default_factory=dict)  # list lead [n] → its items' [n]
    in_corpus: Callable[[str], bool] | None = None  # does any document use this expression?
    aliases: frozenset[str] = frozenset()  # how questions name documents (stripped from focus terms)
    metas: dict[str, DocumentMeta] = field(default_factory=dict)  # doc_id → title, 文号, issuer, date
    rarity: Callable[[str], float] | None = None  # 0 for a word every clause uses … 1 for a word of one clause


def compose(info: QuestionInfo, ctx: Context) -> Draft | Refusal:
    meta = _meta_answer(info, ctx)
    if meta:
        return meta
    refusal = _scope_refusal(info, ctx)
    if refusal:
        return refusal
    if info.compare and len(info.docs) >= 2:
        return _compare(info, ctx)
    parts: list[str] = []
    used: int | None = ctx.pinned
    for part_text in info.parts:
        part = analyze(part_text, info.docs, ctx.aliases, ctx.in_corpus, ctx.rarity)
        part = _inherit(part, info)
        result = _answer_part(part, ctx, used)
        if isinstance(result, Refusal):
            if parts:  # an earlier part was answered: say what is missing for this one
                parts.append(result.text)
                continue
            return result
        sentence, n = result
        used = n
        if sentence not in parts:
            parts.append(sentence)
    return Draft("".join(parts), BACKEND)


_ASKS_ISSUER = re.compile(r"发文机关|发文单位|印发单位|发布机关|发布单位|制定机关|(?:哪个|哪些|什么|哪家)(?:部门|单位|机关|机构)(?:印发|发布|制定|发文|出台)|谁(?:印发|发布|制定|出台)")
_ASKS_DATE = re.compile(r"什么时候(?:印发|发布|出台)|何时(?:印发|发布|出台)|印发日期|发布日期|成文日期|哪天(?:印发|发布)|哪一?年(?:印发|发布|出台)")
_ASKS_NUMBER = re.compile(r"文号|发文字号|字号")


def _meta_answer(info: QuestionInfo, ctx: Context) -> Draft | None:
    """文号 / 发文机关 / 印发日期 questions are answered from the notice that issued the document."""
    asks = [k for k, rx in (("number", _ASKS_NUMBER), ("issuer", _ASKS_ISSUER), ("date", _ASKS_DATE)) if rx.search(info.text)]
    if not asks and not _META.search(info.text):
        return None
    asks = asks or ["number"]
    for n, c in ctx.clauses.items():
        if c.kind != "preamble" or (info.docs and c.doc_id not in info.docs):
            continue
        meta = ctx.metas.get(c.doc_id)
        lines = []
        if "number" in asks and c.doc_number and c.doc_number in c.text:
            lines.append(_cite(f"《{c.doc_title}》的文号为{c.doc_number}", n))
        if "issuer" in asks and meta and meta.issuer and all(o in c.text for o in meta.issuer.split("、")):
            lines.append(_cite(f"《{c.doc_title}》由{meta.issuer}印发", n))
        if "date" in asks and meta and meta.date:
            y, m, d = meta.date.split("-")
            day = f"{int(y)}年{int(m)}月{int(d)}日"
            where = next((k for k, x in ctx.clauses.items()  # the notice, or the closing's …年…月…日印发
                          if x.doc_id == c.doc_id and x.kind in ("preamble", "closing") and day in x.text), None)
            if where is not None:
                lines.append(_cite(f"《{c.doc_title}》于{day}印发", where))
        if not lines:
            continue
        for sent in split_sentences(c.text):
            if "拟定" in sent or "起草" in sent or "制定" in sent:
                lines.append(_cite(_trim(sent, info), n))
                break
        return Draft("".join(lines), BACKEND)
    return None


def _inherit(part: QuestionInfo, whole: QuestionInfo) -> QuestionInfo:
    """A sub-question (哪些部门负责？) keeps the whole question's documents, years and, if it has none, terms."""
    from dataclasses import replace

    return replace(part, docs=whole.docs, places=part.places or whole.places, years=part.years or whole.years, periods=part.periods or whole.periods,
                   terms=part.terms if part.terms or part.wants_units else whole.terms)


def known(term: str, ctx: Context) -> bool:
    from index.synonyms import synonyms

    return ctx.in_corpus is None or ctx.in_corpus(term) or any(ctx.in_corpus(s) for s in synonyms(term))


def _known_terms(part: QuestionInfo, ctx: Context) -> QuestionInfo:
    from dataclasses import replace

    return replace(part, terms=tuple(t for t in part.terms if known(t, ctx)))


def _scope_refusal(info: QuestionInfo, ctx: Context) -> Refusal | None:
    if info.terms and ctx.in_corpus is not None:
        weight = {t: min(len(t), 4) for t in info.terms}
        share = sum(w for t, w in weight.items() if known(t, ctx)) / sum(weight.values())
        if share < MIN_KNOWN_SHARE:  # the question is mostly about things no document mentions
            unknown = [t for t in info.terms if not known(t, ctx)]
            return Refusal(f"关于“{'、'.join(unknown[:3])}”的规定")
        # Specific things (闯红灯, 最低工资) that no document even half-mentions, weighing enough of the question.
        alien = [t for t in info.terms if len(t) >= 3 and not known(t, ctx) and not _QUESTIONISH.search(t)
                 and is_dictionary_word(t) and _bigram_share(t, ctx.in_corpus) < MIN_UNKNOWN_BIGRAMS]
        if alien and sum(weight[t] for t in alien) / sum(weight.values()) >= MIN_ALIEN_SHARE:
            return Refusal(f"关于“{'、'.join(alien[:3])}”的规定")
    texts = "\n".join(c.text for c in ctx.clauses.values())
    for place in info.places:
        if not any(place in k or k in place for k in ctx.known_places) and place not in texts:
            return Refusal(f"关于“{place}”的规定")
    for number in info.doc_numbers:
        if number not in ctx.doc_numbers:
            return Refusal(f"文号为{number}的文件")
    if info.articles:
        labels = {c.label for c in ctx.clauses.values() if c.kind == KIND_ARTICLE}
        from index.markers import int_to_cn

        missing = [n for n in info.articles if f"第{int_to_cn(n)}条" not in labels]
        if missing:
            return Refusal(f"第{int_to_cn(missing[0])}条")
    return None


def _bigram_share(term: str, in_corpus: Callable[[str], bool]) -> float:
    grams = [term[i: i + 2] for i in range(len(term) - 1)]
    return sum(map(in_corpus, grams)) / len(grams) if grams else 1.0


def _answer_part(part: QuestionInfo, ctx: Context, used: int | None) -> tuple[str, int] | Refusal:
    part = _known_terms(part, ctx)
    if part.wants_units:
        topical = _has_topic(part)
        n = used if used is not None and not topical else _best_clause(_topic_only(part), ctx)
        if n is not None and ctx.clauses[n].kind == KIND_TABLE_ROW:
            return _cite(ctx.clauses[n].text, n), n
        if n is not None:
            sentence = _unit_sentence(ctx.clauses[n])
            if sentence:
                return _content_of(part, ctx, n) + _cite(sentence, n), n
    if _WHICH_ARTICLE.search(part.text) and used is not None:
        c = ctx.clauses[used]  # 这是条例第几条规定的？ — the clause just quoted
        return _cite(f"以上规定见{c.citation}", used), used
    if part.articles:
        return _article_answer(part, ctx)
    best = _best_sentence(part, ctx, used)
    if best is None:
        return _refusal_for(part, ctx)
    sentence, n = best
    if ctx.clauses[n].kind == KIND_TABLE_ROW:
        return _table_rows(part, ctx, n), n
    if n in ctx.items_of and sentence.rstrip().endswith(("：", ":")):
        return _cite(sentence, n) + _list_items(ctx, ctx.items_of[n], len(sentence)), n
    if n in ctx.lead_of and _needs_lead(part, sentence):
        m = ctx.lead_of[n]
        return _cite(lead_in(ctx.clauses[m]), m) + _cite(strip_marker(sentence), n), n
    if sentence.rstrip().endswith(("：", ":")):
        items = following_items(ctx.clauses[n], sentence)
        if items and not _ASKS_LIST.search(part.text) and part.terms:
            best = max(_coverage(part, i) for i in items)  # 应用单位擅自使用…怎么罚: that item, not the list
            items = [i for i in items if best > 0 and _coverage(part, i) == best][:1] or items
        if items:  # 有下列情形之一的，…约谈…： → （一）…；（二）…
            head = _cite(_with_article(sentence, ctx.clauses[n]), n)
            kept: list[str] = []
            for item in items:
                if kept and len(head) + sum(map(len, kept)) + len(item) > LIST_BUDGET:
                    break
                kept.append(strip_marker(item).rstrip("；;。"))
            return head + _cite("；".join(kept), n), n
    opener = item_lead_in(ctx.clauses[n], sentence)
    if opener and _needs_lead(part, sentence):  # （六）篡改、伪造监测数据的 → …依法给予处分：
        return _cite(_with_article(opener, ctx.clauses[n]), n) + _cite(strip_marker(sentence), n), n
    return _cite(_with_article(sentence, ctx.clauses[n]), n), n


_ASKS_LIST = re.compile(r"哪些|哪几|什么条件|哪些条件|包括什么|包含什么|哪些情形|哪些内容|哪些行为|列举")
_WHICH_ARTICLE = re.compile(r"第几条|哪一条|哪条|第几款|哪一款|出自哪|哪个条款")
MAX_LIST_ITEMS = 8
LIST_BUDGET = 200  # characters of an answer that lists a lead's items
def _pays(part: QuestionInfo, text: str) -> bool:
    """Does `text` state an amount, or for 怎么罚 a penalty of any kind?"""
    return bool(_MONEY.search(text) or (_ASKS_PENALTY.search(part.text) and _PENALTY.search(text)))


def _needs_lead(part: QuestionInfo, sentence: str) -> bool:
    """An item (弄虚作假…的；) says what, its lead what follows: does the question ask for the latter?"""
    return bool((_ASKS_PENALTY.search(part.text) and not _PENALTY.search(sentence))
                or (part.wants_money and not _MONEY.search(sentence))
                or (part.wants_units and not _UNIT_WORDS.search(sentence)))


def _list_items(ctx: Context, items: tuple[int, ...], used_chars: int) -> str:
    out = ""
    for m in items:
        text = strip_marker(ctx.clauses[m].text.strip())
        if out and used_chars + len(out) + len(text) > LIST_BUDGET:
            break
        out += _cite(text, m)
    return out


_ASKS_CONTENT = re.compile(r"目标|指标|要求|任务|内容|措施|多少|几[个座家项]|比例|时限|什么时候|哪一年|规定")


def _content_of(part: QuestionInfo, ctx: Context, n: int) -> str:
    """For 充电桩的目标和牵头部门: the clause's sentence on the topic, before its units ('' if not asked)."""
    if not _ASKS_CONTENT.search(part.text) or not _has_topic(part):
        return ""
    from dataclasses import replace

    only = replace(ctx, clauses={n: ctx.clauses[n]}, pinned=n, previous=None)
    best = _best_sentence(replace(_topic_only(part), wants_units=False), only, n)
    if best is None or trailing_parenthetical(best[0]) or _UNIT_WORDS.search(best[0][:8]):
        return ""  # the sentence would only repeat the units
    return _cite(best[0], n)


def _table_rows(part: QuestionInfo, ctx: Context, n: int) -> str:
    """An annex row is answered whole (task, deadline, lead unit); a 哪些 question lists every matching row."""
    rows = [n]
    if "哪些" in part.text:
        best = _coverage(part, ctx.clauses[n].text)
        rows += [m for m, c in ctx.clauses.items() if m != n and c.kind == KIND_TABLE_ROW
                 and c.doc_id == ctx.clauses[n].doc_id and _coverage(part, c.text) >= best][:4]
    return "".join(_cite(ctx.clauses[m].text, m) for m in rows)


def _topic_only(part: QuestionInfo) -> QuestionInfo:
    from dataclasses import replace

    return replace(part, terms=tuple(t for t in part.terms if not _UNIT_WORDS.search(t)))


def _with_article(sentence: str, clause: Clause) -> str:
    """A statute answer says which article it quotes: 第四十条规定：…"""
    if clause.kind != KIND_ARTICLE:
        return sentence
    body = sentence[len(clause.label):].lstrip() if sentence.startswith(clause.label) else sentence
    return f"{clause.label}规定：{body}"  # 第七十六条违反本条例… would read as if the article broke the law


def _has_topic(part: QuestionInfo) -> bool:
    return any(not _UNIT_WORDS.search(t) for t in part.terms)


def _weights(part: QuestionInfo) -> dict[str, float]:
    return {t: part.weight(t) for t in part.terms}


def _coverage(part: QuestionInfo, text: str, graded: bool = True, rare: bool = True) -> float:
    """Weighted share of the focus terms `text` mentions. Graded (for ranking) weighs rare terms up and prefers
    literal mentions to synonyms; ungraded (for the MIN_TERM_COVERAGE gate) weighs by length only and counts a
    synonym as a full mention."""
    w = _weights(part) if graded and rare else {t: min(len(t), 4) for t in part.terms}
    total = sum(w.values())
    if not total:
        return 1.0
    if graded:
        return sum(v * term_score(t, text) for t, v in w.items()) / total
    return sum(v for t, v in w.items() if term_in(t, text)) / total


def _eligible(part: QuestionInfo, clause: Clause, ctx: Context) -> bool:
    """A place the question names that no document is about must be named by the clause itself."""
    for place in part.places:
        is_doc_place = any(place in k or k in place for k in ctx.known_places)
        if not is_doc_place and place not in clause.text:
            return False
    return not part.docs or clause.doc_id in part.docs


def _best_clause(part: QuestionInfo, ctx: Context) -> int | None:
    scored = [(_clause_score(part, c, n, ctx), n) for n, c in ctx.clauses.items()
              if c.kind not in ("preamble", "closing") and _eligible(part, c, ctx) and _coverage(part, c.header() + c.text, graded=False) >= MIN_TERM_COVERAGE]
    scored = [x for x in scored if x[0] > 0]
    return max(scored)[1] if scored else None


def _clause_score(part: QuestionInfo, clause: Clause, n: int, ctx: Context) -> float:
    cover = _coverage(part, clause.header() + clause.text, rare=False)  # whole clauses: retrieval already weighed rarity
    score = cover + 0.1 / n
    if part.docs:
        score += 0.5 if clause.doc_id in part.docs else -0.5
    if ctx.pinned == n:
        score += 0.5
    return score


def _best_sentence(part: QuestionInfo, ctx: Context, used: int | None) -> tuple[str, int] | None:
    best: tuple[float, str, int] | None = None
    for n, clause in ctx.clauses.items():
        if not _eligible(part, clause, ctx):
            continue
        clause_cover = _coverage(part, clause.header() + clause.text)
        if n != ctx.pinned and _coverage(part, clause.header() + clause.text, graded=False) < MIN_TERM_COVERAGE:
            continue  # the pinned clause is what the conversation is about, whatever its wording
        for sent, full in _candidates(clause):
            s = _sentence_score(part, sent, clause_cover, n, ctx, used, clause.header() + clause.text, full)
            if s is not None and (best is None or s > best[0]):
                best = (s, sent, n)
    if best is None:
        if part.wants_number and (part.years or part.periods) and not part.measure:
            from dataclasses import replace  # 到2025年呢？ may be answered by a goal without a figure

            return _best_sentence(replace(part, wants_number=False), ctx, used)
        return None
    return _trim(best[1], part), best[2]


def _candidates(clause: Clause) -> list[tuple[str, str]]:
    """(piece, its sentence): sentences (to 。) and their ；-separated pieces, since a piece alone may lack
    the subject or the year (2024年，…；…) that its sentence opens with. Headings are left out."""
    if clause.kind == KIND_TABLE_ROW:
        return [(clause.text, clause.text)]
    out: list[tuple[str, str]] = []
    for line in clause.text.split("\n"):
        fulls = [f.strip() for f in re.findall(r"[^。！？]+[。！？]?", line) if f.strip()]
        for k, full in enumerate(fulls):
            pieces = [p for p in split_sentences(full) if not _is_title(p, clause, first=k == 0, alone=len(fulls) == 1)]
            out.extend((p, full) for p in pieces)
            if len(pieces) > 1 and (full, full) not in out:
                out.append((full, full))
    return out


_NOTICE_TITLE = re.compile(r"关于(?:印发|发布|转发|公布)[^。]*的(?:通知|决定|公告)")


def _is_title(piece: str, clause: Clause, *, first: bool, alone: bool) -> bool:
    """A heading line (二、主要目标 / 1.大力发展非化石能源) or the title a line opens with (1、大力发展光伏项目。…).

    An article's label is no title (第九十一条本条例自…起施行。), and a numbered sentence alone on its line is
    the provision itself: 1.弄虚作假、骗取专项资金的； / （一）本办法由市经信委负责解释。
    """
    text = ARTICLE_HEAD.sub("", piece) if clause.kind == KIND_ARTICLE else piece
    if _NOTICE_TITLE.search(text) and not text.rstrip().endswith("。"):
        return True  # …关于印发《…》的通知: the notice's title, no provision
    if not text.strip():
        return True  # 第七条（技术标准）: label and caption only
    if text.rstrip()[-1:] in "。！？；!?;：:":  # a sentence, or a lead-in to items (…符合下列条件：)
        return first and not alone and text.rstrip()[-1:] not in "：:" and is_heading_sentence(text)
    return is_heading_sentence(text)


def _sentence_score(part: QuestionInfo, sent: str, clause_cover: float, n: int, ctx: Context, used: int | None,
                    clause_text: str = "", full: str = "") -> float | None:
    cover = _coverage(part, sent)
    has_qty = bool(_QUANTITY.search(sent))
    if part.wants_money and not _pays(part, sent) and not (n in ctx.lead_of and _pays(part, ctx.clauses[ctx.lead_of[n]].text)):
        return None  # 罚多少 wants an amount; 怎么罚 is also answered by 一倍以上三倍以下罚款 / 追回资金 / 取消资格
    if part.wants_number and not part.wants_time and not has_qty:
        return None
    if part.measure and not _states_measure(sent, part.measure):
        return None
    if part.counted and not counts_thing(part.counted, sent):
        return None  # 几座核电站 is not answered by a count of charging piles
    time_ok = True
    if part.years or part.periods:
        time_ok = _time_matches(part, sent) or (not _other_time(sent) and _time_matches(part, full))
        if not time_ok and (not _time_matches(part, clause_text) or _other_time(sent) or _other_time(full)):
            return None  # the sentence speaks of another year (2024 for a 2025 question), or nothing does
    if cover == 0 and part.terms:
        return None
    score = cover + 0.5 * clause_cover + 0.15 / n
    if has_qty and part.wants_number:
        score += 0.2
    if used is not None and n == used:
        score += 0.3
    elif ctx.previous == n:
        score += PREVIOUS_BONUS  # 氢燃料电池车的推广量呢？ after 加氢站: the same sentence's next figure
    if ctx.said and _repeats(_trim(sent, part), ctx.said) and not _adds_what_was_asked(part, sent, ctx.said):
        score -= 0.5  # 如果有许可证但没按证排放呢？ is not answered by the sentence just quoted
    if part.wants_units and _UNIT_WORDS.search(sent):
        score += 0.2
    if part.wants_time and _DATE.search(sent):
        score += 0.4
    if not time_ok:
        score -= 0.4
    if _ASKS_LIST.search(part.text) and not part.wants_units and sent.rstrip().endswith(("：", ":")):
        score += 0.5  # 要符合哪些条件？ is answered by …应当同时符合下列条件： and its items
    if part.party and "对" + part.party not in sent:
        score -= 1.0  # 对单位呢？ is not answered by the penalty 对个人
    return score


def _core(text: str) -> str:
    return re.sub(r"[\s，。；、：:,.;]", "", text)


REPEAT_SHARE = 0.45  # a candidate this much made of runs (4+ characters) of the last answer would repeat it


def _repeats(sent: str, said: str) -> bool:
    from difflib import SequenceMatcher

    a, b = _core(sent), _core(said)
    if not a or not b:
        return False
    blocks = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    return sum(m.size for m in blocks if m.size >= 4) / len(a) >= REPEAT_SHARE


def _adds_what_was_asked(part: QuestionInfo, sent: str, said: str) -> bool:
    """Does `sent` say something the last answer did not: the department asked for, or another figure?"""
    if part.wants_units:
        m = re.search(r"由[^，。；]{1,24}?(?:部门|机构|政府|委员会|委|局|办)", sent)
        if m and m.group(0) not in said:
            return True
    refs = re.compile(r"第[零〇一二两三四五六七八九十百千\d]+[条款项章节]")  # which article, not a figure
    return bool(numbers(refs.sub("", sent)) - numbers(refs.sub("", said)))  # a figure not said yet


def _states_measure(sent: str, measure: str) -> bool:
    if measure in ("天", "日"):
        return bool(re.search(r"[\d零一二两三四五六七八九十百]+(?:个工作)?[日天]", sent))
    if measure in ("元", "万元"):
        return bool(_MONEY.search(sent))
    return bool(re.search(r"[\d零一二两三四五六七八九十百千万亿.]+\s*" + re.escape(measure), sent))


_PERIODS = {"十四五": range(2021, 2026), "十五五": range(2026, 2031)}
_TIME_LEAD = re.compile(r"(?:到|至|在|截至)?(?:“?十[四五]五”?(?:期间|时期|末)?|(?:19|20)\d{2}年(?:前|底|以前)?)[，,]")


_OTHER_TIME = re.compile(r"(?<!\d)(?:19|20)\d{2}年|“?十[四五]五”?(?:期间|时期|末)")


def _other_time(sent: str) -> bool:
    """Does the sentence pin itself to a year or plan period (of its own)?"""
    return bool(_OTHER_TIME.search(sent))


def _time_matches(part: QuestionInfo, sent: str) -> bool:
    """The sentence speaks of the year or 五年规划 period asked about (2025 ↔ “十四五”)."""
    for y in part.years:
        if str(y) in sent or any(p in sent and y in r for p, r in _PERIODS.items()):
            return True
    for p in part.periods:
        if p in sent or any(str(y) in sent for y in _PERIODS.get(p, ())):
            return True
    return False


def _trim(sentence: str, part: QuestionInfo) -> str:
    """Keep the comma-separated phrases that answer; the wording stays the document's own."""
    if len(sentence) <= MAX_SENTENCE:
        return sentence
    end = sentence[-1] if sentence[-1] in "。；！？" else ""
    body = sentence[:-1] if end else sentence
    segs = [s for s in re.split(r"(?<=[，,；;])", body) if s]
    if len(segs) == 1:
        return sentence
    scores = []
    for s in segs:
        v = _coverage(part, s) if part.terms else 0.0
        if _QUANTITY.search(s):
            v += 0.5 if part.wants_number else 0.2
        if part.wants_money and _MONEY.search(s):
            v += 1.0
        if (part.wants_money or part.wants_units) and re.search(r"由.{0,20}(?:部门|机构|政府|机关)", s):
            v += 0.6
        if (part.years or part.periods) and _time_matches(part, s):
            v += 0.3
        scores.append(v)
    i = max(range(len(segs)), key=lambda k: (scores[k], -k))
    lo = hi = i
    while lo > 0 and _TIME_LEAD.fullmatch(segs[lo - 1].strip()) and _time_matches(part, segs[lo - 1]):
        lo -= 1  # “十五五”期间，… : keep the time phrase that introduces the answer
    while True:  # grow towards neighbours that also answer, within the length budget
        grown = False
        for j in (lo - 1, hi + 1):
            if 0 <= j < len(segs) and scores[j] > 0 and len("".join(segs[min(lo, j): max(hi, j) + 1])) <= MAX_SENTENCE:
                lo, hi = min(lo, j), max(hi, j)
                grown = True
        if not grown:
            break
    if lo > 0 and re.match(r"^(?:到|至|截至)?\s*(?:19|20)\d{2}年|^“十[四五]五”", segs[0]) and segs[0] not in segs[lo:hi + 1]:
        lead = segs[0]  # keep the sentence's time frame: 到2025年，…
        return (lead + "".join(segs[lo:hi + 1])).rstrip("，,；;") + (end or "。")
    return "".join(segs[lo:hi + 1]).rstrip("，,；;") + (end or "。")


def _unit_sentence(clause: Clause) -> str | None:
    if clause.kind == KIND_TABLE_ROW:
        m = re.search(r"(?:牵头部门|责任单位|牵头单位|责任部门)：[^；]+", clause.text)
        return m.group(0) + "。" if m else None
    inner = trailing_parenthetical(clause.text)
    if not clause.units or not inner:
        return None
    if re.match(r"^(?:责任单位|牵头单位|责任部门|牵头部门)[：:]", inner):
        return inner + "。"
    return "由" + inner + "。" if "负责" in inner else "责任单位：" + inner + "。"


def _article_answer(part: QuestionInfo, ctx: Context) -> tuple[str, int] | Refusal:
    """第X条 (第Y款) questions: the 款 asked for, else the 款 that cover the question, each with its 项."""
    from index.markers import int_to_cn

    wanted = {f"第{int_to_cn(a)}条" for a in part.articles}
    for n, clause in ctx.clauses.items():
        if clause.label not in wanted or (part.docs and clause.doc_id not in part.docs):
            continue
        paragraphs = article_paragraphs(clause)
        if not paragraphs:
            continue
        if part.paragraphs:
            chosen = [paragraphs[k - 1] for k in part.paragraphs if 0 < k <= len(paragraphs)]
            if not chosen:
                return Refusal(f"{clause.label}第{int_to_cn(part.paragraphs[0])}款")
        elif part.terms and len(paragraphs) > 1:
            best = max(paragraphs, key=lambda p: _coverage(part, p))
            chosen = [best] if _coverage(part, best) > 0 else paragraphs[:1]
        else:
            chosen = []
            for p in paragraphs:  # the article from its start, 款 by 款, within the answer's budget
                if chosen and sum(map(len, chosen)) + len(p) > ARTICLE_BUDGET:
                    break
                chosen.append(p)
        text = "".join(_cite(_trim(s, part) if part.terms else s, n) for p in chosen for s in sentences_of_text(p))
        return text, n
    return Refusal(f"{'、'.join(sorted(wanted))}")


ARTICLE_BUDGET = 160  # characters of an article quoted whole before later 款 are left to the citation card
def _compare(info: QuestionInfo, ctx: Context) -> Draft | Refusal:
    lines, found = [], 0
    for doc_id in info.docs:
        name = ctx.doc_names.get(doc_id, doc_id)
        scoped = analyze(info.text.replace("分别", ""), (doc_id,), ctx.aliases, ctx.in_corpus, ctx.rarity)
        scoped = _inherit(scoped, info)
        from dataclasses import replace

        scoped = replace(scoped, docs=(doc_id,), compare=False)
        result = _answer_part(scoped, ctx, None)
        if isinstance(result, Refusal):
            lines.append(f"{name}：{REFUSAL_PREFIX}相关规定。")
        else:
            found += 1
            lines.append(f"{name}：{result[0]}")
    if not found:
        return _refusal_for(info, ctx)
    return Draft("\n".join(lines), BACKEND)


def _cite(sentence: str, n: int) -> str:
    s = sentence.strip()
    if s and s[-1] in "：:":
        return f"{s[:-1]}[{n}]："  # a lead-in: its items follow
    if s and s[-1] in "。；！？;!?":
        return f"{s[:-1]}[{n}]。"
    return f"{s}[{n}]。"


def _refusal_for(part: QuestionInfo, ctx: Context | None = None) -> Refusal:
    """What was not found, naming first what the closest clauses lack (杨浦区、养老服务 — not 每年、安排)."""
    terms = [t for t in part.terms if t != part.counted]
    if ctx is not None:
        texts = [c.header() + c.text for c in ctx.clauses.values() if not part.docs or c.doc_id in part.docs]
        terms.sort(key=lambda t: any(term_in(t, x) for x in texts))  # stable: missing terms first
    named = list(part.places) + ([part.counted] if part.counted else []) + terms
    topic = "、".join(named[:3]) if named else "该问题"
    if part.years:
        return Refusal(f"关于“{topic}”{'、'.join(str(y) for y in part.years)}年的规定")
    if part.wants_money:
        return Refusal(f"“{topic}”的具体金额")
    if part.wants_number:
        return Refusal(f"“{topic}”的具体数值")
    return Refusal(f"关于“{topic}”的规定")

"""The answer pipeline: condense → retrieve → compose (extractive or LLM) → verify → cite."""
from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Iterator, Sequence

from assistant.condense import Condensed, cited_sentence, condense
from assistant.extractive import MAX_LIST_ITEMS, Context, Refusal, compose
from assistant.provisions import is_list_lead
from assistant.grounding import check_answer, renumber
from assistant.question import COMPARE_CUE, QuestionInfo, analyze
from assistant.text import strip_markers
from assistant.types import Answer, Draft, Sentence
from index.models import Clause

if TYPE_CHECKING:
    from assistant.service import Assistant

logger = logging.getLogger(__name__)
RELATED_N = 3
MIN_SUPPORTED_SHARE = 0.5  # an LLM answer keeps its supported sentences if at least this share survives
NOTICE_GUARD = "模型回答未通过引用核查，已改用摘录式回答。"


def prepare(assistant: "Assistant", question: str, history: Sequence[dict] | None, backend: str, k: int
            ) -> tuple[Condensed, QuestionInfo, Context, Draft | Refusal]:
    idx = assistant.index
    places = idx.aliases()
    cond = condense(question, history, places)
    if backend != "extractive" and history:
        from assistant.backends import llm_condense

        cond = llm_condense(assistant, backend, question, history, cond)
    docs, compare = _named_documents(idx, cond.question)
    named = places | {alias for alias, _ in idx.mentions(cond.question)}  # 预付卡条例 names a document, no topic
    info = analyze(cond.question, docs, named, idx.corpus_has, idx.rarity)
    if info.compare != compare:
        from dataclasses import replace

        info = replace(info, compare=compare)
    clauses, pinned, previous = _retrieve(assistant, info, cond, k)
    metas = {m.doc_id: m for m, _ in idx.documents()}
    ctx = Context(
        clauses={n: c for n, c in enumerate(clauses, 1)},
        doc_names={d: idx.short_name(d) for d in metas},
        known_places=frozenset(places),
        doc_numbers=frozenset(m.doc_number for m in metas.values() if m.doc_number),
        pinned=pinned,
        previous=previous,
        said=strip_markers(cond.previous_answer or ""),
        **_family_numbers(idx, clauses),
        in_corpus=idx.corpus_has,
        aliases=frozenset(named),
        metas=metas,
        rarity=idx.rarity,
    )
    return cond, info, ctx, compose(info, ctx)


def _family_numbers(idx, clauses: list[Clause]) -> dict:
    """[n] of each item's list lead, and of each list lead's items, among the numbered candidates."""
    number = {c.clause_id: n for n, c in enumerate(clauses, 1)}
    lead_of, items_of = {}, {}
    for n, c in enumerate(clauses, 1):
        lead = idx.lead_of(c)
        if lead is not None and lead.clause_id in number and is_list_lead(lead):
            lead_of[n] = number[lead.clause_id]
        if c.kind == "lead" and is_list_lead(c):
            kids = tuple(number[i.clause_id] for i in idx.items_of(c) if i.clause_id in number)
            if kids:
                items_of[n] = kids
    return {"lead_of": lead_of, "items_of": items_of}


def _family(idx, found: list[Clause]) -> list[Clause]:
    """List leads and their items: 1.弄虚作假…的； answers 会有什么后果 only with its lead
    (有下列情形之一的，由…追回资金：), and a lead ending in 下列条件： only with its items."""
    out: list[Clause] = []
    for c in found:
        lead = idx.lead_of(c)
        if lead is not None and is_list_lead(lead):
            out.append(lead)
        if c.kind == "lead" and is_list_lead(c):
            out.extend(idx.items_of(c)[:MAX_LIST_ITEMS])
    return out


def _named_documents(idx, question: str) -> tuple[list[str], bool]:
    """The documents a question names, and whether it compares them.

    嘉定区的减污降碳协同增效工作: 嘉定区 narrows the title words that two plans share to one document.
    青浦、普陀、松江分别…: disjoint names compare. 松江区和上海环境能源交易所: a city and a district without a
    compare cue (分别/各/相比…) is the district's question, not a comparison.
    """
    groups = [list(ids) for _, ids in idx.mentions(question)]
    if not groups:
        return [], False
    flat = list(dict.fromkeys(d for g in groups for d in g))
    common = [d for d in flat if all(d in g for g in groups)]
    if common:
        return common, False
    levels = {d: idx.level(d) for d in flat}
    if COMPARE_CUE.search(question) or len(set(levels.values())) == 1:
        return flat, len(flat) >= 2
    lowest = max(levels.values())
    return [d for d in flat if levels[d] == lowest], False


def _retrieve(assistant: "Assistant", info: QuestionInfo, cond: Condensed, k: int
              ) -> tuple[list[Clause], int | None, int | None]:
    """Numbered candidates, the [n] a follow-up is pinned to (这项…), and the [n] of the clause last cited."""
    idx = assistant.index
    clauses: list[Clause] = []
    pinned = None
    quote = cited_sentence(cond.previous_answer)  # the clause the conversation's last answer cited
    last = idx.find_quote(quote) if quote else None
    if cond.follows_previous and last:
        clauses.append(last)
        pinned = 1
    if info.compare and len(info.docs) >= 2:
        per_doc = [idx.search(cond.question, 3, doc=d) for d in info.docs]
        for rank in range(3):
            clauses.extend(hits[rank].clause for hits in per_doc if len(hits) > rank)
    else:
        clauses.extend(h.clause for h in idx.search(cond.question, k))
    if info.articles or info.breached:
        named = _named_articles(idx, info, clauses)
        at = 1 if pinned else 0  # after the clause a follow-up is about, which keeps its number
        if named and info.breached and pinned is None:
            pinned = 1  # the article that sanctions the breach is what the question is about
        clauses[at:at] = named
    if info.wants_money or info.wants_units:
        clauses.extend(_penalties_for(idx, clauses[:k]))
    if re.search(r"文号|字号|发文|印发|发布|出台|制定机关", info.text):  # the issuing notice holds the document's metadata
        for d in info.docs or {c.doc_id for c in clauses[:1]}:
            clauses.extend(c for c in idx.clauses(d) if c.kind in ("preamble", "closing"))
    clauses.extend(_family(idx, clauses[:k]))
    if last:  # a new question in a conversation may still be about the clause just cited (环保部门多长时间内要答复？)
        clauses.append(last)
    seen: set[str] = set()
    unique = [c for c in clauses if not (c.clause_id in seen or seen.add(c.clause_id))]
    previous = next((n for n, c in enumerate(unique, 1) if last and c.clause_id == last.clause_id), None)
    return unique, pinned, previous


_BREACH = "违反本(?:条例|办法|规定|细则|实施细则|决定|法)"


def _penalties_for(idx, clauses: list[Clause]) -> list[Clause]:
    """Articles that sanction a retrieved article (违反本条例第四十九条…处…罚款): statutes put duty and penalty apart."""
    out = []
    for c in clauses:
        if c.kind != "article":
            continue
        ref = re.compile(_BREACH + re.escape(c.label))
        out.extend(x for x in idx.clauses(c.doc_id) if x.kind == "article" and ref.search(x.text) and x.clause_id != c.clause_id)
    return out


def _named_articles(idx, info: QuestionInfo, found: list[Clause]) -> list[Clause]:
    """The articles a question names (第十八条), or for 违反第十条… the articles that sanction 第十条,
    from the documents it names, else from the statute the search found first."""
    from index.markers import int_to_cn

    docs = list(info.docs) or list(dict.fromkeys(c.doc_id for c in found if c.kind == "article"))[:1]
    out: list[Clause] = []
    for d in docs:
        articles = [c for c in idx.clauses(d) if c.kind == "article"]
        wanted = {f"第{int_to_cn(a)}条" for a in info.articles}
        out.extend(c for c in articles if c.label in wanted)
        for a in info.breached:
            ref = re.compile(_BREACH + f"第{int_to_cn(a)}条(?![一二三四五六七八九十百零])")
            out.extend(c for c in articles if ref.search(c.text))
    return out


def answer_question(assistant: "Assistant", question: str, history: Sequence[dict] | None, backend: str, k: int) -> Answer:
    final = None
    for event in stream_answer(assistant, question, history, backend, k):
        if isinstance(event, Answer):
            final = event
    assert final is not None
    return final


def stream_answer(assistant: "Assistant", question: str, history: Sequence[dict] | None, backend: str, k: int
                  ) -> Iterator[str | Answer]:
    """Yields partial answer text (LLM backends stream) and finally the verified Answer."""
    cond, info, ctx, result = prepare(assistant, question, history, backend, k)
    if isinstance(result, Refusal):
        yield _refused(question, cond, result, ctx, backend)
        return
    draft, notice = result, None
    if backend != "extractive":
        from assistant.backends import run_llm

        llm_draft = None
        for event in run_llm(assistant, backend, cond.question, ctx):
            if isinstance(event, str):
                yield event
            else:
                llm_draft = event
        if llm_draft is not None and llm_draft.text:
            checked = check_answer(llm_draft.text, ctx.clauses)
            kept = [s for s in checked if s.supported]
            if checked and kept and len(kept) / len(checked) >= MIN_SUPPORTED_SHARE:
                draft = Draft("".join(s.text for s in kept), backend, llm_draft.notice)
                notice = llm_draft.notice or (f"已删除 {len(checked) - len(kept)} 句无法由所引条款支持的内容。"
                                              if len(kept) < len(checked) else None)
            else:
                notice = llm_draft.notice or NOTICE_GUARD
        elif llm_draft is not None:
            notice = llm_draft.notice
    sentences = check_answer(draft.text, ctx.clauses)
    text, sentences, citations = renumber(sentences, ctx.clauses)
    yield Answer(question, cond.question, text, tuple(citations), tuple(sentences), False, draft.backend, notice)


def _refused(question: str, cond: Condensed, refusal: Refusal, ctx: Context, backend: str) -> Answer:
    related = tuple(list(ctx.clauses.values())[:RELATED_N])
    text = refusal.text
    if related:
        text += "\n可能相关：" + "；".join(c.citation for c in related)
    return Answer(question, cond.question, text, (), (Sentence(refusal.text, (), True),), True, backend, None, related)

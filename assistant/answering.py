"""The answer path, one way through named stages with typed values between them:

    condense (Condensed) → plan (Plan) → retrieve (Candidates) → select evidence (Evidence)
      → compose (Draft, extractive or LLM) → verify (Answer: every sentence checked against what it cites)

No stage calls back into an earlier one, and each mechanism (assistant/mechanisms.py) can be switched off.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Iterator, Sequence

from assistant import budget
from assistant.compose import Refusal, compose
from assistant.condense import Condensed, cited_sentence, condense
from assistant.evidence import Evidence, choose, rank_part, term_weights
from assistant.grounding import check_answer, renumber
from assistant.mechanisms import Mechanisms
from assistant.meta import meta_answer
from assistant.plan import Plan, make_plan, named_documents
from assistant.retrieve import Candidates, retrieve, sanction_word
from assistant.text import strip_markers
from assistant.types import Answer, Draft, Sentence
from index.models import Hit
from index.versions import STATUS_CURRENT

if TYPE_CHECKING:
    from assistant.backends import Deadline
    from assistant.service import Assistant

logger = logging.getLogger(__name__)
RELATED_N = 3
SEARCH_RRF_K = 60
MIN_SUPPORTED_SHARE = 0.5  # an LLM answer keeps its supported sentences if at least this share survives
NOTICE_GUARD = "模型回答未通过引用核查，已改用摘录式回答。"


@dataclass(frozen=True)
class TimedOut:
    """The question's time budget ran out after retrieval: the candidates found are what there is to show."""


@dataclass(frozen=True)
class Prepared:
    """Everything the stages before composing decided about one question."""

    cond: Condensed
    plan: Plan
    candidates: Candidates
    evidence: Evidence
    result: Draft | Refusal | TimedOut  # the extractive answer (or refusal)


def mechanisms_of(assistant: "Assistant") -> Mechanisms:
    s = assistant.settings
    return Mechanisms.of(getattr(s, "disabled", ()) or (), getattr(s, "refusal_threshold", None))


def understand(assistant: "Assistant", question: str) -> Plan:
    """Stage 2 alone, for search: the plan of a standalone question."""
    idx = assistant.index
    docs, compare = named_documents(idx, question)
    return make_plan(question, idx, docs=docs, compare=compare)


def search(assistant: "Assistant", query: str, k: int, doc: str | Sequence[str] | None = None) -> list[Hit]:
    """The product's ranked search: the question planned and retrieved as for an answer (stages 2–4), candidates
    ranked by fusing (reciprocal ranks) the plain lexical ranking of the query with the evidence ranking (how
    well each clause supports the question): neither alone is as reliable on questions nobody tuned for."""
    idx = assistant.index
    mech = mechanisms_of(assistant)
    if not mech.on("rerank"):
        return idx.search(query, k, doc)
    plan = understand(assistant, query)
    if doc:
        wanted = tuple(idx.resolve_doc(d).doc_id for d in ([doc] if isinstance(doc, str) else doc))
        plan = replace(plan, docs=wanted, compare=False)
    cands = retrieve(plan, idx, mech, max(k, 10))
    best: dict[int, float] = {}
    for part in plan.parts:
        terms = term_weights(part, idx, mech)
        for ch in rank_part(part, cands, terms, mech, lambda c: not plan.docs or c.doc_id in plan.docs, idx):
            best[ch.n] = max(best.get(ch.n, 0.0), ch.score)
    evidence = sorted(best, key=lambda n: (-best[n], n))
    lexical = [h.clause.clause_id for h in idx.search(query, max(k, 50), list(plan.docs) or None)]
    number = {c.clause_id: n for n, c in cands.clauses.items()}
    from index.store.fusion import rrf

    fused = rrf([[cands.clauses[n].clause_id for n in evidence], [c for c in lexical if c in number]], k=SEARCH_RRF_K)
    return [Hit(cands.clauses[number[cid]], score, r) for r, (cid, score) in enumerate(fused[:k], 1)]


def prepare(assistant: "Assistant", question: str, history: Sequence[dict] | None, backend: str, k: int,
            deadline: "Deadline | None" = None) -> Prepared:
    idx = assistant.index
    mech = mechanisms_of(assistant)
    # the follow-up's words are looked up in the store once, however often condensing asks about them
    cond = condense(question, history, idx.aliases(), lru_cache(maxsize=None)(partial(sanction_word, idx)))
    if backend != "extractive" and history:
        from assistant.backends import llm_condense

        cond = llm_condense(assistant, backend, question, history, cond, deadline)
    plan = understand(assistant, cond.question)
    quote = cited_sentence(cond.previous_answer)  # the clause the conversation's last answer cited
    last = idx.find_quote(quote) if quote else None
    if last is None and cond.previous_answer:
        last = _paraphrased_clause(idx, strip_markers(cond.previous_answer))
    cands = retrieve(plan, idx, mech, k, last, cond.follows_previous)
    try:
        metas = {m.doc_id: m for m, _ in idx.documents()}
        meta = meta_answer(plan, cands, metas)
        evidence = choose(plan, cands, idx, mech)
        said = strip_markers(cond.previous_answer or "")
        result = meta or compose(plan, evidence, cands, idx, mech, said)
        result = _circumstance_not_set(result, cond, cands)
    except budget.OverBudget:
        return Prepared(cond, plan, cands, Evidence(()), TimedOut())
    return Prepared(cond, plan, cands, evidence, result)


def _circumstance_not_set(result, cond: Condensed, cands: Candidates):
    """情节严重的话呢？ about an article that sets no graver case: say so before quoting it, so its penalty is not
    read as the answer for the graver case."""
    if not cond.circumstances or cands.pinned is None or not isinstance(result, Draft):
        return result
    c = cands.clauses[cands.pinned]
    missing = [w for w in cond.circumstances if w not in c.text]
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", result.text)}
    if not missing or any(all(w in cands.clauses[n].text for w in missing) for n in cited if n in cands.clauses):
        return result  # the article sets it, or the answer quotes another that does (另见第六十九条：…情节严重的…)
    return replace(result, text=f"{c.citation}未就“{'、'.join(missing)}”的情形另作规定[{cands.pinned}]。" + result.text)


PARAPHRASE_SHARE = 0.4  # of an earlier answer's content bigrams a clause must hold to be what it spoke of


def _paraphrased_clause(idx, said: str):
    """The clause an earlier answer without [n] markers spoke of (a person's or another tool's words): the
    article it names (按第十三条…) in the document found, else the clause sharing most of its wording."""
    import re

    from assistant.text import content_bigrams

    hits = idx.search(said[:300], 5)
    if not hits:
        return None
    named = re.search(r"第[一二三四五六七八九十百零〇]+条", said)
    if named:
        for c in idx.clauses(hits[0].clause.doc_id):
            if c.label == named.group(0):
                return c
    grams = content_bigrams(said)
    best = hits[0].clause
    if grams and len(grams & content_bigrams(best.text)) / len(grams) >= PARAPHRASE_SHARE:
        return best
    return None


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
    seconds = getattr(assistant.settings, "answer_budget_s", budget.DEFAULT_BUDGET_S)
    deadline = None
    if backend != "extractive":  # one deadline for all the model does for this answer, condensing included
        from assistant.backends import Deadline

        deadline = Deadline(assistant.settings.llm_timeout)
    try:
        with budget.budget(seconds):
            p = prepare(assistant, question, history, backend, k, deadline)
    except budget.OverBudget:
        yield _timed_out(question, question, seconds, ())
        return
    if isinstance(p.result, TimedOut):
        ranked = sorted(p.candidates.search_rank, key=p.candidates.search_rank.get)
        yield _timed_out(question, p.cond.question, seconds, [p.candidates.clauses[n] for n in ranked])
        return
    if isinstance(p.result, Refusal):
        yield _refused(question, p)
        return
    draft, notice = p.result, p.result.notice
    clauses = p.candidates.clauses
    if backend != "extractive":
        from assistant.backends import run_llm

        llm_draft = None
        for event in run_llm(assistant, backend, p.cond.question, p.candidates, deadline):
            if isinstance(event, str):
                yield event
            else:
                llm_draft = event
        if llm_draft is not None and llm_draft.text:
            checked = check_answer(llm_draft.text, clauses)
            kept = [s for s in checked if s.supported]
            if checked and kept and len(kept) / len(checked) >= MIN_SUPPORTED_SHARE:
                draft = Draft("".join(s.text for s in kept), backend, llm_draft.notice)
                notice = llm_draft.notice or (f"已删除 {len(checked) - len(kept)} 句无法由所引条款支持的内容。"
                                              if len(kept) < len(checked) else None)
            else:
                notice = llm_draft.notice or NOTICE_GUARD
        elif llm_draft is not None:
            notice = llm_draft.notice
    sentences = check_answer(draft.text, clauses)
    text, sentences, citations = renumber(sentences, clauses)
    notice = "；".join(x for x in (notice, validity_notice(assistant, [c.clause for c in citations])) if x) or None
    yield Answer(question, p.cond.question, text, tuple(citations), tuple(sentences), False, draft.backend, notice,
                 support=round(p.evidence.support, 4))


def validity_notice(assistant: "Assistant", clauses: Sequence) -> str | None:
    """One line naming each cited document that is not in force: 所引《X》已废止（用户标注）."""
    idx = assistant.index
    if not hasattr(idx, "status_line"):
        return None
    lines = []
    for doc_id in dict.fromkeys(c.doc_id for c in clauses):
        line = idx.status_line(doc_id)
        if not line.startswith(STATUS_CURRENT):
            c = next(c for c in clauses if c.doc_id == doc_id)
            lines.append(f"所引《{c.doc_title}》{_tag(idx, doc_id)}{line}")
    return "；".join(lines) or None


def _tag(idx, doc_id: str) -> str:
    tag = idx.validity(doc_id).tag
    return f"（{tag}）" if tag else ""


def _timed_out(question: str, standalone: str, seconds: float, found: Sequence) -> Answer:
    """处理超时, with the clauses retrieval found (the best there is) as 可能相关."""
    text = budget.timeout_text(seconds)
    related = tuple(found[:RELATED_N])
    shown = text + ("\n可能相关：" + "；".join(c.citation for c in related) if related else "")
    return Answer(question, standalone, shown, (), (Sentence(text, (), True),), True, "extractive", "处理超时", related)


def _refused(question: str, p: Prepared) -> Answer:
    ranked = [p.candidates.clauses[n] for n in sorted(p.candidates.search_rank, key=p.candidates.search_rank.get)]
    related = tuple((ranked or list(p.candidates.clauses.values()))[:RELATED_N])
    text = p.result.text
    if related:
        text += "\n可能相关：" + "；".join(c.citation for c in related)
    return Answer(question, p.cond.question, text, (), (Sentence(p.result.text, (), True),), True, "extractive", None,
                  related, support=round(p.evidence.support, 4))

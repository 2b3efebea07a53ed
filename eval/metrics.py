"""Scoring: one item's retrieval, answer and refusal metrics, and their aggregates.

Pure functions over public value types (Hit, Answer, Clause); the runner feeds them.
Snippets and facts match after deleting whitespace on both sides (``squash``).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from assistant.text import numbers, stated_numbers
from assistant.types import REFUSAL_PREFIX, Answer
from eval.dataset import EvalItem, squash
from index.models import Clause, Hit

OUT_OF_SCOPE = "out_of_scope"
RETRIEVAL_DEPTH = 5  # hit@5 / recall@5
# Quality metrics, in report order; each is a share in [0, 1].
QUALITY_KEYS = (
    "hit@1",
    "hit@5",
    "recall@5",
    "mrr",
    "fact_recall",
    "citation_precision",
    "citation_recall",
    "numeric_grounding",
    "support_rate",
    "refusal_accuracy",
    "false_refusal_rate",  # lower is better
)
LATENCY_KEYS = ("search_p50_ms", "search_p95_ms", "ask_p50_ms", "ask_p95_ms")
# Median characters of an answer ([n] markers removed), over answered questions about one document (compare and
# several-document answers excluded: they say one thing per document).
LENGTH_KEYS = ("answer_chars_p50",)
METRIC_KEYS = QUALITY_KEYS + LATENCY_KEYS + LENGTH_KEYS
LOWER_IS_BETTER = frozenset({"false_refusal_rate"} | set(LATENCY_KEYS) | set(LENGTH_KEYS))
_MARKER = re.compile(r"\[\d{1,2}\]")
DIGITS = 4


@dataclass
class ItemResult:
    """One item's outcome: metric values (None where a metric doesn't apply) and what went wrong."""

    item: EvalItem
    answer: Answer
    hits: list[Hit]
    search_ms: float
    ask_ms: float
    error: str | None = None  # the pipeline raised: the item counts as failed
    metrics: dict[str, float | None] = field(default_factory=dict)
    sentences: int = 0  # answer sentences of a non-refused answer (support_rate is pooled over them)
    supported: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        """Mean of the applicable quality metrics (false refusals count as 0): lower is worse."""
        vals = []
        for k in QUALITY_KEYS:
            v = self.metrics.get(k)
            if v is not None:
                vals.append(1.0 - v if k == "false_refusal_rate" else v)
        return sum(vals) / len(vals) if vals else 1.0

    def to_json(self) -> dict[str, Any]:
        a = self.answer
        return {
            "id": self.item.id,
            "category": self.item.category,
            "question": self.item.question,
            "standalone_question": a.standalone_question,
            "answer": a.answer,
            "refused": a.refused,
            "support": a.support,
            "backend": a.backend,
            "citations": [c.clause.citation for c in a.citations],
            "retrieved": [h.clause.citation for h in self.hits],
            **{k: _round(v) for k, v in self.metrics.items()},
            "search_ms": round(self.search_ms, 2),
            "ask_ms": round(self.ask_ms, 2),
            "score": _round(self.score),
            "problems": list(self.problems),
            "error": self.error,
        }


# ------------------------------------------------------------------ matching


def contains(unit_text: str, snippet: str) -> bool:
    s = squash(snippet)
    return bool(s) and s in squash(unit_text)


def answer_text(answer: Answer) -> str:
    """What the answer claims: its text without [n] markers; nothing for a refusal (its 可能相关 list is no answer)."""
    return "" if answer.refused else _MARKER.sub("", answer.answer)


def _source(clause: Clause) -> str:
    """A cited clause as a reader sees it: its formal citation (title, 文号, label: 第四十条's 40), headings, text."""
    return clause.citation + "\n" + clause.label + "\n" + clause.header() + "\n" + clause.text


def _short(s: str, n: int = 40) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[:n] + "…"


def _fmt_num(v: float) -> str:
    return str(int(v)) if v == int(v) else f"{v:g}"


# ------------------------------------------------------------------ one item


def score_item(r: ItemResult) -> ItemResult:
    """Fill r.metrics and r.problems from the item, its answer and the search hits."""
    item, a = r.item, r.answer
    oos = item.category == OUT_OF_SCOPE
    m: dict[str, float | None] = dict.fromkeys(QUALITY_KEYS)

    if item.evidence and not oos:
        _retrieval(r, m)
        cited = [c.clause for c in a.citations]
        with_ev = [c for c in cited if any(contains(c.text, ev) for ev in item.evidence)]
        if cited:
            m["citation_precision"] = len(with_ev) / len(cited)
            r.problems.extend(f"引用的条款不含证据：{c.citation}" for c in cited if c not in with_ev)
        covered = [ev for ev in item.evidence if any(contains(c.text, ev) for c in cited)]
        m["citation_recall"] = len(covered) / len(item.evidence)
        if cited and len(covered) < len(item.evidence):
            r.problems.extend(f"所引条款未覆盖证据：「{_short(ev)}」" for ev in item.evidence if ev not in covered)
    if item.answer_facts and not oos:
        text = squash(answer_text(a))
        missing = [f for f in item.answer_facts if squash(f) not in text]
        m["fact_recall"] = 1 - len(missing) / len(item.answer_facts)
        if missing and not a.refused:
            r.problems.append("缺少事实：" + "、".join(missing))

    if oos:
        m["refusal_accuracy"] = float(a.refused)
        if not a.refused:
            r.problems.append(f"应拒答却作答：{_short(a.answer, 60)}")
    else:
        m["false_refusal_rate"] = float(a.refused)
        if a.refused and r.error is None:
            r.problems.append(f"误拒答：{_short(a.answer.split(chr(10))[0], 60)}")

    if not a.refused and r.error is None:
        m["numeric_grounding"] = float(_numbers_grounded(r))
        r.sentences = len(a.sentences)
        r.supported = sum(1 for s in a.sentences if s.supported)
        if r.sentences:
            m["support_rate"] = r.supported / r.sentences
        r.problems.extend(f"句子未通过核查（{s.reason or '不受支持'}）：{_short(s.text)}"
                          for s in a.sentences if not s.supported)
    if r.error is not None:
        r.problems.insert(0, f"运行出错：{r.error}")
    r.metrics = m
    return r


def _retrieval(r: ItemResult, m: dict[str, float | None]) -> None:
    ev = r.item.evidence
    found_at = [i for i, h in enumerate(r.hits, 1) if any(contains(h.clause.text, e) for e in ev)]
    top = [h.clause.text for h in r.hits[:RETRIEVAL_DEPTH]]
    in_top = [e for e in ev if any(contains(t, e) for t in top)]
    m["hit@1"] = float(bool(found_at) and found_at[0] == 1)
    m["hit@5"] = float(bool(found_at) and found_at[0] <= RETRIEVAL_DEPTH)
    m["recall@5"] = len(in_top) / len(ev)
    m["mrr"] = 1.0 / found_at[0] if found_at else 0.0
    if not in_top:
        r.problems.append(f"证据未检索到（top-{RETRIEVAL_DEPTH}）：「{_short(ev[0])}」")
    elif len(in_top) < len(ev):
        r.problems.extend(f"部分证据未检索到（top-{RETRIEVAL_DEPTH}）：「{_short(e)}」" for e in ev if e not in in_top)


def _numbers_grounded(r: ItemResult) -> bool:
    """Every number each sentence states occurs in the clauses that sentence cites."""
    by_n = {c.n: c.clause for c in r.answer.citations}
    ok = True
    for s in r.answer.sentences:
        stated = stated_numbers(s.text)
        if not stated:
            continue
        if REFUSAL_PREFIX in s.text and not s.citations:
            continue  # "未找到 2030 年的规定" repeats the question's numbers, it claims none
        source = "\n".join(_source(by_n[n]) for n in s.citations if n in by_n)
        missing = stated - numbers(source) if source else stated
        if missing:
            ok = False
            shown = "、".join(_fmt_num(v) for v in sorted(missing))
            r.problems.append(f"数字 {shown} 不见于所引条款：{_short(s.text)}")
    return ok


# ------------------------------------------------------------------ aggregates


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100), as numpy's default."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def aggregate(results: Iterable[ItemResult]) -> dict[str, Any]:
    """Means over the items a metric applies to (support_rate pooled over sentences); None where none does."""
    results = list(results)
    out: dict[str, Any] = {"n": len(results)}
    for k in QUALITY_KEYS:
        vals = [r.metrics[k] for r in results if r.metrics.get(k) is not None]
        out[k] = _round(sum(vals) / len(vals)) if vals else None
    sentences = sum(r.sentences for r in results)
    out["support_rate"] = _round(sum(r.supported for r in results) / sentences) if sentences else None
    search = [r.search_ms for r in results if r.error is None]
    ask = [r.ask_ms for r in results if r.error is None]
    out["search_p50_ms"] = _round(percentile(search, 50), 2)
    out["search_p95_ms"] = _round(percentile(search, 95), 2)
    out["ask_p50_ms"] = _round(percentile(ask, 50), 2)
    out["ask_p95_ms"] = _round(percentile(ask, 95), 2)
    lengths = [len(answer_text(r.answer)) for r in results
               if r.error is None and not r.answer.refused and len(r.item.doc) <= 1 and r.item.category != "compare"]
    out["answer_chars_p50"] = _round(percentile(lengths, 50), 1)
    return out


def by_category(results: Sequence[ItemResult], order: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    cats = list(dict.fromkeys([c for c in order if any(r.item.category == c for r in results)]
                              + [r.item.category for r in results]))
    return {c: aggregate(r for r in results if r.item.category == c) for c in cats}


def worst(results: Sequence[ItemResult], n: int = 10) -> list[ItemResult]:
    """The n lowest-scoring items that have something wrong, worst first (more problems first on ties)."""
    bad = [r for r in results if r.problems]
    return sorted(bad, key=lambda r: (r.score, -len(r.problems)))[:n]


def _round(v: float | None, digits: int = DIGITS) -> float | None:
    return None if v is None else round(float(v), digits)

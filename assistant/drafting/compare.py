"""Side by side (对照): for a topic, each document's provision on it, or 未找到.

Matching is statistical so that it carries to wording it has not seen:
- coverage: the share of the topic's character pairs (weighted by how rare each pair is across the clauses
  compared) that a clause contains; a pair also counts with up to two characters between its halves, so
  能耗 is found in 能源消耗 and 生产总值 in 地区生产总值;
- expansion: words that characterise the clauses which state the topic outright (纯电动, 燃料电池汽车 for
  新能源汽车), counted from those clauses across all compared documents (pseudo-relevance feedback), so a
  document that writes 纯电动车辆 without the word 新能源汽车 still gets its row;
- a clause that states a figure on the topic ranks above one that only mentions it.
A document whose best clause covers too little of the topic (and is not backed by the expansion) gets 未找到.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from assistant.drafting.targets import clause_targets
from assistant.drafting.tasks import statements_of, strip_headings
from assistant.drafting.types import CompareRow, Provision, Target
from index.models import KIND_CLOSING, KIND_PREAMBLE, Clause, DocumentMeta

SKIP_KINDS = (KIND_PREAMBLE, KIND_CLOSING)
MAX_PROVISIONS = 3  # per document row
MAX_GAP = 2  # characters allowed between the halves of a topic pair (能耗 in 能源消耗)
EXPANSION_TERMS = 12
QUOTE_CHARS = 320
# Decision thresholds, calibrated on the shipped plans (eval/drafting/compare.csv) and then left alone:
FOUND_COVERAGE = 0.75  # the clause states the topic (nearly) in its own words
BACKED_COVERAGE = 0.35  # … or covers part of it and reads like the clauses that state it:
BACKED_EXPANSION = 0.30
EXPANSION_ALONE = 0.60  # … or reads very much like them without the topic's own words (纯电动公交车 for 新能源汽车)
EXACT_BONUS = 0.25
FIGURE_BONUS = 0.15
SIMILAR_COSINE = 0.15  # a picked clause: cosine of word vectors a clause needs to stand beside it
_STOP = set("的 和 与 及 等 在 对 以 为 将 把 由 从 到 至 并 或 中 上 下 年 个 各 其 该 本 全 区 市 推进 推动 加快 加强 "
            "开展 实施 进一步 积极 持续 全面 鼓励 支持 提升 完善 建立 建设 工作 相关 有关 重点 要求 按照 实现 力争 "
            "到2025年 2025 2030 单位 负责 责任 牵头 配合 职责 分工".split())


@dataclass(frozen=True)
class _Scored:
    clause: Clause
    coverage: float
    expansion: float
    exact: bool
    figure: bool
    threshold: float = 0.0  # for a picked clause: the cosine a clause needs

    @property
    def found(self) -> bool:
        if self.threshold:
            return self.exact or self.coverage >= self.threshold
        return self.exact or self.coverage >= FOUND_COVERAGE or self.expansion >= EXPANSION_ALONE or (
            self.coverage >= BACKED_COVERAGE and self.expansion >= BACKED_EXPANSION)

    @property
    def score(self) -> float:
        return (self.coverage + 0.5 * self.expansion + (EXACT_BONUS if self.exact else 0.0)
                + (FIGURE_BONUS if self.figure else 0.0))


def normalise(text: str) -> str:
    return re.sub(r"[\s“”\"'《》「」]", "", text)


def topic_pairs(topic: str) -> list[str]:
    t = re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", topic)
    if len(t) < 2:
        return [t] if t else []
    return list(dict.fromkeys(t[i:i + 2] for i in range(len(t) - 1)))


def has_pair(text: str, pair: str) -> bool:
    if len(pair) < 2:
        return pair in text
    if pair in text:
        return True
    a, b = pair
    start = text.find(a)
    while start != -1:
        if b in text[start + 1:start + 2 + MAX_GAP]:
            return True
        start = text.find(a, start + 1)
    return False


def _words(text: str) -> set[str]:
    import jieba  # lazily: segmentation is only needed here

    return {w for w in jieba.lcut(text) if len(w) >= 2 and w not in _STOP and not re.fullmatch(r"[\d.%]+", w)}


def _body(c: Clause) -> str:
    """The clause's text without its unit lists (区发展改革委、… say nothing about the topic)."""
    text = c.text
    for st in reversed(statements_of(c)):
        if st.end:
            text = text[:st.start] + text[st.end:]
    return normalise(text)


class Matcher:
    """Scores clauses of the compared documents against one topic."""

    def __init__(self, topic: str, clauses: Sequence[Clause]):
        import jieba

        jieba.setLogLevel(60)
        self.topic = normalise(topic)
        self.clauses = [c for c in clauses if c.kind not in SKIP_KINDS]
        self.bodies = {c.clause_id: _body(c) for c in self.clauses}
        self.pairs = topic_pairs(self.topic)
        n = max(1, len(self.clauses))
        df = {p: sum(has_pair(b, p) for b in self.bodies.values()) for p in self.pairs}
        self.weights = {p: math.log((n + 1) / (df[p] + 0.5)) for p in self.pairs}
        self.expansion = self._expansion(n)

    def coverage(self, body: str) -> float:
        total = sum(self.weights.values())
        if not total:
            return 0.0
        return sum(w for p, w in self.weights.items() if has_pair(body, p)) / total

    def _expansion(self, n: int) -> dict[str, float]:
        seeds = [b for b in self.bodies.values() if self.topic and (self.topic in b or self.coverage(b) >= FOUND_COVERAGE)]
        if not seeds:
            return {}
        words = {cid: _words(b) for cid, b in self.bodies.items()}
        df = Counter(w for ws in words.values() for w in ws)
        seed_df = Counter(w for b in seeds for w in _words(b))
        topic_words = _words(self.topic) | {self.topic}
        scored = {w: (k / len(seeds)) * math.log((n + 1) / (df[w] + 0.5)) for w, k in seed_df.items()
                  if k >= 2 and w not in topic_words and not any(w in t or t in w for t in topic_words)}
        top = sorted(scored.items(), key=lambda kv: -kv[1])[:EXPANSION_TERMS]
        return dict(top)

    def score(self, c: Clause) -> _Scored:
        body = self.bodies.get(c.clause_id) or _body(c)
        exact = bool(self.topic) and self.topic in body
        cov = 1.0 if exact else self.coverage(body)
        total = sum(self.expansion.values())
        exp = sum(w for t, w in self.expansion.items() if t in body) / total if total else 0.0
        figure = any(self.coverage(normalise(t.indicator + t.quote)) >= BACKED_COVERAGE for t in clause_targets(c))
        return _Scored(c, cov, exp, exact, figure)


def _quote(c: Clause, matcher: Matcher) -> str:
    """The clause's sentences on the topic (all of it when none stands out)."""
    text = strip_headings(c)
    sentences = [s for s in re.split(r"(?<=[。；])", text) if s.strip()]
    hits = [s for s in sentences if matcher.coverage(normalise(s)) >= BACKED_COVERAGE]
    q = " ".join("".join(hits or sentences).split())
    return q if len(q) <= QUOTE_CHARS else q[:QUOTE_CHARS - 1] + "…"


def figure_text(t: Target) -> str:
    """到2025年 新建公共、专用充电桩 3300个 / 单位生产总值能耗 较2020年下降 14%."""
    when = f"到{t.target_year}年" if t.target_year else ""
    how = "" if t.comparison in ("完成", "达到") else t.comparison_text
    return " ".join(x for x in (when, t.indicator, how, t.value_text) if x)


def _provision(s: _Scored, matcher: Matcher) -> Provision:
    c = s.clause
    figures = []
    for t in clause_targets(c):
        if matcher.coverage(normalise(t.indicator + t.quote)) >= BACKED_COVERAGE:
            figures.append(figure_text(t))
    units = tuple(dict.fromkeys(a.unit for st in statements_of(c) for a in st.assignments)) or tuple(c.units)
    return Provision(c.label, c.citation, c.clause_id, _quote(c, matcher), tuple(figures[:6]), units, round(s.score, 4))


def side_by_side(topic: str, docs: Sequence[DocumentMeta], clauses_by_doc: dict[str, list[Clause]]) -> list[CompareRow]:
    """One row per document, in the order given: its provisions on `topic`, best first, or none (未找到)."""
    everything = [c for d in docs for c in clauses_by_doc.get(d.doc_id, [])]
    return _rows(Matcher(topic, everything), docs, clauses_by_doc)


def _rows(matcher: Matcher, docs: Sequence[DocumentMeta], clauses_by_doc: dict[str, list[Clause]]) -> list[CompareRow]:
    rows = []
    for d in docs:
        scored = [matcher.score(c) for c in clauses_by_doc.get(d.doc_id, []) if c.kind not in SKIP_KINDS]
        found = sorted((s for s in scored if s.found), key=lambda s: -s.score)
        best = found[:1]
        for s in found[1:]:
            if len(best) < MAX_PROVISIONS and s.score >= best[0].score - 0.35:
                best.append(s)
        rows.append(CompareRow(d.doc_id, d.title, d.doc_number, tuple(_provision(s, matcher) for s in best)))
    return rows


class ClauseMatcher(Matcher):
    """Scores clauses against a picked clause: cosine of their word vectors (tf × idf over the compared clauses),
    headings and unit lists left out, so 大力发展非化石能源 (光伏, 氢能, 生物质…) finds 大力发展可再生能源."""

    def __init__(self, picked: Clause, clauses: Sequence[Clause]):
        super().__init__(topic_of(picked), clauses)
        self.picked = picked
        self.words = {c.clause_id: Counter(_word_list(_content(c))) for c in self.clauses}
        n = max(1, len(self.clauses))
        df = Counter(w for ws in self.words.values() for w in ws)
        self.idf = {w: math.log((n + 1) / (k + 0.5)) for w, k in df.items()}
        self.vector = self._vector(self.words.get(picked.clause_id) or Counter(_word_list(_content(picked))))

    def _vector(self, counts: Counter) -> dict[str, float]:
        v = {w: (1 + math.log(k)) * self.idf.get(w, 1.0) for w, k in counts.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {w: x / norm for w, x in v.items()}

    def score(self, c: Clause) -> _Scored:
        v = self._vector(self.words.get(c.clause_id) or Counter(_word_list(_content(c))))
        cos = sum(x * self.vector.get(w, 0.0) for w, x in v.items())
        figure = bool(clause_targets(c)) and cos > 0
        return _Scored(c, cos, 0.0, c.clause_id == self.picked.clause_id, figure, SIMILAR_COSINE)


def _content(c: Clause) -> str:
    text = strip_headings(c)
    for st in reversed(statements_of(c)):
        if st.end:
            text = text[:st.start] + text[st.end:]
    return text


def _word_list(text: str) -> list[str]:
    import jieba

    return [w for w in jieba.lcut(normalise(text)) if len(w) >= 2 and w not in _STOP and not re.fullmatch(r"[\d.%]+", w)]


def similar(picked: Clause, docs: Sequence[DocumentMeta], clauses_by_doc: dict[str, list[Clause]]) -> list[CompareRow]:
    """Side by side for a picked clause: each document's clauses most like it (the picked one in its own row)."""
    everything = [c for d in docs for c in clauses_by_doc.get(d.doc_id, [])]
    return _rows(ClauseMatcher(picked, everything), docs, clauses_by_doc)


def topic_of(clause: Clause) -> str:
    """The topic a picked clause stands for: its own heading (大力发展非化石能源), else its first sentence."""
    name = clause.path[-1] if clause.path else clause.text
    name = re.sub(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.、．]|[（(]\d+[）)])\s*", "", name)
    name = re.split(r"[。；，\n]", name)[0]
    return name[:30]

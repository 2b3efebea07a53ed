"""HTML and Markdown for the app: citation cards, lookup results, status line. All document text is escaped."""
from __future__ import annotations

import html
import re
from typing import Sequence

from assistant.types import Answer
from index.store.clause_index import RetrievalMode
from index.models import Clause, DocumentMeta, Hit

CSS = """
.cards { display: flex; flex-direction: column; gap: 10px; }
.card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px; background: var(--background-fill-secondary); }
.card.related { opacity: .85; border-style: dashed; }
.card .head { font-weight: 600; margin-bottom: 4px; }
.card .num { display: inline-block; min-width: 1.8em; padding: 0 4px; margin-right: 6px; border-radius: 4px; background: var(--color-accent); color: white; text-align: center; }
.card .cite { font-size: .9em; color: var(--body-text-color-subdued); margin: 2px 0 6px; }
.card .text { white-space: pre-wrap; line-height: 1.6; }
.card .units { margin-top: 6px; font-size: .9em; }
.card .score { float: right; font-size: .85em; color: var(--body-text-color-subdued); }
.card details { margin-top: 6px; font-size: .9em; }
.card details .ctx { white-space: pre-wrap; margin: 4px 0; padding-left: 8px; border-left: 3px solid var(--border-color-primary); }
.copy-btn { margin-top: 6px; padding: 2px 10px; border-radius: 4px; border: 1px solid var(--border-color-primary); cursor: pointer; background: var(--button-secondary-background-fill); }
.notice { color: #b45309; }
.empty { color: var(--body-text-color-subdued); }
"""

# Copy buttons: one delegated listener on the component, so it survives re-renders.
COPY_JS = """
element.addEventListener('click', (e) => {
  const b = e.target.closest('.copy-btn');
  if (!b) return;
  const text = b.getAttribute('data-copy');
  const done = () => { const old = b.textContent; b.textContent = '已复制'; setTimeout(() => b.textContent = old, 1200); };
  if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(done); }
  else { const t = document.createElement('textarea'); t.value = text; document.body.appendChild(t); t.select(); document.execCommand('copy'); t.remove(); done(); }
});
"""

_MARK = re.compile(r"\[(\d{1,2})\]")


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def status_line(mode: RetrievalMode, backend: str, docs: int, clauses: int) -> str:
    why = f"（{mode.reason}）" if mode.reason and not mode.dense else ""
    names = {"extractive": "摘录式（无需模型）", "openai": "OpenAI 兼容接口", "transformers": "本地模型"}
    return (f"**检索模式**：{mode.label}{esc(why)} ｜ **回答方式**：{names.get(backend, backend)} ｜ "
            f"**文件**：{docs} 个 ｜ **条款**：{clauses} 条")


def answer_markdown(ans: Answer) -> str:
    """The chat message: answer text with flagged sentences and the notice."""
    text = esc_md(ans.answer)
    for s in ans.sentences:
        if not s.supported and esc_md(s.text) in text:
            text = text.replace(esc_md(s.text), f"⚠️ ~~{esc_md(s.text)}~~（未通过核查：{esc_md(s.reason)}）")
    if ans.notice:
        text = f"> 提示：{esc_md(ans.notice)}\n\n{text}"
    return text


def esc_md(text: str | None) -> str:
    """Text for the chat's Markdown: HTML from a document or a question is shown, never rendered."""
    return html.escape(text or "", quote=False)


def _card(n: str, clause: Clause, neighbours: Sequence[Clause] = (), score: float | None = None, extra_class: str = "") -> str:
    units = f'<div class="units">责任单位：{esc("、".join(clause.units))}</div>' if clause.units else ""
    score_html = f'<span class="score">得分 {score:.3f}</span>' if score is not None else ""
    ctx = ""
    others = [c for c in neighbours if c.clause_id != clause.clause_id]
    if others:
        parts = "".join(f'<div class="ctx"><b>{esc(c.label)}</b> {esc(c.text)}</div>' for c in others)
        ctx = f"<details><summary>展开上下文（相邻条款）</summary>{parts}</details>"
    number = f" {esc(clause.doc_number)}" if clause.doc_number else ""
    copy = esc(f"{clause.citation}\n{clause.text}")
    return (f'<div class="card {extra_class}">{score_html}<div class="head"><span class="num">{esc(n)}</span>'
            f'《{esc(clause.doc_title)}》{number} · {esc(clause.label)}</div>'
            f'<div class="cite">{esc(clause.citation)}</div><div class="text">{esc(clause.text)}</div>{units}{ctx}'
            f'<button class="copy-btn" data-copy="{copy}">复制引文和原文</button></div>')


def citation_cards(ans: Answer | None, neighbours: dict[str, list[Clause]]) -> str:
    if ans is None:
        return '<div class="empty">提问后，这里显示回答所引用的条款原文。</div>'
    if ans.refused:
        if not ans.related:
            return '<div class="empty">现有文件中未找到相关条款。</div>'
        cards = "".join(_card("?", c, neighbours.get(c.clause_id, ()), extra_class="related") for c in ans.related)
        return f'<div class="cards"><div class="empty">未找到直接依据；可能相关的条款：</div>{cards}</div>'
    cards = "".join(_card(f"[{c.n}]", c.clause, neighbours.get(c.clause.clause_id, ())) for c in ans.citations)
    return f'<div class="cards">{cards}</div>'


def lookup_cards(results: Sequence[tuple[Clause, float | None]], exact: bool) -> str:
    if not results:
        return '<div class="empty">没有找到匹配的条款。</div>'
    title = "按引用精确匹配：" if exact else "按相关度排序（得分为检索分数）："
    cards = "".join(_card(str(i), c, score=s) for i, (c, s) in enumerate(results, 1))
    return f'<div class="cards"><div class="empty">{title}</div>{cards}</div>'


def docs_rows(docs: Sequence[tuple[DocumentMeta, int]]) -> list[list]:
    return [[m.title, m.doc_number or "—", m.issuer or "—", m.date or "—", m.kind or "—", n, m.doc_id] for m, n in docs]


def hits_to_results(hits: Sequence[Hit]) -> list[tuple[Clause, float | None]]:
    return [(h.clause, h.score) for h in hits]

"""HTML of the chat tab: the conversation (answers with [n] links and their actions) and every answer's own
citation cards, with the clause sentence each answer sentence rests on marked. All text is escaped."""
from __future__ import annotations

import html
import json
import re
from typing import Any, Mapping, Sequence

from assistant.conversation import CitedClause, Turn
from assistant.export import copy_text

EXAMPLES = [
    "嘉定区到2025年新增光伏装机目标是多少？哪些部门负责？",
    "青浦、普陀、松江三个区到2025年单位生产总值能耗分别下降多少？",
    "松江区新增充电桩的目标和牵头部门是什么？",
    "上海市环境保护条例第十八条规定了什么？",
    "超标排放污染物的，按条例罚款多少？",
]
INTRO = "回答只依据已导入的政策文件，每句话都标注所依据的条款 [n]；文件中没有的，直接说明未找到。"
WAITING = "正在检索条款…"
# Shown above a model's text while it streams: nothing in it has been checked against the clauses yet.
DRAFT_LABEL = "草稿 · 未经核查：模型正在生成，完成后逐句核查引用，再替换为核查后的回答"
MARK = re.compile(r"\[(\d{1,2})\]")
_SENTENCE_END = re.compile(r"(?<=[。；！？\n])")
_LABEL_TAIL = re.compile(r"(（[^（）]+）|[^（）\s]+)$")
MIN_SHARED_BIGRAMS = 2  # fewer shared character pairs than this is no evidence that a clause sentence was used
MARK_RATIO = 0.5  # a clause sentence is marked when half its character pairs occur in the answer sentence


def esc(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


# ---- the conversation ---------------------------------------------------------------------------------


def conversation_html(turns: Sequence[Turn], pending: tuple[str, str | None] | None = None,
                      draft_note: str = "") -> str:
    """Every turn of the open conversation; `pending` is (question, partial answer or None) while answering: a
    model's partial text is shown as an unchecked draft (`draft_note`: e.g. its time limit), never as an answer."""
    parts = [_turn_html(k, t) for k, t in enumerate(turns)]
    if pending is not None:
        question, partial = pending
        if partial:
            label = DRAFT_LABEL + (f"（{draft_note}）" if draft_note else "")
            body = (f'<div class="draft" data-testid="draft"><div class="draft-label">{esc(label)}</div>'
                    f'<div class="draft-text">{_plain(partial)}<span class="cursor">▌</span></div></div>')
        else:
            body = f'<span class="waiting">{WAITING}</span>'
        parts.append(f'<div class="turn pending"><div class="msg user" data-testid="user"><div class="bubble">{_plain(question)}</div></div>'
                     f'<div class="msg bot" data-testid="bot"><div class="answer">{body}</div></div></div>')
    if not parts:
        chips = "".join(f'<button class="example" type="button" data-q="{esc(q)}">{esc(q)}</button>' for q in EXAMPLES)
        return (f'<div class="conv empty"><div class="welcome"><p>{esc(INTRO)}</p><p class="hint">按回车发送，Shift+回车换行；'
                f'可以接着追问，如“那青浦区呢？”。点击回答中的 [n] 查看所依据的条款原文。</p>'
                f'<div class="examples"><span>示例问题：</span>{chips}</div></div></div>')
    return f'<div class="conv" data-turns="{len(turns)}">{"".join(parts)}</div>'


def _plain(text: str | None) -> str:
    return esc(text or "")


def _turn_html(k: int, t: Turn) -> str:
    notice = f'<div class="notice">提示：{esc(t.notice)}</div>' if t.notice else ""
    understood = ""
    if t.standalone_question and t.standalone_question.strip() != t.question.strip():
        understood = f'<div class="understood">理解为：{esc(t.standalone_question)}</div>'
    n_cards = len(t.citations) or len(t.related)
    cards_btn = (f'<button class="act show-cards" type="button" title="在右侧显示这条回答引用的条款">查看引用（{n_cards}）</button>'
                 if n_cards else "")
    fb = t.feedback
    fb_note = {"up": "已反馈：有帮助", "down": "已反馈：有问题" + (f"（{esc(t.comment)}）" if t.comment else "")}.get(fb or "", "")
    actions = (
        f'<div class="actions">{cards_btn}'
        f'<button class="act copy" type="button" data-copy="{esc(copy_text(t))}" title="复制回答和编号引文">复制（含引文）</button>'
        f'<button class="act export" type="button" title="把这条回答导出为 Word 文件">导出 Word</button>'
        f'<button class="act fb up{" on" if fb == "up" else ""}" type="button" data-value="up" aria-pressed="{str(fb == "up").lower()}" title="有帮助">👍</button>'
        f'<button class="act fb down{" on" if fb == "down" else ""}" type="button" data-value="down" aria-pressed="{str(fb == "down").lower()}" title="有问题">👎</button>'
        f'<span class="fb-note">{fb_note}</span></div>'
        f'<div class="fb-form" hidden><textarea maxlength="1000" rows="2" placeholder="哪里不对？（可选，例如：数字不对、引错了条款、没答到点上）"></textarea>'
        f'<button class="act fb-send" type="button">提交反馈</button><button class="act fb-cancel" type="button">取消</button></div>'
    )
    data = esc(json.dumps(t.to_json(), ensure_ascii=False))
    return (f'<div class="turn" data-turn="{k}" data-id="{esc(t.id)}" data-export="{data}">'
            f'<div class="msg user" data-testid="user"><div class="bubble">{_plain(t.question)}</div></div>'
            f'<div class="msg bot{" refused" if t.refused else ""}" data-testid="bot">{notice}{understood}'
            f'<div class="answer">{answer_html(k, t)}</div>{actions}</div></div>')


def answer_html(k: int, t: Turn) -> str:
    """The answer text with each checked sentence in a span and each [n] a link to card n of turn k."""
    text, out, pos = t.answer, [], 0
    for j, s in enumerate(t.sentences):
        at = text.find(s.text, pos) if s.text else -1
        if at < 0:
            continue
        out.append(_linked(k, text[pos:at], None))
        body = _linked(k, s.text, j)
        if not s.supported:
            body = f'⚠️ <del>{body}</del><span class="why">（未通过核查：{esc(s.reason)}）</span>'
        out.append(f'<span class="sent{"" if s.supported else " unsupported"}" data-s="{j}">{body}</span>')
        pos = at + len(s.text)
    out.append(_linked(k, text[pos:], None))
    return "".join(out)


def _linked(k: int, text: str, s: int | None) -> str:
    pieces, last = [], 0
    for m in MARK.finditer(text):
        pieces.append(esc(text[last:m.start()]))
        n = m.group(1)
        sent = f' data-s="{s}"' if s is not None else ""
        pieces.append(f'<a class="cite-link" href="#card-{k}-{n}" data-turn="{k}" data-n="{n}"{sent} '
                      f'title="查看条款 [{n}]">[{n}]</a>')
        last = m.end()
    pieces.append(esc(text[last:]))
    return "".join(pieces)


# ---- citation cards -----------------------------------------------------------------------------------


def cards_html(turns: Sequence[Turn], neighbours: Mapping[str, Sequence[Any]], active: int | None = None) -> str:
    """One group of cards per answer; the `active` one (default: the last) is shown, the answer links switch."""
    if not turns:
        return '<div class="cards-panel"><div class="empty">提问后，这里显示回答所引用的条款原文；点击回答中的 [n] 可定位到对应条款。</div></div>'
    active = len(turns) - 1 if active is None else active
    groups = []
    for k, t in enumerate(turns):
        q = t.question if len(t.question) <= 40 else t.question[:40] + "…"
        if t.citations:
            marks = _sentence_marks(t)
            body = "".join(card_html(c, neighbours.get(c.clause_id, ()), turn=k, marks=marks.get(c.n, {})) for c in t.citations)
        elif t.related:
            body = '<div class="empty">未找到直接依据；可能相关的条款：</div>' + "".join(
                card_html(c, neighbours.get(c.clause_id, ()), turn=k, related=True) for c in t.related)
        else:
            body = '<div class="empty">现有文件中未找到相关条款。</div>'
        groups.append(f'<div class="group{" active" if k == active else ""}" data-turn="{k}">'
                      f'<div class="group-head">第 {k + 1} 问：{esc(q)}</div>{body}</div>')
    return f'<div class="cards-panel">{"".join(groups)}</div>'


def card_html(c: CitedClause, neighbours: Sequence[Any] = (), *, turn: int = 0, marks: Mapping[int, list[int]] | None = None,
              related: bool = False) -> str:
    num = "?" if related else f"[{c.n}]"
    units = ""
    if c.units and not all(u in c.text for u in c.units):  # the clause's own （责任单位：…） already says it
        units = f'<div class="units">责任单位：{esc("、".join(c.units))}</div>'
    ctx = ""
    others = [x for x in neighbours if x.clause_id != c.clause_id]
    if others:
        ctx = "<details><summary>相邻条款</summary>" + "".join(
            f'<div class="ctx">{neighbour_html(x.label, x.text)}</div>' for x in others) + "</details>"
    copy = esc(f"{c.citation}\n{c.text}")
    anchor = "" if related else f' id="card-{turn}-{c.n}" data-n="{c.n}"'
    return (f'<div class="card{" related" if related else ""}"{anchor}><div class="head"><span class="num">{num}</span>'
            f'<span class="cite">{esc(c.citation)}</span></div><div class="text">{_marked_text(c.text, marks or {})}</div>'
            f'{units}{ctx}<button class="copy-btn" type="button" data-copy="{copy}">复制引文和原文</button></div>')


def neighbour_html(label: str, text: str) -> str:
    """A neighbouring clause: its label only when its text doesn't open with it (（二）主要目标 says （二） itself)."""
    tail = _LABEL_TAIL.search(label or "")
    opens_with_label = bool(tail) and text.lstrip().startswith(tail.group(1).rstrip(".、"))
    head = "" if opens_with_label or not label else f"<b>{esc(label)}</b> "
    return head + esc(text)


def _clause_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s]


def _bigrams(text: str) -> set[str]:
    t = re.sub(r"\s|\[\d+\]", "", text)
    return {t[i:i + 2] for i in range(len(t) - 1)}


def _sentence_marks(t: Turn) -> dict[int, dict[int, list[int]]]:
    """For citation n: clause sentence index → the answer sentences that rest on it."""
    by_n = {c.n: c for c in t.citations}
    out: dict[int, dict[int, list[int]]] = {}
    for j, s in enumerate(t.sentences):
        grams = _bigrams(s.text)
        for n in s.citations:
            c = by_n.get(n)
            if c is None:
                continue
            scored = []
            for i, cs in enumerate(_clause_sentences(c.text)):
                cg = _bigrams(cs)
                shared = len(grams & cg)
                if shared >= MIN_SHARED_BIGRAMS and cg:
                    scored.append((shared / len(cg), shared, i))
            if not scored:
                continue
            chosen = [i for ratio, _, i in scored if ratio >= MARK_RATIO] or [max(scored, key=lambda x: (x[1], x[0]))[2]]
            for i in chosen:
                out.setdefault(n, {}).setdefault(i, []).append(j)
    return out


def _marked_text(text: str, marks: Mapping[int, list[int]]) -> str:
    if not marks:
        return esc(text)
    out = []
    for i, s in enumerate(_clause_sentences(text)):
        if i in marks:
            body, nl = (s[:-1], "\n") if s.endswith("\n") else (s, "")
            out.append(f'<mark class="src" data-s="{" ".join(map(str, marks[i]))}">{esc(body)}</mark>{nl}')
        else:
            out.append(esc(s))
    return "".join(out)

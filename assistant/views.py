"""HTML for the app's status line, lookup results and document table; CSS and scripts are files in static/.
All document and user text is escaped."""
from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path
from typing import Any, Sequence

STATIC = Path(__file__).with_name("static")
BACKEND_NAMES = {"extractive": "摘录式（无需模型）", "openai": "OpenAI 兼容接口", "transformers": "本地模型"}
# Only ASCII URL characters: a URL followed by Chinese punctuation (…hf-mirror.com）后重试) ends at the "）".
_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+[A-Za-z0-9/_-]")
LOOKUP_LINE_CHARS = 90  # the first line of a result row; the whole clause is one click away
MIN_HIGHLIGHT = 2  # characters: a lone shared character (的, 和) is no match


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=True)


@cache
def static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def linkify(text: str) -> str:
    """Escaped text with its http(s) URLs as links that open in a new tab."""
    out, last = [], 0
    for m in _URL.finditer(text):
        out.append(esc(text[last:m.start()]))
        url = esc(m.group(0))
        out.append(f'<a href="{url}" target="_blank" rel="noopener noreferrer">{url}</a>')
        last = m.end()
    out.append(esc(text[last:]))
    return "".join(out)


def status_html(mode: Any, backend: str, docs: int, clauses: int) -> str:
    """One short line — mode, answers, documents, clauses — and why dense retrieval is off behind 详情."""
    line = (f'<span class="status-item"><b>检索模式</b>：{esc(mode.label)}</span>'
            f'<span class="status-item"><b>回答</b>：{esc(BACKEND_NAMES.get(backend, backend))}</span>'
            f'<span class="status-item"><b>文件</b>：{docs} 个</span><span class="status-item"><b>条款</b>：{clauses} 条</span>')
    details = ""
    if mode.reason and not mode.dense:
        details = (f'<details class="status-details"><summary>详情</summary><div class="status-reason">{linkify(mode.reason)}'
                   f'<br>提供模型后运行 <code>python -m assistant ingest</code>，已导入的条款会补上向量。</div></details>')
    return f'<div class="status" id="status-line">{line}{details}</div>'


# ---- lookup -------------------------------------------------------------------------------------------


def match_spans(text: str, query: str) -> list[tuple[int, int]]:
    """(start, end) of the longest stretches of `text`, two characters or more, that also occur in the query."""
    q = re.sub(r"\s+", "", query or "")
    spans: list[tuple[int, int]] = []
    if len(q) < MIN_HIGHLIGHT:
        return spans
    i = 0
    while i < len(text):
        n = 0
        while i + n < len(text) and text[i:i + n + 1] in q:
            n += 1
        if n >= MIN_HIGHLIGHT:
            spans.append((i, i + n))
            i += n
        else:
            i += 1
    return spans


def highlight(text: str, query: str) -> str:
    """Escaped text with the stretches it shares with the query in <mark>."""
    out, last = [], 0
    for a, b in match_spans(text, query):
        out.append(f"{esc(text[last:a])}<mark>{esc(text[a:b])}</mark>")
        last = b
    out.append(esc(text[last:]))
    return "".join(out)


def first_line(text: str, query: str = "") -> str:
    """The line a row shows: the clause's line that shares most with the query (a clause's text opens with its
    headings, which rarely hold the words searched for), cut to fit, starting shortly before the first match."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()] or [""]
    line = max(lines, key=lambda ln: sum(b - a for a, b in match_spans(ln, query)))  # max keeps the first of equals
    if len(line) <= LOOKUP_LINE_CHARS:
        return line
    spans = match_spans(line, query)
    at = spans[0][0] if spans else 0
    start = max(0, at - 20) if at > LOOKUP_LINE_CHARS - 30 else 0
    cut = line[start:start + LOOKUP_LINE_CHARS]
    return ("…" if start else "") + cut + ("…" if start + LOOKUP_LINE_CHARS < len(line) else "")


def lookup_rows(lookup: Any) -> str:
    """Compact rows: the formal citation, the first line with the query's words marked (for a reference to a 款 or
    项, that 款 or 项), relevance as a bar relative to the best result, a badge when the document is not in force;
    the whole clause, its units and a copy button on expand. A reference to nothing that exists, or a short title
    that fits several laws, is one line above the rows."""
    query = lookup.query
    head = ""
    if lookup.message:
        head += f'<div class="lookup-message">{esc(lookup.message)}</div>'
    for note in lookup.notes:
        head += f'<div class="lookup-note">注意：{esc(note)}</div>'
    if not lookup.rows:
        return f'<div class="rows">{head}</div>' if head else '<div class="empty">没有找到匹配的条款。</div>'
    title = "按引用精确匹配：" if lookup.exact else "按相关度排序（条形表示与最相关结果相比的相关程度）："
    best = max((r.score for r in lookup.rows if r.score), default=0.0)
    rows = []
    for i, r in enumerate(lookup.rows, 1):
        c, score = r.clause, r.score
        bar = ""
        if score is not None and best > 0:
            pct = max(4, round(100 * score / best))
            bar = (f'<span class="rel" title="相关度 {pct}%（相对于第一条）"><span class="rel-fill" style="width:{pct}%"></span></span>')
        units = f'<div class="units">责任单位：{esc("、".join(c.units))}</div>' if c.units and not all(u in c.text for u in c.units) else ""
        badge = f'<span class="validity" title="{esc(r.status)}">{esc(r.status.split("（")[0])}</span>' if r.status else ""
        line = highlight(first_line(r.focus or c.text, query), query)
        text = _with_focus(c.text, r.focus, query)
        copy = esc(f"{c.citation}\n{r.focus or c.text}")
        rows.append(
            f'<details class="row" data-rank="{i}"{" open" if lookup.exact and len(lookup.rows) == 1 else ""}><summary>'
            f'<span class="rank">{i}</span><span class="row-main"><span class="cite">{esc(c.citation)}{badge}</span>'
            f'<span class="first">{line}</span></span>{bar}</summary>'
            f'<div class="row-body"><div class="text">{text}</div>{units}'
            f'<button class="copy-btn" type="button" data-copy="{copy}">复制引文和原文</button></div></details>')
    return f'<div class="rows">{head}<div class="empty">{title}</div>{"".join(rows)}</div>'


def _with_focus(text: str, focus: str | None, query: str) -> str:
    """The clause text with the 款/项 a reference names marked as a whole (its lines may be joined in `focus`)."""
    if focus:
        lines = [ln for ln in focus.split("\n") if ln.strip()]
        at = text.find(lines[0]) if lines else -1
        end = text.find(lines[-1], at) + len(lines[-1]) if at >= 0 and text.find(lines[-1], at) >= 0 else -1
        if at >= 0 and end > at:
            return (esc(text[:at]) + f'<mark class="focus">{esc(text[at:end])}</mark>' + esc(text[end:]))
    return highlight(text, query)


DOCS_HEADERS = ["标题", "版本", "效力", "文号", "发文机关", "日期", "类型", "条款数", "来源", "提示", "doc_id"]
DOCS_WIDTHS = ["15%", "7%", "13%", "9%", "13%", "7%", "5%", "4%", "10%", "10%", "7%"]


def docs_rows(library: Sequence[tuple[Any, int, Any, str]]) -> list[list]:
    """The library table: each document with its version (edition), status line, origin and flags."""
    return [[m.title, v.tag or m.edition or "—", line, m.doc_number or "—", m.issuer or "—", m.date or "—",
             m.kind or "—", n, origin_text(m), flag_text(m), m.doc_id] for m, n, v, line in library]


def version_choices(library: Sequence[tuple[Any, int, Any, str]]) -> list[tuple[str, str]]:
    """(label, doc_id) per document for a status dropdown: versions of one law are told apart by their edition."""
    return [(f"{m.title}（{v.tag or m.edition}）" if (v.tag or m.edition) and len(v.versions) > 1 else m.title, m.doc_id)
            for m, n, v, line in library]


def origin_text(m: Any) -> str:
    """How a document arrived, by whom and when: 网页上传 · 张三 · 2026-12-02 10:31 (— for records from before)."""
    from index.models import ORIGIN_NAMES

    if not getattr(m, "origin", None):
        return "—"
    parts = [ORIGIN_NAMES.get(m.origin, m.origin)]
    if m.added_by:
        parts.append(m.added_by)
    if m.added_at:
        parts.append(m.added_at[:16].replace("T", " "))
    return " · ".join(parts)


def flag_text(m: Any) -> str:
    flagged = tuple(getattr(m, "flagged", ()) or ())
    if not flagged:
        return ""
    shown = "、".join(flagged[:3]) + ("等" if len(flagged) > 3 else "")
    return f"⚠️ 含疑似针对问答系统的指令文本（{shown}），不用于回答"


# ---- library messages ---------------------------------------------------------------------------------


def _named(line: str) -> str:
    """An ingest line "<path>: <text>" with the path cut to its file name: web users never see server paths."""
    head, sep, rest = line.partition(": ")
    return f"{Path(head).name}: {rest}" if sep and ("/" in head or "\\" in head) else line


def import_message(report: Any, rejected: Sequence[str]) -> str:
    """What became of an upload: ✅ only when something was imported; every failure on its own line."""
    lines = [f"❌ {r}" for r in rejected]
    if report is not None:
        lines += [f"❌ {Path(f.path).name}: {f.error}" for f in report.failed]
        lines += [f"⚠️ {_named(w)}" for w in report.warnings]
        failed = len(report.failed) + len(rejected)
        if report.documents:
            head = f"✅ 导入 {report.documents} 个文件（{report.clauses} 条）"
            head += f"，未变化跳过 {report.skipped_unchanged} 个" if report.skipped_unchanged else ""
            head += f"，{failed} 个失败。" if failed else "。"
        elif report.skipped_unchanged and not failed:
            head = f"ℹ️ 文件未变化，已跳过 {report.skipped_unchanged} 个，没有新导入的文件。"
        else:
            head = f"🚫 未导入任何文件：{failed} 个失败" + (f"，{report.skipped_unchanged} 个未变化" if report.skipped_unchanged else "") + "。"
        lines.insert(0, head)
    elif rejected:
        lines.insert(0, f"🚫 未导入任何文件：{len(rejected)} 个被拒绝。")
    return "\n\n".join(lines) or "没有可导入的文件。"


def reindex_message(report: Any, skipped: Sequence[Any]) -> str:
    lines = [f"✅ 重新索引完成：更新 {report.documents} 个文件，未变化 {report.skipped_unchanged} 个"
             + (f"，{len(report.failed)} 个失败" if report.failed else "") + "。"]
    lines += [f"❌ {Path(f.path).name}: {f.error}" for f in report.failed]
    lines += [f"⏭️ {s.name}: 上次导入失败（{s.reason}），已跳过；如需重试，请重新上传或由管理员用命令行导入" for s in skipped]
    return "\n\n".join(lines)

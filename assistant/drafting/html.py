"""A `DraftTable` as an HTML table for the app's 起草助手 tab. All document text is escaped."""
from __future__ import annotations

import html

from assistant.drafting.types import NOT_FOUND, DraftTable

STYLE = """<style>
.draft-wrap { overflow-x: auto; }
.draft-table { border-collapse: collapse; width: 100%; font-size: .92em; }
.draft-table th, .draft-table td { border: 1px solid var(--border-color-primary); padding: 6px 8px; vertical-align: top; text-align: left; }
.draft-table th { background: var(--background-fill-secondary); white-space: nowrap; }
.draft-table td.long { min-width: 14em; line-height: 1.55; }
.draft-table td.long .clip { max-height: 7.8em; overflow-y: auto; }
.draft-table td.name { min-width: 9em; }
.draft-table td.nw { white-space: nowrap; }
.draft-table td.cite { min-width: 11em; }
.draft-table tr.nf td { color: var(--body-text-color-subdued); background: repeating-linear-gradient(45deg, transparent, transparent 6px, var(--background-fill-secondary) 6px, var(--background-fill-secondary) 12px); }
.draft-table .cite { font-size: .88em; }
.draft-meta { margin: 4px 0 8px; color: var(--body-text-color-subdued); }
</style>"""
LONG_COLUMNS = ("原文", "相关规定（原文）", "其他单位", "责任单位")
NAME_COLUMNS = ("指标", "文件", "任务", "数字与年份")
NARROW_COLUMNS = ("目标值", "比较", "基准年", "目标年", "角色", "条款")


def _cell(value: str) -> str:
    return "<br>".join(html.escape(line) for line in str(value).split("\n"))


def table_html(table: DraftTable, empty: str = "没有找到符合条件的行。") -> str:
    meta = [f"{html.escape(table.title)} · 共 {len(table.rows)} 行"] + [html.escape(n) for n in table.notes]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    cite = table.columns.index(table.citation_column) if table.citation_column in table.columns else -1
    body = []
    for row in table.rows:
        cells = []
        for k, (col, value) in enumerate(zip(table.columns, row)):
            long = col in LONG_COLUMNS
            if k == cite and value:
                copy = html.escape(str(value).replace("\n", "；"), quote=True)
                cells.append(f'<td class="cite">{_cell(value)}<br><button class="copy-btn" data-copy="{copy}">复制</button></td>')
            elif long:  # long quotes scroll inside their cell; the export keeps them whole
                cells.append(f'<td class="long"><div class="clip">{_cell(value)}</div></td>')
            else:
                cls = ' class="name"' if col in NAME_COLUMNS else ' class="nw"' if col in NARROW_COLUMNS else ""
                cells.append(f"<td{cls}>{_cell(value)}</td>")
        nf = ' class="nf"' if NOT_FOUND in row else ""
        body.append(f"<tr{nf}>{''.join(cells)}</tr>")
    if not body:
        return STYLE + f'<div class="draft-meta">{" · ".join(meta)}</div><div class="empty">{html.escape(empty)}</div>'
    return (STYLE + f'<div class="draft-meta">{"<br>".join(meta)}</div><div class="draft-wrap"><table class="draft-table">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")

"""Build a document's outline tree from normalised lines.

Levels are decided by numbering markers and their sequence (a marker is a
heading only if it continues its level's numbering or opens a new level at 1),
never by Markdown depth; a line that mentions 第X条 mid-sentence is content.
A statute's headings come from index/articles.py, which weighs its numbering as evidence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.articles import statute_layout
from index.markers import KIND_HEADING, OUTLINE_KINDS, Marker, match_marker
from index.normalize import Line

_ANNEX = re.compile(r"^附件\s*(\d{1,2}|[一二三四五六七八九十]{1,3})?\s*[:：]?\s*(.{0,30})$")
_CLOSING = re.compile(r"^(?:抄送|抄报|主送|分送|信息公开属性|公开属性|（此件公开发布）|\(此件公开发布\)|此件公开发布)")
_PRINTED = re.compile(r"(?:19|20)\d{2}年\d{1,2}月\d{1,2}日印发$")
_OFFICE = re.compile(r"^.{2,30}(?:办公室|办公厅|人民政府|局|委员会)$")
_TITLE_SPLIT = re.compile(r"[。；;：:]")


@dataclass
class Section:
    marker: Marker | None
    line_index: int  # the heading line; -1 for the root
    title: str
    children: list["Section"] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # own lines: heading line + content before children / after
    rank: float = 0.0  # depth of the heading's level: a heading closes the open ones of equal or greater rank

    @property
    def kind(self) -> str | None:
        return self.marker.kind if self.marker else None


@dataclass
class Annex:
    number: str  # "1", "2", or "" when unnumbered
    title: str
    lines: list[int] = field(default_factory=list)


@dataclass
class Outline:
    statute: bool
    head: list[int]  # lines before the first heading
    root: Section
    annexes: list[Annex]
    closing: list[int]  # 抄送 / 印发 block


def section_title(line: Line, marker: Marker) -> str:
    """A heading's title: its bold head, or the line up to its first sentence end."""
    if marker.kind == KIND_HEADING:
        return line.text
    if marker.kind in ("bian", "fenbian", "zhang", "jie"):
        return (marker.raw + " " + marker.rest).strip() if marker.rest else marker.raw
    if marker.kind == "tiao":
        return marker.raw
    rest = marker.rest.strip()
    if line.bold_head:
        head = match_marker(line.bold_head)
        rest = (head.rest if head else line.bold_head).strip()
    else:
        first = _TITLE_SPLIT.split(rest, 1)[0]
        rest = first if len(first) <= 60 else first[:30] + "…"
    return marker.canonical() + rest.rstrip("。；;：:，, ")


def _first_heading(lines: list[Line]) -> int | None:
    for i, line in enumerate(lines):
        m = match_marker(line.text)
        if m is not None and m.number == 1 and not line.is_table_row and m.kind in OUTLINE_KINDS:
            return i
    return None


def build_outline(lines: list[Line]) -> Outline:
    layout = statute_layout(lines)
    start = layout.start if layout else _first_heading(lines)
    root = Section(None, -1, "")
    if start is None:
        return Outline(False, [], root, [], [])  # no structure: the caller splits paragraphs
    closing_at = next((i for i in range(start, len(lines))
                       if _CLOSING.match(lines[i].text) or _PRINTED.search(lines[i].text)), len(lines))
    if closing_at < len(lines) and _PRINTED.search(lines[closing_at].text) and _OFFICE.search(lines[closing_at - 1].text):
        closing_at -= 1  # the printing office's line belongs to the 印发 block
    stack: list[Section] = [root]
    annexes: list[Annex] = []
    statute_heads = {h.line: h for h in layout.headings} if layout else {}
    for i in range(start, closing_at):
        line = lines[i]
        a = _ANNEX.match(line.text)
        if a and not line.is_table_row and (annexes or i > start + 3):
            annexes.append(Annex(a.group(1) or "", a.group(2).strip()))
            annexes[-1].lines.append(i)
            continue
        if annexes:
            annexes[-1].lines.append(i)
            continue
        if layout:
            head = statute_heads.get(i)
            m, rank = (head.marker, head.rank) if head else (None, 0.0)
        else:
            m = None if line.is_table_row else match_marker(line.text)
            m = m if m is not None and _accept(m, stack) else None
            rank = _rank(m.kind) if m else 0.0
        if m is not None:
            while stack[-1].marker is not None and stack[-1].rank >= rank:
                stack.pop()
            sec = Section(m, i, section_title(line, m), rank=rank)
            sec.lines.append(i)
            stack[-1].children.append(sec)
            stack.append(sec)
            continue
        owner = stack[-1]
        owner.lines.append(i)
    return Outline(layout is not None, list(range(start)), root, annexes, list(range(closing_at, len(lines))))


def _rank(kind: str | None) -> int:
    return OUTLINE_KINDS.index(kind) if kind in OUTLINE_KINDS else -1


def _accept(m: Marker, stack: list[Section]) -> bool:
    """Is this outline marker a heading? It must continue its level's numbering or open a new level at 1."""
    if m.kind not in OUTLINE_KINDS:
        return False
    open_same = [s for s in stack if s.kind == m.kind]
    if open_same:
        return m.number == open_same[-1].marker.number + 1
    if m.number != 1:
        return False
    # A new level opens at 1 only below the innermost open heading's level; a shallower
    # kind restarting at 1 inside a deeper item is a list within that item's text.
    inner = stack[-1]
    return inner.marker is None or _rank(m.kind) > _rank(inner.kind) or _rank(m.kind) < 0

"""A statute's headings: which lines open an article (第X条) and which open a division (编/分编/章/节, ## 序言).

Numbering is evidence, not a gate. A 第X条 line opens an article when its number fits the sequence (the
next number, 之一 after its article, the first article after a division heading), whatever its first word;
a number that does not fit (a gap or a repeat the source really has, a statute that starts at 第二百零五条)
still opens one unless the line talks about an article (第十条规定的…) or the next article goes on from the
number before it (第二条, 第一百条 …, 第三条: the 第一百条 line was text). A division heading is a title-shaped
line (or a Markdown heading, whatever its number: the file says it is one). Markdown depth only places
unnumbered headings (## 序言), level with the numbered headings written at the same depth.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from index.markers import KIND_HEADING, Marker, match_marker
from index.metadata import kind_of
from index.normalize import Line

# Ranks of statute headings, from the top down. Unnumbered headings take a rank between these.
RANK = {"bian": 0.0, "fenbian": 1.0, "zhang": 2.0, "jie": 3.0, "tiao": 5.0}
_DIVISIONS = ("bian", "fenbian", "zhang", "jie")
# A heading is a title: short, no sentence punctuation inside (第七节相应改为第八节；… is a sentence; a
# title may list with 、 and ， and end with 。: 第五节 生活、卫生。).
MAX_TITLE_CHARS = 60
_SENTENCE_PUNCT = re.compile(r"[。；;：:！？!?]")
# A line with a tab is read as a table row; one that opens with a sentence is prose with a stray tab.
_PROSE_CELL = re.compile(r"[，。；：]")
_CONTENTS = re.compile(r"^目\s*录$")
# An unnumbered part heading is a word or two (序言, 附则, 一般规定); a document's title names its subject.
MAX_PART_NAME = 6
# A line that cites articles is a sentence about them (第七节相应改为第八节，第一百二十三条至…), not a title.
_CITES = re.compile(r"第[一二三四五六七八九十百千零〇\d]+条")
# Fewer articles than this, or fewer of them in sequence than this share, and the text is no statute;
# a text with an outline (一、…) needs more of them, since a plan may quote an article or two at a line start.
MIN_ARTICLES = 2
MIN_ARTICLES_BESIDE_OUTLINE = 3
MIN_IN_SEQUENCE = 0.5


@dataclass(frozen=True)
class Heading:
    line: int
    marker: Marker
    rank: float


@dataclass(frozen=True)
class StatuteLayout:
    start: int  # first line of the body; the lines before it are the head (title, 题注, 目录)
    headings: tuple[Heading, ...]  # divisions and articles, in line order


def _title_shaped(text: str) -> bool:
    text = text.strip().removesuffix("。")
    return len(text) <= MAX_TITLE_CHARS and not _SENTENCE_PUNCT.search(text) and not _CITES.search(text)


def _marker(line: Line) -> Marker | None:
    if not line.is_table_row:
        return match_marker(line.text)
    cells = line.text.split("\t")
    head = match_marker(cells[0])
    if len(cells) == 2 and head is not None and head.kind in _DIVISIONS and not head.rest:
        return match_marker(" ".join(cells))  # 第二章<tab>总则: a tab between number and title
    if line.md_heading or _PROSE_CELL.search(cells[0]):
        return match_marker(line.text)  # a heading, or prose with a stray tab
    return None  # a real table's cell (第五条 | 罚款…) opens nothing


def _division(line: Line, m: Marker | None) -> bool:
    return m is not None and m.kind in _DIVISIONS and (line.md_heading > 0 or _title_shaped(m.rest))


def _unnumbered(line: Line, m: Marker | None) -> bool:
    """A Markdown heading (## 序言, ## 一、一般规定) that is neither an article nor a division."""
    return (line.md_heading >= 2 and (m is None or m.kind not in RANK) and _title_shaped(line.text)
            and not _CONTENTS.match(line.text))


def statute_layout(lines: list[Line]) -> StatuteLayout | None:
    """The statute's headings, or None when the text is no statute (too few articles in sequence)."""
    markers = [_marker(line) for line in lines]
    first_article = next((i for i, m in enumerate(markers) if m and m.kind == "tiao" and not m.reads_as_reference), None)
    if first_article is None:
        return None
    start = _body_start(lines, markers, first_article)
    headings, in_sequence = _walk(lines, markers, start)
    articles = sum(1 for h in headings if h.marker.kind == "tiao")
    outline = any(m is not None and m.kind == "cn_dun" and m.number == 1 for m in markers)
    if articles < (MIN_ARTICLES_BESIDE_OUTLINE if outline else MIN_ARTICLES) or in_sequence < MIN_IN_SEQUENCE * articles:
        return None
    return StatuteLayout(start, tuple(headings))


def _body_start(lines: list[Line], markers: list[Marker | None], first_article: int) -> int:
    """The first heading of the body. A 目录 lists the divisions before the body repeats them: when the
    first division comes again before the first article, the body starts at its last repetition. A heading
    that names a document (## 关于印发…的通知, ## 上海市某某管理办法) belongs to the head, with the title."""
    before = [i for i in range(first_article) if _division(lines[i], markers[i])
              or (_unnumbered(lines[i], markers[i]) and not _names_document(lines[i], markers[i]))
              or (i == first_article - 1 and _outline_heading(lines[i], markers[i], 0))]
    if not before:
        return first_article
    first = markers[before[0]]
    if first is None or first.kind not in _DIVISIONS:
        return before[0]
    again = [i for i in before if markers[i] and (markers[i].kind, markers[i].number) == (first.kind, first.number)]
    return again[-1]


def _walk(lines: list[Line], markers: list[Marker | None], start: int) -> tuple[list[Heading], int]:
    """Headings of the body in order, and how many articles fit the sequence exactly."""
    depth_rank = _depth_ranks(lines, markers, start)
    headings: list[Heading] = []
    counters: dict[str, int] = {}  # last number of each division kind under the current parent
    last: tuple[int, int] | None = None  # the last article's (number, sub)
    jumped: tuple[Heading, tuple[int, int] | None] | None = None  # the last article, if off the sequence
    in_sequence = 0
    outline_last = 0  # the last 一、 heading between articles, in a text without Markdown headings
    for i in range(start, len(lines)):
        line, m = lines[i], markers[i]
        if m is not None and m.kind == "tiao":
            fits = _fits(m, last)
            after_heading = bool(headings) and headings[-1].line == i - 1 and headings[-1].marker.kind != "tiao"
            forward = last is None or m.number > last[0]
            if not (fits or after_heading) and jumped is not None and _fits(m, jumped[1]):
                # The last article jumped ahead and this one continues from before the jump: the jump was a
                # line about another article (第一百条 …), so it goes back to being text.
                headings.remove(jumped[0])
                last, fits, jumped = jumped[1], True, None
            if fits or (after_heading and forward) or _plausible(m, last):
                # in order: the next number, or a later one (an excerpt's 第一条, 第十二条, 第四十条)
                in_sequence += fits or after_heading or forward
                jumped = (Heading(i, m, RANK["tiao"]), last) if not (fits or after_heading) else None
                last = (m.number, m.sub)
                headings.append(jumped[0] if jumped else Heading(i, m, RANK["tiao"]))
            continue
        if _division(line, m):
            # A number that goes back is a sentence's mention, unless Markdown says it is a heading.
            if line.md_heading or m.number >= counters.get(m.kind, 0) or m.number == 1:
                counters[m.kind] = m.number
                for lower in _DIVISIONS[_DIVISIONS.index(m.kind) + 1:]:
                    counters.pop(lower, None)  # 节 numbering restarts in each 章, 章 in each 编 (刑法 分则)
                headings.append(Heading(i, m, RANK[m.kind]))
            continue
        if _unnumbered(line, m):
            marker = m if m is not None else Marker(KIND_HEADING, 0, line.text, "")
            headings.append(Heading(i, marker, depth_rank(line.md_heading)))
            continue
        if _outline_heading(line, m, outline_last) and _next_is_article(markers, i):
            outline_last = m.number
            headings.append(Heading(i, m, RANK["zhang"]))
    return headings, in_sequence


def _outline_heading(line: Line, m: Marker | None, last: int) -> bool:
    """一、一般规定 over the articles of a judicial interpretation, in a text without Markdown headings."""
    return (m is not None and m.kind == "cn_dun" and not line.md_heading and _title_shaped(line.text)
            and m.number == last + 1)


def _names_document(line: Line, m: Marker | None) -> bool:
    """## 上海市某某管理办法 / ## 关于印发…的通知: a document's title, not a part's (## 序言, ## 一、一般规定)."""
    return m is None and len(line.text) > MAX_PART_NAME and kind_of(line.text) is not None


def _fits(m: Marker, last: tuple[int, int] | None) -> bool:
    if last is None:
        return m.number == 1 and not m.sub
    return (m.number, m.sub) in ((last[0] + 1, 0), (last[0], last[1] + 1))


def _plausible(m: Marker, last: tuple[int, int] | None) -> bool:
    """A number off the sequence still opens an article unless the line talks about one: a gap or a repeat
    the source has, a statute that starts past 第一条, a second statute restarting at 第一条."""
    if m.reads_as_reference:
        return False
    return last is None or m.number >= last[0] or (m.number == 1 and not m.sub)


def _next_is_article(markers: list[Marker | None], i: int) -> bool:
    nxt = markers[i + 1] if i + 1 < len(markers) else None
    return nxt is not None and nxt.kind == "tiao"


def _depth_ranks(lines: list[Line], markers: list[Marker | None], start: int):
    """Rank of an unnumbered heading by its Markdown depth: level with the numbered divisions written at
    that depth, between the ranks of the depths around it, or at 章 level when the text has none."""
    known: dict[int, float] = {}
    for i in range(start, len(lines)):
        if lines[i].md_heading and _division(lines[i], markers[i]):
            known.setdefault(lines[i].md_heading, RANK[markers[i].kind])

    def rank(depth: int) -> float:
        if depth in known:
            return known[depth]
        if not known:
            return RANK["zhang"]
        above = [r for d, r in known.items() if d < depth]
        below = [r for d, r in known.items() if d > depth]
        if above and below:
            return (max(above) + min(below)) / 2
        # Shallower than every numbered heading (## 序言 over ### 第一章): level with the top one, since an
        # unnumbered heading never holds the numbered divisions.
        return max(above) + 0.5 if above else min(below)
    return rank

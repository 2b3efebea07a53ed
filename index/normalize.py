"""Normalise extracted document text into clean paragraph lines.

PDF-extracted plans are hard-wrapped every ~38 characters with blank lines
between, carry page markers and stray spaces between CJK characters; Markdown
files carry `#`, `**`, `---` and HTML comments. The output is one paragraph per
line, and it is what clauses quote verbatim. Markdown structure is kept as
per-line hints for the clause parser, not as text.
"""
from __future__ import annotations

import re
from collections import Counter
import unicodedata
from dataclasses import dataclass

from index.markers import match_marker

# A page marker line: "— 18 —", "- 3 -", "–3–", "第 3 页", "第3页 共30页", "3 / 30".
_PAGE_MARKER = re.compile(
    r"^\s*(?:[—\-–－]{1,2}\s*\d{1,4}\s*[—\-–－]{1,2}|第\s*\d{1,4}\s*页(?:\s*[，,/]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4})\s*$"
)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_MD_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s*")
_MD_BOLD = re.compile(r"(\*\*|__)(.+?)\1")
_MD_EMPH = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)\*(?!\w)")
_MD_QUOTE = re.compile(r"^\s*>\s?")
_MD_BULLET = re.compile(r"^\s*[-*+]\s+(?=\S)")

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Compatibility forms of CJK characters that PDF text layers emit for ordinary ones (a font's glyph names map 一
# to the Kangxi radical ⼀ U+2F00, 金 to ⾦, 月 to ⽉): NFKC turns them back. Only these blocks are normalised —
# NFKC would also fold full-width punctuation (（一） → (一)), which the documents' structure depends on.
_CJK_COMPAT = re.compile("[\u2e80-\u2eff\u2f00-\u2fdf\uf900-\ufaff\U0002f800-\U0002fa1f]")
# Characters that print nothing: zero-width spaces and joiners, word joiner, BOM, soft hyphen. Web pages saved as
# text carry them, even on lines of their own, which would otherwise become an empty paragraph an answer quotes.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
# Full-width punctuation and CJK brackets.
_FW_PUNCT = r"\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2014\u2018\u2019\u201c\u201d\u2026\u00b7"
_SPACE = r"[ \t\u00a0\u3000]+"
# Spaces next to a CJK character or full-width punctuation are layout noise.
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJK}{_FW_PUNCT}]){_SPACE}|{_SPACE}(?=[{_CJK}{_FW_PUNCT}])")

# A line ending in one of these ends a sentence (or a heading's punctuation).
_TERMINAL = set("。！？；：!?;:）)」』】》”")
# Lines that stand alone in a letterhead or signature: an organisation's name, a date, a 文号,
# "X文件", a document or annex title. They never continue another line, nor are continued.
_STANDALONE = re.compile(
    r"^(?:[\u4e00-\u9fff]{2,30}(?:局|委员会|人民政府|办公室|办公厅|厅|委)|[\u4e00-\u9fff]{0,30}文件"
    r"|(?:19|20)\d{2}年\d{1,2}月\d{1,2}日(?:印发)?"
    r"|[\u4e00-\u9fff]{1,10}〔(?:19|20)\d{2}〕\d{1,4}号"
    r"|[^，。；：:,]{0,40}(?:方案|条例|办法|规定|细则|意见|规划|计划|纲要|决定|通知|公告|指引|指南|措施|目录|指标|清单|项目|一览表)"
    r"|附件\s*\d{0,2}"
    r"|[^。；]{0,80}关于[^。；]{1,100}的(?:通知|决定|意见|批复|函|公告|通告|报告)"  # a notice's title, however long
    r"|各[^。；]{1,80}[：:])$"  # the salutation: 各镇人民政府、街道办事处，…各有关单位：
)
# The 版记 block at the end of a document opens a new line.
_CLOSING_START = re.compile(r"^(?:抄送|抄报|主送|分送|信息公开属性|公开属性|（此件公开发布）|\(此件公开发布\))")
# Lines opening with a date (a regulation's adoption and amendment record) are entries of a list.
_DATED = re.compile(r"^(?:19|20)\d{2}年\d{1,2}月\d{1,2}日")
# A line ending in one of these certainly continues on the next line.
_CONTINUES = set("、，,（(《“‘〔[【—")


def _opens_block(text: str, wrapped: bool) -> bool:
    """Does this line open a numbered block? In hard-wrapped (PDF) text a line may start mid-sentence,
    and 第十条 followed by words about an article (…依照本法 / 第十条规定的…) is then a wrapped reference."""
    m = match_marker(text)
    return m is not None and not (wrapped and m.reads_as_reference)


@dataclass(frozen=True)
class Line:
    text: str  # normalised paragraph text
    md_heading: int = 0  # Markdown heading depth (0 = none); a hint only
    bold_head: str | None = None  # bold text at the start of the line, e.g. an item's title
    is_table_row: bool = False  # tab-separated cells


@dataclass(frozen=True)
class NormalizedText:
    lines: tuple[Line, ...]
    wrapped: bool  # hard-wrapped (PDF-extracted) text was detected and joined

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def display_width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def clean_spaces(s: str) -> str:
    """Remove stray spaces between CJK characters and around full-width punctuation."""
    s = _SPACE_NEAR_CJK.sub("", s)
    return re.sub(r"[ \t\u00a0]{2,}", " ", s).strip()


def _strip_markdown(line: str) -> tuple[str, int, str | None]:
    depth = 0
    m = _MD_HEADING.match(line)
    if m:
        depth = len(m.group(1))
        line = line[m.end():]
    line = _MD_QUOTE.sub("", line)
    line = _MD_BULLET.sub("", line)
    bold_head = None
    # Bold at the start of the line (after an optional outline marker) is an item's title.
    stripped = line.strip()
    b = _MD_BOLD.search(stripped)
    if b:
        before = stripped[: b.start()]
        if not before.strip() or match_marker(before.strip() + "x") is not None:
            bold_head = b.group(2).strip()
    line = _MD_BOLD.sub(r"\2", line)
    line = _MD_EMPH.sub(r"\1", line)
    line = line.replace("**", "")
    return line, depth, bold_head


def _is_wrapped(widths: list[int]) -> tuple[bool, float]:
    """Hard-wrapped text (a PDF's text layer) has a sharp peak of lines at one display width, the wrap width.

    Short lines (a paragraph's tail, headings) don't count against it: a statute whose articles each wrap
    once has as many tails as full lines. Text with a paragraph a line has no such peak, or a wide one.
    """
    if len(widths) < 20:
        return False, 0.0
    counts = Counter(widths)
    peak = max(range(30, 101), key=lambda w: sum(counts[x] for x in range(w - 3, w + 4)))
    at_peak = sum(counts[x] for x in range(peak - 3, peak + 4))
    long = sum(1 for x in widths if x >= 0.5 * peak)
    if at_peak < 8 or at_peak / long < 0.3 or sum(1 for x in widths if x > 1.15 * peak) > 0.1 * len(widths):
        return False, 0.0
    mode = max(range(peak - 3, peak + 4), key=lambda x: (counts[x], x))  # the wrap width itself
    return True, float(mode)


def normalize_text(raw: str, fmt: str = "txt") -> NormalizedText:
    """Turn extracted text into paragraph lines (see module docstring)."""
    raw = _INVISIBLE.sub("", raw.replace("\r\n", "\n").replace("\r", "\n"))
    raw = _CJK_COMPAT.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), raw)
    markdown = fmt == "md"
    if markdown:
        raw = _HTML_COMMENT.sub("\n", raw)
    items: list[tuple[str, int, str | None, bool, int]] = []
    for src in raw.split("\n"):
        # How much of the line the text fills, indentation included: a PDF's indented 第三条　… first line
        # is as full as the lines it wraps into, though cleaning removes its indent and spaces.
        fill = display_width(src.rstrip())
        if _PAGE_MARKER.match(src):
            continue
        table = "\t" in src.strip(" \u3000")
        depth, bold = 0, None
        if markdown:
            if _MD_RULE.match(src):
                continue
            src, depth, bold = _strip_markdown(src)
        if table:
            cells = [clean_spaces(c) for c in src.strip(" \u3000\n").split("\t")]
            text = "\t".join(cells).strip("\t")
        else:
            text = clean_spaces(src)
        if text:
            items.append((text, depth, bold and clean_spaces(bold), table, fill))

    wrapped, wrap_w = _is_wrapped([fill for _, _, _, tab, fill in items if not tab])
    lines: list[Line] = []
    prev_full = prev_joined = False
    for text, depth, bold, table, fill in items:
        starts_block = table or depth > 0 or _opens_block(text, wrapped)
        if lines and not starts_block and not lines[-1].is_table_row and lines[-1].md_heading == 0:
            prev = lines[-1].text
            if _continues(prev, text, prev_full, wrapped, prev_joined):
                lines[-1] = Line(_join(prev, text), 0, lines[-1].bold_head, False)
                prev_full = wrapped and fill >= 0.85 * wrap_w
                prev_joined = True
                continue
        lines.append(Line(text, depth, bold, table))
        prev_joined = False
        if wrapped and _opens_block(text, wrapped):
            prev_full = fill >= 0.88 * wrap_w  # a heading wraps only when it (nearly) fills the line
        else:
            prev_full = wrapped and fill >= 0.85 * wrap_w
    return NormalizedText(tuple(lines), wrapped)


def _continues(prev: str, nxt: str, prev_full: bool, wrapped: bool, prev_joined: bool = False) -> bool:
    """Does `nxt` continue the sentence that `prev` ends? (`prev_joined`: prev is already several lines.)"""
    last = prev[-1]
    if last in _CONTINUES or prev.count("《") > prev.count("》") or prev.count("“") > prev.count("”"):
        return True
    if _STANDALONE.match(prev) or _STANDALONE.match(nxt) or _CLOSING_START.match(nxt) or (_DATED.match(prev) and _DATED.match(nxt)):
        return False
    if wrapped and prev_full:
        return True
    if last in _TERMINAL:
        return False
    if wrapped:
        # A short unpunctuated line in wrapped text ends a page mid-sentence, unless it is a heading
        # (a numbered line on its own; a numbered paragraph already joined from several lines is no heading).
        return prev_joined or not _opens_block(prev, wrapped)
    # An unwrapped line cut mid-sentence: long text ending in a CJK character or digit.
    # (A numbered line that long is a heading with its text, not a standalone heading.)
    limit = 80 if _opens_block(prev, wrapped) else 60
    return display_width(prev) > limit


def _join(a: str, b: str) -> str:
    """Join two pieces of one sentence; keep a space only between two Latin words (a number wrapped
    as 9 / 0% is one number)."""
    if re.match(r"[A-Za-z0-9]", a[-1:]) and re.match(r"[A-Za-z0-9]", b[:1]) and not (a[-1].isdigit() and b[0].isdigit()):
        return a + " " + b
    return a + b

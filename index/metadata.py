"""Document metadata from the head of a normalised document: title, 文号, issuer, date, version, kind.

Only what the document itself says: a field the head doesn't state is None.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from index.history import is_history_line, read_history
from index.markers import match_marker

# Names of document kinds a title ends with: 公文 kinds, then the kinds of laws and judicial documents.
# 法 comes last, after the kinds that end with it (办法).
_KIND_SUFFIXES = (
    "实施方案", "工作方案", "行动方案", "方案", "实施细则", "细则", "条例", "办法", "规定", "规则",
    "实施意见", "意见", "规划", "计划", "纲要", "决定", "通知", "公告", "通告", "准则", "指引", "指南", "措施",
    "决议", "命令", "批复", "答复", "解释", "解答", "安排", "修正案", "守则", "规范", "标准", "章程", "法典", "法",
)
_TITLE = re.compile(r"^[^，。；：:！？,;]{2,60}(?:" + "|".join(_KIND_SUFFIXES) + r")(?:（[^（）]{1,20}）)?$")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}\s*[〔\[［【(（]\s*((?:19|20)\d{2})\s*[〕\]］】)）]\s*(\d{1,4})\s*号")
_DATE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
# A notice that issues a document: its title is the document's. (关于适用《民事诉讼法》的解释 issues none.)
_NOTICE_TITLE = re.compile(r"^(?P<issuer>[^《]{2,40}?)?关于(?:印发|发布|转发|颁布)\s*《(?P<title>[^》]{2,60})》")
_ISSUING = re.compile(r"关于(?:印发|发布|转发|颁布)")
# The corpus's file names carry the version's date: 护照法(2006-04-29).md; a title never does.
_FILE_DATE = re.compile(r"\s*[(（]\d{4}-\d{2}-\d{2}[)）]$")
_ORG = re.compile(r"(?:人民政府|委员会|局|委|办公室|厅|部|院|政府)$")
_ISSUER_LINE = re.compile(r"^(?P<org>.{2,40}?)文件$")
_CONGRESS = re.compile(r"(?P<place>[\u4e00-\u9fff]{2,10}?)第[一二三四五六七八九十]+届(?P<body>人民代表大会常务委员会|人民代表大会)")


@dataclass(frozen=True)
class HeadInfo:
    title: str | None
    title_line: int | None  # index of the title line in the head, if the head has one
    doc_number: str | None
    issuer: str | None
    date: str | None
    kind: str | None
    version_date: str | None = None  # the latest adoption / amendment the 题注 states
    part: str | None = None  # a second `# ` line under the title: the part a file holds (民法典 / 物权编)
    edition: str | None = None  # how a citation names this version (2024年修正), from the 题注
    effective_date: str | None = None  # the 施行 date the 题注 states


def canonical_doc_number(m: re.Match) -> str:
    prefix = re.sub(r"\s+", "", m.group(0).split(m.group(1))[0])
    prefix = re.sub(r"[〔\[［【(（]$", "", prefix)
    return f"{prefix}〔{m.group(1)}〕{int(m.group(2))}号"


def iso_date(m: re.Match) -> str:
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"


def kind_of(title: str | None) -> str | None:
    if not title:
        return None
    t = re.sub(r"（[^（）]*）$", "", title)
    for suffix in _KIND_SUFFIXES:
        if t.endswith(suffix):
            return suffix
    return None


def find_title_line(head: list[str], heading: int | None = None) -> int | None:
    """The document's own title: the head's `# ` line (`heading`) when it reads as a title, else the last
    title-shaped line of the head that isn't the notice's."""
    if heading is not None and _reads_as_title(head[heading]):
        return heading
    best = None
    for i, line in enumerate(head):
        if _ISSUING.search(line) or _DOC_NUMBER.search(line) or is_history_line(line):
            continue  # the notice's own title, its 文号, a 题注 line (…第二次会议主席团公告)
        if match_marker(line) is not None or re.fullmatch(r"目\s*录", line.strip()):
            continue  # a 目录 entry (第一章 总则 / 第一节 一般规定) is no title
        if _TITLE.match(line):
            best = i
    return best


MAX_TITLE_LINES = 4
MAX_TITLE_CHARS = 80


def _wrapped_title(head: list[str], i: int) -> str:
    """The title line, with the lines it continues when a centred title is set over several lines
    (最高人民法院 / 关于审理…案件适用法律 / 若干问题的解释): short lines with no punctuation that neither end a
    title themselves nor are a date, a 文号 or a bracketed note; an organisation's name only as the issuer
    of a 关于 title (a signature above a plan's title is no part of it)."""
    start = i
    while start > 0 and i - start < MAX_TITLE_LINES - 1:
        prev, title = head[start - 1], "".join(head[start:i + 1])
        issuer_part = title.startswith("关于") or _ORG.search(head[start]) is not None
        if (_SENTENCE_END.search(prev) or re.search(r"[，,。；]", prev) or prev.startswith(("（", "("))
                or is_history_line(prev) or _DOC_NUMBER.search(prev) or _ISSUER_LINE.match(prev) or kind_of(prev)
                or (_ORG.search(prev) and not issuer_part) or match_marker(prev) is not None
                or len(prev) + len(title) > MAX_TITLE_CHARS):
            break
        start -= 1
    return "".join(head[start:i + 1])


def _reads_as_title(line: str) -> bool:
    """A `# ` line is the title unless it is a letterhead (XX人民政府文件), a 文号, a date or a notice."""
    return not (_ISSUER_LINE.match(line) or _DOC_NUMBER.search(line) or _DATE.fullmatch(line.strip())
                or _NOTICE_TITLE.match(line) or match_marker(line) is not None)


_SENTENCE_END = re.compile(r"[。！？；：!?;:]$")


def leading_block(head: list[str]) -> int:
    """How many leading lines of a text without numbered headings are its title block: lines up to the
    first sentence of the body (a 题注 line that ends with a full stop still belongs to the block)."""
    return next((i for i, line in enumerate(head) if _SENTENCE_END.search(line) and not is_history_line(line)), len(head))


_ONE_ORG = re.compile(r".+?(?:委员会|人民政府|办公厅|办公室|局|厅|部|院|委)")


def _joint_issuers(issuer: str) -> str:
    """上海市经济和信息化委员会上海市财政局 (two issuers whose separating space was cleaned) → joined with 、."""
    parts = _ONE_ORG.findall(issuer)
    if len(parts) >= 2 and "".join(parts) == issuer and all(len(p) >= 5 for p in parts):
        return "、".join(parts)
    return issuer


_MD_MARKS = re.compile(r"^[#＃]+\s*")


def read_head(head: list[str], fallback_title: str, headings: tuple[int, ...] = ()) -> HeadInfo:
    """Metadata from the lines before the first numbered heading (`headings`: the head's `# ` lines)."""
    title_idx = find_title_line(head, headings[0] if headings else None)
    part = next((head[k] for k in headings[1:2] if title_idx == headings[0] and _reads_as_title(head[k])), None)
    title = _wrapped_title(head, title_idx) if title_idx is not None else None
    notice_issuer = None
    for k, line in enumerate(head):
        # A notice title may wrap over two or three lines.
        m = _NOTICE_TITLE.match(line) or _NOTICE_TITLE.match("".join(head[k:k + 3]))
        if m and "关于" in line:
            title = title or m.group("title")
            if m.group("issuer") and _ORG.search(m.group("issuer").strip()):
                notice_issuer = _joint_issuers(m.group("issuer").strip())
            break
    title = title or _FILE_DATE.sub("", fallback_title)
    title = _MD_MARKS.sub("", title) or title  # a Markdown heading saved as .txt: # 上海市环境保护条例

    doc_number = None
    above, below = head[: title_idx if title_idx is not None else len(head)], head[title_idx + 1:] if title_idx is not None else []
    # A notice's 文号 stands above its title; a judicial interpretation repeats its title under the 题注 and puts
    # its 文号 (法释〔2024〕7号) on a line of its own below.
    for line in above + below:
        m = _DOC_NUMBER.search(line)
        if m and len(line) <= len(m.group(0)) + 6:  # a line that is the 文号, not a reference to another
            doc_number = canonical_doc_number(m)
            break

    issuer = None
    for i, line in enumerate(head):
        m = _ISSUER_LINE.match(line)
        if m and _ORG.search(m.group("org")):
            issuer = m.group("org")
            break
        if line == "文件":  # several issuers, one per line, above a bare 文件
            orgs = [x for x in head[max(0, i - 12): i] if _ORG.search(x) and len(x) <= 20]
            if orgs:
                issuer = "、".join(orgs)
                break
    issuer = issuer or notice_issuer
    history = read_history(head[title_idx + 1:] if title_idx is not None else head)
    issuer = issuer or history.issuer
    if issuer is None:
        for line in head:
            m = _CONGRESS.search(_DATE.sub("", line))
            if m:
                issuer = m.group("place") + m.group("body")
                break

    date = None
    dated = [line for line in head if _DATE.fullmatch(line.strip())]
    if dated:  # a line holding only a date: the signing date of the notice
        date = iso_date(_DATE.fullmatch(dated[-1].strip()))
    elif issuer and "人民代表大会" in issuer:
        # A regulation's 题注 lists adoption and amendments; its date is the latest one.
        dates = [_DATE.match(line.lstrip("（(")) for line in head]  # （2025年6月26日…通过）
        dates = [d for d in dates if d]
        if dates:
            date = iso_date(dates[-1])
    return HeadInfo(title, title_idx, doc_number, issuer, date, kind_of(title), history.version_date, part,
                    history.edition, history.effective_date)


_PRINTED = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*印发$")


def printed_date(closing: list[str]) -> str | None:
    """The 印发 date of the closing block (上海市松江区人民政府办公室 2023年5月22日印发), when the head has none."""
    for line in closing:
        m = _PRINTED.search(line.strip())
        if m:
            return iso_date(m)
    return None

"""References as people and the product write them, read into their parts: which document (《title》, a short title
or place, a 文号), which version (（2024年修正）, 2020年版, 修订前) and which clause (第十八条第二款第三项, 二、（一）1.,
附件1 第12项, 题注). Pure parsing: index/store/lookup.py resolves a Reference against the store.

Also the shape of an article's text (its 款 and their 项), which both lookup and the answerers read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from index.aliases import label_key
from index.markers import cn_to_int, int_to_cn
from index.metadata import _DOC_NUMBER, canonical_doc_number

# ---- an article's 款 and 项 -------------------------------------------------------------------------------
ARTICLE_HEAD = re.compile(r"^第[一二三四五六七八九十百零〇]+条\s*(?:[（(][^（）()]{1,20}[)）])?\s*")
ITEM_LINE = re.compile(r"^\s*(?:[（(][一二三四五六七八九十]{1,3}[)）]|\d{1,2}[.．、])")


def article_paragraphs(text: str) -> list[str]:
    """An article's 款, each with its 项: 第七条（技术标准）⏎集中充电设施应当具备下列功能：⏎（一）… → one 款.

    The label and a caption such as （技术标准） are dropped; a line opening with （一）/1. belongs to
    the 款 before it, and so does a line after one ending in ：.
    """
    return ["".join(lines) for lines in paragraph_lines(text)]


def paragraph_lines(text: str) -> list[list[str]]:
    """An article's 款 as their lines (the first line of each is the 款's own text, the rest its 项)."""
    out: list[list[str]] = []
    for i, line in enumerate(text.split("\n")):
        line = line.strip()
        if i == 0:
            line = ARTICLE_HEAD.sub("", line).strip()
        if not line:
            continue
        if out and (ITEM_LINE.match(line) or out[-1][-1].endswith(("：", ":"))):
            out[-1].append(line)
        else:
            out.append([line])
    return out


def items_of(lines: list[str]) -> list[str]:
    """The 项 lines among a 款's lines (（一）… / 1.…)."""
    return [line for line in lines if ITEM_LINE.match(line)]


# ---- references --------------------------------------------------------------------------------------------
RELATIVE_PREVIOUS = "previous"  # 修订前 / 旧版: the version before the current one
RELATIVE_CURRENT = "current"  # 现行 / 最新

_NUM = r"[一二三四五六七八九十百千零〇两\d]+"
_ARTICLE = re.compile(rf"第\s*({_NUM})\s*条(?:之\s*([一二三四五六七八九十]+))?"
                      rf"(?:\s*第\s*({_NUM})\s*款)?(?:\s*第\s*({_NUM})\s*项)?")
# An edition as a citation prints it: （2024年修正） / （2021年3月1日修正） / （2020年通过） / （旧版）.
_EDITION_TAG = re.compile(r"^((?:19|20)\d{2})\s*年(?:\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日)?\s*"
                          r"(修正|修订|修改|通过|公布|发布|批准|印发)?\s*(?:版|版本|文本)?$|^旧版$")
# An edition as a person asks for it: 2020年版 / 2020版 / 2024年修正版 / 2024年修正本 / 2022年修订.
_EDITION_ASKED = re.compile(r"((?:19|20)\d{2})\s*年?\s*(?:(\d{1,2})\s*月\s*(\d{1,2})\s*日)?\s*"
                            r"(?:(修正|修订|修改|通过|公布|发布|批准)\s*(?:版|版本|文本|本|后)?|(?:版|版本|文本))")
_PREVIOUS = re.compile(r"(?:修订|修正|修改)前(?:的)?(?:版本|文本|版)?|旧版(?:本)?|原版(?:本)?|上一版(?:本)?|前一版(?:本)?")
_CURRENT = re.compile(r"现行(?:有效)?(?:版本|文本|版)?|最新(?:版本|文本|版)?")
_PAREN = re.compile(r"[（(]([^（）()]{1,40})[)）]")
_PART = re.compile(r"[（(]第(\d+)部分，共\d+部分[)）]\s*$")  # the tail of a long clause's parts' citations
_CJK_NAME = re.compile(r"[\u4e00-\u9fff]")
# What may follow a 《title》 directly: its path (第十八条, 二、（一）1., 附件1, 题注), an edition asked for (2020年版,
# 修订前, 现行), a 文号 or a bracket.
_AFTER_TITLE = re.compile(r"第|[一二三四五六七八九十]+、|附件|题注|印发通知|引言|抄送印发|(?:19|20)\d{2}|修订前|修正前|修改前|旧版|原版|"
                          r"上一版|前一版|现行|最新|[\u4e00-\u9fff]{1,10}\s*[〔\[［【]")
# What a clause path may consist of (二、（一）1. / 第十八条第二款 / 附件1 第12项 / 第3段), and the labels
# that name a clause without a number.
_PATH_CHARS = re.compile(r"^[\s第一二三四五六七八九十百千零〇两\d条款项章节编之附件段、.．（）()\u2460-\u2473]*$")
WORD_LABELS = ("题注", "印发通知", "引言", "抄送印发", "附件目录")
_NO_UNIT = re.compile(r"第\s*[一二三四五六七八九十百千零〇两\d]+\s*(?![\s一二三四五六七八九十百千零〇两\d条款项章节编段之])")
_NOT_A_PATH = re.compile(r"(?<![第附件\d])\d{3,}")  # three digits or more outside 第…条/附件…: a year or a figure
_FILLER = re.compile(r"[\s，,。：:；;的]|中的|规定")  # words around a reference that are no search terms
_PATH_TAIL_WORDS = re.compile(r"(?<=[条款项段])(?:中|的|中的)?(?:规定|内容|全文|原文|条文)?[。？?]?$")
_NAME_TAIL = re.compile(r"(?:中的|的|中|[，,。：:；;])+$")


@dataclass(frozen=True)
class EditionSpec:
    """Which version a reference asks for."""

    year: int | None = None
    date: str | None = None  # ISO, when the day is given
    act: str | None = None  # 修正 / 修订 / 通过 …
    relative: str | None = None  # RELATIVE_PREVIOUS / RELATIVE_CURRENT
    old: bool = False  # 旧版 as printed for an undated superseded version

    def words(self) -> str:
        if self.relative == RELATIVE_PREVIOUS:
            return "修订前的版本"
        if self.relative == RELATIVE_CURRENT:
            return "现行版本"
        if self.old:
            return "旧版"
        return (f"{self.year}年" if self.year else "") + (self.act or "") + "版"


@dataclass(frozen=True)
class ArticlePath:
    number: int
    sub: int = 0  # 第十七条之一
    paragraph: int | None = None  # 第Y款
    item: int | None = None  # 第Z项

    @property
    def label(self) -> str:
        return f"第{int_to_cn(self.number)}条" + (f"之{int_to_cn(self.sub)}" if self.sub else "")

    def words(self) -> str:
        return self.label + (f"第{int_to_cn(self.paragraph)}款" if self.paragraph else "") + \
            (f"第{int_to_cn(self.item)}项" if self.item else "")


@dataclass(frozen=True)
class Reference:
    """A reference read into its parts; `rest` holds what is neither (a reference has none)."""

    text: str
    title: str | None = None  # inside 《》
    doc_number: str | None = None  # canonical 文号
    edition: EditionSpec | None = None
    article: ArticlePath | None = None
    path: str | None = None  # any clause path as written (二、（一）1. / 附件1 第12项 / 题注 / 第十八条)
    name: str = ""  # words naming the document (a short title, a place, 预付卡条例)
    rest: str = ""  # words that are neither
    part: int | None = None  # （第2部分，共3部分）: the part of a clause too long to store whole (1-based)

    @property
    def names_document(self) -> bool:
        return bool(self.title or self.doc_number or self.name)

    @property
    def path_key(self) -> str:
        """The path in the store's comparable form (label_key), or a word label (题注)."""
        if not self.path:
            return ""
        if self.article:
            return label_key(self.article.label)
        return label_key(self.path) or re.sub(r"\s+", "", self.path)


def parse(text: str) -> Reference:
    """Read a reference; never fails (an unreadable one has everything in `name`/`rest`)."""
    s = text.strip()
    part = None
    pm = _PART.search(s)
    if pm:
        part, s = int(pm.group(1)), s[:pm.start()]
    title, s = _take_title(s)
    doc_number = None
    m = _DOC_NUMBER.search(s)
    if m:
        doc_number = canonical_doc_number(m)
        s = s[:m.start()] + " " + s[m.end():]
    edition = None
    for pm in list(_PAREN.finditer(s)):
        spec = _edition_tag(pm.group(1).strip())
        # （1999年） after a bare name may be part of the title (宪法修正案（1999年）); after 《title》 it is a tag
        if spec is not None and (title or doc_number or spec.act or spec.old):
            edition = spec
            s = s[:pm.start()] + " " + s[pm.end():]
            break
    if edition is None:
        edition, s = _edition_asked(s)
    s = re.sub(r"[（(]\s*[)）]", " ", s)  # the brackets a removed 文号 leaves
    s = _PATH_TAIL_WORDS.sub("", s.rstrip())
    name, path = _split_path(s)
    article = None
    am = _ARTICLE.search(path or s)  # the path's article; else one inside the words (for ranked search)
    if am:
        number = cn_to_int(am.group(1))
        if number:
            article = ArticlePath(number, cn_to_int(am.group(2)) or 0 if am.group(2) else 0,
                                  cn_to_int(am.group(3)) if am.group(3) else None,
                                  cn_to_int(am.group(4)) if am.group(4) else None)
    if article and path and _ARTICLE.search(path) is None:
        article = None  # the path is no article (二（一）1), the 第X条 was inside the name
    if path and _ARTICLE.search(name):  # 《X》第三条 刑法第三百二十条: words about articles, no single reference
        name, path, article = name + path, "", (article if not path else None)
    rest = ""
    if name and (title or doc_number):
        rest = name  # 《X》 with words that are no path: a search inside X, or a label printed as words
        name = ""
    return Reference(text, title, doc_number, edition, article, path or None, name, _FILLER.sub("", rest), part)


def _take_title(s: str) -> tuple[str | None, str]:
    """The outermost 《…》 (titles may hold 《》 themselves: 《最高人民法院关于适用《…民事诉讼法》的解释》) when it
    delimits the title; a 《》 inside a name (北京市实施《…水法》办法, 《文物保护法》实施细则) is part of the name."""
    start = s.find("《")
    if start < 0:
        return None, s
    depth = 0
    for i in range(start, len(s)):
        if s[i] == "《":
            depth += 1
        elif s[i] == "》":
            depth -= 1
            if depth == 0:
                before, after = s[:start].rstrip(), s[i + 1:].lstrip()
                inside_a_name = (before and s[start - 1] not in " \t" and _CJK_NAME.match(before[-1])) or \
                    (after and s[i + 1] not in " \t" and _CJK_NAME.match(after[0]) and not _AFTER_TITLE.match(after))
                if inside_a_name:
                    return None, s
                inner = s[start + 1:i].strip()
                return (inner or None), s[:start] + " " + s[i + 1:]
    return None, s


def _edition_tag(inner: str) -> EditionSpec | None:
    m = _EDITION_TAG.match(inner)
    if not m:
        return None
    if not m.group(1):
        return EditionSpec(old=True)
    date = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m.group(2) else None
    return EditionSpec(int(m.group(1)), date, _act(m.group(4)))


def _edition_asked(s: str) -> tuple[EditionSpec | None, str]:
    m = _EDITION_ASKED.search(s)
    if m:
        date = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m.group(2) else None
        return EditionSpec(int(m.group(1)), date, _act(m.group(4))), s[:m.start()] + " " + s[m.end():]
    m = _PREVIOUS.search(s)
    if m:
        return EditionSpec(relative=RELATIVE_PREVIOUS), s[:m.start()] + " " + s[m.end():]
    m = _CURRENT.search(s)
    if m:
        return EditionSpec(relative=RELATIVE_CURRENT), s[:m.start()] + " " + s[m.end():]
    return None, s


def edition_asked(text: str) -> EditionSpec | None:
    """The version a question asks for (2020年版 / 2024年修正版 / 修订前 / 现行), or None."""
    return _edition_asked(text)[0]


def _act(word: str | None) -> str | None:
    return "修正" if word == "修改" else word


def _split_path(s: str) -> tuple[str, str]:
    """(name, path): the path is the longest tail of `s` made of numbering (or a word label such as 题注)."""
    s = s.strip()
    for label in WORD_LABELS:
        if s.endswith(label):
            return s[: -len(label)].strip(), label
    cut = len(s)
    for i in range(len(s) - 1, -1, -1):
        if _PATH_CHARS.match(s[i:]):
            cut = i
        else:
            break
    while cut < len(s) and s[cut] in "）)、.．":  # a bracket or stop the name ends with is the name's
        cut += 1
    name, path = s[:cut].strip(), s[cut:].strip()
    # A tail that names no number (、 or a lone 第) is no path, nor is a year (…自2020) or a figure, a 第N without
    # its unit, or a bare number run on from words (对于2015年1).
    bare = re.fullmatch(r"[\d.．]+|[一二三四五六七八九十百千零〇两]+", path)
    if path and (not label_key(path) or _NOT_A_PATH.search(path) or _NO_UNIT.search(path)
                 or (bare and (len(path) >= 3 or (cut and _CJK_NAME.match(s[cut - 1]))))):
        return s, ""
    name = _NAME_TAIL.sub("", re.sub(r"\s+", "", name))
    return name, path


_NAMED_ARTICLE = re.compile(rf"第\s*({_NUM})\s*条(?:之\s*([一二三四五六七八九十]+))?")


def named_article_keys(text: str) -> list[str]:
    """label_keys of the articles a text names (第十八条, 第18条, 第十七条之一), in order."""
    out = []
    for m in _NAMED_ARTICLE.finditer(text):
        n = cn_to_int(m.group(1))
        if n:
            out.append(label_key(ArticlePath(n, cn_to_int(m.group(2)) or 0 if m.group(2) else 0).label))
    return list(dict.fromkeys(k for k in out if k))

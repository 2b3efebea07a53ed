"""Recognise the numbering markers that open a clause or heading line.

Outline style (实施方案): 一、 / （一） / 1. / （1） / ①. Statute style (条例): 第X编 /
第X分编 / 第X章 / 第X节 / 第X条 (第X条之一). Levels come from the marker kind, never from Markdown depth.
Whether a 第X条 line really opens an article is decided by the sequence it falls in (index/articles.py),
not here: only what can never open one (第X条第Y款, 第X条、第Y条) is refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUM = "零〇一二两三四五六七八九十百千"

# Outline marker kinds, from the top level down.
OUTLINE_KINDS = ("cn_dun", "cn_paren", "ar_dot", "ar_paren", "circled")
# Statute heading kinds, from the top level down; 条 is the clause.
STATUTE_KINDS = ("bian", "fenbian", "zhang", "jie", "tiao")
_STATUTE_SUFFIX = {"编": "bian", "分编": "fenbian", "章": "zhang", "节": "jie", "条": "tiao"}
# An unnumbered heading of a statute (## 序言, ## 附则): it has a place in the path but no number.
KIND_HEADING = "heading"

# 第X条 opens an article, or is a reference when a sentence goes on with a sub-unit or another number
# (第二十八条第三款, 第五条、第六条, 第五条至第九条): an article's text never starts that way.
_RE_STATUTE = re.compile(
    # 第一千一百六十四条: seven numerals (民法典).
    rf"^第\s*([{_CN_NUM}\d]{{1,9}})\s*(?:(分编|[编章节])|(条)(?:之([{_CN_NUM}]{{1,3}}))?"
    rf"(?!\s*(?:第\s*[{_CN_NUM}\d]+\s*[款项目]|[、，,]|(?:和|或|至|及|与|到)\s*第)))\s*")
# Words that open a sentence about an article rather than the article's own text (第十条规定的…, 第五条中
# “…”修改为…): evidence against an article only where its number does not fit the sequence.
_REFERENCE_WORDS = ("规定", "的", "所", "之", "中“", "中的", "中\"", "修改", "删去", "删除", "增加", "改为", "款", "项")
_RE_CN_DUN = re.compile(rf"^([{_CN_NUM}]{{1,3}})\s*[、．.](?=\s*\S)\s*")
_RE_CN_PAREN = re.compile(rf"^[（(]\s*([{_CN_NUM}]{{1,3}})\s*[）)]\s*(?=\S)")
_RE_AR_DOT = re.compile(r"^(\d{1,2})\s*[.．、](?!\d)\s*(?=\S)")
_RE_AR_PAREN = re.compile(r"^[（(]\s*(\d{1,2})\s*[）)]\s*(?=\S)")
_RE_CIRCLED = re.compile(r"^([\u2460-\u2473])\s*(?=\S)")


def cn_to_int(s: str) -> int | None:
    """Chinese (or Arabic) numeral to int: 十八 → 18, 一百零五 → 105, 二〇二五 → 2025."""
    s = s.strip()
    if not s:
        return None
    if s.isdigit():
        return int(s)
    if any(c not in CN_DIGITS and c not in CN_UNITS for c in s):
        return None
    if not any(c in CN_UNITS for c in s):  # digit-by-digit, e.g. 二〇二五
        return int("".join(str(CN_DIGITS[c]) for c in s))
    total, cur = 0, 0
    for c in s:
        if c in CN_DIGITS:
            cur = CN_DIGITS[c]
        else:
            total += (cur or 1) * CN_UNITS[c]
            cur = 0
    return total + cur


def int_to_cn(n: int) -> str:
    """int to the Chinese numeral used in article numbers: 18 → 十八, 105 → 一百零五."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        head = digits[n // 100] + "百"
        if rest == 0:
            return head
        if rest < 10:
            return head + "零" + digits[rest]
        return head + (digits[rest // 10] + "十" + (digits[rest % 10] if rest % 10 else ""))
    if n < 10000:  # 第一千二百六十条 (民法典); 一千零五, 一千零一十
        rest = n % 1000
        head = digits[n // 1000] + "千"
        if rest == 0:
            return head
        if rest >= 100:
            return head + int_to_cn(rest)
        return head + "零" + ("一" if 10 <= rest < 20 else "") + int_to_cn(rest)
    return str(n)


@dataclass(frozen=True)
class Marker:
    kind: str  # one of OUTLINE_KINDS or STATUTE_KINDS
    number: int
    raw: str  # the marker as written, e.g. "（一）", "1、", "第十八条"
    rest: str  # the line after the marker
    sub: int = 0  # 第十七条之一 → number 17, sub 1 (an article inserted by an amendment)

    @property
    def statute(self) -> bool:
        return self.kind in STATUTE_KINDS

    @property
    def reads_as_reference(self) -> bool:
        """第X条 followed by words that talk about an article (第十条规定的…) rather than open it."""
        return self.kind == "tiao" and not self.sub and self.rest.lstrip().startswith(_REFERENCE_WORDS)

    def canonical(self) -> str:
        """The marker in the canonical form used in citations: 二、 （一） 1. （1） ① 第十八条."""
        if self.kind == "cn_dun":
            return int_to_cn(self.number) + "、"
        if self.kind == "cn_paren":
            return "（" + int_to_cn(self.number) + "）"
        if self.kind == "ar_dot":
            return f"{self.number}."
        if self.kind == "ar_paren":
            return f"（{self.number}）"
        if self.kind == "circled":
            return chr(0x2460 + self.number - 1)
        if self.kind == KIND_HEADING:
            return self.raw
        suffix = {v: k for k, v in _STATUTE_SUFFIX.items()}[self.kind]
        return "第" + int_to_cn(self.number) + suffix + (f"之{int_to_cn(self.sub)}" if self.sub else "")

    def label_part(self) -> str:
        """The marker's part of a compact label: 二 （一） 1 （1） ① 第十八条."""
        if self.kind == "cn_dun":
            return int_to_cn(self.number)
        if self.kind == "ar_dot":
            return str(self.number)
        return self.canonical()


def match_marker(line: str) -> Marker | None:
    """The numbering marker at the start of `line`, or None."""
    s = line.lstrip()
    m = _RE_STATUTE.match(s)
    if m:
        n = cn_to_int(m.group(1))
        if n:
            sub = cn_to_int(m.group(4)) if m.group(4) else 0
            return Marker(_STATUTE_SUFFIX[m.group(2) or m.group(3)], n, m.group(0).strip(), s[m.end():], sub or 0)
        return None
    for kind, rx in (("cn_paren", _RE_CN_PAREN), ("ar_paren", _RE_AR_PAREN), ("cn_dun", _RE_CN_DUN),
                     ("ar_dot", _RE_AR_DOT), ("circled", _RE_CIRCLED)):
        m = rx.match(s)
        if not m:
            continue
        g = m.group(1)
        n = ord(g) - 0x2460 + 1 if kind == "circled" else cn_to_int(g)
        if n:
            return Marker(kind, n, m.group(0).strip(), s[m.end():])
    return None

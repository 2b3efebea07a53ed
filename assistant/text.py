"""Text helpers for answering: sentences, numbers (Chinese numerals ↔ digits, 万/亿), bigrams, terms."""
from __future__ import annotations

import re
from functools import lru_cache

from index.markers import match_marker

_SENT = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_MEASURE = (
    "个|家|项|座|辆|台|条|款|次|年|月|日|天|倍|元|公里|千米|平方米|平方公里|亩|公顷|吨|千瓦|兆瓦|工作日|小时|分钟|人|所|处|套|户|栋|周|季度|届|批次|分贝|毫克|立方米|标准"
)
_AR_NUM = re.compile(r"(\d+(?:\.\d+)?)\s*(万|亿)?")
_CN_NUM = re.compile(rf"(?:百分之)?[零〇一二两三四五六七八九十][零〇一二两三四五六七八九十百千万亿]*(?=(?:{_MEASURE}|%|％|以上|以下|以内))|百分之[零〇一二两三四五六七八九十百千]+|第[零〇一二两三四五六七八九十百千]+(?=[条款项章节])")
MARKER_RE = re.compile(r"\[(\d{1,2})\]")


def split_sentences(text: str) -> list[str]:
    """Sentences of a clause, each with its closing punctuation; newlines end sentences too."""
    return [s.strip() for s in _SENT.findall(text) if s.strip()]


def is_heading_sentence(sentence: str) -> bool:
    """A heading line such as 1.大力发展非化石能源 or （一）指导思想 (no terminal punctuation, short)."""
    s = sentence.strip()
    if s[-1:] in "。！？；!?;":
        m = match_marker(s)
        return m is not None and len(m.rest) <= 20  # 1、大力发展光伏项目。 is an inline title
    return len(s) <= 40


def cn_number(s: str) -> float | None:
    """Chinese numeral with 十百千万亿 to a number: 一百万 → 1000000, 十五 → 15, 二〇二五 → 2025."""
    s = s.replace("百分之", "")
    if not s or any(c not in _CN_DIGIT and c not in _CN_SMALL and c not in _CN_BIG for c in s):
        return None
    if all(c in _CN_DIGIT for c in s) and len(s) > 1:
        return float("".join(str(_CN_DIGIT[c]) for c in s))
    total, section, digit = 0.0, 0.0, 0.0
    for c in s:
        if c in _CN_DIGIT:
            digit = _CN_DIGIT[c]
        elif c in _CN_SMALL:
            section += (digit or 1) * _CN_SMALL[c]
            digit = 0
        else:
            total += (section + digit) * _CN_BIG[c]
            section, digit = 0, 0
    return total + section + digit


def numbers(text: str, *, lenient: bool = True) -> set[float]:
    """Every number a text states, normalised: 29.4万 → 294000, 十万元 → 100000, 第十八条 → 18.

    `lenient` (for source text) also keeps the mantissa of a 万/亿 amount (29.4), so a sentence
    may quote either form; a sentence's own numbers are taken strictly (see `stated_numbers`).
    """
    out: set[float] = set()
    for m in _AR_NUM.finditer(text):
        v = float(m.group(1))
        if m.group(2):  # 万/亿 right after digits scales them: 29.4万千瓦 = 294000千瓦
            out.add(round(v * _CN_BIG[m.group(2)], 6))
            if lenient:
                out.add(round(v, 6))
        else:
            out.add(round(v, 6))
    for m in _CN_NUM.finditer(text):
        raw = m.group(0).removeprefix("第")
        v = cn_number(raw)
        if v:
            out.add(round(v, 6))
    return out


# The product's own note on a list it quotes (（共9项，以上列出前5项…）): counts of the cited items, which
# the composer computed from the clauses; they claim nothing the clause text must state.
COUNT_NOTE = re.compile(r"（共[\d零一二两三四五六七八九十百]+项[^（）]*）")


def stated_numbers(sentence: str) -> set[float]:
    """Numbers a sentence claims (its [n] markers and list-count notes removed); each must occur in the cited text."""
    return numbers(COUNT_NOTE.sub("", MARKER_RE.sub("", sentence)), lenient=False)


def bigrams(text: str) -> set[str]:
    cjk = "".join(_CJK.findall(text))
    return {cjk[i: i + 2] for i in range(len(cjk) - 1)}


_STOP_BIGRAM_CHARS = set("的了和与及等是在对为把被由从将其该这那之也都而并或以于")


def content_bigrams(text: str) -> set[str]:
    return {b for b in bigrams(text) if not (b[0] in _STOP_BIGRAM_CHARS or b[1] in _STOP_BIGRAM_CHARS)}


@lru_cache(maxsize=4096)
def words(text: str) -> tuple[str, ...]:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return tuple(w for w in jieba.lcut(text) if w.strip())


def is_dictionary_word(word: str) -> bool:
    """In jieba's dictionary (not a guess of its HMM, which yields debris such as 些情况下市)."""
    return general_frequency(word) > 0


def general_frequency(word: str) -> int:
    """How often the word occurs in general Chinese: its count in jieba's dictionary (0 when absent)."""
    import jieba

    jieba.initialize()
    return jieba.dt.FREQ.get(word) or 0


def strip_markers(text: str) -> str:
    return MARKER_RE.sub("", text)

"""Numbers, units and years as plans write them: 29.4万千瓦, 10%-15%, 1~2条, 至少建设一个, 到2025年, “十四五”期间."""
from __future__ import annotations

import re
from dataclasses import dataclass

# Units a target's value carries, longest first so 万千瓦 wins over 千瓦. A closed vocabulary on purpose: a
# number followed by anything else (14号线, 2023年, 56kW, 5G, 1.0版) names a thing, not a level to reach.
UNITS = (
    "微克/立方米", "毫克/立方米", "毫克/升", "万吨标准煤", "吨标准煤", "万吨二氧化碳", "万标准箱", "标准箱",
    "亿千瓦时", "万千瓦时", "千瓦时", "万千瓦", "千瓦", "兆瓦", "吉瓦",
    "亿立方米", "万立方米", "立方米", "万平方米", "平方公里", "平方米", "公顷", "万亩", "千亩", "亩",
    "公里", "千米", "亿元", "万元", "万吨", "吨", "万辆", "万户", "万人",
    "%", "‰", "个", "座", "家", "辆", "项", "条", "处", "台", "套", "所", "户", "张", "根", "艘", "批", "种",
)
_COUNTED = ("个", "座", "家", "辆", "项", "条", "处", "台", "套", "所", "户", "张", "根", "艘", "人", "株", "棵")
# 3.5万个, 10万株: a count in ten-thousands (万千瓦 and the like are listed above, longest first)
UNITS = tuple(f"{big}{m}" for big in ("亿", "万") for m in _COUNTED if f"{big}{m}" not in UNITS) + UNITS
_UNIT_RE = "|".join(re.escape(u) for u in UNITS)
NUM = r"\d+(?:\.\d+)?"
# 29.4万千瓦, 10%-15%, 3-6个, 1~2条, 137亿立方米左右. The unit may repeat after the first number of a range.
VALUE = re.compile(
    rf"(?<![A-Za-z0-9.+])(?P<lo>{NUM})(?:\s*(?P<u1>{_UNIT_RE}))?\s*(?:[-~～—至](?P<hi>{NUM}))?\s*(?P<unit>{_UNIT_RE})?"
    r"(?![A-Za-z0-9+.])"
)
# A bare number is a value only right after a comparison word (PUE不高于1.3, 控制在1.25以下).
BARE_BEFORE = re.compile(r"(?:不高于|不超过|低于|不低于|高于|控制在|达到|降至|降到|小于|≤|≥)\s*$")
NOT_A_VALUE_AFTER = re.compile(r"^\s*(?:年|月|日|号|届|期|版|星|级|大|类|周|岁|倍|代|轮|层|线|环|横|纵|点|核)")

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# Chinese counts are targets only after a minimum or a verb of building (至少建设一个…示范区): elsewhere
# 三个层级, 五个新城, 两个市场 describe, they set nothing.
CN_COUNT = re.compile(r"(?P<pre>至少|不少于|建设|建成|新建|打造|创建|培育|新增)(?P<num>[一二两三四五六七八九十]{1,3})(?P<unit>个|座|家|处|条|项|所|种)")

YEAR = r"(?:19|20)\d{2}"
# Where a sentence sets the year a figure is due. Applied left to right; the last one before a value wins.
DEADLINE = re.compile(
    rf"(?:到|至|截至|截止到|力争到|力争在|在)?(?P<y>{YEAR})年(?:年?底|末)?(?:前)?(?=[，,、：:\s]|底前|前|年?底|末|[\u4e00-\u9fff])"
)
YEAR_LIST = re.compile(rf"(?P<ys>{YEAR}年(?:[、和及]{YEAR}年)+)")
PERIOD = re.compile(r"[“\"]?(十[一二三四五六七八九]五)[”\"]?(?:时期|期间|末)")
BOTH_PERIODS = re.compile(r"[“\"]?十四五[”\"]?和[“\"]?十五五[”\"]?(?:时期|期间)")
START = re.compile(rf"(?P<y>{YEAR})年(?:起|开始|以来)")
BASELINE = re.compile(rf"(?:较|比|相比|相较|与|对比)(?P<y>{YEAR})年|在(?P<y2>{YEAR})年(?:的)?基础上|(?P<y3>{YEAR})年(?:基数|基期|基准|现状|底数)")
# “十四五” = 2021–2025, “十五五” = 2026–2030: a target set for the period is due at its end.
FIVE_YEAR_END = {"十一五": 2010, "十二五": 2015, "十三五": 2020, "十四五": 2025, "十五五": 2030, "十六五": 2035}


@dataclass(frozen=True)
class Value:
    start: int
    end: int
    text: str  # as written, e.g. 29.4万千瓦
    number: str  # 29.4, or 3-6 for a range
    unit: str


def cn_int(s: str) -> int | None:
    """一 → 1, 十二 → 12, 二十 → 20; None for anything else."""
    if not s:
        return None
    if "十" in s:
        head, _, tail = s.partition("十")
        tens = CN_DIGITS.get(head, None) if head else 1
        ones = CN_DIGITS.get(tail, None) if tail else 0
        return None if tens is None or ones is None else tens * 10 + ones
    return CN_DIGITS.get(s) if len(s) == 1 else None


def find_values(text: str) -> list[Value]:
    """Numbers with a unit (or a bare number after a comparison word), in order."""
    out: list[Value] = []
    for m in VALUE.finditer(text):
        unit = m.group("unit") or m.group("u1") or ""
        if m.group("u1") and m.group("unit") and m.group("u1") != m.group("unit"):
            continue  # 20个停车泊位 10… — two different units are two numbers, not a range
        after = text[m.end():m.end() + 3]
        if text[max(0, m.start() - 1):m.start()] == "第":
            continue  # 第3批, 第36次: an ordinal
        if not unit:
            if not BARE_BEFORE.search(text[max(0, m.start() - 4):m.start()]) or NOT_A_VALUE_AFTER.match(after):
                continue
        elif NOT_A_VALUE_AFTER.match(text[m.end("lo"):m.end("lo") + 2]) and not m.group("u1"):
            continue
        number = m.group("lo") + (f"-{m.group('hi')}" if m.group("hi") else "")
        end = m.end()
        while end > m.start() and text[end - 1].isspace():
            end -= 1
        out.append(Value(m.start(), end, text[m.start():end], number, unit))
    for m in CN_COUNT.finditer(text):
        n = cn_int(m.group("num"))
        if n is not None:
            out.append(Value(m.start("num"), m.end(), m.group("num") + m.group("unit"), str(n), m.group("unit")))
    out.sort(key=lambda v: v.start)
    return out


def same_number(a: str, b: str) -> bool:
    """29.4 == 29.40, 3-6 == 3-6."""
    pa, pb = a.split("-"), b.split("-")
    if len(pa) != len(pb):
        return False
    try:
        return all(abs(float(x) - float(y)) < 1e-9 for x, y in zip(pa, pb))
    except ValueError:
        return a == b

"""Quantified targets from a clause: sentences of its text and annex target-table rows → `Target` rows.

A value is a number with a unit (29.4万千瓦, 10%-15%, 1~2条), a bare number after a comparison word (PUE不高于1.3),
or a Chinese count after a minimum or a verb of building (至少建设一个…). Its year is the last deadline the sentence
sets before it (到2025年, “十四五”期间 = 2025, 2025年、2030年…分别 pairs years with values); 2022年起 starts a
requirement and sets none. Its baseline is the year it is compared with (较2020年, 在2020年基础上) when it states a
change. Numbers that qualify a noun (10万平方米以上重点商圈, 平均节能率15%及以上的建筑面积, 大于20个停车泊位的) or
frame a sentence (以…9条市域生态走廊…为骨架) are no targets.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.drafting.numbers import (BOTH_PERIODS, FIVE_YEAR_END, PERIOD, YEAR, Value, find_values)
from assistant.drafting.types import Target
from assistant.drafting.units import Statement, paragraph_statements, row_statement, table_cells
from index.models import KIND_CLOSING, KIND_PREAMBLE, KIND_TABLE_ROW, Clause

SKIP_KINDS = (KIND_PREAMBLE, KIND_CLOSING)
MAX_TARGETS_PER_CLAUSE = 200  # a clause with more numbers is a table dump, not prose: stop there
QUOTE_CHARS = 240

_WORK_VERB = r"(?:新增|新建|完成|创建|建成|建设|推进|推动|实施|打造|改造|调整|推广|开展|落实|培育|安装|淘汰|引进|争创|试点新建|试点)"
_DELIM = "，,；;。：:\n（("
_COMPARATORS = [  # (pattern at the end of the text before the value, comparison); first match wins
    (r"(?:不低于|不少于|至少|不小于)$", "不低于"),
    (r"(?:不高于|不超过|不大于|控制在|降至|降到|低于)$", "不高于"),
    (r"(?:超过|突破|高于)$", "超过"),
    (r"(?:下降|降低|削减|减少|压减)(?:了)?$", "下降"),
    (r"(?:提高到|提高至|提升到|提升至|增加到|增长到|达到|达|为|至)$", "达到"),
    (r"(?:提高|提升|增长|增加)$", "提高"),
    (r"(?:保持在|保持|稳定在|维持在)$", "保持"),
]
_EXPLICIT = r"不低于|不少于|至少|不高于|不超过|控制在|超过|突破|下降|降低|削减|提高|提升|达到|达|保持|稳定在"
_STRIP_TAIL = re.compile(
    r"(?:分别)?(?:力争|确保|基本|累计|进一步|总体|年均)?(?:不低于|不少于|至少|不小于|不高于|不超过|不大于|控制在|降至|降到|低于|超过|突破|"
    r"高于|下降|降低|削减|减少|压减|提高到|提高至|提升到|提升至|增加到|增长到|提高|提升|增长|增加|达到|达|保持在|保持|稳定在|维持在|为)?"
    r"(?:了)?$"
)
_STRIP_HEAD = re.compile(r"^(?:其中|且|并|同时|以及|和|及|、|/|以上|以下|左右|力争|确保|全面|进一步|另外|此外|建成后)+")
_BASELINE_BEFORE = re.compile(r"(?:较|比|相比|相较|与|对比|同比)\s*$|在\s*$")
_BASELINE_AFTER = re.compile(r"^\s*(?:的)?(?:基础上|基数|基期|基准|现状|底数|水平|相比|目标)")
_START_AFTER = re.compile(r"^\s*(?:起|开始|以来)")
# 10万平方米以上重点商圈 qualifies a noun; 50%以上建成… is the subject's share (a verb follows).
_SCOPE_AFTER = re.compile(r"^\s*(?:及)?(?:以上|以下)(?:的)?(?=[\u4e00-\u9fff])"
                          r"(?!的?(?:目标|水平|标准)|建成|完成|实现|达到|执行|达标|覆盖|使用|采用|纳入|开展|接入|应用)")
_SCOPE_BEFORE = re.compile(r"(?:大于|小于)\s*$")


_PERIOD_TITLE = re.compile(rf"(?P<a>{YEAR})\s*[—–\-~～至]\s*(?P<b>{YEAR})\s*年")
_WITHIN_PERIOD = re.compile(r"[一二两三四五六七八九十\d]+年(?:内|间|来)|(?:方案|计划|行动)期(?:内|间)")


def _period_end(title: str) -> int | None:
    """（2024—2026年） in a plan's title: the year its N年内 targets are due."""
    m = _PERIOD_TITLE.search(title or "")
    return int(m.group("b")) if m else None


@dataclass(frozen=True)
class _Mark:
    pos: int
    years: tuple[int, ...]  # () for a start marker (2022年起): no deadline from here on


def clause_targets(clause: Clause) -> list[Target]:
    """Every quantified target the clause states, in text order."""
    if clause.kind in SKIP_KINDS:
        return []
    if clause.kind == KIND_TABLE_ROW:
        cells = table_cells(clause.text)
        if cells:
            return _row_targets(clause, cells)
    statements = paragraph_statements(clause.text)
    masked = _mask(clause.text, statements)
    out: list[Target] = []
    period_end = _period_end(clause.doc_title)
    opening: tuple[int, ...] = ()  # 到2026年，全区…。万元地区生产总值能耗…: the paragraph's opening deadline
    paragraph_start = True
    for start, end in _sentences(masked):
        units = _units_at(statements, end, clause)
        sentence = masked[start:end]
        default = opening
        if period_end and _WITHIN_PERIOD.search(sentence):
            default = (period_end,)
        found = _sentence_targets(clause, clause.text, masked, start, end, units, default_years=default)
        out += found
        if paragraph_start:
            marks, _ = _year_marks(sentence)
            opening = marks[0].years[-1:] if marks and marks[0].years and marks[0].pos <= 2 and not found else ()
        paragraph_start = end < len(masked) and masked[end] == "\n"
        if paragraph_start:
            opening = ()
        if len(out) >= MAX_TARGETS_PER_CLAUSE:
            break
    return out[:MAX_TARGETS_PER_CLAUSE]


# ---- text ---------------------------------------------------------------------------------------

def _mask(text: str, statements: list[Statement]) -> str:
    """Unit lists and 《titles》 blanked out (same length, so offsets hold)."""
    chars = list(text)
    for st in statements:
        for k in range(st.start, st.end):
            chars[k] = "。" if k == st.start else "□"
    for m in re.finditer(r"《[^《》]*》", text):
        for k in range(m.start() + 1, m.end() - 1):
            chars[k] = "□"
    return "".join(chars)


def _sentences(masked: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in re.finditer(r"[。\n]", masked):
        if masked[start:m.start()].strip("□ "):
            out.append((start, m.start()))
        start = m.end()
    if masked[start:].strip("□ "):
        out.append((start, len(masked)))
    return out


def _units_at(statements: list[Statement], pos: int, clause: Clause) -> tuple[str, ...]:
    """Units of the statement that closes the paragraph holding `pos` (else the clause's own)."""
    for st in statements:
        if st.start >= pos:
            return tuple(a.unit for a in st.assignments)
    return tuple(a.unit for a in statements[-1].assignments) if statements else tuple(clause.units)


def _year_marks(s: str) -> tuple[list[_Mark], list[tuple[int, int]]]:
    """Deadline and start marks in a sentence, and the baselines (position, year)."""
    marks: list[_Mark] = []
    baselines: list[tuple[int, int]] = []
    taken: list[tuple[int, int]] = []
    for m in BOTH_PERIODS.finditer(s):
        marks.append(_Mark(m.start(), (2030,)))
        taken.append(m.span())
    for m in PERIOD.finditer(s):
        if not any(a <= m.start() < b for a, b in taken) and m.group(1) in FIVE_YEAR_END:
            marks.append(_Mark(m.start(), (FIVE_YEAR_END[m.group(1)],)))
    year_re = re.compile(rf"(?P<y>{YEAR})年")
    hits = list(year_re.finditer(s))
    k = 0
    while k < len(hits):
        m = hits[k]
        before, after = s[max(0, m.start() - 3):m.start()], s[m.end():m.end() + 4]
        if _BASELINE_BEFORE.search(before) or _BASELINE_AFTER.match(after):
            baselines.append((m.start(), int(m.group("y"))))
        elif _START_AFTER.match(after):
            marks.append(_Mark(m.start(), ()))
        else:
            years = [int(m.group("y"))]
            while k + 1 < len(hits) and re.fullmatch(r"[、和及与/]", s[hits[k].end():hits[k + 1].start()]):
                k += 1
                years.append(int(hits[k].group("y")))
            marks.append(_Mark(m.start(), tuple(years)))
        k += 1
    marks.sort(key=lambda x: x.pos)
    return marks, baselines


def _groups(s: str, values: list[Value]) -> list[list[Value]]:
    """Values listed together: 20%、25%左右 / 137亿立方米左右、165亿立方米左右 (one indicator, 分别)."""
    groups: list[list[Value]] = []
    for v in values:
        if groups and re.fullmatch(r"\s*(?:左右|以上|及以上)?\s*[、和]\s*", s[groups[-1][-1].end:v.start]):
            groups[-1].append(v)
        else:
            groups.append([v])
    return groups


def _sentence_targets(clause: Clause, text: str, masked: str, start: int, end: int, units: tuple[str, ...],
                      default_years: tuple[int, ...] = ()) -> list[Target]:
    s = masked[start:end]
    values = [v for v in find_values(s) if not _is_scope(s, v)]
    if not values:
        return []
    marks, baselines = _year_marks(s)
    quote = _quote(text[start:end])
    out: list[Target] = []
    previous, previous_cmp = "", ""
    for group in _groups(s, values):
        first = group[0]
        left, continued = _left_context(s, first, values)
        years = _years_for(marks, first.start, len(group), default_years)
        indicators = [i or previous for i in _indicators(left, s, group)]
        previous = indicators[-1]
        for i, v in enumerate(group):
            comparison = _comparison(left if i == 0 else "", s, v, group)
            suffix = bool(re.match(r"^\s*(?:及)?(?:以上|以下)|^\s*左右", s[v.end:v.end + 4]))
            if continued and previous_cmp and comparison == "达到" and not re.search(_EXPLICIT, left):
                comparison = previous_cmp  # 创建50家…、3家…; 100万平方米/250万平方米: the list's verb holds
            elif comparison == "完成" and v.unit in ("%", "‰"):
                comparison = "达到"  # a share is a level reached, not a quantity of work
            if not suffix:  # 2000个以上、换电站10座: 以上 belongs to its own number
                previous_cmp = comparison
            baseline = None
            if comparison in ("下降", "提高"):
                baseline = next((y for p, y in reversed(baselines) if p < v.start), None)
            if years and len(group) == len(years) > 1:
                year = years[i]
            elif default_years and len(default_years) > 1 and not _has_own_mark(marks, v.start):
                year = _slash_year(s, v, default_years)
            else:
                year = years[-1] if years else None
            out.append(Target(
                doc_id=clause.doc_id, doc_title=clause.doc_title, label=clause.label, citation=clause.citation,
                clause_id=clause.clause_id, indicator=indicators[i], value=v.number, unit=v.unit,
                value_text=v.text, comparison=comparison, baseline_year=baseline, target_year=year,
                units=units, quote=quote,
            ))
    return out


def _has_own_mark(marks: list[_Mark], pos: int) -> bool:
    return any(m.pos < pos and m.years for m in marks)


def _years_for(marks: list[_Mark], pos: int, n: int, default: tuple[int, ...]) -> tuple[int, ...]:
    """The years of the last mark before `pos` (a start mark gives none), else the default."""
    last: _Mark | None = None
    for m in marks:
        if m.pos < pos:
            last = m
    if last is None:
        return default
    if len(last.years) > 1 and len(last.years) != n:
        return last.years[-1:]  # 2025年、2030年 before one value: the later year
    return last.years


def _slash_year(s: str, v: Value, years: tuple[int, ...]) -> int:
    """10%/15% with 到2025年/2030年: the value after a slash takes the second year, any other the first."""
    return years[1] if s[:v.start].rstrip().endswith("/") else years[0]


def _is_scope(s: str, v: Value) -> bool:
    after, before = s[v.end:v.end + 6], s[max(0, v.start - 6):v.start]
    if _SCOPE_AFTER.match(after) and not re.search(_WORK_VERB + r"$", before):
        return True
    if _SCOPE_BEFORE.search(before) and re.match(r"^\s*(?:的)?[\u4e00-\u9fff]", after):
        return True
    frag_start = max(s.rfind(c, 0, v.start) for c in "，,；;：:") + 1
    frag = s[frag_start:]
    frag_end = min([frag.find(c) for c in "，,；;" if c in frag] or [len(frag)])
    frag = frag[:frag_end]
    rel = v.start - frag_start
    return frag.startswith("以") and "为" in frag[rel:]  # 以…9条市域生态走廊…为市域生态骨架: framing, not a target


def _left_context(s: str, v: Value, values: list[Value]) -> tuple[str, bool]:
    """The text the value completes: back to the last delimiter outside a closed parenthetical, or to the previous
    value and the 、/和 after its noun (创建50家绿色示范单位、3家绿色供应链 → '' for the second)."""
    cut, depth = 0, 0
    for k in range(v.start - 1, -1, -1):
        ch = s[k]
        if ch in "）)":
            depth += 1
        elif ch in "（(":
            if depth == 0:
                cut = k + 1
                break
            depth -= 1
        elif depth == 0 and ch in _DELIM:
            cut = k + 1
            break
    after_value = False
    for w in values:
        if cut < w.end <= v.start:
            cut, after_value = w.end, True
    left = s[cut:v.start]
    if after_value:
        m = re.search(r"[、和及]", left)
        if m:
            left = left[m.end():]
    return left, after_value or s[:v.start].rstrip().endswith("/")


def _clean_indicator(t: str) -> str:
    t = re.sub(r"(?:较|比|相比|与)(?:19|20)\d{2}年(?:目标)?|在(?:19|20)\d{2}年(?:的)?基础上", "", t)
    t = re.sub(r"(?:到|至|截至|力争到|力争在)?(?:19|20)\d{2}年(?:年?底|末)?(?:前|起|开始)?[，,]?", "", t)
    t = re.sub(r"[“\"]?十[一二三四五六七八九]五[”\"]?(?:和[“\"]?十[一二三四五六七八九]五[”\"]?)?(?:时期|期间|末)[，,]?", "", t)
    t = re.sub(r"(?:较|比|相比|与)(?:19|20)\d{2}年(?:目标)?|在(?:19|20)\d{2}年(?:的)?基础上", "", t)
    t = t.strip(" □，,、")
    for _ in range(3):
        t = _STRIP_HEAD.sub("", t).strip()
        t = _STRIP_TAIL.sub("", t).strip(" ，,、")
    # 充电车位不少于总车位的(10%) → 充电车位占总车位的比例: the comparison is a column of its own
    return re.sub(r"(?:不少于|不低于|不高于|不超过|达到)((?:总|全部)[^，,。；]{0,10}的)$", r"占\1比例", t)


def _right_noun(s: str, v: Value) -> str:
    m = re.match(r"^\s*(?:(?:及)?以上|以下|左右)?(?:的)?(?!(?:及)?以上|以下|左右)([^，,；;。、和及（(：:/]{1,30})", s[v.end:])
    return m.group(1).strip() if m else ""


def _indicators(left: str, s: str, group: list[Value]) -> list[str]:
    base = _clean_indicator(left)
    if len(group) > 1:
        parts = [p for p in base.split("、") if p]
        if len(parts) == len(group):
            return parts
        return [base] * len(group)
    v = group[0]
    if not base or re.fullmatch(_WORK_VERB + r"*", base) or re.search(_WORK_VERB + r"$", base):
        noun = _right_noun(s, v)
        base = (base + noun) if noun else base
    return [base or _right_noun(s, v)]


def _comparison(left: str, s: str, v: Value, group: list[Value]) -> str:
    after = s[v.end:v.end + 4]
    tail = left.rstrip(" ，,")[-10:]
    head, at = "", -1
    for pattern, name in _COMPARATORS:  # the comparison word nearest the value wins (不少于总车位的10%)
        for m in re.finditer(pattern[:-1], tail):
            if m.end() > at or (m.end() == at and not head):
                head, at = name, m.end()
    if re.search(r"(?:至少|不少于)" + _WORK_VERB + r"?$", tail):
        head = "不低于"
    if head in ("下降", "提高"):
        return head
    if re.match(r"^\s*(?:及)?以上", after):
        return "超过" if head == "超过" else "不低于"
    if re.match(r"^\s*以下", after):
        return "不高于"
    if head in ("下降", "提高"):
        return head
    if re.match(r"^\s*左右", after):
        return "左右"
    if head:
        return head
    if re.search(_WORK_VERB, left):
        return "完成"
    return "达到"


def _quote(sentence: str) -> str:
    q = " ".join(sentence.split()).strip("。 ")
    return q if len(q) <= QUOTE_CHARS else q[:QUOTE_CHARS - 1] + "…"


# ---- annex rows ---------------------------------------------------------------------------------

_TARGET_COLUMN = re.compile(rf"^(?P<y>{YEAR})年?(?:末|底)?(?:目标|目标值|预期值|预期|规划值|规划|计划值)?(?:值)?$")
_BASE_COLUMN = re.compile(rf"(?P<y>{YEAR})年?(?:末|底)?.*(?:基数|基期|基准|现状|基础|实际)|(?:基数|基期|基准|现状)")
_DEADLINE_COLUMN = re.compile(r"节点|时限|时间|期限|年份|年度|完成时间")
_INDICATOR_COLUMN = re.compile(r"指标|名称")
_TEXT_COLUMN = re.compile(r"任务|内容|项目|事项|措施|工作|目标")
_NUMBER = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?(?:\s*[-~～]\s*\d+(?:\.\d+)?)?)\s*(?P<tail>以上|以下|左右)?\s*$")


def _row_targets(clause: Clause, cells: list[tuple[str, str]]) -> list[Target]:
    st = row_statement(cells)
    units = tuple(a.unit for a in st.assignments) if st else tuple(clause.units)
    unit_cell = next((c for h, c in cells if re.fullmatch(r"(?:计量)?单位", h)), "")
    indicator = next((c for h, c in cells if _INDICATOR_COLUMN.search(h)), "")
    baseline = None
    for h, c in cells:
        m = _BASE_COLUMN.search(h)
        if m and m.groupdict().get("y") and _NUMBER.match(c):
            baseline = int(m.group("y"))
    quote = _quote("；".join(f"{h}：{c}" for h, c in cells))
    out: list[Target] = []
    for h, c in cells:  # 2026年目标 | 8.5: the value sits in a year column, its unit in 单位
        m = _TARGET_COLUMN.match(h)
        n = _NUMBER.match(c)
        if m and n and not _BASE_COLUMN.search(h):
            tail = n.group("tail") or ""
            comparison = ("不低于" if tail == "以上" else "不高于" if tail == "以下" else "左右" if tail == "左右" else
                          "下降" if re.search(r"降低|下降|削减|减少", indicator) else "达到")
            number = re.sub(r"\s*[~～]\s*|\s*-\s*", "-", n.group("n"))
            out.append(Target(
                doc_id=clause.doc_id, doc_title=clause.doc_title, label=clause.label, citation=clause.citation,
                clause_id=clause.clause_id, indicator=indicator or clause.label, value=number,
                unit=unit_cell if unit_cell not in ("—", "-", "/") else "", value_text=f"{c}{unit_cell}",
                comparison=comparison, baseline_year=baseline if comparison in ("下降", "提高", "达到") else None,
                target_year=int(m.group("y")), units=units, quote=quote,
            ))
    if out:
        return out
    deadline: tuple[int, ...] = ()
    for h, c in cells:
        if _DEADLINE_COLUMN.search(h):
            deadline = tuple(int(y) for y in re.findall(rf"({YEAR})年?", c))
    for h, c in cells:  # 主要任务：完成…100万平方米/250万平方米 with 节点要求：到2025年/2030年
        if _TARGET_COLUMN.match(h) or _DEADLINE_COLUMN.search(h) or re.search(r"单位|部门|属性|备注|序号", h):
            continue
        if not (_INDICATOR_COLUMN.search(h) or _TEXT_COLUMN.search(h)):
            continue
        masked = c
        for start, end in _sentences(masked):
            found = _sentence_targets(clause, c, masked, start, end, units, default_years=deadline)
            out += [Target(**{**t.__dict__, "quote": quote}) for t in found]
    return out

"""Who is responsible: unit lists in a clause's parentheticals and an annex row's columns, with roles, and unit
names compared across abbreviations (区发改委 = 区发展改革委 = 区发展和改革委员会).

How roles are derived (the gold tables in eval/drafting/ follow the same conventions):
1. An explicit word wins: 牵头单位：/牵头部门：/主责单位： or “X牵头(负责)” make X lead (牵头); 配合单位：/协同部门：/
   协办单位：/参与单位： or “Y配合/协助/参与” make Y support (配合).
2. In an annex table a column named 牵头… makes every unit in it lead, a column named 配合…/协同… support.
3. Otherwise (（区发展改革委、区经委等按职责分工负责）, （责任单位：…）, a bare list) the first unit listed leads and
   the others support: plans list the lead unit first.
A statement is the parenthetical that ends a paragraph (several paragraphs of one clause may each end in one).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.drafting.types import LEAD, SUPPORT
from index.aliases import in_order

_OPEN, _CLOSE = "（(", "）)"
_LABEL = re.compile(
    r"(?P<label>牵头单位|牵头部门|主责单位|主责部门|责任单位|责任部门|负责单位|实施单位|配合单位|配合部门|协同单位|协同部门|"
    r"协办单位|协办部门|参与单位|参与部门)\s*[：:]"
)
_LEAD_LABELS = ("牵头", "主责")
_SUPPORT_LABELS = ("配合", "协同", "协办", "参与")
# What follows a list of units: 等相关职能部门、各街镇等按职责分工负责 / 牵头负责 / 配合.
_TAIL = re.compile(r"(?:等)?(?:相关职能部门|有关部门)?(?:等)?(?:按职责分工|按照职责分工|按职责|分别)?"
                   r"(?P<duty>牵头负责|牵头|配合落实|配合|协助|参与|协同)?(?:负责|落实|实施|推进)?$")
_ORG = re.compile(
    r"(?:委员会|委|局|办|办公室|部|厅|院|处|室|会|政府|镇|街道|街镇|乡|公司|集团|中心|部门|单位|园区|管委会|署|所|队|党校|"
    r"学院|学校|分局|团区委|联|社|科技城|开发区|经开区|片区|新城|银行|总部)(?:（[^（）]*）|\([^()]*\))?$"
)
_GENERIC = re.compile(r"^(?:各|相关|有关|其他)")
MAX_UNIT_CHARS = 30  # longer "names" are sentences: the parenthetical was not a unit list


@dataclass(frozen=True)
class Assignment:
    unit: str  # as written
    role: str  # 牵头 / 配合


@dataclass(frozen=True)
class Statement:
    """One responsibility statement and the text it closes."""

    assignments: tuple[Assignment, ...]
    paragraph: str  # the paragraph before the statement (for a table row: the row's task cell)
    start: int  # span of the statement in the clause text
    end: int

    @property
    def lead(self) -> tuple[str, ...]:
        return tuple(a.unit for a in self.assignments if a.role == LEAD)


# ---- splitting at depth 0 ---------------------------------------------------------------------

def split_top(s: str, seps: str) -> list[str]:
    """Split on any of `seps` outside parentheses (区发展改革委（金融服务办）、区科委 → two names)."""
    parts, depth, cur = [], 0, []
    for ch in s:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        if depth == 0 and ch in seps:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def _names(segment: str) -> list[str]:
    """Unit names in 区发改委、区经委等相关职能部门、各街镇 / 区生态环境局及相关部门 / A和B."""
    out = []
    for part in split_top(segment, "、，,"):
        # 及 / 和 join two units only after a unit's name: 区发改委、区生态环境局及各有关部门.
        for name in re.split(r"(?<=[委局办部室府司心])(?:及|和|以及)", part):
            raw = re.sub(r"等$", "", name.strip()).strip()
            name = _TAIL.sub("", raw).strip()
            if len(name) < 2:  # 各有关部门 is a (generic) unit, not a tail
                name = raw
            name = re.sub(r"等$", "", name).strip()
            if name and len(name) <= MAX_UNIT_CHARS:
                out.append(name)
    return out


def looks_like_org(name: str) -> bool:
    return bool(_ORG.search(name)) or bool(_GENERIC.match(name))


def parse_statement(inner: str, default_role: str | None = None) -> tuple[Assignment, ...]:
    """Assignments from a statement's text (the inside of the parenthetical, or a table cell).

    `default_role` (a table column's role) applies to units the text gives no role; None means positional:
    the first unit leads, the others support.
    """
    inner = " ".join(inner.split())
    pieces: list[tuple[str | None, str]] = []  # (label, text)
    pos, label = 0, None
    for m in _LABEL.finditer(inner):
        if inner[pos:m.start()].strip(" ；;，,。"):
            pieces.append((label, inner[pos:m.start()]))
        label, pos = m.group("label"), m.end()
    pieces.append((label, inner[pos:]))
    units: list[tuple[str, str | None]] = []  # (name, explicit role or None)
    for label, text in pieces:
        label_role = (LEAD if label and label.startswith(_LEAD_LABELS) else
                      SUPPORT if label and label.startswith(_SUPPORT_LABELS) else None)
        for seg in split_top(text, "；;，,"):
            if not seg:
                continue
            duty = _TAIL.search(seg).group("duty") or ""
            role = LEAD if duty.startswith("牵头") else SUPPORT if duty else label_role
            units += [(n, role) for n in _names(seg)]
    has_lead = any(r == LEAD for _, r in units)
    seen, out = set(), []
    for name, role in units:
        if name in seen:
            continue
        seen.add(name)
        if role is None:
            role = default_role or (SUPPORT if has_lead or out else LEAD)
        out.append(Assignment(name, role))
    return tuple(out)


def _is_unit_list(inner: str, assignments: tuple[Assignment, ...]) -> bool:
    if not assignments:
        return False
    if _LABEL.search(inner) or re.search(r"负责|牵头|配合", inner):
        return True
    orgs = sum(looks_like_org(a.unit) for a in assignments)
    return looks_like_org(assignments[0].unit) and orgs * 2 >= len(assignments)


_LINE_STATEMENT = re.compile(
    r"^[ \t]*(?:" + _LABEL.pattern.replace("(?P<label>", "(?:") + r")[^\n]{1,300}$", re.MULTILINE)


def paragraph_statements(text: str) -> list[Statement]:
    """Statements that close a paragraph of a clause's text, in order.

    Two forms: a parenthetical with only punctuation and whitespace after it up to the end of its line (it may
    start on an earlier line: （责任单位：⏎区建管委…）), and a line of its own that starts with a label
    (责任单位：区交通委、区财政局).
    """
    spans: list[tuple[int, int, int, tuple[Assignment, ...]]] = []  # (start, end, resume, assignments)
    i, n = 0, len(text)
    while i < n:
        if text[i] in _CLOSE:
            j = i + 1
            while j < n and text[j] in " \t。；;.，,":
                j += 1
            if j == n or text[j] == "\n":
                start = _matching_open(text, i)
                if start is not None:
                    inner = text[start + 1:i].strip()
                    assignments = parse_statement(inner)
                    if 2 <= len(inner) <= 600 and _is_unit_list(inner, assignments):
                        spans.append((start, i + 1, j, assignments))
                        i = j
                        continue
        i += 1
    for m in _LINE_STATEMENT.finditer(text):
        if any(a <= m.start() < b for a, b, _, _ in spans):
            continue
        assignments = parse_statement(m.group(0).strip())
        if assignments and _is_unit_list(m.group(0), assignments):
            spans.append((m.start(), m.end(), m.end(), assignments))
    out: list[Statement] = []
    para_start = 0
    for start, end, resume, assignments in sorted(spans):
        if start < para_start:
            continue
        out.append(Statement(assignments, text[para_start:start].strip(), start, end))
        para_start = resume
    return out


def _matching_open(text: str, close: int) -> int | None:
    depth = 0
    for k in range(close, -1, -1):
        if text[k] in _CLOSE:
            depth += 1
        elif text[k] in _OPEN:
            depth -= 1
            if depth == 0:
                return k
    return None


# ---- annex table rows ---------------------------------------------------------------------------

_CELL = re.compile(r"(?:^|；)(?P<head>[^：:；]{1,16})[：:]")


def table_cells(text: str) -> list[tuple[str, str]]:
    """(header, cell) pairs of an annex row stored as 主要任务：…；节点要求：…；牵头部门：…; [] when it isn't one."""
    heads = list(_CELL.finditer(text))
    if len(heads) < 2 or heads[0].start() != 0:
        return []
    cells = []
    for k, m in enumerate(heads):
        end = heads[k + 1].start() if k + 1 < len(heads) else len(text)
        cells.append((m.group("head").strip(), text[m.end():end].strip()))
    return cells


def column_role(header: str) -> str | None | bool:
    """A unit column's role: 牵头 / 配合, None for positional (责任单位), False when not a unit column."""
    if not re.search(r"单位|部门|责任|牵头|配合", header) or re.search(r"^(?:计量)?单位$", header):
        return False
    if "牵头" in header or "主责" in header:
        return LEAD
    if any(w in header for w in _SUPPORT_LABELS):
        return SUPPORT
    return None


def row_statement(cells: list[tuple[str, str]]) -> Statement | None:
    """The responsibility columns of an annex row as one statement; the first non-unit text cell is its task."""
    assignments: list[Assignment] = []
    task = ""
    for head, cell in cells:
        role = column_role(head)
        if role is False:
            if not task and re.search(r"任务|内容|项目|事项|指标|名称|措施|工作", head):
                task = cell
            continue
        for a in parse_statement(cell, default_role=role):
            if all(a.unit != b.unit for b in assignments):
                assignments.append(a)
    if not assignments:
        return None
    if not task:
        task = next((c for h, c in cells if column_role(h) is False and not re.fullmatch(r"[\d\s.]+", c)), "")
    return Statement(tuple(assignments), task, 0, 0)


# ---- unit names across abbreviations ------------------------------------------------------------

_PLACE = re.compile(r"^[\u4e00-\u9fff]{2,3}?(?P<level>[市区县])(?=[\u4e00-\u9fff]{3,})")


def canonical(name: str) -> str:
    """上海市生态环境局 → 市生态环境局; 区发展和改革委员会 → 区发展改革委; 区发展改革委（金融服务办） → 区发展改革委."""
    s = re.sub(r"\s+", "", name)
    s = re.sub(r"[（(][^（）()]*[）)]$", "", s)
    m = _PLACE.match(s)
    if m and not s.startswith(("区级", "市级", "县级")):
        s = m.group("level") + s[m.end():]
    s = s.replace("委员会", "委").replace("和", "")
    return s


def same_unit(a: str, b: str) -> bool:
    """Do two written names denote one unit? Equal after canonical(), or one abbreviates the other.

    An abbreviation keeps the level (区/市), the name's first character and the kind (委/局/办), and its characters
    appear in order in the full name: 区发改委 ⊂ 区发展改革委, 区绿容局 ⊂ 区绿化市容局, 区住建委 ⊂ 区住房城乡建设管理委;
    区科经委 is not 区经委 (first characters differ), 市生态环境局 is not 区生态环境局 (levels differ).
    """
    ca, cb = canonical(a), canonical(b)
    if ca == cb:
        return True
    s, l = sorted((ca, cb), key=len)
    return (len(s) >= 3 and len(l) > len(s) and s[0] == l[0] and s[1] == l[1] and s[-1] == l[-1]
            and in_order(s, l))

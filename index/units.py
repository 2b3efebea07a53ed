"""Responsible units from a clause's trailing parenthetical.

Forms seen in plans: （区发展改革委、区经委…等按职责分工负责）, （责任单位：…）,
（市生态环境局牵头负责）, and a bare list （区发展改革委、区商务委、区科委）.
"""
from __future__ import annotations

import re

_OPEN, _CLOSE = "（(", "）)"
_PREFIX = re.compile(r"^(?:责任单位|牵头单位|责任部门|牵头部门|主责单位|配合单位|实施单位)[：:]\s*")
# What follows a unit's name: 牵头负责 / 按职责分工负责 / 牵头 / 配合 (区建管委牵头，区水务局、各街道配合).
_DUTY_TAIL = re.compile(
    r"(?:等)?(?:相关职能部门)?(?:等)?(?:按职责分工|按照职责分工|按职能|分别)?(?:牵头|配合|协助|参与|协同)?(?:负责|落实|实施|推进)?$"
)
_ORG_SUFFIX = re.compile(
    r"(?:委员会|委|局|办|办公室|部|厅|院|处|室|会|政府|镇|街道|街镇|乡|公司|集团|中心|部门|单位|园区|管委会|署|所|队|党校|学院|学校|分局|团区委|区委|联|社|科技城|开发区|经开区|片区|新城)$"
)
_SPLIT = re.compile(r"[、，,；;]|(?<=[委局办部])及|(?<=[委局办部])和")
_GENERIC_TAIL = re.compile(r"等(?:相关|有关)?(?:职能)?(?:部门|单位)?$")


def _clean(unit: str) -> str:
    unit = _DUTY_TAIL.sub("", unit.strip())
    unit = _GENERIC_TAIL.sub("", unit)
    return unit.strip()


def trailing_parenthetical(text: str) -> str | None:
    """The content of the parenthetical that ends `text` (nested ones allowed), or None."""
    s = text.rstrip().rstrip("。；;.").rstrip()
    if not s or s[-1] not in _CLOSE:
        return None
    depth = 0
    for i in range(len(s) - 1, -1, -1):
        if s[i] in _CLOSE:
            depth += 1
        elif s[i] in _OPEN:
            depth -= 1
            if depth == 0:
                inner = s[i + 1:-1].strip()
                return inner if 2 <= len(inner) <= 400 else None
    return None


def split_units(inner: str) -> tuple[str, ...]:
    """Unit names from a list such as 区发展改革委、区经委等按职责分工负责."""
    seen: list[str] = []
    for p in (_clean(x) for x in _SPLIT.split(_PREFIX.sub("", inner.strip()))):
        if p and p not in seen and len(p) <= 40:
            seen.append(p)
    return tuple(seen)


def parse_units(text: str) -> tuple[str, ...]:
    """Unit names from the clause's trailing parenthetical, in order; () if there is none."""
    inner = trailing_parenthetical(text)
    if inner is None:
        return ()
    explicit = bool(_PREFIX.match(inner)) or bool(re.search(r"负责|牵头|配合|落实$", inner))
    parts = split_units(inner)
    # A bare list counts only when every element looks like an organisation's name.
    if not explicit and not all(len(p) <= 24 and _ORG_SUFFIX.search(p) for p in parts):
        return ()
    return parts

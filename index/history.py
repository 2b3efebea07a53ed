"""A statute's 题注: the adoption, amendment and promulgation history under its title.

    2006年4月29日 第十届全国人民代表大会常务委员会第二十一次会议通过
    （1994年12月8日上海市…第十四次会议通过 根据2010年7月30日…《关于修改…的决定》第二次修正）

Each date opens an event that runs to the next date; what the event did is its last action word outside
《》 (a 《关于修改…的决定》 names the amending act, it is not the action). The version date is the latest
adoption or amendment; the issuer is the body that adopted the text (or promulgated it, for a rule
issued by decree).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_DATE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
# A 题注 line opens with its date, bare or in brackets; a notice's sentences (经…会议审议通过) do not.
_HISTORY_LINE = re.compile(r"^[（(]?\s*(?:根据\s*)?(?:19|20)\d{2}\s*年")
_TITLES = re.compile(r"《[^《》]*》")
# What an event did, by the words the 题注 uses. Adoption and amendment make a version; promulgation
# dates a rule issued by decree (国务院令第N号公布) when nothing was adopted; 施行 is never a version.
_VERSION_ACTS = ("通过", "修正", "修订", "修改", "批准")
_PROMULGATION_ACTS = ("公布", "发布", "印发")
# An amendment named in a citation: 修改 is cited as 修正 (…《关于修改…的决定》修改).
_AMENDING_ACTS = {"修正": "修正", "修改": "修正", "修订": "修订"}
_ACT = re.compile("|".join(_VERSION_ACTS + _PROMULGATION_ACTS + ("施行", "生效")))
_NUM = r"[一二三四五六七八九十百零〇\d]+"
# The adopting body ends where its session, decree or notice begins: …常务委员会|第二十一次会议通过,
# 国务院|令第588号公布, 最高人民法院|公告公布, 国务院|批准, …办公室|2021年第1次室务会议.
_BODY_END = re.compile(rf"第\s*{_NUM}|{_NUM}\s*次|(?:19|20)\d{{2}}\s*年|常务会议|会议|令|公告|" + _ACT.pattern)
_ORDINAL = re.compile(rf"第?\s*{_NUM}\s*届")  # 第十届全国人民代表大会 / 市十四届人大常委会
_AGENT = re.compile(r"^(?:由|经|根据)")  # 由最高人民法院…公布, 经国务院批准
# Two bodies adopting one text: 最高人民法院审判委员会第1436次会议、2007年9月7日最高人民检察院…会议通过.
_JOINT = re.compile(r"[、和及与]\s*$")
# A court's or procuratorate's committee adopts an interpretation the court or procuratorate issues.
_ORGAN = re.compile(r"(?<=院)(?:审判委员会|检察委员会)$")


@dataclass(frozen=True)
class Event:
    date: str  # ISO yyyy-mm-dd
    act: str | None  # 通过 / 修正 / 修订 / 修改 / 批准 / 公布 / 发布 / 印发 / 施行 / 生效, or None
    body: str | None  # who acted, as the 题注 names it without its 届 (全国人民代表大会常务委员会)
    joint: bool = False  # acted together with the next event's body (their act is stated once, at the end)


@dataclass(frozen=True)
class History:
    events: tuple[Event, ...]

    @property
    def version_date(self) -> str | None:
        """The latest adoption or amendment; for a rule issued by decree, its latest promulgation; else the
        latest date at which a named body acted, though the 题注 breaks off before saying how (2017年11月22日
        中华人民共和国国务院令第692号). A bare date (a notice's signing date) dates no version."""
        for acts in (_VERSION_ACTS, _PROMULGATION_ACTS, (None,)):
            dates = [e.date for e in self.events if e.act in acts and (e.act or e.body)]
            if dates:
                return max(dates)
        return None

    @property
    def edition(self) -> str | None:
        """How a citation names this version: 2024年修正 / 2022年修订 when the 题注 records an amendment, else
        the year and act of the first version (2020年通过 / 2017年公布 / 2017年批准); None when undated.

        A text re-adopted later (a judicial interpretation 通过 again in 2020 and 2022) was amended; a 批准 after
        a 通过 (a city's regulation approved by the province) or a joint adoption on two dates is one version."""
        date = self.version_date
        if date is None:
            return None
        year = date[:4] + "年"
        amending = [e for e in self.events if e.act in _AMENDING_ACTS and e.date <= date]
        if amending:
            return year + _AMENDING_ACTS[amending[-1].act]
        adopted = [e for e in self.events if e.act == "通过" and not e.joint and e.date <= date]
        if len(adopted) >= 2:
            return year + "修正"
        act = next((e.act for e in reversed(self.events) if e.date == date and e.act), None)
        return year + (act if act in _VERSION_ACTS + _PROMULGATION_ACTS else "")

    @property
    def effective_date(self) -> str | None:
        """The 施行 date the 题注 states (2022年4月10日 施行), if any: the latest."""
        dates = [e.date for e in self.events if e.act in ("施行", "生效")]
        return max(dates) if dates else None

    @property
    def issuer(self) -> str | None:
        """The body (or joint bodies) that adopted the text; else the one that approved or promulgated it;
        else the one that amended it (a 题注 that lists only amendments)."""
        for acts in (("通过",), ("批准",) + _PROMULGATION_ACTS, _VERSION_ACTS):
            first = next((k for k, e in enumerate(self.events) if e.act in acts and e.body), None)
            if first is None:
                continue
            bodies = [self.events[first].body]
            while self.events[first].joint and first + 1 < len(self.events):
                first += 1
                bodies.append(self.events[first].body)
            return "、".join(dict.fromkeys(b for b in bodies if b))
        return None


def is_history_line(line: str) -> bool:
    return _HISTORY_LINE.match(line.strip()) is not None


def read_history(head: list[str]) -> History:
    """The events of the head's 题注 lines (those that open with a date); empty when there are none."""
    text = " ".join(line for line in head if is_history_line(line))
    dates = list(_DATE.finditer(text))
    events: list[Event] = []
    for k in range(len(dates) - 1, -1, -1):  # from the last: a joint event takes the act stated after it
        m = dates[k]
        end = dates[k + 1].start() if k + 1 < len(dates) else len(text)
        said = _TITLES.sub("", text[m.end():end])
        acts = _ACT.findall(said)
        joint = not acts and bool(events) and _JOINT.search(said) is not None
        act = acts[-1] if acts else (events[0].act if joint else None)
        iso = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
        events.insert(0, Event(iso, act, _body(said), joint))
    return History(tuple(events))


def _body(said: str) -> str | None:
    said = _AGENT.sub("", _ORDINAL.sub("", re.sub(r"[\s（()）]", "", said)))
    cut = _BODY_END.search(said)
    body = _ORGAN.sub("", said[:cut.start()] if cut else "")
    return body if len(body) >= 2 else None

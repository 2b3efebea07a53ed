"""How questions and references name documents and clauses: aliases (青浦区, 环境保护条例), shortened titles
(预付卡条例), and comparable labels (二、（一）1. = 二（一）1, 第18条 = 第十八条)."""
from __future__ import annotations

import re

from index.places import title_places

_KIND_TAIL = re.compile(r"(?:实施方案|工作方案|行动方案|方案|条例|办法|规定|细则|意见|规划|计划)$")


_SHORT_TITLE = re.compile(r"([\u4e00-\u9fff]{2,10}?)(条例|办法|实施方案|方案|规定|细则|意见)")


def in_order(short: str, title: str) -> bool:
    """Are the characters of `short` in `title`, in order (区绿容局 in 区绿化市容局)?"""
    pos = 0
    for ch in short:
        pos = title.find(ch, pos) + 1
        if pos == 0:
            return False
    return True


_YEARS_TAIL = re.compile(r"[（(][^（）()]{0,20}(?:19|20)\d{2}[^（）()]{0,20}[）)]$|[（(](?:试行|暂行|征求意见稿|修订|修正)[）)]$")


def own_place(title: str) -> str:
    """The most specific place a title opens with (上海市青浦区… → 青浦区), or ''."""
    places, _ = title_places(title)
    return places[-1] if places else ""


def doc_aliases(title: str) -> set[str]:
    """Ways a question names a document: its title, its most specific place (青浦区, 青浦), its title without places."""
    aliases = {title}
    bare = _YEARS_TAIL.sub("", title)  # 宝山区养老服务…实施方案（2024—2026年） → …实施方案
    if len(bare) >= 4:
        aliases.add(bare)
    places, pos = title_places(bare)
    title = bare
    if places:
        place = places[-1]
        aliases.add(place)
        aliases.add(title[:pos])  # 上海市青浦区
        if len(place) >= 3 and place[-1] in "区县市省":
            aliases.add(place[:-1])  # 青浦区 → 青浦, 山东省 → 山东
        if place[-1] == "市":
            aliases.update({"全市", "本市"})  # a city-level document is what "全市" questions mean
        elif place[-1] == "省":
            aliases.update({"全省", "本省"})
    topic = title[pos:]
    if places and len(topic) >= 4:
        aliases.add(topic)  # 环境保护条例
        short = _KIND_TAIL.sub("", topic)
        if len(short) >= 4 and short != topic:
            aliases.add(short + "条例" if topic.endswith("条例") else short)
    aliases.update(_shortened_titles(topic))
    return {a for a in aliases if len(a) >= 2}


def _shortened_titles(topic: str) -> set[str]:
    """How officials shorten a long title: 住宅小区电动自行车停放充电管理办法 → 电动自行车停放充电管理办法,
    停放充电管理办法 (word-boundary suffixes that keep the kind and at least four characters of subject)."""
    tail = _KIND_TAIL.search(topic)
    if not tail:
        return set()
    from index.store.tokens import _jieba

    out, pos = set(), 0
    for word in _jieba().lcut(topic[: tail.start()])[:-1]:
        pos += len(word)
        rest = topic[pos:]
        if tail.start() - pos >= 4 and len(rest) >= 6 and rest[0] not in "和与及的年之或并等":
            out.add(rest)
    return out


_LABEL_NOISE = re.compile(r"[\s、.．。，,:：《》]|实施方案|方案|条例")
_AR_ARTICLE = re.compile(r"第(\d{1,3})([条章节])")


def label_key(text: str) -> str:
    """A label in comparable form: 二、（一）1. → 二（一）1, (一) → （一）, 第18条 → 第十八条."""
    from index.markers import int_to_cn

    t = _AR_ARTICLE.sub(lambda m: f"第{int_to_cn(int(m.group(1)))}{m.group(2)}", text)
    t = t.replace("(", "（").replace(")", "）")
    t = _LABEL_NOISE.sub("", t)
    return t if re.search(r"[一二三四五六七八九十\d]", t) and len(t) <= 24 else ""


def abbreviations(text: str, titles: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Titles as officials shorten them: 预付卡条例 (《上海市单用途预付消费卡管理条例》), 环保条例 — the
    characters of the short name appear in that order in exactly one (doc_id, title) of the same kind."""
    out = []
    for m in _SHORT_TITLE.finditer(text):
        body, kind = m.group(1), m.group(2)
        for i in range(len(body) - 1):
            short = body[i:]
            if short[0] in "本该此这其上":
                continue
            hits = [d for d, t in titles if _KIND_TAIL.search(t) and t.endswith(kind) and in_order(short, t[: -len(kind)])]
            if len(hits) == 1:
                out.append((short + kind, hits[0]))
                break
            if hits:
                break  # shorter still would be even more ambiguous
    return out



"""Versions and validity: which documents are versions of one law, which version is current, and what status
each document has (现行有效 / 已被修订 / 已废止 / 尚未施行), from the documents themselves and a user's marks.

A law is its title (and the part a file holds); its versions are ordered by version date (the 题注's latest
adoption or amendment), else the document's date or its 文号's year; a version that states none is the oldest.
The order never depends on when a file was ingested. Pure functions of the documents' metadata: the store
calls `link` once per committed generation.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from index.models import DocumentMeta

STATUS_CURRENT = "现行有效"
STATUS_AMENDED = "已被修订"
STATUS_REPEALED = "已废止"
STATUS_PENDING = "尚未施行"
STATUSES = (STATUS_CURRENT, STATUS_AMENDED, STATUS_REPEALED, STATUS_PENDING)
# What a user may mark: 现行有效 undoes what a document says of another (a repeal it was wrong about).
USER_STATUSES = (STATUS_REPEALED, STATUS_PENDING, STATUS_CURRENT)
# Who set a status (Validity.source), besides the doc_id of a document that repeals another.
SOURCE_VERSIONS = "版本"
SOURCE_USER = "用户标注"
SOURCE_TEXT = "施行日期"
OLD_EDITION = "旧版"  # a superseded version that states no date
NATIONAL = "中华人民共和国"

_AMENDED = re.compile(r"(?:修正|修订)$")
_DOC_YEAR = re.compile(r"〔((?:19|20)\d{2})〕")
# A repeal a text states: 《A》《B》同时废止 / 《A》（1994年…通过）自本条例施行之日起废止 / 一、废止《A》（…）.
_TITLE = r"《[^《》\n]{2,80}》"
_TITLES_BEFORE = re.compile(rf"((?:{_TITLE}(?:[（(][^（）()\n]{{0,60}}[)）])?[、，,和及与]?\s*)+)"
                            r"(?:同时|即行|一并|相应)?(?:予以)?废止")
_TITLES_AFTER = re.compile(rf"(?:^|[。；：:\n]|[一二三四五六七八九十]+、)\s*(?:决定)?废止\s*((?:{_TITLE}[、，,和及与]?\s*)+)")
_TITLES_WITHIN = re.compile(rf"{_TITLE}(?:[（(][^（）()\n]{{0,60}}[)）])?\s*自[^。；\n]{{0,30}}(?:之日|起)[^。；\n]{{0,6}}废止")
_ONE_TITLE = re.compile(r"《([^《》\n]{2,80})》")
_EFFECTIVE = re.compile(r"本(?:法|条例|办法|规定|实施细则|细则|决定|规则|解释|方案|实施方案|意见|通知|准则)\s*"
                        r"自\s*((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*起\s*(?:施行|实施|生效)")


def amended(edition: str | None) -> bool:
    """Does the edition name an amendment (2024年修正 / 2022年修订)? Such a version is always cited with it."""
    return bool(edition) and _AMENDED.search(edition) is not None


def citation_prefix(title: str, doc_number: str | None, tag: str | None) -> str:
    """《title》（文号）（tag）: what a citation prints before the clause's path."""
    return f"《{title}》" + (f"（{doc_number}）" if doc_number else "") + (f"（{tag}）" if tag else "")


def parse_tag(edition: str | None) -> str | None:
    """The tag a citation carries at parse time: the edition of an amended law, nothing for a first version (a
    law cited without a tag is its only or its current version; the store adds a tag to a superseded one)."""
    return edition if amended(edition) else None


def repealed_titles(texts: Iterable[str]) -> tuple[str, ...]:
    """Titles a document's provisions say it repeals: 《A》同时废止, 废止《A》（…通过）, 《A》自…起废止."""
    found: list[str] = []
    for text in texts:
        if "废止" not in text:
            continue
        for rx in (_TITLES_BEFORE, _TITLES_AFTER, _TITLES_WITHIN):
            for m in rx.finditer(text):
                found.extend(t.group(1) for t in _ONE_TITLE.finditer(m.group(0)))
    return tuple(dict.fromkeys(t for t in found if "废止" not in t))


def stated_effective_date(texts: Iterable[str]) -> str | None:
    """The date a document's provisions say it takes effect (本条例自2025年1月1日起施行), the last one stated."""
    date = None
    for text in texts:
        for m in _EFFECTIVE.finditer(text):
            date = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    return date


def law_key(meta: DocumentMeta) -> tuple[str, str]:
    """What the versions of one law share: the title and the part the file holds."""
    return meta.title, meta.part or ""


def version_key(meta: DocumentMeta) -> tuple[int, str, str]:
    """The order of a law's versions: dated ones by date (version date, else the document's date, else the
    文号's year), undated ones first. Two documents with equal keys are one version (parts, or a re-issue)."""
    when = meta.version_date or meta.date
    if not when and meta.doc_number:
        m = _DOC_YEAR.search(meta.doc_number)
        when = m.group(1) if m else None
    return (1 if when else 0, when or "", meta.doc_number or "")


@dataclass(frozen=True)
class Mark:
    """A user's status mark on one document, kept in the store by doc_id (so it survives re-ingest)."""

    doc_id: str
    status: str
    note: str | None = None
    marked_at: str | None = None  # ISO time
    marked_by: str | None = None


@dataclass(frozen=True)
class Validity:
    """A document's place among its law's versions and its status."""

    doc_id: str
    status: str  # one of STATUSES
    versions: tuple[str, ...]  # doc ids of every version of the law, oldest first (this one included)
    tag: str | None = None  # the edition its citations print: 2024年修正, 2020年通过 for a superseded first version
    newer: str | None = None  # the next version, for a superseded one
    since: str | None = None  # ISO date the status took effect, where known
    source: str = SOURCE_VERSIONS  # SOURCE_* or the doc_id of the document that repeals it
    note: str | None = None  # a user's note

    @property
    def current(self) -> bool:
        return self.status != STATUS_AMENDED

    @property
    def in_force(self) -> bool:
        return self.status == STATUS_CURRENT


def link(metas: Sequence[DocumentMeta], marks: Mapping[str, Mark] | None = None,
         today: str | None = None) -> dict[str, Validity]:
    """The Validity of every document: versions linked per law, then what documents say of others (repeals),
    then 施行 dates still ahead of `today` (ISO), then the user's marks, which override the rest."""
    marks = marks or {}
    groups: dict[tuple[str, str], list[DocumentMeta]] = defaultdict(list)
    for m in metas:
        groups[law_key(m)].append(m)
    out: dict[str, Validity] = {}
    for ms in groups.values():
        ms = sorted(ms, key=lambda m: (version_key(m), m.doc_id))
        keys = sorted({version_key(m) for m in ms})
        versions = tuple(m.doc_id for m in ms)
        tags = _tags(ms, keys)
        for m in ms:
            k = keys.index(version_key(m))
            if k == len(keys) - 1:
                out[m.doc_id] = Validity(m.doc_id, STATUS_CURRENT, versions, tags[m.doc_id])
                continue
            newer = next(x for x in ms if version_key(x) == keys[k + 1])
            out[m.doc_id] = Validity(m.doc_id, STATUS_AMENDED, versions, tags[m.doc_id], newer.doc_id,
                                     newer.version_date or newer.date)
    _apply_repeals(metas, groups, out, today)
    if today:
        for m in metas:
            v = out[m.doc_id]
            if v.status == STATUS_CURRENT and m.effective_date and m.effective_date > today:
                out[m.doc_id] = Validity(m.doc_id, STATUS_PENDING, v.versions, v.tag, since=m.effective_date,
                                         source=SOURCE_TEXT)
    for doc_id, mark in marks.items():
        v = out.get(doc_id)
        if v is not None and mark.status in USER_STATUSES:
            out[doc_id] = Validity(doc_id, mark.status, v.versions, v.tag, v.newer if mark.status != STATUS_CURRENT
                                   else None, (mark.marked_at or "")[:10] or None, SOURCE_USER, mark.note)
    return out


def _tags(ms: list[DocumentMeta], keys: list) -> dict[str, str | None]:
    """Each version's citation tag: an amended version's edition always; an earlier version's edition (or 旧版)
    when the law has a newer one, so a pasted citation names the version it came from; a date where two
    versions' editions would read alike (two amendments in one year)."""
    newest = keys[-1]
    tags: dict[str, str | None] = {}
    for m in ms:
        tag = parse_tag(m.edition)
        if tag is None and version_key(m) != newest:
            tag = m.edition or OLD_EDITION
        tags[m.doc_id] = tag
    seen: dict[str, list[DocumentMeta]] = defaultdict(list)
    for m in ms:
        if tags[m.doc_id]:
            seen[tags[m.doc_id]].append(m)
    for tag, same in seen.items():
        keyed = {version_key(m) for m in same}
        if len(keyed) > 1:  # all but the newest name their full date
            for m in same:
                when = m.version_date or m.date
                if version_key(m) != max(keyed) and when:
                    y, mo, d = when.split("-")
                    tags[m.doc_id] = f"{int(y)}年{int(mo)}月{int(d)}日" + tag[len(y) + 1:]
    return tags


def _apply_repeals(metas: Sequence[DocumentMeta], groups: Mapping[tuple[str, str], list[DocumentMeta]],
                   out: dict[str, Validity], today: str | None) -> None:
    """A document that says it repeals 《A》 makes A's current version 已废止, when A is older than it and not an
    earlier version of the same law (a revision that repeals its own first text replaces it instead), from the
    day the document takes effect (a 增值税法 in force from 2026 repeals the 暂行条例 then, not when published)."""
    by_title: dict[str, list[DocumentMeta]] = defaultdict(list)
    for ms in groups.values():
        for m in ms:
            by_title[m.title].append(m)
    for r in metas:
        if not r.repeals or (today and r.effective_date and r.effective_date > today):
            continue
        for named in r.repeals:
            targets = by_title.get(named) or by_title.get(NATIONAL + named) or []
            for t in targets:
                v = out[t.doc_id]
                if t.title == r.title or v.status != STATUS_CURRENT or version_key(t) >= version_key(r):
                    continue
                out[t.doc_id] = Validity(t.doc_id, STATUS_REPEALED, v.versions, v.tag,
                                         since=r.effective_date or r.version_date or r.date, source=r.doc_id)


def describe(v: Validity, titles: Mapping[str, str], editions: Mapping[str, str | None] | None = None) -> str:
    """One line on a document's status: 已被修订（2024年修正版取代，2024-09-27） / 已废止（用户标注：…）."""
    editions = editions or {}
    if v.status == STATUS_AMENDED:
        newer = editions.get(v.newer or "") or "新版本"
        return f"{STATUS_AMENDED}（由{newer}取代" + (f"，{v.since}" if v.since else "") + "）"
    if v.status == STATUS_CURRENT:
        return STATUS_CURRENT + ("（用户标注）" if v.source == SOURCE_USER else "")
    if v.source == SOURCE_USER:
        why = "用户标注" + (f"：{v.note}" if v.note else "")
    elif v.source == SOURCE_TEXT:
        why = f"自{v.since}起施行"
    else:
        why = f"《{titles.get(v.source, v.source)}》宣布废止"
    return f"{v.status}（{why}" + (f"，{v.since}" if v.since and v.source != SOURCE_TEXT else "") + "）"

"""Lookup: a reference (index/references.py) resolved against one committed generation of the store.

Which documents it names (a 《title》, a 文号, a short title or place, or the document chosen beside it), which
version (the current one unless it states another), then which clause (label, then 款 and 项 inside an article).
A reference to something that does not exist resolves to one line saying so; a name that fits several laws
resolves to the list of them by place; a query that is no reference (words beyond a name and a path) resolves
to nothing, and the caller ranks it instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

from index.markers import int_to_cn
from index.models import KIND_ARTICLE, Clause, DocumentMeta
from index.references import (
    RELATIVE_CURRENT, RELATIVE_PREVIOUS, WORD_LABELS, EditionSpec, Reference, items_of, paragraph_lines, parse,
)
from index.versions import NATIONAL, STATUS_AMENDED, law_key, version_key

if TYPE_CHECKING:
    from index.store.clause_index import ClauseIndex, _View

MAX_EXACT = 50  # clauses listed for one reference (第十八条 of every law, or a whole document)
MAX_CANDIDATES = 100  # laws listed when a short name fits several (all, in practice: 文明行为促进条例 fits 60)
_DOC_NUMBER_PARTS = re.compile(r"^(.*?)〔(\d{4})〕(\d+)号$")
_TITLE_PLACE = re.compile(r"[\u4e00-\u9fff]{1,10}?(?:自治区|自治州|特别行政区|省|市)")
# What a title says before a local law's own name: a province or city, perhaps with its district.
_PLACE_PREFIX = re.compile(r"[^\W\d省市区县旗]{1,10}?(?:自治区|自治州|特别行政区|省|市|地区|盟|县|区|旗)"
                           r"(?:(?!城市)[\u4e00-\u9fff]{1,8}?(?:区|县|市|旗))?")  # (郑州市|城市道路…条例: 城市 is no district)


@dataclass(frozen=True)
class Found:
    clause: Clause
    focus: str | None = None  # the 款 or 项 the reference names inside the clause


@dataclass(frozen=True)
class Resolution:
    """What a reference names in the store."""

    reference: Reference
    is_reference: bool  # False: no reference (words beyond a name and a path); rank the query instead
    found: tuple[Found, ...] = ()
    message: str | None = None  # one line: what does not exist, or which laws a short name fits
    candidates: tuple[str, ...] = ()  # doc ids a short name fits, by place
    docs: tuple[str, ...] = ()  # the documents (versions) it names
    notes: tuple[str, ...] = field(default=())  # status of a named document that is not in force

    @property
    def clauses(self) -> list[Clause]:
        return [f.clause for f in self.found]


def resolve(idx: "ClauseIndex", text: str, doc: str | None = None) -> Resolution:
    ref = parse(text)
    v = idx._current()
    metas = [m for _, m, _ in v.docs]
    if not metas:
        return Resolution(ref, False)
    named_by_words = False
    pinned = None
    if doc:
        pinned = idx.resolve_doc(doc)
        docs = law_of(v, [pinned])
        if ref.rest or (ref.name and not ref.path):
            return Resolution(ref, False, docs=(pinned.doc_id,))
    elif ref.title:
        docs = law_of(v, by_title(v, ref.title) or [])
        if not docs:
            docs, _ = by_name(v, ref.title)
        if not docs:
            return Resolution(ref, True, message=f"没有找到《{ref.title}》；可用 `python -m assistant docs` 或“文件库”查看已导入的文件")
    elif ref.doc_number:
        docs = law_of(v, by_number(v, ref.doc_number))
        if not docs:
            return Resolution(ref, True, message=f"没有找到文号为{ref.doc_number}的文件")
    elif ref.name:
        docs, named_by_words = by_name(v, ref.name)
        if not docs or not ref.path:
            return Resolution(ref, False, docs=tuple(m.doc_id for m in docs))
    elif ref.path:
        docs = [m for m in metas if v.validity[m.doc_id].current]
    else:
        return Resolution(ref, False)
    if ref.rest:  # 《X》 and words: a label printed as words (第一章 总则), else a search inside X
        found = _by_label_words(idx, v, docs, ref.rest)
        if found:
            return Resolution(ref, True, tuple(Found(c) for c in found), docs=tuple(m.doc_id for m in docs))
        return Resolution(ref, False, docs=tuple(m.doc_id for m in _choose_all(v, docs, None)[0]))
    laws = _laws(v, docs)
    if pinned is not None and ref.edition is None:  # the document chosen beside the reference, as it is
        chosen, message = [pinned], None
    else:
        chosen, message = _choose_all(v, docs, ref.edition)
    if message:
        return Resolution(ref, True, message=message)
    notes = _notes(idx, chosen)
    ids = tuple(m.doc_id for m in chosen)
    ambiguous = named_by_words and len(laws) > 1
    candidates = tuple(m.doc_id for m in _by_place(v, [ms[-1] for ms in laws]))[:MAX_CANDIDATES] if ambiguous else ()
    if not ref.path:
        clauses = _select_docs(idx, ids)
        note = (f"《{chosen[0].title}》共 {len(clauses)} 条款，显示前 {MAX_EXACT} 条；写明条款（如 第十八条）可直接定位"
                if len(clauses) > MAX_EXACT and len(laws) == 1 else None)
        if ambiguous:
            note = _candidates_line(v, ref.name, candidates)
        return Resolution(ref, True, tuple(Found(c) for c in clauses[:MAX_EXACT]) if not ambiguous else (), note,
                          candidates, ids, notes)
    found, missing = _by_path(idx, v, chosen, ref)
    if ambiguous:
        line = _candidates_line(v, ref.name, candidates) + ("；以下是各法规的" + ref.path if found else "")
        return Resolution(ref, True, tuple(found[:MAX_EXACT]), line, candidates, ids, notes)
    if not found:
        return Resolution(ref, True, message=missing, docs=ids)
    many = len(found) > MAX_EXACT
    note = f"共 {len(found)} 个文件有{ref.path}，显示前 {MAX_EXACT} 个；写明文件名可直接定位" if many else None
    return Resolution(ref, True, tuple(found[:MAX_EXACT]), note, (), ids, notes)


# ---- documents ---------------------------------------------------------------------------------------------

def by_title(v: "_View", title: str) -> list[DocumentMeta]:
    """Documents titled exactly so, or so with 中华人民共和国 before it (《护照法》)."""
    title = re.sub(r"\s+", "", title)
    for t in (title, NATIONAL + title):
        found = v.by_title.get(t)
        if found:
            return list(found)
    return []


def by_number(v: "_View", number: str) -> list[DocumentMeta]:
    """Documents with this 文号; a 文号 written with a longer or shorter issuer prefix (嘉定区嘉府发〔2023〕27号)."""
    exact = [m for _, m, _ in v.docs if m.doc_number == number]
    if exact:
        return exact
    want = _DOC_NUMBER_PARTS.match(number)
    if not want:
        return []
    out = []
    for _, m, _ in v.docs:
        have = _DOC_NUMBER_PARTS.match(m.doc_number or "")
        if have and have.group(2, 3) == want.group(2, 3) and (have.group(1).endswith(want.group(1)) or
                                                              want.group(1).endswith(have.group(1))):
            out.append(m)
    return out


def by_name(v: "_View", name: str) -> tuple[list[DocumentMeta], bool]:
    """Documents a name fits, and whether the name was words (a short title, a place) rather than a title.
    Every version of each law is returned; the caller picks the version."""
    exact = by_title(v, name)
    if exact:
        return law_of(v, exact), False
    # a law whose title is the name after its place (河南省|公共场所治安管理条例) before one the name abbreviates
    # (上海市特种行业和公共场所治安管理条例)
    local = [m for _, m, _ in v.docs if m.doc_id not in v.hidden and m.title.endswith(name) and len(m.title) > len(name)
             and _PLACE_PREFIX.fullmatch(m.title[: -len(name)])]
    if local:
        return law_of(v, local), True
    groups = [set(ids) for _, ids in v.names.mentions(name)]
    if not groups:
        return [], True
    common = set.intersection(*groups)
    ids = common or set().union(*groups)
    metas = [m for _, m, _ in v.docs if m.doc_id in ids]
    return law_of(v, metas), True


def law_of(v: "_View", metas: Sequence[DocumentMeta]) -> list[DocumentMeta]:
    """The documents with every other version of their laws, in store order."""
    keys = {law_key(m) for m in metas}
    return [m for _, m, _ in v.docs if law_key(m) in keys]


def _laws(v: "_View", docs: Sequence[DocumentMeta]) -> list[list[DocumentMeta]]:
    """Documents grouped by law, each group's versions oldest first."""
    groups: dict[tuple[str, str], list[DocumentMeta]] = {}
    for m in docs:
        groups.setdefault(law_key(m), []).append(m)
    return [sorted(ms, key=version_key) for ms in groups.values()]


def _by_place(v: "_View", metas: Sequence[DocumentMeta]) -> list[DocumentMeta]:
    """Candidates in the order a list by place reads: national ones (no place) first, then by place, then title."""
    return sorted(metas, key=lambda m: (_place_of(v, m, "") != "全国", _place_of(v, m, ""), m.title))


def _candidates_line(v: "_View", name: str, candidates: Sequence[str]) -> str:
    metas = {m.doc_id: m for _, m, _ in v.docs}
    parts = [f"{_place_of(v, metas[d], name)}：《{metas[d].title}》" for d in candidates]
    return f"“{name}”对应 {len(candidates)} 部文件，请写明是哪一部——" + "；".join(parts)


def _place_of(v: "_View", m: DocumentMeta, name: str = "") -> str:
    """Where a candidate applies: the province or city its title opens with (聊城市), else its place, else 全国."""
    head = _TITLE_PLACE.match(m.title)
    if head and len(head.group(0)) >= 3:
        return head.group(0)
    return v.names.places.get(m.doc_id) or "全国"


# ---- versions ------------------------------------------------------------------------------------------------

def _choose_all(v: "_View", docs: Sequence[DocumentMeta], spec: EditionSpec | None
                ) -> tuple[list[DocumentMeta], str | None]:
    chosen: list[DocumentMeta] = []
    for versions in _laws(v, docs):
        picked, message = choose_version(v, versions, spec)
        if message and len(docs) == len(versions):
            return [], message
        chosen.extend(picked)
    return chosen, None


def choose_version(v: "_View", versions: Sequence[DocumentMeta], spec: EditionSpec | None
                   ) -> tuple[list[DocumentMeta], str | None]:
    """The versions of one law (oldest first) a spec asks for: the current one by default; 修订前 the one before
    it; 2020年版 the one dated 2020 (else the one in force in 2020); （旧版） an undated one."""
    current = [m for m in versions if v.validity[m.doc_id].status != STATUS_AMENDED] or [versions[-1]]
    if spec is None or spec.relative == RELATIVE_CURRENT:
        return current, None
    title = versions[-1].title
    have = "、".join(dict.fromkeys(v.validity[m.doc_id].tag or _edition(m) for m in versions))
    keys = sorted({version_key(m) for m in versions})
    if spec.relative == RELATIVE_PREVIOUS:
        at = keys.index(version_key(current[0]))
        if at == 0:
            return [], f"《{title}》库中只有一个版本（{have}），没有修订前的版本"
        return [m for m in versions if version_key(m) == keys[at - 1]], None
    if spec.old:
        old = [m for m in versions if version_key(m)[0] == 0]
        return (old, None) if old else ([], f"《{title}》库中没有旧版（现有：{have}）")
    if spec.date:
        same = [m for m in versions if (m.version_date or m.date) == spec.date]
        if same:
            return same, None
    same = [m for m in versions if _year(m) == spec.year and (not spec.act or (m.edition or "").endswith(spec.act))]
    if not same:
        same = [m for m in versions if _year(m) == spec.year]
    if same:
        newest = max(version_key(m) for m in same)
        return [m for m in same if version_key(m) == newest], None
    earlier = [m for m in versions if _year(m) is not None and spec.year is not None and _year(m) <= spec.year]
    if earlier:  # 2021年版 of a law amended in 2020 and 2024: the text in force in 2021
        newest = max(version_key(m) for m in earlier)
        return [m for m in earlier if version_key(m) == newest], None
    return [], f"《{title}》库中没有{spec.words()}（现有：{have}）"


def _year(m: DocumentMeta) -> int | None:
    when = m.version_date or m.date
    return int(when[:4]) if when else None


def _edition(m: DocumentMeta) -> str:
    return m.edition or (m.doc_number or "未注明日期的版本")


def _notes(idx: "ClauseIndex", metas: Sequence[DocumentMeta]) -> tuple[str, ...]:
    out = []
    for m in metas:
        line = idx.status_line(m.doc_id)
        if line and not line.startswith("现行有效"):
            out.append(f"《{m.title}》{'（' + idx.validity(m.doc_id).tag + '）' if idx.validity(m.doc_id).tag else ''}{line}")
    return tuple(dict.fromkeys(out))


# ---- clauses ------------------------------------------------------------------------------------------------

def _by_path(idx: "ClauseIndex", v: "_View", docs: Sequence[DocumentMeta], ref: Reference
             ) -> tuple[list[Found], str | None]:
    """The clauses the path names in `docs`, with the 款/项 it names inside an article; else why not."""
    key = ref.path_key
    seqs = [v.seq_of[m.doc_id] for m in docs if m.doc_id in v.seq_of]
    if ref.path in WORD_LABELS:
        clauses = [c for c in _select_label(idx, seqs, "") if c.label == ref.path]
    else:
        clauses = _select_label(idx, seqs, key)
    if ref.part is not None:  # a long clause stored as parts: the part the citation names
        clauses = [c for c in clauses if getattr(c, "part", 0) == ref.part - 1] or clauses
    if not clauses:
        return [], _missing(idx, v, docs, ref)
    art = ref.article
    if not art or not (art.paragraph or art.item):
        return [Found(c) for c in clauses], None
    out, why = [], None
    for c in clauses:
        focus, why = _inside(c, ref)
        if focus is not None:
            out.append(Found(c, focus))
    return out, why


def _inside(c: Clause, ref: Reference) -> tuple[str | None, str | None]:
    """The 款 (with its 项) or the 项 a reference names inside article `c`, or why there is none."""
    art = ref.article
    assert art is not None
    paragraphs = paragraph_lines(c.text)
    where = f"{c.citation}"
    if art.paragraph:
        if art.paragraph > len(paragraphs):
            return None, f"{where}共{_cn_count(len(paragraphs))}款，没有第{int_to_cn(art.paragraph)}款"
        lines = paragraphs[art.paragraph - 1]
        if not art.item:
            return "\n".join(lines), None
        items = items_of(lines)
        where += f"第{int_to_cn(art.paragraph)}款"
    else:
        items = [i for p in paragraphs for i in items_of(p)]
    if art.item > len(items):
        return None, (f"{where}共{_cn_count(len(items))}项，没有第{int_to_cn(art.item)}项" if items
                      else f"{where}没有分项，没有第{int_to_cn(art.item)}项")
    return items[art.item - 1], None


def _cn_count(n: int) -> str:
    return "两" if n == 2 else int_to_cn(n)


def _missing(idx: "ClauseIndex", v: "_View", docs: Sequence[DocumentMeta], ref: Reference) -> str:
    """One line: 《X》共五十四条，没有第二百条 / 《X》中没有“二（九）”."""
    if not docs:
        return f"没有文件有{ref.path}"
    titles = list(dict.fromkeys(m.title for m in docs))
    if len(titles) > 1:
        return f"所选文件中都没有{ref.path}"
    seqs = [v.seq_of[m.doc_id] for m in docs if m.doc_id in v.seq_of]
    tag = idx.validity(docs[0].doc_id).tag
    name = f"《{titles[0]}》" + (f"（{tag}）" if tag else "")
    if ref.article:
        labels = _article_labels(idx, seqs)
        if labels:
            span = f"（{labels[0]}至{labels[-1]}）" if labels[-1] != f"第{int_to_cn(len(labels))}条" else ""
            return f"{name}共{int_to_cn(len(labels))}条{span}，没有{ref.article.label}"
        return f"{name}没有按“第X条”编号的条文，没有{ref.article.label}"
    return f"{name}中没有“{ref.path}”"


def _by_label_words(idx: "ClauseIndex", v: "_View", docs: Sequence[DocumentMeta], words: str) -> list[Clause]:
    """A label printed as words after the title (a chapter's lead: 第一章 总则), in the current versions."""
    from index.aliases import label_key

    key = label_key(words)
    if not key:
        return []
    chosen, _ = _choose_all(v, docs, None)
    seqs = [v.seq_of[m.doc_id] for m in chosen if m.doc_id in v.seq_of]
    return [c for c in _select_label(idx, seqs, key) if c.kind != KIND_ARTICLE]


def _select_docs(idx: "ClauseIndex", doc_ids: Sequence[str]) -> list[Clause]:
    v = idx._current()
    seqs = [v.seq_of[d] for d in doc_ids if d in v.seq_of]
    return idx._select(f"SELECT row FROM clauses WHERE doc_seq IN ({','.join('?' * len(seqs))}) ORDER BY doc_seq, ord",
                       seqs) if seqs else []


def _select_label(idx: "ClauseIndex", seqs: Sequence[int], key: str) -> list[Clause]:
    """Clauses with this label_key in these documents, in the given documents' order, then document order."""
    if not seqs:
        return []
    order = {s: i for i, s in enumerate(seqs)}
    rows = idx._select(f"SELECT row FROM clauses WHERE label_key = ? AND doc_seq IN ({','.join('?' * len(seqs))})"
                       " ORDER BY doc_seq, ord", (key, *seqs))
    seq_of = idx._current().seq_of
    return sorted(rows, key=lambda c: order.get(seq_of.get(c.doc_id, -1), len(order)))


def _article_labels(idx: "ClauseIndex", seqs: Sequence[int]) -> list[str]:
    """The article labels of these documents, in document order."""
    if not seqs:
        return []
    return [c.label for c in idx._select(f"SELECT row FROM clauses WHERE doc_seq IN ({','.join('?' * len(seqs))})"
                                         " ORDER BY doc_seq, ord", seqs) if c.kind == KIND_ARTICLE]

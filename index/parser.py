"""Clause parsing: normalised document → clauses with identity, path, units and citation.

`parse_document` is the pure function; `ClauseNodeParser` (index/node_parser.py) is the llama-index
NodeParser over it, producing one TextNode per clause (or clause part).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from index.markers import match_marker
from index.metadata import leading_block, printed_date, read_head
from index.limits import MAX_CLAUSE_CHARS
from index.models import (
    KIND_ARTICLE, KIND_CLOSING, KIND_ITEM, KIND_LEAD, KIND_PARAGRAPH, KIND_PREAMBLE, KIND_TABLE_ROW,
    Chunk, Clause, DocumentMeta, make_doc_id, short_hash,
)
from index.normalize import Line, normalize_text
from index.structure import Annex, Outline, Section, build_outline
from index.versions import citation_prefix, parse_tag, repealed_titles, stated_effective_date
from index.trust import FLAG_NOTE, flagged_labels
from index.units import parse_units, split_units

# bge models read 512 tokens; a Chinese character is about one token, and the contextual header takes some.
DEFAULT_MAX_CHARS = 420
_SENTENCE_END = re.compile(r"(?<=[。！？；;!?\n])")
# Annex columns naming responsible units, lead first (a 配合单位 column follows its 牵头单位 column).
_UNIT_COLUMNS = ("牵头部门", "责任单位", "牵头单位", "责任部门", "主责单位", "实施单位", "配合单位", "配合部门", "协办单位", "参与单位")

# An annex's first line names it unless it is a sentence (刑法 附件一: 全国人民代表大会常务委员会制定的下列…，…：).
_ANNEX_SENTENCE = re.compile(r"[，。；：,;:]")
LABEL_NOTICE = "印发通知"
LABEL_INTRO = "引言"
LABEL_STATUTE_NOTE = "题注"
LABEL_CLOSING = "抄送印发"
WARN_UNSTRUCTURED = "未识别到条款编号（一、/（一）/1./第X条），已按段落切分为条款"


@dataclass(frozen=True)
class ParsedDocument:
    meta: DocumentMeta
    clauses: tuple[Clause, ...]
    text: str  # the normalised document text that clause spans index into
    warnings: tuple[str, ...] = ()


@dataclass
class _Draft:
    label: str
    path: tuple[str, ...]
    lines: list[int]
    kind: str
    cite: str  # the citation's tail after 《title》（文号）
    parent_key: str
    units: tuple[str, ...] | None = None
    text: str | None = None  # set for table rows, whose text is rebuilt from header + cells


def parse_document(raw: str, *, fmt: str, path: str, content_hash: str) -> ParsedDocument:
    norm = normalize_text(raw, fmt)
    lines = list(norm.lines)
    outline = build_outline(lines)
    warnings: list[str] = []
    head = outline.head
    if not outline.root.children:  # no numbered headings: the title block still gives title and history
        head = list(range(leading_block([line.text for line in lines])))
    head_texts = [lines[i].text for i in head]
    headings = tuple(k for k, i in enumerate(head) if lines[i].md_heading == 1)
    info = read_head(head_texts, Path(path).stem, headings)
    drafts: list[_Draft] = []
    if outline.head:
        drafts.extend(_head_drafts(outline, lines, info.title_line))
    if outline.root.children:
        _walk(outline.root, (), (), (), outline.statute, drafts, speaks=lambda i: _heading_speaks(lines[i]))
    else:
        warnings.append(WARN_UNSTRUCTURED)
        drafts = [_Draft(f"第{n}段", (f"第{n}段",), [i], KIND_PARAGRAPH, f"第{n}段", "")
                  for n, i in enumerate(range(len(lines)), 1)]
    for annex in outline.annexes:
        drafts.extend(_annex_drafts(annex, lines))
    if outline.closing:
        drafts.append(_Draft(LABEL_CLOSING, (LABEL_CLOSING,), outline.closing, KIND_CLOSING, LABEL_CLOSING, ""))

    doc_id = make_doc_id(info.title, info.doc_number, info.version_date, info.part)
    date = info.date or printed_date([lines[i].text for i in outline.closing])
    provisions = ["\n".join(lines[i].text for i in d.lines) for d in drafts
                  if d.kind in (KIND_ARTICLE, KIND_ITEM, KIND_LEAD, KIND_PARAGRAPH)]
    meta = DocumentMeta(doc_id, info.title, info.doc_number, info.issuer, date, info.kind,
                        path, content_hash, fmt, info.version_date, info.edition, info.part,
                        info.effective_date or stated_effective_date(provisions), repealed_titles(provisions))
    offsets = _line_offsets(lines)
    clauses = _finish(drafts, lines, offsets, meta)
    flagged = flagged_labels(clauses)
    if flagged:
        meta = replace(meta, flagged=flagged)
        warnings.append(f"{FLAG_NOTE}（{'、'.join(flagged[:5])}{'等' if len(flagged) > 5 else ''}），这些条款不会用于回答")
    return ParsedDocument(meta, tuple(clauses), norm.text, tuple(warnings))


def _head_drafts(outline: Outline, lines: list[Line], title_line: int | None) -> list[_Draft]:
    head = outline.head
    if title_line is None:
        notice, intro = [], head
    else:
        notice, intro = head[:title_line], head[title_line + 1:]
    out = []
    if notice:
        out.append(_Draft(LABEL_NOTICE, (LABEL_NOTICE,), notice, KIND_PREAMBLE, LABEL_NOTICE, ""))
    if intro:
        label = LABEL_STATUTE_NOTE if outline.statute else LABEL_INTRO
        out.append(_Draft(label, (label,), intro, KIND_PREAMBLE, label, ""))
    return out


def _heading_speaks(line: Line) -> bool:
    """Does a heading line carry provisions of its own (（2）示范项目。被认定为…给予补助…条件：),
    not just a title (（一）总体目标 / 1.大力发展非化石能源。)?"""
    m = match_marker(line.text)
    if m is None:
        return False
    rest = m.rest.strip()
    body = re.split(r"[。；;]", rest, maxsplit=1)
    if len(body) == 2 and len(body[1].strip()) >= 12:
        return True  # a title, then provisions
    # …有下列情形之一的，由…追回资金…： / 按照以下标准给予补助： — a lead-in to the items below
    return rest.endswith(("：", ":")) and len(rest) >= 12


def _walk(sec: Section, path: tuple[str, ...], label: tuple[str, ...], cite: tuple[str, ...],
          statute: bool, out: list[_Draft], pending: list[int] | None = None,
          speaks: Callable[[int], bool] = lambda i: False) -> list[int]:
    """Emit drafts for `sec`'s subtree in document order.

    In an outline, clauses partition the body: a heading with no lead paragraph opens
    the text of its first clause (`pending`), so no heading text is lost. A statute's
    chapter headings live in `path` only, keeping each article's text its own.
    """
    pending = pending if pending is not None else []
    for child in sec.children:
        m = child.marker
        c_path = path + (child.title,)
        if statute:
            # Articles are cited on their own (第十八条); 编/章/节 only give the path.
            c_label, c_cite = (m.canonical(),), (m.canonical(),)
        else:
            c_label, c_cite = label + (m.label_part(),), cite + (m.canonical(),)
        parent_key = "/".join(path)
        is_article = statute and m.kind == "tiao"
        if child.children and not is_article:
            if len(child.lines) > 1 or (not statute and speaks(child.line_index)):
                # lead paragraph: heading line plus the text before the first child, or a heading with provisions
                out.append(_Draft("".join(c_label), c_path, pending + child.lines, KIND_LEAD, "".join(c_cite), parent_key))
                pending = []
            elif not statute:
                pending = pending + child.lines
            pending = _walk(child, c_path, c_label, c_cite, statute, out, pending, speaks)
        elif statute and not is_article:
            if len(child.lines) > 1:  # text under a chapter heading that isn't an article
                out.append(_Draft(child.title, c_path, child.lines, KIND_LEAD, child.title, parent_key))
        else:
            kind = KIND_ARTICLE if is_article else KIND_ITEM
            out.append(_Draft("".join(c_label), c_path, pending + child.lines, kind, "".join(c_cite), parent_key))
            pending = []
    return pending


def _annex_drafts(annex: Annex, lines: list[Line]) -> list[_Draft]:
    name = f"附件{annex.number}"
    body = annex.lines[1:]
    title = annex.title
    if not title and body and not lines[body[0]].is_table_row and not _ANNEX_SENTENCE.search(lines[body[0]].text):
        title, body = lines[body[0]].text, body[1:]  # 附件1 / 区级重点项目表; a sentence stays a paragraph
    top = f"{name} {title}".strip()
    out: list[_Draft] = []
    header: list[str] | None = None
    row_no = 0
    for i in body:
        line = lines[i]
        if not line.is_table_row:
            n = len(out) + 1
            out.append(_Draft(f"{name} 第{n}段", (top, f"第{n}段"), [i], KIND_PARAGRAPH, f"{name} 第{n}段", top))
            continue
        cells = line.text.split("\t")
        if header is None or cells == header:
            header = cells
            continue
        first = cells[0].strip()
        row_no = int(first) if first.isdigit() else row_no + 1
        pairs = [(h, c) for h, c in zip(header, cells) if c and h not in ("序号", "编号")]
        text = "；".join(f"{h}：{c}" if h else c for h, c in pairs)
        units = tuple(u for h, c in pairs if h in _UNIT_COLUMNS for u in split_units(c))
        lab = f"{name} 第{row_no}项"
        out.append(_Draft(lab, (top, f"第{row_no}项"), [i], KIND_TABLE_ROW, lab, top, units, text))
    if not out:  # a bare 附件：名称 line (the body's list of annexes): still a clause, so no text is lost
        lab = f"{name}目录" if not annex.number else name
        out.append(_Draft(lab, (lab,), annex.lines[:1], KIND_PARAGRAPH, lab, ""))
    return out


def _line_offsets(lines: list[Line]) -> list[tuple[int, int]]:
    offsets, pos = [], 0
    for line in lines:
        offsets.append((pos, pos + len(line.text)))
        pos += len(line.text) + 1
    return offsets


def _finish(drafts: list[_Draft], lines: list[Line], offsets: list[tuple[int, int]], meta: DocumentMeta) -> list[Clause]:
    prefix = citation_prefix(meta.title, meta.doc_number, parse_tag(meta.edition))
    clauses: list[Clause] = []
    seen: dict[tuple[str, str], int] = {}
    for d in drafts:
        text = d.text if d.text is not None else "\n".join(lines[i].text for i in d.lines)
        dup = seen.get((d.label, text), 0)
        seen[(d.label, text)] = dup + 1
        clause_id = f"{meta.doc_id}-{short_hash(d.label, str(dup), text, n=12)}"
        units = d.units if d.units is not None else (parse_units(text) if d.kind in (KIND_ITEM, KIND_LEAD) else ())
        start = offsets[d.lines[0]][0]
        span = (start, offsets[d.lines[-1]][1])
        parts = cut_parts(text, MAX_CLAUSE_CHARS)
        for k, (a, b) in enumerate(parts):
            whole = len(parts) == 1
            clauses.append(Clause(
                # The first part keeps the clause's id; the others extend it, so every part names its clause.
                clause_id=clause_id if k == 0 else f"{clause_id}-p{k + 1}", doc_id=meta.doc_id,
                doc_title=meta.title, doc_number=meta.doc_number, label=d.label, path=d.path, text=text[a:b],
                units=units, citation=prefix + d.cite + ("" if whole else f"（第{k + 1}部分，共{len(parts)}部分）"),
                kind=d.kind, order=len(clauses), span=span if whole or d.text is not None else (start + a, start + b),
                parent_id=f"{meta.doc_id}:" + short_hash(d.parent_key, n=10) if d.parent_key else meta.doc_id,
                part=k, n_parts=len(parts),
            ))
    for i, c in enumerate(clauses):
        clauses[i] = replace(c, prev_id=clauses[i - 1].clause_id if i else None,
                             next_id=clauses[i + 1].clause_id if i + 1 < len(clauses) else None)
    return clauses


_CUT_AT = ("\n", "。", "！", "？", "；", "，", "、", " ")  # preferred cut points of a long clause, best first


def cut_parts(text: str, limit: int) -> list[tuple[int, int]]:
    """[start, end) spans of `text` no longer than `limit`, cut after a line or sentence end in the part's second
    half when there is one (else a comma, else anywhere). Linear in the text's length."""
    if len(text) <= limit:
        return [(0, len(text))]
    spans, start = [], 0
    while len(text) - start > limit:
        end = start + limit
        for mark in _CUT_AT:
            at = text.rfind(mark, start + limit // 2, end)
            if at != -1:
                end = at + 1
                break
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    return spans


def split_clause(clause: Clause, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """A clause as one chunk, or as parts cut at sentence ends when it exceeds the model's window."""
    budget = max(80, max_chars - len(clause.header()))
    if len(clause.text) <= budget:
        parts = [clause.text]
    else:
        parts, cur = [], ""
        for sent in (s for s in _SENTENCE_END.split(clause.text) if s):
            if cur and len(cur) + len(sent) > budget:
                parts.append(cur)
                cur = ""
            while len(sent) > budget:  # one sentence longer than the window: hard cut
                parts.append(sent[:budget])
                sent = sent[budget:]
            cur += sent
        if cur:
            parts.append(cur)
    n = len(parts)
    return [Chunk(chunk_id=clause.clause_id if n == 1 else f"{clause.clause_id}#p{k}", clause_id=clause.clause_id,
                  part=k, n_parts=n, text=p, index_text=clause.header() + "\n" + p) for k, p in enumerate(parts)]


def __getattr__(name: str):
    # The llama-index NodeParser lives in index/node_parser.py: importing llama-index takes a second, and parsing
    # (in the parse worker, index/sandbox.py) needs none of it.
    if name in ("ClauseNodeParser", "clause_nodes"):
        from index import node_parser

        return getattr(node_parser, name)
    raise AttributeError(name)

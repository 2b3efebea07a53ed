"""The shape of a provision's text: an article's 款 and 项, list leads and their items.

有下列情形之一的，由…追回资金： is a lead; 1.弄虚作假…的； an item under it; 第七条（技术标准）⏎…下列功能：⏎（一）…
an article whose 款 carries its 项. The answerers quote these shapes whole, never half.
"""
from __future__ import annotations

import re

from index.models import Clause
from index.references import ARTICLE_HEAD, ITEM_LINE, article_paragraphs as _paragraphs  # noqa: F401 (re-exported)

_LIST_LEAD = re.compile(r"(?:下列|以下|如下)[^。；]{0,12}[：:]\s*$|之一的[^。]*[：:]\s*$")


def is_list_lead(clause: Clause) -> bool:
    """A lead clause that introduces a list: …应当同时符合下列条件： / 有下列情形之一的，由…追回资金："""
    return clause.kind == "lead" and bool(_LIST_LEAD.search(clause.text))


def lead_in(lead: Clause) -> str:
    return strip_marker(lead.text.strip().split("\n")[-1])


def strip_marker(text: str) -> str:
    from index.markers import match_marker

    m = match_marker(text)
    return m.rest.strip() if m and m.rest.strip() else text


def following_items(clause: Clause, sentence: str) -> list[str]:
    """The 项 lines (（一）… / 1.… / ①…) that follow a lead-in sentence within one clause."""
    lines = clause.text.split("\n")
    at = next((i for i, line in enumerate(lines) if sentence.strip() and line.rstrip().endswith(sentence.strip())), None)
    out = []
    for line in lines[at + 1:] if at is not None else []:
        if not ITEM_LINE.match(line):
            break
        out.append(line.strip())
    return out


def item_lead_in(clause: Clause, sentence: str) -> str | None:
    """Within one clause, the line ending in ： that a 项 line (（六）…的；) belongs to."""
    lines = clause.text.split("\n")
    at = next((i for i, line in enumerate(lines) if sentence.strip() and sentence.strip() in line), None)
    if at is None or not ITEM_LINE.match(lines[at]):
        return None
    for line in reversed(lines[:at]):
        if line.rstrip().endswith(("：", ":")):
            return line.strip()
        if not ITEM_LINE.match(line):
            return None
    return None


def article_paragraphs(clause: Clause) -> list[str]:
    """An article's 款, each with its 项 (index/references.py): what the answerers quote whole."""
    return _paragraphs(clause.text)


def sentences_of_text(text: str) -> list[str]:
    """Sentences as the grounding guard counts them (ended by 。！？), so each gets its own [n]."""
    return [s for s in re.findall(r"[^。！？!?]+[。！？!?]?", text) if s.strip()]

"""What leaves the app for a document: an answer as copied text, and answers as a Word (.docx) file.

Both carry the answer with its [n] markers and the numbered formal citations the markers point to, so a
drafter can paste or file them as they are. Word files use 宋体 / 黑体, which WPS and Word both resolve.
"""
from __future__ import annotations

import io
from datetime import datetime
from typing import Sequence

from assistant.conversation import Turn

BODY_FONT = "宋体"  # SimSun
HEADING_FONT = "黑体"  # SimHei
LATIN_FONT = "Times New Roman"
BODY_PT = 12  # 小四
QUOTE_PT = 10.5  # 五号
TITLE_PT = 16  # 三号
DOC_TITLE = "政策条款问答记录"
DISCLAIMER = "说明：回答仅依据已导入的政策文件生成，引用以正式发布的文件为准。"


def citation_lines(turn: Turn) -> list[str]:
    """`[n] 《标题》（文号）条款` for each citation; a refusal's 可能相关 clauses without numbers."""
    if turn.citations:
        return [f"[{c.n}] {c.citation}" for c in turn.citations]
    return [f"- {c.citation}" for c in turn.related]


def copy_text(turn: Turn) -> str:
    """The answer plus its numbered formal citations: what the copy button puts on the clipboard."""
    lines = citation_lines(turn)
    answer = turn.answer.strip()
    if turn.refused and turn.related and "可能相关" in answer:
        answer = answer.split("\n可能相关", 1)[0].strip()  # listed once, below
    if not lines:
        return answer
    head = "依据：" if turn.citations else "可能相关："
    return answer + "\n\n" + "\n".join([head] + lines)


def _fonts(run, east_asia: str, size: float | None = None, bold: bool | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = LATIN_FONT
    r_pr = run._element.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.font.bold = bold


def _style_fonts(document) -> None:
    """Normal and heading styles in 宋体/黑体, with the theme fonts (which override eastAsia in Word) removed."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    for name, font, size in (("Normal", BODY_FONT, BODY_PT), ("Title", HEADING_FONT, TITLE_PT),
                             ("Heading 1", HEADING_FONT, 14), ("Heading 2", HEADING_FONT, BODY_PT)):
        style = document.styles[name]
        style.font.name = LATIN_FONT
        style.font.size = Pt(size)
        if name != "Normal":
            style.font.color.rgb = RGBColor(0, 0, 0)
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)
        fonts.set(qn("w:eastAsia"), font)
        fonts.set(qn("w:ascii"), LATIN_FONT)
        fonts.set(qn("w:hAnsi"), LATIN_FONT)


def _para(document, text: str, *, font: str = BODY_FONT, size: float = BODY_PT, bold: bool = False,
          style: str | None = None, indent_cm: float | None = None):
    from docx.shared import Cm

    p = document.add_paragraph(style=style)
    _fonts(p.add_run(text), font, size, bold)
    if indent_cm is not None:
        p.paragraph_format.left_indent = Cm(indent_cm)
    return p


def _heading(document, text: str, level: int):
    h = document.add_heading(level=level)
    _fonts(h.add_run(text), HEADING_FONT, 14 if level == 1 else BODY_PT, True)
    return h


def to_docx(turns: Sequence[Turn], title: str = DOC_TITLE, with_clause_text: bool = True) -> bytes:
    """A .docx of the turns: each question, its answer with [n] markers, then its citations as a numbered list
    (the formal citation, and the clause text beneath it)."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    _style_fonts(document)
    t = document.add_paragraph(style="Title")
    _fonts(t.add_run(title), HEADING_FONT, TITLE_PT, True)
    _para(document, f"导出时间：{datetime.now().strftime('%Y年%m月%d日 %H:%M')}　共 {len(turns)} 问", size=QUOTE_PT)
    for k, turn in enumerate(turns, 1):
        _heading(document, f"问题{k}：{turn.question}" if len(turns) > 1 else f"问题：{turn.question}", 1)
        answer = turn.answer.strip()
        if turn.refused and turn.related and "\n可能相关" in answer:
            answer = answer.split("\n可能相关", 1)[0].strip()
        for i, line in enumerate(answer.splitlines() or [""]):
            _para(document, ("答：" if i == 0 else "") + line)
        cited = turn.citations or turn.related
        if not cited:
            continue
        _heading(document, "依据" if turn.citations else "可能相关的条款", 2)
        for line, c in zip(citation_lines(turn), cited):
            p = _para(document, line.removeprefix("- "), bold=True)
            p.paragraph_format.space_after = Pt(2)
            if with_clause_text and c.text:
                for text_line in c.text.splitlines():
                    _para(document, text_line, size=QUOTE_PT, indent_cm=0.74)
    _para(document, DISCLAIMER, size=QUOTE_PT)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def docx_name(turns: Sequence[Turn]) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    if len(turns) == 1:
        q = "".join(ch for ch in turns[0].question if ch.isalnum())[:16] or "回答"
        return f"问答-{q}-{stamp}.docx"
    return f"问答记录-{stamp}.docx"

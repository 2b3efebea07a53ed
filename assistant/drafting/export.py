"""A `DraftTable` as .xlsx (openpyxl), .docx (python-docx, 宋体 so that WPS and Word show the Chinese) or TSV text."""
from __future__ import annotations

import re
from pathlib import Path

from assistant.drafting.types import DraftTable

FORMATS = ("xlsx", "docx")
CJK_FONT = "宋体"  # present in WPS and Word on Windows; WPS on Linux maps it too
LATIN_FONT = "Times New Roman"
MAX_XLSX_WIDTH = 60  # characters: wider columns wrap
_SHEET_BAD = re.compile(r"[\\/*?:\[\]]")


class ExportError(ValueError):
    """An export a user asked for that can't be written; str(e) says why in one Chinese line."""


def to_tsv(table: DraftTable) -> str:
    """Header and rows, tab-separated: pastes as a table into WPS/Excel (line breaks inside a cell become ；)."""
    def cell(s: str) -> str:
        return re.sub(r"\s*\n\s*", "；", str(s)).replace("\t", " ")

    lines = ["\t".join(cell(c) for c in table.columns)]
    lines += ["\t".join(cell(c) for c in row) for row in table.rows]
    return "\n".join(lines) + "\n"


def export(table: DraftTable, fmt: str, path: str | Path) -> Path:
    path = Path(path)
    if fmt == "xlsx":
        return to_xlsx(table, path)
    if fmt == "docx":
        return to_docx(table, path)
    raise ExportError(f"不支持的导出格式 {fmt}；可选：{'、'.join(FORMATS)}")


def to_xlsx(table: DraftTable, path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = (_SHEET_BAD.sub("", table.title) or "表")[:31]
    ws.append(list(table.columns))
    for row in table.rows:
        ws.append(list(row))
    for cell in ws[1]:
        cell.font = Font(bold=True, name=CJK_FONT)
    wrap = Alignment(wrap_text=True, vertical="top")
    for k, col in enumerate(table.columns, start=1):
        longest = max([len(col)] + [max((len(x) for x in str(r[k - 1]).split("\n")), default=0) for r in table.rows])
        ws.column_dimensions[get_column_letter(k)].width = min(MAX_XLSX_WIDTH, max(8, longest * 1.6 + 2))
    for r in ws.iter_rows(min_row=2):
        for cell in r:
            cell.alignment = wrap
            cell.font = Font(name=CJK_FONT)
    ws.freeze_panes = "A2"
    if table.notes:
        notes = wb.create_sheet("说明")
        for n in table.notes:
            notes.append([n])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _set_font(run, size_pt: float | None = None, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = LATIN_FONT
    run.bold = bold
    if size_pt:
        run.font.size = Pt(size_pt)
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), CJK_FONT)  # Word picks the East Asian font from this attribute


def to_docx(table: DraftTable, path: Path) -> Path:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    doc = Document()
    section = doc.sections[0]
    if len(table.columns) > 5:  # wide tables read better across the page
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.8))
    _set_font(doc.add_paragraph().add_run(table.title), 14, bold=True)
    for n in table.notes:
        _set_font(doc.add_paragraph().add_run(n), 10.5)
    grid = doc.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    for cell, name in zip(grid.rows[0].cells, table.columns):
        _set_font(cell.paragraphs[0].add_run(name), 10.5, bold=True)
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, value in zip(cells, row):
            lines = str(value).split("\n")
            _set_font(cell.paragraphs[0].add_run(lines[0]), 9)
            for line in lines[1:]:
                _set_font(cell.add_paragraph().add_run(line), 9)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path

"""Check a .docx package against index/limits.py before python-docx opens it, without inflating it first.

python-docx reads every part of the package into memory and parses every XML part into a tree, so a 3 MB file
whose word/document.xml unpacks into a gigabyte of paragraphs would take the process down. Here the zip's declared
sizes are checked first, then each XML part is inflated in small pieces into a streaming (expat) parser that
counts bytes, elements, paragraphs and characters as they arrive and stops at the first limit.
"""
from __future__ import annotations

import zipfile
from xml.parsers import expat

from index import limits

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
READ_BYTES = 64 * 1024  # inflated per step


class LimitExceeded(ValueError):
    """str(e) is the Chinese reason naming the limit."""


class _Counter:
    def __init__(self, paragraphs: int, chars: int) -> None:
        self.paragraphs, self.chars, self.elements = paragraphs, chars, 0

    def start(self, name: str, attrs) -> None:
        self.elements += 1
        if self.elements > limits.MAX_XML_ELEMENTS:
            raise LimitExceeded(limits.too_many_elements())
        if name == f"{W_NS} p":
            self.paragraphs += 1
            if self.paragraphs > limits.MAX_PARAGRAPHS:
                raise LimitExceeded(limits.too_many_paragraphs())

    def text(self, data: str) -> None:
        self.chars += len(data)
        if self.chars > limits.MAX_DOCUMENT_CHARS:
            raise LimitExceeded(limits.too_many_chars())


def _no_doctype(*_args) -> None:
    # A Word document never declares a DTD; one that does is after entity expansion.
    raise LimitExceeded("文件内部含有文档类型声明（DTD），不是正常的 Word 文档，已拒绝导入")


def check_docx(zf: zipfile.ZipFile) -> None:
    """Raise LimitExceeded when the package exceeds a limit; zipfile.BadZipFile / expat.ExpatError when damaged."""
    infos = zf.infolist()
    if len(infos) > limits.MAX_ZIP_ENTRIES:
        raise LimitExceeded(limits.too_many_parts())
    # zipfile never returns more than a member's declared size, so the declared sizes bound what python-docx
    # will inflate; the streaming pass below still counts what actually comes out.
    declared = sum(i.file_size for i in infos)
    if declared > limits.MAX_INFLATED_BYTES:
        biggest = max(infos, key=lambda i: i.file_size)
        raise LimitExceeded(limits.inflates_too_much(biggest.filename, limits.MAX_INFLATED_BYTES, biggest.file_size))
    counter = _Counter(0, 0)
    for info in infos:
        if not info.filename.endswith((".xml", ".rels")):
            continue
        if info.file_size > limits.MAX_XML_BYTES:
            raise LimitExceeded(limits.inflates_too_much(info.filename, limits.MAX_XML_BYTES, info.file_size))
        _scan_xml(zf, info, counter)


def _scan_xml(zf: zipfile.ZipFile, info: zipfile.ZipInfo, counter: _Counter) -> None:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = counter.start
    parser.CharacterDataHandler = counter.text
    parser.StartDoctypeDeclHandler = _no_doctype
    parser.EntityDeclHandler = _no_doctype
    counter.elements = 0  # elements are counted per part; paragraphs and characters over the whole package
    seen = 0
    with zf.open(info) as stream:
        while True:
            piece = stream.read(READ_BYTES)
            if not piece:
                break
            seen += len(piece)
            if seen > limits.MAX_XML_BYTES:
                raise LimitExceeded(limits.inflates_too_much(info.filename, limits.MAX_XML_BYTES))
            parser.Parse(piece, False)
    parser.Parse(b"", True)

"""Read a policy document file (.txt/.md/.docx/.pdf) into plain text lines.

Only extraction happens here; joining wrapped lines, dropping page markers etc.
is the normaliser's job. Bad input always raises `DocumentError` with one
Chinese line that names the file, the reason and the fix.
"""
from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from index import limits

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
MAX_FILE_BYTES = limits.MAX_FILE_BYTES
# Decoded text with more C0 control characters than this share is treated as binary.
MAX_CONTROL_CHAR_SHARE = 0.01
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")

REASON_MISSING = "文件不存在，请检查路径"
REASON_EMPTY = "文件为空（没有任何文字），请确认选对了文件"
REASON_BINARY = "不是文本文件（含二进制内容），请确认文件格式或转换为 UTF-8 文本后再导入"
REASON_BAD_DOCX = "无法打开 .docx 文件（文件损坏或不是 Word 文档），请用 Word 打开后另存为 .docx 再导入；旧版 .doc 需先另存为 .docx"
REASON_BAD_PDF = "无法读取 PDF（文件损坏或不完整），请重新下载或用 PDF 阅读器另存一份后再导入"
REASON_ENCRYPTED_PDF = "PDF 已加密，需要密码才能打开，请用 PDF 阅读器去除密码（另存为未加密的 PDF）后再导入"
REASON_AES_PDF = "PDF 使用 AES 加密，读取需要 cryptography 组件（pip install cryptography），或用 PDF 阅读器去除加密后再导入"
REASON_SCANNED_PDF = "PDF 中没有可提取的文字，可能是扫描件（图片），请先做 OCR 文字识别或改用 .docx/.txt 版本再导入"


class DocumentError(Exception):
    """A document that can't be read; str(e) is one Chinese line: '<path>: <reason + fix>'."""

    def __init__(self, path: str, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True)
class LoadedText:
    path: str
    fmt: str  # "txt" | "md" | "docx" | "pdf"
    text: str  # "\n"-separated raw lines, not normalised further
    encoding: str | None  # detected encoding for txt/md, else None
    content_hash: str  # sha256 hex of the file bytes


def unsupported_reason(suffix: str) -> str:
    shown = suffix or "（无扩展名）"
    return f"不支持的文件类型 {shown}，支持 {' '.join(SUPPORTED_SUFFIXES)}"


def load_document(path: str | Path) -> LoadedText:
    """Read one file into text; raises DocumentError for anything unreadable."""
    p = Path(path)
    name = str(path)
    suffix = p.suffix.lower()
    if not p.exists():
        raise DocumentError(name, REASON_MISSING)
    if p.is_dir():
        raise DocumentError(name, "这是一个文件夹，不是文件，请指定其中的 .txt/.md/.docx/.pdf 文件")
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(name, unsupported_reason(suffix))
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DocumentError(
                name, f"文件过大（{size / 1024 / 1024:.1f} MB，上限 {MAX_FILE_BYTES // 1024 // 1024} MB），请拆分后再导入"
            )
        raw = p.read_bytes()
    except OSError as e:
        raise DocumentError(name, f"无法读取文件（{e.strerror or e}），请检查文件权限") from e
    if not raw:
        raise DocumentError(name, REASON_EMPTY)

    fmt = suffix[1:]
    encoding = None
    if fmt in ("txt", "md"):
        text, encoding = _decode_text(name, raw)
    elif fmt == "docx":
        text = _docx_text(name, raw)
    else:
        text = _pdf_text(name, raw)

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    _check_size(name, text)
    if not text.strip():
        raise DocumentError(name, REASON_SCANNED_PDF if fmt == "pdf" else REASON_EMPTY)
    return LoadedText(name, fmt, text, encoding, hashlib.sha256(raw).hexdigest())


def _check_size(name: str, text: str) -> None:
    if len(text) > limits.MAX_DOCUMENT_CHARS:
        raise DocumentError(name, limits.too_many_chars())
    if text.count("\n") >= limits.MAX_PARAGRAPHS:
        raise DocumentError(name, limits.too_many_paragraphs())


def iter_document_paths(paths: Sequence[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand files and folders into supported files; return (files, [(path, reason)]).

    Folders are walked recursively in sorted order, skipping hidden files/dirs and
    Office lock files (~$x.docx); unsupported files inside folders are skipped
    silently, while missing paths and explicitly named unsupported files are errors.
    """
    files: list[Path] = []
    errors: list[tuple[str, str]] = []
    seen: set[Path] = set()

    def add(f: Path) -> None:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            files.append(f)

    for item in paths:
        p = Path(item)
        if p.is_dir():
            found = []
            for root, dirs, names in os.walk(p):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found += [
                    Path(root, n)
                    for n in names
                    if not n.startswith((".", "~$")) and Path(n).suffix.lower() in SUPPORTED_SUFFIXES
                ]
            for f in sorted(found):
                add(f)
        elif not p.exists():
            errors.append((str(item), REASON_MISSING))
        elif p.suffix.lower() not in SUPPORTED_SUFFIXES:
            errors.append((str(item), unsupported_reason(p.suffix.lower())))
        else:
            add(p)
    return files, errors


def _decode_text(name: str, raw: bytes) -> tuple[str, str]:
    # Strict UTF-8 then GB18030 first: charset-normalizer alone misguesses short Chinese text.
    text = encoding = None
    for enc in ("utf-8", "gb18030"):
        try:
            text, encoding = raw.decode("utf-8-sig" if enc == "utf-8" else enc), enc
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        if best is None:
            raise DocumentError(name, REASON_BINARY)
        text, encoding = str(best), best.encoding
    if encoding == "utf-8" and raw.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    if "\x00" in text or len(_CONTROL_CHARS.findall(text)) > MAX_CONTROL_CHAR_SHARE * len(text):
        raise DocumentError(name, REASON_BINARY)
    return text, encoding


def _docx_text(name: str, raw: bytes) -> str:
    import zipfile
    from xml.parsers.expat import ExpatError

    import docx
    from docx.table import Table

    from index.docx_scan import LimitExceeded, check_docx

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            check_docx(zf)  # streaming: limits are checked while parts inflate, before python-docx reads them
    except LimitExceeded as e:
        raise DocumentError(name, str(e)) from e
    except (zipfile.BadZipFile, ExpatError, EOFError, OSError, NotImplementedError, RuntimeError) as e:
        raise DocumentError(name, REASON_BAD_DOCX) from e
    try:
        document = docx.Document(io.BytesIO(raw))
        lines = []
        # Body order matters: a table sits between the paragraphs that introduce and follow it.
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines += _table_lines(block)
            else:
                lines.append(block.text)
    # python-docx raises zipfile/lxml/KeyError/ValueError on damaged files; all mean "bad docx".
    except Exception as e:
        raise DocumentError(name, REASON_BAD_DOCX) from e
    return "\n".join(lines)


def _table_lines(table) -> list[str]:
    lines = []
    for row in table.rows:
        cells, prev_tc = [], None
        for cell in row.cells:
            if cell._tc is prev_tc:  # a horizontally merged cell repeats once per grid column
                continue
            prev_tc = cell._tc
            cells.append(_join_cell_lines(cell.text))
        line = "\t".join(cells)
        if line.strip():
            lines.append(line)
    return lines


_ORG_END = re.compile(r"(?:委员会|人民政府|政府|办公室|委|局|办|厅|院|中心|公司|街道|街镇|镇|队|所|社|会)$")


def _join_cell_lines(text: str) -> str:
    # Line breaks inside a cell are layout, not content: glue CJK, keep a space between Latin words.
    # One organisation per line (区数据局 / 区科委) is a list: keep it one, with 、.
    parts = [s.strip() for s in text.splitlines() if s.strip()]
    listing = len(parts) > 1 and all(len(p) <= 20 and _ORG_END.search(p) for p in parts)
    out = ""
    for part in parts:
        if out and listing:
            out += "、"
        elif out and out[-1].isascii() and out[-1].isalnum() and part[0].isascii() and part[0].isalnum():
            out += " "
        out += part
    return out


def _pdf_text(name: str, raw: bytes) -> str:
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(raw))
        # pypdf already tried the empty user password; owner-only-protected PDFs open fine.
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise DocumentError(name, REASON_ENCRYPTED_PDF)
        if len(reader.pages) > limits.MAX_PAGES:
            raise DocumentError(name, limits.too_many_pages(len(reader.pages)))
        fallback = _bounded(name, (page.extract_text() or "" for page in reader.pages))
    except DocumentError:
        raise
    except DependencyError as e:  # AES-encrypted PDF without the optional `cryptography` package
        raise DocumentError(name, REASON_AES_PDF) from e
    # pypdf raises PdfReadError but also plain ValueError/KeyError/... on damaged files.
    except Exception as e:
        raise DocumentError(name, REASON_BAD_PDF) from e
    # pdfplumber orders characters by position on the page; pypdf emits glyph runs per font,
    # which moves the curly quotes of CJK text out of place (3、坚决遏制“两高一低” → 3“”、…).
    try:
        import pdfplumber

        with pdfplumber.open(io.BytesIO(raw)) as pdf:
            return "\n".join(_bounded(name, (page.extract_text() or "" for page in pdf.pages)))
    except DocumentError:
        raise
    except Exception:  # pdfminer fails on some files pypdf reads; its text is still better than none
        return "\n".join(fallback)


def _bounded(name: str, pages) -> list[str]:
    """Pages' text, stopping at the first page that takes the document past the character limit."""
    out, total = [], 0
    for text in pages:
        total += len(text)
        if total > limits.MAX_DOCUMENT_CHARS:
            raise DocumentError(name, limits.too_many_chars())
        out.append(text)
    return out

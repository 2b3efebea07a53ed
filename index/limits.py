"""The bounds on what one document may make the parser do, and the one-line reasons given when a file exceeds one.

Every loop over a file's content is bounded by one of these, checked while the content is read (a .docx part is
counted as it inflates, never inflated first), so a small file that unpacks into gigabytes fails in a moment with
a line that names the limit. The largest real inputs known (3,418 laws, the longest 104,661 characters and one
clause of 9,344 characters; plans with annex tables) stay well inside them.
"""
from __future__ import annotations

MAX_FILE_BYTES = 50 * 1024 * 1024  # a file on disk
MAX_ZIP_ENTRIES = 5_000  # parts of a .docx package
MAX_INFLATED_BYTES = 128 * 1024 * 1024  # all parts of a .docx together, as they unpack (images included)
MAX_XML_BYTES = 64 * 1024 * 1024  # one XML part of a .docx (word/document.xml), as it unpacks
MAX_XML_ELEMENTS = 5_000_000  # elements in word/document.xml (runs, properties, …)
MAX_PARAGRAPHS = 200_000  # paragraphs of a .docx (table cells included), lines of a text file or a PDF
MAX_PAGES = 3_000  # pages of a PDF
MAX_DOCUMENT_CHARS = 10_000_000  # characters of text in one document (about 5,000 pages of Chinese)
# A clause longer than this is stored as several parts that share its label and citation (index/parser.py);
# every answer stage reads at most this much text per clause.
MAX_CLAUSE_CHARS = 10_000

# What a parse worker may use (index/sandbox.py): address space above what it holds after start-up, and time.
PARSE_MEMORY_BYTES = 1536 * 1024 * 1024
PARSE_TIMEOUT_S = 120.0


def _mb(n: int) -> str:
    return f"{n // (1024 * 1024)} MB"


def _count(n: int) -> str:
    return f"{n // 10_000}万" if n >= 10_000 and n % 10_000 == 0 else f"{n:,}"


def too_many_paragraphs(limit: int | None = None) -> str:
    limit = MAX_PARAGRAPHS if limit is None else limit
    return f"段落过多（超过上限 {_count(limit)}段），文件可能已损坏或是恶意构造的，已拒绝导入；请拆分后再导入"


def too_many_chars(limit: int | None = None) -> str:
    limit = MAX_DOCUMENT_CHARS if limit is None else limit
    return f"文字过多（超过上限 {_count(limit)}字），文件可能已损坏或是恶意构造的，已拒绝导入；请拆分后再导入"


def too_many_pages(pages: int, limit: int | None = None) -> str:
    limit = MAX_PAGES if limit is None else limit
    return f"页数过多（{pages:,} 页，上限 {limit:,} 页），请拆分后再导入"


def inflates_too_much(part: str, limit: int, size: int | None = None) -> str:
    said = f"{part} 解压后 {_mb(size)}，" if size else f"{part} "
    return (f"解压后内容超过上限（{said}上限 {_mb(limit)}），可能是压缩炸弹，已拒绝导入；"
            f"如确为正常文件，请用 Word 另存为 .docx 或转为 .txt 后再导入")


def too_many_parts(limit: int | None = None) -> str:
    limit = MAX_ZIP_ENTRIES if limit is None else limit
    return f"文件内部部件过多（超过上限 {limit:,} 个），可能已损坏或是恶意构造的，已拒绝导入"


def too_many_elements(limit: int | None = None) -> str:
    limit = MAX_XML_ELEMENTS if limit is None else limit
    return f"文档结构过于复杂（超过上限 {_count(limit)}个元素），可能已损坏或是恶意构造的，已拒绝导入；请另存为 .txt 后再导入"


def parse_timeout(seconds: float = PARSE_TIMEOUT_S) -> str:
    return f"解析超时（超过上限 {seconds:g} 秒），已放弃；文件可能过大或已损坏，请拆分或另存后再导入"


def parse_out_of_memory(limit: int = PARSE_MEMORY_BYTES) -> str:
    return f"解析所需内存超过上限（{_mb(limit)}），已放弃；文件可能过大或是恶意构造的，请拆分后再导入"


PARSE_CRASHED = "解析进程意外退出（文件可能已损坏或是恶意构造的），已跳过；请用原软件另存一份后再导入"

"""Tests for index/loaders.py: every format reads into text, every bad input is one clear DocumentError."""
from __future__ import annotations

import difflib
import hashlib
import re
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader, PdfWriter

from index import loaders
from index.loaders import DocumentError, LoadedText, iter_document_paths, load_document

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
REFERENCE_TXT = ROOT / "data" / "policies" / "普陀区碳达峰实施方案.txt"
FIXTURE_DOCX = FIXTURES / "普陀区碳达峰实施方案.docx"
FIXTURE_PDF = FIXTURES / "普陀区碳达峰实施方案.pdf"

POLICY_PARAGRAPH = (
    "为深入贯彻落实党中央、国务院关于碳达峰、碳中和的重大战略决策部署，"
    "有力有序有效做好本区碳达峰工作，根据《上海市碳达峰实施方案》，制定本方案。\n"
    "一、主要目标\n"
    "“十四五”期间，本区产业结构和能源结构明显优化，到2025年，单位生产总值能源消耗较2020年下降13.5%。"
)
CJK = re.compile(r"[\u4e00-\u9fff]")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_document_error(path: Path, *needles: str) -> DocumentError:
    with pytest.raises(DocumentError) as info:
        load_document(path)
    err = info.value
    assert path.name in str(err)
    assert str(err) == f"{path}: {err.reason}"
    assert CJK.search(err.reason), f"reason should be Chinese: {err.reason!r}"
    for needle in needles:
        assert needle in err.reason
    return err


# --- plain text encodings -------------------------------------------------------------------


def test_utf8_text_is_read_verbatim(tmp_path):
    f = tmp_path / "方案.txt"
    f.write_bytes(POLICY_PARAGRAPH.encode("utf-8"))
    loaded = load_document(f)
    assert isinstance(loaded, LoadedText)
    assert (loaded.fmt, loaded.encoding, loaded.text) == ("txt", "utf-8", POLICY_PARAGRAPH)
    assert loaded.path == str(f)
    assert loaded.content_hash == hashlib.sha256(f.read_bytes()).hexdigest()


def test_utf8_bom_is_removed(tmp_path):
    f = tmp_path / "方案.md"
    f.write_bytes(POLICY_PARAGRAPH.encode("utf-8-sig"))
    loaded = load_document(f)
    assert loaded.fmt == "md"
    assert loaded.encoding == "utf-8-sig"
    assert loaded.text == POLICY_PARAGRAPH
    assert not loaded.text.startswith("\ufeff")


@pytest.mark.parametrize("codec", ["gb18030", "gbk"])
def test_chinese_legacy_encodings_are_detected(tmp_path, codec):
    f = tmp_path / f"{codec}.txt"
    f.write_bytes(POLICY_PARAGRAPH.encode(codec))
    loaded = load_document(f)
    assert loaded.encoding == "gb18030"  # GB18030 is a superset of GBK
    assert loaded.text == POLICY_PARAGRAPH


@pytest.mark.parametrize("title", ["碳达峰", "普陀区碳达峰实施方案", "附件：重点项目清单"])
def test_short_gbk_text_is_not_misguessed(tmp_path, title):
    # charset-normalizer alone reads these as big5 / utf_16_be / cp949 mojibake.
    f = tmp_path / "短标题.txt"
    f.write_bytes(title.encode("gbk"))
    assert load_document(f).text == title


def test_utf16_with_bom_falls_back_to_charset_normalizer(tmp_path):
    # Windows Notepad's "Unicode" is UTF-16 with a BOM: neither strict UTF-8 nor GB18030 decodes it.
    f = tmp_path / "notepad.txt"
    f.write_bytes(POLICY_PARAGRAPH.encode("utf-16"))
    loaded = load_document(f)
    assert loaded.encoding.replace("_", "-").startswith("utf-16")
    assert loaded.text == POLICY_PARAGRAPH


def test_line_endings_are_normalised(tmp_path):
    f = tmp_path / "crlf.txt"
    f.write_bytes("第一条 总则\r\n第二条 适用范围\r第三条 附则\n".encode("gb18030"))
    assert load_document(f).text == "第一条 总则\n第二条 适用范围\n第三条 附则\n"


# --- real fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference_text() -> str:
    return squash(REFERENCE_TXT.read_text(encoding="utf-8"))


@pytest.mark.parametrize("fixture, fmt", [(FIXTURE_DOCX, "docx"), (FIXTURE_PDF, "pdf")])
def test_fixture_matches_reference_text(fixture, fmt, reference_text):
    loaded = load_document(fixture)
    assert loaded.fmt == fmt
    assert loaded.encoding is None
    got = squash(loaded.text)
    matcher = difflib.SequenceMatcher(None, reference_text, got, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    assert matched / len(reference_text) >= 0.95, "lost text from the document"
    assert matcher.ratio() >= 0.95, "extracted text has too much extra or reordered content"
    for distinctive in ("普府〔2023〕24号", "普陀区碳达峰实施方案", "确保2030年前实现碳达峰", "（三）严格监督考核"):
        assert distinctive in got
    assert "\n" in loaded.text and loaded.text.count("\n") > 50, "lines must be kept, not flattened"


def test_docx_paragraphs_and_tables_keep_document_order(tmp_path):
    document = docx.Document()
    document.add_paragraph("附件：重点项目清单")
    table = document.add_table(rows=2, cols=3)
    for r, row in enumerate([["序号", "项目名称", "责任单位"], ["1", "分布式光伏\n示范项目", "区发展改革委"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("以上项目按年度推进。")
    f = tmp_path / "清单.docx"
    document.save(f)

    lines = load_document(f).text.split("\n")
    assert lines == [
        "附件：重点项目清单",
        "序号\t项目名称\t责任单位",
        "1\t分布式光伏示范项目\t区发展改革委",  # line break inside a CJK cell is glued away
        "以上项目按年度推进。",
    ]


def test_docx_merged_cell_is_not_repeated(tmp_path):
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 2))
    merged.text = "重点任务"
    for c, value in enumerate(["能源", "产业", "交通"]):
        table.cell(1, c).text = value
    f = tmp_path / "merged.docx"
    document.save(f)
    assert load_document(f).text.split("\n") == ["重点任务", "能源\t产业\t交通"]


# --- bad input --------------------------------------------------------------------------------


def test_missing_path(tmp_path):
    assert_document_error(tmp_path / "不存在.txt", "不存在")


def test_unsupported_extension(tmp_path):
    f = tmp_path / "统计表.xlsx"
    f.write_bytes(b"PK\x03\x04 not really a workbook")
    err = assert_document_error(f, "不支持", ".xlsx")
    for suffix in loaders.SUPPORTED_SUFFIXES:
        assert suffix in err.reason


def test_directory_is_not_a_document(tmp_path):
    folder = tmp_path / "政策.txt"
    folder.mkdir()
    assert_document_error(folder, "文件夹")


@pytest.mark.parametrize(
    "name, content",
    [
        ("empty.txt", b""),
        ("empty.pdf", b""),
        ("empty.docx", b""),
        ("spaces.md", " \n\t\r\n\u3000\n".encode("utf-8")),
        ("bom-only.txt", b"\xef\xbb\xbf"),
    ],
)
def test_empty_or_whitespace_only_file(tmp_path, name, content):
    f = tmp_path / name
    f.write_bytes(content)
    assert_document_error(f, "为空")


@pytest.mark.parametrize(
    "content",
    [
        bytes(range(256)) * 8,
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(200)),
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(255, 0, -1)),
        POLICY_PARAGRAPH.encode("utf-8") * 20 + b"\x00",
    ],
    ids=["all-bytes", "png", "zip", "single-nul"],
)
def test_binary_file_named_txt(tmp_path, content):
    f = tmp_path / "附件.txt"
    f.write_bytes(content)
    assert_document_error(f, "二进制", "UTF-8")


def test_corrupt_pdf_garbage_bytes(tmp_path):
    f = tmp_path / "坏文件.pdf"
    f.write_bytes(b"this is not a pdf \x00\x01\x02" * 50)
    err = assert_document_error(f, "PDF", "损坏")
    assert err.__cause__ is not None


def test_truncated_real_pdf(tmp_path):
    f = tmp_path / "截断.pdf"
    f.write_bytes(FIXTURE_PDF.read_bytes()[:2000])
    assert_document_error(f, "PDF", "损坏")


def test_pdf_without_text_layer_says_scanned(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    f = tmp_path / "扫描件.pdf"
    writer.write(f)
    assert_document_error(f, "扫描件", "OCR")


def test_password_protected_pdf(tmp_path):
    writer = PdfWriter(clone_from=PdfReader(FIXTURE_PDF))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    f = tmp_path / "加密.pdf"
    writer.write(f)
    assert_document_error(f, "加密", "密码")


def test_owner_only_protected_pdf_still_opens(tmp_path):
    # Many government PDFs forbid editing (owner password) but open without a password.
    writer = PdfWriter(clone_from=PdfReader(FIXTURE_PDF))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    f = tmp_path / "限制编辑.pdf"
    writer.write(f)
    assert "普府〔2023〕24号" in squash(load_document(f).text)


def test_corrupt_docx(tmp_path):
    f = tmp_path / "坏文件.docx"
    f.write_bytes(b"\xd0\xcf\x11\xe0 old .doc or garbage" * 40)
    err = assert_document_error(f, ".docx", "损坏")
    assert err.__cause__ is not None


def test_docx_with_broken_xml(tmp_path):
    import zipfile

    f = tmp_path / "坏XML.docx"
    with zipfile.ZipFile(FIXTURE_DOCX) as src, zipfile.ZipFile(f, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "word/document.xml":
                data = data[: len(data) // 2]
            dst.writestr(item, data)
    assert_document_error(f, ".docx", "损坏")


def test_file_over_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(loaders, "MAX_FILE_BYTES", 1024 * 1024)
    f = tmp_path / "超大.txt"
    f.write_bytes("碳达峰".encode("utf-8") * 200_000)
    assert_document_error(f, "过大", "1 MB")


# --- folder expansion -------------------------------------------------------------------------


def test_iter_document_paths_expands_folders(tmp_path):
    root = tmp_path / "政策库"
    (root / "区级" / "普陀").mkdir(parents=True)
    (root / ".git").mkdir()
    for rel in ["b.txt", "a.md", "区级/c.docx", "区级/普陀/d.pdf", "区级/E.PDF",
                ".hidden.txt", ".git/ignored.txt", ".DS_Store", "meta.json", "~$c.docx"]:
        (root / rel).write_bytes(b"x")
    loose = tmp_path / "单独.txt"
    loose.write_bytes(b"x")

    files, errors = iter_document_paths(
        [root, loose, root / "a.md", tmp_path / "缺失.pdf", root / "meta.json"]
    )

    assert files == [
        root / "a.md",
        root / "b.txt",
        root / "区级" / "E.PDF",
        root / "区级" / "c.docx",
        root / "区级" / "普陀" / "d.pdf",
        loose,
    ]
    assert [p for p, _ in errors] == [str(tmp_path / "缺失.pdf"), str(root / "meta.json")]
    assert "不存在" in errors[0][1]
    assert "不支持" in errors[1][1] and ".json" in errors[1][1]


def test_iter_document_paths_empty_folder(tmp_path):
    assert iter_document_paths([tmp_path]) == ([], [])

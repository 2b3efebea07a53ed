"""Bounded parsing: compression bombs and oversized text fail with one line naming the limit, checked while the
file is read; a parse worker that runs over its time or memory is stopped and the other files still parse;
a giant paragraph becomes clauses no longer than the cap, each naming its clause."""
from __future__ import annotations

import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostile import docx_bomb, giant_paragraph_txt
from index import limits
from index.loaders import DocumentError, load_document
from index.parser import cut_parts, parse_document
from index.sandbox import parse_files

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "data" / "policies"
FIXTURE_DOCX = ROOT / "tests" / "fixtures" / "普陀区碳达峰实施方案.docx"
GIB = 1024 ** 3


def _one_line_naming(err: DocumentError, path: Path, *needles: str) -> None:
    line = str(err)
    assert "\n" not in line and line.startswith(str(path)), line
    for needle in needles:
        assert needle in err.reason, err.reason


@pytest.mark.parametrize("kind", ["paragraphs", "text"])
def test_a_bomb_fails_on_its_declared_size_before_anything_inflates(tmp_path, kind):
    bomb = docx_bomb(tmp_path / f"{kind}.docx", kind)
    assert bomb.stat().st_size < 4 * 1024 * 1024  # a small file …
    t0 = time.monotonic()
    with pytest.raises(DocumentError) as info:
        load_document(bomb)
    assert time.monotonic() - t0 < 1.0
    _one_line_naming(info.value, bomb, "解压后", "word/document.xml", "上限 128 MB")


@pytest.mark.parametrize("kind, needle", [("paragraphs", "段落过多（超过上限 20万段）"), ("text", "文字过多（超过上限 1000万字）")])
def test_a_bomb_within_the_declared_sizes_is_stopped_while_it_inflates(tmp_path, kind, needle):
    """60 MB of XML passes the size checks; the streaming count stops it long before python-docx would build a tree."""
    bomb = docx_bomb(tmp_path / f"{kind}.docx", kind, inflated=60 * 1024 * 1024)
    t0 = time.monotonic()
    with pytest.raises(DocumentError) as info:
        load_document(bomb)
    assert time.monotonic() - t0 < 5.0
    _one_line_naming(info.value, bomb, needle)


def test_a_bomb_that_lies_about_its_size_reads_as_damaged(tmp_path):
    """zipfile never returns more than the declared size: the XML is cut short and the file reads as damaged."""
    bomb = docx_bomb(tmp_path / "lie.docx", "paragraphs", declared=4096)
    with pytest.raises(DocumentError) as info:
        load_document(bomb)
    _one_line_naming(info.value, bomb, "损坏")


def test_the_streaming_check_reads_bombs_in_little_memory(tmp_path):
    """A child process reads both bombs (and the 60 MB ones) with its address space capped at 1 GiB above start."""
    for kind in ("paragraphs", "text"):
        docx_bomb(tmp_path / f"{kind}.docx", kind)
        docx_bomb(tmp_path / f"{kind}-60m.docx", kind, inflated=60 * 1024 * 1024)
    code = (
        "import resource, sys\n"
        "from index.loaders import DocumentError, load_document\n"
        "import docx\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_AS)\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({GIB} + int(open('/proc/self/statm').read().split()[0]) * 4096, hard))\n"
        "for p in sys.argv[1:]:\n"
        "    try:\n"
        "        load_document(p)\n"
        "    except DocumentError as e:\n"
        "        print(e.reason[:6])\n"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))\n"
    )
    files = sorted(str(p) for p in tmp_path.glob("*.docx"))
    out = subprocess.run([sys.executable, "-c", code, *files], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split()
    assert len(lines) == 5, out.stdout
    # VmHWM, not ru_maxrss: Linux carries a parent's RSS over fork and exec into the child's ru_maxrss
    assert int(lines[-1]) < 300 * 1024, f"peak RSS {int(lines[-1]) // 1024} MB"  # KiB


def test_a_real_docx_passes_the_checks_unchanged():
    from index import docx_scan

    text = load_document(FIXTURE_DOCX).text
    assert "普府〔2023〕24号" in text.replace(" ", "")
    import zipfile

    with zipfile.ZipFile(FIXTURE_DOCX) as zf:
        docx_scan.check_docx(zf)  # raises nothing


def test_too_much_text_fails_with_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_DOCUMENT_CHARS", 1000)
    f = tmp_path / "长文.txt"
    f.write_text("碳达峰" * 400, encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        load_document(f)
    _one_line_naming(info.value, f, "文字过多", "1,000字")


def test_too_many_lines_fails_with_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_PARAGRAPHS", 100)
    f = tmp_path / "多行.txt"
    f.write_text("第一行\n" * 150, encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        load_document(f)
    _one_line_naming(info.value, f, "段落过多")


# ---- clause parts ------------------------------------------------------------------------------------


def test_a_giant_paragraph_becomes_parts_of_one_clause(tmp_path):
    f = giant_paragraph_txt(tmp_path / "巨型段落.txt", megabytes=3)
    lt = load_document(f)
    doc = parse_document(lt.text, fmt=lt.fmt, path=str(f), content_hash=lt.content_hash)
    n = len(doc.clauses)
    assert n > 50
    assert all(len(c.text) <= limits.MAX_CLAUSE_CHARS for c in doc.clauses)
    assert "".join(c.text for c in doc.clauses) == lt.text  # nothing lost, nothing repeated
    first = doc.clauses[0]
    assert [c.part for c in doc.clauses] == list(range(n)) and {c.n_parts for c in doc.clauses} == {n}
    assert all(c.clause_id == f"{first.clause_id}-p{k + 1}" for k, c in enumerate(doc.clauses) if k)
    assert {c.label for c in doc.clauses} == {first.label}
    assert doc.clauses[2].citation.endswith(f"（第3部分，共{n}部分）")
    assert all(c.text.endswith("。") for c in doc.clauses)  # cut at sentence ends
    assert doc.text[slice(*doc.clauses[5].span)] == doc.clauses[5].text
    assert "part" not in first.to_json() and first.to_record()["n_parts"] == n


def test_cut_parts_is_linear_and_falls_back_to_a_hard_cut():
    assert cut_parts("短", 10) == [(0, 1)]
    spans = cut_parts("甲" * 25, 10)
    assert spans == [(0, 10), (10, 20), (20, 25)]
    text = ("句子。" * 5000) + "无标点" * 30000
    t0 = time.monotonic()
    spans = cut_parts(text, 1000)
    assert time.monotonic() - t0 < 1.0
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(b - a <= 1000 for a, b in spans) and all(a == b0 for (_, b0), (a, _) in zip(spans, spans[1:]))


def test_the_shipped_corpus_has_no_clause_in_parts():
    for f in sorted(POLICIES.iterdir()):
        lt = load_document(f)
        doc = parse_document(lt.text, fmt=lt.fmt, path=str(f), content_hash=lt.content_hash)
        assert all(c.n_parts == 1 and "-p" not in c.clause_id for c in doc.clauses)
        assert all("part" not in c.to_record() for c in doc.clauses)


# ---- the parse worker ----------------------------------------------------------------------------------


def test_worker_parses_good_files_and_fails_bad_ones_each_with_one_line(tmp_path):
    bomb = docx_bomb(tmp_path / "炸弹.docx", "paragraphs")
    missing = tmp_path / "缺失.txt"
    good = sorted(POLICIES.iterdir())[:2]
    t0 = time.monotonic()
    out = list(parse_files([good[0], bomb, missing, good[1]]))
    assert time.monotonic() - t0 < 20
    assert [o.path for o in out] == [str(good[0]), str(bomb), str(missing), str(good[1])]
    assert out[0].doc is not None and out[3].doc is not None and out[0].doc.clauses
    assert "压缩炸弹" in out[1].failure and "不存在" in out[2].failure
    assert all("\n" not in (o.failure or "") for o in out)


def test_worker_skips_known_files_unparsed():
    f = sorted(POLICIES.iterdir())[0]
    import hashlib

    (out,) = parse_files([f], {hashlib.sha256(f.read_bytes()).hexdigest()})
    assert out.skipped and out.doc is None and out.failure is None


def test_a_worker_over_its_time_is_stopped_and_the_next_file_still_parses(tmp_path):
    giant = giant_paragraph_txt(tmp_path / "巨型.txt", megabytes=8)
    small = sorted(POLICIES.iterdir())[0]
    t0 = time.monotonic()
    out = list(parse_files([giant, small], timeout_s=0.2))
    assert time.monotonic() - t0 < 10
    assert out[0].doc is None and "解析超时" in out[0].failure and "0.2 秒" in out[0].failure
    assert out[1].doc is not None


def test_a_worker_out_of_memory_fails_that_file_only(tmp_path):
    giant = giant_paragraph_txt(tmp_path / "巨型.txt", megabytes=8)
    small = sorted(POLICIES.iterdir())[0]
    out = list(parse_files([giant, small], memory_bytes=16 * 1024 * 1024))
    assert out[0].doc is None and "内存超过上限（16 MB）" in out[0].failure
    assert out[1].doc is not None or "内存" in out[1].failure  # a fresh worker; 16 MB may not fit even a small plan
    out = list(parse_files([small, giant], memory_bytes=16 * 1024 * 1024))
    assert "内存" in out[1].failure


def test_a_worker_that_dies_fails_that_file_only(tmp_path, monkeypatch):
    """A crash in the worker (a segfault in a C extension, here sent as SIGSEGV) is one line, not a traceback."""
    import os
    import signal

    from index import sandbox

    f = tmp_path / "崩溃.txt"
    f.write_text("第一条 文本。", encoding="utf-8")
    real_parse = sandbox._Worker.parse

    def crash_then_parse(self, path, timeout_s):
        if path == str(f):
            os.kill(self.proc.pid, signal.SIGSEGV)
            self.proc.wait()
        return real_parse(self, path, timeout_s)

    monkeypatch.setattr(sandbox._Worker, "parse", crash_then_parse)
    small = sorted(POLICIES.iterdir())[0]
    out = list(parse_files([f, small]))
    assert out[0].failure == limits.PARSE_CRASHED
    assert out[1].doc is not None


def test_limit_messages_name_the_limit():
    assert re.search(r"上限 \d+ MB", limits.inflates_too_much("word/document.xml", limits.MAX_XML_BYTES))
    assert "20万段" in limits.too_many_paragraphs() and "1000万字" in limits.too_many_chars()
    assert "120 秒" in limits.parse_timeout()


def test_relative_paths_are_read_from_the_callers_folder(tmp_path, monkeypatch):
    (tmp_path / "方案.txt").write_text("试点区节水行动方案\n一、主要目标\n（一）总体目标\n1.到2026年建成节水型社区30个。\n",
                                      encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    (out,) = parse_files(["方案.txt"])
    assert out.failure is None and out.path == "方案.txt" and out.doc.meta.path == "方案.txt"

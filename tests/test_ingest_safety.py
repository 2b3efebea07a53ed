"""Hostile files at the service and the CLI: bombs fail with one line while the good files of the batch land, in
little memory; a failed upload leaves uploads/ and 重新索引 never feeds a failed file to the parser again; every
document records how it arrived and when."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.service import Assistant
from hostile import PeakRSS, docx_bomb
from index import sandbox
from index.failures import FailedFiles

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
GOOD = sorted((ROOT / "data" / "policies").iterdir()) + sorted(f for f in (FIXTURES / "unseen").iterdir() if f.name != "README.md") + [
    FIXTURES / "formats" / "虹口区数字经济三年行动方案.docx",
    FIXTURES / "formats" / "上海市单用途预付消费卡管理条例.pdf",
    FIXTURES / "formats" / "中小企业数字化转型专项资金管理暂行办法.txt",
]
MB = 1024 * 1024


def _run(cmd: list[str]) -> tuple[int, bytes, bytes, float, int]:
    """Run `cmd`: (exit code, stdout, stderr, seconds, peak RSS in bytes of it and its parse workers together)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with PeakRSS(proc.pid) as rss:
        out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err, time.monotonic() - t0, rss.peak


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    base = tmp_path_factory.mktemp("batches")
    good, mixed, bombs = base / "good", base / "mixed", base / "bombs"
    for folder in (good, mixed, bombs):
        folder.mkdir()
    for f in GOOD:
        shutil.copy(f, good / f.name)
        shutil.copy(f, mixed / f.name)
    for folder in (mixed, bombs):
        docx_bomb(folder / "段落炸弹.docx", "paragraphs")
        docx_bomb(folder / "文本炸弹.docx", "text")
    return good, mixed, bombs


def test_the_twelve_good_files(batches):
    good, _, _ = batches
    assert len(GOOD) == 12 and len(list(good.iterdir())) == 12


def test_cli_bombs_fail_with_one_line_each_within_ten_seconds(batches, tmp_path):
    _, _, bombs = batches
    code, out, err, seconds, _ = _run([sys.executable, "-m", "assistant", "ingest", str(bombs), "--store",
                                       str(tmp_path / "store"), "--lexical"])
    assert code == 1 and seconds < 10, (code, seconds, err.decode())
    lines = [l for l in err.decode().splitlines() if l.startswith("失败：")]
    assert len(lines) == 2 and all("压缩炸弹" in l and "上限 128 MB" in l for l in lines), lines
    assert "Traceback" not in err.decode()


def test_cli_batch_with_bombs_lands_every_good_file_in_little_extra_memory(batches, tmp_path):
    good, mixed, _ = batches
    base = _run([sys.executable, "-m", "assistant", "ingest", str(good), "--store", str(tmp_path / "a"), "--lexical", "--json"])
    code, out, err, seconds, rss = _run([sys.executable, "-m", "assistant", "ingest", str(mixed), "--store",
                                         str(tmp_path / "b"), "--lexical", "--json"])
    report = json.loads(out)
    assert code == 1 and report["documents"] == 12, (report, err.decode())
    failed = {Path(f["path"]).name: f["error"] for f in report["failed"]}
    assert set(failed) == {"段落炸弹.docx", "文本炸弹.docx"} and all("\n" not in e for e in failed.values())
    assert rss - base[4] < 500 * MB, f"bombs cost {(rss - base[4]) // MB} MB more than the good files alone"


def test_a_failed_upload_is_quarantined_and_reindex_never_retries_a_failed_file(tmp_path, monkeypatch):
    a = Assistant(store=tmp_path / "store", retrieval="lexical")
    a.ingest()  # the shipped corpus
    good = tmp_path / "试点方案.txt"
    good.write_text("试点区节水行动方案\n一、主要目标\n（一）总体目标\n1.到2026年建成节水型社区30个。（责任单位：区水务局）\n",
                    encoding="utf-8")
    bomb = docx_bomb(tmp_path / "炸弹.docx", "paragraphs")
    report, rejected = a.add_files([(str(good), "试点方案.txt"), (str(bomb), "炸弹.docx")], user="张三")
    assert not rejected and report.documents == 1 and len(report.failed) == 1
    uploads, quarantine = tmp_path / "store" / "uploads", tmp_path / "store" / "quarantine"
    assert sorted(p.name for p in uploads.iterdir()) == ["试点方案.txt"]
    assert [p.name for p in quarantine.iterdir()] == ["炸弹.docx"]

    # A failing file that reaches uploads/ another way (copied there by hand) fails once, then is skipped.
    broken = uploads / "坏文件.pdf"
    broken.write_bytes(b"%PDF-1.4 not really a pdf")
    seen: list[str] = []
    real = sandbox.parse_files

    def spy(paths, *args, **kwargs):
        paths = [str(p) for p in paths]
        seen.extend(paths)
        return real(paths, *args, **kwargs)

    monkeypatch.setattr(sandbox, "parse_files", spy)
    first, skipped = a.reindex()
    assert [Path(f.path).name for f in first.failed] == ["坏文件.pdf"] and not skipped
    seen.clear()
    second, skipped = a.reindex()
    assert not second.failed and [s.name for s in skipped] == ["坏文件.pdf"] and "PDF" in skipped[0].reason
    assert not any(p.endswith("坏文件.pdf") for p in seen)  # never parsed again
    assert FailedFiles(tmp_path / "store").read()  # the record is on disk for the next process

    # Asked for by name, it is tried again (and still fails).
    again = a.ingest([broken])
    assert [Path(f.path).name for f in again.failed] == ["坏文件.pdf"]


def test_every_document_records_how_it_arrived_and_when(tmp_path):
    a = Assistant(store=tmp_path / "store", retrieval="lexical")
    a.ensure_corpus()
    up = tmp_path / "上传.txt"
    up.write_text("试点区节水行动方案\n一、主要目标\n（一）总体目标\n1.到2026年建成节水型社区30个。\n", encoding="utf-8")
    a.add_files([(str(up), "上传.txt")], user="李四")
    cli = FIXTURES / "unseen" / "宝山区养老服务体系建设三年行动实施方案.txt"
    subprocess.run([sys.executable, "-m", "assistant", "ingest", str(cli), "--store", str(tmp_path / "store"), "--lexical"],
                   cwd=ROOT, check=True, capture_output=True)
    metas = {m.title: m for m, _ in Assistant(store=tmp_path / "store", retrieval="lexical").documents()}
    shipped = metas["嘉定区减污降碳协同增效实施方案"]
    assert shipped.origin == "corpus" and shipped.added_by is None and shipped.added_at
    upload = metas["试点区节水行动方案"]
    assert (upload.origin, upload.added_by) == ("upload", "李四") and upload.added_at[:4].isdigit()
    by_cli = next(m for t, m in metas.items() if t.startswith("宝山区养老服务"))
    assert by_cli.origin == "cli" and by_cli.added_at

    from assistant.views import DOCS_HEADERS, docs_rows, origin_text

    assert origin_text(upload).startswith("网页上传 · 李四 · ")
    library = Assistant(store=tmp_path / "store", retrieval="lexical").library()
    row = next(r for r in docs_rows(library) if r[0] == "试点区节水行动方案")
    assert row[DOCS_HEADERS.index("来源")].startswith("网页上传 · 李四 · ")

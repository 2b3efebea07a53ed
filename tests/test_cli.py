"""The command line as a user runs it: `python -m assistant ...` in a subprocess, on temporary stores."""
from __future__ import annotations

import functools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from index.loaders import REASON_MISSING, load_document
from index.markers import int_to_cn
from index.parser import parse_document

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "policies"
HUB_MODEL = "BAAI/bge-small-zh-v1.5"
PUTUO = "普陀区碳达峰实施方案"
STATUTE = "上海市环境保护条例"
REPORT_KEYS = {"documents", "clauses", "skipped_unchanged", "failed", "warnings"}
DOC_KEYS = ["doc_id", "title", "doc_number", "issuer", "date", "kind", "clauses", "path", "edition", "status", "status_line"]
CLAUSE_KEYS = ["clause_id", "doc_id", "doc_title", "doc_number", "label", "path", "text", "units", "citation"]


def run_cli(*args: str | Path, hf_home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "HF_", "TRANSFORMERS_"))}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HOME=str(hf_home), PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "assistant", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


@functools.cache
def corpus_counts() -> dict[str, int]:
    """Clauses per document title, straight from the parser (what the CLI's numbers must agree with)."""
    out = {}
    for p in sorted(CORPUS.iterdir()):
        lt = load_document(p)
        doc = parse_document(lt.text, fmt=lt.fmt, path=str(p), content_hash=lt.content_hash)
        out[doc.meta.title] = len(doc.clauses)
    return out


@pytest.fixture(scope="module")
def hf_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli_hf_home")


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory: pytest.TempPathFactory, hf_home: Path):
    """`ingest --json` of the default corpus, without --lexical (the model is missing, as on a fresh machine)."""
    store = tmp_path_factory.mktemp("cli") / "store"
    return store, run_cli("ingest", "--store", store, "--json", hf_home=hf_home)


def test_ingest_json_reports_the_corpus(cli_store):
    _, r = cli_store
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert set(report) <= REPORT_KEYS and REPORT_KEYS - {"warnings"} <= set(report)
    counts = corpus_counts()
    assert (report["documents"], report["clauses"], report["skipped_unchanged"], report["failed"]) == (
        6, sum(counts.values()), 0, [])
    assert "Traceback" not in r.stderr


def test_second_ingest_skips_unchanged_files(cli_store, hf_home):
    store, _ = cli_store
    r = run_cli("ingest", "--store", store, "--json", "--lexical", hf_home=hf_home)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert (report["documents"], report["clauses"], report["skipped_unchanged"], report["failed"]) == (0, 0, 6, [])


def test_ingest_with_a_missing_file_exits_1_and_names_it(tmp_path, hf_home):
    missing = tmp_path / "没有这个文件.txt"
    r = run_cli("ingest", missing, CORPUS / f"{PUTUO}.txt", "--store", tmp_path / "store", "--json", "--lexical",
                hf_home=hf_home)
    assert r.returncode == 1, r.stderr
    report = json.loads(r.stdout)
    assert report["failed"] == [{"path": str(missing), "error": REASON_MISSING}]
    assert "Traceback" not in r.stderr
    assert report["documents"] == 1 and report["clauses"] == corpus_counts()[PUTUO]


def test_unknown_flag_is_a_usage_error(tmp_path, hf_home):
    r = run_cli("ingest", "--bogus-flag", "--store", tmp_path / "store", hf_home=hf_home)
    assert r.returncode == 2
    assert "--bogus-flag" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "store").exists()


@pytest.mark.parametrize("name, value, named", [
    ("ASSISTANT_DISABLED", "expansion,bogus", "bogus"),
    ("ASSISTANT_TOP_K", "abc", "ASSISTANT_TOP_K"),
])
def test_a_bad_setting_is_one_line_naming_it(cli_store, hf_home, monkeypatch, name, value, named):
    monkeypatch.setenv(name, value)  # run_cli drops ASSISTANT_* from the environment; a .env-free child gets it here
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(hf_home), "PYTHONIOENCODING": "utf-8"}
    r = subprocess.run([sys.executable, "-m", "assistant", "docs", "--store", str(cli_store)], cwd=ROOT, env=env,
                       capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and named in lines[0], r.stderr


def test_disabled_mechanisms_read_as_a_comma_list(monkeypatch):
    """ASSISTANT_DISABLED=expansion,evidence_refusal, as the setting's description says (a JSON list works too)."""
    from assistant.settings import load_settings

    monkeypatch.setenv("ASSISTANT_DISABLED", "expansion, evidence_refusal")
    assert load_settings().disabled == ("expansion", "evidence_refusal")
    monkeypatch.setenv("ASSISTANT_DISABLED", '["part_terms"]')
    assert load_settings().disabled == ("part_terms",)


def test_docs_json_lists_documents_and_lexical_mode(cli_store, hf_home):
    store, _ = cli_store
    r = run_cli("docs", "--store", store, "--json", hf_home=hf_home)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["retrieval"]["mode"] == "lexical"
    assert HUB_MODEL in out["retrieval"]["reason"] and "\n" not in out["retrieval"]["reason"]
    docs = out["documents"]
    assert all(list(d) == DOC_KEYS for d in docs)
    assert {d["title"]: d["clauses"] for d in docs} == corpus_counts()
    putuo = next(d for d in docs if d["title"] == PUTUO)
    assert (putuo["doc_number"], putuo["kind"], Path(putuo["path"]).name) == ("普府〔2023〕24号", "实施方案", f"{PUTUO}.txt")


def test_missing_model_notice_once_per_store(tmp_path, hf_home):
    """A fresh machine has no bge model: the first command says so in one line with the fix, later ones don't."""
    store = tmp_path / "store"
    first = run_cli("ingest", CORPUS / f"{PUTUO}.txt", "--store", store, "--json", hf_home=hf_home)
    assert first.returncode == 0 and "Traceback" not in first.stderr
    notices = [line for line in first.stderr.splitlines() if HUB_MODEL in line]
    assert len(notices) == 1, first.stderr
    assert "HF_ENDPOINT" in notices[0] and "--embed-model" in notices[0] and "https://hf-mirror.com" in notices[0]

    again = run_cli("search", "普陀区新增光伏装机容量", "--store", store, "--json", hf_home=hf_home)
    assert again.returncode == 0 and json.loads(again.stdout)  # still answers, lexically
    assert HUB_MODEL not in again.stderr and again.stderr.strip() == "", again.stderr

    docs = run_cli("docs", "--store", store, hf_home=hf_home)
    mode_line = docs.stdout.splitlines()[0]
    assert mode_line.startswith("检索模式：仅关键词检索（BM25）") and "modelscope" not in mode_line
    assert docs.stderr.strip() == "", docs.stderr

    other = run_cli("search", "光伏", "--store", store, "--json", "--embed-model", tmp_path / "no-model",
                    hf_home=hf_home)  # another model, another reason: news again
    assert len([line for line in other.stderr.splitlines() if "no-model" in line]) == 1, other.stderr


def test_clauses_json_lists_the_statute_in_order(cli_store, hf_home):
    store, _ = cli_store
    r = run_cli("clauses", STATUTE, "--store", store, "--json", "--lexical", hf_home=hf_home)
    assert r.returncode == 0, r.stderr
    clauses = json.loads(r.stdout)
    assert len(clauses) == 92
    assert all(list(c) == CLAUSE_KEYS for c in clauses)
    assert [c["label"] for c in clauses] == ["题注"] + [f"第{int_to_cn(n)}条" for n in range(1, 92)]


def test_clauses_of_unknown_document_is_one_chinese_line(cli_store, hf_home):
    store, _ = cli_store
    r = run_cli("clauses", "不存在的文件", "--store", store, "--lexical", hf_home=hf_home)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "不存在的文件" in lines[0] and "找不到文件" in lines[0]
    assert r.stdout == ""


def test_search_json_returns_k_ranked_clauses(cli_store, hf_home):
    store, _ = cli_store
    r = run_cli("search", "普陀区到2025年能耗下降目标是多少", "--store", store, "--json", "-k", "3", "--lexical",
                hf_home=hf_home)
    assert r.returncode == 0, r.stderr
    hits = json.loads(r.stdout)
    assert len(hits) == 3
    assert all(list(h) == CLAUSE_KEYS + ["rank", "score"] for h in hits)
    assert [h["rank"] for h in hits] == [1, 2, 3]
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]
    assert hits[0]["doc_title"] == PUTUO and "13.5%" in hits[0]["text"]


def test_search_doc_filter(cli_store, hf_home):
    store, _ = cli_store
    r = run_cli("search", "新增光伏装机容量", "--doc", "松江区碳达峰实施方案", "--store", store, "--json", "-k", "5",
                "--lexical", hf_home=hf_home)
    assert r.returncode == 0, r.stderr
    hits = json.loads(r.stdout)
    assert len(hits) == 5 and {h["doc_title"] for h in hits} == {"松江区碳达峰实施方案"}


def test_remove_then_docs_shows_five(cli_store, hf_home, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(cli_store[0], store)
    r = run_cli("remove", PUTUO, "--store", store, "--lexical", hf_home=hf_home)
    assert r.returncode == 0, r.stderr
    assert PUTUO in r.stdout
    docs = json.loads(run_cli("docs", "--store", store, "--json", "--lexical", hf_home=hf_home).stdout)["documents"]
    assert len(docs) == 5 and PUTUO not in {d["title"] for d in docs}


def test_help_shows_commands_and_examples(hf_home):
    r = run_cli("--help", hf_home=hf_home)
    assert r.returncode == 0
    for command in ("ingest", "docs", "clauses", "search", "remove"):
        assert command in r.stdout
    assert "示例" in r.stdout and "python -m assistant search" in r.stdout


def _store_meta(store: Path, key: str, value: str | None = None) -> str:
    with sqlite3.connect(store / "index.sqlite") as conn:
        if value is not None:
            conn.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))
        return conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]


def test_store_from_an_older_tokenizer_is_rebuilt_not_a_traceback(cli_store, hf_home, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(cli_store[0], store)
    _store_meta(store, "tokenizer", "jieba/0")  # what a store written by an older release looks like
    r = run_cli("docs", "--store", store, "--lexical", hf_home=hf_home)
    assert "Traceback" not in r.stderr
    assert r.returncode in (0, 1)
    assert len(r.stderr.strip().splitlines()) <= 1
    # The keyword index was rebuilt from the stored clauses, once: searching finds the clause.
    assert _store_meta(store, "tokenizer") != "jieba/0"
    r = run_cli("search", "新增光伏装机", "--json", "--store", store, "--lexical", hf_home=hf_home)
    assert r.returncode == 0 and "29.4万千瓦" in json.loads(r.stdout)[0]["text"]
    assert not r.stderr.strip()


def test_damaged_store_is_one_line_with_the_fix(cli_store, hf_home, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(cli_store[0], store)
    for p in store.glob("index.sqlite*"):
        p.unlink()
    (store / "index.sqlite").write_bytes(b"not a database" * 100)
    r = run_cli("docs", "--store", store, "--lexical", hf_home=hf_home)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(store) in lines[0] and "ingest" in lines[0]


# ---- start-up time --------------------------------------------------------------------------------

HEAVY_MODULES = ("llama_index", "bm25s", "scipy", "torch", "transformers", "FlagEmbedding", "gradio", "chromadb", "jieba")


def test_docs_starts_fast_and_imports_nothing_heavy(cli_store, hf_home):
    """`docs` reads the manifest: no parser, no BM25 matrices, no models. Best of three runs ≤ 1 s wall."""
    import time

    store, _ = cli_store
    probe = ("import sys, runpy; sys.argv = ['assistant', 'docs', '--store', sys.argv[1]]\n"
             "try:\n    runpy.run_module('assistant', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY_MODULES)!r}))")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "HF_", "TRANSFORMERS_"))}
    env.update(HF_HUB_OFFLINE="1", HF_HOME=str(hf_home), PYTHONIOENCODING="utf-8")
    r = subprocess.run([sys.executable, "-c", probe, str(store)], cwd=ROOT, env=env, capture_output=True, text=True,
                       encoding="utf-8", timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]", r.stdout.splitlines()[-1]
    walls = []
    for _ in range(3):
        t0 = time.perf_counter()
        r = run_cli("docs", "--store", store, hf_home=hf_home)
        walls.append(time.perf_counter() - t0)
        assert r.returncode == 0 and "《普陀区碳达峰实施方案》" in r.stdout
    assert min(walls) <= 1.0, walls


# ---- audit ----------------------------------------------------------------------------------------


def test_ask_is_audited_and_audit_reads_it_back(cli_store, hf_home, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(cli_store[0], store)
    q = "嘉定区到2025年新增光伏装机目标是多少？"
    r = run_cli("ask", q, "--store", store, "--lexical", hf_home=hf_home)
    assert r.returncode == 0 and "29.4万千瓦" in r.stdout, r.stderr
    from assistant.audit import AuditLog

    (entry,) = AuditLog(store).read().entries
    log_id = entry.answer.id
    AuditLog(store).record_feedback(log_id, "down", "想问的是公共机构")

    listing = run_cli("audit", "--store", store, hf_home=hf_home)
    assert listing.returncode == 0, listing.stderr
    assert q in listing.stdout and "[cli]" in listing.stdout and "👎（想问的是公共机构）" in listing.stdout
    assert "《嘉定区减污降碳协同增效实施方案》（嘉府发〔2023〕27号）二、（一）1." in listing.stdout

    rows = [json.loads(line) for line in run_cli("audit", "--store", store, "--json", hf_home=hf_home).stdout.splitlines()]
    assert len(rows) == 1 and rows[0]["id"] == log_id and rows[0]["via"] == "cli" and rows[0]["mode"] == "lexical"
    assert rows[0]["citations"][0]["doc_version"] and rows[0]["feedback"]["value"] == "down"

    csv_path, cand_path = tmp_path / "a.csv", tmp_path / "c.jsonl"
    r = run_cli("audit", "--store", store, "--csv", csv_path, "--candidates", cand_path, hf_home=hf_home)
    assert r.returncode == 0 and "1 条回答" in r.stdout and "1 条 👎" in r.stdout
    assert q in csv_path.read_text(encoding="utf-8-sig")
    assert json.loads(cand_path.read_text(encoding="utf-8"))["question"] == q

    future = run_cli("audit", "--store", store, "--since", "2999-01-01", hf_home=hf_home)
    assert future.returncode == 0 and "没有该时间之后的回答" in future.stdout
    bad = run_cli("audit", "--store", store, "--since", "上周", hf_home=hf_home)
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "2026-12-01" in bad.stderr


@pytest.mark.parametrize("command", ["search", "ask"])
@pytest.mark.parametrize("k", ["0", "-5", "51"])
def test_k_outside_its_range_is_one_line(cli_store, hf_home, command, k):
    store, _ = cli_store
    r = run_cli(command, "光伏", f"-k{k}" if k.startswith("-") else "-k", *([] if k.startswith("-") else [k]),
                "--store", store, "--lexical", hf_home=hf_home)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip() == f"错误：-k 须为 1 到 50 之间的整数（收到 {int(k)}）" and not r.stdout


def test_an_unwritable_store_is_one_line_not_a_traceback(hf_home, tmp_path):
    store = tmp_path / "store"
    store.write_text("a file where the store folder should be", encoding="utf-8")
    r = run_cli("ingest", CORPUS / "普陀区碳达峰实施方案.txt", "--store", store, "--lexical", hf_home=hf_home)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("错误：无法读写") and "--store" in line


def test_a_second_writer_says_it_is_waiting(cli_store, hf_home, tmp_path):
    """While another process holds the store's write lock, an ingest says it waits (and then carries on)."""
    import time

    from filelock import FileLock

    store = tmp_path / "store"
    shutil.copytree(cli_store[0], store)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "HF_", "TRANSFORMERS_"))}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HOME=str(hf_home), PYTHONIOENCODING="utf-8")
    new = tmp_path / "新方案.txt"
    new.write_text("试点区节水行动方案\n一、主要目标\n（一）总体目标\n1.到2026年建成节水型社区30个。\n", encoding="utf-8")
    with FileLock(str(store / ".lock")):
        proc = subprocess.Popen([sys.executable, "-m", "assistant", "ingest", str(new), "--store", str(store), "--lexical"],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                encoding="utf-8")
        line, deadline = "", time.monotonic() + 60
        while "等待" not in line and time.monotonic() < deadline and proc.poll() is None:
            line = proc.stderr.readline()
        assert "另一个进程正在写入索引目录" in line and str(store) in line, line
        assert proc.poll() is None  # still waiting for us
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "导入 1 个文件" in out and "Traceback" not in err


def test_a_damaged_store_is_one_line_that_keeps_the_uploads(cli_store, hf_home, tmp_path):
    """The fix never advises deleting the only copy of the uploaded files."""
    from index.store.db import DB_FILE

    store = tmp_path / "store"
    shutil.copytree(cli_store[0], store)
    (store / DB_FILE).write_bytes(b"not a database" * 100)
    r = run_cli("docs", "--store", store, "--lexical", hf_home=hf_home)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert "uploads（已上传文件的唯一副本）" in line and "复制到别处" in line and "ingest" in line

"""The store at scale, as a user meets it: kill -9 during an add, a store from an older release, corpus
statistics and rankings that must not change when the store is built incrementally, Chroma as a server.

(The figures at 130,000 clauses come from bench/bench_index.py; these tests check behaviour, not speed.)
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from eval.dataset import load_dataset, squash
from index.loaders import load_document
from index.parser import DEFAULT_MAX_CHARS, parse_document, split_clause
from index.store.bm25 import BM25Store
from index.store.clause_index import ClauseIndex
from index.store.ingest import CRASH_ENV

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "policies"
DATASET = ROOT / "eval" / "datasets" / "policy_qa.jsonl"
PUTUO = "普陀区碳达峰实施方案"

PLAN = """{title}

一、工作目标

到2025年，{place}单位生产总值能耗较2020年下降{cut}%，新增屋顶光伏装机容量{pv}万千瓦。

二、重点任务

（一）能源结构调整

1、推进屋顶光伏建设。在{place}学校、医院和产业园区屋顶建设分布式光伏电站{n}座。（{place}发展改革委）

2、推进充电设施建设。到2025年{place}新建公共充电桩{piles}个。（{place}建管委）
"""
NEW_PLANS = [dict(title=f"{p}节能降碳工作方案", place=p, cut=c, pv=v, n=n, piles=k)
             for p, c, v, n, k in [("甲区", 10, 1.5, 11, 500), ("乙区", 12, 2.5, 22, 600), ("丙区", 14, 3.5, 33, 700)]]


def write_plans(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, p in enumerate(NEW_PLANS, 1):
        path = folder / f"{i}-{p['title']}.txt"
        path.write_text(PLAN.format(**p), encoding="utf-8")
        out.append(path)
    return out


def clone(store: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "store"
    shutil.copytree(store, dst)
    return dst


def ids_by_doc(idx: ClauseIndex) -> dict[str, list[str]]:
    return {m.doc_id: [c.clause_id for c in idx.clauses(m.doc_id)] for m, _ in idx.documents()}


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("scale") / "store"
    ClauseIndex(store, lexical_only=True).ingest([CORPUS])
    return store


@pytest.fixture(scope="module")
def corpus_index(corpus_store: Path) -> ClauseIndex:
    return ClauseIndex(corpus_store, lexical_only=True)


# ---- kill -9 during an add ------------------------------------------------------------------------

INGEST_IN_BATCHES = """
import sys
from index.store.clause_index import ClauseIndex
ClauseIndex(sys.argv[1], lexical_only=True, commit_clauses=1).ingest(sys.argv[2:])
"""


@pytest.mark.parametrize("point, committed_before", [("early:1", 0), ("mid:2", 1), ("commit:3", 2)])
def test_kill_9_during_an_add_keeps_every_document_searchable_and_the_next_ingest_completes(
        corpus_store, corpus_index, tmp_path, point, committed_before):
    """Three plans are added one transaction each; the process is killed (SIGKILL) after reading the first file
    (early, nothing written yet), inside the second transaction (mid), or just before the third commits."""
    store = clone(corpus_store, tmp_path)
    before = ids_by_doc(corpus_index)
    plans = write_plans(tmp_path / "new")
    env = dict(os.environ, **{CRASH_ENV: point}, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-c", INGEST_IN_BATCHES, str(store), *map(str, plans)], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == -signal.SIGKILL, r.stderr

    after_crash = ClauseIndex(store, lexical_only=True)
    assert {d: ids for d, ids in ids_by_doc(after_crash).items() if d in before} == before
    for title in ("嘉定区减污降碳协同增效实施方案", PUTUO, "上海市环境保护条例"):
        assert after_crash.search(f"{title} 目标", 3)[0].clause.doc_title == title
    titles = [m.title for m, _ in after_crash.documents()]
    assert titles[:6] == [m.title for m, _ in corpus_index.documents()]
    assert titles[6:] == [p["title"] for p in NEW_PLANS[:committed_before]]  # whole batches, nothing half-written

    report = ClauseIndex(store, lexical_only=True).ingest(plans)  # the user runs the same ingest again
    assert report.failed == () and report.skipped_unchanged == committed_before
    fresh = ClauseIndex(store, lexical_only=True)
    assert [m.title for m, _ in fresh.documents()][6:] == [p["title"] for p in NEW_PLANS]
    clause_ids = [c.clause_id for c in fresh.clauses()]
    assert len(clause_ids) == len(set(clause_ids)) == sum(n for _, n in fresh.documents())
    for p in NEW_PLANS:  # each plan's piles clause is found once, in its own plan
        hits = fresh.search(f"{p['place']}新建公共充电桩多少个", 10)
        piles = [h for h in hits if f"新建公共充电桩{p['piles']}个" in h.clause.text]
        assert len(piles) == 1 and piles[0].rank == 1 and piles[0].clause.doc_title == p["title"]


# ---- a store written before index.sqlite ------------------------------------------------------------

def write_legacy_store(store: Path) -> dict[str, int]:
    """The previous release's layout: manifest.json, one JSONL clause file per document, a bm25-gN folder."""
    (store / "clauses").mkdir(parents=True)
    (store / "bm25-g1").mkdir()
    (store / "bm25-g1" / "chunks.json").write_text("{}", encoding="utf-8")
    entries, counts = [], {}
    for p in sorted(CORPUS.iterdir()):
        lt = load_document(p)
        doc = parse_document(lt.text, fmt=lt.fmt, path=str(p), content_hash=lt.content_hash)
        name = f"{doc.meta.doc_id}-{doc.meta.content_hash[:12]}-g1.jsonl"
        (store / "clauses" / name).write_text(
            "".join(json.dumps(c.to_record(), ensure_ascii=False) + "\n" for c in doc.clauses), encoding="utf-8")
        entries.append({"meta": doc.meta.to_json(), "file": name})
        counts[doc.meta.title] = len(doc.clauses)
    manifest = {"format": 1, "generation": 1, "bm25": "bm25-g1", "documents": entries}
    (store / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return counts


def test_a_store_from_the_previous_release_is_migrated_with_one_line(tmp_path):
    store = tmp_path / "store"
    counts = write_legacy_store(store)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    r = subprocess.run([sys.executable, "-m", "assistant", "docs", "--json", "--lexical", "--store", str(store)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "迁移" in lines[0] and "372" in lines[0]
    assert {d["title"]: d["clauses"] for d in json.loads(r.stdout)["documents"]} == counts
    assert not (store / "manifest.json").exists() and not (store / "clauses").exists()
    assert not list(store.glob("bm25-g*"))
    idx = ClauseIndex(store, lexical_only=True)
    assert "29.4万千瓦" in idx.search("嘉定区新增光伏装机容量", 1)[0].clause.text
    assert idx.lookup("环境保护条例 第十八条")[0].label == "第十八条"


# ---- corpus statistics and rankings --------------------------------------------------------------

def _probe_terms() -> list[str]:
    """Words of the shipped questions (as the answering layer asks), plus edge cases."""
    from assistant.text import words

    items, _ = load_dataset(DATASET)
    terms = {w for i in items for w in words(i.question) if w.strip()}
    return sorted(terms | {"光", "氢", "龘", "新能源汽车", "不存在的说法", "2025年", "PM2.5", "GDP", "第十八条", "嘉定区"})


def test_corpus_has_and_rarity_answer_as_a_scan_of_every_clause(corpus_index):
    clauses = corpus_index.clauses()
    joined = "\n".join(c.doc_title + " " + c.text for c in clauses)
    n = len(clauses)
    import math

    for term in _probe_terms():
        df = sum(term in c.text for c in clauses)
        assert corpus_index.corpus_has(term) == (term in joined), term
        assert corpus_index.df(term) == df, term
        assert corpus_index.rarity(term) == pytest.approx(math.log((n + 1) / (df + 1)) / math.log(n + 1)), term


def test_names_are_the_same_as_computing_them_from_every_title(corpus_index):
    from index.aliases import abbreviations, doc_aliases, own_place

    metas = [m for m, _ in corpus_index.documents()]
    table: dict[str, list[str]] = {}
    for m in metas:
        for a in doc_aliases(m.title):
            table.setdefault(a, []).append(m.doc_id)
    assert corpus_index.aliases() == set(table)
    for text in ["青浦区和嘉定区的光伏目标", "环保条例第十八条怎么规定", "上海市青浦区碳达峰实施方案里的氢能", "全市新能源车"]:
        rest, expected = text, []
        for alias, ids in sorted(table.items(), key=lambda x: -len(x[0])):
            if alias in rest:
                rest = rest.replace(alias, "□")
                expected.append((alias, sorted(ids)))
        expected += [(s, [d]) for s, d in abbreviations(rest, [(m.doc_id, m.title) for m in metas])]
        assert [(a, sorted(ids)) for a, ids in corpus_index.mentions(text)] == expected, text
    aliases = corpus_index.aliases()
    for text in ["青浦", "青浦区", "上海市青浦区", "青浦区的光伏", "浦区", "区", "徐汇区", "全市", "", "环境保护条例第十八条"]:
        assert corpus_index.alias_overlaps(text) == any(text and (text in a or a in text) for a in aliases), text
    for m in metas:
        shared = [x for x in metas if own_place(x.title) and own_place(x.title) == own_place(m.title)]
        assert corpus_index.short_name(m.doc_id) == (own_place(m.title) if len(shared) == 1 else m.title)
    assert corpus_index.short_names() == {m.doc_id: corpus_index.short_name(m.doc_id) for m in metas}


def _bm25s_ranking(idx: ClauseIndex, query: str, k: int) -> list[str]:
    chunks = [ch for c in idx.clauses() for ch in split_clause(c, DEFAULT_MAX_CHARS)]
    return [cid for cid, _ in BM25Store.build(chunks).search(query, k)]


def test_incremental_adds_replacements_and_removals_rank_like_a_full_rebuild(tmp_path):
    """The SQLite index scores as bm25s over the same chunks (global N, avgdl and df over live chunks),
    however the store got there: documents added one by one, one replaced, one removed."""
    from index.synonyms import expand

    store = tmp_path / "store"
    idx = ClauseIndex(store, lexical_only=True)
    for p in sorted(CORPUS.iterdir()):
        idx.ingest([p])
    edited = tmp_path / "edit" / f"{PUTUO}.txt"
    edited.parent.mkdir()
    edited.write_text((CORPUS / f"{PUTUO}.txt").read_text(encoding="utf-8").replace("2.2万千瓦", "3.6万千瓦"),
                      encoding="utf-8")
    idx.ingest([edited])
    idx.ingest(write_plans(tmp_path / "new"))
    idx.remove(NEW_PLANS[1]["title"])
    items, _ = load_dataset(DATASET)
    view = idx._current()
    with idx.db.read() as conn:
        lex = idx._lexical(conn, view)
        owner = {r: cid for r, cid in conn.execute("SELECT k.row, k.chunk_id FROM chunks k")}
        checked = 0
        for item in items[::4]:
            q = expand(item.question)
            ours = [owner[r] for r, _ in lex.search(conn, q, 10)]
            assert ours == _bm25s_ranking(idx, q, 10), item.question
            checked += 1
    assert checked >= 40


def test_a_long_running_process_answers_like_a_fresh_one(corpus_store, monkeypatch):
    """Caches that fill up (postings of many different questions) are emptied without changing a result."""
    from index.store import lexical

    items, _ = load_dataset(DATASET)
    questions = [i.question for i in items[:60]]
    expected = [[h.clause.clause_id for h in ClauseIndex(corpus_store, lexical_only=True).search(q, 5)] for q in questions]
    monkeypatch.setattr(lexical, "POSTINGS_CACHE_TERMS", 40)
    idx = ClauseIndex(corpus_store, lexical_only=True)
    for _ in range(2):
        assert [[h.clause.clause_id for h in idx.search(q, 5)] for q in questions] == expected


def test_asking_many_questions_derives_document_names_once(corpus_store, monkeypatch):
    """What a question needs of the corpus (aliases, places, short names) is built once per generation:
    the cost of a question doesn't grow with the number of documents."""
    import index.store.names as names

    calls = []
    real = names.aliases_of
    monkeypatch.setattr(names, "aliases_of", lambda t: calls.append(t) or real(t))
    from assistant.service import Assistant

    a = Assistant(store=corpus_store, retrieval="lexical")
    items, _ = load_dataset(DATASET)
    for item in items[:10]:
        a.ask(item.question)
    assert calls == []  # stored with each document when it was committed


# ---- Chroma server ----------------------------------------------------------------------------------

def test_hybrid_search_through_a_chroma_server(chroma_server, bge_skeleton, tmp_path):
    plans = write_plans(tmp_path / "new")
    idx = ClauseIndex(tmp_path / "store", embed_model=str(bge_skeleton), chroma_url=chroma_server)
    report = idx.ingest(plans)
    assert report.failed == ()
    assert idx.mode().dense is True and not (tmp_path / "store" / "chroma").exists()
    hits = idx.search("甲区新建公共充电桩多少个", 5)
    assert all(h.dense_rank is not None for h in hits)
    assert any("新建公共充电桩500个" in h.clause.text for h in hits)
    assert idx.dense_count() == sum(len(split_clause(c, DEFAULT_MAX_CHARS)) for c in idx.clauses())


def test_chroma_server_down_answers_lexically_after_one_line(dead_chroma_url, bge_skeleton, tmp_path, caplog):
    plans = write_plans(tmp_path / "new")
    idx = ClauseIndex(tmp_path / "store", embed_model=str(bge_skeleton), chroma_url=dead_chroma_url)
    report = idx.ingest(plans)  # clauses are committed and keyword-searchable without Chroma
    assert report.failed == () and report.documents == 3
    mode = idx.mode()
    assert mode.dense is False and dead_chroma_url in mode.reason and "\n" not in mode.reason
    hits = idx.search("乙区新建公共充电桩多少个", 3)
    assert "新建公共充电桩600个" in hits[0].clause.text and hits[0].dense_rank is None
    warnings = [r for r in caplog.records if r.levelname == "WARNING" and dead_chroma_url in r.getMessage()]
    assert len(warnings) == 1
    with sqlite3.connect(tmp_path / "store" / "index.sqlite") as conn:  # vectors are owed, not forgotten
        assert conn.execute("SELECT COUNT(*) FROM embedded").fetchone()[0] == 0

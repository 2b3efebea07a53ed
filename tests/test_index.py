"""The clause index end to end: ingest, re-ingest, change, remove, bad input, crash safety, search, dense path.

Lexical-only stores are built once per module from the shipped corpus; tests that write copy the store
first. The dense tests use the random-weight bge-small-zh skeleton with real FlagEmbedding and a real
on-disk Chroma. Kill -9 crashes, legacy-store migration and corpus statistics are in tests/test_store_scale.py.
"""
from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from eval.dataset import load_dataset, squash
from index.store import dense, lexical
from index.store.chroma_store import ChromaStore
from index.store.clause_index import ClauseIndex, UnknownDocument
from index.loaders import (
    REASON_BAD_DOCX, REASON_BAD_PDF, REASON_BINARY, REASON_EMPTY, REASON_MISSING, load_document, unsupported_reason,
)
from index.markers import int_to_cn
from index.parser import DEFAULT_MAX_CHARS, parse_document, split_clause

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "policies"
FIXTURES = ROOT / "tests" / "fixtures"
DATASET = ROOT / "eval" / "datasets" / "policy_qa.jsonl"
PUTUO = "普陀区碳达峰实施方案"
PUTUO_TXT = CORPUS / f"{PUTUO}.txt"
STATUTE = "上海市环境保护条例"
HUB_MODEL = "BAAI/bge-small-zh-v1.5"
CLAUSE_KEYS = ["clause_id", "doc_id", "doc_title", "doc_number", "label", "path", "text", "units", "citation"]

# 普陀 二（一）1 states the solar target; the changed-file tests edit it and add an item after 二（一）2.
OLD_TARGET, NEW_TARGET = "新增光伏装机容量达到2.2万千瓦", "新增光伏装机容量达到3.6万千瓦"
NEW_ITEM = "3、推进氢能示范应用。在桃浦智创城建设一座示范加氢站，到2025年累计推广燃料电池汽车120辆。（区发展改革委）"
NEXT_SECTION = "（二）产业低碳升级行动"

SMALL_PLAN = """测试区节能降碳工作方案

一、工作目标

到2025年，全区单位生产总值能耗较2020年下降10%，新增屋顶光伏装机容量1.5万千瓦。

二、重点任务

（一）能源结构调整

1、推进屋顶光伏建设。在学校、医院和产业园区屋顶建设分布式光伏电站。（区发展改革委）

2、推进充电设施建设。到2025年新建公共充电桩500个。（区建管委）

（二）建筑节能改造

1、实施公共建筑节能改造。到2025年完成既有公共建筑节能改造20万平方米。（区住建委）
"""

PLAIN_PARAGRAPHS = """社区垃圾分类宣传安排

各社区应当在显著位置张贴垃圾分类指引，方便居民查看。

街道办事处每月组织一次志愿者巡查，记录发现的问题并及时反馈。

居委会负责收集居民意见，每季度汇总后报送街道。
"""


# ---- helpers ---------------------------------------------------------------------------------


def parse_file(path: Path):
    lt = load_document(path)
    return parse_document(lt.text, fmt=lt.fmt, path=str(path), content_hash=lt.content_hash)


def clone(store: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "store"
    shutil.copytree(store, dst)
    return dst


def db_rows(store: Path, sql: str, *args) -> list[tuple]:
    """Rows of the committed store, read through a connection of its own (as another process would)."""
    with sqlite3.connect(store / "index.sqlite") as conn:
        return conn.execute(sql, args).fetchall()


def generation(store: Path) -> int:
    return int(db_rows(store, "SELECT value FROM meta WHERE key = 'generation'")[0][0])


def committed(store: Path) -> tuple:
    """Everything a reader can see: generation, documents, clause rows."""
    return (generation(store), db_rows(store, "SELECT seq, doc_id, meta FROM documents ORDER BY seq"),
            db_rows(store, "SELECT row, clause_id, record FROM clauses ORDER BY row"))


def ids_by_doc(idx: ClauseIndex) -> dict[str, list[str]]:
    return {m.doc_id: [c.clause_id for c in idx.clauses(m.doc_id)] for m, _ in idx.documents()}


def edited_putuo(folder: Path) -> Path:
    """普陀's plan with the solar target changed and a new numbered item, under its own file name."""
    text = PUTUO_TXT.read_text(encoding="utf-8")
    assert OLD_TARGET in text and NEXT_SECTION in text
    text = text.replace(OLD_TARGET, NEW_TARGET).replace(NEXT_SECTION, NEW_ITEM + "\n\n" + NEXT_SECTION, 1)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PUTUO_TXT.name
    path.write_text(text, encoding="utf-8")
    return path


def texts_found(idx: ClauseIndex, query: str, k: int = 50) -> list[str]:
    return [h.clause.text for h in idx.search(query, k)]


def probe_queries(idx: ClauseIndex) -> dict[str, str]:
    """One distinctive query per document: the opening of its middle clause → that clause's id."""
    out = {}
    for meta, _ in idx.documents():
        cs = idx.clauses(meta.doc_id)
        c = cs[len(cs) // 2]
        out[squash(c.text)[:40]] = c.clause_id
    return out


def assert_probes_hit(idx: ClauseIndex, probes: dict[str, str]) -> None:
    for query, clause_id in probes.items():
        hits = idx.search(query, 3)
        assert hits and hits[0].clause.clause_id == clause_id, query


def chunk_ids(clauses) -> set[str]:
    return {ch.chunk_id for c in clauses for ch in split_clause(c, DEFAULT_MAX_CHARS)}


def chroma_ids(store: Path) -> set[str]:
    """Every vector id in every collection of the store's Chroma database, read through a new client."""
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(path=str(store / "chroma"), settings=Settings(anonymized_telemetry=False))
    ids: set[str] = set()
    for col in client.list_collections():
        col = client.get_collection(col if isinstance(col, str) else col.name)
        ids.update(col.get(include=[])["ids"])
    return ids


def committed_clauses(store: Path):
    return ClauseIndex(store, lexical_only=True).clauses()


# ---- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory: pytest.TempPathFactory):
    """The shipped corpus ingested once, lexical-only; tests must not write to it (clone it instead)."""
    store = tmp_path_factory.mktemp("corpus") / "store"
    report = ClauseIndex(store, lexical_only=True).ingest([CORPUS])
    return store, report


@pytest.fixture(scope="module")
def corpus_index(corpus_store) -> ClauseIndex:
    return ClauseIndex(corpus_store[0], lexical_only=True)


@pytest.fixture(scope="module")
def base_ids(corpus_index) -> dict[str, list[str]]:
    return ids_by_doc(corpus_index)


# ---- 1. ingest -------------------------------------------------------------------------------


def test_ingest_corpus_indexes_every_document_with_parser_clause_counts(corpus_store, corpus_index):
    store, report = corpus_store
    parsed = {p.name: parse_file(p) for p in sorted(CORPUS.iterdir())}
    expected = {d.meta.doc_id: (d.meta.title, len(d.clauses)) for d in parsed.values()}
    assert len(expected) == 6
    assert (report.documents, report.clauses, report.skipped_unchanged, report.failed) == (
        6, sum(n for _, n in expected.values()), 0, ())
    assert {m.doc_id: (m.title, n) for m, n in corpus_index.documents()} == expected
    assert generation(store) == 1


def test_statute_clauses_come_in_document_order(corpus_index):
    clauses = corpus_index.clauses(STATUTE)
    assert len(clauses) == 92
    assert [c.label for c in clauses] == ["题注"] + [f"第{int_to_cn(n)}条" for n in range(1, 92)]
    assert clauses[18].text.startswith("第十八条")
    assert clauses[18].citation == f"《{STATUTE}》第十八条"


def test_clause_json_has_exactly_the_public_fields(corpus_index):
    c = corpus_index.clauses(PUTUO)[5]
    d = c.to_json()
    assert list(d) == CLAUSE_KEYS
    assert json.loads(json.dumps(d, ensure_ascii=False)) == d
    assert isinstance(d["path"], list) and isinstance(d["units"], list)
    assert d["doc_title"] == PUTUO and d["doc_number"] == "普府〔2023〕24号"


# ---- 2. re-ingest ----------------------------------------------------------------------------


def test_reingesting_unchanged_files_writes_nothing(corpus_store):
    store, _ = corpus_store
    before = committed(store)
    report = ClauseIndex(store, lexical_only=True).ingest([CORPUS])
    assert (report.documents, report.clauses, report.skipped_unchanged, report.failed) == (0, 0, 6, ())
    assert committed(store) == before
    assert generation(store) == 1


# ---- 3. changed file -------------------------------------------------------------------------


def test_changed_file_replaces_only_its_own_clauses(corpus_store, base_ids, tmp_path):
    store = clone(corpus_store[0], tmp_path)
    copy = tmp_path / "docs" / PUTUO_TXT.name
    copy.parent.mkdir()
    shutil.copy(PUTUO_TXT, copy)
    idx = ClauseIndex(store, lexical_only=True)
    first = idx.ingest([copy])  # byte-identical to the indexed corpus file: nothing to do
    assert (first.documents, first.skipped_unchanged) == (0, 1)
    assert ids_by_doc(idx) == base_ids

    edited_putuo(copy.parent)
    report = idx.ingest([copy])
    assert (report.documents, report.clauses, report.skipped_unchanged, report.failed) == (1, 48, 0, ())

    fresh = ClauseIndex(store, lexical_only=True)  # what is on disk, not what the writer holds in memory
    after = ids_by_doc(fresh)
    putuo_id = fresh.resolve_doc(PUTUO).doc_id
    assert {d: ids for d, ids in after.items() if d != putuo_id} == {d: ids for d, ids in base_ids.items() if d != putuo_id}
    removed, added = set(base_ids[putuo_id]) - set(after[putuo_id]), set(after[putuo_id]) - set(base_ids[putuo_id])
    assert len(removed) == 1 and len(added) == 2  # 二（一）1 changed, 二（一）3 is new; the other 46 keep their ids
    labels = [c.label for c in fresh.clauses(PUTUO)]
    assert labels.index("二（一）3") == labels.index("二（一）2") + 1

    hits = fresh.search("普陀区“十四五”期间新增光伏装机容量目标", 5)
    assert any(NEW_TARGET in h.clause.text for h in hits)
    assert not any("2.2万千瓦" in t for t in texts_found(fresh, "普陀区 光伏装机容量 2.2万千瓦"))
    assert not any("2.2万千瓦" in c.text for c in fresh.clauses())
    top = fresh.search("桃浦智创城示范加氢站和燃料电池汽车推广", 3)[0].clause
    assert (top.label, top.text) == ("二（一）3", NEW_ITEM)


# ---- 4. remove -------------------------------------------------------------------------------


def test_remove_deletes_document_everywhere_and_keeps_others(corpus_store, corpus_index, base_ids, tmp_path):
    store = clone(corpus_store[0], tmp_path)
    probes = {q: c for q, c in probe_queries(corpus_index).items() if not c.startswith(corpus_index.resolve_doc(PUTUO).doc_id)}
    idx = ClauseIndex(store, lexical_only=True)
    meta = idx.remove(PUTUO)
    assert meta.title == PUTUO

    fresh = ClauseIndex(store, lexical_only=True)
    assert [m.title for m, _ in fresh.documents()] == [m.title for m, _ in corpus_index.documents() if m.title != PUTUO]
    with pytest.raises(UnknownDocument):
        fresh.clauses(PUTUO)
    assert all(c.doc_id != meta.doc_id for c in fresh.clauses())
    assert not any(h.clause.doc_id == meta.doc_id for h in fresh.search("普陀区到2025年能耗下降目标是多少", 50))
    assert not db_rows(store, "SELECT 1 FROM clauses WHERE clause_id LIKE ?", meta.doc_id + "%")
    assert not db_rows(store, "SELECT 1 FROM documents WHERE doc_id = ?", meta.doc_id)
    assert ids_by_doc(fresh) == {d: ids for d, ids in base_ids.items() if d != meta.doc_id}
    assert_probes_hit(fresh, probes)


def test_removing_unknown_document_changes_nothing(corpus_store, base_ids, tmp_path):
    store = clone(corpus_store[0], tmp_path)
    before = committed(store)
    idx = ClauseIndex(store, lexical_only=True)
    with pytest.raises(UnknownDocument) as info:
        idx.remove("不存在的文件")
    assert "不存在的文件" in str(info.value) and "找不到文件" in str(info.value)
    assert committed(store) == before
    assert ids_by_doc(ClauseIndex(store, lexical_only=True)) == base_ids


# ---- 5. bad input ----------------------------------------------------------------------------


def test_bad_files_fail_one_by_one_and_good_files_still_ingest(corpus_store, corpus_index, base_ids, tmp_path):
    store = clone(corpus_store[0], tmp_path)
    probes = probe_queries(corpus_index)
    d = tmp_path / "in"
    d.mkdir()
    good = d / "测试区节能降碳工作方案.txt"
    good.write_text(SMALL_PLAN, encoding="utf-8")
    plain = d / "社区垃圾分类宣传安排.txt"
    plain.write_text(PLAIN_PARAGRAPHS, encoding="utf-8")
    (d / "empty.txt").write_bytes(b"")
    (d / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (d / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n" + bytes(range(256)))
    (d / "broken.docx").write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    (d / "table.xlsx").write_bytes(b"PK\x03\x04 spreadsheet")
    bad = {
        d / "missing.txt": REASON_MISSING,
        d / "table.xlsx": unsupported_reason(".xlsx"),
        d / "empty.txt": REASON_EMPTY,
        d / "image.txt": REASON_BINARY,
        d / "broken.pdf": REASON_BAD_PDF,
        d / "broken.docx": REASON_BAD_DOCX,
    }
    report = ClauseIndex(store, lexical_only=True).ingest([*bad, good, plain])

    assert {f.path: f.error for f in report.failed} == {str(p): r for p, r in bad.items()}
    assert report.documents == 2 and report.skipped_unchanged == 0
    assert [w for w in report.warnings if str(plain) in w and "未识别到条款编号" in w]
    assert not [w for w in report.warnings if str(good) in w]

    fresh = ClauseIndex(store, lexical_only=True)
    assert len(fresh.documents()) == 8
    assert [c.label for c in fresh.clauses("测试区节能降碳工作方案")] == ["一", "二（一）1", "二（一）2", "二（二）1"]
    paragraphs = fresh.clauses(plain.stem)
    assert [c.label for c in paragraphs] == ["第1段", "第2段", "第3段", "第4段"]
    assert fresh.search("志愿者巡查记录问题", 1)[0].clause.clause_id == paragraphs[2].clause_id
    assert {k: v for k, v in ids_by_doc(fresh).items() if k in base_ids} == base_ids
    assert_probes_hit(fresh, probes)


# ---- 6. crash safety -------------------------------------------------------------------------


class DiskFull(OSError):
    pass


def _fail(*_a, **_k):
    raise DiskFull("磁盘已满（模拟）")


@pytest.mark.parametrize("where", ["postings", "merge"])
def test_crash_mid_ingest_keeps_the_previous_index(corpus_store, base_ids, tmp_path, monkeypatch, where):
    store = clone(corpus_store[0], tmp_path)
    before = committed(store)
    changed = edited_putuo(tmp_path / "docs")
    extra = tmp_path / "docs" / "测试区节能降碳工作方案.txt"
    extra.write_text(SMALL_PLAN, encoding="utf-8")
    idx = ClauseIndex(store, lexical_only=True)
    with monkeypatch.context() as mp:
        if where == "postings":
            mp.setattr(lexical.SEGMENTS, "add", _fail)
        else:
            mp.setattr("index.store.ingest.merge_segments", _fail)
        with pytest.raises(DiskFull):
            idx.ingest([changed, extra])

    assert committed(store) == before
    for reader in (idx, ClauseIndex(store, lexical_only=True)):  # the writer itself, and a new process
        assert ids_by_doc(reader) == base_ids
        assert any(OLD_TARGET in t for t in texts_found(reader, "普陀区“十四五”期间新增光伏装机容量目标", 5))
        with pytest.raises(UnknownDocument):
            reader.clauses("测试区节能降碳工作方案")

    retry = ClauseIndex(store, lexical_only=True).ingest([changed, extra])  # the user simply runs ingest again
    assert (retry.documents, retry.failed) == (2, ())
    fresh = ClauseIndex(store, lexical_only=True)
    assert any(NEW_TARGET in t for t in texts_found(fresh, "普陀区“十四五”期间新增光伏装机容量目标", 5))
    assert len(fresh.documents()) == 7


# ---- 7. search -------------------------------------------------------------------------------


def test_doc_filter_restricts_results(corpus_index):
    everywhere = corpus_index.search("新增光伏装机容量", 10)
    assert len({h.clause.doc_id for h in everywhere}) > 1
    only = corpus_index.search("新增光伏装机容量", 10, doc="松江区碳达峰实施方案")
    assert only and all(h.clause.doc_title == "松江区碳达峰实施方案" for h in only)
    assert [h.rank for h in only] == list(range(1, len(only) + 1))


@pytest.mark.parametrize("question, title, fact", [
    ("普陀区到2025年能耗下降目标是多少", PUTUO, "13.5%"),
    ("嘉定区到2025年新增光伏装机目标是多少", "嘉定区减污降碳协同增效实施方案", "29.4万千瓦"),
])
def test_question_naming_a_district_ranks_its_clause_first(corpus_index, question, title, fact):
    top = corpus_index.search(question, 5)[0].clause
    assert top.doc_title == title
    assert fact in squash(top.text)


def _bigrams(s: str) -> set[str]:
    s = re.sub(r"[^\u4e00-\u9fff0-9A-Za-z.%]", "", s)
    return {s[i:i + 2] for i in range(len(s) - 1)}


def _wording_overlap(question: str, evidence: tuple[str, ...]) -> float:
    """Share of an evidence snippet's character bigrams that the question repeats (the most for any snippet)."""
    q = _bigrams(question)
    return max(len(q & _bigrams(e)) / max(1, len(_bigrams(e))) for e in evidence)


PARAPHRASED_QUESTIONS = 40


def test_paraphrased_questions_reach_top5_hit_rate(corpus_index):
    items, errors = load_dataset(DATASET)
    assert not errors
    eligible = [i for i in items if i.category != "out_of_scope" and not i.history]
    eligible.sort(key=lambda i: (_wording_overlap(i.question, i.evidence), i.id))
    chosen = eligible[:PARAPHRASED_QUESTIONS]
    assert len(chosen) >= 30
    misses = []
    for item in chosen:
        texts = [squash(h.clause.text) for h in corpus_index.search(item.question, 5)]
        if not any(squash(e) in t for e in item.evidence for t in texts):
            misses.append(f"{item.id} {item.question}")
    rate = 1 - len(misses) / len(chosen)
    worst = _wording_overlap(chosen[-1].question, chosen[-1].evidence)
    print(f"\nlexical top-5 hit rate on {len(chosen)} least-overlapping questions "
          f"(bigram overlap ≤ {worst:.2f}): {rate:.3f}; misses: {misses}")
    assert rate >= 0.90, misses


# ---- 8. dense path ---------------------------------------------------------------------------


def test_unavailable_model_falls_back_to_lexical_with_one_line_reason(corpus_store):
    idx = ClauseIndex(corpus_store[0], embed_model=HUB_MODEL)
    mode = idx.mode()
    assert mode.dense is False and mode.to_json()["mode"] == "lexical"
    assert HUB_MODEL in mode.reason and "\n" not in mode.reason
    hits = idx.search("普陀区到2025年能耗下降目标是多少", 5)
    assert hits[0].clause.doc_title == PUTUO
    assert all(h.dense_rank is None and h.lexical_rank is not None for h in hits)
    assert not (corpus_store[0] / "chroma").exists()


@pytest.fixture(scope="module")
def dense_store(tmp_path_factory: pytest.TempPathFactory, bge_skeleton: Path):
    """The opening of 普陀's plan (through 二（二）, real text) and a small plan, embedded once with the bge skeleton.

    Not the whole corpus: embedding its ~430 chunks with bge-small on a 2-core CPU takes over two minutes.
    """
    root = tmp_path_factory.mktemp("dense")
    docs = root / "docs"
    docs.mkdir()
    text = PUTUO_TXT.read_text(encoding="utf-8")
    (docs / PUTUO_TXT.name).write_text(text[: text.index("（三）城区建设碳达峰行动")], encoding="utf-8")
    (docs / "测试区节能降碳工作方案.txt").write_text(SMALL_PLAN, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:  # module fixtures run outside conftest's per-test isolation
        mp.setenv("HF_HOME", str(root / "hf_home"))
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        mp.delenv("HF_ENDPOINT", raising=False)
        mp.delenv("HF_HUB_CACHE", raising=False)
        idx = ClauseIndex(root / "store", embed_model=str(bge_skeleton))
        report = idx.ingest([docs])
    assert (report.documents, report.failed) == (2, ())
    return root / "store"


@pytest.mark.slow
def test_dense_ingest_stores_one_vector_per_chunk(dense_store, bge_skeleton):
    idx = ClauseIndex(dense_store, embed_model=str(bge_skeleton))
    mode = idx.mode()
    assert mode.dense is True and mode.reason is None and mode.to_json()["mode"] == "hybrid"
    expected = chunk_ids(committed_clauses(dense_store))
    assert len(expected) > len(idx.clauses())  # some long clauses are split into parts
    assert chroma_ids(dense_store) == expected


@pytest.mark.slow
def test_reopened_dense_index_searches_with_vectors(dense_store, bge_skeleton):
    idx = ClauseIndex(dense_store, embed_model=str(bge_skeleton))
    assert idx.mode().dense is True
    hits = idx.search("普陀区到2025年能耗下降目标是多少", 5)
    # Random weights: dense ranks are arbitrary, but every hit must have come through the vector store too.
    assert len(hits) == 5 and all(h.dense_rank is not None for h in hits)
    assert any("13.5%" in h.clause.text for h in idx.search("单位生产总值能源消耗下降13.5%", 10))
    only = idx.search("光伏", 5, doc="测试区节能降碳工作方案")
    assert only and all(h.clause.doc_title == "测试区节能降碳工作方案" for h in only)


@pytest.mark.slow
def test_dense_vectors_follow_changes_and_removal(dense_store, bge_skeleton, tmp_path):
    idx = ClauseIndex(dense_store, embed_model=str(bge_skeleton))
    putuo = set(chunk_ids(idx.clauses(PUTUO)))
    plan = tmp_path / "社区节能工作方案.txt"
    plan.write_text(SMALL_PLAN.replace("测试区节能降碳工作方案", "社区节能工作方案"), encoding="utf-8")
    idx.ingest([plan])
    first = set(chunk_ids(idx.clauses("社区节能工作方案")))
    assert chroma_ids(dense_store) == chunk_ids(committed_clauses(dense_store))
    assert first <= chroma_ids(dense_store)

    plan.write_text(plan.read_text(encoding="utf-8").replace("新建公共充电桩500个", "新建公共充电桩800个"), encoding="utf-8")
    report = idx.ingest([plan])
    assert report.documents == 1
    second = set(chunk_ids(idx.clauses("社区节能工作方案")))
    assert len(first - second) == 1 and len(second - first) == 1
    assert chroma_ids(dense_store) == chunk_ids(committed_clauses(dense_store))
    hits = idx.search("新建公共充电桩数量", 10, doc="社区节能工作方案")
    assert any("800个" in h.clause.text for h in hits) and not any("500个" in h.clause.text for h in hits)

    idx.remove("社区节能工作方案")
    assert not (second & chroma_ids(dense_store))
    assert putuo <= chroma_ids(dense_store)
    assert chroma_ids(dense_store) == chunk_ids(committed_clauses(dense_store))


@pytest.mark.slow
def test_interrupted_dense_ingest_resumes_where_it_stopped(dense_store, bge_skeleton, tmp_path, monkeypatch):
    store = clone(dense_store, tmp_path)
    plan = tmp_path / "续传测试方案.txt"
    plan.write_text(SMALL_PLAN.replace("测试区节能降碳工作方案", "续传测试方案"), encoding="utf-8")
    encoded: list[int] = []
    real_upsert = ChromaStore.upsert

    def upsert(self, chunks, clauses, vectors):
        if encoded:
            raise KeyboardInterrupt  # the user pressed Ctrl-C during the second slice
        encoded.append(len(chunks))
        real_upsert(self, chunks, clauses, vectors)

    with monkeypatch.context() as mp:
        mp.setattr(ChromaStore, "upsert", upsert)
        mp.setattr(dense, "EMBED_SLICE", 2)
        with pytest.raises(KeyboardInterrupt):
            ClauseIndex(store, embed_model=str(bge_skeleton)).ingest([plan])
    assert encoded == [2]
    fresh = ClauseIndex(store, embed_model=str(bge_skeleton))
    new = chunk_ids(fresh.clauses("续传测试方案"))
    assert fresh.search("推进充电设施建设", 3, doc="续传测试方案")  # searchable by keyword at once
    assert len(new & chroma_ids(store)) == 2
    assert fresh.sync_dense() == len(new) - 2  # only what is missing is embedded
    assert chroma_ids(store) == chunk_ids(committed_clauses(store))


@pytest.mark.slow
def test_sync_dense_embeds_what_was_indexed_without_the_model(bge_skeleton, tmp_path):
    plan = tmp_path / "测试区节能降碳工作方案.txt"
    plan.write_text(SMALL_PLAN, encoding="utf-8")
    store = tmp_path / "store"
    ClauseIndex(store, lexical_only=True).ingest([plan])
    assert not (store / "chroma").exists()
    idx = ClauseIndex(store, embed_model=str(bge_skeleton))
    expected = chunk_ids(idx.clauses())
    assert idx.sync_dense() == len(expected)
    assert chroma_ids(store) == expected
    assert all(h.dense_rank is not None for h in idx.search("公共充电桩", 3))


# ---- 9. one document, several formats --------------------------------------------------------


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_docx_or_pdf_of_an_indexed_plan_replaces_it(corpus_store, corpus_index, base_ids, tmp_path, fmt):
    store = clone(corpus_store[0], tmp_path)
    before = corpus_index.clauses(PUTUO)
    idx = ClauseIndex(store, lexical_only=True)
    report = idx.ingest([FIXTURES / f"{PUTUO}.{fmt}"])
    assert (report.documents, report.failed) == (1, ())
    assert [w for w in report.warnings if "同一文件" in w and PUTUO_TXT.name in w]

    fresh = ClauseIndex(store, lexical_only=True)
    docs = [(m, n) for m, n in fresh.documents() if m.title == PUTUO]
    assert len(fresh.documents()) == 6 and len(docs) == 1
    meta, n = docs[0]
    assert (meta.doc_id, meta.fmt, n) == (before[0].doc_id, fmt, len(before))
    assert [c.label for c in fresh.clauses(PUTUO)] == [c.label for c in before]
    assert fresh.search("普陀区到2025年能耗下降目标是多少", 5)[0].clause.doc_title == PUTUO
    assert {k: v for k, v in ids_by_doc(fresh).items() if k != meta.doc_id} == \
           {k: v for k, v in base_ids.items() if k != meta.doc_id}

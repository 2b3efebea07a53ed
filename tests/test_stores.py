"""The index stores: bge embedder (offline loading), Chroma on disk and as a server, BM25 over jieba tokens, RRF."""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from index.store.bm25 import BM25Store
from index.store.tokens import tokenize
from index.store.chroma_store import ChromaStore, collection_name
from index.store.embedder import BGE_ZH_QUERY_INSTRUCTION, ModelUnavailable, load_embedder, load_reranker
from index.store.fusion import rrf
from index.models import Chunk, Clause

# Verbatim paragraphs from data/policies (whitespace removed from the PDF-extracted ones).
JD = ("嘉定区减污降碳协同增效实施方案", "嘉府发〔2023〕27号")
SJ = ("松江区碳达峰实施方案", None)
PT = ("普陀区碳达峰实施方案", "普府〔2023〕24号")
LAW = ("上海市环境保护条例", None)
TEXTS = {
    "jd-bus": (JD, ("二、强化大气污染防治与碳减排协同增效", "2.加快道路交通能源结构转型"),
               "积极支持新能源汽车发展。持续鼓励社会乘用车领域电动化推广，到2025年，个人新增购置车辆中纯电动汽车占比超过50%。"
               "公交车、巡游出租车新增或更新车辆原则上全部使用新能源汽车，党政机关、国有企事业单位、环卫、邮政等公共领域，"
               "以及市内包车有适配车型的，新增或更新车辆原则上全部使用纯电动汽车或燃料电池汽车，到2025年，新能源和清洁能源公交车比例达到96%。"),
    "sj-vehicles": (SJ, ("三、重点任务", "（五）交通运输绿色低碳行动"),
                    "加大传统燃料油车辆低碳替代力度，公交车、巡游车、出租车新增或更新车辆原则上全部使用新能源汽车，党政机关、国有企事业单位、"
                    "环卫、邮政等公共领域新增或更新车辆原则上全部使用纯电动车或燃料电池汽车。到 2035 年，小客车纯电动车辆占比超过 40%。"),
    "sj-charging": (SJ, ("三、重点任务", "（五）交通运输绿色低碳行动"),
                    "加快推进充电桩、配套电网、加注（气）站、加氢站和充电等配套节能基础设施建设。新建住宅小区配建充电桩按行业要求执行，"
                    "既有小区以“一桩多车”共享为原则。到 2025 年，大于 20 个停车泊位的正式公交场站实现专用充电设施全覆盖。"),
    "pt-pv": (PT, ("二、重点任务", "（一）能源低碳绿色转型行动"),
              "1、大力发展光伏项目。大力推进光伏规模化开发和高质量发展，力争“十四五”期间新增光伏装机容量达到2.2万千瓦。"
              "充分利用园区、市政设施、公共机构、住宅等土地和场址资源，实施一批“光伏+”工程。"),
    "law-33": (LAW, ("第四章 环境监督管理",),
               "第三十三条 本市依法实施排污许可制度。固定污染源单位应当按照国家和本市的规定，向市或者区环保部门申请排污许可证。"),
    "law-45": (LAW, ("第四章 环境监督管理",),
               "第四十五条 本市探索建立环境污染责任保险制度，鼓励石油、化工、钢铁、电力、冶金等相关企业投保环境污染责任险。"),
    "law-57": (LAW, ("第五章 防治环境污染",),
               "第五十七条 本市严格控制建筑物外墙采用反光材料。建筑物外墙采用反光材料的，应当符合国家和本市有关标准；"
               "环保部门应当组织光反射环境影响论证，住房城乡建设行政管理部门应当加强对建筑物外墙采用反光材料建设的监督管理。"),
}


def _doc_id(title: str) -> str:
    return "d-" + title


def make_clauses() -> dict[str, Clause]:
    out = {}
    for order, (cid, ((title, number), path, text)) in enumerate(TEXTS.items()):
        out[cid] = Clause(
            clause_id=cid, doc_id=_doc_id(title), doc_title=title, doc_number=number, label=cid, path=path,
            text=text, units=("区交通委", "区发展改革委"), citation=f"《{title}》{cid}", order=order,
        )
    return out


def make_chunks(clauses: dict[str, Clause]) -> list[Chunk]:
    chunks = []
    for c in clauses.values():
        if c.clause_id == "jd-bus":  # a long clause split in two parts, as the chunker does
            half = len(c.text) // 2
            for p, part in enumerate((c.text[:half], c.text[half:])):
                chunks.append(Chunk(f"{c.clause_id}#p{p}", c.clause_id, p, 2, part, c.header() + "\n" + part))
        else:
            chunks.append(Chunk(c.clause_id, c.clause_id, 0, 1, c.text, c.header() + "\n" + c.text))
    return chunks


# ---------------------------------------------------------------- embedder


@pytest.fixture(scope="module")
def skeleton_embedder(bge_skeleton: Path):
    return load_embedder(str(bge_skeleton))


def test_embedder_loads_local_folder_through_flagembedding(skeleton_embedder, bge_skeleton: Path):
    from index.store.flag_compat import flag_embedding

    FlagModel = flag_embedding().FlagModel

    emb = skeleton_embedder
    assert isinstance(emb._model, FlagModel)
    assert emb.dim == 512 and emb.name == str(bge_skeleton)
    texts = [t for _, _, t in TEXTS.values()]
    a = emb.encode_corpus(texts)
    assert a.dtype == np.float32 and a.shape == (len(texts), 512)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    # Deterministic: same model, same text, same vector; different texts, different vectors.
    np.testing.assert_array_equal(a, emb.encode_corpus(texts))
    assert np.abs(a[0] - a[1]).max() > 1e-4
    # A second load of the same folder gives the same vectors (weights come from disk, not re-initialised).
    np.testing.assert_allclose(load_embedder(str(bge_skeleton)).encode_corpus(texts[:2]), a[:2], atol=1e-6)
    assert emb.encode_corpus([]).shape == (0, 512)
    with pytest.raises(TypeError):
        emb.encode_corpus(texts[0])


def test_queries_get_the_bge_zh_instruction_and_passages_do_not(skeleton_embedder):
    emb = skeleton_embedder
    q_text = "嘉定区电动公交车占比要达到多少"
    q = emb.encode_queries([q_text])
    plain = emb.encode_corpus([q_text])
    assert q.shape == (1, 512)
    assert np.abs(q - plain).max() > 1e-4  # the instruction changed the query vector
    np.testing.assert_allclose(q, emb.encode_corpus([BGE_ZH_QUERY_INSTRUCTION + q_text]), atol=1e-5)


def test_single_query_path_matches_flagembedding_in_one_forward_pass(skeleton_embedder, monkeypatch):
    """Search queries skip FlagEmbedding's trial pass; the vectors must be exactly FlagModel.encode_queries'."""
    emb = skeleton_embedder
    queries = ["嘉定区电动公交车占比要达到多少", "排污许可证向谁申请？", "VOCs 和 PM2.5 协同治理"]
    raw = emb._model.encode_queries(queries, batch_size=32, max_length=emb.max_length, convert_to_numpy=True)
    raw = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    model, calls = emb._model.model, []
    monkeypatch.setattr(model, "forward", _counting(model.forward, calls))
    fast = emb.encode_queries(queries)
    np.testing.assert_allclose(fast, raw, atol=1e-5)
    assert len(calls) == 1


def _counting(fn, calls: list):
    def wrapper(*a, **k):
        calls.append(1)
        return fn(*a, **k)
    return wrapper


def test_hub_id_loads_from_the_hf_cache_offline(bge_skeleton: Path, offline_hf: Path):
    # The layout huggingface_hub writes: models--org--name/{refs/main, snapshots/<commit>/files}.
    repo = offline_hf / "hub" / "models--BAAI--bge-small-zh-v1.5"
    commit = "0123456789abcdef0123456789abcdef01234567"
    snap = repo / "snapshots" / commit
    snap.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    for f in bge_skeleton.iterdir():
        os.symlink(f, snap / f.name)
    emb = load_embedder("BAAI/bge-small-zh-v1.5")
    assert emb.name == "BAAI/bge-small-zh-v1.5"
    assert emb.query_instruction == BGE_ZH_QUERY_INSTRUCTION
    ref = load_embedder(str(bge_skeleton))
    np.testing.assert_allclose(emb.encode_corpus(["排污许可证"]), ref.encode_corpus(["排污许可证"]), atol=1e-6)


def test_uncached_hub_id_without_mirror_fails_fast_with_a_fix():
    start = time.monotonic()
    with pytest.raises(ModelUnavailable) as info:
        load_embedder("BAAI/bge-small-zh-v1.5")
    assert time.monotonic() - start < 5
    msg = str(info.value)
    assert "\n" not in msg
    assert "BAAI/bge-small-zh-v1.5" in msg
    assert "ASSISTANT_EMBED_MODEL" in msg and "HF_ENDPOINT" in msg and "本地" in msg
    assert info.value.model == "BAAI/bge-small-zh-v1.5"


def test_unreachable_mirror_is_model_unavailable(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: nothing listens
    start = time.monotonic()
    with pytest.raises(ModelUnavailable) as info:
        load_embedder("BAAI/bge-small-zh-v1.5")
    assert time.monotonic() - start < 30
    assert "http://127.0.0.1:9" in str(info.value) and "\n" not in str(info.value)
    assert info.value.__cause__ is not None


def test_local_folder_without_config_or_weights_is_model_unavailable(tmp_path: Path, bge_skeleton: Path):
    empty = tmp_path / "bge-small-zh-v1.5"
    empty.mkdir()
    with pytest.raises(ModelUnavailable, match="config.json"):
        load_embedder(str(empty))
    with pytest.raises(ModelUnavailable, match="不存在"):
        load_embedder(str(tmp_path / "missing"))
    # config and vocab but no weights: FlagEmbedding/transformers fail, and that failure is wrapped.
    no_weights = tmp_path / "no-weights" / "bge-small-zh-v1.5"
    no_weights.mkdir(parents=True)
    for f in bge_skeleton.iterdir():
        if not f.name.endswith(".safetensors"):
            os.symlink(f, no_weights / f.name)
    with pytest.raises(ModelUnavailable) as info:
        load_embedder(str(no_weights))
    assert info.value.__cause__ is not None and "\n" not in str(info.value)


def test_reranker_scores_each_passage_through_flagreranker(tmp_path: Path, bge_skeleton: Path):
    import shutil

    import torch
    from index.store.flag_compat import flag_embedding

    FlagReranker = flag_embedding().FlagReranker
    from transformers import BertConfig, BertForSequenceClassification

    folder = tmp_path / "bge-reranker-base"
    config = BertConfig.from_pretrained(str(bge_skeleton), num_labels=1)
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(str(folder))
    for f in ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(bge_skeleton / f, folder / f)
    rr = load_reranker(str(folder))
    assert isinstance(rr._model, FlagReranker)
    passages = [t for _, _, t in TEXTS.values()][:3]
    scores = rr.score("排污许可证向谁申请", passages)
    assert len(scores) == 3 and all(isinstance(s, float) and 0.0 < s < 1.0 for s in scores)
    assert rr.score("排污许可证向谁申请", passages) == scores
    assert len(set(scores)) == 3  # one score per pair, not one broadcast value
    assert rr.score("排污许可证向谁申请", passages[1:2]) == pytest.approx(scores[1:2], abs=1e-5)
    assert rr.score("排污许可证向谁申请", []) == []
    with pytest.raises(ModelUnavailable, match="重排模型"):
        load_reranker(str(tmp_path / "missing"))


# ---------------------------------------------------------------- chroma


@pytest.fixture(params=["embedded", "server"])
def chroma_at(request, tmp_path: Path):
    """Where a ChromaStore lives: (path, url) of a PersistentClient on disk, or of a real `chroma run` server."""
    if request.param == "embedded":
        return tmp_path / "chroma", None
    return None, request.getfixturevalue("chroma_server")


def _reopen(at, model: str) -> ChromaStore:
    """A new client on the same data, reading from disk (or the server) rather than the in-process cache."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    return ChromaStore(at[0], model, url=at[1])


def test_chroma_store_persists_queries_filters_and_deletes(chroma_at, skeleton_embedder):
    import uuid

    clauses = make_clauses()
    chunks = make_chunks(clauses)
    vectors = skeleton_embedder.encode_corpus([c.index_text for c in chunks])
    model = f"{skeleton_embedder.name}-{uuid.uuid4().hex[:8]}"  # a server outlives one test: a collection of its own

    store = ChromaStore(chroma_at[0], model, url=chroma_at[1])
    assert store.count() == 0 and store.query(vectors[0], 3) == []
    store.upsert(chunks, clauses, vectors)
    store.upsert(chunks[:2], clauses, vectors[:2])  # upsert again: replaces, doesn't duplicate
    del store

    store = _reopen(chroma_at, model)
    assert store.count() == len(chunks)
    assert store.ids() == {c.chunk_id for c in chunks}
    assert store.has(["jd-bus#p1", "nope"]) == {"jd-bus#p1"}
    i = next(n for n, c in enumerate(chunks) if c.chunk_id == "jd-bus#p1")
    hits = store.query(vectors[i], 3)
    assert hits[0][0] == "jd-bus#p1" and hits[0][1] == "jd-bus"  # chunk id → its clause id
    assert hits[0][2] == pytest.approx(1.0, abs=1e-4)
    assert hits[0][2] >= hits[1][2] >= hits[2][2]

    # The query vector is jd-bus's, but only 条例 clauses may come back, and k of them.
    law_ids = {cid for cid, ((title, _), _, _) in TEXTS.items() if title == LAW[0]}
    filtered = store.query(vectors[i], 2, doc_ids=[_doc_id(LAW[0])])
    assert len(filtered) == 2 and {cl for _, cl, _ in filtered} <= law_ids
    assert store.query(vectors[i], 5, doc_ids=[]) == []

    store.delete(["jd-bus#p1", "law-45", "not-there"])
    store = _reopen(chroma_at, model)
    assert store.count() == len(chunks) - 2
    assert "jd-bus#p1" not in store.ids() and "law-45" not in store.ids()
    assert all(cid != "jd-bus#p1" for cid, _, _ in store.query(vectors[i], len(chunks)))

    # Another embedding model gets its own, empty collection in the same database.
    assert _reopen(chroma_at, model + "-m3").count() == 0


def test_chroma_metadata_is_flat_and_complete(chroma_at, skeleton_embedder):
    import uuid

    clauses = make_clauses()
    chunks = [c for c in make_chunks(clauses) if c.clause_id == "jd-bus"]
    store = ChromaStore(chroma_at[0], f"m-{uuid.uuid4().hex[:8]}", url=chroma_at[1])
    store.upsert(chunks, clauses, skeleton_embedder.encode_corpus([c.index_text for c in chunks]))
    got = store._col.get(ids=["jd-bus#p1"], include=["metadatas", "documents"])
    meta, doc = got["metadatas"][0], got["documents"][0]
    assert doc == chunks[1].text
    assert meta["doc_number"] == "嘉府发〔2023〕27号" and meta["units"] == "区交通委、区发展改革委"
    assert meta["path"] == "二、强化大气污染防治与碳减排协同增效 / 2.加快道路交通能源结构转型"
    assert (meta["part"], meta["n_parts"]) == (1, 2)


def test_chroma_server_down_is_one_line_naming_the_url(dead_chroma_url):
    from index.store.chroma_store import ChromaUnavailable

    with pytest.raises(ChromaUnavailable) as info:
        ChromaStore(None, "m", url=dead_chroma_url)
    line = str(info.value)
    assert "\n" not in line and dead_chroma_url in line and "chroma run" in line


def test_collection_names_are_legal_and_distinct():
    import re

    names = [collection_name(n) for n in ("BAAI/bge-small-zh-v1.5", "/models/bge-small-zh-v1.5/", "中文模型", "a", "x..y")]
    for n in names:
        assert 3 <= len(n) <= 512 and re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]", n) and ".." not in n
    assert len(set(names)) == len(names)
    assert collection_name("BAAI/bge-small-zh-v1.5") == collection_name("BAAI/bge-small-zh-v1.5")


# ---------------------------------------------------------------- BM25


def test_tokenize_words_bigrams_stopwords():
    toks = tokenize("嘉定区的新能源公交车比例达到96%吗？PUE不高于1.3")
    assert {"新能源", "公交车", "公交", "pue", "96", "1.3"} <= set(toks)
    assert "#公交" in toks and "#能源" in toks
    assert not {"的", "吗", "？", "%"} & set(toks)
    assert tokenize("") == [] and tokenize("，。！？ ") == []


@pytest.fixture(scope="module")
def bm25() -> BM25Store:
    return BM25Store.build(make_chunks(make_clauses()))


def _top_clause(store: BM25Store, q: str, **kw) -> str:
    hits = store.search(q, 3, **kw)
    return store.clause_ids[store.chunk_ids.index(hits[0][0])]


@pytest.mark.parametrize(
    "question, clause_id",
    [
        ("嘉定区电动公交车占比要达到多少", "jd-bus"),  # 电动公交车 vs 新能源和清洁能源公交车
        ("哪些企业被鼓励购买环境污染保险", "law-45"),  # 购买 保险 vs 投保 责任险
        ("楼房外立面能不能用反光玻璃", "law-57"),  # 外立面 反光玻璃 vs 建筑物外墙 反光材料
        ("普陀区太阳能光伏装机规划", "pt-pv"),
        ("公交停车场充电设施什么时候全覆盖", "sj-charging"),
    ],
)
def test_bm25_paraphrased_question_finds_the_clause_first(bm25: BM25Store, question: str, clause_id: str):
    assert _top_clause(bm25, question) == clause_id


def test_bm25_save_load_round_trip(tmp_path: Path, bm25: BM25Store):
    d = tmp_path / "bm25"
    bm25.save(d)
    loaded = BM25Store.load(d)
    assert len(loaded) == len(bm25) == len(make_chunks(make_clauses()))
    for q in ("新能源公交车比例", "排污许可证向谁申请", "反光材料"):
        assert loaded.search(q, 5) == bm25.search(q, 5)
        assert loaded.search(q, 5)  # non-empty, so the equality above means something
    assert "公交车" in loaded.words() and not any(w.startswith("#") for w in loaded.words())

    # Saving again replaces the index in place and leaves no temp dirs behind.
    BM25Store.build([c for c in make_chunks(make_clauses()) if c.clause_id.startswith("law")]).save(d)
    again = BM25Store.load(d)
    assert len(again) == 3 and all(cid.startswith("law") for cid, _ in again.search("新能源公交车", 5))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bm25"]


def test_bm25_filter_still_returns_k(bm25: BM25Store):
    q = "嘉定区新能源汽车公交车比例"
    # Unfiltered, both parts of the 嘉定 clause fill the top 2; the 松江 clauses rank lower.
    assert [c for c, _ in bm25.search(q, 2)] == ["jd-bus#p1", "jd-bus#p0"]
    songjiang = {"sj-vehicles", "sj-charging"}
    hits = bm25.search(q, 2, allowed=lambda cid: cid in songjiang)
    assert len(hits) == 2
    assert [bm25.clause_ids[bm25.chunk_ids.index(c)] for c, _ in hits] == ["sj-vehicles", "sj-charging"]
    assert bm25.search(q, 5, allowed=lambda cid: False) == []


def test_bm25_scores_positive_best_first_and_bounded(bm25: BM25Store):
    hits = bm25.search("新能源汽车", 100)
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    assert len(hits) < len(bm25)  # clauses without the words are not returned with score 0
    assert len(bm25.search("新能源汽车", 1)) == 1


def test_bm25_empty_query_unknown_words_and_empty_corpus(bm25: BM25Store, tmp_path: Path):
    assert bm25.search("", 5) == []
    assert bm25.search("？！", 5) == []
    assert bm25.search("鬣蜥", 5) == []  # no word, bigram or character of it in any chunk
    assert bm25.search("新能源", 0) == []
    empty = BM25Store.build([])
    assert len(empty) == 0 and empty.search("新能源", 5) == [] and empty.words() == frozenset()
    empty.save(tmp_path / "e")
    assert len(BM25Store.load(tmp_path / "e")) == 0


# ---------------------------------------------------------------- fusion


def test_rrf_orders_by_summed_reciprocal_rank():
    fused = rrf([["a", "b", "c"], ["c", "d", "a"]], k=60)
    ids = [i for i, _ in fused]
    # a: 1/61 + 1/63, c: 1/63 + 1/61 (tie, a seen first), b: 1/62, d: 1/62 (tie, b seen first)
    assert ids == ["a", "c", "b", "d"]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 63)
    assert fused[2][1] == pytest.approx(1 / 62)
    assert [i for i, _ in rrf([["x", "y"], ["y", "z"], ["y"]])][0] == "y"
    assert [i for i, _ in rrf([["p", "q"], ["q", "p"]], k=1)] == ["p", "q"]
    assert rrf([["a", "a", "b"]]) == rrf([["a", "b"]])  # a repeat within one list counts once
    assert rrf([]) == [] and rrf([[], []]) == []


def test_store_modules_import_without_heavy_dependencies():
    import subprocess
    import sys

    code = (
        "import sys, index.store.embedder, index.store.bm25, index.store.chroma_store, index.store.fusion\n"
        "import index.store.clause_index\n"
        "heavy = {'torch', 'transformers', 'FlagEmbedding', 'chromadb', 'bm25s', 'jieba', 'llama_index'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, timeout=60)

"""Lookup that understands references and round-trips: 《title》第X条, a short title (and the candidates by place when it
fits several laws), 第X条第Y款 / 第Z项, a 文号 with or without a clause path, every citation the product prints; one
line for a reference to something that does not exist; ranked search that weighs an article it names.

Over the shipped corpus, the twelve real laws in tests/fixtures/laws and two fictional 大气污染防治条例 of two cities.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assistant.service import Assistant
from index.references import EditionSpec, parse

ROOT = Path(__file__).resolve().parents[1]
LAWS = ROOT / "tests" / "fixtures" / "laws"
PASSPORT = "中华人民共和国护照法"
WATER = "山东省南水北调条例"
JIADING = "《嘉定区减污降碳协同增效实施方案》（嘉府发〔2023〕27号）二、（一）1."
AIR = """# {city}大气污染防治条例

2021年1月1日 {city}人民代表大会常务委员会第一次会议通过

第一条 为了防治大气污染，制定本条例。

第二条 {city}行政区域内的大气污染防治，适用本条例。

第三条 本条例自2021年3月1日起施行。
"""


@pytest.fixture(scope="module")
def a(tmp_path_factory) -> Assistant:
    folder = tmp_path_factory.mktemp("air")
    for city in ("甲市", "乙市"):
        (folder / f"{city}.md").write_text(AIR.format(city=city), encoding="utf-8")
    assistant = Assistant(store=str(tmp_path_factory.mktemp("store")), retrieval="lexical")
    report = assistant.ingest([ROOT / "data" / "policies", LAWS, folder])
    assert not report.failed
    return assistant


def cites(found) -> list[str]:
    return [r.clause.citation for r in found.rows]


# ---- reading a reference -------------------------------------------------------------------------

def test_a_reference_is_read_into_document_version_and_path():
    r = parse("《上海市优化营商环境条例》（2024年修正）第八十五条第二款第三项")
    assert (r.title, r.edition, r.article.words(), r.name, r.rest) == (
        "上海市优化营商环境条例", EditionSpec(2024, None, "修正"), "第八十五条第二款第三项", "", "")
    r = parse(JIADING)
    assert (r.title, r.doc_number, r.path, r.edition) == ("嘉定区减污降碳协同增效实施方案", "嘉府发〔2023〕27号", "二、（一）1.", None)
    nested = parse("《最高人民法院关于适用《中华人民共和国民事诉讼法》的解释》（2022年修正）第八十五条")
    assert nested.title == "最高人民法院关于适用《中华人民共和国民事诉讼法》的解释" and nested.path == "第八十五条"
    assert parse("大气污染防治条例 第十八条").name == "大气污染防治条例"
    assert parse("上海市优化营商环境条例修订前第八条").edition.relative == "previous"
    assert parse("营商环境条例 2020年版 第8条").edition == EditionSpec(2020)
    assert parse("新增光伏装机容量").path is None  # words, no reference


# ---- the forms the issue names -------------------------------------------------------------------

@pytest.mark.parametrize("query", [f"《{PASSPORT}》第二条", "护照法 第二条", "《护照法》第2条", f"{PASSPORT}第二条",
                                   f"《{PASSPORT}》第二条", "  护照法第二条  "])
def test_title_short_title_and_arabic_numbers(a, query):
    assert cites(a.lookup(query)) == [f"《{PASSPORT}》第二条"]


def test_a_short_title_that_fits_several_laws_lists_them_by_place(a):
    found = a.lookup("大气污染防治条例 第二条")
    head, listed = found.message.split("——")
    assert head == "“大气污染防治条例”对应 2 部文件，请写明是哪一部"
    assert set(listed.split("；")) == {"甲市：《甲市大气污染防治条例》", "乙市：《乙市大气污染防治条例》", "以下是各法规的第二条"}
    assert sorted(cites(found)) == ["《乙市大气污染防治条例》第二条", "《甲市大气污染防治条例》第二条"]
    assert cites(a.lookup("乙市大气污染防治条例 第二条")) == ["《乙市大气污染防治条例》第二条"]


def test_paragraph_and_item_of_an_article(a):
    (row,) = a.lookup("环境保护条例 第十八条第二款").rows
    assert row.clause.label == "第十八条" and row.focus.startswith("对本市生态保护地区")
    (row,) = a.lookup("《上海市环境保护条例》第三十二条第三项").rows
    assert row.focus == "（三）未按时完成污染治理任务的；" and row.clause.label == "第三十二条"
    (row,) = a.lookup("环境保护条例 第三十二条第一款第四项").rows
    assert row.focus == "（四）配套的环境基础设施不完备的；"


@pytest.mark.parametrize("query, message", [
    (f"《{PASSPORT}》第二百条", f"《{PASSPORT}》共二十六条，没有第二百条"),
    ("北京市人民代表大会议事规则 第五十四条", "《北京市人民代表大会议事规则》（2010年修正）共五十二条（第一条至第五十三条），没有第五十四条"),
    ("环境保护条例 第十八条第九款", "《上海市环境保护条例》（2018年修正）第十八条共三款，没有第九款"),
    ("护照法 第二条第三项", f"《{PASSPORT}》第二条没有分项，没有第三项"),
    ("嘉定 二（九）1", "《嘉定区减污降碳协同增效实施方案》中没有“二（九）1”"),
    ("《没有这部法》第一条", "没有找到《没有这部法》；可用 `python -m assistant docs` 或“文件库”查看已导入的文件"),
    ("沪府发〔2099〕1号 第一条", "没有找到文号为沪府发〔2099〕1号的文件"),
])
def test_a_reference_to_nothing_that_exists_is_one_line(a, query, message):
    found = a.lookup(query)
    assert (found.rows, found.message, found.exact) == ((), message, True)


def test_doc_number_with_and_without_a_clause_path(a):
    assert cites(a.lookup("嘉府发〔2023〕27号 二（一）1")) == [JIADING]
    assert cites(a.lookup("嘉定区嘉府发〔2023〕27号二、（一）1.")) == [JIADING]  # an issuer written before the 文号
    whole = a.lookup("嘉府发〔2023〕27号")
    assert whole.exact and whole.rows[0].clause.label == "印发通知"
    assert {r.clause.doc_title for r in whole.rows} == {"嘉定区减污降碳协同增效实施方案"}


def test_every_citation_the_product_prints_resolves_back_to_its_clause(a):
    """Articles, plan items and leads, annex rows, 题注, 印发通知, 引言, 抄送印发, a 民法典 part's articles."""
    n = 0
    for m, _ in a.documents():
        clauses = a.clauses(m.doc_id)
        printed = [c.citation for c in clauses]
        for c in clauses:
            if printed.count(c.citation) > 1:
                continue  # two clauses of one document print the same citation: no lookup can tell them apart
            found = a.lookup(c.citation)
            assert found.exact and found.rows[0].clause.clause_id == c.clause_id, (c.citation, cites(found)[:3])
            n += 1
    assert n > 700


def test_a_named_article_is_weighed_in_ranked_search(a):
    """《…》第十八条 with words of the article: 第十八条 first, never 第二十八条 or 第三十八条 though they share 十八."""
    for label, words in (("第十八条", "调水工程"), ("第二十八条", "调水工程"), ("第八条", "")):
        query = f"{WATER}{label} {words}".strip()
        hits = a.search(query, k=5)
        assert hits[0].clause.label == label and hits[0].clause.doc_title == WATER, [h.clause.citation for h in hits]
        found = a.lookup(query)
        assert found.rows[0].clause.label == label


def test_within_a_chosen_document_and_keywords(a):
    assert cites(a.lookup("第二条", PASSPORT)) == [f"《{PASSPORT}》第二条"]
    ranked = a.lookup("新增光伏装机容量")
    assert not ranked.exact and ranked.rows[0].score and "光伏" in ranked.rows[0].clause.text


def test_cli_lookup(a):
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "PYTHONIOENCODING": "utf-8"}
    store = a.settings.store

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "assistant", "lookup", *args, "--store", str(store), "--lexical"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    r = cli("环境保护条例 第十八条第二款")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("1. 《上海市环境保护条例》（2018年修正）第十八条\n  对本市生态保护地区"), r.stdout
    r = cli("护照法 第二百条")
    assert (r.returncode, r.stdout.strip()) == (1, f"《{PASSPORT}》共二十六条，没有第二百条")
    r = cli(JIADING, "--json")
    assert r.returncode == 0 and '"exact": true' in r.stdout and "29.4万千瓦" in r.stdout


def test_a_full_clause_cache_never_drops_a_result(a, monkeypatch):
    """The per-process clause cache is cleared when full; clauses read in the same call must still come back."""
    import index.store.clause_index as ci

    monkeypatch.setattr(ci, "CLAUSE_CACHE", 3)
    a.index._clause_cache.clear()
    hits = a.search(f"{WATER}第十八条 调水工程", k=8)
    assert len(hits) == 8 and hits[0].clause.label == "第十八条"
    assert len(a.clauses(WATER)) == 59


def test_the_parts_of_a_clause_too_long_to_store_whole_round_trip(tmp_path):
    """A clause past index.limits.MAX_CLAUSE_CHARS is stored as parts whose citations say which (第2部分，共3部分)."""
    long = "。".join(f"管理措施{n}应当依照本条例执行" for n in range(1, 1800)) + "。"
    (tmp_path / "long.md").write_text(f"# 丙市长条款条例\n\n第一条 为了测试，制定本条例。\n\n第二条 {long}\n\n第三条 本条例自公布之日起施行。\n",
                                      encoding="utf-8")
    assistant = Assistant(store=str(tmp_path / "store"), retrieval="lexical")
    assistant.ingest([tmp_path / "long.md"])
    parts = [c for c in assistant.clauses("丙市长条款条例") if c.label == "第二条"]
    assert len(parts) >= 2 and parts[1].citation.endswith(f"（第2部分，共{len(parts)}部分）")
    for c in parts:
        assert [r.clause.clause_id for r in assistant.lookup(c.citation).rows] == [c.clause_id], c.citation

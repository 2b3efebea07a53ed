"""Versions and validity: two versions of one law are both kept and linked whatever the ingest order, the newer is
现行有效 and the older 已被修订; answers and lookup use the current version unless asked for another; a user's mark
(已废止) persists across re-ingest and answers say so; a 关于废止…的决定 repeals what it names; a store written before
versions existed is upgraded with one line.

Real laws held in two versions, copied from ../shared/laws into tests/fixtures/versions (see its README).
"""
from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.service import Assistant
from index.store.clause_index import ClauseIndex
from index.versions import STATUS_AMENDED, STATUS_CURRENT, STATUS_PENDING, STATUS_REPEALED

ROOT = Path(__file__).resolve().parents[1]
VERSIONS = ROOT / "tests" / "fixtures" / "versions"
BUSINESS = "上海市优化营商环境条例"
OLD_BUSINESS = VERSIONS / f"{BUSINESS}(2020-04-10).md"
NEW_BUSINESS = VERSIONS / f"{BUSINESS}(2024-09-27).md"
MINORS = "上海市未成年人保护条例"
OLD_MINORS = VERSIONS / f"{MINORS}.md"  # no 题注: a version that states no date (56 articles)
NEW_MINORS = VERSIONS / f"{MINORS}(2024-12-31).md"  # 87 articles
REPEAL = VERSIONS / "北京市人民代表大会常务委员会关于废止部分地方性法规的决定.md"
POSTAL = VERSIONS / "北京市邮政通信条例.md"  # repealed by that decision (2021)


def assistant_at(store: Path) -> Assistant:
    return Assistant(store=str(store), retrieval="lexical")


def state(a: Assistant) -> dict[str, tuple]:
    """Per document: (title, edition, status, number of clauses, newer version's edition)."""
    metas = {m.doc_id: m for m, _ in a.documents()}
    out = {}
    for m, n, v, _ in a.library():
        newer = metas[v.newer].edition if v.newer else None
        out[m.doc_id] = (m.title, m.edition, v.status, n, newer)
    return out


def ingest_in(store: Path, *batches: list[Path]) -> Assistant:
    a = assistant_at(store)
    for paths in batches:
        report = a.ingest(paths)
        assert not report.failed and not report.warnings, report.to_json()
    return a


# ---- ingest order never changes which version is current -----------------------------------------

ORDERS = {
    "newer then older": ([NEW_BUSINESS], [OLD_BUSINESS]),
    "older then newer": ([OLD_BUSINESS], [NEW_BUSINESS]),
    "both in one call": ([NEW_BUSINESS, OLD_BUSINESS],),
    "both in one call, older first": ([OLD_BUSINESS, NEW_BUSINESS],),
}


@pytest.fixture(scope="module")
def expected_business(tmp_path_factory) -> dict:
    return state(ingest_in(tmp_path_factory.mktemp("business"), [OLD_BUSINESS], [NEW_BUSINESS]))


@pytest.mark.parametrize("order", list(ORDERS))
def test_ingest_order_never_changes_which_version_is_current(tmp_path, order, expected_business):
    a = ingest_in(tmp_path / "store", *ORDERS[order])
    assert state(a) == expected_business
    by_edition = {s[1]: s for s in expected_business.values()}
    assert by_edition["2024年修正"][2:] == (STATUS_CURRENT, 98, None)  # 97 articles and the 题注
    assert by_edition["2020年通过"][2] == STATUS_AMENDED and by_edition["2020年通过"][4] == "2024年修正"
    old = next(m for m, _ in a.documents() if m.edition == "2020年通过")
    assert a.index.status_line(old.doc_id) == "已被修订（由2024年修正版取代，2024-09-27）"
    # the current version answers a plain reference, with its version in the citation
    (hit,) = a.lookup(f"《{BUSINESS}》第八十五条").rows
    assert hit.clause.citation == f"《{BUSINESS}》（2024年修正）第八十五条" and hit.status is None


def test_the_same_file_twice_changes_nothing(tmp_path):
    a = ingest_in(tmp_path / "store", [NEW_BUSINESS, OLD_BUSINESS])
    before, gen = state(a), a.index.db.conn().execute("SELECT value FROM meta WHERE key='generation'").fetchone()
    copy = tmp_path / "again"
    copy.mkdir()
    shutil.copy(NEW_BUSINESS, copy / NEW_BUSINESS.name)  # the same bytes under another path: the same document
    for paths in ([NEW_BUSINESS], [OLD_BUSINESS, copy / NEW_BUSINESS.name]):
        report = a.ingest(paths)
        assert (report.documents, report.skipped_unchanged) == (0, len(paths))
    assert state(a) == before
    assert a.index.db.conn().execute("SELECT value FROM meta WHERE key='generation'").fetchone() == gen


def test_an_undated_older_text_never_replaces_the_dated_current_one(tmp_path):
    """The issue's full ingest: an undated 上海市未成年人保护条例 (56 articles) replaced the 2024 one (87)."""
    for order in ([NEW_MINORS, OLD_MINORS], [OLD_MINORS, NEW_MINORS]):
        a = ingest_in(tmp_path / order[0].stem, [order[0]], [order[1]])
        current = [(m.edition, n) for m, n, v, _ in a.library() if v.status == STATUS_CURRENT]
        assert current == [("2024年修正", 88)]  # 87 articles and the 题注
        old = next(m for m, _ in a.documents() if m.edition is None)
        assert a.index.validity(old.doc_id).tag == "旧版"
        assert a.lookup(f"{MINORS} 第八十七条").rows[0].clause.citation == f"《{MINORS}》（2024年修正）第八十七条"
        (hit,) = a.lookup(f"《{MINORS}》（旧版）第五十六条").rows
        assert hit.clause.doc_id == old.doc_id and hit.status.startswith(STATUS_AMENDED)


# ---- both versions answer when asked by version ---------------------------------------------------

@pytest.fixture(scope="module")
def both(tmp_path_factory) -> Assistant:
    return ingest_in(tmp_path_factory.mktemp("both"), [NEW_BUSINESS, OLD_BUSINESS, NEW_MINORS, OLD_MINORS])


def _article(path: Path, label: str) -> str:
    """The article's text in the source: its line and the lines up to the next article or heading."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith(label + " "))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(("#", "第")) and "条 " in lines[i][:12]
                or lines[i].startswith("#")), len(lines))
    return "".join(lines[start:end]).replace(" ", "").replace("\u3000", "")


@pytest.mark.parametrize("query", [f"{BUSINESS} 2020年版 第八条", f"{BUSINESS}修订前第八条", f"优化营商环境条例 修订前 第八条",
                                   f"《{BUSINESS}》（2020年通过）第八条", f"{BUSINESS} 2021年版 第八条"])
def test_a_stated_version_is_looked_up(both, query):
    (hit,) = both.lookup(query).rows
    assert hit.clause.text.replace("\n", "") == _article(OLD_BUSINESS, "第八条")
    assert hit.clause.citation == f"《{BUSINESS}》（2020年通过）第八条"  # a superseded first version names its edition
    assert hit.status == "已被修订（由2024年修正版取代，2024-09-27）"


def test_the_current_version_by_default_and_by_its_own_tag(both):
    for query in (f"《{BUSINESS}》第八条", f"{BUSINESS} 现行 第八条", f"《{BUSINESS}》（2024年修正）第八条"):
        (hit,) = both.lookup(query).rows
        assert hit.clause.text.replace("\n", "") == _article(NEW_BUSINESS, "第八条")


def test_a_version_the_store_lacks_is_one_line(both):
    found = both.lookup(f"{BUSINESS} 2019年版 第八条")
    assert not found.rows and found.message == f"《{BUSINESS}》库中没有2019年版（现有：2020年通过、2024年修正）"


def test_every_citation_of_either_version_resolves_back(both):
    for m, _ in both.documents():
        for c in both.clauses(m.doc_id):
            assert both.lookup(c.citation).rows[0].clause.clause_id == c.clause_id, c.citation


def test_answers_use_the_current_version_unless_asked_for_another(both):
    ans = both.ask(f"{BUSINESS}第八十五条规定了什么？")
    assert ans.citations and all("（2024年修正）" in c.clause.citation for c in ans.citations), ans.answer
    assert ans.notice is None
    ans = both.ask(f"{BUSINESS}2020年版第八条规定了什么？")
    assert ans.citations[0].clause.citation == f"《{BUSINESS}》（2020年通过）第八条", ans.answer
    assert "已被修订" in (ans.notice or ""), ans.notice


def test_search_reads_the_current_versions_only(both):
    hits = both.index.search("未成年人 学校 保护", k=20)
    assert hits and all(both.index.validity(h.clause.doc_id).status == STATUS_CURRENT for h in hits)


# ---- a user's mark and a document's own word ------------------------------------------------------

ROAD = """# 甲市道路停车管理条例

2020年3月1日 甲市人民代表大会常务委员会第五次会议通过

第一条 为了规范本市道路停车管理，制定本条例。

第二条 在本市道路上停放机动车，应当按照道路停车泊位的标志停放，并按规定缴纳停车费。

第三条 本条例自2020年5月1日起施行。
"""
PARKING = """# 甲市机动车停车规定

2022年6月1日 甲市人民政府令第8号公布

第一条 为了加强本市机动车停车管理，制定本规定。

第二条 在本市道路停车泊位停放机动车，应当按照泊位标志停放，并通过电子收费系统缴纳停车费。

第三条 本规定自2022年7月1日起施行。
"""


def test_a_document_marked_repealed_answers_after_one_in_force_and_says_so(tmp_path):
    for name, text in (("road.md", ROAD), ("parking.md", PARKING)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    a = ingest_in(tmp_path / "store", [tmp_path / "road.md", tmp_path / "parking.md"])
    question = "在道路停车泊位停放机动车怎么缴纳停车费？"
    first = a.ask(question).citations[0].clause.doc_title
    a.set_status(first, STATUS_REPEALED, "由新规定取代")
    other = ({"甲市道路停车管理条例", "甲市机动车停车规定"} - {first}).pop()
    ans = a.ask(question)
    assert ans.citations[0].clause.doc_title == other, ans.answer
    assert [h.clause.doc_title for h in a.search(question, k=2)][0] == other
    named = a.ask(f"{first}对道路停车缴费是怎么规定的？")  # named, the repealed one still answers, and says so
    assert named.citations[0].clause.doc_title == first
    assert f"所引《{first}》已废止（用户标注：由新规定取代" in (named.notice or ""), named.notice
    # the mark survives re-ingest: the same file, and an edited copy (same title and version: the same document)
    (tmp_path / "road.md").write_text(ROAD.replace("制定本条例。", "制定本条例。\n"), encoding="utf-8")
    a.ingest([tmp_path / "road.md", tmp_path / "parking.md"])
    fresh = assistant_at(tmp_path / "store")
    doc = fresh.index.resolve_doc(first)
    assert fresh.index.validity(doc.doc_id).status == STATUS_REPEALED
    assert fresh.lookup(f"{first} 第二条").rows[0].status.startswith("已废止（用户标注")
    fresh.set_status(first, None)  # cleared
    assert fresh.index.validity(doc.doc_id).status == STATUS_CURRENT


def test_a_decision_that_repeals_a_law_makes_it_repealed(tmp_path):
    a = ingest_in(tmp_path / "store", [POSTAL], [REPEAL])
    postal = a.index.resolve_doc("北京市邮政通信条例")
    v = a.index.validity(postal.doc_id)
    assert (v.status, v.since) == (STATUS_REPEALED, "2021-09-24")
    assert a.index.status_line(postal.doc_id) == \
        "已废止（《北京市人民代表大会常务委员会关于废止部分地方性法规的决定》宣布废止，2021-09-24）"
    decision = a.index.resolve_doc("关于废止部分地方性法规的决定")
    assert a.index.validity(decision.doc_id).status == STATUS_CURRENT
    a.set_status(postal.doc_id, STATUS_CURRENT, "仍然适用")  # a user's mark overrides what a document says
    assert a.index.validity(postal.doc_id).status == STATUS_CURRENT


def test_a_law_that_takes_effect_later_is_not_yet_in_force(tmp_path):
    (tmp_path / "future.md").write_text(ROAD.replace("2020年5月1日", "2099年5月1日"), encoding="utf-8")
    a = ingest_in(tmp_path / "store", [tmp_path / "future.md"])
    doc = a.index.resolve_doc("甲市道路停车管理条例")
    assert a.index.validity(doc.doc_id).status == STATUS_PENDING
    assert a.index.status_line(doc.doc_id) == "尚未施行（自2099-05-01起施行）"


def test_cli_status_marks_and_docs_shows_it(tmp_path):
    store = tmp_path / "store"
    ingest_in(store, [NEW_BUSINESS, OLD_BUSINESS])
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "PYTHONIOENCODING": "utf-8"}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "assistant", *args, "--store", str(store), "--lexical"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120)

    r = cli("status", BUSINESS)
    assert r.returncode == 0, r.stderr
    assert f"《{BUSINESS}》在库中有 2 个版本" in r.stdout and "2020年通过  已被修订（由2024年修正版取代" in r.stdout
    r = cli("status", BUSINESS, "已废止", "--note", "测试")
    assert r.returncode == 0 and "已标注为已废止；现在：已废止（用户标注：测试" in r.stdout, r.stdout + r.stderr
    docs = {d["edition"]: d for d in json.loads(cli("docs", "--json").stdout)["documents"]}
    assert docs["2024年修正"]["status"] == STATUS_REPEALED and docs["2020年通过"]["status"] == STATUS_AMENDED
    r = cli("status", BUSINESS, "尚未施行", "--note", "x")
    assert "现在：尚未施行（用户标注：x" in r.stdout
    assert cli("status", BUSINESS, "作废").returncode == 2  # not a status


# ---- a store written before versions existed ------------------------------------------------------

def test_a_store_from_before_versions_is_upgraded_with_one_line(tmp_path, caplog):
    store = tmp_path / "store"
    ingest_in(store, [NEW_BUSINESS, OLD_BUSINESS, ROOT / "data" / "policies"])
    conn = sqlite3.connect(store / "index.sqlite")  # as the previous release wrote it: no edition, untagged citations
    n_before = conn.execute("SELECT COUNT(*) FROM clauses").fetchone()[0]
    for seq, meta in conn.execute("SELECT seq, meta FROM documents").fetchall():
        d = json.loads(meta)
        for k in ("edition", "part", "effective_date", "repeals"):
            d.pop(k)
        conn.execute("UPDATE documents SET meta = ? WHERE seq = ?", (json.dumps(d, ensure_ascii=False), seq))
    for row, rec in conn.execute("SELECT row, record FROM clauses").fetchall():
        r = json.loads(rec)
        r["citation"] = r["citation"].replace("（2024年修正）", "").replace("（2018年修正）", "")
        conn.execute("UPDATE clauses SET record = ? WHERE row = ?", (json.dumps(r, ensure_ascii=False), row))
    conn.execute("DROP TABLE marks")
    conn.commit()
    conn.close()
    with caplog.at_level(logging.WARNING):
        idx = ClauseIndex(store, lexical_only=True)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "补记版本与效力信息：8 个文件" in lines[0], lines
    assert idx.n_clauses() == n_before
    assert idx.lookup(f"《{BUSINESS}》第八条")[0].citation == f"《{BUSINESS}》（2024年修正）第八条"
    assert idx.lookup("环境保护条例 第十八条")[0].citation == "《上海市环境保护条例》（2018年修正）第十八条"
    old = next(m for m, _ in idx.documents() if m.edition == "2020年通过")
    assert idx.validity(old.doc_id).status == STATUS_AMENDED
    idx.set_status(old.doc_id, STATUS_REPEALED)  # the marks table comes back when first written
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        again = ClauseIndex(store, lexical_only=True)  # upgraded once: no second line
    assert not caplog.records and again.validity(old.doc_id).status == STATUS_REPEALED


def test_the_cli_offers_the_statuses_a_user_may_mark():
    from assistant import cli
    from index.versions import USER_STATUSES

    assert cli.USER_STATUSES == USER_STATUSES  # the CLI names them without importing the index, for a fast --help

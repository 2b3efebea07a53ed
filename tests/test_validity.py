"""index/versions.py on its own: editions from 题注, repeals a text states, and how versions and statuses link."""
from __future__ import annotations

from index.history import read_history
from index.models import DocumentMeta
from index.versions import (
    STATUS_AMENDED, STATUS_CURRENT, STATUS_PENDING, STATUS_REPEALED, Mark, link, repealed_titles, stated_effective_date,
)


def meta(doc_id: str, title: str, version: str | None = None, edition: str | None = None, **kw) -> DocumentMeta:
    return DocumentMeta(doc_id, title, kw.pop("doc_number", None), None, kw.pop("date", None), "条例", f"{doc_id}.md", doc_id,
                        "md", version, edition, **kw)


def test_editions_read_from_the_history():
    assert read_history(["1994年12月8日 上海市…会议通过", "2016年7月29日 …第二次修订",
                         "2018年12月20日 …《关于修改本市部分地方性法规的决定》第五次修正"]).edition == "2018年修正"
    assert read_history(["2020年4月10日 上海市…会议通过"]).edition == "2020年通过"
    # re-adopted (a judicial interpretation): amended; a city's regulation approved by the province: one version
    assert read_history(["2014年12月18日 最高人民法院审判委员会第1636次会议通过",
                         "2022年3月22日 最高人民法院审判委员会第1866次会议通过", "2022年4月10日 施行"]).edition == "2022年修正"
    assert read_history(["2016年10月28日 日照市…会议通过", "2017年3月29日 山东省…会议批准"]).edition == "2017年批准"
    assert read_history(["2022年3月22日 …通过", "2022年4月10日 施行"]).effective_date == "2022-04-10"
    assert read_history([]).edition is None


def test_repeals_a_text_states():
    texts = ["第六十二条 本条例自2021年3月1日起施行。《浙江省信息化促进条例》同时废止。",
             "一、废止《北京市社会治安综合治理条例》（1992年9月19日…通过）",
             "本解释施行后，《A的解释》（法释〔2012〕21号）、《B的规定》同时废止；",
             "违反《中华人民共和国立法法》规定的，由…撤销或者改变。",  # no repeal
             "根据《国务院关于废止和修改部分行政法规的决定》修订"]  # a repeal's title, not a repeal
    assert repealed_titles(texts) == ("浙江省信息化促进条例", "北京市社会治安综合治理条例", "A的解释", "B的规定")
    assert stated_effective_date(texts) == "2021-03-01"
    assert stated_effective_date(["对于2015年1月1日起施行的条款"]) is None  # only 本…自…起施行


def test_versions_order_by_date_whatever_the_input_order():
    a = meta("a", "甲条例", "2020-04-10", "2020年通过")
    b = meta("b", "甲条例", "2024-09-27", "2024年修正")
    undated = meta("u", "甲条例")
    for order in ([a, b, undated], [undated, b, a], [b, undated, a]):
        v = link(order)
        assert (v["b"].status, v["a"].status, v["u"].status) == (STATUS_CURRENT, STATUS_AMENDED, STATUS_AMENDED)
        assert (v["a"].newer, v["u"].newer, v["a"].since) == ("b", "a", "2024-09-27")
        assert (v["b"].tag, v["a"].tag, v["u"].tag) == ("2024年修正", "2020年通过", "旧版")
        assert v["a"].versions == ("u", "a", "b")


def test_two_amendments_in_one_year_are_told_apart_by_date():
    v = link([meta("x", "乙条例", "2021-03-01", "2021年修正"), meta("y", "乙条例", "2021-10-28", "2021年修正")])
    assert (v["x"].tag, v["y"].tag) == ("2021年3月1日修正", "2021年修正")


def test_parts_of_one_law_are_all_current():
    v = link([meta("p1", "中华人民共和国民法典", "2020-05-28", "2020年通过", part="物权编"),
              meta("p2", "中华人民共和国民法典", "2020-05-28", "2020年通过", part="合同编")])
    assert v["p1"].status == v["p2"].status == STATUS_CURRENT and v["p1"].tag is None


def test_repeal_takes_effect_when_the_repealing_law_does_and_marks_override():
    old = meta("o", "中华人民共和国增值税暂行条例", "2016-02-06", "2016年修订")
    new = meta("n", "中华人民共和国增值税法", "2024-12-25", "2024年通过", effective_date="2026-01-01",
               repeals=("中华人民共和国增值税暂行条例",))
    assert link([old, new], today="2025-06-01")["o"].status == STATUS_CURRENT
    assert link([old, new], today="2025-06-01")["n"].status == STATUS_PENDING
    v = link([old, new], today="2026-06-01")
    assert (v["o"].status, v["o"].source, v["o"].since) == (STATUS_REPEALED, "n", "2026-01-01")
    marked = link([old, new], {"o": Mark("o", STATUS_CURRENT, "仍有效")}, today="2026-06-01")
    assert marked["o"].status == STATUS_CURRENT and marked["o"].note == "仍有效"


def test_old_records_read_with_the_new_fields_empty():
    old = {"doc_id": "d1", "title": "甲", "doc_number": None, "issuer": None, "date": None, "kind": None, "path": "p",
           "content_hash": "h", "fmt": "md", "future_field": 1}
    m = DocumentMeta.from_json(old)
    assert (m.version_date, m.edition, m.part, m.effective_date, m.repeals) == (None, None, None, None, ())
    assert DocumentMeta.from_json(m.to_json()) == m

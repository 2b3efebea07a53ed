"""起草助手, fast unit tests: numbers, unit lists and roles, targets, tasks, side-by-side matching, exports.

The wording here is made up on purpose (not copied from data/policies), so the rules are tested on text they
were not tuned on; the shipped plans are scored against gold tables in tests/test_drafting_service.py.
"""
from __future__ import annotations

import pytest

from assistant.drafting.compare import side_by_side
from assistant.drafting.export import ExportError, export, to_tsv
from assistant.drafting.numbers import find_values
from assistant.drafting.render import compare_table, targets_table, tasks_table
from assistant.drafting.targets import clause_targets
from assistant.drafting.tasks import clause_task, deadline_of
from assistant.drafting.types import LEAD, NOT_FOUND, SUPPORT
from assistant.drafting.units import paragraph_statements, parse_statement, same_unit
from index.models import KIND_TABLE_ROW, Clause, DocumentMeta

TITLE = "东岭区节能降碳行动方案（2025—2027年）"


def clause(text: str, label: str = "二（一）1", kind: str = "item", title: str = TITLE, doc_id: str = "dEL",
           path: tuple[str, ...] = ()) -> Clause:
    return Clause(clause_id=f"{doc_id}-{label}", doc_id=doc_id, doc_title=title, doc_number="东府发〔2025〕3号",
                  label=label, path=path, text=text, units=(), citation=f"《{title}》{label}", kind=kind)


def rows(c: Clause) -> list[tuple]:
    return [(t.value, t.unit, t.target_year, t.comparison) for t in clause_targets(c)]


# ---- numbers ------------------------------------------------------------------------------------

def test_values_keep_units_ranges_and_skip_names_of_things() -> None:
    text = "建成5-8个零碳街区，地铁9号线沿线改造，推广国五车辆，PM2.5浓度下降，节水12.5万立方米，提高1~3条"
    got = [(v.number, v.unit) for v in find_values(text)]
    assert got == [("5-8", "个"), ("12.5", "万立方米"), ("1-3", "条")]


def test_counts_in_ten_thousands() -> None:
    assert [(v.number, v.unit) for v in find_values("新植乔木1.2万株，建成5万户智能电表")] == [("1.2", "万株"), ("5", "万户")]


def test_a_bare_number_counts_only_after_a_comparison_word() -> None:
    assert [(v.number, v.unit) for v in find_values("机房能效比（PUE）不超过1.2，第3批")] == [("1.2", "")]


def test_chinese_counts_only_after_a_minimum_or_a_building_verb() -> None:
    assert [(v.number, v.unit) for v in find_values("至少打造两个近零碳园区，形成三个层级的网络")] == [("2", "个")]


# ---- unit lists and roles -----------------------------------------------------------------------

@pytest.mark.parametrize("inner, expected", [
    ("区商务委、区科委、区财政局等按职责分工负责", [("区商务委", LEAD), ("区科委", SUPPORT), ("区财政局", SUPPORT)]),
    ("主责单位：区水务局；协办单位：区农业农村委、各镇", [("区水务局", LEAD), ("区农业农村委", SUPPORT), ("各镇", SUPPORT)]),
    ("区城管执法局牵头，区市场监管局、各街道配合", [("区城管执法局", LEAD), ("区市场监管局", SUPPORT), ("各街道", SUPPORT)]),
    ("责任部门：区文化旅游局（体育局）、区教育局", [("区文化旅游局（体育局）", LEAD), ("区教育局", SUPPORT)]),
    ("区卫生健康委牵头负责", [("区卫生健康委", LEAD)]),
])
def test_statement_roles(inner: str, expected: list[tuple[str, str]]) -> None:
    assert [(a.unit, a.role) for a in parse_statement(inner)] == expected


def test_each_paragraph_keeps_its_own_unit_list_and_a_list_may_wrap_a_line() -> None:
    text = ("（三）加强监测\n建设监测网络。（区生态环境局、区气象局按职责分工负责）\n"
            "完善考核办法。（责任单位：\n区统计局、区财政局）")
    sts = paragraph_statements(text)
    assert [[a.unit for a in st.assignments] for st in sts] == [["区生态环境局", "区气象局"], ["区统计局", "区财政局"]]
    assert sts[1].paragraph == "完善考核办法。"


def test_a_unit_list_on_its_own_line_closes_the_paragraph_above() -> None:
    text = "（二）推广节水器具\n到2027年节水器具普及率达到95%。\n牵头部门：区水务局  协同部门：区住建委、各街道\n开展宣传。（区融媒体中心）"
    sts = paragraph_statements(text)
    assert [[(a.unit, a.role) for a in st.assignments] for st in sts] == [
        [("区水务局", LEAD), ("区住建委", SUPPORT), ("各街道", SUPPORT)], [("区融媒体中心", LEAD)]]
    assert sts[0].paragraph.endswith("普及率达到95%。") and sts[1].paragraph == "开展宣传。"
    t = clause_targets(clause(text))[0]
    assert (t.value, t.target_year, t.units) == ("95", 2027, ("区水务局", "区住建委", "各街道"))


def test_a_parenthetical_inside_a_sentence_is_no_unit_list() -> None:
    assert paragraph_statements("推广能源管理系统（EMS），降低能耗（以单位产值计）的水平。") == []


@pytest.mark.parametrize("a, b, same", [
    ("区卫健委", "区卫生健康委员会", True),
    ("区文旅局", "区文化和旅游局", True),
    ("上海市水务局", "市水务局", True),
    ("区水务局", "市水务局", False),
    ("区科经委", "区经委", False),
    ("区规划资源局", "区规划和自然资源局", True),
])
def test_unit_abbreviations(a: str, b: str, same: bool) -> None:
    assert same_unit(a, b) is same


# ---- targets ------------------------------------------------------------------------------------

def test_years_pair_with_values_and_a_start_year_sets_no_deadline() -> None:
    c = clause("2026年、2028年，全区新能源车辆保有量分别力争达到3万辆、5万辆左右。"
               "2025年起新建商业建筑屋面绿化比例不低于20%。（区交通委、区建管委按职责分工负责）")
    assert rows(c) == [("3", "万辆", 2026, "达到"), ("5", "万辆", 2028, "左右"), ("20", "%", None, "不低于")]
    assert all(t.units == ("区交通委", "区建管委") for t in clause_targets(c))


def test_a_change_keeps_its_baseline_and_a_level_does_not() -> None:
    c = clause("到2027年，万元产值用水量较2024年降低12%，再生水利用率提高到35%。")
    ts = clause_targets(c)
    assert [(t.value, t.comparison, t.baseline_year, t.target_year) for t in ts] == [
        ("12", "下降", 2024, 2027), ("35", "达到", None, 2027)]
    assert ts[0].comparison_text == "较2024年下降"
    assert "用水量" in ts[0].indicator and "再生水利用率" in ts[1].indicator


def test_numbers_that_qualify_a_noun_are_no_targets() -> None:
    c = clause("支持5000平方米以上的商业综合体开展节能诊断，对大于30个车位的停车场配建充电设施，"
               "以2条滨江绿廊、6条楔形绿地为骨架，到2026年新增绿道20公里，建成面积80%以上达标。")
    assert rows(c) == [("20", "公里", 2026, "完成"), ("80", "%", 2026, "不低于")]


def test_opening_deadline_and_plan_period_date_later_figures() -> None:
    c = clause("到2027年，全区绿色发展水平明显提升。森林覆盖率达到22%。\n三年内累计建成口袋公园30座。", label="一")
    assert rows(c) == [("22", "%", 2027, "达到"), ("30", "座", 2027, "完成")]


def test_annex_row_with_year_columns() -> None:
    c = clause("指标名称：再生水利用率；计量单位：%；2024年现状值：28；2027年目标值：35；责任部门：区水务局",
               label="附件1 第4项", kind=KIND_TABLE_ROW)
    (t,) = clause_targets(c)
    assert (t.indicator, t.value, t.unit, t.baseline_year, t.target_year, t.units) == (
        "再生水利用率", "35", "%", 2024, 2027, ("区水务局",))


def test_annex_row_with_slash_pairs_and_a_deadline_column() -> None:
    c = clause("重点任务：建成充电桩800个/1500个，其中快充桩不少于200个/400个；完成时限：2026年/2027年；牵头单位：区交通委",
               label="附件2 第3项", kind=KIND_TABLE_ROW)
    assert rows(c) == [("800", "个", 2026, "完成"), ("1500", "个", 2027, "完成"),
                       ("200", "个", 2026, "不低于"), ("400", "个", 2027, "不低于")]


def test_notices_and_closing_lines_have_no_targets() -> None:
    assert clause_targets(clause("经2025年3月2日第12次常务会议通过，印发50份。", label="印发通知", kind="preamble")) == []


# ---- tasks --------------------------------------------------------------------------------------

def test_task_role_deadline_and_partners() -> None:
    c = clause("（二）推进屋顶光伏\n到2026年底前完成公共建筑屋顶光伏改造。（牵头单位：区机管局；配合单位：区发改委、区教育局）",
               label="三（二）", path=("三、重点任务", "（二）推进屋顶光伏"))
    t = clause_task(c, "区发展改革委")
    assert (t.role, t.written_as, t.task, t.deadline, t.lead) == (SUPPORT, "区发改委", "推进屋顶光伏", "2026年底前", ("区机管局",))
    assert t.partners == ("区机管局", "区教育局")
    assert clause_task(c, "市发展改革委") is None


def test_annex_lead_column_makes_every_unit_lead() -> None:
    c = clause("工作任务：编制节水规划；完成时间：2025年9月底前；牵头部门：区水务局、区规划资源局；配合部门：区发改委",
               label="附件2 第1项", kind=KIND_TABLE_ROW)
    assert clause_task(c, "区规划资源局").role == LEAD
    t = clause_task(c, "区发展改革委")
    assert (t.role, t.deadline, t.task) == (SUPPORT, "2025年9月底前", "编制节水规划")


def test_deadline_phrases() -> None:
    assert deadline_of("“十五五”期间全面推广，力争2026年底前完成，较2020年下降") == "2026年底前、“十五五”期间（2030年）"


# ---- side by side -------------------------------------------------------------------------------

def _meta(doc_id: str, title: str) -> DocumentMeta:
    return DocumentMeta(doc_id, title, None, None, None, "实施方案", "x.txt", "h", "txt")


def test_side_by_side_finds_other_wording_and_says_not_found() -> None:
    a, b, c = _meta("dA", "甲区方案"), _meta("dB", "乙区方案"), _meta("dC", "丙区方案")
    by_doc = {
        "dA": [clause("到2026年，新能源汽车推广应用2万辆，公交车全部更换为纯电动公交车，出租车电动化率达到60%。", "二（一）", doc_id="dA"),
               clause("完善养老服务设施布局。", "二（二）", doc_id="dA")],
        "dB": [clause("加快新能源汽车推广，新增出租车和公交车原则上使用纯电动车辆。", "三（一）", doc_id="dB"),
               clause("推进河道整治。", "三（二）", doc_id="dB")],
        "dC": [clause("公交车和出租车全面电动化，纯电动车辆占新增车辆比例不低于70%。", "四（一）", doc_id="dC"),
               clause("建设社区食堂20个。", "四（二）", doc_id="dC")],
    }
    rows_ = side_by_side("新能源汽车", [a, b, c], by_doc)
    assert [r.provisions[0].label if r.found else NOT_FOUND for r in rows_] == ["二（一）", "三（一）", "四（一）"]
    assert any("2万辆" in f for f in rows_[0].provisions[0].figures)
    rows_ = side_by_side("森林覆盖率", [a, b, c], by_doc)
    assert [r.found for r in rows_] == [False, False, False]


# ---- tables and exports -------------------------------------------------------------------------

def _tables():
    c = clause("到2026年，全区新增光伏装机5万千瓦，屋顶光伏覆盖率达到40%。（区发改委、区机管局按职责分工负责）")
    cmp_rows = side_by_side("光伏装机", [_meta("dEL", TITLE), _meta("dX", "西岭区方案")], {"dEL": [c], "dX": []})
    return [targets_table(clause_targets(c)), tasks_table([clause_task(c, "区发展改革委")]), compare_table(cmp_rows)]


def test_xlsx_and_docx_hold_every_row_and_citation(tmp_path) -> None:
    import docx
    import openpyxl

    for k, table in enumerate(_tables()):
        assert table.rows
        ws = openpyxl.load_workbook(export(table, "xlsx", tmp_path / f"t{k}.xlsx")).active
        values = [[c.value or "" for c in r] for r in ws.iter_rows()]
        assert tuple(values[0]) == table.columns and len(values) == len(table.rows) + 1
        cite = table.columns.index(table.citation_column)
        assert [v[cite] for v in values[1:]] == [r[cite] for r in table.rows]
        d = docx.Document(str(export(table, "docx", tmp_path / f"t{k}.docx")))
        grid = d.tables[0]
        assert len(grid.rows) == len(table.rows) + 1
        assert [c.text for c in grid.rows[0].cells] == list(table.columns)
        for r, row in zip(grid.rows[1:], table.rows):
            assert r.cells[cite].text == row[cite]
        east_asian = {run._element.rPr.rFonts.get(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
            for p in d.paragraphs for run in p.runs}
        assert east_asian == {"宋体"}


def test_not_found_row_and_tsv() -> None:
    targets, tasks, cmp = _tables()
    assert cmp.rows[1][3] == NOT_FOUND
    tsv = to_tsv(cmp).splitlines()
    assert len(tsv) == 3 and all(line.count("\t") == len(cmp.columns) - 1 for line in tsv)
    assert "区发改委" in tasks.rows[0][0] and tasks.rows[0][1] == LEAD


def test_unknown_export_format_is_refused(tmp_path) -> None:
    with pytest.raises(ExportError, match="xlsx"):
        export(_tables()[0], "pdf", tmp_path / "t.pdf")

"""起草助手 in Debian's Chromium: each tool once — 对照, 按单位, 指标 — with its exports and its TSV copy.

Screenshots are taken on every run; `UPDATE_SCREENSHOTS=1` also writes them to docs/screenshots/ (the README
embeds them). Other browser tests may have uploaded plans to the shared app first, so counts are lower bounds.
"""
from __future__ import annotations

import pytest

from test_browser import WAIT_MS, browser, dialogs, expect, page, shoot, tab  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
PLANS = 5  # the shipped plans; uploads by other tests add more


def drafting(pg, tool: str) -> None:
    tab(pg, "起草助手")
    tab(pg, tool)


def download(pg, selector: str, tmp_path):
    with pg.expect_download(timeout=WAIT_MS) as d:
        pg.click(selector)
    path = tmp_path / d.value.suggested_filename
    d.value.save_as(str(path))
    return path


def body_rows(pg, key: str):
    return pg.locator(f"#{key}-out table.draft-table tbody tr")


def test_compare_a_topic_across_plans(page, dialogs, tmp_path):
    drafting(page, "对照")
    page.fill("#cmp-topic textarea", "充电桩")
    page.click("#cmp-btn")
    rows = body_rows(page, "cmp")
    expect(rows.first).to_be_visible(timeout=WAIT_MS)
    assert rows.count() >= PLANS
    city = rows.filter(has_text="上海市减污降碳协同增效实施方案")
    expect(city).to_contain_text("未找到")
    putuo = rows.filter(has_text="普陀区碳达峰实施方案")
    expect(putuo).to_contain_text("二（四）2")
    expect(putuo).to_contain_text("1500个")
    expect(putuo).to_contain_text("《普陀区碳达峰实施方案》（普府〔2023〕24号）二、（四）2.")
    tsv = page.locator("#cmp-tsv textarea")
    expect(tsv).to_have_value(__import__("re").compile(r"^文件\t文号\t条款"))
    import openpyxl

    sheet = openpyxl.load_workbook(download(page, "#cmp-xlsx", tmp_path)).active
    cites = [r[-1].value or "" for r in sheet.iter_rows(min_row=2)]
    assert len(cites) == rows.count() and "《普陀区碳达峰实施方案》（普府〔2023〕24号）二、（四）2." in cites
    assert dialogs == []
    shoot(page, "drafting-compare", tmp_path)


def test_tasks_of_a_unit_by_its_abbreviation(page, tmp_path):
    drafting(page, "按单位")
    page.fill("#unit-name textarea", "区发改委")
    page.locator("#unit-role").get_by_text("牵头", exact=True).click()
    docs = page.locator("#unit-docs input")
    docs.click()
    page.locator("#unit-docs").get_by_role("option", name="松江区碳达峰实施方案", exact=True).click()
    page.locator("#unit-name textarea").click()  # close the list
    page.click("#unit-btn")
    rows = body_rows(page, "unit")
    expect(rows).to_have_count(12, timeout=WAIT_MS)  # 松江: the 12 tasks 区发展改革委 leads (eval/drafting/tasks.csv)
    assert set(rows.locator("td:nth-child(2)").all_inner_texts()) == {"牵头"}
    assert set(rows.locator("td:nth-child(5)").all_inner_texts()) == {"松江区碳达峰实施方案"}
    expect(page.locator("#unit-out")).to_contain_text("也写作：区发展改革委")
    expect(rows.filter(has_text="附件1 第2项")).to_contain_text("到2025年")
    copy = page.locator("#unit-tsv button[aria-label*='opy'], #unit-tsv button[title*='opy']").first
    copy.click()
    pasted = page.evaluate("navigator.clipboard.readText()")
    assert pasted.startswith("单位\t角色\t任务") and pasted.count("\n") == 12 + 1
    shoot(page, "drafting-unit", tmp_path)


def test_targets_of_one_year_and_word_export(page, tmp_path):
    drafting(page, "指标")
    year = page.get_by_role("combobox", name="目标年")
    year.click()
    page.get_by_role("option", name="2030", exact=True).click()
    expect(year).to_have_value("2030")
    page.click("#tgt-btn")
    rows = body_rows(page, "tgt")
    expect(rows.first).to_be_visible(timeout=WAIT_MS)
    assert set(rows.locator("td:nth-child(5)").all_inner_texts()) == {"2030年"}
    expect(rows.filter(has_text="城镇新建建筑可再生能源替代率").first).to_contain_text("15%")
    import docx

    grid = docx.Document(str(download(page, "#tgt-docx", tmp_path))).tables[0]
    assert len(grid.rows) == rows.count() + 1
    assert all(r.cells[-1].text.startswith("《") for r in grid.rows[1:])
    shoot(page, "drafting-targets", tmp_path)

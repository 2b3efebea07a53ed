"""The app in Debian's Chromium: chat with citation cards, clause lookup, the document library, markup safety.

Screenshots of the three tabs are taken on every run; `UPDATE_SCREENSHOTS=1` also writes them to
docs/screenshots/ (the README embeds them).
"""
from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1000}
WAIT_MS = 60_000
SCREENSHOTS = ROOT / "docs" / "screenshots"
LIBRARY_MESSAGE = "#library-message [data-testid=markdown]"  # not the block: its progress timer is text too
FIRST_COLUMN = '[data-testid^="cell-"][data-testid$="-0"]'  # the document table's 标题 cells

JIADING_Q = "嘉定区到2025年新增光伏装机目标是多少？"
ARTICLE_18 = "《上海市环境保护条例》第十八条"
ARTICLE_18_START = "第十八条本市根据国家规定建立、健全生态保护补偿制度。"
NEW_TITLE = "滨江示范区绿色低碳试点方案"
NEW_NUMBER = "滨示发〔2024〕8号"
NEW_DOC = f"""滨江示范区管理委员会文件

{NEW_NUMBER}

{NEW_TITLE}

为推进示范区绿色低碳发展，制定本方案。

一、主要目标
（一）总体目标
1.到2026年建成12个零碳社区，建设绿色低碳示范园区3个。（责任单位：区发展改革委、区生态环境局）
2.到2026年完成既有公共建筑节能改造50万平方米。（责任单位：区建设管理委）
二、保障措施
（一）加强组织领导
1.成立试点工作领导小组，统筹推进各项工作。（责任单位：区政府办公室）
"""


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true requires the browser tests to run")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found (apt install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=WAIT_MS)
        yield b
        b.close()


@pytest.fixture
def dialogs() -> list[str]:
    """Messages of every alert/confirm/prompt the page opened (an XSS would show up here)."""
    return []


@pytest.fixture
def page(browser, app_server, dialogs):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_server.url.rstrip("/"))
    pg = context.new_page()
    pg.set_default_timeout(WAIT_MS)
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_app(pg, app_server.url)
    yield pg
    context.close()


def open_app(pg, url: str) -> None:
    pg.goto(url)
    pg.wait_for_selector("#question textarea", timeout=WAIT_MS)


def expect(locator):
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


def tab(pg, name: str) -> None:
    pg.get_by_role("tab", name=name, exact=True).click()


def ask(pg, question: str, answer_has: str, cards_have: str) -> str:
    """Send a question and wait for the finished answer; returns the answer text."""
    bots = pg.locator("[data-testid=bot]")
    before = bots.count()
    pg.fill("#question textarea", question)
    pg.click("#send")
    expect(bots).to_have_count(before + 1, timeout=WAIT_MS)
    expect(bots.last).to_contain_text(answer_has, timeout=WAIT_MS)
    expect(pg.locator("#cards")).to_contain_text(cards_have, timeout=WAIT_MS)
    expect(pg.locator("#question textarea")).to_have_value("")  # the box is cleared for the next question
    return bots.last.inner_text()


def shoot(pg, name: str, tmp_path: Path) -> Path:
    """A full-page screenshot; checked to be a real 1400-px-wide PNG, copied to docs/ on request."""
    pg.mouse.move(0, 0)  # no hover effects in the figure
    data = pg.screenshot(full_page=True, animations="disabled")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == VIEWPORT["width"] and height >= VIEWPORT["height"], (width, height)
    out = tmp_path / f"{name}.png"
    out.write_bytes(data)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{name}.png").write_bytes(data)
    return out


def library_rows(pg) -> list[str]:
    """Titles in the document table (first column cells)."""
    return [t.strip() for t in pg.locator(FIRST_COLUMN).all_inner_texts()]


def status_text(pg) -> str:
    return pg.locator("text=检索模式").first.locator("xpath=..").inner_text()


def upload(pg, paths: list[Path]) -> None:
    clear = pg.locator("#upload button[aria-label=Clear]")
    if clear.count():
        clear.click()
    pg.set_input_files("#upload input[type=file]", [str(p) for p in paths])
    for p in paths:
        expect(pg.locator(f'#upload td.filename[aria-label="{p.name}"]')).to_have_count(1)
    pg.click("#import")


# ---- 智能问答 ---------------------------------------------------------------------------------


def test_chat_answer_with_citation_card_and_follow_up(page, dialogs, tmp_path):
    answer = ask(page, JIADING_Q, "29.4万千瓦", "嘉府发〔2023〕27号")
    assert "[1]" in answer and "⚠️" not in answer
    card = page.locator("#cards .card").first
    expect(card.locator(".num")).to_have_text("[1]")
    expect(card.locator(".head")).to_contain_text("《嘉定区减污降碳协同增效实施方案》 嘉府发〔2023〕27号 · 二（一）1")
    expect(card.locator(".text")).to_contain_text("新增光伏装机容量29.4万千瓦")
    expect(card.locator(".copy-btn")).to_have_count(1)

    follow = ask(page, "那普陀区呢？", "2.2万千瓦", "普陀区碳达峰实施方案")
    assert "[1]" in follow and "29.4" not in follow
    expect(page.locator("#cards .card").first).to_contain_text("普府〔2023〕24号")
    expect(page.locator("#cards")).not_to_contain_text("嘉府发")
    expect(page.locator("[data-testid=user]")).to_have_count(2)
    assert dialogs == []
    shoot(page, "chat", tmp_path)


# ---- 条款查找 ---------------------------------------------------------------------------------


def test_lookup_by_reference_and_within_a_document(page, app_server, tmp_path):
    tab(page, "条款查找")
    page.fill("#lookup-query textarea", "环境保护条例 第十八条")
    page.click("#lookup-btn")
    results = page.locator("#lookup-results")
    expect(results).to_contain_text("按引用精确匹配")
    expect(results.locator(".card")).to_have_count(1)
    expect(results.locator(".card .cite")).to_have_text(ARTICLE_18)
    expect(results.locator(".card .text")).to_contain_text(ARTICLE_18_START)
    copy = results.locator(".card .copy-btn")
    copy.click()
    expect(copy).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()").startswith(f"{ARTICLE_18}\n{ARTICLE_18_START}")

    open_app(page, app_server.url)  # a fresh page: the second search must render on its own
    tab(page, "条款查找")
    doc = page.get_by_role("combobox", name="文件", exact=True)
    doc.click()
    page.get_by_role("option", name="上海市环境保护条例", exact=True).click()
    expect(doc).to_have_value("上海市环境保护条例")
    page.fill("#lookup-query textarea", "第十八条")
    page.click("#lookup-btn")
    expect(results.locator(".card")).to_have_count(1)
    expect(results.locator(".card .cite")).to_have_text(ARTICLE_18)
    expect(results.locator(".card .text")).to_contain_text(ARTICLE_18_START)
    shoot(page, "lookup", tmp_path)


def test_lookup_keywords_show_ranked_scores(page):
    tab(page, "条款查找")
    page.fill("#lookup-query textarea", "新增光伏装机容量")
    page.locator("#lookup-query textarea").press("Enter")
    results = page.locator("#lookup-results")
    expect(results).to_contain_text("按相关度排序")
    scores = [float(s.removeprefix("得分 ")) for s in results.locator(".card .score").all_inner_texts()]
    assert len(scores) >= 3 and scores == sorted(scores, reverse=True), scores
    expect(results.locator(".card").first).to_contain_text("光伏")


# ---- 文件库 -----------------------------------------------------------------------------------


def test_library_upload_then_ask_and_bad_files(page, tmp_path):
    new = tmp_path / "滨江试点方案.txt"
    new.write_text(NEW_DOC, encoding="utf-8")
    tab(page, "文件库")
    before = library_rows(page)
    assert len(before) >= 6 and NEW_TITLE not in before

    upload(page, [new])
    message = page.locator(LIBRARY_MESSAGE)
    expect(message).to_contain_text("✅ 导入 1 个文件", timeout=WAIT_MS)
    cells = page.locator(FIRST_COLUMN)
    expect(cells).to_have_count(len(before) + 1)
    assert library_rows(page)[-1] == NEW_TITLE
    expect(page.get_by_text(NEW_NUMBER, exact=True)).to_have_count(1)
    assert f"文件：{len(before) + 1} 个" in status_text(page)
    shoot(page, "library", tmp_path)

    tab(page, "智能问答")
    answer = ask(page, "滨江示范区到2026年建成多少个零碳社区？", "12个零碳社区", NEW_NUMBER)
    assert "[1]" in answer
    expect(page.locator("#cards .card").first).to_contain_text(NEW_TITLE)

    bad = {"empty.txt": b"", "scan.txt": bytes(range(256)) * 8, "broken.pdf": b"%PDF-1.4\nnot really a pdf",
           "broken.docx": b"PK\x03\x04 not really a docx"}
    paths = []
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    tab(page, "文件库")
    upload(page, paths)
    expect(message).to_contain_text("❌ broken.docx", timeout=WAIT_MS)
    lines = [line.strip() for line in message.inner_text().splitlines() if line.strip()]
    failed = [line for line in lines if line.startswith("❌")]
    assert len(failed) == len(bad), lines
    for name in bad:
        (line,) = [f for f in failed if f.startswith(f"❌ {name}: ")]
        assert len(line) > len(f"❌ {name}: ") + 4, line  # a reason follows the name
    assert "✅ 导入 0 个文件" in message.inner_text()
    expect(cells).to_have_count(len(before) + 1)
    assert f"文件：{len(before) + 1} 个" in status_text(page)


def test_library_unsupported_type_is_reported_in_the_message(page, tmp_path):
    xlsx = tmp_path / "统计表.xlsx"
    xlsx.write_bytes(b"PK\x03\x04 a spreadsheet")
    tab(page, "文件库")
    page.set_input_files("#upload input[type=file]", [str(xlsx)])
    page.click("#import")
    message = page.locator(LIBRARY_MESSAGE)
    expect(message).not_to_be_empty(timeout=WAIT_MS)
    text = message.inner_text()
    assert "❌ 统计表.xlsx: 不支持的文件类型 .xlsx" in text, text


def test_library_is_current_after_reload(page, app_server, tmp_path):
    doc = tmp_path / "刷新检查.txt"
    doc.write_text("刷新检查区节水工作方案\n刷水发〔2024〕5号\n一、主要目标\n（一）总体目标\n"
                   "1.到2026年建成节水型小区8个。（责任单位：区水务局）\n", encoding="utf-8")
    tab(page, "文件库")
    upload(page, [doc])
    expect(page.locator(LIBRARY_MESSAGE)).to_contain_text("✅ 导入 1 个文件", timeout=WAIT_MS)
    count = len(library_rows(page))
    open_app(page, app_server.url)
    tab(page, "文件库")
    expect(page.locator(FIRST_COLUMN).first).to_be_visible()
    assert "刷新检查区节水工作方案" in library_rows(page)
    assert f"文件：{count} 个" in status_text(page)


# ---- markup in a question ----------------------------------------------------------------------

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def test_markup_in_question_is_inert(page, dialogs):
    ask(page, PAYLOAD + JIADING_Q, "29.4万千瓦", "嘉府发〔2023〕27号")
    page.wait_for_timeout(1000)  # time for a broken image's onerror to fire
    assert dialogs == []
    assert page.evaluate("document.querySelectorAll('[onerror]').length") == 0
    assert page.evaluate("Array.from(document.scripts).some(s => s.text.includes('alert(1)'))") is False
    expect(page.locator("#cards")).not_to_contain_text("alert")


def test_markup_in_question_is_shown_as_typed(page):
    ask(page, PAYLOAD + JIADING_Q, "29.4万千瓦", "嘉府发〔2023〕27号")
    shown = page.locator("[data-testid=user]").last
    assert page.evaluate("document.querySelectorAll('[data-testid=user] img').length") == 0
    assert PAYLOAD in shown.inner_text()

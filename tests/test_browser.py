"""The app in Debian's Chromium: chat with each answer's citation cards, copy, Word export, history, feedback,
the layout at 1366×768, clause lookup, the document library, markup safety.

Screenshots are taken on every run; `UPDATE_SCREENSHOTS=1` also writes them to docs/screenshots/ (the README
embeds them).
"""
from __future__ import annotations

import json
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
LAPTOP = {"width": 1366, "height": 768}
WAIT_MS = 60_000
SCREENSHOTS = ROOT / "docs" / "screenshots"
LIBRARY_MESSAGE = "#library-message [data-testid=markdown]"  # not the block: its progress timer is text too
FIRST_COLUMN = '[data-testid^="cell-"][data-testid$="-0"]'  # the document table's 标题 cells
TURNS = ".turn[data-turn]"  # finished turns (a turn being answered has no number yet)

JIADING_Q = "嘉定区到2025年新增光伏装机目标是多少？"
JIADING_CITATION = "《嘉定区减污降碳协同增效实施方案》（嘉府发〔2023〕27号）二、（一）1."
PUTUO_CITATION = "《普陀区碳达峰实施方案》（普府〔2023〕24号）二、（一）1."
SONGJIANG_Q = "松江区新增充电桩的目标和牵头部门是什么？"
ARTICLE_18 = "《上海市环境保护条例》（2018年修正）第十八条"
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


def new_page(browser, app_server, dialogs, viewport=VIEWPORT):
    context = browser.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_server.url.rstrip("/"))
    pg = context.new_page()
    pg.set_default_timeout(WAIT_MS)
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_app(pg, app_server.url)
    return pg


@pytest.fixture
def page(browser, app_server, dialogs):
    pg = new_page(browser, app_server, dialogs)
    yield pg
    pg.context.close()


@pytest.fixture
def laptop(browser, app_server, dialogs):
    """A 1366×768 screen, the most common office laptop."""
    pg = new_page(browser, app_server, dialogs, LAPTOP)
    yield pg
    pg.context.close()


def open_app(pg, url: str) -> None:
    pg.goto(url)
    pg.wait_for_selector("#question textarea", timeout=WAIT_MS)


def expect(locator):
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


def tab(pg, name: str) -> None:
    pg.get_by_role("tab", name=name, exact=True).click()


def ask(pg, question: str, answer_has: str, cards_have: str, key: bool = False) -> str:
    """Send a question (button, or Enter) and wait for the finished answer; returns the answer text."""
    turns = pg.locator(TURNS)
    before = turns.count()
    pg.fill("#question textarea", question)
    if key:
        pg.locator("#question textarea").press("Enter")
    else:
        pg.click("#send")
    expect(turns).to_have_count(before + 1, timeout=WAIT_MS)
    answer = turns.last.locator(".answer")
    expect(answer).to_contain_text(answer_has, timeout=WAIT_MS)
    expect(pg.locator("#cards .group.active")).to_contain_text(cards_have, timeout=WAIT_MS)
    expect(pg.locator("#question textarea")).to_have_value("")  # the box is cleared for the next question
    return answer.inner_text()


def shoot(pg, name: str, tmp_path: Path, full_page: bool = True) -> Path:
    """A screenshot checked to be a real PNG of the page's width; copied to docs/ on request."""
    pg.mouse.move(0, 0)  # no hover effects in the figure
    data = pg.screenshot(full_page=full_page, animations="disabled")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    size = pg.viewport_size
    assert width == size["width"] and height >= size["height"], (width, height)
    out = tmp_path / f"{name}.png"
    out.write_bytes(data)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{name}.png").write_bytes(data)
    return out


def library_rows(pg) -> list[str]:
    """Titles in the document table (first column cells)."""
    return [t.strip() for t in pg.locator(FIRST_COLUMN).all_inner_texts()]


def choose(pg, label: str, option: str) -> None:
    """Pick an option of a Gradio dropdown: type to filter its list, then click the option."""
    box = pg.get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(option)
    pg.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option)


def status_text(pg) -> str:
    return pg.locator("#status-line").inner_text()


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
    card = page.locator("#cards .group.active .card").first
    expect(card.locator(".num")).to_have_text("[1]")
    expect(card.locator(".cite")).to_have_text(JIADING_CITATION)
    expect(card.locator(".text")).to_contain_text("新增光伏装机容量29.4万千瓦")
    expect(card.locator("mark.src")).to_contain_text("29.4万千瓦")  # the sentence the answer rests on
    expect(card.locator(".copy-btn")).to_have_count(1)
    assert card.inner_text().count("区发展改革委") == 1  # 责任单位 once, not again below the text

    follow = ask(page, "那普陀区呢？", "2.2万千瓦", "普陀区碳达峰实施方案")
    assert "[1]" in follow and "29.4" not in follow
    expect(page.locator("#cards .group.active .card").first).to_contain_text("普府〔2023〕24号")
    expect(page.locator("#cards .group.active")).not_to_contain_text("嘉府发")
    expect(page.locator("[data-testid=user]")).to_have_count(2)
    assert dialogs == []
    shoot(page, "chat", tmp_path)


def test_broad_question_lists_the_sections_items_with_their_own_cards(page):
    """有哪些 about a section: each item of 嘉定 二（三） listed and cited, with how many there are."""
    answer = ask(page, "嘉定区在交通方面有哪些减污降碳举措？", "优化综合交通运输体系结构", "嘉府发〔2023〕27号")
    for item in ("加快道路交通能源结构转型", "推动船舶港口污染防治与碳减排协同增效", "共4项"):
        assert item in answer, answer
    cards = page.locator("#cards .group.active .card")
    expect(cards).to_have_count(4, timeout=WAIT_MS)  # one card per item, each its own clause
    expect(cards.nth(3).locator(".cite")).to_contain_text("二、（三）4.")


def test_list_question_quotes_the_articles_items(page):
    """哪些情形 of a statute: the article's 项 quoted under its lead-in, the article named."""
    answer = ask(page, "环保条例规定碰到哪些情形，市里要约谈区政府主要负责人？", "未完成环境质量改善目标", "第四十条")
    assert "《上海市环境保护条例》第四十条" in answer and "未完成重大污染治理任务" in answer, answer
    expect(page.locator("#cards .group.active .card").first.locator(".cite")).to_have_text("《上海市环境保护条例》（2018年修正）第四十条")


def test_enter_sends_and_shift_enter_is_a_newline(page):
    box = page.locator("#question textarea")
    box.fill("嘉定区到2025年")
    box.press("Shift+Enter")
    box.press_sequentially("新增光伏装机目标是多少？")
    expect(box).to_have_value("嘉定区到2025年\n新增光伏装机目标是多少？")
    expect(page.locator(TURNS)).to_have_count(0)  # a newline, nothing sent
    box.press("Enter")
    expect(page.locator(TURNS)).to_have_count(1)
    expect(page.locator(TURNS).last.locator(".answer")).to_contain_text("29.4万千瓦")
    expect(page.locator("[data-testid=user]").last).to_contain_text("嘉定区到2025年\n新增光伏装机目标是多少？")
    expect(box).to_have_value("")


def test_layout_at_1366x768_keeps_question_and_last_answer_in_view(laptop, tmp_path):
    pg = laptop
    ask(pg, JIADING_Q, "29.4万千瓦", "嘉府发", key=True)
    ask(pg, "那普陀区呢？", "2.2万千瓦", "普府", key=True)
    ask(pg, SONGJIANG_Q, "3500个", "沪松府", key=True)
    height = LAPTOP["height"]
    assert pg.evaluate("document.documentElement.scrollHeight") <= height + 1  # the page itself doesn't scroll
    question = pg.locator("#question textarea").bounding_box()
    send = pg.locator("#send").bounding_box()
    assert 0 <= question["y"] and question["y"] + question["height"] <= height, question
    assert send["y"] + send["height"] <= height, send
    chat = pg.locator("#chat").bounding_box()
    assert chat["y"] >= 0 and chat["y"] + chat["height"] <= question["y"], chat
    # the newest answer is scrolled into the conversation box and ends inside it (the scroll may still be moving
    # when the answer is shown: wait for it to settle, up to the usual expect timeout)
    pg.wait_for_function(
        """([sel]) => { const c = document.querySelector('#chat').getBoundingClientRect();
                        const turns = document.querySelectorAll(sel);
                        const b = turns[turns.length - 1].querySelector('[data-testid=bot]').getBoundingClientRect();
                        return c.top - 1 <= b.bottom && b.bottom <= c.bottom + 1; }""", arg=[TURNS], timeout=5000)
    last = pg.locator(TURNS).last.locator("[data-testid=bot]").bounding_box()
    assert chat["y"] - 1 <= last["y"] + last["height"] <= chat["y"] + chat["height"] + 1, (last, chat)
    assert last["y"] + last["height"] <= height
    cards = pg.locator("#cards").bounding_box()
    assert cards["y"] + cards["height"] <= height, cards  # the cards panel scrolls inside the viewport
    status = pg.locator("#status-line").bounding_box()
    assert status["height"] < 30, status  # one short line
    expect(pg.locator("#status-line")).to_contain_text("仅关键词检索（BM25）")
    shoot(pg, "chat-1366x768", tmp_path, full_page=False)


def test_cite_link_of_an_earlier_answer_shows_and_marks_its_own_card(page):
    ask(page, JIADING_Q, "29.4万千瓦", "嘉府发")
    ask(page, "那普陀区呢？", "2.2万千瓦", "普府")
    ask(page, SONGJIANG_Q, "3500个", "沪松府")
    expect(page.locator("#cards .group.active")).to_have_attribute("data-turn", "2")

    page.locator(TURNS).first.locator(".cite-link").first.click()
    group = page.locator("#cards .group.active")
    expect(group).to_have_attribute("data-turn", "0")
    card = group.locator('.card[data-n="1"]')
    expect(card.locator(".cite")).to_have_text(JIADING_CITATION)
    expect(card).to_have_class("card flash")
    expect(card.locator("mark.src.hit")).to_contain_text("新增光伏装机容量29.4万千瓦")
    panel, box = page.locator("#cards").bounding_box(), card.bounding_box()
    assert panel["y"] - 1 <= box["y"] < panel["y"] + panel["height"], (box, panel)  # scrolled into the panel
    expect(page.locator(".card:visible", has_text="普府〔2023〕24号")).to_have_count(0)  # no other answer's card

    page.locator(TURNS).nth(1).locator(".answer").click()  # clicking an answer shows its cards
    expect(page.locator("#cards .group.active")).to_have_attribute("data-turn", "1")
    expect(page.locator("#cards .group.active .card").first.locator(".cite")).to_have_text(PUTUO_CITATION)


def test_copy_gives_the_answer_and_its_formal_citations(page):
    answer = ask(page, JIADING_Q, "29.4万千瓦", "嘉府发")
    copy = page.locator(TURNS).last.locator(".act.copy")
    copy.click()
    expect(copy).to_have_text("已复制")
    clipboard = page.evaluate("navigator.clipboard.readText()")
    assert clipboard == f"{answer.strip()}\n\n依据：\n[1] {JIADING_CITATION}", clipboard


def test_export_word_holds_answers_and_formal_citations(page, tmp_path):
    from docx import Document

    first = ask(page, JIADING_Q, "29.4万千瓦", "嘉府发")
    second = ask(page, "那普陀区呢？", "2.2万千瓦", "普府")
    with page.expect_download() as info:
        page.locator(TURNS).first.locator(".act.export").click()
    one = tmp_path / "one.docx"
    info.value.save_as(one)
    assert info.value.suggested_filename.endswith(".docx")
    text = "\n".join(p.text for p in Document(str(one)).paragraphs)
    assert first.strip() in text and f"[1] {JIADING_CITATION}" in text and "那普陀区呢" not in text

    with page.expect_download() as info:
        page.click("#export-all")
    both = tmp_path / "both.docx"
    info.value.save_as(both)
    text = "\n".join(p.text for p in Document(str(both)).paragraphs)
    for answer in (first, second):
        assert answer.strip() in text
    assert f"[1] {JIADING_CITATION}" in text and f"[1] {PUTUO_CITATION}" in text


def test_history_survives_reload_and_can_be_reopened_and_cleared(page, app_server):
    ask(page, JIADING_Q, "29.4万千瓦", "嘉府发")
    open_app(page, app_server.url)
    expect(page.locator(TURNS)).to_have_count(1)
    expect(page.locator(TURNS).first.locator(".answer")).to_contain_text("29.4万千瓦")
    expect(page.locator("#cards .group.active")).to_contain_text(JIADING_CITATION)  # cards come back too

    page.click("#new-chat")
    expect(page.locator(TURNS)).to_have_count(0)
    ask(page, SONGJIANG_Q, "3500个", "沪松府")
    open_app(page, app_server.url)
    expect(page.locator(TURNS)).to_have_count(1)
    expect(page.locator(TURNS).first).to_contain_text(SONGJIANG_Q)

    page.locator("#history").get_by_text("历史对话").click()
    listing = page.locator("#history-list input")
    listing.click()
    options = page.get_by_role("option")
    expect(options).to_have_count(2)
    page.get_by_role("option").filter(has_text=JIADING_Q).click()
    expect(page.locator(TURNS)).to_have_count(1)
    expect(page.locator(TURNS).first).to_contain_text(JIADING_Q)
    page.click("#delete-chat")
    expect(page.locator(TURNS)).to_have_count(0)
    listing.click()
    expect(page.get_by_role("option")).to_have_count(1)
    page.keyboard.press("Escape")
    page.click("#clear-history")
    open_app(page, app_server.url)
    expect(page.locator(".welcome")).to_be_visible()
    expect(page.locator(TURNS)).to_have_count(0)


def test_feedback_lands_in_the_audit_log(page, app_server):
    from assistant.audit import AuditLog

    ask(page, JIADING_Q, "29.4万千瓦", "嘉府发")
    turn = page.locator(TURNS).last
    answer_id = turn.get_attribute("data-id")
    logged = {e.answer.id: e for e in AuditLog(app_server.store).read().entries}
    assert answer_id in logged and logged[answer_id].answer.question == JIADING_Q  # the answer itself was logged
    assert logged[answer_id].answer.citations[0].citation == JIADING_CITATION

    turn.locator(".act.fb.up").click()
    expect(turn.locator(".fb-note")).to_have_text("已反馈：有帮助")
    turn.locator(".act.fb.down").click()
    turn.locator(".fb-form textarea").fill("还想知道公共机构的部分")
    turn.locator(".act.fb-send").click()
    expect(page.locator(TURNS).last.locator(".fb-note")).to_contain_text("还想知道公共机构的部分")
    records = [json.loads(line) for f in AuditLog(app_server.store).files() for line in f.read_text(encoding="utf-8").splitlines()]
    feedback = [r for r in records if r["kind"] == "feedback" and r["answer_id"] == answer_id]
    assert [(r["value"], r["comment"]) for r in feedback] == [("up", ""), ("down", "还想知道公共机构的部分")]
    entry = {e.answer.id: e for e in AuditLog(app_server.store).read().entries}[answer_id]
    assert entry.feedback.value == "down"
    open_app(page, app_server.url)  # the choice is shown again after a reload
    expect(page.locator(TURNS).last.locator(".act.fb.down")).to_have_attribute("aria-pressed", "true")


def test_status_details_open_on_demand(page):
    status = page.locator("#status-line")
    expect(status.locator(".status-reason")).to_be_hidden()
    status.locator("summary").click()
    expect(status.locator(".status-reason")).to_be_visible()
    expect(status.locator(".status-reason")).to_contain_text("python -m assistant ingest")


# ---- 条款查找 ---------------------------------------------------------------------------------


def test_lookup_by_reference_and_within_a_document(page, app_server, tmp_path):
    tab(page, "条款查找")
    page.fill("#lookup-query textarea", "环境保护条例 第十八条")
    page.click("#lookup-btn")
    results = page.locator("#lookup-results")
    expect(results).to_contain_text("按引用精确匹配")
    expect(results.locator(".row")).to_have_count(1)
    expect(results.locator(".row .cite")).to_have_text(ARTICLE_18)
    expect(results.locator(".row .row-body .text")).to_contain_text(ARTICLE_18_START)  # one match opens by itself
    copy = results.locator(".row .copy-btn")
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
    expect(results.locator(".row")).to_have_count(1)
    expect(results.locator(".row .cite")).to_have_text(ARTICLE_18)
    expect(results.locator(".row .text")).to_contain_text(ARTICLE_18_START)


def test_lookup_keywords_are_compact_rows_with_relative_bars(page, tmp_path):
    tab(page, "条款查找")
    page.fill("#lookup-query textarea", "新增光伏装机容量")
    page.locator("#lookup-query textarea").press("Enter")
    results = page.locator("#lookup-results")
    expect(results).to_contain_text("按相关度排序")
    rows = results.locator(".row")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 3
    widths = [float(w.removesuffix("%")) for w in results.locator(".rel-fill").evaluate_all("els => els.map(e => e.style.width)")]
    assert widths[0] == 100 and widths == sorted(widths, reverse=True), widths
    assert "得分" not in results.inner_text()  # no raw BM25 numbers
    expect(results.locator(".row .first mark").first).to_contain_text("光伏")
    heights = [r.bounding_box()["height"] for r in rows.all()]
    assert max(heights) < 70, heights  # one compact row each, until opened
    body = rows.nth(1).locator(".row-body")
    expect(body).to_be_hidden()
    rows.nth(1).locator("summary").click()
    expect(body).to_be_visible()
    expect(body.locator(".text mark").first).to_be_visible()
    shoot(page, "lookup", tmp_path)


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
    expect(page.locator("#cards .group.active .card").first).to_contain_text(NEW_TITLE)

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
    text = message.inner_text()
    assert "🚫 未导入任何文件：4 个失败" in text and "✅" not in text, text  # never a green tick for nothing
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


def test_library_shows_versions_and_status_and_a_mark_reaches_lookup(page, tmp_path):
    """Two versions of one law uploaded newer first: the library shows which is current; marking it 已废止 shows in
    the library and on its lookup rows; a reference to an article it lacks is one line."""
    import shutil

    law = "上海市优化营商环境条例"
    versions = ROOT / "tests" / "fixtures" / "versions"
    paths = [shutil.copy(versions / f"{law}({d}).md", tmp_path / f"{law}({d}).md") for d in ("2024-09-27", "2020-04-10")]
    tab(page, "文件库")
    upload(page, [Path(p) for p in paths])
    expect(page.locator(LIBRARY_MESSAGE)).to_contain_text("✅ 导入 2 个文件", timeout=WAIT_MS)
    table = page.locator("#docs-table")
    expect(table).to_contain_text("2020年通过")
    expect(table).to_contain_text("已被修订（由2024年修正版取代，2024-09-27）")

    page.locator("#validity").get_by_text("效力标注").click()
    choose(page, "标注的文件", f"{law}（2024年修正）")
    choose(page, "效力状态", "已废止")
    page.fill("#mark-note textarea", "浏览器测试")
    page.click("#mark-btn")
    expect(page.locator(LIBRARY_MESSAGE)).to_contain_text(f"《{law}》已标注为已废止", timeout=WAIT_MS)
    expect(table).to_contain_text("已废止（用户标注：浏览器测试")
    page.locator(FIRST_COLUMN).last.scroll_into_view_if_needed()  # the two versions, at the end of the table
    shoot(page, "library-versions", tmp_path, full_page=False)
    try:
        tab(page, "条款查找")
        page.fill("#lookup-query textarea", f"{law} 第八十五条")
        page.click("#lookup-btn")
        results = page.locator("#lookup-results")
        expect(results.locator(".row .cite")).to_have_text(f"《{law}》（2024年修正）第八十五条已废止")
        expect(results.locator(".lookup-note")).to_contain_text("已废止（用户标注：浏览器测试")
        page.fill("#lookup-query textarea", f"{law} 第二百条")
        page.click("#lookup-btn")
        expect(results.locator(".lookup-message")).to_have_text(f"《{law}》（2024年修正）共九十七条，没有第二百条")
        expect(results.locator(".row")).to_have_count(0)
    finally:  # the shared app's other tests see the law as it was uploaded
        tab(page, "文件库")
        choose(page, "标注的文件", f"{law}（2024年修正）")
        choose(page, "效力状态", "清除标注")
        page.click("#mark-btn")
        expect(page.locator(LIBRARY_MESSAGE)).to_contain_text("已清除标注", timeout=WAIT_MS)


# ---- markup in a question ----------------------------------------------------------------------

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def test_markup_in_question_is_inert(page, dialogs):
    ask(page, PAYLOAD + JIADING_Q, "29.4万千瓦", "嘉府发〔2023〕27号")
    page.wait_for_timeout(1000)  # time for a broken image's onerror to fire
    assert dialogs == []
    assert page.evaluate("document.querySelectorAll('[onerror]').length") == 0
    assert page.evaluate("Array.from(document.scripts).some(s => s.text.includes('alert(1)'))") is False
    assert page.evaluate("document.querySelectorAll('#chat img, #cards img').length") == 0
    expect(page.locator("#cards .card")).not_to_contain_text("alert")
    expect(page.locator("#cards .group-head")).to_contain_text("<script>alert(1)</script>")  # shown as text


def test_markup_in_question_is_shown_as_typed(page):
    ask(page, PAYLOAD + JIADING_Q, "29.4万千瓦", "嘉府发〔2023〕27号")
    shown = page.locator("[data-testid=user]").last
    assert page.evaluate("document.querySelectorAll('[data-testid=user] img').length") == 0
    assert PAYLOAD in shown.inner_text()
    copy = page.locator(TURNS).last.locator(".act.copy")
    copy.click()
    expect(copy).to_have_text("已复制")
    assert "<script>" not in page.evaluate("navigator.clipboard.readText()")  # the answer, not the question


# ---- the audit log for the administrator; login: history per user on the server -------------------------

LOGIN = ("reviewer", "s3cret-口令")


def test_admin_downloads_the_audit_log(page, tmp_path):
    ask(page, JIADING_Q, "29.4万千瓦", "嘉府发")
    tab(page, "文件库")
    page.locator("#audit").get_by_text("审计日志（管理员）").click()
    page.click("#audit-export")
    expect(page.locator("#audit-note")).to_contain_text("条回答")
    files = page.locator("#audit-files a")
    expect(files).to_have_count(3)
    with page.expect_download() as info:
        page.locator('#audit-files a[download$=".csv"]').click()
    path = tmp_path / "audit.csv"
    info.value.save_as(path)
    text = path.read_text(encoding="utf-8-sig")
    assert JIADING_Q in text and JIADING_CITATION in text


@pytest.fixture(scope="module")
def login_server(launch_app, tmp_path_factory):
    """Login on, and started as a fresh machine is: the bge model is looked for and found missing."""
    server = launch_app(tmp_path_factory.mktemp("app_login"),
                        {"ASSISTANT_AUTH_USER": LOGIN[0], "ASSISTANT_AUTH_PASSWORD": LOGIN[1]}, lexical=False)
    yield server
    server.stop()


def log_in(browser, server, account=LOGIN):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(WAIT_MS)
    pg.goto(server.url)
    pg.locator("input[type=text]").first.fill(account[0])
    pg.locator("input[type=password]").fill(account[1])
    pg.locator("input[type=password]").press("Enter")
    pg.wait_for_selector("#question textarea")
    return pg


def test_with_login_history_follows_the_user_and_the_audit_names_them(browser, login_server):
    from assistant.audit import AuditLog

    first = log_in(browser, login_server)
    ask(first, JIADING_Q, "29.4万千瓦", "嘉府发")
    answer_id = first.locator(TURNS).last.get_attribute("data-id")
    first.context.close()

    other_browser = log_in(browser, login_server)  # another machine: nothing in its localStorage
    expect(other_browser.locator(TURNS)).to_have_count(1)
    expect(other_browser.locator(TURNS).first).to_contain_text(JIADING_Q)
    (saved,) = (login_server.store / "history").iterdir()
    assert JIADING_Q in saved.read_text(encoding="utf-8")
    entry = {e.answer.id: e for e in AuditLog(login_server.store).read().entries}[answer_id]
    assert entry.answer.user == LOGIN[0] and entry.answer.via == "chat"

    status = other_browser.locator("#status-line")
    status.locator("summary").click()
    link = status.locator(".status-reason a")
    expect(link).to_have_attribute("href", "https://hf-mirror.com")
    expect(link).to_have_attribute("target", "_blank")
    expect(status.locator(".status-reason")).to_contain_text("https://hf-mirror.com）后重试")  # the link stops at the URL
    assert "BAAI/bge-small-zh-v1.5" in status.inner_text()
    other_browser.context.close()

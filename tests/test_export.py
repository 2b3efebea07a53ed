"""What the chat renders and what leaves it: [n] links and cards per answer, copy text, the Word file, stored
history, the status line and lookup rows. Fast: typed values, no index, no browser."""
from __future__ import annotations

import io
import re

import pytest

from assistant.chat_view import answer_html, card_html, cards_html, conversation_html, neighbour_html
from assistant.conversation import MAX_CONVERSATIONS, CitedClause, History, Sentence, Turn
from assistant.export import copy_text, docx_name, to_docx
from assistant.types import Answer, Citation, Lookup, LookupRow
from assistant.views import first_line, highlight, lookup_rows, status_html
from index.models import Clause

JIADING = "《嘉定区减污降碳协同增效实施方案》（嘉府发〔2023〕27号）二、（一）1."
PUTUO = "《普陀区碳达峰实施方案》（普府〔2023〕24号）二、（一）1."
JIADING_TEXT = ("1.大力发展非化石能源\n推动可再生能源项目有序开发建设。到2025年，新增光伏装机容量29.4万千瓦，"
                "其中公共机构光伏装机1.06万千瓦。（区发展改革委、区经委等按职责分工负责）")


def clause(citation=JIADING, text=JIADING_TEXT, units=("区发展改革委", "区经委"), label="二（一）1", cid="c1") -> Clause:
    return Clause(clause_id=cid, doc_id="d1", doc_title=citation[1:citation.index("》")], doc_number="嘉府发〔2023〕27号",
                  label=label, path=("二、", "（一）", "1."), text=text, units=tuple(units), citation=citation)


def turn(tid="t1", question="嘉定区到2025年新增光伏装机目标是多少？", two=False) -> Turn:
    cites = [Citation(1, clause())]
    sentences = [("到2025年，嘉定区新增光伏装机容量29.4万千瓦[1]。", (1,))]
    if two:
        cites.append(Citation(2, clause(PUTUO, "1、大力发展光伏项目。力争新增光伏装机容量达到2.2万千瓦。", (), cid="c2")))
        sentences.append(("普陀区新增2.2万千瓦[2]。", (2,)))
    from assistant.types import Sentence as AnswerSentence

    ans = Answer(question=question, standalone_question=question, answer="".join(s for s, _ in sentences),
                 citations=tuple(cites), sentences=tuple(AnswerSentence(s, c, True) for s, c in sentences),
                 refused=False, backend="extractive")
    return Turn.from_answer(tid, ans)


# ---- copy and Word ------------------------------------------------------------------------------------


def test_copy_text_is_answer_then_numbered_formal_citations():
    text = copy_text(turn(two=True))
    assert text == ("到2025年，嘉定区新增光伏装机容量29.4万千瓦[1]。普陀区新增2.2万千瓦[2]。\n\n依据：\n"
                    f"[1] {JIADING}\n[2] {PUTUO}")


def test_copy_of_a_refusal_lists_the_related_clauses_once():
    t = Turn("r", "火星补贴？", "现有文件中未找到关于“火星”的规定。\n可能相关：" + JIADING, refused=True,
             related=(CitedClause.from_clause(0, clause()),))
    assert copy_text(t) == f"现有文件中未找到关于“火星”的规定。\n\n可能相关：\n- {JIADING}"


def test_docx_holds_answers_and_citations_in_chinese_fonts():
    from docx import Document
    from docx.oxml.ns import qn

    turns = [turn(), turn("t2", "那普陀区呢？", two=True)]
    doc = Document(io.BytesIO(to_docx(turns)))
    text = "\n".join(p.text for p in doc.paragraphs)
    for t in turns:
        assert t.question in text and t.answer in text
        for c in t.citations:
            assert f"[{c.n}] {c.citation}" in text
    assert "新增光伏装机容量29.4万千瓦" in text  # the clause text under its citation
    runs = [r for p in doc.paragraphs for r in p.runs if r.text.strip()]
    east = {r._element.rPr.rFonts.get(qn("w:eastAsia")) for r in runs}
    assert east <= {"宋体", "黑体"} and "宋体" in east and "黑体" in east
    heading = doc.styles["Heading 1"].element.rPr.rFonts
    assert heading.get(qn("w:eastAsiaTheme")) is None and heading.get(qn("w:eastAsia")) == "黑体"
    assert docx_name(turns).endswith(".docx") and docx_name(turns[:1]).startswith("问答-嘉定区")


# ---- history --------------------------------------------------------------------------------------------


def test_history_add_switch_delete_clear_and_survive_json():
    h = History().add_turn(turn("a"))
    first = h.current
    h = h.add_turn(turn("b", "那普陀区呢？"))
    assert h.current == first and [t.id for t in h.turns] == ["a", "b"]
    h = h.new().add_turn(turn("c", "松江区呢？"))
    assert len(h.conversations) == 2 and h.conversations[0].id == h.current  # most recent first
    back = History.from_json(h.to_json())
    assert back == h
    h = back.switch(first)
    assert [t.id for t in h.turns] == ["a", "b"]
    h = h.with_feedback("b", "down", "不对")
    assert h.turns[-1].feedback == "down" and h.turns[-1].comment == "不对"
    assert h.delete(first).current is None and len(h.delete(first).conversations) == 1
    assert h.clear().conversations == ()
    label = h.choices()[-1][0]  # the oldest conversation, listed last
    assert "嘉定区到2025年" in label and "（2 问）" in label


@pytest.mark.parametrize("stored", [None, "", [], {"v": 99}, {"v": 1, "conversations": "x"},
                                    {"v": 1, "conversations": [{"turns": [{"citations": [{"n": "x"}]}]}]}])
def test_unreadable_stored_history_is_empty_not_an_error(stored):
    assert History.from_json(stored).turns == ()


def test_history_is_bounded():
    h = History()
    for i in range(MAX_CONVERSATIONS + 5):
        h = h.new().add_turn(turn(f"t{i}", f"问题{i}"))
    assert len(h.conversations) == MAX_CONVERSATIONS and h.conversations[0].turns[0].question == f"问题{MAX_CONVERSATIONS + 4}"


# ---- chat HTML -----------------------------------------------------------------------------------------


def test_markers_are_links_to_their_own_answers_cards():
    turns = [turn("a"), turn("b", "那普陀区呢？", two=True)]
    html = conversation_html(turns)
    links = re.findall(r'<a class="cite-link" href="#card-(\d)-(\d)" data-turn="(\d)" data-n="(\d)" data-s="(\d)"', html)
    assert links == [("0", "1", "0", "1", "0"), ("1", "1", "1", "1", "0"), ("1", "2", "1", "2", "1")]
    cards = cards_html(turns, {})
    assert 'id="card-0-1"' in cards and 'id="card-1-2"' in cards
    assert cards.count('class="group active"') == 1 and 'data-turn="1"' in cards.split('class="group active"')[1][:20]


def test_cited_sentence_is_marked_inside_the_clause():
    html = cards_html([turn()], {})
    (marked,) = re.findall(r'<mark class="src" data-s="0">(.*?)</mark>', html)
    assert "29.4万千瓦" in marked and "推动可再生能源" not in marked


def test_no_duplicated_units_or_neighbour_labels():
    in_text = re.sub(r'data-copy="[^"]*"', "", card_html(CitedClause.from_clause(1, clause())))
    assert in_text.count("区发展改革委") == 1 and "责任单位" not in in_text  # the text already says who
    elsewhere = card_html(CitedClause.from_clause(1, clause(units=("区水务局",))))
    assert "责任单位：区水务局" in elsewhere
    assert neighbour_html("一（二）", "（二）主要目标\n到2025年…") == "（二）主要目标\n到2025年…"
    assert neighbour_html("第十八条", "第十八条本市根据国家规定…") == "第十八条本市根据国家规定…"
    assert neighbour_html("二（一）1", "1.大力发展非化石能源") == "1.大力发展非化石能源"
    assert neighbour_html("附件1 第12项", "主要任务：…") == "<b>附件1 第12项</b> 主要任务：…"


def test_markup_is_inert_everywhere():
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    t = turn(question=payload + "嘉定？")
    html = conversation_html([t]) + cards_html([t], {}) + conversation_html([], (payload, payload))
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html


def test_unsupported_sentence_is_struck_with_its_reason():
    t = Turn("u", "q", "甲[1]。乙[1]。", citations=(CitedClause.from_clause(1, clause()),),
             sentences=(Sentence("甲[1]。", (1,)), Sentence("乙[1]。", (1,), False, "数字不在所引条款中")))
    html = answer_html(0, t)
    assert '<span class="sent unsupported" data-s="1">⚠️ <del>乙' in html and "数字不在所引条款中" in html


# ---- status line and lookup rows -------------------------------------------------------------------------


def test_status_is_one_line_with_details_and_a_clean_link():
    from types import SimpleNamespace

    reason = ("嵌入模型 BAAI/bge-small-zh-v1.5 无法加载：本机缓存中没有该模型。"
              "或设置 HF_ENDPOINT 指向镜像（如 https://hf-mirror.com）后重试。")
    mode = SimpleNamespace(label="仅关键词检索（BM25）", dense=False, reason=reason)
    html = status_html(mode, "extractive", 6, 372)
    line = html.split("<details")[0]
    assert "仅关键词检索（BM25）" in line and "6 个" in line and "372 条" in line and "HF_ENDPOINT" not in line
    assert re.findall(r'href="([^"]+)"', html) == ["https://hf-mirror.com"]
    assert "</a>）后重试。" in html


def test_lookup_rows_show_relative_bars_and_marked_words_not_scores():
    rows = (LookupRow(clause(), 35.141), LookupRow(clause(PUTUO, "1、大力发展光伏项目。力争新增光伏装机容量达到2.2万千瓦。", (), cid="c2"), 17.5))
    html = lookup_rows(Lookup("新增光伏装机容量", rows, False))
    assert "35.1" not in html and "17.5" not in html
    assert re.findall(r'width:(\d+)%', html) == ["100", "50"]
    assert html.count("<mark>新增光伏装机容量</mark>") >= 2
    assert first_line(JIADING_TEXT, "新增光伏装机容量").startswith("推动可再生能源")  # not the heading line
    assert highlight("的和", "的和") == "<mark>的和</mark>" and highlight("和", "和") == "和"


def test_lookup_rows_mark_the_paragraph_named_and_say_what_does_not_exist():
    text = "第十八条本市建立生态保护补偿制度。\n对本市生态保护地区<给予>经济补偿。\n受益地区可以协商补偿。"
    row = LookupRow(clause("《甲条例》（2018年修正）第十八条", text, (), "第十八条"), None, "对本市生态保护地区<给予>经济补偿。",
                    "已废止（用户标注：测试）")
    html = lookup_rows(Lookup("甲条例 第十八条第二款", (row,), True, None, ("《甲条例》已废止（用户标注：测试）",)))
    assert '<mark class="focus">对本市生态保护地区&lt;给予&gt;经济补偿。</mark>' in html  # escaped, marked whole
    assert '<span class="first">对本市生态保护地区&lt;给予&gt;经济补偿。</span>' in html  # the row's line is the 款
    assert '<span class="validity" title="已废止（用户标注：测试）">已废止</span>' in html
    assert '<div class="lookup-note">注意：《甲条例》已废止（用户标注：测试）</div>' in html
    missing = lookup_rows(Lookup("甲条例 第二百条", (), True, "《甲条例》共九十一条，没有第二百条"))
    assert missing == '<div class="rows"><div class="lookup-message">《甲条例》共九十一条，没有第二百条</div></div>'


def test_per_user_history_on_the_server(tmp_path):
    from assistant.conversation import UserHistories

    store = UserHistories(tmp_path)
    store.save("张三", History().add_turn(turn("a")))
    assert [t.id for t in store.load("张三").turns] == ["a"]
    assert store.load("李四").turns == () and store.load("李四").user == "李四"
    (path,) = (tmp_path / "history").iterdir()
    assert "张三" not in path.name  # file names don't reveal who asked
    path.write_text("{broken", encoding="utf-8")
    assert store.load("张三").turns == ()  # a damaged file is an empty history, not an error

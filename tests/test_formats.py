"""The same documents in every supported format, and the questions an audit of unseen formats got wrong.

Fixtures (tests/fixtures/formats, synthetic): a 条例 as text, as a hard-wrapped PDF with page markers and with
a 目录; a jointly issued 暂行办法 as text and as a wrapped PDF; a district 行动方案 as .docx with a Word table.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.service import Assistant
from index.loaders import load_document
from index.parser import parse_document

FORMATS = Path(__file__).parent / "fixtures" / "formats"
STATUTE = "上海市单用途预付消费卡管理条例"
MEASURES = "中小企业数字化转型专项资金管理暂行办法"  # file name; the title opens with 上海市


def parse(name: str):
    lt = load_document(FORMATS / name)
    return parse_document(lt.text, fmt=lt.fmt, path=str(FORMATS / name), content_hash=lt.content_hash)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("text_file, pdf_file", [
    (f"{STATUTE}.txt", f"{STATUTE}.pdf"),
    (f"{MEASURES}.txt", f"{MEASURES}_wrapped.pdf"),
])
def test_wrapped_pdf_yields_the_clauses_of_the_text(text_file, pdf_file):
    txt, pdf = parse(text_file), parse(pdf_file)
    assert [c.label for c in pdf.clauses] == [c.label for c in txt.clauses]
    same = sum(a.text == b.text for a, b in zip(txt.clauses, pdf.clauses))
    assert same / len(txt.clauses) >= 0.95, f"{same}/{len(txt.clauses)} clause texts identical"
    assert all(squash(a.text) == squash(b.text) for a, b in zip(txt.clauses, pdf.clauses))
    assert not any(re.search(r"—\s*\d+\s*—", c.text) for c in pdf.clauses)


def test_statute_with_a_table_of_contents_keeps_its_chapters():
    plain, with_toc = parse(f"{STATUTE}.txt"), parse(f"{STATUTE}_含目录.txt")
    assert with_toc.meta.title == STATUTE
    assert [(c.label, c.path, c.text) for c in with_toc.clauses if c.kind == "article"] == \
           [(c.label, c.path, c.text) for c in plain.clauses if c.kind == "article"]
    note = next(c for c in with_toc.clauses if c.label == "题注")
    assert "目录" in note.text and "第六章附则" in note.text  # the 目录 is kept, in the 题注


def test_statute_date_from_a_parenthesised_adoption_note():
    assert parse(f"{STATUTE}.txt").meta.date == "2025-06-26"


def test_joint_issuers_stay_apart():
    assert parse(f"{MEASURES}.txt").meta.issuer == "上海市经济和信息化委员会、上海市财政局"


def test_word_cell_with_one_unit_per_line_is_a_list():
    docx, txt = parse("虹口区数字经济三年行动方案.docx"), parse("虹口区数字经济三年行动方案.txt")
    rows = {c.label: c.units for c in docx.clauses if c.kind == "table_row"}
    assert rows == {c.label: c.units for c in txt.clauses if c.kind == "table_row"}
    assert rows["附件 第2项"] == ("区数据局", "区科委")


def test_heading_with_provisions_is_its_own_clause():
    doc = parse(f"{MEASURES}.txt")
    lead = next(c for c in doc.clauses if c.label == "二（二）2（2）")
    assert "40%" in lead.text and lead.text.endswith("下列条件：")
    assert lead.citation.endswith("二、（二）2.（2）")


# ---- answers ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    a = Assistant(store=tmp_path_factory.mktemp("formats"), retrieval="lexical")
    report = a.ingest([FORMATS / f"{STATUTE}.pdf", FORMATS / f"{MEASURES}_wrapped.pdf",
                       FORMATS / "虹口区数字经济三年行动方案.docx"])
    assert report.documents == 3 and not report.failed, report
    return a


def ask(a: Assistant, question: str, history: list[dict] | None = None):
    ans = a.ask(question, history or [])
    assert all(s.supported for s in ans.sentences), ans.sentences
    return ans


def test_paragraph_of_an_article_from_a_pdf(assistant):
    ans = ask(assistant, "单用途预付消费卡管理条例第十二条第二款是怎么规定的？")
    assert "百分之四十" in ans.answer and ans.citations[0].clause.label == "第十二条"


def test_short_article_answers_when_it_takes_effect(assistant):
    ans = ask(assistant, "单用途预付消费卡管理条例从什么时候开始施行？")
    assert "2025年10月1日" in ans.answer and ans.citations[0].clause.label == "第三十六条"


def test_short_item_of_an_article_answers_a_limit(assistant):
    ans = ask(assistant, "不记名预付卡单张面值最多多少钱？")
    assert not ans.refused and "一千元" in ans.answer


def test_penalty_without_an_amount_answers_how_it_is_punished(assistant):
    ans = ask(assistant, "经营者挪用存管资金会怎么处罚？")
    assert "一倍以上三倍以下" in ans.answer and ans.citations[0].clause.label == "第三十一条"


def test_breach_of_a_named_statute_leads_to_its_penalty(assistant):
    ans = ask(assistant, "违反预付卡管理条例第七条规定的，由哪个部门处罚？")
    assert "商务部门" in ans.answer and ans.citations[0].clause.label == "第二十七条"


def test_item_is_answered_with_the_consequence_its_lead_sets(assistant):
    ans = ask(assistant, "企业弄虚作假骗取专项资金会有什么后果？")
    assert "追回已拨付资金" in ans.answer and "弄虚作假" in ans.answer
    assert {c.clause.label for c in ans.citations} == {"五（二）", "五（二）1"}


def test_conditions_question_lists_the_items(assistant):
    ans = ask(assistant, "被认定为数字化转型示范项目要同时符合哪些条件？")
    for fact in ("500万元", "30%", "三级及以上"):
        assert fact in ans.answer, ans.answer


def test_issuer_question_names_both_issuers(assistant):
    ans = ask(assistant, "数字化转型专项资金管理暂行办法是哪些部门印发的？")
    assert "上海市经济和信息化委员会、上海市财政局" in ans.answer


def test_a_shortened_title_names_its_document(assistant):
    ans = ask(assistant, "预付卡条例从什么时候开始施行？")
    assert "2025年10月1日" in ans.answer and ans.citations[0].clause.label == "第三十六条"
    (hit,) = assistant.lookup("预付卡条例 第三十条").clauses
    assert hit.citation.startswith(f"《{STATUTE}》") and hit.citation.endswith("第三十条")


def test_item_without_a_penalty_takes_the_one_its_lead_sets(assistant):
    ans = ask(assistant, "挪用专项资金的怎么处理？")
    assert "追回已拨付资金" in ans.answer and "挪用" in ans.answer

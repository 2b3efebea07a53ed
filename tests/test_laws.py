"""Real statutes (tests/fixtures/laws, copied verbatim from /work/shared/laws): every article, its text and
path, the real title, the version date and issuer the 题注 states. One file per failure class of issue 10."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from index.history import read_history
from index.loaders import load_document
from index.markers import cn_to_int, int_to_cn, match_marker
from index.models import KIND_ARTICLE, DocumentMeta
from index.parser import parse_document

LAWS = Path(__file__).resolve().parent / "fixtures" / "laws"
# The corpus README's ground truth: such a line opens an article, which runs to the next one or a heading.
ARTICLE_LINE = re.compile(r"^第([一二三四五六七八九十百千零〇]+)条[ \u3000]")
FILES = sorted(p for p in LAWS.glob("*.md") if p.name != "README.md")


def law(name: str):
    path = next(p for p in FILES if p.name.startswith(name))
    lt = load_document(path)
    return parse_document(lt.text, fmt=lt.fmt, path=str(path), content_hash=lt.content_hash)


def articles(doc):
    return [c for c in doc.clauses if c.kind == KIND_ARTICLE]


def by_label(doc, label):
    found = [c for c in doc.clauses if c.label == label]
    assert found, f"no clause {label}: {[c.label for c in doc.clauses]}"
    return found[0]


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def source_articles(path: Path) -> list[tuple[str, str]]:
    """(label, text without whitespace) of each article, by the README's rule."""
    out: list[tuple[str, list[str]]] = []
    for line in re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"), flags=re.S).splitlines():
        m = ARTICLE_LINE.match(line)
        if m:
            out.append((f"第{int_to_cn(cn_to_int(m.group(1)))}条", [line]))
        elif line.startswith("#"):
            out.append(("", []))  # a heading ends the article before it
        elif out:
            out[-1][1].append(line)
    return [(label, squash("".join(lines))) for label, lines in out if label]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem[:20])
def test_every_article_of_the_source_verbatim_and_in_order(path):
    lt = load_document(path)
    doc = parse_document(lt.text, fmt=lt.fmt, path=str(path), content_hash=lt.content_hash)
    got = [(c.label, squash(c.text)) for c in articles(doc)]
    want = source_articles(path)
    if "国歌法" in path.name:  # the annex after the last article is its own clause (see test_annex_…)
        want[-1] = (want[-1][0], want[-1][1].split("附件")[0])
    assert got == want


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem[:20])
def test_title_is_the_laws_own(path):
    title = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# ")
    assert squash(law(path.stem).meta.title) == squash(title)


def test_article_opening_with_zhong_keeps_its_place():
    doc = law("护照法")  # 第二条 中华人民共和国护照是…: 中 after the number once read as a cross-reference
    assert [c.label for c in articles(doc)] == [f"第{int_to_cn(n)}条" for n in range(1, 27)]
    art2 = by_label(doc, "第二条")
    assert art2.text.startswith("第二条中华人民共和国护照是") and "第三条" not in art2.text
    assert art2.citation == "《中华人民共和国护照法》第二条"
    m = doc.meta
    assert (m.title, m.kind, m.issuer, m.version_date) == ("中华人民共和国护照法", "法", "全国人民代表大会常务委员会", "2006-04-29")


def test_article_opening_with_guiding_keeps_its_place_and_a_tab_changes_nothing():
    doc = law("日照市制定地方性法规条例")
    assert by_label(doc, "第八条").text.startswith("第八条规定本市特别重大事项")
    assert by_label(doc, "第十八条").text.startswith("第十八条")  # a stray tab made the line a 'table row'
    assert by_label(doc, "第九条").path == ("第二章 市人民代表大会制定地方性法规程序", "第九条")
    # adopted by the city's congress, in force once the province's standing committee approved it
    assert (doc.meta.issuer, doc.meta.version_date) == ("日照市人民代表大会", "2017-03-29")


def test_a_number_the_source_skips_loses_no_later_article():
    labels = [c.label for c in articles(law("北京市人民代表大会议事规则"))]
    k = labels.index("第十五条")
    assert labels[k + 1] == "第十七条" and labels[-1] == "第五十三条" and len(labels) == 52


def test_a_chapter_number_the_source_repeats_is_still_a_chapter():
    doc = law("山东省南水北调条例")  # 第七章 法律责任, then 第七章 附则
    assert "附则" not in by_label(doc, "第五十六条").text
    assert articles(doc)[-1].path == ("第七章 附则", "第五十八条")


def test_statute_without_first_article_keeps_its_articles():
    doc = law("继承编")  # 民法典 第六编: 第一千一百一十九条 … 第一千一百六十三条
    arts = articles(doc)
    assert (arts[0].label, arts[-1].label, len(arts)) == ("第一千一百一十九条", "第一千一百六十三条", 45)
    assert arts[0].path == ("第一章 一般规定", "第一千一百一十九条")
    assert (doc.meta.title, doc.meta.version_date) == ("中华人民共和国民法典", "2020-05-28")
    amendment = law("宪法修正案（1993年）")
    assert [c.label for c in articles(amendment)][:2] == ["第三条", "第四条"]
    assert amendment.meta.title == "中华人民共和国宪法修正案（1993年）"


def test_table_of_contents_written_as_headings_does_not_swallow_the_body():
    doc = law("重庆市长江防护林体系管理条例")  # ## 第一章 … ## 第八章, then the body (from 第四章 on headed)
    assert len(articles(doc)) == 44
    assert "资金管理" not in by_label(doc, "第二十条").text
    assert by_label(doc, "第二十一条").path == ("第四章 资金管理", "第二十一条")


def test_outline_headings_of_a_judicial_interpretation_are_its_path():
    doc = law("最高人民法院关于适用《民法典》时间效力")
    assert doc.meta.title == "最高人民法院关于适用《中华人民共和国民法典》时间效力的若干规定"
    assert by_label(doc, "第一条").path == ("一、一般规定", "第一条")
    assert (doc.meta.issuer, doc.meta.version_date) == ("最高人民法院", "2020-12-14")


def test_titles_with_guanyu_and_book_title_marks():
    assert law("上海市人民代表大会常务委员会关于").meta.kind == "决定"
    doc = law("河南省实施《矿产资源法》办法")
    assert doc.meta.title == "河南省实施《矿产资源法》办法" and doc.meta.kind == "办法"
    # two amendments on one 题注 line: …第一次修正根据2010年7月30日…第二次修正
    assert doc.meta.version_date == "2010-07-30"


def test_annex_after_the_last_article_is_its_own_clause():
    doc = law("国歌法")
    last = articles(doc)[-1]
    assert last.text == "第十六条本法自2017年10月1日起施行。"
    annex = doc.clauses[last.order + 1]
    assert annex.label.startswith("附件") and "五线谱" in annex.text


def test_document_without_articles_still_has_its_title_and_history():
    doc = law("最高人民法院、最高人民检察院关于执行《刑法》确定罪名的补充规定（三）")
    m = doc.meta
    assert m.title == "最高人民法院、最高人民检察院关于执行《中华人民共和国刑法》确定罪名的补充规定（三）"
    # adopted by two bodies on two dates, their act stated once: 最高人民法院…会议、2007年9月7日最高人民检察院…通过
    assert (m.issuer, m.version_date) == ("最高人民法院、最高人民检察院", "2007-09-07")


def test_plain_text_statute_parses_like_its_markdown():
    path = next(p for p in FILES if p.name.startswith("日照市制定地方性法规条例"))
    md = law("日照市制定地方性法规条例")
    txt = parse_document(re.sub(r"^#+\s*", "", path.read_text(encoding="utf-8"), flags=re.M), fmt="txt",
                         path="日照市制定地方性法规条例.txt", content_hash="h")
    assert [(c.label, c.text, c.path) for c in articles(txt)] == [(c.label, c.text, c.path) for c in articles(md)]
    assert (txt.meta.title, txt.meta.version_date) == (md.meta.title, md.meta.version_date)


def test_inserted_article_zhi_yi_is_its_own_article():
    # 刑法 第十七条之一 (inserted by 刑法修正案（八）), quoted from the real text
    raw = ("# 中华人民共和国刑法\n\n第十六条 行为在客观上虽然造成了损害结果，但是不是出于故意或者过失，而是由于不能抗拒或者不能预见的原因所引起的，不是犯罪。\n\n"
           "第十七条 已满十六周岁的人犯罪，应当负刑事责任。\n\n"
           "第十七条之一 已满七十五周岁的人故意犯罪的，可以从轻或者减轻处罚；过失犯罪的，应当从轻或者减轻处罚。\n\n"
           "第十八条 精神病人在不能辨认或者不能控制自己行为的时候造成危害结果，经法定程序鉴定确认的，不负刑事责任。\n")
    doc = parse_document(raw, fmt="md", path="刑法.md", content_hash="h")
    assert [c.label for c in articles(doc)] == ["第十六条", "第十七条", "第十七条之一", "第十八条"]
    assert by_label(doc, "第十七条之一").citation == "《中华人民共和国刑法》第十七条之一"


def test_repeated_article_number_and_line_start_references():
    # Synthetic: a number the source repeats keeps both articles; a line about an article that does not fit
    # the sequence stays in the article it follows, whether its words say so (第九条规定的…) or the next
    # article shows the number was no article's (第一百条 …, then 第四条).
    raw = ("某某条例\n第一条 为了规范管理，制定本条例。\n第二条 本条例适用于本市。\n第二条 市人民政府负责组织实施。\n"
           "第三条 违反本条例的，依法处理。\n第九条规定的情形，从重处理。\n第一百条 罚款的具体标准另行规定。\n"
           "第四条 本条例自公布之日起施行。\n")
    doc = parse_document(raw, fmt="txt", path="x.txt", content_hash="h")
    assert [c.label for c in articles(doc)] == ["第一条", "第二条", "第二条", "第三条", "第四条"]
    assert len({c.clause_id for c in doc.clauses}) == len(doc.clauses)
    assert by_label(doc, "第三条").text.endswith("第九条规定的情形，从重处理。\n第一百条罚款的具体标准另行规定。")


def test_markers_and_numerals():
    assert match_marker("第二条 中华人民共和国护照是").number == 2
    assert match_marker("第十七条之一 已满").canonical() == "第十七条之一"
    assert match_marker("第一分编 通则").kind == "fenbian"
    assert match_marker("第五条、第六条规定的") is None and match_marker("第五条至第九条") is None
    assert [int_to_cn(n) for n in (1010, 1164, 1260)] == ["一千零一十", "一千一百六十四", "一千二百六十"]
    assert all(cn_to_int(int_to_cn(n)) == n for n in range(1, 1300))


@pytest.mark.parametrize("lines,version,issuer", [
    (["1986年12月3日 国务院批准", "1986年12月26日 公安部、外交部、交通部发布"], "1986-12-03", "国务院"),
    (["2000年7月24日 中华人民共和国国务院、中华人民共和国中央军事委员会令第304号公布"], "2000-07-24",
     "中华人民共和国国务院、中华人民共和国中央军事委员会"),
    (["2020年5月28日 第十三届全国人民代表大会第三次会议通过", "2021年1月1日 施行"], "2020-05-28", "全国人民代表大会"),
    (["2023年11月23日"], None, None),  # a notice's signing date dates no version
])
def test_history_events(lines, version, issuer):
    h = read_history(lines)
    assert (h.version_date, h.issuer) == (version, issuer)


def test_old_document_records_read_without_version_date():
    old = {"doc_id": "d1", "title": "t", "doc_number": None, "issuer": None, "date": None, "kind": None,
           "path": "p", "content_hash": "h", "fmt": "md"}
    assert DocumentMeta.from_json(old).version_date is None


def test_two_versions_of_a_law_are_two_documents_and_one_version_in_two_formats_is_one():
    path = next(p for p in FILES if p.name.startswith("护照法"))
    raw = path.read_text(encoding="utf-8")
    amended = raw.replace("<!-- INFO END -->", "2030年1月1日 全国人民代表大会常务委员会第一次会议修正\n\n<!-- INFO END -->")
    first = parse_document(raw, fmt="md", path="护照法.md", content_hash="a")
    second = parse_document(amended, fmt="md", path="护照法(2030).md", content_hash="b")
    assert first.meta.title == second.meta.title and second.meta.version_date == "2030-01-01"
    assert first.meta.doc_id != second.meta.doc_id  # ingest keeps both instead of replacing one by the other
    as_text = parse_document(re.sub(r"^#+\s*", "", raw, flags=re.M), fmt="txt", path="护照法.txt", content_hash="c")
    assert as_text.meta.doc_id == first.meta.doc_id


def test_files_holding_two_parts_of_one_law_are_two_documents():
    path = next(p for p in FILES if p.name.startswith("继承编"))
    raw = path.read_text(encoding="utf-8")
    one = parse_document(raw, fmt="md", path="继承编.md", content_hash="a")
    other = parse_document(raw.replace("# 继承编", "# 婚姻家庭编"), fmt="md", path="婚姻家庭编.md", content_hash="b")
    assert one.meta.title == other.meta.title == "中华人民共和国民法典"
    assert one.meta.doc_id != other.meta.doc_id


def test_plan_quoting_two_articles_keeps_its_outline():
    # Synthetic: a plan whose item quotes two articles of a regulation at line starts is still a plan.
    raw = ("某区实施方案\n一、总体要求\n（一）指导思想。坚持依法推进。\n二、主要任务\n（一）落实条例。条例规定：\n"
           "第十条 区人民政府负责组织实施。\n第十一条 各部门按照职责分工负责。\n（二）加强监督。开展检查。\n")
    doc = parse_document(raw, fmt="txt", path="plan.txt", content_hash="h")
    assert not articles(doc)
    assert "第十一条各部门按照职责分工负责。" in by_label(doc, "二（一）").text


def test_markdown_notice_issuing_a_statute_keeps_the_statutes_title():
    # Synthetic: a notice's own heading and the 办法's title heading belong to the head, not to the body.
    raw = ("# 上海市人民政府文件\n\n沪府规〔2024〕1号\n\n## 上海市人民政府关于印发《上海市某某管理办法》的通知\n\n"
           "各区人民政府，市政府各委、办、局：\n\n现将《上海市某某管理办法》印发给你们，请认真按照执行。\n\n上海市人民政府\n\n"
           "2024年1月1日\n\n## 上海市某某管理办法\n\n## 第一章 总则\n\n第一条 为了加强管理，制定本办法。\n\n"
           "第二条 本办法适用于本市。\n\n## 第二章 附则\n\n第三条 本办法自2024年2月1日起施行。\n")
    doc = parse_document(raw, fmt="md", path="notice.md", content_hash="h")
    assert (doc.meta.title, doc.meta.doc_number) == ("上海市某某管理办法", "沪府规〔2024〕1号")
    assert doc.clauses[0].label == "印发通知" and "现将《上海市某某管理办法》印发给你们" in doc.clauses[0].text
    assert [c.path for c in articles(doc)][0] == ("第一章 总则", "第一条")

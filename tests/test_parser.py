"""Clause parsing on the shipped corpus: the acceptance points of the clause-index issue."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from index.loaders import load_document
from index.markers import cn_to_int, int_to_cn, match_marker
from index.normalize import normalize_text
from index.parser import ClauseNodeParser, parse_document, split_clause
from index.units import parse_units

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "policies"
FIXTURES = ROOT / "tests" / "fixtures"
TERMINAL = set("。！？；：!?;:）)」』】》”")


def parse(path: Path):
    lt = load_document(path)
    return parse_document(lt.text, fmt=lt.fmt, path=str(path), content_hash=lt.content_hash)


@pytest.fixture(scope="module")
def docs():
    return {p.stem: parse(p) for p in sorted(CORPUS.iterdir())}


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def by_label(doc, label):
    found = [c for c in doc.clauses if c.label == label]
    assert found, f"no clause labelled {label}: {[c.label for c in doc.clauses]}"
    return found[0]


def test_regulation_yields_its_91_articles_with_chapters(docs):
    doc = docs["上海市环境保护条例"]
    articles = [c for c in doc.clauses if c.kind == "article"]
    assert [c.label for c in articles] == [f"第{int_to_cn(n)}条" for n in range(1, 92)]
    assert all(re.fullmatch(r"第[一二三四五六七八九十]+章 \S+", c.path[0]) for c in articles)
    art18 = by_label(doc, "第十八条")
    assert art18.path == ("第三章 绿色发展", "第十八条")
    # an amended law is cited with its version, from the 题注's latest amendment (2018年…第五次修正)
    assert art18.citation == "《上海市环境保护条例》（2018年修正）第十八条"
    assert (doc.meta.edition, doc.meta.version_date) == ("2018年修正", "2018-12-20")
    assert art18.text.startswith("第十八条") and "生态保护补偿制度" in art18.text
    # 项 （一）…（五） stay inside their article
    art32 = by_label(doc, "第三十二条")
    assert "（一）" in art32.text and "（五）" in art32.text
    # A mention of another article mid-sentence is not a heading.
    art67 = by_label(doc, "第六十七条")
    assert "第二十八条第三款" in art67.text


def test_regulation_metadata(docs):
    m = docs["上海市环境保护条例"].meta
    assert (m.title, m.doc_number, m.kind) == ("上海市环境保护条例", None, "条例")
    assert m.issuer == "上海市人民代表大会常务委员会"
    assert m.date == "2018-12-20"  # the latest amendment in the 题注


@pytest.mark.parametrize("stem,title,number,issuer,date", [
    ("嘉定区减污降碳协同增效实施方案", "嘉定区减污降碳协同增效实施方案", "嘉府发〔2023〕27号", "上海市嘉定区人民政府", "2023-11-23"),
    ("上海市减污降碳协同增效实施方案", "上海市减污降碳协同增效实施方案", "沪环气候〔2023〕12号", None, "2023-01-18"),
    ("上海市青浦区碳达峰实施方案", "上海市青浦区碳达峰实施方案", "青府发〔2022〕64号", "上海市青浦区人民政府", "2022-12-30"),
    ("普陀区碳达峰实施方案", "普陀区碳达峰实施方案", "普府〔2023〕24号", "上海市普陀区人民政府", "2023-02-28"),
    ("松江区碳达峰实施方案", "松江区碳达峰实施方案", "沪松府〔2023〕75号", "松江区人民政府", "2023-05-22"),  # no signature date: the 印发 date of the closing block
])
def test_plan_metadata(docs, stem, title, number, issuer, date):
    m = docs[stem].meta
    assert (m.title, m.doc_number, m.date, m.kind) == (title, number, date, "实施方案")
    if issuer:
        assert m.issuer == issuer
    else:  # eight co-issuing bureaus
        assert m.issuer.startswith("上海市生态环境局、上海市发展和改革委员会") and m.issuer.count("、") == 7


def test_jiading_photovoltaic_item(docs):
    doc = docs["嘉定区减污降碳协同增效实施方案"]
    c = by_label(doc, "二（一）1")
    assert c.path == ("二、强化大气污染防治与碳减排协同增效", "（一）能源领域减污降碳协同增效", "1.大力发展非化石能源")
    assert "29.4万千瓦" in c.text and "1.06万千瓦" in c.text
    assert {"区发展改革委", "区经委", "区建设管理委", "区绿化市容局"} <= set(c.units)
    assert c.citation == "《嘉定区减污降碳协同增效实施方案》（嘉府发〔2023〕27号）二、（一）1."


def test_songjiang_annex_rows(docs):
    doc = docs["松江区碳达峰实施方案"]
    rows = [c for c in doc.clauses if c.label.startswith("附件1 ")]
    assert [c.label for c in rows] == [f"附件1 第{n}项" for n in range(1, 25)]
    r12 = by_label(doc, "附件1 第12项")
    assert r12.text == "主要任务：新增专用、公共充电桩3500个；节点要求：到2025年；牵头部门：区交通委"
    assert r12.units == ("区交通委",)
    assert r12.path == ("附件1 松江区碳达峰数据指标", "第12项")
    assert r12.citation == "《松江区碳达峰实施方案》（沪松府〔2023〕75号）附件1 第12项"
    assert len([c for c in doc.clauses if c.label.startswith("附件2 ")]) == 22
    assert by_label(doc, "附件2 第19项").units == ("车墩镇", "泖港镇", "永丰街道", "中山街道")


def test_notice_preamble_and_closing_are_clauses(docs):
    qp = docs["上海市青浦区碳达峰实施方案"]
    labels = [c.label for c in qp.clauses]
    assert labels[0] == "印发通知" and labels[1] == "引言" and labels[-1] == "抄送印发"
    assert "青府发〔2022〕64号" in qp.clauses[0].text
    assert qp.clauses[-1].text.startswith("抄送：")
    assert by_label(docs["上海市环境保护条例"], "题注").text.startswith("1994年12月8日")


@pytest.mark.parametrize("stem", [p.stem for p in sorted(CORPUS.iterdir())])
def test_no_text_lost(docs, stem):
    doc = docs[stem]
    covered = [False] * len(doc.text)
    for c in doc.clauses:
        if c.kind != "table_row":  # table rows are rebuilt with header names; the rest is verbatim
            assert doc.text[c.span[0]: c.span[1]] == c.text, c.label
        for i in range(*c.span):
            covered[i] = True
    chars = [i for i, ch in enumerate(doc.text) if not ch.isspace()]
    share = sum(covered[i] for i in chars) / len(chars)
    assert share >= 0.99, f"{stem}: clauses cover {share:.4f}"


@pytest.mark.parametrize("stem", [p.stem for p in sorted(CORPUS.iterdir())])
def test_clause_text_is_clean(docs, stem):
    for c in docs[stem].clauses:
        assert not re.search(r"[—\-–]\s*\d+\s*[—\-–]", c.text), (c.label, "page marker")
        assert "**" not in c.text and "<!--" not in c.text and not re.search(r"^#+|^---", c.text, re.M), c.label
        assert not re.search(r"[\u4e00-\u9fff] +[\u4e00-\u9fff]", c.text), (c.label, "space between CJK")
        if c.kind in ("preamble", "closing"):
            continue  # letterheads and signatures are one name per line
        lines = c.text.split("\n")
        for a, b in zip(lines, lines[1:]):
            heading = match_marker(a) is not None and len(a) < 60
            assert a[-1] in TERMINAL or heading, f"{stem} {c.label}: line broken mid-sentence: …{a[-15:]} | {b[:15]}…"


@pytest.mark.parametrize("stem", [p.stem for p in sorted(CORPUS.iterdir()) if p.stem != "上海市环境保护条例"])
def test_units_for_every_item_ending_with_a_unit_parenthetical(docs, stem):
    for c in docs[stem].clauses:
        if c.kind in ("item", "lead") and re.search(r"(负责|责任单位[：:][^）)]+)[）)]。?$", c.text):
            assert c.units, f"{stem} {c.label}: no units parsed from …{c.text[-40:]}"


def test_clause_ids_stable_and_unique(docs):
    again = parse(CORPUS / "嘉定区减污降碳协同增效实施方案.txt")
    first = docs["嘉定区减污降碳协同增效实施方案"]
    assert [c.clause_id for c in again.clauses] == [c.clause_id for c in first.clauses]
    ids = [c.clause_id for d in docs.values() for c in d.clauses]
    assert len(ids) == len(set(ids))


def test_prev_next_links_in_document_order(docs):
    cs = docs["普陀区碳达峰实施方案"].clauses
    assert cs[0].prev_id is None and cs[-1].next_id is None
    assert all(a.next_id == b.clause_id and b.prev_id == a.clause_id for a, b in zip(cs, cs[1:]))


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_putuo_docx_and_pdf_match_txt(docs, fmt):
    txt = docs["普陀区碳达峰实施方案"]
    other = parse(FIXTURES / f"普陀区碳达峰实施方案.{fmt}")
    assert [c.label for c in other.clauses] == [c.label for c in txt.clauses]
    same = sum(squash(a.text) == squash(b.text) for a, b in zip(other.clauses, txt.clauses))
    assert same / len(txt.clauses) >= 0.95, f"{fmt}: {same}/{len(txt.clauses)} identical"
    assert other.meta.doc_id == txt.meta.doc_id  # one document, whatever the format


def test_long_clause_split_into_parts_keeps_identity(docs):
    c = max((c for d in docs.values() for c in d.clauses), key=lambda c: len(c.text))
    parts = split_clause(c, 420)
    assert len(parts) > 1
    assert all(p.clause_id == c.clause_id for p in parts)
    assert "".join(p.text for p in parts) == c.text
    assert all(len(p.index_text) <= 420 + 1 for p in parts)
    assert all(p.text[-1] in "。；！？\n" for p in parts[:-1])  # cut at sentence ends


def test_node_parser_produces_text_nodes_with_context_header(docs):
    from llama_index.core import Document
    from llama_index.core.schema import MetadataMode, NodeRelationship

    lt = load_document(CORPUS / "上海市环境保护条例.md")
    nodes = ClauseNodeParser().get_nodes_from_documents(
        [Document(text=lt.text, metadata={"fmt": lt.fmt, "path": lt.path, "content_hash": lt.content_hash})])
    n18 = next(n for n in nodes if n.metadata["label"] == "第十八条")
    assert n18.get_content(MetadataMode.EMBED).startswith("《上海市环境保护条例》第三章 绿色发展 第十八条\n第十八条")
    assert n18.get_content(MetadataMode.NONE).startswith("第十八条")
    assert n18.metadata["citation"] == "《上海市环境保护条例》（2018年修正）第十八条"
    assert NodeRelationship.PREVIOUS in n18.relationships and NodeRelationship.NEXT in n18.relationships


def test_normalizer_joins_wrapped_lines_and_drops_markers():
    raw = "\n\n".join([
        "一、总体目标", "到 2025 年，新增光伏装机容量 29.4 万千瓦，其中公共机构光伏装", "机 1.06 万千瓦。推进 VOCs 治理和 PM2.5",
        "— 18 —", "浓度下降。",
    ] + ["这是一行用来让文本看起来像是固定宽度换行的填充文字内容，共计约三十八个汉字左右。"] * 25)
    text = normalize_text(raw, "txt").text
    assert "— 18 —" not in text
    assert "到2025年，新增光伏装机容量29.4万千瓦，其中公共机构光伏装机1.06万千瓦。推进VOCs治理和PM2.5浓度下降。" in text


def test_markdown_structure_is_a_hint_not_text():
    raw = "# 某某办法\n\n<!-- note -->\n\n## **一、总则**\n\n**1. 大力发展非化石能源。**推动光伏。（区发展改革委、区经委）\n\n---\n\n#### **2. 其他**正文。\n"
    doc = parse_document(raw, fmt="md", path="x.md", content_hash="h")
    assert [c.label for c in doc.clauses] == ["一1", "一2"]
    c1 = doc.clauses[0]
    assert c1.path == ("一、总则", "1.大力发展非化石能源")
    assert c1.units == ("区发展改革委", "区经委")
    assert "**" not in doc.text and "#" not in doc.text and "note" not in doc.text


def test_unstructured_text_becomes_paragraph_clauses_with_warning():
    doc = parse_document("第一段没有编号的文字。\n\n第二段也没有编号。\n", fmt="txt", path="free.txt", content_hash="h")
    assert [c.label for c in doc.clauses] == ["第1段", "第2段"]
    assert doc.warnings


@pytest.mark.parametrize("text,units", [
    ("推进。（区发展改革委、区经委、区绿化市容局等相关职能部门、各街镇等按职责分工负责）", ("区发展改革委", "区经委", "区绿化市容局", "各街镇")),
    ("推进。（责任单位：区建管委、区发改委，各镇、街道、区级公司）", ("区建管委", "区发改委", "各镇", "街道", "区级公司")),
    ("推进。（区发展改革委、区商务委、区科委）", ("区发展改革委", "区商务委", "区科委")),
    ("推进。（区经委、国际汽车城（集团）公司等按职责分工负责）", ("区经委", "国际汽车城（集团）公司")),
    ("完成6个加氢站（含撬装站）", ()),
    ("根据《方案》（沪府发〔2022〕7号）", ()),
])
def test_parse_units(text, units):
    assert parse_units(text) == units


def test_numerals():
    assert [cn_to_int(s) for s in ("十八", "九十一", "一百零五", "二〇二五", "12")] == [18, 91, 105, 2025, 12]
    assert [int_to_cn(n) for n in (18, 91, 105, 110)] == ["十八", "九十一", "一百零五", "一百一十"]
    assert match_marker("第二十八条第三款规定的") is None
    assert match_marker("29.4 万千瓦") is None and match_marker("1.大力发展").number == 1


def test_kangxi_radicals_from_a_pdf_text_layer_keep_the_structure():
    """Some PDFs' text layers hold Kangxi radicals (⼀ U+2F00, ⾦, ⽉) for ordinary characters: without NFKC on
    those blocks no 第⼀条 or ⼀、 is a marker and the whole plan reads as unnumbered paragraphs."""
    lt = load_document(CORPUS / "普陀区碳达峰实施方案.txt")
    radical = {"一": "⼀", "二": "⼆", "金": "⾦", "月": "⽉", "十": "⼗", "人": "⼈"}
    shifted = "".join(radical.get(ch, ch) for ch in lt.text)
    assert "⼀、" in shifted and "⼀、" not in lt.text
    plain = parse_document(lt.text, fmt="pdf", path="p.pdf", content_hash="x")
    odd = parse_document(shifted, fmt="pdf", path="p.pdf", content_hash="x")
    assert [c.label for c in odd.clauses] == [c.label for c in plain.clauses]
    assert [c.text for c in odd.clauses] == [c.text for c in plain.clauses]
    assert not any(c.label.startswith("第") and c.label.endswith("段") for c in odd.clauses)


def test_invisible_characters_from_a_saved_web_page_make_no_text():
    """Statutes saved from web pages carry zero-width spaces (on lines of their own, between 款) and soft hyphens:
    they must not become a paragraph of an article, which an answer would quote as an empty sentence."""
    text = (CORPUS / "上海市环境保护条例.md").read_text(encoding="utf-8")
    plain = parse_document(text, fmt="md", path="条例.md", content_hash="x")
    dirty = text.replace("\n\n", "\n\n\u200b\n\n", 40).replace("环境", "环\u200b境", 5).replace("条例", "条\u00ad例", 3)
    odd = parse_document(dirty, fmt="md", path="条例.md", content_hash="x")
    assert [c.label for c in odd.clauses] == [c.label for c in plain.clauses]
    assert [c.text for c in odd.clauses] == [c.text for c in plain.clauses]
    assert odd.meta.title == plain.meta.title


def test_an_excerpt_of_a_statute_keeps_its_articles_despite_the_gaps():
    """Officials paste excerpts: 第一条, 第十二条, 第四十条 are three articles in order, not paragraphs — the
    penalty article's 违反本条例第十二条规定 must find 第十二条."""
    text = ("# 某市建设工程管理条例\n\n第一条 为了加强建设工程管理，制定本条例。\n\n"
            "第十二条 建设单位应当按月向住房城乡建设部门报送土方外运情况。\n\n"
            "第四十条 违反本条例第十二条规定，未按时报送的，处一万元以上五万元以下罚款。\n")
    doc = parse_document(text, fmt="md", path="条例.md", content_hash="x")
    assert [c.label for c in doc.clauses] == ["第一条", "第十二条", "第四十条"]
    mention = "# 某市会议纪要\n\n一、会议听取了汇报。\n\n第十二条规定的报送制度要落实。\n\n第四十条规定的罚则要宣传。\n"
    assert not any(c.label.endswith("条") for c in parse_document(mention, fmt="md", path="纪要.md", content_hash="y").clauses)


def test_full_width_punctuation_is_not_folded():
    assert normalize_text("（一）１．目标：１０％").text == "（一）１．目标：１０％"


def test_a_markdown_heading_saved_as_txt_is_no_part_of_the_title():
    text = (CORPUS / "上海市环境保护条例.md").read_text(encoding="utf-8")
    doc = parse_document(text, fmt="txt", path="条例.txt", content_hash="x")
    assert doc.meta.title == "上海市环境保护条例"

"""Extractive answers over the six shipped documents: facts, citations, grounding, refusals, CLI.

The store is built once per module (lexical retrieval, temp dir). Every question in
tests/answer_cases.py is asked once; per-case tests show each miss on its own, and the
aggregate tests print the measured figures against the product's thresholds.
"""
from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.grounding import check_answer, check_sentence, renumber
from assistant.service import Assistant
from assistant.text import MARKER_RE, numbers, stated_numbers, strip_markers
from assistant.types import REFUSAL_PREFIX, Answer
from index.models import KIND_ARTICLE, KIND_ITEM, Clause
from tests.answer_cases import CASES, COMPARE, FOLLOWUP, Case

ROOT = Path(__file__).resolve().parents[1]
IN_SCOPE = [c for c in CASES if c.in_scope]
OUT_OF_SCOPE = [c for c in CASES if not c.in_scope]
JSON_KEYS = {"question", "standalone_question", "answer", "citations", "refused", "sentences", "backend", "notice",
             "support"}

MIN_FACT_RECALL = 0.90
MIN_REFUSAL_RATE = 0.90
MAX_FALSE_REFUSAL_RATE = 0.05
MAX_MEDIAN_CHARS = 200
MAX_CLAUSE_SHARE = 0.8  # of a cited clause longer than LONG_CLAUSE characters
LONG_CLAUSE = 150
# A statute article up to this long is the unit an answer quotes whole (its 款 and 项 belong together); a
# longer one, and any plan item, is quoted in the part that answers.
from assistant.compose import ARTICLE_WHOLE  # noqa: E402
_CJK = re.compile(r"[\u4e00-\u9fff]")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _ids(cases: list[Case]) -> list[str]:
    return [c.id for c in cases]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("answer_store")
    report = Assistant(store=path, retrieval="lexical").ingest()
    assert report.documents == 6 and not report.failed
    return path


@pytest.fixture(scope="module")
def assistant(store: Path) -> Assistant:
    return Assistant(store=store, retrieval="lexical", backend="extractive")


@pytest.fixture(scope="module")
def answers(assistant: Assistant) -> dict[str, Answer]:
    return {c.id: assistant.ask(c.question, list(c.history)) for c in CASES}


def found(case: Case, ans: Answer) -> list[str]:
    return [e for e in case.expect if squash(e) in squash(ans.answer)]


def answer_sentences(text: str) -> list[tuple[str, list[int]]]:
    """(sentence, its [n] markers), split at 。！？ and line ends — independently of the product's splitter."""
    out = []
    for piece in re.split(r"(?<=[。！？])|\n", text):
        if strip_markers(piece).strip(" 。；，"):
            out.append((piece.strip(), [int(n) for n in MARKER_RE.findall(piece)]))
    return out


def unbacked_numbers(ans: Answer) -> list[str]:
    """Answer sentences stating a number that none of the clauses they cite states."""
    by_n = {c.n: c.clause for c in ans.citations}
    problems = []
    for sentence, marks in answer_sentences(ans.answer):
        stated = stated_numbers(sentence)
        if not stated:
            continue
        cited = [by_n[n] for n in marks if n in by_n]
        source = "\n".join(c.header() + "\n" + c.text for c in cited)
        missing = stated - numbers(source)
        if not cited or missing:
            problems.append(f"{sentence} → {sorted(missing) if cited else '无引用'}")
    return problems


# ---- per case ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", IN_SCOPE, ids=_ids(IN_SCOPE))
def test_answer_states_the_facts_and_cites_the_document(case: Case, answers):
    ans = answers[case.id]
    assert not ans.refused, f"false refusal: {ans.answer}"
    missing = [e for e in case.expect if e not in found(case, ans)]
    assert not missing, f"missing {missing} in: {ans.answer}"
    cited = {c.clause.doc_title for c in ans.citations}
    for doc in case.cited_docs:
        assert doc in cited, f"no clause of 《{doc}》 cited; cited {sorted(cited)}"


@pytest.mark.parametrize("case", [c for c in CASES if c.category == COMPARE],
                         ids=_ids([c for c in CASES if c.category == COMPARE]))
def test_compare_answers_one_line_per_document(case: Case, answers, assistant):
    ans = answers[case.id]
    names = {m.title: assistant.index.short_name(m.doc_id) for m, _ in assistant.documents()}
    lines = [line for line in ans.answer.split("\n") if line.strip()]
    assert len(lines) == len(case.docs), ans.answer
    by_n = {c.n: c.clause for c in ans.citations}
    for line, doc in zip(lines, case.docs):
        assert line.startswith(names[doc]), f"expected a line for {names[doc]}: {line}"
        marks = [int(n) for n in MARKER_RE.findall(line)]
        assert marks and all(by_n[n].doc_title == doc for n in marks), line


@pytest.mark.parametrize("case", [c for c in CASES if c.category == FOLLOWUP],
                         ids=_ids([c for c in CASES if c.category == FOLLOWUP]))
def test_follow_up_standalone_question_names_what_was_swapped(case: Case, answers):
    standalone = answers[case.id].standalone_question
    assert standalone != case.question
    for part in case.standalone_has:
        assert part in standalone, f"{part!r} not in {standalone!r}"


@pytest.mark.parametrize("case", OUT_OF_SCOPE, ids=_ids(OUT_OF_SCOPE))
def test_out_of_scope_is_refused_with_related_clauses(case: Case, answers):
    ans = answers[case.id]
    assert ans.refused, f"answered: {ans.answer}"
    assert ans.answer.startswith(REFUSAL_PREFIX), ans.answer
    assert ans.related, "a refusal lists 可能相关 clauses"
    assert not ans.citations and not MARKER_RE.search(ans.answer)


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_every_stated_number_is_in_the_cited_clauses(case: Case, answers):
    ans = answers[case.id]
    if ans.refused:
        return
    assert not unbacked_numbers(ans)


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_markers_match_citations_in_order_of_first_use(case: Case, answers):
    ans = answers[case.id]
    used = [int(n) for n in MARKER_RE.findall(ans.answer)]
    assert list(dict.fromkeys(used)) == list(range(1, len(ans.citations) + 1)), ans.answer
    assert [c.n for c in ans.citations] == list(range(1, len(ans.citations) + 1))


@pytest.mark.parametrize("case", IN_SCOPE, ids=_ids(IN_SCOPE))
def test_every_answer_sentence_cites_and_passes_the_guard(case: Case, answers):
    ans = answers[case.id]
    if ans.refused:
        return
    for sentence, marks in answer_sentences(ans.answer):
        if REFUSAL_PREFIX in sentence and not marks:
            continue  # "未找到…" for one part of a question claims nothing
        assert marks, f"uncited sentence in the answer: {sentence}"
    bad = [f"{s.text}（{s.reason}）" for s in ans.sentences if not s.supported]
    assert not bad, bad


# ---- aggregate thresholds ------------------------------------------------------------------------


def test_fact_recall(answers):
    total = sum(len(c.expect) for c in IN_SCOPE)
    hits = sum(len(found(c, answers[c.id])) for c in IN_SCOPE)
    recall = hits / total
    misses = [(c.id, [e for e in c.expect if e not in found(c, answers[c.id])]) for c in IN_SCOPE]
    print(f"\nfact recall {hits}/{total} = {recall:.3f} (threshold {MIN_FACT_RECALL}); misses: {[m for m in misses if m[1]]}")
    assert recall >= MIN_FACT_RECALL


def test_refusal_rate_on_out_of_scope(answers):
    refused = [c.id for c in OUT_OF_SCOPE if answers[c.id].refused and answers[c.id].answer.startswith(REFUSAL_PREFIX)]
    rate = len(refused) / len(OUT_OF_SCOPE)
    answered = sorted(set(_ids(OUT_OF_SCOPE)) - set(refused))
    print(f"\nrefusal rate {len(refused)}/{len(OUT_OF_SCOPE)} = {rate:.3f} (threshold {MIN_REFUSAL_RATE}); answered: {answered}")
    assert rate >= MIN_REFUSAL_RATE


def test_false_refusal_rate_on_in_scope(answers):
    refused = [c.id for c in IN_SCOPE if answers[c.id].refused]
    rate = len(refused) / len(IN_SCOPE)
    print(f"\nfalse refusals {len(refused)}/{len(IN_SCOPE)} = {rate:.3f} (max {MAX_FALSE_REFUSAL_RATE}): {refused}")
    assert rate <= MAX_FALSE_REFUSAL_RATE


def test_median_answer_length_of_single_document_questions(answers):
    lengths = [len(strip_markers(answers[c.id].answer)) for c in IN_SCOPE if not c.docs and not answers[c.id].refused]
    median = statistics.median(lengths)
    print(f"\nmedian answer length {median} chars over {len(lengths)} answers (max {MAX_MEDIAN_CHARS}); longest {max(lengths)}")
    assert median <= MAX_MEDIAN_CHARS


def test_no_answer_pastes_a_whole_long_clause(answers):
    """What an answer says on a clause's authority (its sentences citing it) is well under that clause's length,
    except for a short statute article, which is quoted whole."""
    worst, pasted = 0.0, []
    for c in IN_SCOPE:
        ans = answers[c.id]
        if ans.refused:
            continue
        sentences = answer_sentences(ans.answer)
        for cit in ans.citations:
            whole_article = cit.clause.kind == KIND_ARTICLE and len(cit.clause.text) <= ARTICLE_WHOLE
            if len(cit.clause.text) <= LONG_CLAUSE or whole_article:
                continue
            said = sum(len(strip_markers(s)) for s, marks in sentences if cit.n in marks)
            share = said / len(cit.clause.text)
            worst = max(worst, share)
            if share >= MAX_CLAUSE_SHARE:
                pasted.append(f"{c.id} [{cit.n}] {cit.clause.label}: {share:.2f}")
    print(f"\nlargest share of a long cited clause restated: {worst:.2f} (max {MAX_CLAUSE_SHARE}); pasted: {pasted}")
    assert not pasted


# ---- CLI -----------------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=180)


def test_ask_json_has_exactly_the_documented_keys(store):
    question = "松江区有轨电车运营里程到2025年力争达到多少公里？"
    proc = _cli("ask", question, "--json", "--store", str(store), "--lexical")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert JSON_KEYS <= set(data) <= JSON_KEYS | {"related"}
    assert data["question"] == question and data["refused"] is False and data["backend"] == "extractive"
    assert "45公里" in data["answer"]
    assert [c["n"] for c in data["citations"]] == [1] and data["citations"][0]["doc_title"] == "松江区碳达峰实施方案"
    assert all({"text", "citations", "supported"} <= set(s) for s in data["sentences"])


def test_first_ask_on_an_empty_store_imports_the_shipped_corpus(tmp_path):
    """A new user's first command: `ask … --json` with no store yet answers from data/policies/."""
    store = tmp_path / "fresh"
    proc = _cli("ask", "嘉定区到2025年新增光伏装机目标是多少？", "--json", "--store", str(store), "--lexical")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert not data["refused"] and "29.4万千瓦" in data["answer"]
    assert data["citations"][0]["citation"] == "《嘉定区减污降碳协同增效实施方案》（嘉府发〔2023〕27号）二、（一）1."
    assert "首次使用" in proc.stderr and "已导入 6 个文件" in proc.stderr


@pytest.mark.parametrize("content", ['[{"role": "user", "content": "青浦区', '[{"role": "system", "content": "x"}]'],
                         ids=["not_json", "bad_role"])
def test_ask_with_malformed_history_exits_2_with_one_chinese_line(content, store, tmp_path):
    history = tmp_path / "history.json"
    history.write_text(content, encoding="utf-8")
    proc = _cli("ask", "那普陀区呢？", "--history", str(history), "--store", str(store), "--lexical")
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and _CJK.search(lines[0]), proc.stderr
    assert "Traceback" not in proc.stderr


# ---- grounding guard -----------------------------------------------------------------------------

PV = "到2025年，新增光伏装机容量29.4万千瓦，其中公共机构光伏装机1.06万千瓦。推进实施嘉定工业区等整街道（镇）分布式光伏开发试点。"
H2 = "到2025年，全区累计完成6个加氢站（含撬装站）投入运营，新建加氢站不少于2座。"


def clause(text: str, label: str = "二（一）1", kind: str = KIND_ITEM, title: str = "测试实施方案") -> Clause:
    return Clause(clause_id=f"c-{label}", doc_id="dtest", doc_title=title, doc_number=None, label=label,
                  path=(label,), text=text, units=(), citation=f"《{title}》{label}", kind=kind)


def test_guard_rejects_a_number_the_cited_clause_does_not_state():
    s = check_sentence("到2025年，新增光伏装机容量35万千瓦[1]。", {1: clause(PV)})
    assert not s.supported and s.reason and "35" in s.reason
    assert check_sentence("到2025年，新增光伏装机容量29.4万千瓦[1]。", {1: clause(PV)}).supported




@pytest.mark.parametrize("sentence, source", [
    pytest.param("由市或者区环保部门责令改正，处十万元以上五十万元以下的罚款[1]。",
                 "由市或者区环保部门责令改正，处100000元以上500000元以下的罚款。",
                 id="十万元→100000元"),
    pytest.param("由市或者区环保部门责令改正，处100000元以上500000元以下的罚款[1]。",
                 "由市或者区环保部门责令改正，处十万元以上五十万元以下的罚款。", id="100000元→十万元"),
    pytest.param("到2025年，新增光伏装机容量29.4万千瓦[1]。", "到2025年，新增光伏装机容量294000千瓦。",
                 id="29.4万千瓦→294000千瓦"),
    pytest.param("到2025年，新增光伏装机容量294000千瓦[1]。", "到2025年，新增光伏装机容量29.4万千瓦。",
                 id="294000千瓦→29.4万千瓦"),
    pytest.param("第十八条规定，本市建立、健全生态保护补偿制度[1]。", "第18条 本市根据国家规定建立、健全生态保护补偿制度。",
                 id="第十八条→18"),
    pytest.param("第18条规定，本市建立、健全生态保护补偿制度[1]。", "第十八条 本市根据国家规定建立、健全生态保护补偿制度。",
                 id="18→第十八条"),
])
def test_guard_normalises_chinese_numerals_and_wan(sentence: str, source: str):
    s = check_sentence(sentence, {1: clause(source, label="第十八条", kind=KIND_ARTICLE, title="测试条例")})
    assert s.supported, s.reason


def test_guard_rejects_a_different_number_even_in_another_notation():
    s = check_sentence("由环保部门责令改正，处二十万元以上的罚款[1]。", {1: clause("由环保部门责令改正，处100000元以上的罚款。")})
    assert not s.supported and "200000" in (s.reason or "")


def test_guard_rejects_a_sentence_sharing_no_wording_with_its_clause():
    s = check_sentence("会议时间和地点另行通知[1]。", {1: clause(PV)})
    assert not s.supported and s.reason


def test_guard_rejects_a_sentence_without_markers():
    s = check_sentence("到2025年，新增光伏装机容量29.4万千瓦。", {1: clause(PV)})
    assert not s.supported and s.reason == "没有引用条款"


def test_renumber_drops_markers_that_point_at_nothing():
    pv, h2 = clause(PV, label="二（一）1"), clause(H2, label="二（三）2")
    context = {3: pv, 9: h2}
    answer = ("到2025年，新增光伏装机容量29.4万千瓦[3]。全区累计完成6个加氢站投入运营[7]。"
              "到2025年累计完成6个加氢站（含撬装站）投入运营，新增光伏装机容量29.4万千瓦[3][9]。")
    text, sentences, citations = renumber(check_answer(answer, context), context)

    assert [int(n) for n in MARKER_RE.findall(text)] == [1, 1, 2]
    assert "[7]" not in text and "[3]" not in text and "[9]" not in text
    assert [(c.n, c.clause.clause_id) for c in citations] == [(1, pv.clause_id), (2, h2.clause_id)]
    assert [s.citations for s in sentences] == [(1,), (), (1, 2)]
    assert not sentences[1].supported

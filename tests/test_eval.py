"""The eval runner: the CI gate on the shipped set, malformed datasets, JSON/Markdown output, metric definitions."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.types import Answer, Citation, Sentence
from eval.__main__ import main
from eval.dataset import EvalItem
from eval.metrics import ItemResult, aggregate, score_item
from index.models import Clause, Hit

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "eval" / "datasets" / "policy_qa.jsonl"
THRESHOLDS = ROOT / "eval" / "thresholds.json"
REQUIRED_METRICS = ("hit@1", "hit@5", "recall@5", "mrr", "fact_recall", "citation_precision", "citation_recall",
                    "numeric_grounding", "support_rate", "refusal_accuracy", "false_refusal_rate",
                    "search_p50_ms", "ask_p50_ms")

GOOD = {"id": "jd-num-01", "question": "嘉定区到2025年要新增多少太阳能发电装机？", "category": "number",
        "evidence": ["到2025年，新增光伏装机容量29.4万千瓦"], "answer_facts": ["29.4万千瓦"],
        "doc": "嘉定区减污降碳协同增效实施方案"}
OOS = {"id": "oos-01", "question": "浦东新区碳达峰实施方案提出的2025年光伏装机目标是多少？",
       "category": "out_of_scope", "evidence": [], "answer_facts": [], "doc": None}
FOLLOWUP = {"id": "fu-02", "question": "那普陀区呢？", "history": [{"role": "user", "content": "嘉定区到2025年新增光伏装机目标是多少？"}],
            "category": "followup", "evidence": ["力争“十四五”期间新增光伏装机容量达到2.2万千瓦"],
            "answer_facts": ["2.2万千瓦"], "doc": "普陀区碳达峰实施方案"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One lexical store for the module: the first run ingests the corpus, later runs skip unchanged files."""
    return tmp_path_factory.mktemp("eval_store")


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(store: Path, *args: str) -> int:
    return main(["run", "--lexical", "--backend", "extractive", "--store", str(store), "--no-progress", *args])


@pytest.mark.slow
@pytest.mark.parametrize("suite", ["own", "blind_test", "blind2_test", "blind3_test", "blind4_test", "blind5_test"])
def test_suite_meets_its_gate(suite: str, tmp_path: Path) -> None:
    """The CI gate: the own set and the frozen blind test splits against eval/thresholds.json (lexical, extractive).
    Every item of the suite's dataset is run (none skipped as malformed)."""
    out = tmp_path / "r.json"
    rc = main(["run", "--lexical", "--backend", "extractive", "--store", str(tmp_path / "store"), "--no-progress",
               "--suite", suite, "--thresholds", str(THRESHOLDS), "--json", str(out)])
    data = json.loads(out.read_text(encoding="utf-8"))
    suites = json.loads((ROOT / "eval" / "suites.json").read_text(encoding="utf-8"))["suites"]
    lines = (ROOT / suites[suite]["dataset"]).read_text(encoding="utf-8").splitlines()
    assert data["errors"] == [] and data["n"] == sum(1 for line in lines if line.strip()) >= 45
    assert data["config"]["retrieval"] == "lexical" and data["config"]["backend"] == "extractive"
    limits = json.loads(THRESHOLDS.read_text(encoding="utf-8"))["suites"][suite]["limits"]
    assert set(limits) >= {"hit@5", "fact_recall", "numeric_grounding", "refusal_accuracy", "false_refusal_rate"}
    assert rc == 0, f"{suite} outside eval/thresholds.json: " + json.dumps(
        {k: (data["overall"][k], v) for k, v in limits.items()}, ensure_ascii=False)


def test_malformed_lines_are_reported_and_the_rest_runs(store: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    bad_missing = {k: v for k, v in GOOD.items() if k != "evidence"} | {"id": "x-02"}
    ds = _write(tmp_path / "mixed.jsonl", [json.dumps(GOOD, ensure_ascii=False), '{"id": "x-01", "question": ',
                                           json.dumps(bad_missing, ensure_ascii=False)])
    out = tmp_path / "r.json"
    assert _run(store, "--dataset", str(ds), "--json", str(out)) == 0
    err_lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith(str(ds))]
    assert [ln.split(":")[1] for ln in err_lines] == ["2", "3"], err_lines
    assert "JSON" in err_lines[0] and "evidence" in err_lines[1]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [e["line"] for e in data["errors"]] == [2, 3]
    assert data["n"] == 1 and [it["id"] for it in data["items"]] == ["jd-num-01"]
    item = data["items"][0]
    assert item["answer"] and item["hit@5"] is not None and item["fact_recall"] is not None


def test_json_has_every_required_key(store: Path, tmp_path: Path) -> None:
    ds = _write(tmp_path / "small.jsonl", [json.dumps(x, ensure_ascii=False) for x in (GOOD, OOS, FOLLOWUP)])
    out = tmp_path / "r.json"
    assert _run(store, "--dataset", str(ds), "--json", str(out), "-k", "5") == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"dataset", "n", "config", "overall", "by_category", "items", "errors"} <= set(data)
    assert {"backend", "retrieval", "retrieval_label", "k", "dataset", "date", "machine", "git"} <= set(data["config"])
    assert data["config"]["k"] == 5 and data["config"]["machine"]["cpu_count"] >= 1
    for key in REQUIRED_METRICS:
        assert key in data["overall"], key
        for cat in ("number", "out_of_scope", "followup"):
            assert key in data["by_category"][cat], (cat, key)
    # Metrics that don't apply to a category are null there.
    assert data["by_category"]["out_of_scope"]["hit@5"] is None
    assert data["by_category"]["out_of_scope"]["fact_recall"] is None
    assert data["by_category"]["number"]["refusal_accuracy"] is None
    assert data["by_category"]["out_of_scope"]["refusal_accuracy"] is not None
    # The follow-up is retrieved as its standalone question, not as 那普陀区呢？
    fu = next(it for it in data["items"] if it["id"] == "fu-02")
    assert "普陀" in fu["standalone_question"] and "光伏" in fu["standalone_question"]


def test_report_writes_markdown_table_and_baseline_column(store: Path, tmp_path: Path) -> None:
    ds = _write(tmp_path / "small.jsonl", [json.dumps(x, ensure_ascii=False) for x in (GOOD, OOS)])
    out, md = tmp_path / "r.json", tmp_path / "r.md"
    assert _run(store, "--dataset", str(ds), "--json", str(out), "--report", str(md), "--baseline", "naive") == 0
    text = md.read_text(encoding="utf-8")
    assert "| 指标 metric | 条款切分 clause | 朴素切分 naive" in text
    assert "|---|" in text
    row = next(ln for ln in text.splitlines() if ln.startswith("| hit@5 |"))
    assert row.count("|") == 5 and any(ch.isdigit() for ch in row)
    assert "| out_of_scope |" in text  # per-category table
    data = json.loads(out.read_text(encoding="utf-8"))
    base = data["baseline"]
    assert base["name"] == "naive" and base["config"]["chunk_size"] == 512
    for key in REQUIRED_METRICS:
        assert key in base["overall"], key
    # The baseline answers through the same pipeline (no item errors) and retrieves fixed-size chunks, not clauses.
    assert not [it["error"] for it in base["items"] if it.get("error")]
    assert base["items"][0]["answer"] and base["overall"]["refusal_accuracy"] == 1.0
    retrieved = [c for it in base["items"] for c in it["retrieved"]]
    assert retrieved and all("chunk " in c for c in retrieved)


def test_several_datasets_run_in_turn(store: Path, tmp_path: Path) -> None:
    a = _write(tmp_path / "a.jsonl", [json.dumps(GOOD, ensure_ascii=False)])
    b = _write(tmp_path / "b.jsonl", [json.dumps(OOS, ensure_ascii=False)])
    out = tmp_path / "r.json"
    assert _run(store, "--dataset", str(a), "--dataset", str(b), "--json", str(out)) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [Path(d["dataset"]).name for d in data] == ["a.jsonl", "b.jsonl"]
    assert [d["items"][0]["id"] for d in data] == ["jd-num-01", "oos-01"]


def test_missing_dataset_file_fails_with_a_message(store: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(store, "--dataset", str(tmp_path / "nope.jsonl")) == 1
    assert "nope.jsonl" in capsys.readouterr().err


def test_run_help_works() -> None:
    p = subprocess.run([sys.executable, "-m", "eval", "run", "--help"], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    for flag in ("--dataset", "--store", "--backend", "--json", "--report", "--baseline", "--lexical", "-k"):
        assert flag in p.stdout, flag


# ---------------------------------------------------------------- metric definitions


def _clause(cid: str, text: str, label: str = "1.") -> Clause:
    return Clause(cid, "d1", "测试方案", None, label, ("二、重点任务",), text, (), f"《测试方案》{label}")


def test_metrics_ranks_citations_and_numeric_grounding() -> None:
    good = _clause("c1", "到2025年，新增光伏装机容量29.4 万千瓦。")
    other = _clause("c2", "推进绿色建筑发展，到2025年完成改造。", "2.")
    item = EvalItem("t-1", "新增光伏装机多少？", (), "number", ("新增光伏装机容量29.4万千瓦",), ("29.4万千瓦",), ("测试方案",))
    hits = [Hit(other, 2.0, 1), Hit(good, 1.0, 2)]
    # The second sentence states 30万, which its cited clause doesn't: numeric grounding fails.
    answer = Answer("q", "q", "新增光伏装机容量29.4万千瓦[1]。完成改造30万平方米[2]。",
                    (Citation(1, good), Citation(2, other)),
                    (Sentence("新增光伏装机容量29.4万千瓦[1]。", (1,), True), Sentence("完成改造30万平方米[2]。", (2,), False, "数字")),
                    False, "extractive")
    r = score_item(ItemResult(item, answer, hits, 1.0, 2.0))
    m = r.metrics
    assert (m["hit@1"], m["hit@5"], m["mrr"], m["recall@5"]) == (0.0, 1.0, 0.5, 1.0)
    assert m["fact_recall"] == 1.0
    assert m["citation_precision"] == 0.5 and m["citation_recall"] == 1.0
    assert m["numeric_grounding"] == 0.0 and any("30" in p for p in r.problems)
    assert m["support_rate"] == 0.5
    assert m["false_refusal_rate"] == 0.0 and m["refusal_accuracy"] is None


def test_metrics_refusals() -> None:
    refusal = Answer("q", "q", "现有文件中未找到关于“浦东新区”的规定。", (), (Sentence("现有文件中未找到关于“浦东新区”的规定。", (), True),),
                     True, "extractive")
    oos = score_item(ItemResult(EvalItem("o", "q", (), "out_of_scope", (), (), ()), refusal, [], 1.0, 1.0))
    wrong = score_item(ItemResult(EvalItem("n", "q", (), "number", ("某证据",), ("某事实",), ("测试方案",)),
                                  refusal, [], 1.0, 1.0))
    assert oos.metrics["refusal_accuracy"] == 1.0 and oos.metrics["hit@5"] is None
    assert wrong.metrics["false_refusal_rate"] == 1.0 and wrong.metrics["fact_recall"] == 0.0
    assert wrong.metrics["numeric_grounding"] is None  # refused answers state no numbers to ground
    assert any("误拒答" in p for p in wrong.problems)
    agg = aggregate([oos, wrong])
    assert agg["refusal_accuracy"] == 1.0 and agg["false_refusal_rate"] == 1.0 and agg["numeric_grounding"] is None


@pytest.mark.slow
def test_hybrid_run_with_baseline_uses_dense_retrieval(tmp_path: Path, bge_skeleton: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Both pipelines on the dense path (bge skeleton), over the opening of one plan: embedding the whole corpus on CPU takes minutes."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    putuo = (ROOT / "data" / "policies" / "普陀区碳达峰实施方案.txt").read_text(encoding="utf-8")
    (corpus / "普陀区碳达峰实施方案.txt").write_text(putuo[: putuo.index("（三）城区建设碳达峰行动")], encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_CORPUS", str(corpus))
    item = {"id": "pt-1", "question": "普陀区到2025年单位生产总值能耗要下降多少？", "category": "number",
            "evidence": ["单位生产总值能源消耗较2020年下降13.5%"], "answer_facts": ["13.5%"], "doc": "普陀区碳达峰实施方案"}
    ds = _write(tmp_path / "pt.jsonl", [json.dumps(item, ensure_ascii=False)])
    out = tmp_path / "r.json"
    rc = main(["run", "--store", str(tmp_path / "store"), "--embed-model", str(bge_skeleton), "--dataset", str(ds),
               "--baseline", "naive", "--json", str(out), "--no-progress"])
    assert rc == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["config"]["retrieval"] == "hybrid" and data["config"]["embed_model"] == str(bge_skeleton)
    assert data["items"][0]["retrieved"] and data["baseline"]["items"][0]["retrieved"]
    assert all("chunk " in c for c in data["baseline"]["items"][0]["retrieved"])
    assert data["overall"]["hit@5"] is not None and data["baseline"]["overall"]["hit@5"] is not None


def test_eval_imports_only_the_service_and_public_types() -> None:
    """eval/ scores the product through its service; only the naive baseline may reach inside index/ and assistant/."""
    import ast

    allowed = {"assistant.service", "assistant.types", "assistant.text", "index.models"}
    for path in sorted((ROOT / "eval").glob("*.py")):
        if path.name == "baseline.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        mods = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        mods += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        inside = [m for m in mods if m.split(".")[0] in ("assistant", "index") and m not in allowed]
        assert not inside, f"{path.name} imports internals: {inside}"

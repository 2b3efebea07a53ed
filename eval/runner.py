"""Run datasets through the Assistant (and optionally the naive baseline) and score every item.

For every item the runner asks the question (with its history), then searches the
answer's standalone question: a follow-up (那普陀区呢？) is retrieved as the question
the pipeline actually answered, so retrieval is measured fairly for follow-ups too.
"""
from __future__ import annotations

import datetime as _dt
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Sequence

from assistant.types import Answer
from eval.dataset import CATEGORIES, DatasetError, EvalItem, load_dataset
from eval.metrics import (
    METRIC_KEYS,
    RETRIEVAL_DEPTH,
    ItemResult,
    aggregate,
    by_category,
    contains,
    score_item,
    worst,
)
from index.models import Clause, Hit

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATASET = PROJECT_ROOT / "eval" / "datasets" / "policy_qa.jsonl"
DEFAULT_STORE_ROOT = PROJECT_ROOT / "storage" / "eval"  # one store per retrieval mode, apart from the app's
DEFAULT_THRESHOLDS = PROJECT_ROOT / "eval" / "thresholds.json"
SUITES = PROJECT_ROOT / "eval" / "suites.json"
DEFAULT_DOCS = (PROJECT_ROOT / "data" / "policies",)
CLAUSE_PIPELINE = "clause"
WORST_N = 10


class Pipeline(Protocol):
    name: str

    def ask(self, question: str, history: Sequence[dict] | None = None, backend: str | None = None,
            k: int | None = None) -> Answer: ...

    def search(self, query: str, k: int | None = None, doc: str | Sequence[str] | None = None) -> list[Hit]: ...

    def units(self) -> list[Clause]: ...


class ClausePipeline:
    """The product as it ships: the Assistant service."""

    name = CLAUSE_PIPELINE

    def __init__(self, assistant) -> None:
        self.assistant = assistant

    def ask(self, question, history=None, backend=None, k=None) -> Answer:
        return self.assistant.ask(question, history, backend=backend, k=k)

    def search(self, query, k=None, doc=None) -> list[Hit]:
        return self.assistant.search(query, k, doc)

    def units(self) -> list[Clause]:
        return [c for m, _ in self.assistant.documents() for c in self.assistant.clauses(m.doc_id)]


@dataclass
class PipelineRun:
    name: str
    results: list[ItemResult]
    unreachable: list[tuple[str, str]]  # (item id, evidence snippet) inside no single retrievable unit
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def overall(self) -> dict[str, Any]:
        return aggregate(self.results)

    def by_category(self) -> dict[str, dict[str, Any]]:
        return by_category(self.results, CATEGORIES)

    def worst(self, n: int = WORST_N) -> list[ItemResult]:
        return worst(self.results, n)


@dataclass
class DatasetRun:
    dataset: Path
    errors: list[DatasetError]
    config: dict[str, Any]
    main: PipelineRun
    baseline: PipelineRun | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "dataset": str(self.dataset),
            "n": len(self.main.results),
            "config": self.config,
            "errors": [{"line": e.line, "message": e.message} for e in self.errors],
            "overall": self.main.overall,
            "by_category": self.main.by_category(),
            "unreachable_evidence": [{"id": i, "evidence": s} for i, s in self.main.unreachable],
            "items": [r.to_json() for r in self.main.results],
        }
        if self.baseline is not None:
            out["baseline"] = {
                "name": self.baseline.name,
                "config": self.baseline.config,
                "overall": self.baseline.overall,
                "by_category": self.baseline.by_category(),
                "unreachable_evidence": [{"id": i, "evidence": s} for i, s in self.baseline.unreachable],
                "items": [r.to_json() for r in self.baseline.results],
            }
        return out


# ------------------------------------------------------------------ running


def run_pipeline(pipeline: Pipeline, items: Sequence[EvalItem], *, backend: str | None, k: int,
                 desc: str = "", progress: bool = True) -> PipelineRun:
    from tqdm import tqdm

    depth = max(k, RETRIEVAL_DEPTH)
    if items:  # one untimed question first: latency should not include loading jieba and the models
        _run_item(pipeline, items[0], backend, k, depth, quiet=True)
    results: list[ItemResult] = []
    for item in tqdm(items, desc=desc or pipeline.name, file=sys.stderr, unit="题", disable=not progress,
                     dynamic_ncols=True):
        results.append(score_item(_run_item(pipeline, item, backend, k, depth)))
    units = [c.text for c in pipeline.units()]
    unreachable = [(it.id, ev) for it in items for ev in it.evidence if not any(contains(t, ev) for t in units)]
    return PipelineRun(pipeline.name, results, unreachable)


def _run_item(pipeline: Pipeline, item: EvalItem, backend: str | None, k: int, depth: int,
              quiet: bool = False) -> ItemResult:
    error = None
    t0 = time.perf_counter()
    try:
        answer = pipeline.ask(item.question, [dict(t) for t in item.history], backend=backend, k=k)
    except Exception as e:  # a product bug on one question must not lose the run: it is reported on the item
        error = f"ask: {type(e).__name__}: {e}"
        answer = Answer(item.question, item.question, "", (), (), False, backend or "")
    ask_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    try:
        hits = pipeline.search(answer.standalone_question or item.question, depth)
    except Exception as e:  # as above
        error = error or f"search: {type(e).__name__}: {e}"
        hits = []
    search_ms = (time.perf_counter() - t0) * 1000
    if error and not quiet:
        print(f"错误 {item.id}：{error}", file=sys.stderr)
    return ItemResult(item, answer, hits, search_ms, ask_ms, error)


@dataclass(frozen=True)
class Suite:
    """A named dataset with the documents it is asked over (eval/suites.json)."""

    name: str
    dataset: Path
    docs: tuple[Path, ...]
    about: str = ""


def load_suites(path: Path = SUITES) -> dict[str, Suite]:
    import json

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {name: Suite(name, PROJECT_ROOT / d["dataset"], tuple(PROJECT_ROOT / x for x in d["docs"]), d.get("about", ""))
            for name, d in data["suites"].items()}


def docs_key(docs: Sequence[Path]) -> str:
    """A store name for a set of document folders: the default corpus keeps the plain name."""
    import hashlib

    paths = sorted(str(Path(d).resolve()) for d in docs)
    if paths == [str(p.resolve()) for p in DEFAULT_DOCS]:
        return ""
    return "docs-" + hashlib.sha1("\n".join(paths).encode()).hexdigest()[:10]


def open_assistant(store: str | Path | None, lexical: bool, backend: str | None, rebuild: bool = False,
                   embed_model: str | None = None, docs: Sequence[Path] = DEFAULT_DOCS, disabled: Sequence[str] = (),
                   refusal_threshold: float | None = None):
    """The Assistant on the eval's own store (storage/eval/<mode>[/docs-…]) unless a store is given; `rebuild`
    empties it first. `disabled` switches answer mechanisms off (an ablation)."""
    from assistant.service import Assistant

    sub = docs_key(docs)

    def at(path: Path, lex: bool):
        path = path / sub if sub and store is None else path
        if rebuild and path.exists():
            shutil.rmtree(path)
        return Assistant(store=path, retrieval="lexical" if lex else None, backend=backend, embed_model=embed_model,
                         disabled=tuple(disabled), refusal_threshold=refusal_threshold)

    if store is not None:
        return at(Path(store), lexical)
    if lexical:
        return at(DEFAULT_STORE_ROOT / "lexical", True)
    # A store built without vectors stays without them, so hybrid and lexical runs keep separate stores.
    probe = Assistant(store=DEFAULT_STORE_ROOT / "hybrid", backend=backend, embed_model=embed_model)
    if probe.mode().dense:
        return at(DEFAULT_STORE_ROOT / "hybrid", False)
    return at(DEFAULT_STORE_ROOT / "lexical", False)  # auto, so mode() keeps saying why dense is off


def prepare_store(assistant, progress: bool = True, docs: Sequence[Path] = DEFAULT_DOCS) -> None:
    """Ingest the dataset's documents; files already indexed byte-for-byte are skipped."""
    from assistant.service import stage_bars

    report = assistant.ingest(list(docs), stage_bars() if progress else None)
    for f in report.failed:
        print(f"导入失败 {f.path}：{f.error}", file=sys.stderr)
    if report.documents:
        print(f"已导入 {report.documents} 个文件（{report.clauses} 条）到 {assistant.settings.store}", file=sys.stderr)


def machine() -> dict[str, Any]:
    return {"cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}


def git_commit() -> dict[str, Any] | None:
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                               timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": sha, "dirty": bool(dirty)}


def base_config(assistant, backend: str | None, k: int) -> dict[str, Any]:
    mode = assistant.mode()
    return {
        "backend": backend or assistant.settings.backend,
        "retrieval": "hybrid" if mode.dense else "lexical",
        "retrieval_label": mode.label,
        "retrieval_note": None if mode.dense else mode.reason,
        "embed_model": mode.embed_model,
        "reranker": mode.reranker,
        "k": k,
        "search_depth": max(k, RETRIEVAL_DEPTH),
        "search_query": "standalone_question",
        "store": str(assistant.settings.store),
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "git": git_commit(),
    }


def run_dataset(path: Path, assistant, *, backend: str | None, k: int, baseline: Any = None,
                progress: bool = True) -> DatasetRun:
    """Evaluate one dataset file; malformed lines are printed (file:line) and skipped."""
    items, errors = load_dataset(path)
    for e in errors:
        print(f"{path}:{e.line}: {e.message}", file=sys.stderr)
    config = base_config(assistant, backend, k)
    config["dataset"] = str(path)
    main = run_pipeline(ClausePipeline(assistant), items, backend=backend, k=k,
                        desc=f"{path.name} 条款", progress=progress)
    base = None
    if baseline is not None:
        base = run_pipeline(baseline, items, backend=backend, k=k, desc=f"{path.name} {baseline.name}",
                            progress=progress)
        from eval.baseline import chunk_config

        base.config = {**chunk_config(), "chunks": len(baseline.units())}
    return DatasetRun(path, errors, config, main, base)


def check_thresholds(run: DatasetRun, thresholds: dict[str, dict[str, float]]) -> list[str]:
    """Metrics of the clause pipeline below their minimum (one Chinese line each). `thresholds` maps a dataset
    file name to its minimums ("*": any dataset); lower-is-better metrics (误拒率, latency, length) are maxima."""
    from eval.metrics import LOWER_IS_BETTER

    limits = thresholds.get(run.dataset.name) or thresholds.get("*") or {}
    failed = []
    overall = run.main.overall
    for key, bound in limits.items():
        value = overall.get(key)
        worse = value is None or (value > bound if key in LOWER_IS_BETTER else value < bound)
        if worse:
            word = "高于上限" if key in LOWER_IS_BETTER else "低于门槛"
            failed.append(f"{run.dataset.name}：{key} = {value} {word} {bound}")
    return failed


def load_thresholds(path: Path) -> dict[str, dict[str, float]]:
    """The gate: {"suites": {name: {"limits": {metric: bound}}}} (suites of eval/suites.json), keyed here by the
    suite's dataset file name; a plain {"minimums": {...}} applies to any dataset."""
    import json

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out: dict[str, dict[str, float]] = {}
    if "suites" in data:
        suites = load_suites()
        for name, entry in data["suites"].items():
            if name not in suites:
                raise ValueError(f"{path}: 未知的评测 {name}（eval/suites.json 中有：{'、'.join(suites)}）")
            out[suites[name].dataset.name] = _bounds(path, entry.get("limits", {}))
    if "minimums" in data:
        out["*"] = _bounds(path, data["minimums"])
    return out


def _bounds(path: Path, limits: dict) -> dict[str, float]:
    unknown = [k for k in limits if k not in METRIC_KEYS]
    if unknown:
        raise ValueError(f"{path}: 未知指标 {'、'.join(unknown)}（可选：{'、'.join(METRIC_KEYS)}）")
    return {k: float(v) for k, v in limits.items()}

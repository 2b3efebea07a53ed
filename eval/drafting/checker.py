"""Scores the drafting tools against the hand-made gold tables (see eval/drafting/README.md for the conventions).

Reads the service's results only: `Assistant.targets()`, `.unit_tasks()`, `.side_by_side()`.
"""
from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parents[1]
SHIPPED = (HERE / "targets.csv", HERE / "tasks.csv", HERE / "compare.csv")
UNSEEN_DIR = PROJECT_ROOT / "tests" / "fixtures" / "drafting"
UNSEEN = (UNSEEN_DIR / "gold_targets.csv", UNSEEN_DIR / "gold_tasks.csv", UNSEEN_DIR / "gold_compare.csv")
UNSEEN2 = (UNSEEN_DIR / "gold2_targets.csv", UNSEEN_DIR / "gold2_tasks.csv", UNSEEN_DIR / "gold2_compare.csv")
UNSEEN3 = (UNSEEN_DIR / "gold3_targets.csv", UNSEEN_DIR / "gold3_tasks.csv", UNSEEN_DIR / "gold3_compare.csv")
NOT_FOUND = "未找到"
LISTED = 12  # misses and false hits listed per tool


@dataclass
class Score:
    tool: str
    gold: int  # required gold rows
    extracted: int  # extracted rows counted for precision
    matched: int  # required gold rows found
    matched_strict: int  # … with the year (targets) / role (tasks) right too
    extracted_matched: int  # extracted rows that match a gold row
    extracted_strict: int
    extras: dict[str, float] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)
    false_hits: list[str] = field(default_factory=list)

    @staticmethod
    def _ratio(a: int, b: int) -> float:
        return round(a / b, 3) if b else 1.0

    @property
    def recall(self) -> float:
        return self._ratio(self.matched, self.gold)

    @property
    def precision(self) -> float:
        return self._ratio(self.extracted_matched, self.extracted)

    @property
    def strict_recall(self) -> float:
        return self._ratio(self.matched_strict, self.gold)

    @property
    def strict_precision(self) -> float:
        return self._ratio(self.extracted_strict, self.extracted)

    def to_json(self) -> dict[str, Any]:
        return {"tool": self.tool, "gold": self.gold, "extracted": self.extracted, "recall": self.recall,
                "precision": self.precision, "strict_recall": self.strict_recall,
                "strict_precision": self.strict_precision, **self.extras,
                "misses": self.misses, "false_hits": self.false_hits}


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _same_number(a: str, b: str) -> bool:
    pa, pb = a.split("-"), b.split("-")
    try:
        return len(pa) == len(pb) and all(abs(float(x) - float(y)) < 1e-9 for x, y in zip(pa, pb))
    except ValueError:
        return a == b


def _words(text: str) -> set[str]:
    import jieba

    jieba.setLogLevel(60)
    return {w for w in jieba.lcut(re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", text)) if len(w) >= 2}


def _year(s: Any) -> int | None:
    return int(s) if str(s or "").strip() else None


# ---- targets ------------------------------------------------------------------------------------

def score_targets(extracted: Sequence[Any], gold: Sequence[dict[str, str]]) -> Score:
    docs = {g["doc"] for g in gold}
    ext = [t for t in extracted if t.doc_title in docs]
    by_key: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for t in ext:
        by_key[(t.doc_title, t.label)].append(t)
    used: set[int] = set()
    matched = strict = ind_ok = cmp_ok = optional_hits = 0
    misses = []
    # Required rows first, and within them rows whose year is stated, so a loose match doesn't take a strict one's row.
    for g in sorted(gold, key=lambda g: (g["status"] != "required", not g["target_year"])):
        cands = [t for t in by_key[(g["doc"], g["label"])] if id(t) not in used
                 and _same_number(t.value, g["value"]) and t.unit == g["unit"]]
        if not cands:
            if g["status"] == "required":
                misses.append(f"{g['doc']} {g['label']} {g['indicator']} {g['value']}{g['unit']} ({g['target_year'] or '—'})")
            continue
        gy = _year(g["target_year"])
        gw = _words(g["indicator"])
        best = max(cands, key=lambda t: (t.target_year == gy, bool(gw & _words(t.indicator))))
        used.add(id(best))
        if g["status"] != "required":
            optional_hits += 1
            continue
        matched += 1
        if best.target_year == gy:
            strict += 1
        ind_ok += bool(gw & _words(best.indicator))
        cmp_ok += best.comparison == g["comparison"]
    false_hits = [f"{t.doc_title} {t.label} {t.indicator} {t.value_text} ({t.target_year or '—'})"
                  for t in ext if id(t) not in used]
    counted = len(ext) - optional_hits
    return Score("targets", sum(g["status"] == "required" for g in gold), counted, matched, strict, matched, strict,
                 {"indicator_agreement": Score._ratio(ind_ok, matched), "comparison_agreement": Score._ratio(cmp_ok, matched),
                  "optional_gold": sum(g["status"] != "required" for g in gold), "optional_found": optional_hits},
                 misses[:LISTED], false_hits[:LISTED])


# ---- tasks by unit ------------------------------------------------------------------------------

def score_tasks(results: dict[str, Any], gold: Sequence[dict[str, str]]) -> Score:
    docs = {g["doc"] for g in gold}
    gold_keys = {(g["unit"], g["doc"], g["label"]): g["role"] for g in gold}
    got: dict[tuple[str, str, str], str] = {}
    for unit, res in results.items():
        for t in res.tasks:
            if t.doc_title in docs:
                got.setdefault((unit, t.doc_title, t.label), t.role)
    hit = [k for k in gold_keys if k in got]
    strict = [k for k in hit if got[k] == gold_keys[k]]
    misses = [f"{u} {d} {l} {r}" for (u, d, l), r in gold_keys.items() if (u, d, l) not in got]
    misses += [f"{u} {d} {l} 角色 {got[(u, d, l)]}（应为 {r}）" for (u, d, l), r in gold_keys.items()
               if (u, d, l) in got and got[(u, d, l)] != r]
    false_hits = [f"{u} {d} {l} {r}" for (u, d, l), r in got.items() if (u, d, l) not in gold_keys]
    per_unit = {}
    for unit in results:
        g = [k for k in gold_keys if k[0] == unit]
        per_unit[f"recall[{unit}]"] = Score._ratio(sum(k in got for k in g), len(g))
    return Score("tasks", len(gold_keys), len(got), len(hit), len(strict), len(hit), len(strict), per_unit,
                 misses[:LISTED], false_hits[:LISTED])


# ---- side by side -------------------------------------------------------------------------------

def score_compare(results: dict[str, Any], gold: Sequence[dict[str, str]]) -> Score:
    first_right = any_right = 0
    misses = []
    for g in gold:
        res = results[g["topic"]]
        row = next((r for r in res.rows if r.doc_title == g["doc"]), None)
        accepted = set(g["labels"].split("|"))
        labels = [p.label for p in row.provisions] if row else []
        first = labels[0] if labels else NOT_FOUND
        if first in accepted:
            first_right += 1
        else:
            misses.append(f"{g['topic']} · {g['doc']}: 给出 {first}，应为 {g['labels']}")
        any_right += first in accepted or bool(accepted & set(labels))
    n = len(gold)
    return Score("side_by_side", n, n, first_right, first_right, first_right, first_right,
                 {"right_provision_in_row": Score._ratio(any_right, n)}, misses[:LISTED], [])


# ---- one run ------------------------------------------------------------------------------------

def evaluate(assistant, gold_files: Sequence[Path] = SHIPPED, only_docs: Iterable[str] | None = None) -> dict[str, Score]:
    """Score the three tools on one gold set; `only_docs` limits the targets run to those documents."""
    targets_gold, tasks_gold, compare_gold = (read_csv(p) for p in gold_files)
    gold_docs = sorted({g["doc"] for g in targets_gold})
    targets = assistant.targets(docs=list(only_docs) if only_docs else gold_docs)
    units = list(dict.fromkeys(g["unit"] for g in tasks_gold))
    tasks = {u: assistant.unit_tasks(u) for u in units}
    topics = list(dict.fromkeys(g["topic"] for g in compare_gold))
    compare = {t: assistant.side_by_side(t) for t in topics}
    return {"targets": score_targets(targets, targets_gold), "tasks": score_tasks(tasks, tasks_gold),
            "side_by_side": score_compare(compare, compare_gold)}

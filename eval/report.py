"""The Markdown report: configuration, metric tables (overall, per category, baseline beside), worst items."""
from __future__ import annotations

from typing import Any, Sequence

from eval.metrics import LATENCY_KEYS, METRIC_KEYS, QUALITY_KEYS
from eval.runner import WORST_N, DatasetRun

LABELS = {
    "hit@1": "hit@1",
    "hit@5": "hit@5",
    "recall@5": "recall@5",
    "mrr": "MRR",
    "fact_recall": "事实召回 fact_recall",
    "citation_precision": "引用精确率 citation_precision",
    "citation_recall": "引用召回 citation_recall",
    "numeric_grounding": "数字有据 numeric_grounding",
    "support_rate": "句子支持率 support_rate",
    "refusal_accuracy": "拒答准确率 refusal_accuracy",
    "false_refusal_rate": "误拒率 false_refusal_rate ↓",
    "search_p50_ms": "检索 p50 (ms) ↓",
    "search_p95_ms": "检索 p95 (ms) ↓",
    "ask_p50_ms": "问答 p50 (ms) ↓",
    "ask_p95_ms": "问答 p95 (ms) ↓",
    "answer_chars_p50": "回答字数中位数 answer_chars_p50 ↓",
}
CATEGORY_KEYS = ("hit@1", "hit@5", "mrr", "fact_recall", "citation_precision", "citation_recall",
                 "numeric_grounding", "support_rate", "refusal_accuracy", "false_refusal_rate", "ask_p50_ms")


def _fmt(key: str, v: Any) -> str:
    if v is None:
        return "–"
    if key in LATENCY_KEYS or key.endswith("_ms"):
        return f"{v:.1f}"
    return f"{v:.3f}"


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def render(runs: Sequence[DatasetRun]) -> str:
    parts = ["# 评测报告 / Eval report", ""]
    for run in runs:
        parts.extend(_render_run(run, heading="##" if len(runs) > 1 else ""))
    return "\n".join(parts).rstrip() + "\n"


def _render_run(run: DatasetRun, heading: str) -> list[str]:
    h = heading + "#" if heading else "##"
    c = run.config
    git = c.get("git") or {}
    commit = (git.get("commit", "")[:10] + (" (+未提交改动 uncommitted)" if git.get("dirty") else "")) if git else "–"
    out = []
    if heading:
        out += [f"{heading} {run.dataset.name}", ""]
    out += [
        f"- 数据集 dataset: `{c.get('dataset')}` — {len(run.main.results)} 题"
        + (f"，{len(run.errors)} 行格式错误已跳过 (malformed lines skipped)" if run.errors else ""),
        f"- 回答后端 backend: `{c.get('backend')}`；检索 retrieval: {c.get('retrieval_label')}"
        + (f"（{c.get('embed_model')}）" if c.get("embed_model") else "")
        + (f" + 重排序 {c.get('reranker')}" if c.get("reranker") else "")
        + (f"（{_cell(c['retrieval_note'])}）" if c.get("retrieval_note") else ""),
        f"- k = {c.get('k')}（检索深度 search depth {c.get('search_depth')}）；存储 store: `{c.get('store')}`",
        f"- 日期 date: {c.get('date')}；机器 machine: {c['machine']['cpu_count']} CPU 核，"
        f"{c['machine']['platform']}，Python {c['machine']['python']}；提交 commit: {commit}",
        "- 检索指标用回答的 standalone_question 检索（追问先改写为完整问题），"
        "所以追问题的检索与完整问题同等衡量。 Retrieval metrics search the answer's standalone question, "
        "so follow-ups are retrieved as the question the pipeline actually answered.",
        "- 延迟不含首个预热问题（加载分词词典）。 Latency excludes one untimed warm-up question.",
        "",
        f"{h} 总体 / Overall",
        "",
    ]
    base = run.baseline
    overall = run.main.overall
    if base is not None:
        bo = base.overall
        out += ["| 指标 metric | 条款切分 clause | 朴素切分 naive (512 字) | 差 Δ |", "|---|---:|---:|---:|"]
        for k in METRIC_KEYS:
            a, b = overall.get(k), bo.get(k)
            delta = "–" if a is None or b is None else f"{a - b:+.3f}" if k in QUALITY_KEYS else f"{a - b:+.1f}"
            out.append(f"| {LABELS[k]} | {_fmt(k, a)} | {_fmt(k, b)} | {delta} |")
    else:
        out += ["| 指标 metric | 条款切分 clause |", "|---|---:|"]
        out += [f"| {LABELS[k]} | {_fmt(k, overall.get(k))} |" for k in METRIC_KEYS]
    out += ["", "↓ = 越低越好 lower is better; – = 不适用 not applicable.", ""]

    out += _category_table(f"{h} 分类 / By category（条款切分 clause）", run.main.by_category())
    if base is not None:
        out += _category_table(f"{h} 分类 / By category（朴素切分 naive）", base.by_category())
        out += [f"朴素基线 naive baseline: {base.config.get('chunks')} 块 chunks，SentenceSplitter"
                f"(chunk_size={base.config.get('chunk_size')}, chunk_overlap={base.config.get('chunk_overlap')}, "
                "tokenizer=字符 characters)；同一 BM25 / 向量 / 回答器，无同义词扩展、无按文件名排序。", ""]

    out += [f"{h} 最差的 {WORST_N} 题 / Ten worst items（条款切分 clause）", ""]
    worst = run.main.worst()
    if not worst:
        out += ["没有出错的题。 No item had a problem.", ""]
    for i, r in enumerate(worst, 1):
        out.append(f"{i}. **{r.item.id}**（{r.item.category}，得分 score {r.score:.2f}）{_cell(r.item.question)}")
        out.append(f"   - 回答 answer: {_cell(_short(r.answer.answer, 120)) or '（空 empty）'}")
        out.extend(f"   - {_cell(p)}" for p in r.problems[:6])
        if len(r.problems) > 6:
            out.append(f"   - ……另有 {len(r.problems) - 6} 项 (+{len(r.problems) - 6} more)")
    out.append("")

    if run.main.unreachable:
        out += [f"{h} 无法命中的证据 / Evidence inside no single clause", "",
                "这些证据片段不完整地落在任何一个条款中（跨越条款边界），检索指标对它们不可能满分："]
        out += [f"- {i}：「{_cell(_short(ev, 60))}」" for i, ev in run.main.unreachable]
        out.append("")
    if run.errors:
        out += [f"{h} 数据集错误 / Dataset errors", ""]
        out += [f"- `{run.dataset.name}:{e.line}` {_cell(e.message)}" for e in run.errors]
        out.append("")
    return out


def _category_table(title: str, cats: dict[str, dict[str, Any]]) -> list[str]:
    out = [title, "", "| 类别 category | n | " + " | ".join(CATEGORY_KEYS) + " |",
           "|---|---:|" + "---:|" * len(CATEGORY_KEYS)]
    for cat, m in cats.items():
        out.append(f"| {cat} | {m['n']} | " + " | ".join(_fmt(k, m.get(k)) for k in CATEGORY_KEYS) + " |")
    out.append("")
    return out


def _short(s: str, n: int) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[:n] + "…"


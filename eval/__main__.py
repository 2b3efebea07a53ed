"""python -m eval run …: evaluate the Assistant on QA datasets; arguments in, files and exit code out."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

EPILOG = """示例 / examples:
  python -m eval run --lexical                                  # 默认数据集，仅关键词检索
  python -m eval run --lexical --json r.json --report r.md --baseline naive
  python -m eval run --dataset eval/datasets/policy_qa.jsonl --dataset 我的题库.jsonl -k 8
  python -m eval run --lexical --thresholds eval/thresholds.json   # CI 门槛：低于最小值时退出码 1
  python -m eval drafting                                       # 起草助手：指标、按单位、对照 对照金标准的查准率/查全率

格式错误的行各打印一行（文件:行号: 原因）并跳过，其余题照常评测，退出码仍为 0；
错误也写入 JSON 的 "errors"。 Malformed lines are reported (file:line) and skipped; exit code stays 0.
指标说明见 eval/README.md。 Metrics are explained in eval/README.md.
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m eval", description="政策问答评测 / QA evaluation",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    r = sub.add_parser("run", help="评测一个或多个数据集", description="评测一个或多个数据集（依次运行，各自报告）",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("--dataset", action="append", metavar="FILE",
                   help="JSON Lines 数据集（可重复；默认 eval/datasets/policy_qa.jsonl）")
    r.add_argument("--docs", action="append", metavar="PATH",
                   help="数据集所依据的文件或目录（可重复；默认 data/policies）：评测前导入，与其他文件集分开存储")
    r.add_argument("--suite", action="append", metavar="NAME",
                   help="eval/suites.json 中的命名评测（数据集 + 文件），如 own、blind_dev、blind_test（可重复）")
    r.add_argument("--without", action="append", metavar="MECHANISM", default=[],
                   help="关闭一个回答机制（消融实验，可重复），见 `python -m eval mechanisms`")
    r.add_argument("--store", metavar="DIR", help="索引存储目录（默认 storage/eval/<lexical|hybrid>，与应用的存储分开）")
    r.add_argument("--rebuild", action="store_true", help="先清空存储目录再导入（解析器改动后用）")
    r.add_argument("--backend", choices=["extractive", "openai", "transformers"],
                   help="回答后端（默认 extractive，或环境变量 ASSISTANT_BACKEND）")
    r.add_argument("-k", type=int, default=5, help="检索/回答用的条款数（默认 5）")
    r.add_argument("--lexical", action="store_true", help="只用关键词检索（不加载嵌入模型）")
    r.add_argument("--embed-model", help="bge 嵌入模型：hub id 或本地文件夹（或环境变量 ASSISTANT_EMBED_MODEL）")
    r.add_argument("--baseline", choices=["naive"], help="同时评测朴素基线：512 字 SentenceSplitter 分块")
    r.add_argument("--json", metavar="OUT", help="结果写入 JSON（多个数据集时为列表）")
    r.add_argument("--report", metavar="OUT.md", help="Markdown 报告")
    r.add_argument("--thresholds", metavar="FILE", help="指标门槛 JSON（如 eval/thresholds.json）；低于门槛退出码 1")
    r.add_argument("--no-progress", action="store_true", help="不显示进度条")
    sub.add_parser("mechanisms", help="列出可关闭的回答机制（消融实验用）")
    c = _add_study_parser(sub, "refusal-curve", "拒答阈值曲线：各阈值下的误拒率与对文件外问题的拒答率（用 blind dev 校准）")
    c.add_argument("--thresholds", default="0.3,0.35,0.4,0.45,0.5,0.55,0.6,0.65", help="逗号分隔的阈值")
    a = _add_study_parser(sub, "ablate", "消融实验：逐一关闭每个回答机制，与完整产品并列报告（报告用 blind_test）")
    a.add_argument("--mechanism", action="append", metavar="NAME", help="只消融这些机制（可重复；默认全部）")

    d = sub.add_parser("drafting", help="起草助手（对照 / 按单位 / 指标）对照金标准评测",
                       description="起草助手三个工具在金标准表上的查准率和查全率：五个随附方案（eval/drafting/）和一个未参与"
                                   "调试的虚构方案（tests/fixtures/drafting/）。金标准的约定见 eval/drafting/README.md。")
    d.add_argument("--store", metavar="DIR", help="索引存储目录（默认 storage/eval/drafting/，与应用的存储分开）")
    d.add_argument("--rebuild", action="store_true", help="先清空存储目录再导入")
    d.add_argument("--only", choices=["shipped", "unseen", "unseen2", "unseen3"], help="只评测其中一组")
    d.add_argument("--json", metavar="OUT", help="结果写入 JSON")
    d.add_argument("--thresholds", metavar="FILE", help="门槛 JSON（如 eval/drafting/thresholds.json）；低于门槛退出码 1")
    d.add_argument("-v", "--verbose", action="store_true", help="列出漏检和误检的行")
    return p


def _add_study_parser(sub, name: str, help_text: str) -> argparse.ArgumentParser:
    r = sub.add_parser(name, help=help_text, description=help_text)
    r.add_argument("--suite", action="append", metavar="NAME", help="eval/suites.json 中的评测（可重复；默认 blind_dev）")
    r.add_argument("--lexical", action="store_true", help="只用关键词检索")
    r.add_argument("-k", type=int, default=5)
    r.add_argument("--json", metavar="OUT", help="结果写入 JSON")
    return r


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def _summary(run) -> str:
    o = run.main.overall
    keys = ("hit@1", "hit@5", "mrr", "fact_recall", "citation_precision", "numeric_grounding", "refusal_accuracy",
            "false_refusal_rate", "answer_chars_p50", "ask_p50_ms")
    line = f"{run.dataset.name}（{o['n']} 题）条款 clause: " + "，".join(f"{k} {o[k]}" for k in keys)
    if run.baseline is not None:
        b = run.baseline.overall
        line += f"\n{run.dataset.name} 朴素 naive: " + "，".join(f"{k} {b[k]}" for k in keys)
    return line


def cmd_run(args: argparse.Namespace) -> int:
    from eval import runner

    if args.k < 1:
        _say("-k 应为正整数")
        return EXIT_USAGE
    thresholds = None
    if args.thresholds:
        try:
            thresholds = runner.load_thresholds(Path(args.thresholds))
        except (OSError, ValueError) as e:
            _say(f"无法读取门槛文件：{e}")
            return EXIT_USAGE
    try:
        jobs = _jobs(args, runner)
    except (OSError, ValueError, KeyError) as e:
        _say(str(e))
        return EXIT_USAGE
    from assistant.service import unknown_mechanisms

    if unknown_mechanisms(args.without):
        _say(f"未知的回答机制：{'、'.join(unknown_mechanisms(args.without))}；可选见 `python -m eval mechanisms`")
        return EXIT_USAGE
    missing = [p for p, _ in jobs if not p.is_file()]
    for p in missing:
        _say(f"找不到数据集文件 {p}")
    for p in {d for _, docs in jobs for d in docs if not d.exists()}:
        _say(f"找不到文件或目录 {p}（--docs）")
        missing.append(p)
    jobs = [(p, docs) for p, docs in jobs if p.is_file() and all(d.exists() for d in docs)]
    if not jobs:
        return EXIT_FAILED

    progress = not args.no_progress
    runs = []
    for docs in dict.fromkeys(docs for _, docs in jobs):  # one store per document set
        assistant = runner.open_assistant(args.store, args.lexical, args.backend, rebuild=args.rebuild,
                                           embed_model=args.embed_model, docs=docs, disabled=args.without)
        runner.prepare_store(assistant, progress, docs)
        baseline = None
        if args.baseline == "naive":
            from eval.baseline import NaivePipeline

            baseline = NaivePipeline.build(assistant)
        for path in (p for p, d in jobs if d == docs):
            run = runner.run_dataset(path, assistant, backend=args.backend, k=args.k, baseline=baseline,
                                     progress=progress)
            run.config["docs"] = [str(d) for d in docs]
            run.config["disabled"] = list(args.without)
            runs.append(run)
            _say(_summary(run))

    if args.json:
        data = [r.to_json() for r in runs]
        Path(args.json).write_text(json.dumps(data[0] if len(data) == 1 else data, ensure_ascii=False, indent=1),
                                   encoding="utf-8")
    if args.report:
        from eval.report import render

        Path(args.report).write_text(render(runs), encoding="utf-8")

    pipelines = [p for run in runs for p in (run.main, run.baseline) if p is not None]
    failed = bool(missing) or any(r.error for p in pipelines for r in p.results)
    if thresholds:
        below = [line for run in runs for line in runner.check_thresholds(run, thresholds)]
        for line in below:
            _say(line)
        failed = failed or bool(below)
    return EXIT_FAILED if failed else EXIT_OK


def _jobs(args: argparse.Namespace, runner) -> list[tuple[Path, tuple[Path, ...]]]:
    """(dataset, documents) pairs from --suite and --dataset/--docs."""
    docs = tuple(Path(d) for d in args.docs) if args.docs else runner.DEFAULT_DOCS
    jobs = []
    if args.suite:
        suites = runner.load_suites()
        for name in args.suite:
            if name not in suites:
                raise KeyError(f"未知的评测 {name}；eval/suites.json 中有：{'、'.join(suites)}")
            jobs.append((suites[name].dataset, suites[name].docs))
    if args.dataset or not args.suite:
        jobs += [(Path(d), docs) for d in (args.dataset or [runner.DEFAULT_DATASET])]
    return jobs


STUDY_KEYS = ("hit@1", "hit@5", "fact_recall", "false_refusal_rate", "refusal_accuracy", "numeric_grounding",
              "answer_chars_p50")


def _study_runs(args: argparse.Namespace, settings: list[tuple[str, dict]]) -> list[dict]:
    """Run each suite under each setting (label, open_assistant overrides); one row per (suite, setting)."""
    from eval import runner

    suites = runner.load_suites()
    names = args.suite or ["blind_dev"]
    unknown = [n for n in names if n not in suites]
    if unknown:
        raise KeyError(f"未知的评测 {'、'.join(unknown)}；eval/suites.json 中有：{'、'.join(suites)}")
    rows = []
    for name in names:
        suite = suites[name]
        for label, overrides in settings:
            assistant = runner.open_assistant(None, args.lexical, "extractive", docs=suite.docs, **overrides)
            runner.prepare_store(assistant, False, suite.docs)
            run = runner.run_dataset(suite.dataset, assistant, backend="extractive", k=args.k, progress=False)
            o = run.main.overall
            rows.append({"suite": name, "setting": label, **{k: o.get(k) for k in STUDY_KEYS}})
            _say(f"{name} {label}: " + "，".join(f"{k} {o.get(k)}" for k in STUDY_KEYS))
    return rows


def _table(rows: list[dict], first: str) -> str:
    head = f"| suite | {first} | " + " | ".join(STUDY_KEYS) + " |"
    out = [head, "|---|---|" + "---:|" * len(STUDY_KEYS)]
    for r in rows:
        cells = ["–" if r[k] is None else (f"{r[k]:.1f}" if k.endswith("p50") else f"{r[k]:.3f}") for k in STUDY_KEYS]
        out.append(f"| {r['suite']} | {r['setting']} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def cmd_study(args: argparse.Namespace) -> int:
    from assistant.service import MECHANISMS, REFUSE_BELOW

    try:
        if args.command == "refusal-curve":
            values = [float(x) for x in args.thresholds.split(",") if x.strip()]
            settings = [(f"{t:.2f}" + (" ←" if abs(t - REFUSE_BELOW) < 1e-9 else ""), {"refusal_threshold": t})
                        for t in values]
            rows = _study_runs(args, settings)
            print(_table(rows, "threshold"))
        else:
            names = args.mechanism or list(MECHANISMS)
            bad = [n for n in names if n not in MECHANISMS]
            if bad:
                _say(f"未知的回答机制：{'、'.join(bad)}；可选：{'、'.join(MECHANISMS)}")
                return EXIT_USAGE
            rows = _study_runs(args, [("all mechanisms", {})] + [(f"without {n}", {"disabled": (n,)}) for n in names])
            print(_table(rows, "setting"))
    except (KeyError, ValueError) as e:
        _say(str(e))
        return EXIT_USAGE
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return EXIT_OK


def cmd_drafting(args: argparse.Namespace) -> int:
    from eval.drafting import report

    return report.main(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        return cmd_run(args)
    if args.command == "mechanisms":
        from assistant.service import MECHANISMS

        for name, about in MECHANISMS.items():
            print(f"{name:18} {about}")
        return EXIT_OK
    if args.command in ("refusal-curve", "ablate"):
        return cmd_study(args)
    if args.command == "drafting":
        return cmd_drafting(args)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())

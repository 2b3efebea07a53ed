"""Index benchmark: the shipped corpus and a large corpus side by side, lexical mode, in one run.

For each corpus, in a fresh process: ingest (clauses/s), open (a new ClauseIndex until its first search
returns), search p50/p95 and ask p50/p95 through the Assistant service (the shipped questions), adding one
document (a synthetic 60-clause plan), peak RSS (the process and its ingest workers); then, in new processes, the
CLI's `search` and `ask` wall time, and hit@1/hit@5 of the eval runner on the shipped store. Prints a table,
writes JSON to --out; asserts nothing. --dense adds the CPU cost of bge-small encoding (random weights).

Examples:
  python bench/bench_index.py --corpus ../shared/laws           # shipped vs shipped + laws (~10 min on 2 idle cores)
  python bench/bench_index.py                                   # the shipped corpus only
  python bench/bench_index.py --corpus ../shared/laws --dense   # + dense encoding cost (~5 min more)
  python bench/bench_index.py --corpus ../shared/laws --profile-ask 30   # + where ask time goes at scale
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent)]
from bench_common import (QUESTIONS, ROOT, SOURCE, contention, cpu_s, dir_mb, fmt_load, latency, log,  # noqa: E402
                          peak_rss_mb, table, timed)

DEFAULT_OUT = "bench/out/results.json"
CLI_RUNS = 3  # CLI wall time: median of this many runs
ASK_LIMIT_S = 20  # an ask still running after this is stopped and counted at this time (the table says how many)
PROFILE_TOP = 25
PACKAGES = ("rjieba", "jieba", "chromadb", "numpy", "FlagEmbedding", "torch", "transformers")
BLIND = ROOT / "eval" / "datasets" / "blind"  # blind_dev.jsonl + docs/ (the statutes its questions are about)


# ---- one corpus, one fresh process ---------------------------------------------------------------
def lexical_worker(paths: list[str], store: str, extra: str, questions: list[str], k: int, profile_n: int) -> dict:
    import resource

    from assistant.service import Assistant
    from index.store.clause_index import ClauseIndex
    from index.store.tokens import tokenize

    tokenize("预热分词词典")
    load_start = contention()
    log(f"  ingest {' + '.join(paths)}")
    cpu0 = cpu_s()
    report, ingest_s = timed(lambda: ClauseIndex(store, lexical_only=True).ingest(paths))
    ingest_cpu = cpu_s() - cpu0
    if report.failed:
        log(f"  {len(report.failed)} files failed, first: {report.failed[0]}")
    rss_ingest = peak_rss_mb()

    def open_and_search():
        idx = ClauseIndex(store, lexical_only=True)
        idx.search(questions[0], k)
        return idx

    index, open_s = timed(open_and_search)
    n_docs, n_clauses = len(index.documents()), index.n_clauses()
    log(f"  search and ask, {len(questions)} questions")
    search = [timed(lambda: index.search(q, k))[1] for q in questions]
    assistant = Assistant(store=store, retrieval="lexical")
    _, first_ask_s = timed(lambda: assistant.ask(questions[0]))
    ask, stopped = [], []
    for q in questions:
        took, done = _bounded(lambda: assistant.ask(q), ASK_LIMIT_S)
        ask.append(took)
        if not done:
            stopped.append(q)
    profile = _profile_asks(assistant, questions[:profile_n]) if profile_n else None
    log("  add one document")
    extra_report, add_s = timed(lambda: ClauseIndex(store, lexical_only=True).ingest([extra]))
    return {
        "documents": n_docs, "clauses": n_clauses, "ingested_clauses": report.clauses,
        "failed": len(report.failed), "ingest_s": ingest_s, "ingest_cpu_s": ingest_cpu,
        "ingest_clauses_per_s": report.clauses / ingest_s if ingest_s else 0.0,
        "open_s": open_s, "search": latency(search), "first_ask_ms": first_ask_s * 1000, "ask": latency(ask),
        "ask_stopped": stopped,
        "add_one_s": add_s, "add_one_clauses": extra_report.clauses,
        "peak_rss_ingest_mb": rss_ingest, "peak_rss_mb": peak_rss_mb(),
        "peak_rss_workers_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "store_mb": dir_mb(Path(store)), "profile_ask": profile,
        "contention_start": load_start, "contention_end": contention(),
    }


class _Stopped(Exception):
    pass


def _bounded(fn, limit_s: float) -> tuple[float, bool]:
    """(seconds, finished): fn stopped by SIGALRM after limit_s, so one pathological question can't stall the run."""
    import signal

    def stop(*_):
        raise _Stopped

    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, limit_s)
    t = time.perf_counter()
    try:
        fn()
        return time.perf_counter() - t, True
    except _Stopped:
        return limit_s, False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _profile_asks(assistant, questions: list[str]) -> str:
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    for q in questions:
        assistant.ask(q)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(PROFILE_TOP)
    return out.getvalue()


# ---- new processes: the CLI and the eval runner ---------------------------------------------------
def cli_wall(store: str, question: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    out = {}
    for cmd in ("search", "ask"):
        runs = []
        for _ in range(CLI_RUNS):
            t = time.perf_counter()
            r = subprocess.run([sys.executable, "-m", "assistant", cmd, question, "--store", store, "--lexical"],
                               cwd=ROOT, env=env, capture_output=True, text=True)
            runs.append(time.perf_counter() - t)
            if r.returncode != 0:
                log(f"  CLI {cmd} exited {r.returncode}: {r.stderr.strip()[-200:]}")
        out[cmd] = {"runs_s": runs, "median_s": statistics.median(runs)}
    return out


def eval_hits(store: str, datasets: list[Path], extra_docs: Path | None) -> dict:
    """hit@1/hit@5 of `python -m eval run --lexical` on a store of the shipped corpus (+ `extra_docs`), per dataset."""
    out = {}
    if extra_docs is not None:
        subprocess.run([sys.executable, "-m", "assistant", "ingest", str(SOURCE), str(extra_docs), "--store", store,
                        "--lexical"], cwd=ROOT, capture_output=True, text=True)
    for ds in datasets:
        with tempfile.NamedTemporaryFile(suffix=".json") as f:
            r = subprocess.run([sys.executable, "-m", "eval", "run", "--lexical", "--store", store, "--dataset", str(ds),
                                "--json", f.name, "--no-progress"], cwd=ROOT, capture_output=True, text=True)
            if r.returncode not in (0, 1):
                log(f"  eval on {ds.name} exited {r.returncode}: {r.stderr.strip()[-200:]}")
                continue
            data = json.loads(Path(f.name).read_text(encoding="utf-8"))
        overall = (data[0] if isinstance(data, list) else data)["overall"]
        out[ds.name] = {"n": overall["n"], "hit@1": overall["hit@1"], "hit@5": overall["hit@5"]}
    return out


# ---- driver ----------------------------------------------------------------------------------------
def _in_fresh_process(fn, *args):
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def machine_facts(argv: list[str]) -> dict:
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "cpu_count": os.cpu_count(),
            "cpus_usable": len(os.sched_getaffinity(0)), "python": platform.python_version(),
            "platform": platform.platform(), "git_commit": commit, "packages": versions,
            "command": shlex.join(["python"] + argv), "contention_start": contention()}


def render(results: dict) -> str:
    f = results["machine"]
    cols = results["corpora"]
    out = [f"# bench/bench_index.py — {f['date']}",
           f"machine: {f['cpu_count']} CPUs ({f['cpus_usable']} usable), Python {f['python']}, {f['platform']}, "
           f"commit {f['git_commit']}",
           f"command: {f['command']}",
           f"load while running (1-min load average / CPU pressure avg10): start {fmt_load(f['contention_start'])}, "
           f"end {fmt_load(results['contention_end'])}",
           f"questions: {results['queries']} from {QUESTIONS.relative_to(ROOT)}, k={results['k']}, lexical, extractive",
           ""]

    def row(name, fn):
        return [name] + [fn(c["result"], c) for c in cols]

    rows = [
        row("documents / clauses", lambda r, c: f"{r['documents']:,} / {r['clauses']:,}"),
        row("ingest (clauses/s wall; CPU s incl. workers)",
            lambda r, c: f"{r['ingest_clauses_per_s']:,.0f} ({r['ingest_s']:.1f} s; {r['ingest_cpu_s']:.1f} s)"),
        row("open the store (first search ready)", lambda r, c: f"{r['open_s']:.2f} s"),
        row("search p50 / p95", lambda r, c: f"{r['search']['p50_ms']:.1f} / {r['search']['p95_ms']:.1f} ms"),
        row("ask p50 / p95 (Assistant)", lambda r, c: f"{r['ask']['p50_ms']:.0f} / {r['ask']['p95_ms']:.0f} ms"
            + (f" ({len(r['ask_stopped'])} stopped at {ASK_LIMIT_S} s)" if r.get("ask_stopped") else "")),
        row("add one document", lambda r, c: f"{r['add_one_s']:.2f} s ({r['add_one_clauses']} clauses)"),
        row("peak RSS (process / ingest workers)",
            lambda r, c: f"{r['peak_rss_mb']:.0f} / {r['peak_rss_workers_mb']:.0f} MB"),
        row("CLI search / ask wall (median of 3)",
            lambda r, c: f"{c['cli']['search']['median_s']:.2f} / {c['cli']['ask']['median_s']:.2f} s"),
        row("store on disk", lambda r, c: f"{r['store_mb']:.0f} MB"),
        row("load at start", lambda r, c: fmt_load(r["contention_start"])),
    ]
    ratio = cols[-1]["result"]["ask"]["p50_ms"] / max(cols[0]["result"]["ask"]["p50_ms"], 1e-9)
    out.append(table(rows, [""] + [c["name"] for c in cols]))
    if len(cols) > 1:
        out.append(f"ask p50, large / shipped: {ratio:.1f}×")
    for key, where in (("eval", "the shipped corpus"), ("eval_blind", "the shipped corpus + the blind set's documents")):
        for name, hits in results.get(key, {}).items():
            out.append(f"eval runner, {name} ({hits['n']} questions) on {where}: hit@1 {hits['hit@1']:.4f}, "
                       f"hit@5 {hits['hit@5']:.4f}")
    for c in cols:
        for q in c["result"].get("ask_stopped", []):
            out.append(f"ask stopped after {ASK_LIMIT_S} s on {c['name']}: {q}")
    for c in cols:
        if c["result"].get("profile_ask"):
            out += ["", f"ask profile, {c['name']}:", c["result"]["profile_ask"]]
    if results.get("dense"):
        from bench_dense import render_dense

        out += render_dense(results["dense"])
    out.append(f"\ntotal wall time {results['wall_s']:.0f} s")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", help="a folder of documents to add to the shipped corpus (e.g. ../shared/laws)")
    ap.add_argument("--queries", type=int, default=0, help="questions to time search and ask with (default 0 = all)")
    ap.add_argument("-k", type=int, default=5, help="hits per search (default 5)")
    ap.add_argument("--profile-ask", type=int, default=0, metavar="N", help="profile N asks on the large corpus")
    ap.add_argument("--dense", action="store_true", help="add bge-small encoding cost on CPU (random weights)")
    ap.add_argument("--dense-sample", type=int, default=256, help="texts for the dense figures (default 256)")
    ap.add_argument("--batch-size", type=int, default=32, help="dense batch size (default 32)")
    ap.add_argument("--blind", default=str(BLIND), help="a blind set folder (blind_dev.jsonl, docs/) to run the eval "
                    f"runner on as well (default {BLIND.relative_to(ROOT)}, skipped when missing)")
    ap.add_argument("--out", default=DEFAULT_OUT, help=f"JSON results file (default {DEFAULT_OUT})")
    ap.add_argument("--workdir", help="where stores are written (default: a temp dir, removed afterwards)")
    args = ap.parse_args(argv)
    if args.corpus and not Path(args.corpus).is_dir():
        ap.error(f"--corpus {args.corpus}: not a folder")

    t0 = time.perf_counter()
    from synth import build_pool, extra_document

    questions = [json.loads(x)["question"] for x in QUESTIONS.read_text(encoding="utf-8").splitlines() if x.strip()]
    questions = questions[: args.queries] if args.queries else questions
    facts = machine_facts(["bench/bench_index.py"] + argv)
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench-index-"))
    work.mkdir(parents=True, exist_ok=True)
    results = {"machine": facts, "queries": len(questions), "k": args.k, "corpora": []}
    corpora = [("shipped", [str(SOURCE)])]
    if args.corpus:
        corpora.append((f"shipped + {Path(args.corpus).name}", [str(SOURCE), str(Path(args.corpus).resolve())]))
    try:
        extra = extra_document(work / "extra", build_pool(SOURCE))
        for n, (name, paths) in enumerate(corpora):
            store = work / f"store-{n}"
            shutil.rmtree(store, ignore_errors=True)
            log(f"{name}")
            profile_n = args.profile_ask if n == len(corpora) - 1 else 0
            r = _in_fresh_process(lexical_worker, paths, str(store), str(extra), questions, args.k, profile_n)
            log(f"  CLI search / ask, {CLI_RUNS} runs each")
            results["corpora"].append({"name": name, "paths": paths, "result": r, "cli": cli_wall(str(store), questions[0])})
            if n == 0:
                log("  eval runner on the shipped store")
                shipped = work / "store-eval"
                shutil.rmtree(shipped, ignore_errors=True)
                results["eval"] = eval_hits(str(shipped), [QUESTIONS], None)
                blind = Path(args.blind)
                if (blind / "blind_dev.jsonl").exists():
                    results["eval_blind"] = eval_hits(str(work / "store-blind"), [blind / "blind_dev.jsonl", QUESTIONS],
                                                      blind / "docs" if (blind / "docs").is_dir() else None)
        if args.dense:
            from bench_dense import dense_worker

            results["dense"] = _in_fresh_process(dense_worker, str(work), questions, args.dense_sample,
                                                 args.batch_size, 512, 1, args.k)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    results["wall_s"] = time.perf_counter() - t0
    results["contention_end"] = contention()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(render(results))
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

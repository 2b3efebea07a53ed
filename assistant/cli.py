"""Command line: python -m assistant {ingest,docs,clauses,search,lookup,status,remove,ask,chat,audit,compare,tasks,targets} ...

Only translates arguments and output; all work is done by the Assistant service. Imports stay inside the
commands, so `docs` and `--help` start without the answer path or the models.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
CLEAR = "清除"
USER_STATUSES = ("已废止", "尚未施行", "现行有效")  # index.versions.USER_STATUSES, without importing the index for --help

EPILOG = """示例 / examples:
  python -m assistant ingest                       # 导入 data/policies/ 下的全部文件
  python -m assistant ingest 新文件.docx --json
  python -m assistant docs
  python -m assistant clauses 上海市环境保护条例
  python -m assistant search "嘉定区新增光伏装机目标" -k 5
  python -m assistant search "第十八条" --doc 上海市环境保护条例 --json
  python -m assistant lookup "《上海市环境保护条例》第十八条第二款"    # 按引用查找：标题、简称、文号、本产品打印的引文
  python -m assistant lookup "环境保护条例 第十八条"
  python -m assistant lookup "《嘉定区减污降碳协同增效实施方案》（嘉府发〔2023〕27号）二、（一）1."
  python -m assistant lookup "上海市优化营商环境条例 2020年版 第八十五条"   # 指定版本；也可写“修订前”
  python -m assistant status 上海市优化营商环境条例                 # 查看效力状态和各版本
  python -m assistant status 上海市环境保护条例 已废止 --note "2027年起由新条例取代"
  python -m assistant remove 普陀区碳达峰实施方案
  python -m assistant ask "嘉定区到2025年新增光伏装机目标是多少？哪些部门负责？"
  python -m assistant ask "那青浦区呢？" --history history.json --json
  python -m assistant chat --backend openai        # 需设置 ASSISTANT_LLM_BASE_URL / _MODEL / _API_KEY
  python -m assistant audit --since 2026-12-01     # 审计日志：每次回答的问题、引用条款、反馈
  python -m assistant audit --csv audit.csv --candidates 差评候选.jsonl
  python -m assistant compare 光伏装机                # 起草助手·对照：各方案的相关规定，没有的写“未找到”
  python -m assistant compare --clause "嘉定 二（一）1" --export 对照.docx
  python -m assistant tasks 区发改委 --role 牵头 --export 发改委任务.xlsx
  python -m assistant targets --year 2025 --sort 指标 --tsv > 指标.tsv   # 粘贴到 WPS/Excel
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m assistant", description="政策条款问答助手 命令行",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", help="索引存储目录（默认 storage/，或环境变量 ASSISTANT_STORE）")
    common.add_argument("--embed-model", help="bge 嵌入模型：hub id 或本地文件夹（或环境变量 ASSISTANT_EMBED_MODEL）")
    common.add_argument("--lexical", action="store_true", help="只用关键词检索（不加载嵌入模型）")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("ingest", parents=[common], help="导入文件（默认 data/policies/；文件夹递归）")
    s.add_argument("paths", nargs="*", metavar="PATH")
    s.add_argument("--json", action="store_true", help="输出 JSON")

    s = sub.add_parser("docs", parents=[common], help="列出已导入的文件和检索模式")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("clauses", parents=[common], help="按文件顺序列出一个文件的条款")
    s.add_argument("doc", metavar="DOC", help="doc_id 或标题")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("search", parents=[common], help="检索条款")
    s.add_argument("query", metavar="QUERY")
    s.add_argument("-k", type=int, default=5, help="返回条数（默认 5）")
    s.add_argument("--doc", action="append", help="只在该文件中检索（可重复）")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("lookup", parents=[common], help="按引用查找条款（《标题》第X条第Y款、简称、文号、规范引文）",
                       description="按引用查找条款：《标题》第X条（第Y款、第Z项）、简称（大气污染防治条例 第十八条）、文号（可带条款）、"
                                   "本产品打印的规范引文，可指定版本（2020年版、修订前）。引用的条款不存在时只输出一行说明；"
                                   "不是引用时按相关度检索。")
    s.add_argument("reference", metavar="REF")
    s.add_argument("--doc", help="在该文件中查找（doc_id 或标题）")
    s.add_argument("-k", type=int, default=10, help="不是引用时返回的条数（默认 10）")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("status", parents=[common], help="查看或标注文件的效力状态（已废止 / 尚未施行 / 现行有效 / 清除）",
                       description="不带状态时列出该法规在库中的各版本及效力；带状态时标注（保存在索引中，重新导入后仍有效）。"
                                   "“清除”撤销手动标注。")
    s.add_argument("doc", metavar="DOC", help="doc_id 或标题（同名多个版本时，标题指现行版本，用 doc_id 指定旧版本）")
    s.add_argument("status", nargs="?", choices=[*USER_STATUSES, CLEAR], metavar="STATUS",
                   help=f"{' / '.join(USER_STATUSES)} / {CLEAR}")
    s.add_argument("--note", help="说明，如“2027年1月1日起由新条例取代”")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("remove", parents=[common], help="从索引中删除一个文件")
    s.add_argument("doc", metavar="DOC")

    answer = argparse.ArgumentParser(add_help=False)
    answer.add_argument("--backend", choices=["extractive", "openai", "transformers"],
                        help="回答后端（默认 extractive，或环境变量 ASSISTANT_BACKEND）")
    answer.add_argument("-k", type=int, default=None, help="检索的条款数（默认 5）")

    s = sub.add_parser("ask", parents=[common, answer], help="提问，回答带条款引用")
    s.add_argument("question", metavar="QUESTION")
    s.add_argument("--history", metavar="FILE", help='多轮对话历史：JSON 列表 [{"role": "user"|"assistant", "content": ...}]')
    s.add_argument("--json", action="store_true")

    sub.add_parser("chat", parents=[common, answer], help="在终端中多轮问答（输入 /exit 退出，/clear 清空历史）")

    s = sub.add_parser("audit", help="查看审计日志（每次回答的问题、引用条款及文件版本、是否拒答、用时、反馈）")
    s.add_argument("--store", help="索引存储目录（默认 storage/，或环境变量 ASSISTANT_STORE）")
    s.add_argument("--since", metavar="DATE", help="只看该时间之后的回答，如 2026-12-01 或 2026-12-01T09:30")
    s.add_argument("--csv", metavar="FILE", help="导出为 CSV（UTF-8，Excel/WPS 可直接打开）")
    s.add_argument("--candidates", metavar="FILE", help="把标记 👎 的回答导出为评测集格式（JSON Lines）的候选问题")
    s.add_argument("--json", action="store_true", help="每行输出一条 JSON 记录")

    table = argparse.ArgumentParser(add_help=False)
    table.add_argument("--doc", action="append", metavar="DOC",
                       help="只看这些文件（doc_id、标题或标题中的词如“青浦”；可重复；默认全部方案）")
    out = table.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="输出 JSON")
    out.add_argument("--tsv", action="store_true", help="输出制表符分隔的表格（可直接粘贴到 WPS/Excel）")
    table.add_argument("--export", metavar="FILE", help="导出为 .xlsx 或 .docx（按扩展名）")

    s = sub.add_parser("compare", parents=[common, table], help="起草助手·对照：一个主题在各文件中的规定",
                       description="对照：每个文件一行，列出相关条款原文、数字与年份、责任单位和规范引用；没有的写“未找到”。")
    s.add_argument("topic", nargs="?", metavar="TOPIC", help="主题，如 光伏装机、新能源汽车、单位生产总值能耗")
    s.add_argument("--clause", metavar="REF", help="以一个条款为准对照，如 “嘉定 二（一）1”（默认文件：同类文件）")

    s = sub.add_parser("tasks", parents=[common, table], help="起草助手·按单位：一个单位牵头或配合的全部任务",
                       description="按单位：单位牵头或配合的全部任务，按文件和条款列出时限、角色和引用；简称（区发改委）也可以。")
    s.add_argument("unit", metavar="UNIT", help="单位，如 区发展改革委、区发改委、市生态环境局")
    s.add_argument("--role", choices=["牵头", "配合"], help="只看牵头或只看配合的任务")

    s = sub.add_parser("targets", parents=[common, table], help="起草助手·指标：全部量化目标（含附件指标表）",
                       description="指标：所选文件中的全部量化目标：指标、目标值与单位、基准年、目标年、比较方式、文件、条款引用、责任单位。")
    s.add_argument("--indicator", metavar="WORDS", help="只看指标或原文含这些词的（空格分隔，全部要有）")
    s.add_argument("--year", type=int, metavar="YEAR", help="只看这一目标年，如 2025")
    s.add_argument("--sort", choices=["文件", "指标", "年份"], default="文件", help="排序（默认按文件顺序）")
    return p


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def _assistant(args: argparse.Namespace):
    from assistant.service import Assistant

    return Assistant(store=args.store, embed_model=args.embed_model, retrieval="lexical" if args.lexical else None)


def _announce_mode(assistant) -> None:
    """Why dense retrieval is off, once per store: a missing model is news the first time, noise after."""
    if assistant.settings.retrieval == "lexical":
        return  # asked for; nothing to explain
    mode = assistant.mode()
    if not mode.dense and mode.reason:
        from assistant.notices import first_time

        if first_time(assistant.settings.store, mode.reason):
            _say(f"提示：{mode.label}。{mode.reason}（此提示每个索引目录只显示一次；`python -m assistant docs` 可查看当前检索模式）")


def _short_reason(reason: str | None) -> str:
    """The first sentence of a mode's reason: what is wrong, without the how-to-fix."""
    return (reason or "").split("。")[0]


def _progress():
    """A tqdm bar per stage on a terminal; nothing when output is piped."""
    from assistant.progress import stage_bars

    return stage_bars() if sys.stderr.isatty() else None


def cmd_ingest(args, assistant) -> int:
    report = assistant.ingest(args.paths or None, None if args.json else _progress())
    _announce_mode(assistant)  # after: a new store exists now and remembers that it was told
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        for w in report.warnings:
            _say(f"警告：{w}")
        for f in report.failed:
            _say(f"失败：{f.path}: {f.error}")
        total = sum(n for _, n in assistant.documents())
        print(f"导入 {report.documents} 个文件（{report.clauses} 条），未变化跳过 {report.skipped_unchanged} 个，"
              f"失败 {len(report.failed)} 个；索引中共 {len(assistant.documents())} 个文件、{total} 条。")
    return EXIT_FAILED if report.failed else EXIT_OK


def cmd_docs(args, assistant) -> int:
    mode = assistant.mode()
    docs = [dict(m.to_json(), clauses=n) for m, n in assistant.documents()]
    library = {m.doc_id: (v, line) for m, _, v, line in assistant.library()}
    rows = [dict({k: d[k] for k in ("doc_id", "title", "doc_number", "issuer", "date", "kind", "clauses", "path")},
                 edition=d.get("edition"), status=library[d["doc_id"]][0].status, status_line=library[d["doc_id"]][1])
            for d in docs]
    if args.json:
        print(json.dumps({"retrieval": mode.to_json(), "documents": rows}, ensure_ascii=False, indent=2))
        return EXIT_OK
    _announce_mode(assistant)
    print(f"检索模式：{mode.label}" + (f"（{_short_reason(mode.reason)}）" if mode.reason and not mode.dense else ""))
    if not rows:
        print("索引为空：运行 `python -m assistant ingest` 导入 data/policies/ 下的文件。")
    for r in rows:
        print(f"{r['doc_id']}  《{r['title']}》 {r['doc_number'] or '（无文号）'}  {r['issuer'] or '—'}  "
              f"{r['date'] or '—'}  {r['kind'] or '—'}  {r['edition'] or '—'}  {r['status_line']}  {r['clauses']} 条  {r['path']}")
    return EXIT_OK


def cmd_clauses(args, assistant) -> int:
    clauses = assistant.clauses(args.doc)
    if args.json:
        print(json.dumps([c.to_json() for c in clauses], ensure_ascii=False, indent=2))
    else:
        for c in clauses:
            print(f"[{c.label}] {c.citation}\n{c.text}\n")
    return EXIT_OK


def _first_use(args, assistant) -> None:
    """An empty store gets the shipped corpus first (as the app does), so a new user's first question is answered."""
    if assistant.documents():
        return
    _say(f"首次使用：索引为空，正在导入默认文件库 {assistant.settings.corpus} …")
    report = assistant.ensure_corpus(None if getattr(args, "json", False) else _progress())
    if report is not None:
        for f in report.failed:
            _say(f"失败：{f.path}: {f.error}")
        _say(f"已导入 {report.documents} 个文件、{report.clauses} 条条款。")


MAX_K = 50  # Settings.top_k's bound


def _check_k(k: int | None) -> None:
    if k is not None and not 1 <= k <= MAX_K:
        raise UsageError(f"-k 须为 1 到 {MAX_K} 之间的整数（收到 {k}）")


def cmd_search(args, assistant) -> int:
    _check_k(args.k)
    _first_use(args, assistant)
    _announce_mode(assistant)
    hits = assistant.search(args.query, args.k, args.doc)
    if args.json:
        print(json.dumps([h.to_json() for h in hits], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not hits:
        print("没有找到相关条款。")
    for h in hits:
        c = h.clause
        units = f"\n  责任单位：{'、'.join(c.units)}" if c.units else ""
        print(f"{h.rank}. {c.citation}  （得分 {h.score:.4f}）\n  {c.text[:300]}{'…' if len(c.text) > 300 else ''}{units}\n")
    return EXIT_OK


def cmd_lookup(args, assistant) -> int:
    _first_use(args, assistant)
    found = assistant.lookup(args.reference, args.doc, args.k)
    if args.json:
        print(json.dumps(found.to_json(), ensure_ascii=False, indent=2))
        return EXIT_OK if found.rows else EXIT_FAILED
    if found.message:
        print(found.message)
    for note in found.notes:
        print(f"注意：{note}")
    if not found.rows:
        if not found.message:
            print("没有找到匹配的条款。")
        return EXIT_FAILED
    for n, r in enumerate(found.rows, 1):
        c = r.clause
        status = f"  【{r.status}】" if r.status and not found.notes else ""
        score = f"  （得分 {r.score:.4f}）" if r.score is not None else ""
        print(f"{n}. {c.citation}{status}{score}")
        if r.focus:
            print("  " + r.focus.replace("\n", "\n  "))
        else:
            print("  " + c.text.replace("\n", "\n  "))
        print()
    return EXIT_OK


def cmd_status(args, assistant) -> int:
    meta = assistant.index.resolve_doc(args.doc)
    if args.status:
        v = assistant.set_status(meta.doc_id, None if args.status == CLEAR else args.status, args.note)
        if not args.json:
            print(f"《{meta.title}》{'已清除标注' if args.status == CLEAR else '已标注为' + args.status}；"
                  f"现在：{assistant.index.status_line(v.doc_id)}")
    versions = assistant.versions(meta.doc_id)
    if args.json:
        print(json.dumps([dict(m.to_json(), status=v.status, status_line=assistant.index.status_line(m.doc_id),
                               citation_edition=v.tag) for m, v in versions], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not args.status:
        print(f"《{meta.title}》在库中有 {len(versions)} 个版本：" if len(versions) > 1 else f"《{meta.title}》：")
        for m, v in versions:
            print(f"  {m.doc_id}  {v.tag or m.edition or '未注明日期'}  {assistant.index.status_line(m.doc_id)}  {m.path}")
    return EXIT_OK


def cmd_remove(args, assistant) -> int:
    meta = assistant.remove(args.doc)
    print(f"已删除《{meta.title}》（{meta.doc_id}）。")
    return EXIT_OK


def _print_answer(ans) -> None:
    if ans.notice:
        print(f"提示：{ans.notice}")
    print(ans.answer)
    for c in ans.citations:
        print(f"  [{c.n}] {c.clause.citation}")
    for s in ans.sentences:
        if not s.supported:
            print(f"  ⚠ 未通过核查：{s.text}（{s.reason}）")


def _load_history(path: str | None) -> list[dict]:
    if not path:
        return []
    from pathlib import Path

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise HistoryError(f"无法读取对话历史 {path}（{e}）；需要 JSON 列表，如 [{{\"role\": \"user\", \"content\": \"…\"}}]") from e
    if not isinstance(data, list) or not all(isinstance(t, dict) and t.get("role") in ("user", "assistant")
                                             and isinstance(t.get("content"), str) for t in data):
        raise HistoryError(f"对话历史 {path} 格式不对：需要 JSON 列表，每项为 {{\"role\": \"user\"|\"assistant\", \"content\": 文本}}")
    return data


class UsageError(ValueError):
    """A bad argument value; str(e) is one Chinese line. Exit code 2."""


class HistoryError(UsageError):
    pass


def _ask_logged(assistant, question: str, history: list[dict], backend: str | None, k: int | None):
    """Ask, and append the answer to the store's audit log (a log that can't be written is one warning line)."""
    import time

    from assistant.audit import AuditError, AuditLog, log_answer

    t0 = time.perf_counter()
    ans = assistant.ask(question, history, backend=backend, k=k)
    try:
        log_answer(AuditLog(assistant.settings.store), assistant, ans, user=None, via="cli",
                   latency_s=time.perf_counter() - t0, history=history)
    except AuditError as e:
        _say(f"警告：{e}")
    return ans


def cmd_ask(args, assistant) -> int:
    _check_k(args.k)
    _first_use(args, assistant)
    _announce_mode(assistant)
    ans = _ask_logged(assistant, args.question, _load_history(args.history), args.backend, args.k)
    if args.json:
        print(json.dumps(ans.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_answer(ans)
    return EXIT_OK


def cmd_chat(args, assistant) -> int:
    _check_k(args.k)
    _first_use(args, assistant)
    _announce_mode(assistant)
    backend = args.backend or assistant.settings.backend
    print(f"政策条款问答（{assistant.mode().label}，回答方式：{backend}）。输入问题回车；/clear 清空对话，/exit 退出。")
    history: list[dict] = []
    while True:
        try:
            q = input("问> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return EXIT_OK
        if not q:
            continue
        if q in ("/exit", "/quit", "exit", "quit"):
            return EXIT_OK
        if q == "/clear":
            history = []
            print("已清空对话。")
            continue
        ans = _ask_logged(assistant, q, history, backend, args.k)
        if ans.standalone_question != q:
            print(f"（理解为：{ans.standalone_question}）")
        _print_answer(ans)
        history += [{"role": "user", "content": q}, {"role": "assistant", "content": ans.answer}]


def cmd_audit(args) -> int:
    """Lists the answers in the audit log; --csv and --candidates write files instead of the listing."""
    from assistant.audit import AuditLog, eval_candidates, parse_since, write_csv, write_jsonl
    from assistant.settings import load_settings

    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as e:
        raise UsageError(str(e)) from e
    log = AuditLog(load_settings(store=args.store).store)
    try:
        report = log.read(since)
    except OSError as e:
        _say(f"错误：无法读取审计日志 {log.dir}（{e.strerror or e}）")
        return EXIT_FAILED
    for where in report.malformed[:5]:
        _say(f"警告：审计日志 {where} 不是有效记录，已跳过")
    if len(report.malformed) > 5:
        _say(f"警告：另有 {len(report.malformed) - 5} 行无效记录已跳过")
    entries = report.entries
    if args.csv or args.candidates:
        if args.csv:
            n = write_csv(entries, args.csv)
            print(f"已导出 {n} 条回答到 {args.csv}")
        if args.candidates:
            n = write_jsonl(eval_candidates(entries), args.candidates)
            print(f"已导出 {n} 条 👎 反馈为评测候选问题到 {args.candidates}（evidence 和 answer_facts 待人工补充）")
        return EXIT_OK
    if args.json:
        for e in entries:
            print(json.dumps(dict(e.answer.to_json(), feedback=e.feedback.to_json() if e.feedback else None),
                             ensure_ascii=False))
        return EXIT_OK
    if not entries:
        print(f"审计日志中没有{'该时间之后的' if since else ''}回答（{log.dir}）。")
    for e in entries:
        a = e.answer
        mark = {"up": " 👍", "down": " 👎"}.get(e.feedback.value, "") if e.feedback else ""
        comment = f"（{e.feedback.comment}）" if e.feedback and e.feedback.comment else ""
        who = f" {a.user}" if a.user else ""
        print(f"{a.time[:19].replace('T', ' ')}{who} [{a.via}] {a.question}"
              f"{'  【拒答】' if a.refused else ''}  {a.latency_ms} ms{mark}{comment}")
        for c in a.citations:
            print(f"    [{c.n}] {c.citation}  {c.clause_id}@{(c.doc_version or '?')[:12]}")
    print(f"共 {len(entries)} 条回答，其中 👍 {sum(1 for e in entries if e.feedback and e.feedback.value == 'up')} 条、"
          f"👎 {sum(1 for e in entries if e.feedback and e.feedback.value == 'down')} 条。")
    return EXIT_OK


def _emit_table(args, assistant, table, data) -> int:
    """Print a drafting table as JSON, TSV or readable lines, and export it when asked."""
    from assistant.drafting.export import to_tsv

    if args.export:
        from pathlib import Path

        fmt = Path(args.export).suffix.lower().lstrip(".")
        path = assistant.export_table(table, fmt, args.export)
        _say(f"已导出 {path}（{len(table.rows)} 行）")
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    elif args.tsv:
        sys.stdout.write(to_tsv(table))
    elif not args.export:
        for note in table.notes:
            print(note)
        if not table.rows:
            print("没有找到符合条件的行。")
        for row in table.rows:
            print("  ".join(f"{c}：{v}" for c, v in zip(table.columns, row) if v and c not in ("原文",)).replace("\n", "；"))
    return EXIT_OK


def cmd_compare(args, assistant) -> int:
    from assistant.drafting.render import compare_table

    _first_use(args, assistant)
    result = assistant.side_by_side(args.topic, args.clause, args.doc)
    title = f"对照：{result.topic}" + (f"（{result.picked}）" if result.picked else "")
    return _emit_table(args, assistant, compare_table(result.rows, title), result.to_json())


def cmd_tasks(args, assistant) -> int:
    from assistant.drafting.render import tasks_table

    _first_use(args, assistant)
    result = assistant.unit_tasks(args.unit, args.doc, args.role)
    title = f"按单位：{result.unit}" + (f"（{args.role}）" if args.role else "")
    return _emit_table(args, assistant, tasks_table(result.tasks, title), result.to_json())


def cmd_targets(args, assistant) -> int:
    from assistant.drafting.render import targets_table

    _first_use(args, assistant)
    rows = assistant.targets(args.doc, args.indicator, args.year, args.sort)
    title = "指标" + (f"：{args.year}年" if args.year else "") + (f"（{args.indicator}）" if args.indicator else "")
    return _emit_table(args, assistant, targets_table(rows, title), [t.to_json() for t in rows])


COMMANDS = {"compare": cmd_compare, "tasks": cmd_tasks, "targets": cmd_targets, "ask": cmd_ask, "chat": cmd_chat, "ingest": cmd_ingest, "docs": cmd_docs, "clauses": cmd_clauses, "search": cmd_search, "remove": cmd_remove, "lookup": cmd_lookup, "status": cmd_status}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from index.store.clause_index import StoreCorrupt, UnknownDocument
    from pydantic import ValidationError

    from assistant.drafting.export import ExportError
    from assistant.drafting.tools import DraftingInputError

    try:
        if args.command == "audit":  # reads the log only: no index, no models
            return cmd_audit(args)
        assistant = _assistant(args)
        return COMMANDS[args.command](args, assistant)
    except UnknownDocument as e:
        _say(f"错误：{e}")
        return EXIT_USAGE
    except (UsageError, HistoryError, DraftingInputError, ExportError) as e:
        _say(f"错误：{e}")
        return EXIT_USAGE
    except StoreCorrupt as e:
        _say(f"错误：{e}")
        return EXIT_FAILED
    except OSError as e:  # an unwritable or vanished store, a full disk: one line, never a traceback
        where = e.filename or getattr(args, "store", None) or "索引目录"
        _say(f"错误：无法读写 {where}（{e.strerror or e}）；请检查权限和磁盘空间，或用 --store 指定其他目录")
        return EXIT_FAILED
    except ValidationError as e:
        from assistant.settings import settings_error

        _say(f"错误：{settings_error(e)}")
        return EXIT_USAGE

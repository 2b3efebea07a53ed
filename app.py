"""政策条款问答助手 — the Gradio app: chat with citation cards, clause lookup for drafting, document library.

A thin UI over `assistant.service.Assistant`: callbacks only translate between widgets and the service.
Run: python app.py [--host 127.0.0.1] [--port 7860] [--store DIR] [--backend extractive|openai|transformers]
"""
from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path
from typing import Any

import gradio as gr

from assistant import views
from assistant.service import Assistant

ALL_DOCS = "全部文件"
EXAMPLES = [
    "嘉定区到2025年新增光伏装机目标是多少？哪些部门负责？",
    "青浦、普陀、松江三个区到2025年单位生产总值能耗分别下降多少？",
    "松江区新增充电桩的目标和牵头部门是什么？",
    "上海市环境保护条例第十八条规定了什么？",
    "超标排放污染物的，按条例罚款多少？",
]


def _text(content: Any) -> str:
    """A chat message's text as typed, whatever shape Gradio gives it (str, or a list of typed parts).

    Messages are stored HTML-escaped (the chat renders Markdown with HTML), so unescape them here.
    """
    if isinstance(content, str):
        return html.unescape(content)
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    if isinstance(content, (list, tuple)):
        return "".join(_text(c) for c in content)
    return ""


def build_app(assistant: Assistant) -> gr.Blocks:
    backend = assistant.settings.backend

    def status() -> str:
        docs = assistant.documents()
        return views.status_line(assistant.mode(), backend, len(docs), sum(n for _, n in docs))

    def titles() -> list[str]:
        return [m.title for m, _ in assistant.documents()]

    def cards_for(ans) -> str:
        clauses = [c.clause for c in ans.citations] + list(ans.related)
        return views.citation_cards(ans, {c.clause_id: assistant.neighbours(c.clause_id) for c in clauses})

    # ---- chat ---------------------------------------------------------------------------
    def respond(message: str, history: list[dict]):
        message = (message or "").strip()
        if not message:
            yield history, gr.update(), ""
            return
        prior = [{"role": m["role"], "content": _text(m["content"])} for m in history if m.get("role") in ("user", "assistant")]
        shown = history + [{"role": "user", "content": html.escape(message, quote=False)}]
        yield shown + [{"role": "assistant", "content": "正在检索条款…"}], gr.update(), ""
        partial, answer = "", None
        for event in assistant.ask_stream(message, prior):
            if isinstance(event, str):
                partial += event
                yield shown + [{"role": "assistant", "content": partial + " ▌"}], gr.update(), ""
            else:
                answer = event
        yield shown + [{"role": "assistant", "content": views.answer_markdown(answer)}], cards_for(answer), ""

    def retry(history: list[dict]):
        last_user = next((i for i in range(len(history) - 1, -1, -1) if history[i].get("role") == "user"), None)
        if last_user is None:
            yield history, gr.update(), ""
            return
        yield from respond(_text(history[last_user]["content"]), history[:last_user])

    # ---- lookup -------------------------------------------------------------------------
    def on_lookup(query: str, doc: str) -> str:
        if not (query or "").strip():
            return '<div class="empty">请输入关键词、草稿句子或条款引用。</div>'
        results, exact = assistant.lookup(query.strip(), None if doc in (None, "", ALL_DOCS) else doc)
        return views.lookup_cards(results, exact)

    # ---- library ------------------------------------------------------------------------
    def library_outputs(message: str):
        names = titles()
        return (views.docs_rows(assistant.documents()), status(), message,
                gr.update(choices=[ALL_DOCS] + names), gr.update(choices=names, value=None))

    def import_files(files: list[str] | None, progress=gr.Progress()):
        if not files:
            return library_outputs("请先选择要上传的文件。")
        pairs = [(f, Path(f).name) for f in files]
        report, rejected = assistant.add_files(pairs, lambda stage, done, total: progress((done, max(total, 1)), desc=stage))
        lines = [f"❌ {r}" for r in rejected]
        if report:
            lines += [f"❌ {Path(f.path).name}: {f.error}" for f in report.failed]
            lines += [f"⚠️ {w}" for w in report.warnings]
            lines.insert(0, f"✅ 导入 {report.documents} 个文件（{report.clauses} 条），未变化跳过 {report.skipped_unchanged} 个。")
        return library_outputs("\n\n".join(lines) or "没有可导入的文件。")

    def reindex(progress=gr.Progress()):
        report = assistant.ingest([assistant.settings.corpus, assistant.uploads_dir] if assistant.uploads_dir.exists()
                                  else None, lambda stage, done, total: progress((done, max(total, 1)), desc=stage))
        lines = [f"✅ 重新索引完成：更新 {report.documents} 个文件，未变化 {report.skipped_unchanged} 个。"]
        lines += [f"❌ {Path(f.path).name}: {f.error}" for f in report.failed]
        return library_outputs("\n\n".join(lines))

    def on_remove(title: str | None):
        if not title:
            return library_outputs("请先选择要删除的文件。")
        meta = assistant.remove(title)
        return library_outputs(f"🗑️ 已删除《{meta.title}》。")

    # ---- API (gradio_client) ------------------------------------------------------------
    def api_ask(question: str, history: list[dict] | None = None) -> dict:
        """Answer a question with clause citations; returns the JSON of `python -m assistant ask --json`."""
        return assistant.ask(question, history or []).to_json()

    def api_lookup(query: str, doc: str | None = None) -> list[dict]:
        """Clauses for a reference (嘉定 二（一）1 / 第十八条) or, failing that, a ranked search with scores."""
        results, exact = assistant.lookup(query, doc or None)
        return [dict(c.to_json(), score=s, exact=exact) for c, s in results]

    def api_docs() -> dict:
        """The indexed documents and the retrieval mode."""
        # `source_file` (a name, not the server path): gradio_client would take a string "path" for a file to fetch.
        docs = []
        for m, n in assistant.documents():
            d = {k: v for k, v in m.to_json().items() if k != "path"}
            docs.append(dict(d, clauses=n, source_file=Path(m.path).name))
        return {"retrieval": assistant.mode().to_json(), "documents": docs}

    with gr.Blocks(title="政策条款问答助手") as demo:
        gr.Markdown("## 政策条款问答助手\n回答只依据已导入的政策文件，每句话都标注所依据的条款 [n]；文件中没有的，直接说明未找到。")
        status_md = gr.Markdown(status())
        with gr.Tabs():
            with gr.Tab("智能问答", id="chat"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(label="对话", height=480, buttons=["copy"], feedback_options=None,
                                             placeholder="请输入问题，例如：嘉定区到2025年新增光伏装机目标是多少？")
                        question = gr.Textbox(label="问题", placeholder="输入问题后按回车或点击“发送”；可以接着追问，如“那青浦区呢？”",
                                              lines=2, max_lines=6, elem_id="question")
                        with gr.Row():
                            send = gr.Button("发送", variant="primary", elem_id="send")
                            retry_btn = gr.Button("重新回答")
                            clear = gr.Button("清空对话")
                        gr.Examples(EXAMPLES, inputs=question, label="示例问题")
                    with gr.Column(scale=2):
                        gr.Markdown("#### 引用条款")
                        cards = gr.HTML(views.citation_cards(None, {}), js_on_load=views.COPY_JS, elem_id="cards")
            with gr.Tab("条款查找", id="lookup"):
                gr.Markdown("输入关键词、草稿中的句子，或条款引用（如“嘉定 二（一）1”“环境保护条例 第十八条”；选定文件后可只写“第十八条”）。"
                            "精确引用直接定位；否则按相关度排序并显示得分。")
                with gr.Row():
                    lookup_q = gr.Textbox(label="查找", scale=4, elem_id="lookup-query")
                    lookup_doc = gr.Dropdown([ALL_DOCS] + titles(), value=ALL_DOCS, label="文件", scale=2)
                lookup_btn = gr.Button("查找", variant="primary", elem_id="lookup-btn")
                lookup_out = gr.HTML(js_on_load=views.COPY_JS, elem_id="lookup-results")
            drafting_tab(assistant)
            with gr.Tab("文件库", id="library"):
                docs_table = gr.Dataframe(views.docs_rows(assistant.documents()), interactive=False, wrap=True,
                                          headers=["标题", "文号", "发文机关", "日期", "类型", "条款数", "doc_id"],
                                          column_widths=["24%", "14%", "28%", "10%", "8%", "6%", "10%"],
                                          elem_id="docs-table")
                with gr.Row():
                    with gr.Column():
                        upload = gr.File(label=f"上传文件（.txt / .md / .docx / .pdf，单个不超过 {assistant.settings.max_upload_mb} MB，可多选）",
                                         file_count="multiple", elem_id="upload")
                        import_btn = gr.Button("导入上传的文件", variant="primary", elem_id="import")
                    with gr.Column():
                        remove_doc = gr.Dropdown(titles(), label="删除文件", value=None)
                        remove_btn = gr.Button("删除所选文件", variant="stop")
                        reindex_btn = gr.Button("重新索引（默认文件库和已上传文件）")
                lib_msg = gr.Markdown(elem_id="library-message")

        chat_io = dict(inputs=[question, chatbot], outputs=[chatbot, cards, question], api_visibility="private")
        question.submit(respond, **chat_io)
        send.click(respond, **chat_io)
        retry_btn.click(retry, inputs=[chatbot], outputs=[chatbot, cards, question], api_visibility="private")
        clear.click(lambda: ([], views.citation_cards(None, {})), outputs=[chatbot, cards], api_visibility="private")
        lookup_io = dict(inputs=[lookup_q, lookup_doc], outputs=[lookup_out], api_visibility="private")
        lookup_q.submit(on_lookup, **lookup_io)
        lookup_btn.click(on_lookup, **lookup_io)
        lib_out = [docs_table, status_md, lib_msg, lookup_doc, remove_doc]
        import_btn.click(import_files, inputs=[upload], outputs=lib_out, api_visibility="private")
        reindex_btn.click(reindex, outputs=lib_out, api_visibility="private")
        remove_btn.click(on_remove, inputs=[remove_doc], outputs=lib_out, api_visibility="private")
        demo.load(lambda: library_outputs(""), outputs=lib_out, api_visibility="private")
        gr.api(api_ask, api_name="ask")
        gr.api(api_lookup, api_name="lookup")
        gr.api(api_docs, api_name="docs")
    return demo


def drafting_tab(assistant: Assistant) -> None:
    """The 起草助手 tab — 对照, 按单位, 指标 — and its API endpoints /compare, /unit_tasks, /targets.

    Handlers only translate widgets to Assistant.side_by_side / unit_tasks / targets / export_table and back;
    every table is shown, offered as .xlsx and .docx, and as tab-separated text to copy into WPS/Excel.
    """
    import re
    import tempfile

    from assistant.drafting import render
    from assistant.drafting.export import to_tsv
    from assistant.drafting.html import table_html
    from assistant.drafting.tools import DraftingInputError
    from index.clause_index import UnknownDocument

    every = "全部"

    def titles() -> list[str]:
        return [m.title for m, _ in assistant.documents()]

    def years() -> list[str]:
        return [every] + sorted({str(t.target_year) for t in assistant.targets() if t.target_year})

    def shown(table):
        folder = Path(tempfile.mkdtemp(prefix="drafting-"))
        name = re.sub(r"[\\/:*?\"<>|\s：（）]+", "_", table.title).strip("_")[:40] or "table"
        files = [assistant.export_table(table, fmt, folder / f"{name}.{fmt}") for fmt in ("xlsx", "docx")]
        return (table_html(table), to_tsv(table), *(gr.update(value=str(f), interactive=True) for f in files))

    def refused(e: Exception):
        no_file = gr.update(value=None, interactive=False)
        return f'<div class="notice">{html.escape(str(e))}</div>', "", no_file, no_file

    def on_compare(topic: str, clause: str, docs: list[str] | None):
        try:
            r = assistant.side_by_side(topic, clause, docs or None)
        except (DraftingInputError, UnknownDocument) as e:
            return refused(e)
        return shown(render.compare_table(r.rows, f"对照：{r.topic}" + (f"（{r.picked}）" if r.picked else "")))

    def on_tasks(unit: str, role: str, docs: list[str] | None):
        try:
            r = assistant.unit_tasks(unit, docs or None, None if role == every else role)
        except (DraftingInputError, UnknownDocument) as e:
            return refused(e)
        return shown(render.tasks_table(r.tasks, f"按单位：{r.unit}" + ("" if role == every else f"（{role}）")))

    def on_targets(docs: list[str] | None, indicator: str, year: str, sort: str):
        try:
            rows = assistant.targets(docs or None, indicator, None if year in (None, "", every) else int(year), sort)
        except (DraftingInputError, UnknownDocument, ValueError) as e:
            return refused(e)
        return shown(render.targets_table(rows, "指标" + ("" if year in (None, "", every) else f"：{year}年")
                                          + (f"（{indicator.strip()}）" if (indicator or "").strip() else "")))

    def outputs(key: str):
        out = gr.HTML(js_on_load=views.COPY_JS, elem_id=f"{key}-out")
        tsv = gr.Textbox(label="表格文本（制表符分隔，可直接粘贴到 WPS/Excel）", lines=3, max_lines=8,
                         buttons=["copy"], elem_id=f"{key}-tsv")
        with gr.Row():
            xlsx = gr.DownloadButton("导出 Excel（.xlsx）", interactive=False, elem_id=f"{key}-xlsx")
            docx = gr.DownloadButton("导出 Word（.docx）", interactive=False, elem_id=f"{key}-docx")
        return [out, tsv, xlsx, docx]

    def doc_picker(key: str):
        return gr.Dropdown(titles(), value=[], multiselect=True, label="文件（不选＝全部方案）", elem_id=f"{key}-docs")

    with gr.Tab("起草助手", id="drafting") as tab:
        with gr.Tabs():
            with gr.Tab("对照", id="compare"):
                gr.Markdown("一个主题在各文件中的规定，每个文件一行：条款原文、数字与年份、责任单位、规范引用；没有的写“未找到”。"
                            "也可以填一个条款引用（如“嘉定 二（一）1”），以它为准对照同类文件。")
                with gr.Row():
                    topic = gr.Textbox(label="主题", placeholder="如：光伏装机、新能源汽车、单位生产总值能耗", elem_id="cmp-topic")
                    clause = gr.Textbox(label="或条款引用", placeholder="如：嘉定 二（一）1", elem_id="cmp-clause")
                cmp_docs = doc_picker("cmp")
                cmp_btn = gr.Button("对照", variant="primary", elem_id="cmp-btn")
                cmp_out = outputs("cmp")
            with gr.Tab("按单位", id="unit"):
                gr.Markdown("一个单位牵头或配合的全部任务，按文件和条款列出时限、角色和引用。简称也可以（区发改委＝区发展改革委）。"
                            "角色依据条款末尾的责任单位：写明“牵头/配合”的照写；否则排在第一位的单位为牵头，其余为配合。")
                with gr.Row():
                    unit = gr.Textbox(label="单位", placeholder="如：区发展改革委、区发改委、市生态环境局", elem_id="unit-name")
                    role = gr.Radio([every, "牵头", "配合"], value=every, label="角色", elem_id="unit-role")
                unit_docs = doc_picker("unit")
                unit_btn = gr.Button("查找任务", variant="primary", elem_id="unit-btn")
                unit_out = outputs("unit")
            with gr.Tab("指标", id="targets"):
                gr.Markdown("所选文件中的全部量化目标（含附件指标表）：指标、目标值与单位、比较方式、基准年、目标年、条款引用、责任单位。")
                tgt_docs = doc_picker("tgt")
                with gr.Row():
                    indicator = gr.Textbox(label="指标含", placeholder="如：光伏、充电桩（可留空）", elem_id="tgt-indicator")
                    year = gr.Dropdown(years(), value=every, label="目标年", elem_id="tgt-year")
                    sort = gr.Radio(["文件", "指标", "年份"], value="文件", label="排序", elem_id="tgt-sort")
                tgt_btn = gr.Button("列出指标", variant="primary", elem_id="tgt-btn")
                tgt_out = outputs("tgt")

        io = dict(api_visibility="private")
        for trigger in (cmp_btn.click, topic.submit, clause.submit):
            trigger(on_compare, inputs=[topic, clause, cmp_docs], outputs=cmp_out, **io)
        for trigger in (unit_btn.click, unit.submit):
            trigger(on_tasks, inputs=[unit, role, unit_docs], outputs=unit_out, **io)
        for trigger in (tgt_btn.click, indicator.submit):
            trigger(on_targets, inputs=[tgt_docs, indicator, year, sort], outputs=tgt_out, **io)
        tab.select(lambda: [gr.update(choices=titles())] * 3 + [gr.update(choices=years())],
                   outputs=[cmp_docs, unit_docs, tgt_docs, year], **io)

        def api_compare(topic: str = "", clause: str = "", docs: list[str] | None = None) -> dict:
            """对照: each document's provision on a topic or a picked clause; the JSON of `python -m assistant compare --json`."""
            try:
                return assistant.side_by_side(topic or None, clause or None, docs or None).to_json()
            except (DraftingInputError, UnknownDocument) as e:
                raise gr.Error(str(e)) from e

        def api_unit_tasks(unit: str, role: str = "", docs: list[str] | None = None) -> dict:
            """按单位: every task a unit leads (牵头) or supports (配合); the JSON of `python -m assistant tasks --json`."""
            try:
                return assistant.unit_tasks(unit, docs or None, role or None).to_json()
            except (DraftingInputError, UnknownDocument) as e:
                raise gr.Error(str(e)) from e

        def api_targets(docs: list[str] | None = None, indicator: str = "", year: int | None = None,
                        sort: str = "文件") -> list[dict]:
            """指标: every quantified target; the JSON of `python -m assistant targets --json`."""
            try:
                return [t.to_json() for t in assistant.targets(docs or None, indicator or None, year or None, sort)]
            except (DraftingInputError, UnknownDocument) as e:
                raise gr.Error(str(e)) from e

        gr.api(api_compare, api_name="compare")
        gr.api(api_unit_tasks, api_name="unit_tasks")
        gr.api(api_targets, api_name="targets")


def _args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="政策条款问答助手（Gradio 界面）")
    p.add_argument("--host", help="监听地址（默认 127.0.0.1，或 ASSISTANT_HOST）")
    p.add_argument("--port", type=int, help="端口（默认 7860，或 ASSISTANT_PORT）")
    p.add_argument("--store", help="索引存储目录（默认 storage/，或 ASSISTANT_STORE）")
    p.add_argument("--backend", choices=["extractive", "openai", "transformers"], help="回答方式（默认 extractive）")
    p.add_argument("--lexical", action="store_true", help="只用关键词检索，不加载嵌入模型")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    assistant = Assistant(host=args.host, port=args.port, store=args.store, backend=args.backend,
                          retrieval="lexical" if args.lexical else None)
    s = assistant.settings
    mode = assistant.mode()
    print(f"检索模式：{mode.label}" + (f"（{mode.reason}）" if mode.reason and not mode.dense else ""), flush=True)
    if not assistant.documents():
        print(f"首次启动：正在从 {s.corpus} 建立索引…", flush=True)
        from tqdm import tqdm

        bar = tqdm(total=0, file=sys.stdout)

        def progress(stage: str, done: int, total: int) -> None:
            bar.set_description(stage)
            bar.total, bar.n = total, done
            bar.refresh()

        report = assistant.ensure_corpus(progress)
        bar.close()
        if report:
            print(f"已导入 {report.documents} 个文件、{report.clauses} 条条款。", flush=True)
    auth = None
    if s.auth_user and s.auth_password:
        auth = (s.auth_user, s.auth_password.get_secret_value())
    app = build_app(assistant)
    app.queue(default_concurrency_limit=8).launch(
        server_name=s.host, server_port=s.port, share=False, auth=auth, show_error=False,
        max_file_size=f"{s.max_upload_mb}mb", css=views.CSS, theme=gr.themes.Soft(),
    )


if __name__ == "__main__":
    main()

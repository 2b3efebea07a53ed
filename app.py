"""政策条款问答助手 — the Gradio app: chat with each answer's citation cards, clause lookup for drafting,
document library.

A thin UI over `assistant.service.Assistant`: callbacks only translate between widgets and the service; HTML
comes from assistant/chat_view.py and assistant/views.py, scripts and styles from assistant/static/.
Run: python app.py [--host 127.0.0.1] [--port 7860] [--store DIR] [--backend extractive|openai|transformers]
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import gradio as gr

from assistant import access, views
from assistant.audit import AuditError, AuditLog, eval_candidates, log_answer, write_csv, write_jsonl
from assistant.chat_view import cards_html, conversation_html
from assistant.conversation import MAX_TURNS, History, Turn, UserHistories, turns_from_json
from assistant.export import docx_name, to_docx
from assistant.service import Assistant
from index.versions import USER_STATUSES

ALL_DOCS = "全部文件"
CLEAR_MARK = "清除标注"
HISTORY_KEY = "policy-qa-history"  # localStorage key of the conversations (login off)
EXPORT_KEEP_S = 600  # audit downloads are built in a temporary folder, removed at the next export after this
CONCURRENCY = 32  # requests answered at once (gradio's default thread pool holds 40)
SWITCH_INTERVAL_S = 0.001  # Python's default is 0.005


def build_app(assistant: Assistant) -> gr.Blocks:
    settings = assistant.settings
    backend = settings.backend
    login = access.login_on(settings)
    audit = AuditLog(settings.store)
    histories = UserHistories(settings.store)
    # BrowserState scrambles what it stores with this; a fixed value per store keeps history across restarts.
    browser_secret = hashlib.sha256(f"policy-qa:{Path(settings.store).resolve()}".encode()).hexdigest()[:32]

    def status() -> str:
        docs = assistant.documents()
        return views.status_html(assistant.mode(), backend, len(docs), sum(n for _, n in docs))

    def titles() -> list[str]:
        """Each title once: a law held in two versions is looked up in its current one unless a version is named."""
        return list(dict.fromkeys(m.title for m, _ in assistant.documents()))

    # ---- history: the browser's storage, or the user's file when login is on ---------------------
    def user_of(request: gr.Request | None) -> str | None:
        return getattr(request, "username", None) if login else None

    def load_history(stored: Any, request: gr.Request | None) -> History:
        user = user_of(request)
        return histories.load(user) if user else History.from_json(stored)

    def keep(h: History, request: gr.Request | None) -> Any:
        """The value for the browser's storage; with login the history goes to the user's file instead."""
        user = user_of(request)
        if user:
            histories.save(user, h)
            return None
        return h.to_json()

    def render(h: History) -> tuple[str, str]:
        turns = h.turns
        ids = {c.clause_id for t in turns for c in t.citations + t.related}
        return conversation_html(turns), cards_html(turns, {i: assistant.neighbours(i) for i in ids})

    def history_list(h: History):
        return gr.update(choices=h.choices(), value=h.current)

    # ---- chat ---------------------------------------------------------------------------
    # what the draft shown while a model streams says about its deadline (the answer's one overall limit)
    draft_note = f"限时 {settings.llm_timeout:g} 秒，超时改用摘录式回答"

    def respond(message: str, stored: Any, request: gr.Request):
        message = (message or "").strip()
        h = load_history(stored, request)
        if not message:
            yield gr.update(), gr.update(), gr.update(), gr.update(), gr.update()
            return
        turns, prior = h.turns, (h.open.history_messages() if h.open else [])
        yield conversation_html(turns, (message, None)), gr.update(), "", gr.update(), gr.update()
        t0, partial, answer = time.perf_counter(), "", None
        for event in assistant.ask_stream(message, prior):
            if isinstance(event, str):
                partial += event
                yield (conversation_html(turns, (message, partial), draft_note), gr.update(), "", gr.update(),
                       gr.update())
            else:
                answer = event
        try:
            answer_id = log_answer(audit, assistant, answer, user=user_of(request), via="chat",
                                   latency_s=time.perf_counter() - t0, history=prior)
        except AuditError as e:
            gr.Warning(str(e))
            answer_id = f"unlogged-{time.time_ns()}"
        h = h.add_turn(Turn.from_answer(answer_id, answer))
        chat, cards = render(h)
        yield chat, cards, "", keep(h, request), history_list(h)

    def retry(stored: Any, request: gr.Request):
        h = load_history(stored, request)
        if not h.turns:
            yield gr.update(), gr.update(), gr.update(), gr.update(), gr.update()
            return
        question = h.turns[-1].question
        yield from respond(question, keep(h.drop_last_turn(), request), request)

    def show(h: History, request: gr.Request):
        chat, cards = render(h)
        return chat, cards, keep(h, request), history_list(h)

    def new_chat(stored: Any, request: gr.Request):
        return show(load_history(stored, request).new(), request)

    def open_chat(conv_id: str | None, stored: Any, request: gr.Request):
        return show(load_history(stored, request).switch(conv_id), request)

    def delete_chat(stored: Any, request: gr.Request):
        h = load_history(stored, request)
        return show(h.delete(h.current), request)

    def clear_history(stored: Any, request: gr.Request):
        return show(load_history(stored, request).clear(), request)

    def on_load(stored: Any, request: gr.Request):
        return show(load_history(stored, request), request)

    def on_feedback(stored: Any, evt: gr.EventData, request: gr.Request):
        data = evt._data if isinstance(getattr(evt, "_data", None), dict) else {}
        turn_id, value = str(data.get("id") or ""), data.get("value")
        comment = str(data.get("comment") or "").strip()[:1000]
        h = load_history(stored, request)
        if value not in ("up", "down") or not any(t.id == turn_id for t in h.turns):
            return gr.update(), gr.update()
        try:
            audit.record_feedback(turn_id, value, comment, user=user_of(request))
        except AuditError as e:
            gr.Warning(str(e))
            return gr.update(), gr.update()
        h = h.with_feedback(turn_id, value, comment)
        return conversation_html(h.turns), keep(h, request)

    def export_docx(data: Any) -> dict:
        """Called from the page (chat.js): the turns it shows → a .docx, base64-encoded for a download link."""
        items = data.get("turns") if isinstance(data, dict) else None
        turns = turns_from_json((items or [])[:MAX_TURNS])
        if not turns:
            return {"error": "没有可导出的回答"}
        return {"name": docx_name(turns), "b64": base64.b64encode(to_docx(turns)).decode("ascii")}

    # ---- lookup -------------------------------------------------------------------------
    def on_lookup(query: str, doc: str) -> str:
        if not (query or "").strip():
            return '<div class="empty">请输入关键词、草稿句子或条款引用。</div>'
        return views.lookup_rows(assistant.lookup(query.strip(), None if doc in (None, "", ALL_DOCS) else doc))

    # ---- library ------------------------------------------------------------------------
    def library_outputs(message: str):
        names = titles()
        library = assistant.library()
        versions = views.version_choices(library)
        return (views.docs_rows(library), status(), message, gr.update(choices=[ALL_DOCS] + names),
                gr.update(choices=versions, value=None), gr.update(choices=versions, value=None))

    def import_files(files: list[str] | None, request: gr.Request, progress=gr.Progress()):
        if not access.may_upload(settings, user_of(request)):
            return library_outputs(f"❌ {access.DENIED_UPLOAD}")
        if not files:
            return library_outputs("请先选择要上传的文件。")
        pairs = [(f, Path(f).name) for f in files]
        report, rejected = assistant.add_files(pairs, lambda stage, done, total: progress((done, max(total, 1)), desc=stage),
                                               user=user_of(request))
        return library_outputs(views.import_message(report, rejected))

    def reindex(request: gr.Request, progress=gr.Progress()):
        if not access.is_admin(settings, user_of(request)):
            return library_outputs(f"❌ {access.DENIED_MANAGE}")
        report, skipped = assistant.reindex(lambda stage, done, total: progress((done, max(total, 1)), desc=stage))
        return library_outputs(views.reindex_message(report, skipped))

    def on_mark(doc_id: str | None, mark: str | None, note: str, request: gr.Request):
        """The library's status mark: 已废止 / 尚未施行 / 现行有效, or 清除标注 (administrators, when login is on)."""
        if not access.is_admin(settings, user_of(request)):
            return library_outputs(f"❌ {access.DENIED_MANAGE}")
        if not doc_id or not mark:
            return library_outputs("请先选择文件和效力状态。")
        status_ = None if mark == CLEAR_MARK else mark
        v = assistant.set_status(doc_id, status_, (note or "").strip() or None, user_of(request))
        meta = next(m for m, _ in assistant.documents() if m.doc_id == doc_id)
        done = "已清除标注" if status_ is None else f"已标注为{status_}"
        return library_outputs(f"✅ 《{meta.title}》{done}；现在：{assistant.index.status_line(v.doc_id)}。")

    def on_remove(doc_id: str | None, request: gr.Request):
        if not access.is_admin(settings, user_of(request)):
            return library_outputs(f"❌ {access.DENIED_MANAGE}")
        if not doc_id:
            return library_outputs("请先选择要删除的文件。")
        meta = assistant.remove(doc_id)
        return library_outputs(f"🗑️ 已删除《{meta.title}》。")

    def library_access(request: gr.Request):
        """What this user may change in the library: the upload and management controls, and a line saying so."""
        user = user_of(request)
        upload_ok, manage_ok = access.may_upload(settings, user), access.is_admin(settings, user)
        note = "" if upload_ok and manage_ok else (access.DENIED_MANAGE if upload_ok else access.DENIED_UPLOAD)
        return (gr.update(interactive=upload_ok), gr.update(interactive=upload_ok), gr.update(interactive=manage_ok),
                gr.update(interactive=manage_ok), gr.update(interactive=manage_ok), gr.update(interactive=manage_ok), note)

    def audit_downloads(request: gr.Request):
        """The audit log for administrators (anyone on this machine when login is off)."""
        if not access.is_admin(settings, user_of(request)):
            raise gr.Error(access.DENIED_AUDIT)
        report = audit.read()
        # beside Gradio's own cache when one is set (it copies the files there), else the system's temp folder
        parent = Path(os.environ.get("GRADIO_TEMP_DIR") or tempfile.gettempdir()) / f"policy-qa-audit-{os.getpid()}"
        for old in parent.glob("*"):  # Gradio has copied earlier exports to its cache long since
            if time.time() - old.stat().st_mtime > EXPORT_KEEP_S:
                shutil.rmtree(old, ignore_errors=True)
        parent.mkdir(exist_ok=True)
        folder = Path(tempfile.mkdtemp(dir=parent))
        stamp = time.strftime("%Y%m%d-%H%M")
        csv_path, raw_path, cand_path = folder / f"审计日志-{stamp}.csv", folder / f"审计日志-{stamp}.jsonl", folder / f"差评候选-{stamp}.jsonl"
        rows = write_csv(report.entries, csv_path)
        with open(raw_path, "wb") as out:
            for f in audit.files():
                with open(f, "rb") as src:
                    shutil.copyfileobj(src, out)
        n = write_jsonl(eval_candidates(report.entries), cand_path)
        note = f"共 {rows} 条回答；👎 评测候选 {n} 条。" + (f"跳过无效行 {len(report.malformed)} 行。" if report.malformed else "")
        return [str(csv_path), str(raw_path), str(cand_path)], note

    # ---- API (gradio_client) ------------------------------------------------------------
    def api_ask(question: str, history: list[dict] | None = None, request: gr.Request = None) -> dict:
        """Answer a question with clause citations; returns the JSON of `python -m assistant ask --json`."""
        t0 = time.perf_counter()
        answer = assistant.ask(question, history or [])
        log_answer(audit, assistant, answer, user=user_of(request), via="api", latency_s=time.perf_counter() - t0,
                   history=history or [])
        return answer.to_json()

    def api_lookup(query: str, doc: str | None = None) -> dict:
        """Clauses a reference names (《title》（2024年修正）第X条第Y款, a short title, a 文号, 嘉定 二（一）1, any citation
        this product prints), or a ranked search with scores: {query, exact, message, notes, results}."""
        return assistant.lookup(query, doc or None).to_json()

    def api_docs() -> dict:
        """The indexed documents and the retrieval mode."""
        # `source_file` (a name, not the server path): gradio_client would take a string "path" for a file to fetch.
        docs = []
        for m, n, validity, line in assistant.library():
            d = {k: x for k, x in m.to_json().items() if k != "path"}
            docs.append(dict(d, clauses=n, source_file=Path(m.path).name, status=validity.status, status_line=line,
                             citation_edition=validity.tag, versions=list(validity.versions)))
        return {"retrieval": assistant.mode().to_json(), "documents": docs}

    with gr.Blocks(title="政策条款问答助手") as demo:
        stored = gr.BrowserState(None, storage_key=HISTORY_KEY, secret=browser_secret)
        with gr.Row(elem_id="header", equal_height=True):
            gr.HTML('<h1 class="app-title">政策条款问答助手</h1>', js_on_load=None, scale=0, min_width=170)
            status_box = gr.HTML(status(), js_on_load=None, elem_id="status", scale=1)
        with gr.Tabs():
            with gr.Tab("智能问答", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, elem_id="chat-main"):
                        chat = gr.HTML(conversation_html(()), js_on_load=views.static("chat.js"),
                                       server_functions=[export_docx], elem_id="chat")
                        question = gr.Textbox(show_label=False, container=False, lines=1, max_lines=6, elem_id="question",
                                              placeholder="输入问题，回车发送，Shift+回车换行；可以接着追问，如“那青浦区呢？”")
                        with gr.Row(elem_id="chat-buttons"):
                            send = gr.Button("发送", variant="primary", elem_id="send", min_width=80)
                            retry_btn = gr.Button("重新回答", elem_id="retry", min_width=80)
                            new_btn = gr.Button("新对话", elem_id="new-chat", min_width=80)
                            export_btn = gr.Button("导出整段对话", elem_id="export-all", min_width=100)
                    with gr.Column(scale=2, elem_id="chat-side"):
                        with gr.Accordion("历史对话", open=False, elem_id="history"):
                            history_dd = gr.Dropdown([], label="打开以前的对话", elem_id="history-list")
                            with gr.Row():
                                delete_btn = gr.Button("删除此对话", elem_id="delete-chat", size="sm", min_width=90)
                                clear_btn = gr.Button("清空全部历史", variant="stop", elem_id="clear-history", size="sm", min_width=90)
                        cards = gr.HTML(cards_html((), {}), js_on_load=views.static("copy.js"), elem_id="cards")
            with gr.Tab("条款查找", id="lookup"):
                gr.Markdown("输入关键词、草稿中的句子，或条款引用（如“《上海市环境保护条例》第十八条第二款”“环境保护条例 第十八条”"
                            "“嘉府发〔2023〕27号 二（一）1”，也可以直接粘贴本产品给出的规范引文；可指定版本，如“2020年版”“修订前”；"
                            "选定文件后可只写“第十八条”）。精确引用直接定位，引用的条款不存在时给出一行说明；否则按相关度排序，点击一行展开条款全文。")
                with gr.Row():
                    lookup_q = gr.Textbox(label="查找", scale=4, elem_id="lookup-query")
                    lookup_doc = gr.Dropdown([ALL_DOCS] + titles(), value=ALL_DOCS, label="文件", scale=2)
                lookup_btn = gr.Button("查找", variant="primary", elem_id="lookup-btn")
                lookup_out = gr.HTML(js_on_load=views.static("copy.js"), elem_id="lookup-results")
            drafting_tab(assistant)
            with gr.Tab("文件库", id="library"):
                docs_table = gr.Dataframe(views.docs_rows(assistant.library()), interactive=False, wrap=True,
                                          headers=views.DOCS_HEADERS, column_widths=views.DOCS_WIDTHS,
                                          elem_id="docs-table")
                access_note = gr.Markdown(elem_id="library-access")
                with gr.Row():
                    with gr.Column():
                        upload = gr.File(label=f"上传文件（.txt / .md / .docx / .pdf，单个不超过 {settings.max_upload_mb} MB，可多选）",
                                         file_count="multiple", elem_id="upload")
                        import_btn = gr.Button("导入上传的文件", variant="primary", elem_id="import")
                    with gr.Column():
                        remove_doc = gr.Dropdown(views.version_choices(assistant.library()), label="删除文件", value=None)
                        remove_btn = gr.Button("删除所选文件", variant="stop")
                        reindex_btn = gr.Button("重新索引（默认文件库和已上传文件）")
                with gr.Accordion("效力标注", open=False, elem_id="validity"):
                    gr.Markdown("同一法规的新旧版本自动关联：最新版本为“现行有效”，旧版本为“已被修订”；文件中声明废止的"
                                "（如“《…》同时废止”）自动标为“已废止”。也可以手动标注，标注保存在索引中，重新导入后仍然有效。"
                                "命令行：`python -m assistant status 文件 已废止`。")
                    with gr.Row():
                        mark_doc = gr.Dropdown(views.version_choices(assistant.library()), label="标注的文件", value=None,
                                               scale=3, elem_id="mark-doc")
                        mark_status = gr.Dropdown(list(USER_STATUSES) + [CLEAR_MARK], label="效力状态", value=None,
                                                  scale=1, elem_id="mark-status")
                        mark_note = gr.Textbox(label="说明（可选）", scale=2, elem_id="mark-note")
                    mark_btn = gr.Button("保存标注", elem_id="mark-btn")
                lib_msg = gr.Markdown(elem_id="library-message")
                with gr.Accordion("审计日志（管理员）", open=False, elem_id="audit"):
                    gr.Markdown("每次回答都记入审计日志：时间、用户、问题、引用的条款及文件版本、是否拒答、用时和反馈。"
                                "命令行：`python -m assistant audit --since 2026-12-01 --csv 审计.csv`。")
                    audit_btn = gr.Button("生成下载文件（CSV、原始 JSONL、👎 评测候选）", elem_id="audit-export")
                    audit_note = gr.Markdown(elem_id="audit-note")
                    audit_files = gr.File(label="下载", file_count="multiple", interactive=False, elem_id="audit-files")

        private = dict(api_visibility="private")
        chat_out = [chat, cards, question, stored, history_dd]
        question.submit(respond, inputs=[question, stored], outputs=chat_out, **private)
        send.click(respond, inputs=[question, stored], outputs=chat_out, **private)
        retry_btn.click(retry, inputs=[stored], outputs=chat_out, **private)
        view_out = [chat, cards, stored, history_dd]
        new_btn.click(new_chat, inputs=[stored], outputs=view_out, **private)
        history_dd.input(open_chat, inputs=[history_dd, stored], outputs=view_out, **private)
        delete_btn.click(delete_chat, inputs=[stored], outputs=view_out, **private)
        clear_btn.click(clear_history, inputs=[stored], outputs=view_out, **private)
        chat.feedback(on_feedback, inputs=[stored], outputs=[chat, stored], **private)
        export_btn.click(None, js="() => window.policyQA && window.policyQA.exportAll(document.querySelector('#export-all'))")
        lookup_io = dict(inputs=[lookup_q, lookup_doc], outputs=[lookup_out], **private)
        lookup_q.submit(on_lookup, **lookup_io)
        lookup_btn.click(on_lookup, **lookup_io)
        lib_out = [docs_table, status_box, lib_msg, lookup_doc, remove_doc, mark_doc]
        import_btn.click(import_files, inputs=[upload], outputs=lib_out, **private)
        demo.load(library_access, outputs=[upload, import_btn, remove_doc, remove_btn, reindex_btn, mark_btn, access_note],
                  **private)
        reindex_btn.click(reindex, outputs=lib_out, **private)
        remove_btn.click(on_remove, inputs=[remove_doc], outputs=lib_out, **private)
        mark_btn.click(on_mark, inputs=[mark_doc, mark_status, mark_note], outputs=lib_out, **private)
        audit_btn.click(audit_downloads, outputs=[audit_files, audit_note], **private)
        demo.load(lambda: library_outputs(""), outputs=lib_out, **private)
        demo.load(on_load, inputs=[stored], outputs=view_out, **private)
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
    from index.store.clause_index import UnknownDocument

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
        out = gr.HTML(js_on_load=views.static("copy.js"), elem_id=f"{key}-out")
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


def store_error(e: OSError) -> str:
    where = e.filename or "索引目录"
    return f"无法读写 {where}（{e.strerror or e}）；请检查该目录的权限和磁盘空间，或用 --store 指定其他目录"


def _first_start(assistant: Assistant) -> None:
    """An empty store gets the shipped corpus: bars on a terminal, just the outcome in a log."""
    if assistant.documents():
        return
    print(f"首次启动：正在从 {assistant.settings.corpus} 建立索引…", flush=True)
    from assistant.progress import stage_bars

    report = assistant.ensure_corpus(stage_bars() if sys.stderr.isatty() else None)
    if report:
        print(f"已导入 {report.documents} 个文件、{report.clauses} 条条款。", flush=True)
        for f in report.failed:
            print(f"失败：{f.path}: {f.error}", flush=True)


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    # Answers are CPU work in threads that share the GIL with the server's event loop: a short switch interval
    # lets the loop (and a quick question) in between the steps of long ones.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    from pydantic import ValidationError

    from assistant.settings import settings_error
    from index.store.clause_index import StoreCorrupt

    try:
        assistant = Assistant(host=args.host, port=args.port, store=args.store, backend=args.backend,
                              retrieval="lexical" if args.lexical else None)
    except (StoreCorrupt, OSError) as e:  # one line, never a traceback: the store is the user's to fix
        print(f"错误：{e if isinstance(e, StoreCorrupt) else store_error(e)}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
    except ValidationError as e:  # ASSISTANT_TOP_K=abc: one line naming the setting
        print(f"错误：{settings_error(e)}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    s = assistant.settings
    mode = assistant.mode()
    print(f"检索模式：{mode.label}", flush=True)
    try:
        _first_start(assistant)
    except OSError as e:
        print(f"错误：{store_error(e)}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
    if mode.reason and not mode.dense and s.retrieval != "lexical":
        from assistant.notices import first_time

        if first_time(s.store, mode.reason):  # once per store; the status line's 详情 repeats it
            print(f"提示：{mode.reason}", flush=True)
    app = build_app(assistant)
    # Answers are bounded (ASSISTANT_ANSWER_BUDGET_S) and mostly wait on the GIL or a model: enough workers that
    # slow questions never queue a normal one behind them.
    app.queue(default_concurrency_limit=CONCURRENCY).launch(
        server_name=s.host, server_port=s.port, share=False, auth=access.checker(s), show_error=False, quiet=True,
        max_file_size=f"{s.max_upload_mb}mb", css=views.static("app.css"), theme=gr.themes.Soft(),
        prevent_thread_lock=True,
    )
    print(f"已启动：{app.local_url.rstrip('/')}（仅本机可访问，按 Ctrl+C 退出）" if s.host in ("127.0.0.1", "localhost")
          else f"已启动：{app.local_url.rstrip('/')}", flush=True)
    app.block_thread()


if __name__ == "__main__":
    main()

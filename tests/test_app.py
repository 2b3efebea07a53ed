"""The app over HTTP: its named API (/ask, /lookup, /docs) through gradio_client, login, error hiding,
answers served while another process ingests into the same store, and upload confinement."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "policies"
SHIPPED = {
    "上海市减污降碳协同增效实施方案": "沪环气候〔2023〕12号",
    "上海市环境保护条例": None,
    "上海市青浦区碳达峰实施方案": "青府发〔2022〕64号",
    "嘉定区减污降碳协同增效实施方案": "嘉府发〔2023〕27号",
    "普陀区碳达峰实施方案": "普府〔2023〕24号",
    "松江区碳达峰实施方案": "沪松府〔2023〕75号",
}
JIADING_Q = "嘉定区到2025年新增光伏装机目标是多少？"
JIADING_CITATION = "《嘉定区减污降碳协同增效实施方案》（嘉府发〔2023〕27号）二、（一）1."
ARTICLE_18 = "《上海市环境保护条例》（2018年修正）第十八条"
AUTH = ("reviewer", "s3cret-口令")

# (question, fact the answer must state, citation it must carry) — answers the shipped corpus supports.
KNOWN_ANSWERS = [
    (JIADING_Q, "29.4万千瓦", JIADING_CITATION),
    ("松江区到2025年单位生产总值能源消耗下降多少？", "14%", "沪松府〔2023〕75号"),
    ("普陀区到2025年单位生产总值能耗下降多少？", "13.5%", "普府〔2023〕24号"),
    ("嘉定区到2025年累计完成多少个加氢站投入运营？", "6个加氢站", "嘉府发〔2023〕27号"),  # 二（一）1. and 二（三）2. both say it
    ("青浦区到2025年单位生产总值能耗下降多少？", "14%", "青府发〔2022〕64号"),
]


def assert_cited(result: dict, fact: str, citation: str) -> None:
    """A grounded answer: states the fact, carries [n] markers, cites the clause, every sentence verified."""
    assert not result["refused"], result
    assert fact in result["answer"], result["answer"]
    assert "[1]" in result["answer"], result["answer"]
    cited = [c["citation"] for c in result["citations"]]
    assert any(citation in c for c in cited), cited
    assert result["sentences"] and all(s["supported"] for s in result["sentences"]), result["sentences"]


@pytest.fixture(scope="module")
def client(app_server) -> Client:
    return Client(app_server.url, verbose=False)


# ---- /ask ---------------------------------------------------------------------------------------


def test_ask_returns_cited_answer(client):
    result = client.predict(JIADING_Q, [], api_name="/ask")
    assert_cited(result, "29.4万千瓦", JIADING_CITATION)
    first = result["citations"][0]
    assert first["n"] == 1 and first["doc_title"] == "嘉定区减污降碳协同增效实施方案" and first["label"] == "二（一）1"
    assert "29.4万千瓦" in first["text"]  # the card shows the clause the number comes from


def test_ask_follow_up_uses_history(client):
    first = client.predict(JIADING_Q, [], api_name="/ask")
    history = [{"role": "user", "content": JIADING_Q}, {"role": "assistant", "content": first["answer"]}]
    result = client.predict("那青浦区呢？", history, api_name="/ask")
    assert "青浦区" in result["standalone_question"] and "光伏" in result["standalone_question"], result
    assert not result["refused"] and "光伏装机" in result["answer"], result["answer"]
    titles = {c["doc_title"] for c in result["citations"]}
    assert titles == {"上海市青浦区碳达峰实施方案"}, titles


# ---- /lookup and /docs --------------------------------------------------------------------------


def test_article_question_every_sentence_cited(client):
    result = client.predict("上海市环境保护条例第十八条规定了什么？", [], api_name="/ask")
    assert_cited(result, "生态保护补偿", ARTICLE_18)


def test_lookup_article_reference_is_exact(client):
    found = client.predict("环境保护条例 第十八条", None, api_name="/lookup")
    results = found["results"]
    assert found["exact"] is True and found["message"] is None
    assert len(results) == 1, [r["citation"] for r in results]
    (hit,) = results
    assert hit["score"] is None and hit["status"] is None
    assert hit["citation"] == ARTICLE_18 and hit["label"] == "第十八条"
    assert hit["text"].startswith("第十八条") and "生态保护补偿" in hit["text"]


def test_lookup_outline_reference(client):
    results = client.predict("嘉定 二（一）1", None, api_name="/lookup")["results"]
    assert [r["citation"] for r in results] == [JIADING_CITATION]
    assert "29.4万千瓦" in results[0]["text"]


def test_lookup_round_trips_the_citation_it_prints(client):
    """A formal citation pasted back, a 文号 with a clause path, a 款 of an article."""
    for query in (JIADING_CITATION, "嘉府发〔2023〕27号 二（一）1"):
        assert [r["citation"] for r in client.predict(query, None, api_name="/lookup")["results"]] == [JIADING_CITATION]
    (hit,) = client.predict(ARTICLE_18 + "第二款", None, api_name="/lookup")["results"]
    assert hit["citation"] == ARTICLE_18 and hit["focus"] and hit["focus"] in hit["text"]


def test_lookup_of_an_article_that_does_not_exist_is_one_line(client):
    found = client.predict("环境保护条例 第二百条", None, api_name="/lookup")
    assert found["results"] == [] and found["exact"] is True
    assert found["message"] == "《上海市环境保护条例》（2018年修正）共九十一条，没有第二百条"


def test_lookup_within_chosen_document(client):
    results = client.predict("第十八条", "上海市环境保护条例", api_name="/lookup")["results"]
    assert [r["citation"] for r in results] == [ARTICLE_18]


def test_lookup_keywords_are_ranked_with_scores(client):
    found = client.predict("新增光伏装机容量", None, api_name="/lookup")
    results = found["results"]
    assert len(results) >= 3
    assert found["exact"] is False
    scores = [r["score"] for r in results]
    assert all(isinstance(s, float) and s > 0 for s in scores), scores
    assert scores == sorted(scores, reverse=True), scores
    assert "光伏" in results[0]["text"]


def test_docs_lists_corpus_and_retrieval_mode(client):
    result = client.predict(api_name="/docs")
    assert result["retrieval"]["mode"] == "lexical" and result["retrieval"]["label"] == "仅关键词检索（BM25）"
    shipped_files = {p.name for p in CORPUS.iterdir()}
    # Other modules may have uploaded into the shared store: count what came from data/policies/.
    shipped = [d for d in result["documents"] if d["source_file"] in shipped_files]
    assert len(shipped) == 6
    assert {d["title"]: d["doc_number"] for d in shipped} == SHIPPED
    assert all(d["clauses"] > 0 for d in shipped)
    assert all(d["status"] == "现行有效" for d in shipped)
    statute = next(d for d in shipped if d["title"] == "上海市环境保护条例")
    assert (statute["edition"], statute["citation_edition"]) == ("2018年修正", "2018年修正")
    assert all("path" not in d for d in result["documents"])  # no server paths in the API


# ---- what the app must not expose ---------------------------------------------------------------


def test_launch_is_local_only_and_quiet(app_server):
    log = app_server.log()
    assert "检索模式：仅关键词检索（BM25）" in log and "已导入 6 个文件" in log, log
    assert f"已启动：{app_server.url.rstrip('/')}（仅本机可访问" in log, log
    assert "gradio.live" not in log and "public URL" not in log and "share=True" not in log, log
    assert "0it" not in log and "it/s" not in log, log  # no progress bars in a log
    for path in ("", "config"):
        page = httpx.get(app_server.url + path, timeout=30)
        assert page.status_code == 200 and "gradio.live" not in page.text


def test_error_hides_traceback(app_server, client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as err:
        client.predict("第十八条", "没有这个文件", api_name="/lookup")
    assert "Traceback" not in str(err.value) and ".py" not in str(err.value)

    start = httpx.post(app_server.url + "gradio_api/call/lookup", json={"data": ["第十八条", "没有这个文件"]}, timeout=30)
    event_id = start.json()["event_id"]
    body = httpx.get(f"{app_server.url}gradio_api/call/lookup/{event_id}", timeout=30).text
    assert "event: error" in body, body
    for leak in ("Traceback", 'File "', ".py", str(ROOT), "UnknownDocument"):
        assert leak not in body, body


def test_markup_in_question_comes_back_as_plain_data(client):
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    result = client.predict(payload + JIADING_Q, [], api_name="/ask")
    assert result["question"].startswith(payload)  # data, unchanged: escaping is the renderer's job
    assert "<script" not in result["answer"] and "onerror" not in result["answer"]
    assert_cited(result, "29.4万千瓦", JIADING_CITATION)


# ---- a second server: login enabled, its store shared with a CLI ingest -------------------------


@pytest.fixture(scope="module")
def private_server(launch_app, tmp_path_factory):
    server = launch_app(tmp_path_factory.mktemp("app_auth"),
                        {"ASSISTANT_AUTH_USER": AUTH[0], "ASSISTANT_AUTH_PASSWORD": AUTH[1]})
    yield server
    server.stop()


def test_login_required(private_server):
    url = private_server.url
    for method, path, kwargs in [("GET", "config", {}), ("GET", "gradio_api/info", {}),
                                 ("POST", "gradio_api/call/ask", {"json": {"data": [JIADING_Q, []]}}),
                                 ("POST", "gradio_api/upload", {"files": {"files": ("a.txt", b"x")}})]:
        r = httpx.request(method, url + path, timeout=30, **kwargs)
        assert r.status_code == 401, (path, r.status_code, r.text[:200])
        assert "29.4" not in r.text
    with pytest.raises(Exception, match="credentials|login"):
        Client(url, verbose=False)
    with pytest.raises(ValueError, match="Could not login"):
        Client(url, auth=(AUTH[0], "wrong"), verbose=False)
    result = Client(url, auth=AUTH, verbose=False).predict(JIADING_Q, [], api_name="/ask")
    assert_cited(result, "29.4万千瓦", JIADING_CITATION)
    assert AUTH[1] not in private_server.log()


def _write_synthetic_corpus(folder: Path, n: int) -> None:
    """n outline documents (60 items each) in the 一、/（一）/1. format the parser reads."""
    cn = "一二三四五六七八九十"
    folder.mkdir(parents=True)
    for i in range(n):
        lines = [f"合成测试{i:03d}号区节能改造工作方案", f"合测发〔2024〕{i + 1}号", ""]
        for s in range(4):
            lines.append(f"{cn[s]}、重点任务第{s + 1}部分")
            for t in range(3):
                lines.append(f"（{cn[t]}）专项工作{t + 1}")
                lines += [f"{k + 1}.推进第{i}号区第{s}{t}{k}项节能改造工程，到2027年完成改造面积{i * 7 + k}万平方米。"
                          f"（责任单位：合成测试{i:03d}号区住房保障局）" for k in range(5)]
        (folder / f"synthetic_{i:03d}.txt").write_text("\n".join(lines), encoding="utf-8")


def test_answers_while_another_process_ingests(private_server, tmp_path):
    """Ten concurrent /ask calls are answered correctly while `python -m assistant ingest` writes the same store."""
    from filelock import FileLock, Timeout

    clients = [Client(private_server.url, auth=AUTH, verbose=False) for _ in range(10)]  # logged in up front
    folder = tmp_path / "big"
    _write_synthetic_corpus(folder, 40)
    lock = FileLock(str(private_server.store / ".lock"))
    log = open(tmp_path / "ingest.log", "wb")
    ingest = subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", str(folder), "--store", str(private_server.store), "--lexical", "--json"],
        cwd=ROOT, env=private_server.env, stdout=subprocess.PIPE, stderr=log)

    def ingest_holds_lock() -> bool:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return True
        lock.release()
        return False

    deadline = time.monotonic() + 60
    while not ingest_holds_lock():
        assert ingest.poll() is None, f"ingest ended before it took the store lock: {(tmp_path / 'ingest.log').read_text()}"
        assert time.monotonic() < deadline, "ingest never took the store lock"
        time.sleep(0.02)
    locked_at = time.monotonic()
    released: list[float] = []

    def watch() -> None:
        while ingest_holds_lock():
            time.sleep(0.02)
        released.append(time.monotonic())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()

    calls: list[dict] = [{} for _ in clients]

    def ask(i: int) -> None:
        question, _, _ = KNOWN_ANSWERS[i % len(KNOWN_ANSWERS)]
        calls[i]["start"] = time.monotonic()
        try:
            calls[i]["result"] = clients[i].predict(question, [], api_name="/ask")
        except Exception as e:  # noqa: BLE001 — reported with the call below
            calls[i]["error"] = repr(e)
        calls[i]["end"] = time.monotonic()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    out, _ = ingest.communicate(timeout=180)
    log.close()
    watcher.join(timeout=30)

    assert ingest.returncode == 0, (tmp_path / "ingest.log").read_text()
    report = json.loads(out)
    assert report["documents"] == 40 and not report["failed"], report
    for i, call in enumerate(calls):
        assert "error" not in call, call
        _, fact, citation = KNOWN_ANSWERS[i % len(KNOWN_ANSWERS)]
        assert_cited(call["result"], fact, citation)
    # The overlap really happened: every question was asked while the ingest held the store's lock,
    # and answers came back before it let go (reads don't wait for the writer).
    assert released, "the lock watcher never saw the ingest finish"
    starts, ends = [c["start"] for c in calls], [c["end"] for c in calls]
    assert locked_at <= min(starts) and max(starts) < released[0], (locked_at, starts, released)
    assert min(ends) < released[0], (ends, released)


def test_fifty_concurrent_asks_make_fifty_audit_lines(private_server):
    """Every /ask answer is one well-formed audit line with the user, the cited clauses and their versions."""
    from assistant.audit import AuditLog

    log = AuditLog(private_server.store)
    before = sum(len(f.read_bytes().splitlines()) for f in log.files())
    # Ten clients ask five questions each at once. One gradio_client with fifty jobs in flight can cancel a job whose
    # answer already arrived (its shared event stream closes first), which says nothing about the server.
    def ask_five(worker: int) -> list[tuple[int, dict]]:
        client = Client(private_server.url, auth=AUTH, verbose=False)
        return [(i, client.predict(KNOWN_ANSWERS[i % len(KNOWN_ANSWERS)][0], [], api_name="/ask"))
                for i in range(worker, 50, 10)]

    with ThreadPoolExecutor(max_workers=10) as pool:
        answered = dict(pair for batch in pool.map(ask_five, range(10)) for pair in batch)
    results = [answered[i] for i in range(50)]
    for i, result in enumerate(results):
        _, fact, citation = KNOWN_ANSWERS[i % len(KNOWN_ANSWERS)]
        assert_cited(result, fact, citation)
    lines = [line for f in log.files() for line in f.read_bytes().splitlines()]
    assert len(lines) - before == 50
    new = [json.loads(line) for line in lines[before:]]
    assert all(r["kind"] == "answer" and r["via"] == "api" and r["user"] == AUTH[0] for r in new)
    assert sorted(r["question"] for r in new) == sorted(KNOWN_ANSWERS[i % len(KNOWN_ANSWERS)][0] for i in range(50))
    assert all(r["citations"] and all(c["doc_version"] and c["clause_id"] for c in r["citations"]) for r in new)
    assert all(r["latency_ms"] >= 0 and r["refused"] is False for r in new)

    listed = subprocess.run([sys.executable, "-m", "assistant", "audit", "--store", str(private_server.store), "--json"],
                            cwd=ROOT, env=private_server.env, capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert listed.returncode == 0, listed.stderr
    ids = {json.loads(line)["id"] for line in listed.stdout.splitlines()}
    assert {r["id"] for r in new} <= ids


# ---- uploads stay inside <store>/uploads ---------------------------------------------------------


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("name, stored_as", [
    ("../../evil.txt", "evil.txt"),
    ("..\\..\\evil.txt", "evil.txt"),
    ("/etc/cron.d/evil.md", "evil.md"),
    ("a/b/c.md", "c.md"),
    ("嘉定区 方案;rm -rf ~.TXT", "嘉定区_方案_rm_-rf.txt"),
    ("..", None),
    ("x.exe", None),
    ("evil.txt.exe", None),
    ("no_suffix", None),
])
def test_store_upload_confines_names(tmp_path, name, stored_as):
    from assistant.uploads import UploadRejected, store_upload

    src = tmp_path / "incoming.bin"
    src.write_text("一、总则\n1.内容。", encoding="utf-8")
    uploads = tmp_path / "store" / "uploads"
    before = _tree(tmp_path)
    if stored_as is None:
        with pytest.raises(UploadRejected, match="不支持的文件类型"):
            store_upload(src, name, uploads, max_mb=1)
        assert _tree(tmp_path) - before <= {"store", "store/uploads"}
        assert not any(uploads.glob("*")) if uploads.exists() else True
        return
    dest = store_upload(src, name, uploads, max_mb=1)
    assert dest == (uploads / stored_as).resolve() and dest.read_bytes() == src.read_bytes()
    assert _tree(tmp_path) - before == {"store", "store/uploads", f"store/uploads/{stored_as}"}


def test_store_upload_rejects_oversize(tmp_path):
    from assistant.uploads import UploadRejected, store_upload

    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (1024 * 1024 + 1))
    with pytest.raises(UploadRejected, match="文件过大.*上限 1 MB"):
        store_upload(big, "big.txt", tmp_path / "uploads", max_mb=1)
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())


def test_store_upload_does_not_follow_planted_symlink(tmp_path):
    from assistant.uploads import UploadRejected, store_upload

    outside = tmp_path / "outside.txt"
    outside.write_text("原内容", encoding="utf-8")
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "plan.txt").symlink_to(outside)
    src = tmp_path / "src.txt"
    src.write_text("覆盖", encoding="utf-8")
    with pytest.raises(UploadRejected, match="文件名不安全"):
        store_upload(src, "plan.txt", uploads, max_mb=1)
    assert outside.read_text(encoding="utf-8") == "原内容"


def test_add_files_ingests_good_files_and_reports_each_rejection(tmp_path):
    from assistant.service import Assistant

    work = tmp_path / "work"
    work.mkdir()
    good = work / "tmp123"
    good.write_text("试点区节水行动方案\n试水发〔2024〕3号\n一、主要目标\n（一）总体目标\n"
                    "1.到2026年建成节水型社区30个。（责任单位：区水务局）\n", encoding="utf-8")
    exe = work / "tmp456"
    exe.write_bytes(b"MZ\x90\x00")
    big = work / "tmp789"
    big.write_bytes("一、总则\n".encode("utf-8") * 200_000)  # > 1 MB
    store = tmp_path / "store"
    assistant = Assistant(store=store, retrieval="lexical", max_upload_mb=1)
    before = _tree(tmp_path)

    report, rejected = assistant.add_files([(str(good), "../../节水方案.txt"), (str(exe), "tool.exe"),
                                            (str(big), "大文件.txt")])

    assert len(rejected) == 2
    assert rejected[0].startswith("tool.exe: 不支持的文件类型 .exe")
    assert rejected[1].startswith("大文件.txt: 文件过大")
    assert report is not None and report.documents == 1 and not report.failed
    assert [m.title for m, _ in assistant.documents()] == ["试点区节水行动方案"]
    assert sorted(p.name for p in (store / "uploads").iterdir()) == ["节水方案.txt"]
    outside = {p for p in _tree(tmp_path) - before if not p.startswith("store")}
    assert outside == set(), outside
    hits = assistant.search("节水型社区", k=1)
    assert hits and "30个" in hits[0].clause.text


def test_store_upload_never_overwrites_another_file_of_the_same_name(tmp_path):
    from assistant.uploads import store_upload

    uploads = tmp_path / "uploads"
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("甲区节水方案", encoding="utf-8")
    second.write_text("乙区节水方案", encoding="utf-8")
    one = store_upload(first, "方案.txt", uploads, max_mb=1)
    two = store_upload(second, "方案.txt", uploads, max_mb=1)
    again = store_upload(first, "方案.txt", uploads, max_mb=1)
    assert one.name == "方案.txt" and two.name == "方案-2.txt" and again == one
    assert one.read_text(encoding="utf-8") == "甲区节水方案" and two.read_text(encoding="utf-8") == "乙区节水方案"

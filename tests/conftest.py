"""Shared test fixtures: an isolated, offline Hugging Face environment and a random-weight bge-small-zh skeleton."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
BGE_SMALL_FIXTURE = FIXTURES / "bge-small-zh-v1.5"
BGE_TOKENIZER_FILES = ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json")


@pytest.fixture(autouse=True)
def offline_hf(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test touches the network or the user's Hugging Face cache."""
    home = tmp_path_factory.mktemp("hf_home")
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    return home


@pytest.fixture(scope="session")
def bge_skeleton(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bge-small-zh-v1.5's exact architecture and vocabulary with random (seeded) weights.

    The folder is named like the real model so name-based model detection treats it as one.
    """
    import torch
    from transformers import BertConfig, BertModel

    folder = tmp_path_factory.mktemp("models") / "bge-small-zh-v1.5"
    config = BertConfig.from_pretrained(str(BGE_SMALL_FIXTURE))
    torch.manual_seed(0)
    model = BertModel(config).eval()
    model.save_pretrained(str(folder))
    for name in BGE_TOKENIZER_FILES:
        shutil.copy(BGE_SMALL_FIXTURE / name, folder / name)
    return folder


# ---- LLM backends: a scripted OpenAI-compatible server and a tiny local causal LM -------------

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass(frozen=True)
class LLMBehaviour:
    """One scripted response of the fake LLM server."""

    kind: str  # reply | slow | status | hang | malformed
    text: str | Callable[[str], str] = ""  # reply text, or a function of the request's prompt
    status: int = 200
    seconds: float = 0.0


@dataclass
class LLMRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def prompt(self) -> str:
        messages = self.body.get("messages") or [{}]
        return str(messages[-1].get("content", ""))

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))


@dataclass
class FakeLLM:
    """An OpenAI-compatible /v1/chat/completions on 127.0.0.1 that plays a queue of scripted behaviours.

    Like simonw/llm's MockModel: a test queues what the "model" does next (a reply, HTTP 500, a hang,
    malformed JSON, empty content), the server records every request it got. An unscripted request
    gets HTTP 500 so that a test never passes on a response it did not ask for.
    """

    host: str = "127.0.0.1"
    port: int = 0
    requests: list[LLMRequest] = field(default_factory=list)
    queue: deque = field(default_factory=deque)
    chunks: int = 4  # a streamed reply arrives in this many deltas
    _server: Any = None
    _thread: Any = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    # behaviours
    @staticmethod
    def reply(text: str | Callable[[str], str]) -> LLMBehaviour:
        return LLMBehaviour("reply", text)

    @staticmethod
    def empty() -> LLMBehaviour:
        return LLMBehaviour("reply", "")

    @staticmethod
    def http_error(status: int = 500) -> LLMBehaviour:
        return LLMBehaviour("status", status=status)

    @staticmethod
    def hang(seconds: float) -> LLMBehaviour:
        return LLMBehaviour("hang", seconds=seconds)

    @staticmethod
    def slow(text: str | Callable[[str], str], seconds_per_delta: float) -> LLMBehaviour:
        """A streamed reply whose deltas arrive `seconds_per_delta` apart (a slow model: each read is quick)."""
        return LLMBehaviour("slow", text, seconds=seconds_per_delta)

    @staticmethod
    def malformed() -> LLMBehaviour:
        return LLMBehaviour("malformed")

    def script(self, *behaviours: LLMBehaviour | str) -> None:
        self.queue.extend(b if isinstance(b, LLMBehaviour) else self.reply(b) for b in behaviours)

    def next_behaviour(self) -> LLMBehaviour | None:
        try:
            return self.queue.popleft()
        except IndexError:
            return None

    def start(self) -> "FakeLLM":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                req = LLMRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                fake.requests.append(req)
                behaviour = fake.next_behaviour() if self.path.rstrip("/").endswith("/chat/completions") else None
                try:
                    fake._respond(self, req, behaviour)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing left to send

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False  # a hanging handler must not hold up the fixture's teardown

        self._server = Server((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: later requests get connection refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # responses
    def _respond(self, h: BaseHTTPRequestHandler, req: LLMRequest, b: LLMBehaviour | None) -> None:
        if b is None:
            return self._send_json(h, 500, {"error": {"message": "unscripted request", "type": "server_error"}})
        if b.kind == "hang":
            time.sleep(b.seconds)
            return self._send_json(h, 500, {"error": {"message": "too late", "type": "server_error"}})
        if b.kind == "status":
            return self._send_json(h, b.status, {"error": {"message": f"scripted HTTP {b.status}", "type": "server_error"}})
        model = str(req.body.get("model") or "fake-model")
        if b.kind == "malformed":
            if req.stream:
                return self._send_sse(h, ["{\"id\": \"x\", \"choices\": [{\"delta\": {\"content\": 不是JSON"])
            return self._send_raw(h, 200, "application/json", "{\"id\": \"x\", \"choices\": [不是JSON")
        text = b.text(req.prompt) if callable(b.text) else b.text
        if not req.stream:
            return self._send_json(h, 200, {
                "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            })
        size = max(1, -(-len(text) // self.chunks))
        pieces = [text[i: i + size] for i in range(0, len(text), size)]
        events = [self._chunk(model, {"role": "assistant", "content": ""}, None)]
        events += [self._chunk(model, {"content": p}, None) for p in pieces]
        events.append(self._chunk(model, {}, "stop"))
        delay = b.seconds if b.kind == "slow" else 0.0
        return self._send_sse(h, [json.dumps(e, ensure_ascii=False) for e in events], delay)

    @staticmethod
    def _chunk(model: str, delta: dict, finish: str | None) -> dict:
        return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    @staticmethod
    def _send_raw(h: BaseHTTPRequestHandler, status: int, ctype: str, body: str) -> None:
        data = body.encode("utf-8")
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _send_json(self, h: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
        self._send_raw(h, status, "application/json", json.dumps(payload, ensure_ascii=False))

    @staticmethod
    def _send_sse(h: BaseHTTPRequestHandler, events: list[str], delay: float = 0.0) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Cache-Control", "no-cache")
        h.end_headers()
        for e in events:
            h.wfile.write(f"data: {e}\n\n".encode("utf-8"))
            h.wfile.flush()
            time.sleep(delay)
        h.wfile.write(b"data: [DONE]\n\n")
        h.wfile.flush()


@pytest.fixture
def refused_llm_url() -> str:
    """An OpenAI-style base URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def fake_llm():
    """A scripted OpenAI-compatible chat server on a free port of 127.0.0.1 (one per test)."""
    server = FakeLLM().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tiny_causal_lm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight 1-layer GPT-2 over bge-small-zh's BERT vocabulary: real generation, gibberish output."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    folder = tmp_path_factory.mktemp("models") / "tiny-gpt2-zh"
    vocab = (BGE_SMALL_FIXTURE / "vocab.txt").read_text(encoding="utf-8").splitlines()
    config = GPT2Config(n_layer=1, n_head=2, n_embd=32, vocab_size=len(vocab), n_positions=8192,
                        bos_token_id=101, eos_token_id=102, pad_token_id=0)  # [CLS] / [SEP] / [PAD]
    torch.manual_seed(0)
    GPT2LMHeadModel(config).eval().save_pretrained(str(folder))
    for name in BGE_TOKENIZER_FILES:
        shutil.copy(BGE_SMALL_FIXTURE / name, folder / name)
    return folder


# ---- The app as a real server: `python app.py` in a subprocess on a free port ------------------

import os
import subprocess
import sys
import urllib.error
import urllib.request

PROJECT_ROOT = Path(__file__).resolve().parents[1]
APP_START_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class AppServer:
    """A running `python app.py --lexical` with its own store; `log()` is everything it printed."""

    url: str  # base URL with a trailing slash
    store: Path
    log_path: Path
    proc: subprocess.Popen
    env: dict[str, str]  # what it was started with: for a CLI process that shares its store

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)


def app_env(workdir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a server under test: offline, no telemetry, no ASSISTANT_* from the developer's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "GRADIO_", "HF_"))}
    (workdir / "gradio_tmp").mkdir(parents=True, exist_ok=True)
    env.update({
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HOME": str(workdir / "hf_home"),
        "GRADIO_ANALYTICS_ENABLED": "False",  # launch() would otherwise phone api.gradio.app
        "GRADIO_TEMP_DIR": str(workdir / "gradio_tmp"),
        "PYTHONUNBUFFERED": "1", "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
    })
    env.update(extra or {})
    return env


def start_app(workdir: Path, extra_env: dict[str, str] | None = None,
              timeout_s: float = APP_START_TIMEOUT_S, lexical: bool = True) -> AppServer:
    """Launch the app exactly as a user would and wait until its URL answers.

    `lexical=False` starts it as a fresh machine does: the bge model is looked for (offline) and found missing.
    """
    port = free_port()
    store = workdir / "store"
    log_path = workdir / "app.log"
    cmd = [sys.executable, "app.py", "--port", str(port), "--store", str(store)] + (["--lexical"] if lexical else [])
    env = app_env(workdir, extra_env)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = AppServer(f"http://127.0.0.1:{port}/", store, log_path, proc, env)
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            pytest.fail(f"app.py exited with {proc.returncode} before answering:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.url, timeout=5) as r:
                if r.status == 200:
                    return server
        except urllib.error.HTTPError as e:  # an answer all the same (e.g. a login wall)
            if e.code < 500:
                return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            pytest.fail(f"app.py did not answer on {server.url} within {timeout_s:.0f} s:\n{server.log()}")
        time.sleep(0.3)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory):
    """The app on a free port of 127.0.0.1 with a fresh store (first start ingests data/policies/)."""
    server = start_app(tmp_path_factory.mktemp("app"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def launch_app():
    """`start_app(workdir, extra_env)` for a module that needs its own server (login, a store it writes to)."""
    return start_app


# ---- Chroma in client/server mode --------------------------------------------------------------

CHROMA_URL_ENV = "ASSISTANT_TEST_CHROMA_URL"  # set by .ci/run, which starts `chroma run` before the tests
CHROMA_START_S = 60


def _chroma_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/api/v2/heartbeat", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):
    """URL of a real Chroma server on 127.0.0.1: the one CI started (ASSISTANT_TEST_CHROMA_URL), else one
    started here with the `chroma` command that the chromadb package installs."""
    url = os.environ.get(CHROMA_URL_ENV)
    if url:
        deadline = time.monotonic() + CHROMA_START_S
        while not _chroma_ready(url):
            if time.monotonic() > deadline:
                pytest.fail(f"{CHROMA_URL_ENV}={url} but no Chroma server answers there")
            time.sleep(0.5)
        yield url
        return
    exe = Path(sys.executable).parent / "chroma"
    if not exe.exists():
        exe = Path(shutil.which("chroma") or "")
    if not exe.name:
        pytest.fail("the `chroma` command (installed with chromadb, see requirements.txt) is missing")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = tmp_path_factory.mktemp("chroma_server")
    log = open(root / "server.log", "wb")
    proc = subprocess.Popen([str(exe), "run", "--path", str(root / "data"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + CHROMA_START_S
        while not _chroma_ready(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chroma run did not start: {(root / 'server.log').read_text(errors='replace')[-500:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def dead_chroma_url() -> str:
    """A URL where nothing listens: what the index sees when the Chroma server is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"

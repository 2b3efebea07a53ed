"""LLM answer backends: an OpenAI-compatible endpoint (llama-index OpenAILike) or a local transformers model.

A backend implements one method, `stream(prompt, system)`, yielding text deltas. Every fault —
endpoint down, timeout, HTTP 5xx, empty or malformed output, no citations — becomes a
one-line notice, and the pipeline answers extractively instead. API keys never appear
in logs, errors or output.
"""
from __future__ import annotations

import logging
import queue
import re
import threading
import time
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from assistant.condense import Condensed
from assistant.prompts import answer_prompt, condense_prompt, system_prompt
from assistant.text import MARKER_RE
from assistant.types import Draft

if TYPE_CHECKING:
    from assistant.retrieve import Candidates
    from assistant.service import Assistant
    from assistant.settings import Settings

logger = logging.getLogger(__name__)
FALLBACK = "已改用摘录式回答。"


class BackendError(RuntimeError):
    """A model fault; str(e) is one Chinese line without secrets. `retryable`: another try may succeed (the
    endpoint refused the connection or answered 5xx before sending any text)."""

    def __init__(self, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class Deadline:
    """One overall time limit for everything the model does for one answer: condensing a follow-up, connecting,
    streaming, and any retry. Nothing waits past it (a retry never doubles the wait)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def expired_text(self) -> str:
        return f"大模型回答超时（超过 {self.seconds:g} 秒时限）"


class LLMBackend:
    name = "llm"

    def stream(self, prompt: str, system: str | None = None) -> Iterator[str]:
        raise NotImplementedError


class OpenAIBackend(LLMBackend):
    """Any OpenAI-compatible chat endpoint: DeepSeek, Qwen/DashScope, vLLM, Ollama …"""

    name = "openai"

    def __init__(self, settings: "Settings") -> None:
        if not settings.llm_base_url or not settings.llm_model:
            raise BackendError("未配置 OpenAI 兼容接口：请设置 ASSISTANT_LLM_BASE_URL 和 ASSISTANT_LLM_MODEL（以及 ASSISTANT_LLM_API_KEY）")
        from llama_index.llms.openai_like import OpenAILike

        self._secret = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
        self.llm = OpenAILike(
            model=settings.llm_model, api_base=settings.llm_base_url, api_key=self._secret or "EMPTY",
            # retries are run_llm's, within the answer's one deadline; a read never waits longer than the deadline
            is_chat_model=True, timeout=settings.llm_timeout, max_retries=0,
            max_tokens=settings.max_new_tokens, temperature=0.0,
        )

    def stream(self, prompt: str, system: str | None = None) -> Iterator[str]:
        from llama_index.core.llms import ChatMessage

        messages = ([ChatMessage(role="system", content=system)] if system else []) + [ChatMessage(role="user", content=prompt)]
        try:
            for chunk in self.llm.stream_chat(messages):
                if chunk.delta:
                    yield chunk.delta
        except Exception as e:  # openai/httpx raise many types; each is a fault of the endpoint
            raise BackendError(_describe(e, self._secret), _retryable(e)) from e


class TransformersBackend(LLMBackend):
    """A local chat model (path or hub id) through transformers, streamed with TextIteratorStreamer."""

    name = "transformers"

    def __init__(self, settings: "Settings") -> None:
        if not settings.local_model:
            raise BackendError("未配置本地模型：请设置 ASSISTANT_LOCAL_MODEL 为模型文件夹路径（如 Qwen2.5-7B-Instruct）")
        try:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(settings.local_model)
            self.model = AutoModelForCausalLM.from_pretrained(settings.local_model)
        except Exception as e:  # missing folder, missing weights, unsupported architecture
            raise BackendError(f"本地模型 {settings.local_model} 无法加载（{type(e).__name__}），请检查路径或设置 HF_ENDPOINT 镜像") from e
        self.max_new_tokens = settings.max_new_tokens
        self.max_time = settings.llm_timeout

    def _inputs(self, prompt: str, system: str | None = None):
        if getattr(self.tokenizer, "chat_template", None):
            messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
            text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        else:
            text = (system + "\n\n" if system else "") + prompt
        return self.tokenizer(text, return_tensors="pt")

    def stream(self, prompt: str, system: str | None = None) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        inputs = self._inputs(prompt, system)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True,
                                        timeout=self.max_time + 5)
        errors: list[BaseException] = []

        def generate() -> None:
            try:
                self.model.generate(**inputs, streamer=streamer, max_new_tokens=self.max_new_tokens, do_sample=False,
                                    max_time=self.max_time)  # generation stops by itself at the deadline
            except Exception as e:  # surfaced to the caller below
                errors.append(e)
                streamer.end()

        thread = threading.Thread(target=generate, daemon=True)
        thread.start()
        for text in streamer:
            if text:
                yield text
        thread.join()
        if errors:
            raise BackendError(f"本地模型生成失败（{type(errors[0]).__name__}）") from errors[0]


_BACKENDS = {"openai": OpenAIBackend, "transformers": TransformersBackend}
_cache: dict[tuple, LLMBackend] = {}
_cache_lock = threading.Lock()


def get_backend(name: str, settings: "Settings") -> LLMBackend:
    if name not in _BACKENDS:
        raise BackendError(f"未知的回答后端 {name}，可选 extractive / openai / transformers")
    secret = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    key = (name, settings.llm_base_url, settings.llm_model, settings.local_model, secret, settings.llm_timeout,
           settings.llm_max_retries, settings.max_new_tokens)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _BACKENDS[name](settings)
        return _cache[key]


def within(deadline: Deadline, stream: Callable[[], Iterator[str]]) -> Iterator[str]:
    """The deltas of `stream()` as they arrive, never waiting past `deadline`: the call runs in a helper thread, and
    at the deadline the caller stops listening (the helper ends at its next delta or its own read timeout)."""
    inbox: queue.Queue = queue.Queue()
    stop = threading.Event()

    def pump() -> None:
        try:
            for delta in stream():
                if stop.is_set():
                    return
                inbox.put(("delta", delta))
            inbox.put(("end", None))
        except BaseException as e:  # handed to the caller
            inbox.put(("error", e))

    threading.Thread(target=pump, daemon=True, name="llm-stream").start()
    try:
        while True:
            left = deadline.left()
            if left <= 0:
                raise BackendError(deadline.expired_text())
            try:
                kind, value = inbox.get(timeout=left)
            except queue.Empty:
                raise BackendError(deadline.expired_text()) from None
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()


def run_llm(assistant: "Assistant", backend: str, question: str, ctx: "Candidates",
            deadline: Deadline | None = None) -> Iterator[str | Draft]:
    """Stream the model's answer within `deadline`; finally a Draft (empty text and a notice on any fault).

    A connection refused or an HTTP 5xx before any text is retried (ASSISTANT_LLM_MAX_RETRIES times) while the
    deadline leaves time; the notice says how many tries failed."""
    settings = assistant.settings
    deadline = deadline or Deadline(settings.llm_timeout)
    tries = 0
    try:
        llm = get_backend(backend, settings)
        prompt, system = answer_prompt(question, ctx.clauses), system_prompt()
        while True:
            tries += 1
            parts: list[str] = []
            try:
                for delta in within(deadline, lambda: llm.stream(prompt, system)):
                    parts.append(delta)
                    yield delta
                break
            except BackendError as e:
                if parts or not e.retryable or tries > settings.llm_max_retries or deadline.left() < 1:
                    raise BackendError(str(e) + (f"（共尝试 {tries} 次）" if tries > 1 else "")) from e
                logger.info("LLM retry after: %s", e)
        text = _clean("".join(parts))
        if not text:
            raise BackendError("模型返回了空回答")
        if not MARKER_RE.search(text) and "未找到" not in text:
            raise BackendError("模型回答没有标注引用条款")
        yield Draft(text, backend)
    except BackendError as e:
        logger.warning("LLM fault: %s", e)
        yield Draft("", backend, f"{e}，{FALLBACK}")


def llm_condense(assistant: "Assistant", backend: str, question: str, history: Sequence[dict],
                 fallback: Condensed, deadline: Deadline | None = None) -> Condensed:
    """Rewrite a follow-up with the model; on any fault keep the rule-based rewrite."""
    deadline = deadline or Deadline(assistant.settings.llm_timeout)
    try:
        llm = get_backend(backend, assistant.settings)
        text = _clean("".join(within(deadline, lambda: llm.stream(condense_prompt(question, history)))))
        text = text.split("\n")[0].strip()
    except BackendError as e:
        logger.warning("LLM condense fault: %s", e)
        return fallback
    if not text or len(text) > 200:
        return fallback
    return Condensed(text, fallback.follows_previous, fallback.previous_answer)


def _clean(text: str) -> str:
    text = re.sub(r"<think>.*?</think>", "", text, flags=re.S)  # reasoning models
    return text.strip()


def _retryable(e: BaseException) -> bool:
    status = getattr(e, "status_code", None)
    return (status is not None and status >= 500) or "Connection" in type(e).__name__


def _describe(e: BaseException, secret: str) -> str:
    name = type(e).__name__
    status = getattr(e, "status_code", None)
    if "Timeout" in name:
        msg = "LLM 接口读取超时"
    elif "Connection" in name:
        msg = "无法连接 LLM 接口"
    elif status:
        msg = f"LLM 接口返回错误 HTTP {status}"
    else:
        msg = f"LLM 接口调用失败（{name}）"
    return msg.replace(secret, "***") if secret else msg

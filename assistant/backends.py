"""LLM answer backends: an OpenAI-compatible endpoint (llama-index OpenAILike) or a local transformers model.

A backend implements one method, `stream(prompt)`, yielding text deltas. Every fault —
endpoint down, timeout, HTTP 5xx, empty or malformed output, no citations — becomes a
one-line notice, and the pipeline answers extractively instead. API keys never appear
in logs, errors or output.
"""
from __future__ import annotations

import logging
import re
import threading
from typing import TYPE_CHECKING, Iterator, Sequence

from assistant.condense import Condensed
from assistant.prompts import answer_prompt, condense_prompt
from assistant.text import MARKER_RE
from assistant.types import Draft

if TYPE_CHECKING:
    from assistant.retrieve import Candidates
    from assistant.service import Assistant
    from assistant.settings import Settings

logger = logging.getLogger(__name__)
FALLBACK = "已改用摘录式回答。"


class BackendError(RuntimeError):
    """A model fault; str(e) is one Chinese line without secrets."""


class LLMBackend:
    name = "llm"

    def stream(self, prompt: str) -> Iterator[str]:
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
            is_chat_model=True, timeout=settings.llm_timeout, max_retries=settings.llm_max_retries,
            max_tokens=settings.max_new_tokens, temperature=0.0,
        )

    def stream(self, prompt: str) -> Iterator[str]:
        from llama_index.core.llms import ChatMessage

        try:
            for chunk in self.llm.stream_chat([ChatMessage(role="user", content=prompt)]):
                if chunk.delta:
                    yield chunk.delta
        except Exception as e:  # openai/httpx raise many types; each is a fault of the endpoint
            raise BackendError(_describe(e, self._secret)) from e


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

    def _inputs(self, prompt: str):
        if getattr(self.tokenizer, "chat_template", None):
            text = self.tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                                      add_generation_prompt=True)
        else:
            text = prompt
        return self.tokenizer(text, return_tensors="pt")

    def stream(self, prompt: str) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        inputs = self._inputs(prompt)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=600)
        errors: list[BaseException] = []

        def generate() -> None:
            try:
                self.model.generate(**inputs, streamer=streamer, max_new_tokens=self.max_new_tokens, do_sample=False)
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


def run_llm(assistant: "Assistant", backend: str, question: str, ctx: "Candidates") -> Iterator[str | Draft]:
    """Stream the model's answer; finally a Draft (empty text and a notice on any fault)."""
    try:
        llm = get_backend(backend, assistant.settings)
        parts: list[str] = []
        for delta in llm.stream(answer_prompt(question, ctx.clauses)):
            parts.append(delta)
            yield delta
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
                 fallback: Condensed) -> Condensed:
    """Rewrite a follow-up with the model; on any fault keep the rule-based rewrite."""
    try:
        llm = get_backend(backend, assistant.settings)
        text = _clean("".join(llm.stream(condense_prompt(question, history)))).split("\n")[0].strip()
    except BackendError as e:
        logger.warning("LLM condense fault: %s", e)
        return fallback
    if not text or len(text) > 200:
        return fallback
    return Condensed(text, fallback.follows_previous, fallback.previous_answer)


def _clean(text: str) -> str:
    text = re.sub(r"<think>.*?</think>", "", text, flags=re.S)  # reasoning models
    return text.strip()


def _describe(e: BaseException, secret: str) -> str:
    name = type(e).__name__
    status = getattr(e, "status_code", None)
    if "Timeout" in name:
        msg = "LLM 接口超时"
    elif "Connection" in name:
        msg = "无法连接 LLM 接口"
    elif status:
        msg = f"LLM 接口返回错误 HTTP {status}"
    else:
        msg = f"LLM 接口调用失败（{name}）"
    return msg.replace(secret, "***") if secret else msg

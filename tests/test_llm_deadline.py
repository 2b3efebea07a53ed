"""LLM time: one overall deadline per answer — connecting, streaming, condensing a follow-up and any retry all
inside it — after which the checked extractive answer is given with a notice naming the limit."""
from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from assistant.service import Assistant
from assistant.types import Answer

QUESTION = "嘉定区到2025年新增光伏装机目标是多少？"
FACT = "29.4万千瓦"
DEADLINE = 3.0
SLACK = 2.0  # the acceptance: every answer within the deadline + 2 s
_models = itertools.count()


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("llm_deadline") / "store"
    Assistant(store=path, retrieval="lexical").ingest()
    return path


def assistant(store: Path, url: str, **overrides) -> Assistant:
    settings = dict(store=store, retrieval="lexical", backend="openai", llm_base_url=url,
                    llm_model=f"deadline-model-{next(_models)}", llm_api_key="sk-test", llm_timeout=DEADLINE,
                    llm_max_retries=0)
    settings.update(overrides)
    return Assistant(**settings)


def timed(fn):
    t0 = time.monotonic()
    out = fn()
    return out, time.monotonic() - t0


def test_a_slow_stream_is_cut_at_the_deadline(store, fake_llm):
    """Each delta arrives within the read timeout, so a per-read timeout never fires: 40 deltas 0.5 s apart."""
    fake_llm.chunks = 40
    fake_llm.script(fake_llm.slow("嘉定区到2025年新增光伏装机容量为八十八万千瓦，总投资约一百二十亿元，" * 4 + "[1]。", 0.5))
    events, elapsed = timed(lambda: list(assistant(store, fake_llm.url).ask_stream(QUESTION)))
    assert elapsed < DEADLINE + SLACK, elapsed
    *deltas, final = events
    assert deltas and all(isinstance(d, str) for d in deltas)  # the draft streamed while there was time
    assert isinstance(final, Answer) and final.backend == "extractive" and FACT in final.answer
    assert "八十八万千瓦" not in final.answer
    assert "超时（超过 3 秒时限）" in final.notice and "摘录式" in final.notice


def test_a_sleeping_server_is_given_up_at_the_deadline(store, fake_llm):
    fake_llm.script(fake_llm.hang(30))
    ans, elapsed = timed(lambda: assistant(store, fake_llm.url).ask(QUESTION))
    assert elapsed < DEADLINE + SLACK, elapsed
    assert ans.backend == "extractive" and FACT in ans.answer and "3 秒时限" in ans.notice


def test_a_retry_shares_the_deadline_and_says_how_many_tries_failed(store, fake_llm):
    fake_llm.script(fake_llm.http_error(502), fake_llm.hang(30))
    ans, elapsed = timed(lambda: assistant(store, fake_llm.url, llm_max_retries=2).ask(QUESTION))
    assert elapsed < DEADLINE + SLACK, elapsed  # not 2 × the deadline
    assert len(fake_llm.requests) == 2
    assert "共尝试 2 次" in ans.notice and FACT in ans.answer


def test_a_retry_that_succeeds_gives_the_models_answer(store, fake_llm):
    import re

    def reply(prompt: str) -> str:  # cite whichever numbered clause states the figure
        n = next(m.group(1) for m in re.finditer(r"(?m)^\[(\d+)\] 《", prompt) if FACT in prompt[m.start():].split("</原文>")[0])
        return f"嘉定区到2025年新增光伏装机容量{FACT}[{n}]。"

    fake_llm.script(fake_llm.http_error(500), fake_llm.reply(reply))
    ans = assistant(store, fake_llm.url, llm_max_retries=1).ask(QUESTION)
    assert ans.backend == "openai" and ans.notice is None and FACT in ans.answer
    assert len(fake_llm.requests) == 2


def test_no_retry_once_text_has_streamed(store, fake_llm):
    fake_llm.chunks = 8
    fake_llm.script(fake_llm.slow("这是一段很长的回答" * 8, 1.0), fake_llm.reply("不应请求"))
    ans, elapsed = timed(lambda: assistant(store, fake_llm.url, llm_max_retries=3).ask(QUESTION))
    assert elapsed < DEADLINE + SLACK and len(fake_llm.requests) == 1


def test_condensing_a_follow_up_and_answering_share_one_deadline(store, fake_llm):
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": f"到2025年，新增光伏装机容量{FACT}[1]。"}]
    fake_llm.script(fake_llm.hang(2.0), fake_llm.hang(30))
    ans, elapsed = timed(lambda: assistant(store, fake_llm.url).ask("那青浦区呢？", history))
    assert elapsed < DEADLINE + SLACK, elapsed
    assert not ans.refused and ans.backend == "extractive"

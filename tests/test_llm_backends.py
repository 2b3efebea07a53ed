"""LLM answer backends against a scripted OpenAI-compatible server and a tiny local model.

What a user relies on: a grounded model answer is kept and streamed; a sentence with a
number no cited clause states never reaches them; every model fault (HTTP 500, timeout,
malformed or empty output, no citations, endpoint down, missing local model) still gives
the extractive answer with one Chinese line saying why; the API key appears nowhere.
"""
from __future__ import annotations

import itertools
import json
import logging
import re
import time
from pathlib import Path

import pytest

from assistant.service import Assistant
from assistant.types import Answer

JIADING = "嘉定区减污降碳协同增效实施方案"
PUTUO = "普陀区碳达峰实施方案"
QUESTION = "嘉定区到2025年要新增多少光伏装机容量？"
FACT = "29.4万千瓦"
SECRET = "sk-test-SECRET-123"
FOLLOW_HISTORY = [
    {"role": "user", "content": "青浦区“十四五”期间新建多少个公共、专用充电桩？"},
    {"role": "assistant", "content": "“十四五”期间新建公共、专用充电桩1600个[1]。"},
]
FOLLOW_UP = "那普陀区呢？"
_CONTEXT_ITEM = re.compile(r"(?m)^\[(\d+)\] 《")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_model_ids = itertools.count()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("llm_store")
    Assistant(store=path, retrieval="lexical").ingest()
    return path


@pytest.fixture(scope="module")
def extractive(store: Path) -> Answer:
    return Assistant(store=store, retrieval="lexical").ask(QUESTION, backend="extractive")


def openai_assistant(store: Path, url: str, **overrides: object) -> Assistant:
    # A fresh model name per assistant: backends are cached per (url, model) within the process.
    settings = dict(store=store, retrieval="lexical", backend="openai", llm_base_url=url,
                    llm_model=f"fake-model-{next(_model_ids)}", llm_api_key=SECRET, llm_max_retries=0, llm_timeout=5.0)
    settings.update(overrides)
    return Assistant(**settings)


def context_number(prompt: str, needle: str) -> int:
    """The [n] of the first numbered context clause in the prompt that contains `needle` (0 if none)."""
    starts = [(m.start(), int(m.group(1))) for m in _CONTEXT_ITEM.finditer(prompt)]
    for (start, n), (end, _) in zip(starts, starts[1:] + [(len(prompt), 0)]):
        if needle in prompt[start:end]:
            return n
    return 0


def citing(needle: str, template: str):
    """A scripted reply that cites, as {n}, whichever context clause states `needle`."""
    return lambda prompt: template.format(n=context_number(prompt, needle))


def assert_one_chinese_line(notice: str | None) -> None:
    assert notice, "a fallback must tell the user why"
    assert len(notice.strip().splitlines()) == 1, notice
    assert _CJK.search(notice), notice


def assert_no_secret(answer: Answer, caplog: pytest.LogCaptureFixture) -> None:
    assert SECRET not in json.dumps(answer.to_json(), ensure_ascii=False)
    assert SECRET not in (answer.notice or "")
    assert SECRET not in caplog.text


# ---- OpenAI-compatible endpoint ------------------------------------------------------------------


def test_grounded_reply_is_kept_and_the_request_carries_context_question_and_key(store, fake_llm):
    fake_llm.script(fake_llm.reply(citing(FACT, "到2025年，嘉定区新增光伏装机容量29.4万千瓦[{n}]。")))
    ans = openai_assistant(store, fake_llm.url).ask(QUESTION)

    assert ans.backend == "openai" and ans.notice is None and not ans.refused
    assert ans.answer == "到2025年，嘉定区新增光伏装机容量29.4万千瓦[1]。"
    assert [c.n for c in ans.citations] == [1] and ans.citations[0].clause.doc_title == JIADING
    assert FACT in ans.citations[0].clause.text
    assert all(s.supported for s in ans.sentences)

    (req,) = fake_llm.requests
    assert req.path.endswith("/chat/completions") and req.stream
    assert req.headers.get("authorization") == f"Bearer {SECRET}"
    assert re.search(r"(?m)^\[1\] 《[^》\n]+》[^：\n]*：", req.prompt), req.prompt[:500]
    assert QUESTION in req.prompt and FACT in req.prompt


def test_ask_stream_yields_model_deltas_before_the_verified_answer(store, fake_llm):
    reply = citing(FACT, "嘉定区到2025年新增光伏装机容量29.4万千瓦[{n}]。")
    fake_llm.script(fake_llm.reply(reply))
    events = list(openai_assistant(store, fake_llm.url).ask_stream(QUESTION))

    *deltas, final = events
    assert isinstance(final, Answer)
    assert len(deltas) >= 2 and all(isinstance(d, str) and d for d in deltas)
    assert "".join(deltas) == reply(fake_llm.requests[0].prompt)  # what the model sent, as it arrived
    assert final.backend == "openai" and FACT in final.answer and final.notice is None


def test_fabricated_number_sentence_is_removed(store, fake_llm):
    fake_llm.script(fake_llm.reply(citing(
        FACT, "到2025年，嘉定区新增光伏装机容量29.4万千瓦[{n}]。其中公共机构光伏装机35万千瓦[{n}]。")))
    ans = openai_assistant(store, fake_llm.url).ask(QUESTION)

    assert "35万千瓦" not in ans.answer and "35" not in ans.answer
    assert FACT in ans.answer
    assert ans.backend == "openai"
    assert_one_chinese_line(ans.notice)  # says a sentence was removed
    assert all(s.supported for s in ans.sentences)


def test_mostly_fabricated_reply_falls_back_to_the_extractive_answer(store, fake_llm, extractive):
    fake_llm.script(fake_llm.reply(citing(
        FACT, "到2025年，嘉定区新增光伏装机容量29.4万千瓦[{n}]。其中公共机构光伏装机35万千瓦[{n}]。"
              "嘉定区到2025年还将新建加氢站12座[{n}]。")))
    ans = openai_assistant(store, fake_llm.url).ask(QUESTION)

    assert "35万千瓦" not in ans.answer and "12座" not in ans.answer
    assert ans.answer == extractive.answer and FACT in ans.answer
    assert_one_chinese_line(ans.notice)


FAULTS = {
    # id: (behaviour name, args, what the notice names)
    "http_500": ("http_error", (500,), "500"),
    "timeout": ("hang", (4.0,), "超时"),
    "malformed_json": ("malformed", (), "LLM"),
    "empty_content": ("empty", (), "空"),
    "no_citations": ("reply", ("嘉定区到2025年新增光伏装机容量29.4万千瓦。",), "引用"),
    "connection_refused": (None, (), "连接"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_falls_back_to_the_extractive_answer_with_one_notice(
        fault, store, fake_llm, refused_llm_url, extractive, caplog):
    behaviour, args, named = FAULTS[fault]
    caplog.set_level(logging.DEBUG)
    if behaviour is None:
        url = refused_llm_url
    else:
        url = fake_llm.url
        fake_llm.script(getattr(fake_llm, behaviour)(*args))
    started = time.monotonic()
    ans = openai_assistant(store, url, llm_timeout=1.0).ask(QUESTION)
    elapsed = time.monotonic() - started

    assert not ans.refused
    assert ans.answer == extractive.answer and FACT in ans.answer
    assert ans.backend == "extractive"
    assert [c.clause.clause_id for c in ans.citations] == [c.clause.clause_id for c in extractive.citations]
    assert_one_chinese_line(ans.notice)
    assert named in ans.notice and "摘录" in ans.notice
    assert_no_secret(ans, caplog)
    assert len(fake_llm.requests) == (0 if behaviour is None else 1)
    assert elapsed < 8, f"llm_timeout=1s not honoured: {elapsed:.1f}s"


def test_fault_while_streaming_still_ends_with_the_extractive_answer(store, fake_llm, extractive, caplog):
    fake_llm.script(fake_llm.http_error(503))
    events = list(openai_assistant(store, fake_llm.url).ask_stream(QUESTION))

    assert isinstance(events[-1], Answer) and all(isinstance(e, str) for e in events[:-1])
    assert events[-1].answer == extractive.answer
    assert_one_chinese_line(events[-1].notice)
    assert_no_secret(events[-1], caplog)


def test_follow_up_uses_the_models_standalone_question(store, fake_llm):
    rewritten = "普陀区在“十四五”期间计划新建多少个公共和专用充电桩？"
    fake_llm.script(rewritten, fake_llm.reply(citing("1500", "“十四五”期间普陀区新建公共、专用充电桩1500个[{n}]。")))
    ans = openai_assistant(store, fake_llm.url).ask(FOLLOW_UP, FOLLOW_HISTORY)

    assert ans.standalone_question == rewritten
    assert "1500个" in ans.answer and ans.backend == "openai"
    assert ans.citations[0].clause.doc_title == PUTUO
    condense_req, answer_req = fake_llm.requests
    assert FOLLOW_UP in condense_req.prompt and FOLLOW_HISTORY[0]["content"] in condense_req.prompt
    assert rewritten in answer_req.prompt


def test_follow_up_keeps_the_rule_based_rewrite_when_condense_fails(store, fake_llm, caplog):
    rule_based = Assistant(store=store, retrieval="lexical").ask(FOLLOW_UP, FOLLOW_HISTORY, backend="extractive")
    fake_llm.script(fake_llm.http_error(500),
                    fake_llm.reply(citing("1500", "“十四五”期间普陀区新建公共、专用充电桩1500个[{n}]。")))
    ans = openai_assistant(store, fake_llm.url).ask(FOLLOW_UP, FOLLOW_HISTORY)

    assert ans.standalone_question == rule_based.standalone_question
    assert "普陀区" in ans.standalone_question and "充电桩" in ans.standalone_question
    assert "1500个" in ans.answer
    assert len(fake_llm.requests) == 2
    assert rule_based.standalone_question in fake_llm.requests[1].prompt
    assert SECRET not in caplog.text


def test_a_second_assistant_with_another_key_sends_its_own_key(store, fake_llm):
    reply = citing(FACT, "嘉定区到2025年新增光伏装机容量29.4万千瓦[{n}]。")
    fake_llm.script(reply, reply)
    first = openai_assistant(store, fake_llm.url, llm_model="shared-model")
    second = openai_assistant(store, fake_llm.url, llm_model="shared-model", llm_api_key="sk-test-OTHER-456")
    first.ask(QUESTION)
    second.ask(QUESTION)

    assert [r.headers.get("authorization") for r in fake_llm.requests] == [
        f"Bearer {SECRET}", "Bearer sk-test-OTHER-456"]


# ---- local transformers model --------------------------------------------------------------------


def test_tiny_local_model_streams_gibberish_and_the_guard_falls_back(store, tiny_causal_lm, extractive):
    assistant = Assistant(store=store, retrieval="lexical", backend="transformers",
                          local_model=str(tiny_causal_lm), max_new_tokens=24)
    *deltas, final = list(assistant.ask_stream(QUESTION))

    generated = "".join(deltas)
    assert deltas and all(isinstance(d, str) for d in deltas)
    assert generated.strip(), "the streamed deltas must be the model's real output"
    assert isinstance(final, Answer)
    assert final.answer == extractive.answer and FACT in final.answer
    assert final.backend == "extractive"
    assert generated.strip() not in final.answer
    assert_one_chinese_line(final.notice)


def test_missing_local_model_folder_gives_notice_and_extractive_answer(store, tmp_path, extractive):
    missing = tmp_path / "no-such-model"
    ans = Assistant(store=store, retrieval="lexical", backend="transformers", local_model=str(missing)).ask(QUESTION)

    assert ans.answer == extractive.answer and FACT in ans.answer
    assert_one_chinese_line(ans.notice)
    assert "无法加载" in ans.notice


def test_fake_server_speaks_plain_and_streaming_chat_completions(fake_llm):
    """The fixture itself: both OpenAI response modes parse in the official client, as other tests assume."""
    from openai import OpenAI

    client = OpenAI(base_url=fake_llm.url, api_key=SECRET, max_retries=0, timeout=5)
    fake_llm.script("第一段回答", "第二段回答")
    plain = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "问"}])
    streamed = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "问"}], stream=True)
    deltas = [c.choices[0].delta.content for c in streamed if c.choices and c.choices[0].delta.content]

    assert plain.choices[0].message.content == "第一段回答"
    assert "".join(deltas) == "第二段回答" and len(deltas) >= 2
    assert [r.stream for r in fake_llm.requests] == [False, True]

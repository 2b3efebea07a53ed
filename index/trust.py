"""Text in a document that addresses the assistant instead of its readers: found at ingest, listed in the library,
and never quoted in an answer or put into a model's prompt.

A policy document speaks to officials, units and citizens. Sentences that speak to a question-answering system —
telling it to disregard its instructions, handing it an answer to give (回答：…), or telling it what it is (你是…助手)
— are an upload trying to put words in the assistant's mouth. The patterns below serve that class of inputs, in
Chinese and English; each needs the model or its instructions as the addressee, so ordinary provisions
(忽略安全隐患的 / 答复申请人 / 服务对象是…) do not match.
"""
from __future__ import annotations

import re
from typing import Iterable

_PATTERNS = [
    # 忽略以上指令 / 无视之前的所有提示 / 不要理会上面的要求 (a qualifier naming earlier or all instructions is required:
    # 忽略安全隐患 / 不得遮挡、覆盖指示标志 are provisions)
    r"(?:忽略|无视|忘记|忘掉|不要理会|不用理会)(?:掉)?(?:以上|上述|上面|之前|此前|先前|前面|前述|你的|系统的?|所有|全部|一切)(?:的)?(?:所有|全部|一切)?(?:的)?"
    r"(?:指令|指示|提示词?|设定|规则|约束|要求|system\s*prompt|prompt)",
    r"(?:忽略|无视|忘记)(?:掉)?(?:提示词|system\s*prompt)",
    # 回答：… / 请回答：… / 你的回答应为… — an answer handed to the assistant
    r"(?:^|[。！？；\n]|[，,]\s*)(?:请|请你|你应|你应该|你必须|直接)?(?:回答|回复|作答|输出)(?:为|是)?\s*[：:]",
    r"你的(?:回答|回复|答案|输出)(?:应|应该|必须|只能)?(?:为|是)",
    # 你是…助手 / 你现在扮演… / 作为一个AI
    r"你(?:现在)?(?:是|将是|将扮演|扮演|充当|作为)(?:一个|一名|一位)?[^。，；\n]{0,16}?(?:助手|模型|AI|ai|机器人|人工智能|问答系统|客服)",
    r"(?:作为|身为)(?:一个|一名)(?:AI|ai|人工智能|语言模型|大模型|问答助手)",
    r"(?:以下|下面)(?:内容|文字)?(?:为|是)(?:新的|最新的|最高)?(?:系统)?(?:指令|提示词)",
    # English
    r"(?i:\b(?:ignore|disregard|forget|override)\b[^.\n]{0,30}\b(?:instructions?|prompts?|rules|system message)\b)",
    r"(?i:\byou are (?:now )?(?:an?|the) [^.\n]{0,30}\b(?:assistant|model|ai|chatbot)\b)",
    r"(?i:(?:^|\n)\s*(?:system|assistant)\s*:)",
    r"(?i:\b(?:answer|respond|reply) (?:with|only with|exactly)\b)",
]
INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.M)
FLAG_NOTE = "含疑似针对问答系统的指令文本"


def addresses_assistant(text: str) -> bool:
    """Does `text` speak to the assistant (忽略以上指令 / 回答：… / 你是…助手 / ignore previous instructions)?"""
    return INSTRUCTION.search(text) is not None


def instruction_snippet(text: str, width: int = 40) -> str | None:
    """The matched words with a little context, for the library listing; None when there is none."""
    m = INSTRUCTION.search(text)
    if m is None:
        return None
    start = max(0, m.start() - 4)
    return text[start: start + width].replace("\n", " ").strip("，。；：,.; ")


def flagged_labels(clauses: Iterable) -> tuple[str, ...]:
    """The labels of the clauses (in order, once each) whose text addresses the assistant."""
    return tuple(dict.fromkeys(c.label for c in clauses if addresses_assistant(c.text)))

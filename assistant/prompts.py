"""Prompt templates, kept as files in prompts/ with named placeholders."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Mapping, Sequence

from llama_index.core.prompts import PromptTemplate

from index.models import Clause

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"


@lru_cache(maxsize=None)
def template(name: str) -> PromptTemplate:
    return PromptTemplate((PROMPTS_DIR / f"{name}.txt").read_text(encoding="utf-8").strip())


FENCE_OPEN, FENCE_CLOSE = "<原文>", "</原文>"


def fenced(text: str) -> str:
    """Clause text that cannot close its fence early: fence tags inside it lose their ASCII angle brackets."""
    return text.replace(FENCE_CLOSE, "＜/原文＞").replace(FENCE_OPEN, "＜原文＞")


def render_context(clauses: Mapping[int, Clause]) -> str:
    """The numbered clauses, each one's text fenced as quoted data (prompts/context_item.txt)."""
    item = template("context_item")
    return "\n".join(item.format(n=n, doc_title=fenced(c.doc_title), label=fenced(c.label), text=fenced(c.text))
                     for n, c in clauses.items())


def system_prompt() -> str:
    """The system message of every answer: who the assistant is, and that clause text is content, not instructions."""
    return template("system").format()


def answer_prompt(question: str, clauses: Mapping[int, Clause]) -> str:
    return template("answer").format(context=render_context(clauses), question=question)


def condense_prompt(question: str, history: Sequence[dict]) -> str:
    roles = {"user": "用户", "assistant": "助手"}
    lines = [f"{roles.get(t.get('role'), t.get('role'))}：{t.get('content', '')}" for t in history[-6:]]
    return template("condense").format(history="\n".join(lines), question=question)


def refusal_text(subject: str) -> str:
    return template("refuse").format(subject=subject)

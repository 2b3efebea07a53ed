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


def render_context(clauses: Mapping[int, Clause]) -> str:
    item = template("context_item")
    return "\n".join(item.format(n=n, doc_title=c.doc_title, label=c.label, text=c.text) for n, c in clauses.items())


def answer_prompt(question: str, clauses: Mapping[int, Clause]) -> str:
    return template("answer").format(context=render_context(clauses), question=question)


def condense_prompt(question: str, history: Sequence[dict]) -> str:
    roles = {"user": "用户", "assistant": "助手"}
    lines = [f"{roles.get(t.get('role'), t.get('role'))}：{t.get('content', '')}" for t in history[-6:]]
    return template("condense").format(history="\n".join(lines), question=question)


def refusal_text(subject: str) -> str:
    return template("refuse").format(subject=subject)

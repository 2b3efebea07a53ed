"""A time budget per question: the answer stages check it as they go, and past it the question gets what was found
so far with a clear 处理超时 instead of holding a worker (and the GIL) for as long as the input allows.

The budget lives in a context variable, so each request thread has its own and the stages need no extra argument.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

DEFAULT_BUDGET_S = 10.0
_deadline: ContextVar[float | None] = ContextVar("answer_deadline", default=None)


class OverBudget(RuntimeError):
    """The question's time budget ran out (caught by the answer path, never shown as an error)."""


@contextmanager
def budget(seconds: float | None) -> Iterator[None]:
    """Run the block under a budget of `seconds` (None: no budget)."""
    token = _deadline.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def check() -> None:
    """Raise OverBudget when the current question's budget has run out."""
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise OverBudget


def timeout_text(seconds: float) -> str:
    return f"处理超时：未能在 {seconds:g} 秒内完成回答。请把问题问得更具体一些（如指明文件、条款或年份）后重试。"

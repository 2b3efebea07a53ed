"""Reciprocal rank fusion of ranked id lists (lexical + dense)."""
from __future__ import annotations

RRF_K = 60  # Cormack et al. 2009


def rrf(ranked_lists: list[list[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """(id, sum of 1/(k + rank)) best first; ties keep the order in which ids were first seen.

    An id repeated within one list counts once, at its first position, and doesn't push the
    ids after it down a rank.
    """
    scores: dict[str, float] = {}
    for ranked in ranked_lists:
        for rank, item in enumerate(dict.fromkeys(ranked), start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    # sorted() is stable and dicts keep insertion order, so equal scores stay in first-seen order.
    return sorted(scores.items(), key=lambda kv: -kv[1])

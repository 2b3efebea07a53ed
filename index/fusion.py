"""Reciprocal rank fusion of ranked id lists (Cormack et al., 2009)."""
from __future__ import annotations


def rrf(ranked_lists: list[list[str]], k: int = 60) -> list[tuple[str, float]]:
    """Fuse ranked lists: score(id) = Σ 1 / (k + rank). Ties keep first-seen order."""
    scores: dict[str, float] = {}
    for ranked in ranked_lists:
        for rank, item in enumerate(ranked, 1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    order = {item: i for i, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda x: (-x[1], order[x[0]]))

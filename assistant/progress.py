"""Progress of long index work (parse, embed, BM25) as one tqdm bar per stage on stderr."""
from __future__ import annotations

import sys
from typing import Any, Callable


def stage_bars() -> Callable[[str, int, int], None]:
    """A `Progress` callback for ClauseIndex.ingest: (stage, done, total) → a bar per stage, closed when done."""
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, file=sys.stderr, leave=False)
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update

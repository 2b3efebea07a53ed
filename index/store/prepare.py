"""Everything an ingest computes per document before it writes: parse, chunk, tokenise, and the document's own
postings (terms numbered within the document). Pure functions of one file, so a large ingest runs them in
worker processes (`prepare_many`) while the main process commits batches; a small one runs them in-process.
"""
from __future__ import annotations

import json
import os
from collections import Counter, deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np

from index.aliases import label_key
from index.models import Clause, DocumentMeta, Origin
from index.store.names import aliases_of
from index.store.substrings import grams
from index.store.tokens import tokenize

if TYPE_CHECKING:
    from index.sandbox import ParseOutcome

PARALLEL_MIN_BYTES = 4 * 1024 * 1024  # below this much input, worker start-up (~1-2 s each) costs more than it saves
FILES_PER_TASK = 16
TASKS_AHEAD = 2  # per worker: bounds what waits in memory for the committing process
_RECORD_FIELDS = tuple(Clause.__dataclass_fields__)


@dataclass(frozen=True)
class LocalPostings:
    """Postings of one document: item i (a chunk or a clause, in order) holds terms[term_idx[j]] for j with
    item_idx[j] == i, tfs[j] times."""

    terms: list[str]
    term_idx: np.ndarray
    item_idx: np.ndarray
    tfs: np.ndarray | None
    lens: np.ndarray  # tokens per item (lexical), zeros otherwise

    @classmethod
    def build(cls, bags: Sequence[dict[str, int] | set[str]], lens: Sequence[int], with_tf: bool) -> "LocalPostings":
        flat = list(chain.from_iterable(bags))
        terms = list(dict.fromkeys(flat))
        vocab = dict(zip(terms, range(len(terms))))
        term_idx = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int32, count=len(flat))
        item_idx = np.repeat(np.arange(len(bags), dtype=np.int32), [len(b) for b in bags])
        tfs = (np.fromiter(chain.from_iterable(b.values() for b in bags), dtype=np.int32, count=len(flat))  # type: ignore[union-attr]
               if with_tf else None)
        return cls(terms, term_idx, item_idx, tfs, np.asarray(lens, dtype=np.int32))


@dataclass(frozen=True)
class Prepared:
    """A document ready to commit: its meta, clause rows, chunks and both postings."""

    meta: DocumentMeta
    aliases: list[str]
    clauses: list[tuple]  # (clause_id, ord, label_key, lead_key, parent_key, text, record JSON)
    chunk_ids: list[str]
    chunk_owner: list[int]  # clause index of each chunk
    lexical: LocalPostings  # items: chunks
    grams: LocalPostings  # items: clauses


def prepare_clauses(meta: DocumentMeta, clauses: Sequence[Clause], max_chunk_chars: int) -> Prepared:
    from index.parser import split_clause

    rows, chunk_ids, owner, bags, lens = [], [], [], [], []
    for i, c in enumerate(clauses):
        rows.append((c.clause_id, i, label_key(c.label), *_family_keys(c), c.text,
                     json.dumps(_record(c), ensure_ascii=False)))
        for ch in split_clause(c, max_chunk_chars):
            tokens = tokenize(ch.index_text)
            chunk_ids.append(ch.chunk_id)
            owner.append(i)
            bags.append(Counter(tokens))
            lens.append(len(tokens))
    return Prepared(meta, aliases_of(meta.title), rows, chunk_ids, owner,
                    LocalPostings.build(bags, lens, with_tf=True),
                    LocalPostings.build([grams(c.text) for c in clauses], [0] * len(clauses), with_tf=False))


# ---- files → prepared documents -----------------------------------------------------------------

def prepare_parsed(outcome: "ParseOutcome", max_chunk_chars: int, origin: Origin | None = None) -> tuple:
    """('failed', reason) | ('skipped',) | ('doc', Prepared, warnings) for one file's parse outcome; the document's
    meta gets `origin` (how and when it arrived)."""
    from index.store.ingest import crash_point

    if outcome.failure:
        return ("failed", outcome.failure)
    crash_point("early")
    if outcome.skipped:  # byte-identical to an indexed file: nothing to do
        return ("skipped",)
    doc = outcome.doc
    meta = origin.stamp(doc.meta) if origin is not None else doc.meta
    return ("doc", prepare_clauses(meta, doc.clauses, max_chunk_chars), tuple(doc.warnings))


def _prepare_files(paths: list[str], known_hashes: frozenset[str], max_chunk_chars: int,
                   origin: Origin | None = None) -> list[tuple]:
    """Files are read and parsed in a parse worker with memory and time limits (index/sandbox.py), one per batch."""
    from index.sandbox import parse_files

    return [prepare_parsed(o, max_chunk_chars, origin) for o in parse_files(paths, known_hashes)]


def prepare_many(files: Sequence[Path], known_hashes: frozenset[str], max_chunk_chars: int,
                 workers: int, origin: Origin | None = None) -> Iterator[tuple[Path, tuple]]:
    """(file, result of prepare_file) in file order; in `workers` processes when the input is large."""
    big = sum(_size(f) for f in files) >= PARALLEL_MIN_BYTES
    if workers <= 1 or not big or not _fork_is_safe():
        from index.sandbox import parse_files

        for f, outcome in zip(files, parse_files([str(f) for f in files], known_hashes)):
            yield f, prepare_parsed(outcome, max_chunk_chars, origin)
        return
    import multiprocessing

    tasks = [files[i: i + FILES_PER_TASK] for i in range(0, len(files), FILES_PER_TASK)]
    # fork: workers start in milliseconds and need no `if __name__ == "__main__"` guard in the caller's script
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        pending: deque = deque()
        it = iter(tasks)
        for task in it:
            pending.append((task, pool.submit(_prepare_files, [str(f) for f in task], known_hashes, max_chunk_chars, origin)))
            if len(pending) >= workers * TASKS_AHEAD:
                break
        while pending:
            task, fut = pending.popleft()
            nxt = next(it, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(_prepare_files, [str(f) for f in nxt], known_hashes, max_chunk_chars, origin)))
            yield from zip(task, fut.result())


def _fork_is_safe() -> bool:
    """fork copies one thread: safe while every other thread is a daemon helper (a progress bar's monitor), not
    in a server whose request threads may hold locks (the app, whose uploads are small anyway)."""
    import threading

    return hasattr(os, "fork") and all(t.daemon for t in threading.enumerate() if t is not threading.main_thread())


def default_workers() -> int:
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def _size(f: Path) -> int:
    try:
        return f.stat().st_size
    except OSError:
        return 0


def _record(c: Clause) -> dict:
    """Clause.to_record() without dataclasses.asdict's deep copy (a tenth of the ingest time at 130k clauses)."""
    d = {f: getattr(c, f) for f in _RECORD_FIELDS}
    d["path"], d["units"], d["span"] = list(c.path), list(c.units), list(c.span)
    return d


def _family_keys(c: Clause) -> tuple[str | None, str | None]:
    """(lead_key, parent_key): a list lead is found by its own path, an item by its parent's."""
    lead = json.dumps(list(c.path), ensure_ascii=False) if c.kind == "lead" else None
    parent = json.dumps(list(c.path[:-1]), ensure_ascii=False) if len(c.path) > 1 and c.kind != "lead" else None
    return lead, parent


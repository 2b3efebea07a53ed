"""Synthetic corpora for the index benchmark: the shipped policies plus outline documents recombined from their clauses.

A synthetic document is a .txt file in the 一、/（一）/1. outline format, so ingesting it runs the real
loader, normaliser and parser; every item line holds one clause text drawn from the shipped documents.
"""
from __future__ import annotations

import math
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from index.loaders import iter_document_paths, load_document
from index.markers import int_to_cn, match_marker
from index.models import KIND_CLOSING, KIND_PREAMBLE
from index.parser import parse_document

SEED = 20240601
SECTIONS, SUBSECTIONS, ITEMS = 4, 3, 5  # 60 items: one clause each, since headings carry no lead paragraph
CLAUSES_PER_DOC = SECTIONS * SUBSECTIONS * ITEMS
TITLE_FORMAT = "合成文件{:04d}实施方案"
# A line that would end the outline (annex, 抄送/印发 block) or pass for a date line in the head.
_UNSAFE = re.compile(r"^(?:附件|抄送|抄报|主送|分送|信息公开属性|公开属性|（此件公开发布）)|(?:19|20)\d{2}年\d{1,2}月\d{1,2}日(?:印发)?$")


@dataclass(frozen=True)
class Pool:
    texts: tuple[str, ...]  # clause texts as one marker-free line each
    headings: tuple[str, ...]  # heading titles without their markers
    base_clauses: int  # clauses the shipped documents parse into


def _strip_markers(line: str) -> str:
    # A clause line that opens with 1./（一）/第X条 would become a heading of its own when re-parsed.
    for _ in range(3):
        m = match_marker(line)
        if m is None or not m.rest.strip():
            break
        line = m.rest.strip()
    return line


def build_pool(source: Path) -> Pool:
    files, _ = iter_document_paths([source])
    texts: list[str] = []
    headings: set[str] = set()
    base = 0
    for f in files:
        lt = load_document(f)
        doc = parse_document(lt.text, fmt=lt.fmt, path=str(f), content_hash=lt.content_hash)
        base += len(doc.clauses)
        for c in doc.clauses:
            for title in c.path:
                m = match_marker(title)
                if m is not None and m.kind in ("cn_dun", "cn_paren") and 2 <= len(m.rest) <= 30:
                    headings.add(m.rest.strip())
            if c.kind in (KIND_PREAMBLE, KIND_CLOSING):
                continue
            line = "".join(_strip_markers(x.strip()) for x in c.text.split("\n") if x.strip())
            if len(line) >= 10 and "\t" not in line and not _UNSAFE.search(line):
                texts.append(line)
    return Pool(tuple(texts), tuple(sorted(headings)), base)


def synthetic_document(number: int, texts: list[str], headings: list[str]) -> str:
    """One outline document holding CLAUSES_PER_DOC clause texts, in the shipped .txt layout (blank line between paragraphs)."""
    lines = [TITLE_FORMAT.format(number)]
    it, ht = iter(texts), iter(headings)
    for s in range(1, SECTIONS + 1):
        lines.append(f"{int_to_cn(s)}、{next(ht)}")
        for u in range(1, SUBSECTIONS + 1):
            lines.append(f"（{int_to_cn(u)}）{next(ht)}")
            for i in range(1, ITEMS + 1):
                lines.append(f"{i}.{next(it)}")
    return "\n\n".join(lines) + "\n"


class _Drawer:
    """Endless draws from a list, reshuffled (fixed seed) on every pass, so each text is used evenly."""

    def __init__(self, items: tuple[str, ...], rng: random.Random) -> None:
        self._items, self._rng, self._queue = list(items), rng, []

    def take(self, n: int) -> list[str]:
        out = []
        while len(out) < n:
            if not self._queue:
                self._queue = self._items[:]
                self._rng.shuffle(self._queue)
            out.append(self._queue.pop())
        return out


def make_corpus(source: Path, dest: Path, scale: int, pool: Pool) -> tuple[int, int]:
    """Fill `dest` with the shipped documents plus synthetic ones for ~scale× their clauses; (files, synthetic docs)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    files, _ = iter_document_paths([source])
    for f in files:
        shutil.copy(f, dest / f.name)
    n_docs = math.ceil((scale - 1) * pool.base_clauses / CLAUSES_PER_DOC) if scale > 1 else 0
    rng = random.Random(SEED)
    texts, heads = _Drawer(pool.texts, rng), _Drawer(pool.headings, rng)
    n_heads = SECTIONS * (1 + SUBSECTIONS)
    for k in range(1, n_docs + 1):
        doc = synthetic_document(k, texts.take(CLAUSES_PER_DOC), heads.take(n_heads))
        (dest / f"合成文件{k:04d}.txt").write_text(doc, encoding="utf-8")
    return len(files) + n_docs, n_docs


def extra_document(dest: Path, pool: Pool, number: int = 9999) -> Path:
    """One more synthetic document (outside any corpus), for timing an incremental ingest."""
    rng = random.Random(SEED + number)
    texts, heads = _Drawer(pool.texts, rng), _Drawer(pool.headings, rng)
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"合成文件{number:04d}.txt"
    path.write_text(synthetic_document(number, texts.take(CLAUSES_PER_DOC), heads.take(SECTIONS * (1 + SUBSECTIONS))),
                    encoding="utf-8")
    return path

"""How questions name the store's documents, computed once per index generation.

Aliases (青浦区, 环境保护条例 …), places, short names and levels are functions of the titles. A document's
aliases are computed when it is committed and stored beside it (with names_version(), a hash of the code that
computes them, so a changed rule recomputes them once); a question then costs lookups proportional to its own
length, never to the number of documents.
"""
from __future__ import annotations

import hashlib
import inspect
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Sequence

from index import aliases as _aliases_module
from index import places as _places_module
from index.aliases import _KIND_TAIL, _SHORT_TITLE, abbreviations, doc_aliases, own_place
from index.models import DocumentMeta


@lru_cache(maxsize=1)
def names_version() -> str:
    """Changes whenever the code that derives aliases from titles changes."""
    src = "".join(inspect.getsource(m) for m in (_aliases_module, _places_module))
    return hashlib.sha1(src.encode("utf-8")).hexdigest()[:12]


def aliases_of(title: str) -> list[str]:
    return sorted(doc_aliases(title))


class UnknownDocument(LookupError):
    def __init__(self, doc: str, candidates: Sequence[str] = ()):
        hint = f"；可选：{'、'.join(candidates[:8])}" if candidates else "；用 `python -m assistant docs` 查看已导入文件"
        super().__init__(f"找不到文件“{doc}”{hint}")
        self.doc = doc


class DocumentNames:
    """Aliases, mentions, short names and levels of a fixed list of documents (in ingest order)."""

    def __init__(self, metas: Sequence[DocumentMeta], stored: Mapping[str, Sequence[str]] | None = None) -> None:
        """`stored`: doc_id → aliases as committed (current names_version()); missing ones are computed."""
        self.metas = {m.doc_id: m for m in metas}
        stored = stored or {}
        table: dict[str, list[str]] = {}
        for m in metas:
            found = stored.get(m.doc_id)
            for alias in (found if found is not None else aliases_of(m.title)):
                table.setdefault(alias, []).append(m.doc_id)
        # Longest first; equal lengths keep first-seen order (a longer, more specific alias wins).
        self.ordered = sorted(table.items(), key=lambda x: -len(x[0]))
        self._rank = {alias: i for i, (alias, _) in enumerate(self.ordered)}
        self._table = table
        self._lengths = sorted({len(a) for a in table}, reverse=True)
        self._joined = "\n".join(table)  # aliases hold no newline: `x in joined` ⟺ x is inside some alias
        self.places = {d: own_place(m.title) for d, m in self.metas.items()}
        self._place_count = Counter(p for p in self.places.values() if p)
        self._keys: dict[str, DocumentMeta] = {}
        for m in metas:
            for key in (m.title, m.doc_number, Path(m.path).name, Path(m.path).stem):
                if key:
                    self._keys.setdefault(key, m)
        self._chars: dict[str, set[str]] = {}  # character → doc ids whose title has it
        for m in metas:
            for ch in set(m.title):
                self._chars.setdefault(ch, set()).add(m.doc_id)

    def aliases(self) -> set[str]:
        return set(self._table)

    def overlaps(self, text: str) -> bool:
        """Is `text` part of some alias, or some alias part of `text`? What `any(text in a or a in text for a in
        aliases())` says, in time proportional to len(text)², not to the number of aliases."""
        if not text or "\n" in text:
            return False
        if text in self._joined:
            return True
        return any(text[i: i + n] in self._table for n in self._lengths if n <= len(text)
                   for i in range(len(text) - n + 1))

    def mentions(self, text: str) -> list[tuple[str, list[str]]]:
        """(alias, doc_ids) for each way `text` names documents, longest first, as a scan of every alias would."""
        present = {text[i: i + n] for n in self._lengths for i in range(len(text) - n + 1)} & self._table.keys()
        found: list[tuple[str, list[str]]] = []
        rest = text
        for alias in sorted(present, key=self._rank.__getitem__):
            if alias in rest:
                rest = rest.replace(alias, "□")
                found.append((alias, self._table[alias]))
        found.extend((short, [doc_id]) for short, doc_id in self._abbreviations(rest))
        return found

    def _abbreviations(self, text: str) -> list[tuple[str, str]]:
        """index.aliases.abbreviations over only the titles that could match: a shortened title's last two
        characters appear in the full title, which ends with the same kind."""
        wanted: set[str] = set()
        for m in _SHORT_TITLE.finditer(text):
            body, kind = m.group(1), m.group(2)
            ids = self._chars.get(body[-1], set()) & self._chars.get(body[-2], set())
            wanted.update(d for d in ids if self.metas[d].title.endswith(kind))
        if not wanted:
            return []
        titles = [(d, m.title) for d, m in self.metas.items() if d in wanted and _KIND_TAIL.search(m.title)]
        return abbreviations(text, titles)

    def short_name(self, doc_id: str) -> str:
        """A document's name in a compare answer: its most specific place (青浦区) when no other document has it."""
        place = self.places[doc_id]
        return place if place and self._place_count[place] == 1 else self.metas[doc_id].title

    def level(self, doc_id: str) -> int:
        """How local a document is: 0 unknown or national, 1 a province or city (上海市), 2 a district or county."""
        place = self.places[doc_id]
        if not place:
            return 0
        return 2 if place[-1] in "区县旗镇乡" or place.endswith("街道") else 1

    def resolve(self, doc: str) -> DocumentMeta:
        """A document by doc_id, exact title, 文号, file name, or a unique part of its title."""
        key = doc.strip().strip("《》")
        if key in self.metas:
            return self.metas[key]
        if key in self._keys:
            return self._keys[key]
        partial = [m for m in self.metas.values() if key and key in m.title]
        if len(partial) == 1:
            return partial[0]
        raise UnknownDocument(doc, [m.title for m in (partial or list(self.metas.values()))])

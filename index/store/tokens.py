"""Index and query tokens: jieba search-mode words plus CJK character bigrams and single characters (one tokenizer
for every store).

Single characters are what an everyday word and the document's word often share and nothing else does (港区 /
港口, 宠物诊所 / 动物诊疗, 养鱼 / 养殖); IDF weighs 法 or 市 next to nothing. Their own namespace keeps them apart
from one-character words. Measured with plain BM25 (bm25s, k1 0.9, b 0.4) over the 24 documents of the blind sets,
evidence in the top 5: blind dev 0.928 → 0.948, blind2 dev 0.757 → 0.946, the 203 shipped questions 0.967 → 0.989.
Switched off for a query by the `characters` mechanism (assistant/mechanisms.py), which shows its worth in the
product's ablation.

Words come from rjieba (jieba-rs: jieba's dictionary and algorithm, 11× faster). On all of ../shared/laws and
the shipped corpus (366,637 lines) its search-mode words equal jieba's on every line but 137, and those differ
only in ASCII number+unit runs (jieba: 10.0 / cm, rjieba: 10.0cm). `_jieba()` stays for callers that segment
titles and questions with Python jieba.
"""
from __future__ import annotations

import logging
import re
import threading

# Bump when tokenize() changes: an index built with other tokens silently stops matching.
TOKENIZER_VERSION = "rjieba-search+cjk-bigram+cjk-char/3"
BIGRAM_PREFIX = "#"  # bigrams live in their own namespace, so a two-character word matching both counts twice
CHAR_PREFIX = "~"  # single CJK characters, likewise


def is_word(token: str) -> bool:
    """A segmenter word, not a bigram or a single character: what the corpus's vocabulary is made of."""
    return bool(token) and not token.startswith((BIGRAM_PREFIX, CHAR_PREFIX))

STOPWORDS = frozenset(
    """
    的 地 得 了 着 过 和 与 及 以及 或 或者 等 是 在 于 对 为 把 被 由 从 将 其 该 这 那 之 也 都 而 并
    哪些 哪个 哪 什么 多少 几 如何 怎么 怎样 怎么样 吗 呢 吧 啊 么 请问 请 一下 有关 关于 有没有 是否 能否 可以 要 会
    我 我们 你 你们 他们 它 本 个
    """.split()
)

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")  # runs that have bigrams
_HAS_WORD_CHAR = re.compile(r"[^\W_]")  # letters/digits of any script; anything else is punctuation
_TWO_CHAR_STOPWORDS = frozenset(w for w in STOPWORDS if len(w) == 2)  # the only ones a bigram can equal
_ONE_CHAR_STOPWORDS = frozenset(w for w in STOPWORDS if len(w) == 1)
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD_CACHE: dict[str, str] = {}  # segmenter output → index word ('' for none): words repeat a lot
_WORD_CACHE_MAX = 500_000
_jieba_lock = threading.Lock()
_jieba_ready = False


def _jieba():
    """Python jieba, initialised once (quietly): for segmenting titles and questions."""
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba_ready = True
    return jieba


def _cjk_bigrams(text: str) -> list[str]:
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        out.extend(map(str.__add__, run, run[1:]))
    return out


def _word(w: str) -> str:
    """A segmenter word as indexed: lowercased, without a trailing % ("96%" in a clause, "96" in a question);
    '' for punctuation and stopwords."""
    x = w.strip().lower().rstrip("%％")
    return x if x and x not in STOPWORDS and _HAS_WORD_CHAR.search(x) else ""


def tokenize(text: str) -> list[str]:
    """Index/query tokens: jieba search-mode words (lowercased, no punctuation/stopwords) + CJK bigrams.

    Search mode also emits the sub-words of long compounds (新能源公交车 → 新能源 / 公交 / 公交车 ...),
    and bigrams let paraphrases that jieba segments differently still share terms. Measured on 50
    paraphrased questions (k1=0.9, b=0.4): MRR lcut 0.716, lcut_for_search 0.850, lcut + bigrams
    0.833, lcut_for_search + bigrams 0.896 (hit@1 0.56 / 0.76 / 0.74 / 0.84).
    """
    if not text:
        return []
    import rjieba

    cache = _WORD_CACHE
    if len(cache) > _WORD_CACHE_MAX:
        cache.clear()
    words = []
    for w in rjieba.cut_for_search(text, True):
        x = cache.get(w)
        if x is None:
            x = cache[w] = _word(w)
        if x:
            words.append(x)
    words.extend(BIGRAM_PREFIX + b for b in _cjk_bigrams(text) if b not in _TWO_CHAR_STOPWORDS)
    words.extend(CHAR_PREFIX + c for c in _CJK_CHAR.findall(text) if c not in _ONE_CHAR_STOPWORDS)
    return words


def without_characters(tokens: list[str]) -> list[str]:
    """A query's tokens without its single characters (the `characters` mechanism switched off)."""
    return [t for t in tokens if not t.startswith(CHAR_PREFIX)]

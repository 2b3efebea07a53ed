"""The grounding guard: every sentence is checked against the clauses it cites.

A sentence is supported when it cites at least one clause, every number it states
(years, amounts, percentages, article numbers; Chinese numerals and 万/亿 normalised)
occurs in the cited text, and it shares substantive character bigrams with it.
"""
from __future__ import annotations

import re

from assistant.text import MARKER_RE, content_bigrams, numbers, stated_numbers, strip_markers
from assistant.types import REFUSAL_PREFIX, Citation, Sentence
from index.models import Clause

MIN_BIGRAM_SHARE = 0.35
MIN_SHARED_BIGRAMS = 2
_SENTENCE = re.compile(r"[^。！？!?\n]+(?:[。！？!?]|$)(?:\s*(?:\[\d{1,2}\])+)?")


def sentences_of(answer: str) -> list[str]:
    """Answer sentences, each keeping the [n] markers that follow or precede its final punctuation."""
    out = []
    for line in answer.split("\n"):
        out.extend(s.strip() for s in _SENTENCE.findall(line) if strip_markers(s).strip(" 。；"))
    return out


def check_sentence(sentence: str, context: dict[int, Clause]) -> Sentence:
    if _is_absence(sentence):
        return Sentence(sentence, (), True)  # "not found" claims nothing a clause must back
    cited = tuple(dict.fromkeys(int(n) for n in MARKER_RE.findall(sentence)))
    valid = tuple(n for n in cited if n in context)
    if not valid:
        return Sentence(sentence, valid, False, "没有引用条款")
    source = "\n".join(context[n].citation + "\n" + context[n].header() + "\n" + context[n].text for n in valid)
    plain = strip_markers(sentence)
    missing = stated_numbers(plain) - numbers(source)
    if missing:
        shown = "、".join(_fmt(v) for v in sorted(missing))
        return Sentence(sentence, valid, False, f"数字 {shown} 不见于所引条款")
    grams = content_bigrams(plain)
    shared = grams & content_bigrams(source)
    if grams and (len(shared) < min(MIN_SHARED_BIGRAMS, len(grams)) or len(shared) / len(grams) < MIN_BIGRAM_SHARE):
        return Sentence(sentence, valid, False, "与所引条款的文字重合过少")
    return Sentence(sentence, valid, True)


def check_answer(answer: str, context: dict[int, Clause]) -> list[Sentence]:
    return [check_sentence(s, context) for s in sentences_of(answer)]


def renumber(sentences: list[Sentence], context: dict[int, Clause]) -> tuple[str, list[Sentence], list[Citation]]:
    """Keep the markers that point at clauses, number them 1..m in order of first use, drop the rest."""
    mapping: dict[int, int] = {}
    for s in sentences:
        for n in s.citations:
            if n in context and n not in mapping:
                mapping[n] = len(mapping) + 1

    def fix(text: str) -> str:
        return MARKER_RE.sub(lambda m: f"[{mapping[int(m.group(1))]}]" if int(m.group(1)) in mapping else "", text)

    out = [Sentence(fix(s.text), tuple(mapping[n] for n in s.citations if n in mapping), s.supported, s.reason) for s in sentences]
    text = _join([s.text for s in out])
    citations = [Citation(new, context[old]) for old, new in sorted(mapping.items(), key=lambda x: x[1])]
    return text, out, citations


def _join(parts: list[str]) -> str:
    text = ""
    for p in parts:
        if text and not text.endswith("\n") and p[:1] not in "，。":
            text += "\n" if _is_line(p) else ""
        text += p
    return text


def _is_line(part: str) -> bool:
    # "青浦区：…" lines of a compare answer, "《…》：…" lines of documents that disagree
    return bool(re.match(r"^(?:[^：:]{1,12}|《[^》]{1,80}》)[：:]", part))


def _is_absence(sentence: str) -> bool:
    plain = strip_markers(sentence)
    return REFUSAL_PREFIX in plain and not MARKER_RE.search(sentence)


def _fmt(v: float) -> str:
    return str(int(v)) if v == int(v) else str(v)

"""Follow-up questions → standalone questions, by rule (no model needed).

那普陀区呢？ swaps the previous question's district; 2030年的目标呢？ swaps its year;
光伏呢？ swaps its topic; 这项/该条/其中… continue the previous question and pin the
clause the previous answer cited. Earlier follow-ups in the history are resolved first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from assistant.question import _PERIOD, _YEAR, QUESTION_WORDS, find_places
from assistant.text import strip_markers, words

_ANAPHORA = re.compile(r"这项|该项|此项|这条|该条|此条|本条|上述|这个|这些|这一|其中|它的|它们|该措施|这方面|那条|那项"
                       r"|同样的|同样情况|这种|这样的|这类")  # 个体户干了同样的事呢？: the conduct just asked about
_FOLLOW = re.compile(r"(?:呢|吗)\s*[？?]?\s*$")
_LEAD = re.compile(r"^(?:那么?|那|还有|再问一下|请问|另外|对于|至于|换成|如果是)\s*")
_FILLER = re.compile(r"的?(?:目标|要求|情况|规定|指标|数值|数字|任务)?(?:是多少|是什么|有哪些|怎么样|如何)?(?:呢|吗)?[？?]?$")


@dataclass(frozen=True)
class Condensed:
    question: str  # standalone
    follows_previous: bool  # resolved against the previous turn (这项 / 其中 …): pin its cited clause
    previous_answer: str | None  # the previous assistant turn, to find the clause it cited
    circumstances: tuple[str, ...] = ()  # 情节严重 in 情节严重的话呢？: asked of the provision just discussed


def condense(question: str, history: Sequence[dict] | None, places: set[str] | frozenset[str] = frozenset(),
             sanction_word: Callable[[str], bool] | None = None) -> Condensed:
    """`sanction_word(w)`: does the documents' use of w say it is a circumstance of a sanction (情节严重, 拒不改正,
    逾期), so 情节严重的话呢？ asks more about the provision just discussed rather than naming a new topic."""
    q = question.strip()
    turns = [(t.get("role"), str(t.get("content") or "")) for t in (history or []) if isinstance(t, dict)]
    users = [c for r, c in turns if r == "user" and c.strip()]
    answers = [c for r, c in turns if r == "assistant" and c.strip()]
    if not users:
        return Condensed(q, False, None)
    prev = users[0].strip()
    for u in users[1:]:
        prev, _ = _resolve(u.strip(), prev, places, sanction_word)
    standalone, pinned = _resolve(q, prev, places, sanction_word)
    asked = _circumstances(q, sanction_word) if pinned else ()
    return Condensed(standalone, pinned, answers[-1] if answers else None, asked)


def _entities(text: str, places: set[str] | frozenset[str]) -> list[str]:
    """Documents and places a question names (any document alias: 全市, 条例, 青浦区 …)."""
    text = _LEAD.sub("", text)
    found = [a for a in sorted(places, key=len, reverse=True) if a in text]
    found = sorted((a for a in found if not any(a != o and a in o for o in found)), key=text.find)  # as written
    return found + [p for p in find_places(text) if not any(p in a or a in p for a in found)]


_SENTENCE = re.compile(r"[^？?。！!]+[？?。！!]?")


def _resolve(q: str, prev: str, places: set[str] | frozenset[str],
             sanction_word: Callable[[str], bool] | None = None) -> tuple[str, bool]:
    sentences = [m.group(0) for m in _SENTENCE.finditer(q) if m.group(0).strip()]
    if len(sentences) > 1 and _FOLLOW.search(sentences[0]) and not _ANAPHORA.search(sentences[0]):
        # 那遛狗不捡狗屎呢？归谁管？: the first sentence swaps the topic, the rest asks more about the new one
        first, pinned = _resolve_one(sentences[0], prev, places, sanction_word)
        return first.rstrip("？?。 ") + "？" + "".join(sentences[1:]), pinned
    return _resolve_one(q, prev, places, sanction_word)


def _resolve_one(q: str, prev: str, places: set[str] | frozenset[str],
                 sanction_word: Callable[[str], bool] | None = None) -> tuple[str, bool]:
    q_ents, p_ents = _entities(q, places), _entities(prev, places)
    q_years, p_years = _YEAR.findall(q), _YEAR.findall(prev)
    q_periods, p_periods = _PERIOD.findall(q), _PERIOD.findall(prev)
    core = _LEAD.sub("", q)
    for e in q_ents:
        core = core.replace(e, "")
    core = _PERIOD.sub("", _YEAR.sub("", core)).replace("年", "")
    core = re.sub(r"期间|时期|阶段|的时候", "", core)
    core = re.sub(r"^(?:到|至|截至|在)", "", core.strip())
    core = _FILLER.sub("", core.strip("，, “”")).strip("，, 的“”")

    if _ANAPHORA.search(q):
        return prev.rstrip("？?。 ") + "，" + q, True
    if not core and (q_ents or q_years or q_periods):  # 那普陀区呢？ / 2030年的目标呢？ / “十五五”期间呢？
        out = prev
        out = _swap(out, p_ents, q_ents)
        out = _swap(out, p_years, q_years, prefix="到", suffix="年")
        out = _swap(out, p_periods, q_periods, prefix="“", suffix="”期间")
        return out, False
    own_terms = [w for w in words(core) if len(w) >= 2 and w not in QUESTION_WORDS and not _function_word(w, core)]
    if _FOLLOW.search(q) and core and not own_terms and not q_ents:
        # 那对单位呢？ / 个人呢？: another side of the same provision, not a new topic
        return prev.rstrip("？?。 ") + "，" + _LEAD.sub("", q), True
    if _FOLLOW.search(q) and core and not q_ents and _circumstances(q, sanction_word):
        # 情节严重的话呢？ / 拒不改正呢？: a circumstance of the sanction just discussed, not a new topic
        return prev.rstrip("？?。 ") + "，" + _LEAD.sub("", q), True
    if _FOLLOW.search(q) and core:  # 光伏呢？ / 如果没按证排放呢？: the new topic, the old frame
        ents = "".join(q_ents) or "".join(p_ents)
        when = ""
        if p_years and not q_years:
            when = f"到{p_years[0]}年"
        elif p_periods and not q_periods:
            when = f"“{p_periods[0]}”期间"
        return f"{ents}{core}{when}{_tail(prev)}？", False
    if (len(own_terms) <= 2 or not _names_a_thing(core)) and not q_ents:
        # Too little of its own to stand alone (由哪个部门来罚？ / 没报批就停用了，会被怎么处理？ names no thing,
        # only what was done): continue the previous question.
        return prev.rstrip("？?。 ") + "，" + q, True
    if not q_ents and p_ents:
        # A new question in the same conversation keeps the documents it was about.
        return prev.rstrip("？?。 ") + "，" + q, False
    return q, False


def _circumstances(q: str, sanction_word: Callable[[str], bool] | None) -> tuple[str, ...]:
    """The follow-up's own words when every one is a circumstance of a sanction (情节严重的话呢？), else ()."""
    if sanction_word is None or not _FOLLOW.search(q):
        return ()
    core = _FILLER.sub("", _LEAD.sub("", q).strip()).strip("，, 的“”")
    own = [w for w in words(core) if len(w) >= 2 and w not in QUESTION_WORDS and not _function_word(w, core)]
    if not own or not all(sanction_word(w) for w in own):
        return ()
    phrase = _CONDITIONAL.sub("", core).strip("，, 的“”")  # 要是拒不改正的话 → 拒不改正
    return (phrase,) if phrase else tuple(own)


_CONDITIONAL = re.compile(r"^(?:要是|如果|假如|万一|若是|倘若|若)|(?:的话|的时候|的情况下?)$")


def _function_word(word: str, text: str) -> bool:
    """的话 / 如果 / 还要: a particle, conjunction or adverb of the question's frame, not a term of its own
    (情节严重的话要罚多少？ has one term, 情节严重, and asks more about the provision just discussed)."""
    from assistant.question import part_of_speech

    return part_of_speech(text).get(word, "n")[:1] in "ucdpyr"


def _names_a_thing(text: str) -> bool:
    """Does the text name a thing (a noun of two or more characters), not only actions and question words?"""
    from assistant.question import part_of_speech

    return any(len(w) >= 2 and w not in QUESTION_WORDS and (flag[:1] == "n" or flag in ("vn", "j", "l"))
               for w, flag in part_of_speech(text).items())


def _swap(text: str, old: list[str], new: list[str], prefix: str = "", suffix: str = "") -> str:
    if not new:
        return text
    if not old:
        return prefix + new[0] + suffix + "，" + text if prefix else new[0] + text
    for o in old:
        text = text.replace(o, new[0])
    return text


def _tail(prev: str) -> str:
    """The question phrase of the previous question: 是多少 / 由哪些部门负责 / 有什么要求."""
    p = prev.rstrip("？?。 ")
    last = re.split(r"[，,；;]", p)[-1]  # 公司给统计部门报了假数据，罚款一般是多少: the asking is at the end
    if re.search(r"多少|几|罚|怎么|如何|什么|哪", last) and not re.search(r"部门|单位|谁|牵头|负责", last):
        p = last
    if re.search(r"部门|单位|谁|牵头|负责", p):
        return "由哪些部门负责"
    m = re.search(r"罚多少钱?|罚款多少|多少钱|怎么罚|怎样罚|如何处罚|怎么处罚|怎么处理", p)
    if m:
        return "会被" + m.group(0) if m.group(0).startswith(("罚", "怎", "如")) else "要" + m.group(0)
    if re.search(r"多少|几", p):
        return "是多少"
    m = re.search(r"(?:有什么|有哪些|什么|怎么|如何)[^，。？?]*$", p)
    return m.group(0) if m else "有什么规定"


def cited_sentence(previous_answer: str | None) -> str | None:
    """The first cited sentence of the previous answer, markers removed (to find the clause it quotes)."""
    if not previous_answer:
        return None
    m = re.search(r"([^。\n]*?)\[\d+\]", previous_answer)
    if not m:
        return None
    s = strip_markers(m.group(1)).strip()
    s = re.sub(r"^(?:由|责任单位：|[^：]{1,12}：)", "", s)
    return s or None

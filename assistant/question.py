"""What a question asks: its intent, the documents and years it names, and its focus terms."""
from __future__ import annotations

import re
from dataclasses import dataclass

from functools import lru_cache
from typing import Callable

from assistant.text import is_dictionary_word, words
from index.markers import cn_to_int
from index.places import NOT_PLACE
from index.synonyms import known_phrases, synonyms

# Intent cues. A question may carry several (目标是多少？哪些部门负责？).
# Asks who: a question word before 部门/单位… (没资质的单位 / 用人单位 name a party, they don't ask who).
_DEPT = re.compile(r"(?:哪个|哪些|什么|哪一?级|哪家|哪几个|哪类|哪一个)(?:部门|单位|机关|机构|政府|主管)|谁|牵头|主管部门|责任单位|责任部门|"
                   r"负责部门|负责单位|由[^，。？]{0,6}负责|归哪|职责|找哪|向哪")
# 多少 / 几 asking a number: 或多少 / 好几天 / 这几年 / 几乎 say "somewhat", "several", "these", "almost"
_JI = r"(?<![好没这那近头])几"
_HOW_MANY = r"(?<!或)多少|" + _JI + r"(?!乎)"
_NUMBER = re.compile(_HOW_MANY + r"[个座家项辆台条万千百%]?|比例|比重|百分之|多大|多高|多长|多久|上限|下限|数量|规模|面积|容量|金额")
_MONEY = re.compile(r"多少钱|多少[\u4e00-\u9fff]{0,4}(?:费|津贴|补贴|奖金|奖励|补助)|罚款|罚多少|罚金|补贴|补助|奖励多少|资金多少|每[千平个座户]|怎么罚|如何罚|如何处罚|怎么处罚|怎样处罚|怎么处理|如何处理|怎么罚款"
                    r"|(?:什么|哪些|何种|怎样的)(?:处罚|罚则|法律责任)|受到.{0,8}处罚|处罚(?:是什么|有哪些|标准)|罚则|法律责任")
# 多少万吨 / 几个 / 多少平方米: the measure the answer must be stated in.
# (Classifiers such as 个/座/辆 are interchangeable in documents, so only units of measure count.)
_ASKED_MEASURE = re.compile(r"(?:" + _HOW_MANY + r")个?(工作日|万吨|吨|万千瓦|千瓦|平方米|平方公里|公顷|亩|公里|立方米|天|日|元|万元|年|小时|分钟|个月|倍|米|张|人|名)")
_TIME = re.compile(r"什么时候|何时|哪一年|哪年|哪天|哪一天|哪日|期限|多久|多长时间|" + _JI + r"[天日]|截至|起施行|生效")
COMPARE_CUE = _COMPARE = re.compile(r"分别|各自|对比|比较|相比|有何不同|有什么不同|区别|一样吗|相同吗|相差|差多少|哪个更|各是|各为|各规划|各打算|都是")
_ARTICLE = re.compile(r"第([一二三四五六七八九十百零〇两\d]+)条")
_BREACHED = re.compile(r"违反(?:本|《?[\u4e00-\u9fff]{0,24}?(?=条例|办法|规定|细则|决定))?(?:条例|办法|规定|细则|决定)?》?第([一二三四五六七八九十百零〇两\d]+)条")
# Whom a provision addresses: statutes set one penalty 对个人 and another 对单位.
_PARTY = re.compile(r"对(个人|单位|企业|法人|其他组织|公民|经营者|主要负责人|直接责任人员|直接负责的主管人员)")
_PARAGRAPH = re.compile(r"第([一二三四五六七八九十\d]{1,3})款")
_ITEM_REF = re.compile(r"第[（(]?[一二三四五六七八九十\d]{1,3}[)）]?项")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:年)?(?!\d)")
_YEAR_PHRASE = re.compile(r"(?:到|至|截至|在)?(?<!\d)(?:19|20)\d{2}年?(?:前|底|以前|之前)?")
_PERIOD = re.compile(r"“?(十[一二三四五六七八九]五|十五五|十四五)”?")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*\d{1,4}\s*号")
# A place name: 2–4 characters that are not function words, then 新区/省/市/区/县, not followed by 政/委/域….
_PLACE = re.compile(r"(?<![\u4e00-\u9fff])[^\W\d_要是这那没有的了在和会能被给把来去都还就又吗呢么哪谁啥怎何几多少该其此各每下上内外中些年天个对于与及或按由从向将]{2,4}?(?:新区|自治区|省|市|区|县)(?![划域级内外间政委属])")
_NOT_PLACE = NOT_PLACE  # words ending in 区/市 that name no place

QUESTION_WORDS = frozenset(
    "多少 几 几个 哪些 哪个 哪家 什么 怎么 怎样 如何 是否 吗 呢 吧 请问 有没有 分别 各自 谁 何时 什么时候 哪一年 哪年 "
    "是 的 了 和 与 及 对 在 要 会 能 有 都 又 还 就 把 被 给 由 从 按 按照 根据 其中 这 那 这项 该项 这条 该条 那么 那 呢 "
    "一下 一些 相关 有关 关于 规定 规定了 要求 提出 明确 目标 任务 工作 方面 内容 情况 多 大 高 长 久 定 定了 打算 计划 需要 应当 应该 达到 "
    "部门 单位 负责 牵头 主管 责任 机构 文件 方案 实施方案 条例 政策 措施 怎么办 办 做 做法 区别 不同 一样 相比 对比 比较 "
    "本市 全市 全区 本区 各区 区 市 年 到 期间 时期 之前 以前 以后 现在 目前 今后 未来 如果 但 没 没有 又 怎么样 具体 主要 重点 是什么 "
    "两个 几个 哪几个 哪几 各是 各为 分别是 一样 相同 有区别 区别 变化 开始 规划 打算 准备 想 得 可以 能不能 会不会 被 "
    "谁来 来 去 过 上 下 里 中 内 后 前 时 时候 方面 几类 哪类 哪种 哪方面 多长时间 多少时间 多久 多长 多大 多远 多高 几天 几年 "
    "哪些地方 什么地方 哪里 哪儿 哪些方面 什么方面 干什么 做什么 怎么做 该怎么 怎么办 能不能 可不可以 是不是 有没有 "
    "他 她 它 他们 她们 它们 我 我们 你 你们 咱们 自己 别人 人家 "
    "现行 版本 现行版本 最新 最新版 新版 旧版 全文 原文 依据 哪一条 哪条 第几条 第几款 出自 哪个条款 条款 哪项 法律依据 什么依据".split()
)


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    wants_units: bool
    wants_number: bool
    wants_money: bool
    wants_time: bool
    compare: bool
    years: tuple[int, ...]
    periods: tuple[str, ...]  # 十四五 / 十五五
    articles: tuple[int, ...]  # 第X条 numbers
    doc_numbers: tuple[str, ...]  # 文号 the question names
    places: tuple[str, ...]  # place names (X区/X市…) the question names
    docs: tuple[str, ...]  # doc_ids the question names
    terms: tuple[str, ...]  # focus terms: content words that a covering clause must mention
    measure: str | None = None  # 万吨 in 多少万吨: the unit a number in the answer must carry
    counted: str | None = None  # 核电站 in 几座核电站: what the number in the answer must count
    paragraphs: tuple[int, ...] = ()  # 第X款 numbers (paragraphs of the article asked about)
    breached: tuple[int, ...] = ()  # 违反第X条: articles whose breach the question asks about
    party: str | None = None  # 单位 in 对单位呢: whom the asked provision addresses
    term_weights: tuple[tuple[str, float], ...] = ()  # (term, weight): longer and rarer terms weigh more
    confirms: str | None = None  # 12320 in 投诉电话是12320吗, 藏獒 in 名录里有没有藏獒: a thing asked to be confirmed

    def weight(self, term: str) -> float:
        return dict(self.term_weights).get(term) or term_weight(term, None)


    @property
    def parts(self) -> tuple[str, ...]:
        """Sub-questions of a multi-part question (split at ？)."""
        ps = [p.strip() for p in re.split(r"[？?]", self.text) if p.strip()]
        return tuple(ps) or (self.text,)


# jieba part-of-speech classes that carry no topic: pronouns, adverbs, prepositions, conjunctions, particles,
# numerals and measure words, locatives, time words, idioms of speech (干什么).
_FUNCTION_POS = frozenset("rdpcuyeomqftlzi")
_KEEP_POS = frozenset({"nz", "ns", "nt", "nr", "nrt", "vn", "an"})
# Set phrases (jieba's i / l: 水土流失, 弄虚作假, 乱扔垃圾) are how a question is asked when no document uses them
# (理所当然), and what it is about when one does.
_SET_PHRASE_POS = frozenset("il")


@lru_cache(maxsize=2048)
def _pos(text: str) -> tuple[tuple[str, str], ...]:
    import logging

    import jieba
    import jieba.posseg as pseg

    jieba.setLogLevel(logging.WARNING)
    return tuple((w.word, w.flag) for w in pseg.cut(text))


def part_of_speech(text: str) -> dict[str, str]:
    """word → jieba's part-of-speech flag, for the words of `text`."""
    return dict(_pos(text))


def term_weight(term: str, rarity: Callable[[str], float] | None) -> float:
    """A focus term's weight: its length (to 4 characters), scaled by how few clauses use it."""
    base = float(min(len(term), 4))
    return base * (0.5 + rarity(term)) if rarity else base


def analyze(question: str, doc_ids: list[str] | tuple[str, ...] = (), doc_aliases: set[str] | frozenset[str] = frozenset(),
            in_corpus: Callable[[str], bool] | None = None, rarity: Callable[[str], float] | None = None,
            spelled_out: Callable[[str], bool] | None = None) -> QuestionInfo:
    """What `question` asks. `in_corpus` drops segmenter debris no document uses; `rarity` (0 for a word in
    every clause, 1 for one in a single clause) weights focus terms, so 改装 outweighs 电动自行车."""
    q = question.strip()
    years = tuple(sorted({int(y) for y in _YEAR.findall(q)}))
    periods = tuple(dict.fromkeys(p for p in _PERIOD.findall(q)))
    # 违反第十条…由谁处罚 asks about the article that sanctions 第十条, not about 第十条 itself.
    breached = tuple(n for n in (cn_to_int(a) for a in _BREACHED.findall(q)) if n)
    articles = tuple(n for n in (cn_to_int(a) for a in _ARTICLE.findall(_BREACHED.sub(" ", q))) if n)
    numbers_doc = tuple(re.sub(r"\s+", "", m) for m in _DOC_NUMBER.findall(q))
    places = tuple(find_places(q, doc_aliases))
    stripped = q
    for alias in sorted(doc_aliases, key=len, reverse=True):
        stripped = stripped.replace(alias, " ")
    for p in places:
        stripped = stripped.replace(p, " ")
    stripped = _PARAGRAPH.sub(" ", _ARTICLE.sub(" ", _BREACHED.sub(" ", stripped)))
    stripped = _ITEM_REF.sub(" ", _YEAR_PHRASE.sub(" ", _PERIOD.sub(" ", _DOC_NUMBER.sub(" ", stripped))))
    terms = []
    phrases, stripped = known_phrases(stripped)
    phrases = [p for p in phrases if not all(w in QUESTION_WORDS for w in words(p))]  # 牵头部门 asks, it is no topic
    pos = part_of_speech(stripped)
    # posseg's words, so each has its part of speech (jieba.lcut and posseg cut some strings differently)
    for w in phrases + _merged(tuple(w for w, _ in _pos(stripped) if w.strip()), in_corpus):
        w = w.strip("“”\"'《》（）()，。？?！!、：:；; ")
        if len(w) < 2 or w in QUESTION_WORDS or re.fullmatch(r"[\d.%]+", w):
            continue
        if (w not in phrases and pos.get(w, "n")[:1] in _FUNCTION_POS and pos.get(w) not in _KEEP_POS
                and not (pos.get(w, "")[:1] in _SET_PHRASE_POS and in_corpus is not None and in_corpus(w))):
            continue  # 干什么 / 明明 / 随手 / 哪一条: how the question is asked, not what it is about
        if len(w) == 2 and (w[0] in _FUNCTION_CHARS or w[1] in _FUNCTION_CHARS) and not (
                is_dictionary_word(w) and (in_corpus is None or in_corpus(w))):
            continue  # segmentation debris such as 内要 / 这是 / 方没 (but 氢能 / 节能 / 各区 are words documents use)
        if re.fullmatch(r"[零一二两三四五六七八九十百千几第]+[个项类种条次家座]?", w):
            continue  # 三个 / 两项: counts in the question, not its topic
        if (in_corpus is not None and w not in phrases and not is_dictionary_word(w) and not in_corpus(w)
                and not (spelled_out is not None and spelled_out(w))):
            continue  # an unseen-word guess of the segmenter that no document uses (维保 is kept: 维护保养)
        if w not in terms:
            terms.append(w)
    wants_units = bool(_DEPT.search(q))
    return QuestionInfo(
        text=q, wants_units=wants_units, wants_number=bool(_NUMBER.search(q)) and not (wants_units and "多少" not in q),
        wants_money=bool(_MONEY.search(q)), wants_time=bool(_TIME.search(q)),
        compare=len(doc_ids) >= 2, years=years, periods=periods, articles=articles,
        doc_numbers=numbers_doc, places=places, docs=tuple(doc_ids), terms=tuple(terms),
        measure=(m.group(1) if (m := _ASKED_MEASURE.search(q)) else None),
        counted=_counted(q),
        paragraphs=tuple(n for n in (cn_to_int(a) for a in _PARAGRAPH.findall(q)) if n) if articles else (),
        breached=breached,
        party=(m.group(1) if (m := _PARTY.search(q.split("，")[-1])) else None),
        term_weights=tuple((t, term_weight(t, rarity)) for t in terms),
        confirms=_confirmed(q),
    )


# A yes-no question about one thing (…是12320吗？ / 名录里有没有藏獒？ / 包不包括电子烟？): the thing is a number or a
# noun of two to four characters at the end of the question.
_CONFIRMS = re.compile(r"(?:是不是|是否有|是否包括|有没有|包不包括|包括|包含|含不含|是)(\d{3,}|[\u4e00-\u9fff]{2,4}?)(?:吗|呢)?[？?。]?$")


# …对企业注册资本有什么要求？ / 引航费按什么标准收？: the thing whose rule is asked for, the last word of the phrase.
_ASKS_RULE_OF = re.compile(r"对([\u4e00-\u9fff]{2,6})有(?:什么|哪些|何)(?:要求|规定|限制|标准)"
                           r"|([\u4e00-\u9fff]{2,5})按(?:什么|哪个|何种)标准")


def _confirmed(q: str) -> str | None:
    """The one thing a question asks about that an answer must name: what a yes-no question asks to confirm
    (是12320吗？), or the thing whose rule it asks for (对注册资本有什么要求？)."""
    m = _ASKS_RULE_OF.search(q)
    if m:
        phrase = m.group(1) or m.group(2)
        tags = _pos(phrase)
        head = tags[-1][0] if tags and tags[-1][1][:1] == "n" else ""
        thing = head if len(head) >= 2 else (phrase if len(tags) <= 2 else "")  # 注册资本 of 企业注册资本; 引航费
        if len(thing) >= 2 and thing not in QUESTION_WORDS:
            return thing
    last = re.split(r"[？?。！!]", q.strip().rstrip("？?。！! "))[-1]
    if not re.search(r"吗|有没有|是不是|是否|包不包括|含不含", last):
        return None
    m = _CONFIRMS.search(last)
    if not m:
        return None
    thing = m.group(1)
    if thing.isdigit():
        return thing
    tags = _pos(thing)  # 藏獒 / 比特犬 (比特 + 犬): a noun phrase, ending in a noun
    return thing if tags and tags[-1][1][:1] == "n" and thing not in QUESTION_WORDS else None


_COUNTED = re.compile(r"(?<!哪)(?:几|多少)(?:个|座|家|项|辆|台|条|所|处|批)([\u4e00-\u9fff]{2,8})")


def _counted(q: str) -> str | None:
    """What 几座X / 多少个X counts (氢能货运车, 充电设施): the words after the classifier, up to a function word."""
    m = _COUNTED.search(q)
    if not m:
        return None
    phrase: list[str] = []
    for w in words(m.group(1)):
        if len(w) < 2 or w in QUESTION_WORDS:
            break
        phrase.append(w)
    return "".join(phrase) or None


def counts_thing(counted: str, text: str) -> bool:
    """Does `text` speak of what is counted? Any shared character bigram or synonym will do
    (货运车 ~ 货运物流燃料电池汽车, 充电设施 ~ 充电桩); 核电站 shares nothing with 充电桩."""
    if counted in text or any(s in text for s in synonyms(counted)):
        return True
    return any(counted[i: i + 2] in text for i in range(len(counted) - 1))


_PARTICLES = set("的地得在比用以为与及或和对等从向把被按将给让所之而且并但就也都")
_FUNCTION_CHARS = set("要是这那没有的了在和会能被给把来去都还就又吗呢么哪谁啥怎何几多少该其此各每")
_PLACE_LEAD = re.compile(r"^[那在对和与的及把向从给让被将就于]+")


def _merged(ws: tuple[str, ...], in_corpus: Callable[[str], bool] | None) -> list[str]:
    """Rejoin a word the segmenter split off a one-character tail (充电 + 桩) when documents use the whole (充电桩)."""
    out: list[str] = []
    for w in ws:
        if (out and len(w) == 1 and w not in _FUNCTION_CHARS and w not in _PARTICLES and len(out[-1]) >= 2
                and (synonyms(out[-1] + w) or (is_dictionary_word(out[-1] + w) and in_corpus and in_corpus(out[-1] + w)))):
            out[-1] += w
        elif (out and len(w) == 1 and len(out[-1]) == 1 and in_corpus and in_corpus(out[-1] + w)
              and out[-1] not in _FUNCTION_CHARS and w not in _FUNCTION_CHARS and w not in _PARTICLES):
            out[-1] += w  # 岸 + 电: two single characters the documents write as one word (岸电)
        else:
            out.append(w)
    return out


def find_places(text: str, known: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Place names in `text`: known document places first, then X区/X市/X县 the corpus may not cover."""
    found = [k for k in sorted(known, key=len, reverse=True) if k in text and _PLACE.fullmatch(k)]
    found = [k for k in found if not any(k != o and k in o for o in found)]
    for raw in _PLACE.findall(re.sub(r"[那在对和与的及把向从给让被将就于、，,：:（）()“”]", " ", text)):
        p = _PLACE_LEAD.sub("", raw)
        if len(p) < 2 or _NOT_PLACE.search(p) or any(k in p or p in k for k in found):
            continue
        found.append(p)
    return found


def term_score(term: str, text: str) -> float:
    """How well `text` mentions `term`: 1 literally, 0.8 by a synonym, 0.7 by most of its characters, else 0."""
    if term in text:
        return 1.0
    if any(s in text for s in synonyms(term)):
        return 0.8
    if len(term) >= 3:
        grams = [term[i: i + 2] for i in range(len(term) - 1)]
        if sum(g in text for g in grams) * 3 >= len(grams) * 2:  # two of three character pairs
            return 0.7
    return 0.0


def term_in(term: str, text: str) -> bool:
    """Does `text` mention `term`, itself, by a synonym, or (for longer terms) by most of its characters?"""
    return term_score(term, text) > 0

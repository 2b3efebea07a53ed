"""The answer pipeline's switchable mechanisms: each serves a class of questions, and each can be turned off
(`ASSISTANT_DISABLED=…`, `python -m eval run --without NAME`) so its worth shows in an ablation."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

# name → the class of questions it serves (shown by `python -m eval mechanisms`)
MECHANISMS: dict[str, str] = {
    "characters": "日常用语与文件用语只共用单字（港区/港口、宠物诊所/动物诊疗、养鱼/养殖）：关键词检索也按单字计分（罕用字权重高，常用字近于零）",
    "expansion": "日常用语与文件用语不同（饭店/餐饮服务提供者、砍树/砍伐林木、燃气公司/燃气企业）：同义词词林（含复合词中一个词换成同义词）、复合词逐字匹配、检索扩展",
    "evidence_refusal": "拒答依据证据：最佳条款对问题内容的覆盖度低于阈值（在 blind dev 上校准）才拒答，而非某个词不见于文件",
    "structure": "按结构取答案单元：条文的款与项、列表的引语与各项、罚则条文（违反本条例第X条）、问题点名的条文、点名法规的主管部门条文（会员卡归哪个部门管）",
    "multi_doc": "未点名文件而多份文件都有规定（新增光伏装机目标是多少？）：逐份作答，注明出处",
    "conflicts": "点名地区的数字问题（嘉定区新增光伏装机目标是多少？）而另一份文件对同一地区给出不同数字：逐份列出数字与出处并注明不一致，不择一而答",
    "name_source": "回答注明所依据的文件（《X》第N条规定：… / 嘉定区：…）",
    "margin": "拒答依据也看最佳条款是否明显胜过次佳条款：文件有答案时常有一条明显切题，没有答案时多条条款各沾几个词、不分高下",
    "runner_up": "单一问题而同一文件中两条条款几乎同样切题：两条都引用（第二条作“另见”），而不是只押一条",
    "common_words": "问题里的日常用语（觉得、家里、网上）不见于任何文件、在通用汉语中常见且不是名词：权重降低，它说明怎么问，不说明文件缺答案",
    "everyday_words": "问题里的日常用语（客人、楼上、饭馆、砍掉）不见于任何文件、在通用汉语中常用而法规几乎不用：权重降低，文件会用别的说法，缺了它不说明文件没有答案",
    "confirms": "问题问的是一个具体事物（投诉电话是12320吗？名录里有没有藏獒？对注册资本有什么要求？）：所引条款没有提到它，就说文件未作规定，而不是引一条既不证实也不否认的条款",
    "part_terms": "两问一句而两问共用主语（被困…多久赶到？被困的人打哪个号码？）：共用的词减半，各问按自己的词找条款，不都落在同一条",
    "rerank": "检索结果按问题内容覆盖度与问法（数字、部门、罚则、列表、主管部门、谁出钱）重排",
}


def unknown_mechanisms(names: Iterable[str]) -> list[str]:
    return [n for n in names if n not in MECHANISMS]


# A part is answered when its best clause's confidence reaches this: its support (share of the question's content
# the clause covers), moved by its margin over the next clause when `margin` is on (assistant/evidence.py:
# confidence). Calibrated on the three blind dev splits: `python -m eval refusal-curve --suite blind_dev` (and
# blind2_dev, blind3_dev; the pooled table is in the README).
REFUSE_BELOW = 0.45


@dataclass(frozen=True)
class Mechanisms:
    """What the answer path may use: the mechanisms switched on, and the refusal threshold."""

    disabled: frozenset[str] = frozenset()
    refuse_below: float = REFUSE_BELOW

    def on(self, name: str) -> bool:
        assert name in MECHANISMS, name
        return name not in self.disabled

    @classmethod
    def of(cls, disabled: Iterable[str] = (), refuse_below: float | None = None) -> "Mechanisms":
        names = frozenset(disabled)
        bad = unknown_mechanisms(names)
        if bad:
            raise ValueError(f"未知的回答机制：{'、'.join(bad)}；可选：{'、'.join(MECHANISMS)}")
        return cls(names, REFUSE_BELOW if refuse_below is None else refuse_below)

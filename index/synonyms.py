"""Policy-language synonyms: how officials ask versus how documents word it.

Used to expand lexical queries and to judge whether a clause covers a question's
terms. Each group is a set of interchangeable expressions; the first is the
document's usual wording.
"""
from __future__ import annotations

SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("光伏", "太阳能发电", "太阳能电站", "太阳能", "光伏发电"),
    ("新能源汽车", "电动车", "电动汽车", "新能源车", "电车"),
    ("新能源公交车", "电动公交", "电动公交车", "新能源公交"),
    ("充电桩", "充电设施", "充电站", "充电车位"),
    ("加氢站", "氢能站", "加氢设施"),
    ("能耗", "能源消耗", "用能", "耗能"),
    ("生产总值", "GDP", "国内生产总值", "经济总量"),
    ("单位生产总值", "万元GDP", "单位GDP", "万元生产总值"),
    ("牵头", "主管", "牵头单位", "牵头部门", "主管部门", "责任单位", "负责"),
    ("生活垃圾", "垃圾"),
    ("固体废物", "固废", "废弃物"),
    ("回收利用", "回收"),
    ("罚款", "罚钱", "罚金", "处罚", "罚"),
    ("出租人", "房东"),
    ("噪声", "噪音"),
    ("排放污染物", "排污"),
    ("秸秆", "庄稼秸秆", "农作物秸秆"),
    ("绿道", "步道"),
    ("森林覆盖率", "森林覆盖", "林木覆盖率"),
    ("超低能耗建筑", "超低能耗", "近零能耗建筑"),
    ("既有建筑", "老旧建筑", "老旧楼宇", "现有建筑"),
    ("公共建筑", "公共楼宇", "楼宇"),
    ("数据中心", "机房", "算力中心"),
    ("绿色出行", "低碳出行"),
    ("碳排放", "二氧化碳排放", "碳排"),
    ("非化石能源", "清洁能源", "可再生能源"),
    ("风电", "风力发电", "风能"),
    ("环保部门", "生态环境部门", "环境保护行政主管部门"),
    ("排污许可证", "排污许可", "许可证"),
    ("扬尘", "灰尘", "粉尘"),
    ("夜间", "晚上", "夜里"),
    ("施工", "工地", "建筑施工"),
    ("机动车", "汽车", "车辆"),
    ("生效", "施行", "实施"),
    ("补贴", "补助", "资金支持", "奖励"),
    ("公共机构", "机关单位", "政府机关"),
    ("新建", "新增", "建设"),
    ("环保", "环境保护"),
    ("新能源", "电动"),
    ("既有", "现有", "已建成", "已经建成", "存量", "老旧"),
    ("拆除", "拆掉", "拆"),
    ("闲置", "停用", "停止运行", "停运"),
    ("报批", "批准", "报经", "审批"),
    ("超标", "超过排放标准", "超过污染物排放标准", "超过"),
    ("工业企业", "工厂", "厂家"),
    ("生效", "起施行"),
    ("区人民政府", "区政府"),
    ("市人民政府", "市政府"),
    ("主要负责人", "一把手", "负责人"),
    ("供电企业", "电费", "电价"),
    ("监督管理", "监管"),
    ("物业服务企业", "物业公司", "物业"),
)

_INDEX: dict[str, tuple[str, ...]] = {}
for _group in SYNONYM_GROUPS:
    for _term in _group:
        _INDEX.setdefault(_term, ())
        _INDEX[_term] = tuple(dict.fromkeys(_INDEX[_term] + tuple(t for t in _group if t != _term)))


_PHRASES = sorted((t for t in _INDEX if len(t) >= 3), key=len, reverse=True)


def known_phrases(text: str) -> tuple[list[str], str]:
    """Multi-word expressions of the table in `text` (万元GDP, 超过排放标准), longest first, and the text
    without them, so a segmenter can't split one into words that mean something else (万元 + GDP)."""
    found = []
    for p in _PHRASES:
        if p in text:
            found.append(p)
            text = text.replace(p, " ")
    return found, text


def synonyms(term: str) -> tuple[str, ...]:
    """Other expressions for `term` (empty when it has none)."""
    return _INDEX.get(term, ())


def expand(text: str) -> str:
    """`text` followed by the synonyms of every expression it contains (for lexical queries)."""
    extra = [s for term, syns in _INDEX.items() if term in text for s in syns if s not in text]
    return text if not extra else text + " " + " ".join(dict.fromkeys(extra))

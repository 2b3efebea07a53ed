"""Question cases for the answer tests: our own questions over the six shipped documents.

Each in-scope case names the strings a correct answer states (compared without
whitespace) and the document it must cite; a compare case names one document per
line; a follow-up carries the conversation so far and what its standalone rewrite
must name. Out-of-scope cases ask what no document states: the answer must refuse.
"""
from __future__ import annotations

from dataclasses import dataclass

JD = "嘉定区减污降碳协同增效实施方案"
PT = "普陀区碳达峰实施方案"
QP = "上海市青浦区碳达峰实施方案"
SJ = "松江区碳达峰实施方案"
SH = "上海市减污降碳协同增效实施方案"
LAW = "上海市环境保护条例"

NUMBER, FACT, DEPARTMENT, COMPARE, FOLLOWUP, TABLE, STATUTE, OUT_OF_SCOPE = (
    "number", "fact", "department", "compare", "followup", "table", "statute", "out_of_scope")


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    question: str
    expect: tuple[str, ...] = ()  # strings the answer must state (whitespace-insensitive)
    doc: str | None = None  # title of the document the answer must cite (single-document questions)
    docs: tuple[str, ...] = ()  # compare: one answer line per document, in this order
    history: tuple[dict, ...] = ()  # earlier turns: {"role": "user"|"assistant", "content": ...}
    standalone_has: tuple[str, ...] = ()  # follow-up: what the standalone question must name

    @property
    def in_scope(self) -> bool:
        return self.category != OUT_OF_SCOPE

    @property
    def cited_docs(self) -> tuple[str, ...]:
        return self.docs or ((self.doc,) if self.doc else ())


def _turns(question: str, answer: str) -> tuple[dict, ...]:
    return ({"role": "user", "content": question}, {"role": "assistant", "content": answer})


CASES: tuple[Case, ...] = (
    # ---- numbers ------------------------------------------------------------------------
    Case("num-jd-hydrogen", NUMBER, "嘉定区打算到2025年让几座加氢站投入运营？", ("6个",), JD),
    Case("num-jd-charging", NUMBER, "嘉定区充电桩建设到2025年的数量目标是多少？", ("3300个",), JD),
    Case("num-jd-companies", NUMBER, "嘉定区到2025年要完成调整的企业有多少家？", ("125家",), JD),
    Case("num-jd-forest", NUMBER, "嘉定区到2025年全区森林覆盖率要达到多少？", ("18.3%",), JD),
    Case("num-jd-greenland", NUMBER, "嘉定区到2025年新建绿地多少公顷？其中公园绿地多少公顷？", ("177.5公顷", "71.1公顷"), JD),
    Case("num-pt-charging", NUMBER, "普陀区“十四五”期间要新建多少个公共、专用充电桩？", ("1500个",), PT),
    Case("num-pt-garbage", NUMBER, "普陀区到2025年生活垃圾回收利用率要达到多少？", ("45%",), PT),
    Case("num-pt-retrofit", NUMBER, "普陀区“十四五”和“十五五”期间既有公共建筑节能改造累计要完成多少平方米？", ("360万平方米",), PT),
    Case("num-pt-green-travel", NUMBER, "普陀区到2035年绿色交通出行比例要达到多少？", ("85%",), PT),
    Case("num-qp-pv", NUMBER, "青浦区“十四五”期间累计要新增多少光伏装机容量？", ("29.4万千瓦",), QP),
    Case("num-qp-charging", NUMBER, "青浦区“十四五”期间计划新建多少个公共、专用充电桩？", ("1600个",), QP),
    Case("num-qp-forest", NUMBER, "青浦区到2025年陆域森林覆盖率要达到多少？", ("19%",), QP),
    Case("num-qp-straw", NUMBER, "青浦区到2025年农作物秸秆综合利用率要稳定在多少以上？", ("98%",), QP),
    Case("num-qp-pue", NUMBER, "青浦区新建数据中心的能源利用效率（PUE）不能高于多少？", ("1.3",), QP),
    Case("num-sj-tram", NUMBER, "松江区有轨电车运营里程到2025年力争达到多少公里？", ("45公里",), SJ),
    Case("num-sj-restructure", NUMBER, "松江区“十四五”期间要完成多少项产业结构调整项目？", ("350项",), SJ),
    Case("num-sj-greenway", NUMBER, "松江区计划新增多长的绿道？建成后全区绿道总长度是多少？", ("87.90公里", "160公里"), SJ),
    Case("num-sh-wind", NUMBER, "上海市到2030年风电装机容量力争达到多少？", ("500万千瓦",), SH),
    Case("num-sh-pv", NUMBER, "全市光伏装机容量到2025年力争达到多少？", ("400万千瓦",), SH),
    Case("num-sh-hydrogen", NUMBER, "上海到2025年要建成并投入使用多少座加氢站？燃料电池汽车应用总量要突破多少辆？",
         ("70座", "10000辆"), SH),
    Case("num-sh-forest", NUMBER, "上海“十四五”期间要净增多少亩森林面积？", ("24万亩",), SH),
    # ---- facts --------------------------------------------------------------------------
    Case("fact-pt-office", FACT, "普陀区碳达峰碳中和工作领导小组办公室设在哪里？", ("区发改委",), PT),
    Case("fact-qp-docno", FACT, "青浦区碳达峰实施方案的发文字号是什么？", ("青府发〔2022〕64号",), QP),
    Case("fact-sj-pv-towns", FACT, "松江区整街道（镇）屋顶分布式光伏开发试点放在哪些街镇？", ("车墩镇", "泖港镇", "永丰街道", "中山街道"), SJ),
    Case("fact-sh-windbases", FACT, "上海要建设的四大海上风电基地分别位于哪些海域？", ("长江口外北部", "杭州湾", "深远海"), SH),
    Case("fact-jd-leading-group", FACT, "嘉定区的减污降碳协同增效工作由哪个领导小组统筹推进？", ("嘉定区生态文明建设领导小组",), JD),
    Case("fact-qp-pv-towns", FACT, "青浦区推动哪些镇开展光伏小镇建设？", ("赵巷", "朱家角"), QP),
    Case("fact-pt-low-carbon-communities", FACT, "普陀区“十四五”期间推进哪些镇创建低碳社区？", ("长征镇", "桃浦镇"), PT),
    Case("fact-sj-grid-pilot", FACT, "松江区“钻石型”配电网先在哪个区域试点？", ("九科绿洲",), SJ),
    # ---- departments --------------------------------------------------------------------
    Case("dept-jd-gas-pipes", DEPARTMENT, "嘉定区天然气老旧管网改造由哪些部门负责？", ("区经委", "区建设管理委"), JD),
    Case("dept-pt-charging", DEPARTMENT, "普陀区新建充电桩和充电示范站由哪些部门负责？", ("区建管委",), PT),
    Case("dept-qp-garbage", DEPARTMENT, "青浦区生活垃圾分类和回收利用由哪些部门负责？", ("区绿化市容局",), QP),
    Case("dept-sj-tram", DEPARTMENT, "松江区引导市民绿色低碳出行、有轨电车运营里程目标由哪些部门负责？", ("区交通委",), SJ),
    Case("dept-sh-assessment", DEPARTMENT, "上海市减污降碳的考核督察工作由哪个部门牵头负责？", ("市生态环境局",), SH),
    Case("dept-pt-green-finance", DEPARTMENT, "普陀区积极发展绿色金融由哪些部门负责？", ("区金融办",), PT),
    # ---- compare (one line per document) ------------------------------------------------
    Case("cmp-charging", COMPARE, "青浦区、普陀区和松江区新建充电桩的数量目标分别是多少？",
         ("1600个", "1500个", "3500个"), docs=(QP, PT, SJ)),
    Case("cmp-energy-intensity", COMPARE, "青浦区和松江区到2025年单位生产总值能耗比2020年分别下降多少？",
         ("14%",), docs=(QP, SJ)),
    Case("cmp-garbage", COMPARE, "普陀区和松江区到2025年生活垃圾回收利用率分别要达到多少？",
         ("45%",), docs=(PT, SJ)),
    Case("cmp-pv", COMPARE, "青浦区和普陀区“十四五”期间新增光伏装机容量分别是多少？",
         ("29.4万千瓦", "2.2万千瓦"), docs=(QP, PT)),
    # ---- follow-ups with history --------------------------------------------------------
    Case("fu-district", FOLLOWUP, "那普陀区呢？", ("1500个",), PT,
         history=_turns("青浦区“十四五”期间新建多少个公共、专用充电桩？",
                        "“十四五”期间新建公共、专用充电桩1600个[1]。"),
         standalone_has=("普陀区", "充电桩")),
    Case("fu-year", FOLLOWUP, "2030年的目标呢？", ("15%",), PT,
         history=_turns("普陀区城镇新建建筑可再生能源替代率到2025年要达到多少？",
                        "到2025年，城镇新建建筑可再生能源替代率达到10%[1]。"),
         standalone_has=("2030", "普陀区")),
    Case("fu-lead", FOLLOWUP, "这条由谁牵头？", ("区交通委",), SJ,
         history=_turns("松江区到2025年新增多少个专用、公共充电桩？",
                        "至2025年，新增专用、公共充电桩3500个[1]。"),
         standalone_has=("松江区", "充电桩")),
    Case("fu-share", FOLLOWUP, "其中公共机构占多少？", ("1.06万千瓦",), JD,
         history=_turns("嘉定区到2025年要新增多少光伏装机容量？",
                        "到2025年，新增光伏装机容量29.4万千瓦[1]。"),
         standalone_has=("嘉定区", "光伏")),
    Case("fu-period", FOLLOWUP, "“十五五”期间呢？", ("50%",), PT,
         history=_turns("普陀区“十四五”期间对超低能耗建筑有什么要求？",
                        "“十四五”期间，完成本市下达的超低能耗建筑示范项目建设目标[1]。"),
         standalone_has=("十五五", "普陀区")),
    Case("fu-district-garbage", FOLLOWUP, "那嘉定区呢？", ("45%",), JD,
         history=_turns("松江区到2025年生活垃圾回收利用率要达到多少？",
                        "到2025年，全区生活垃圾回收利用率达到45%以上[1]。"),
         standalone_has=("嘉定区", "生活垃圾")),
    # ---- annex tables (松江 附件1 / 附件2) --------------------------------------------
    Case("tab-sj-pesticide", TABLE, "松江区碳达峰数据指标中，农药包装废弃物回收处置率的目标和牵头部门是什么？",
         ("100%", "区农业农村委"), SJ),
    Case("tab-sj-industrial-waste", TABLE, "松江区碳达峰数据指标里，一般工业固体废物综合利用率由哪个部门牵头？",
         ("区生态环境局",), SJ),
    Case("tab-sj-green-ring", TABLE, "松江区碳达峰重点项目中，新城绿环项目的责任单位有哪些？属于什么项目？",
         ("区规划资源局", "区水务局", "区绿化市容局", "试点项目"), SJ),
    Case("tab-sj-xinbang", TABLE, "新浜建华管桩能源站项目在松江区重点项目表里由谁负责？",
         ("国网上海松江供电公司",), SJ),
    Case("tab-sj-huangpu-corridor", TABLE, "松江区重点项目里的黄浦江生态廊道由哪个部门负责，是什么类型的项目？",
         ("区绿化市容局", "示范项目"), SJ),
    # ---- statute ------------------------------------------------------------------------
    Case("law-night-work", STATUTE, "按照上海市环境保护条例，区环保部门要在多长时间内对夜间施工申请作出审批决定？",
         ("三个工作日",), LAW),
    Case("law-dismantle-penalty", STATUTE, "未经同意擅自拆除环境保护设施，按上海市环境保护条例罚多少钱？",
         ("二万元以上二十万元以下",), LAW),
    Case("law-disclosure-penalty", STATUTE, "排污单位未按照要求公开环境信息，上海市环境保护条例规定罚款多少？",
         ("二万元以上二十万元以下",), LAW),
    Case("law-art-71", STATUTE, "上海市环境保护条例第七十一条规定了什么？", ("一万元以上三万元以下",), LAW),
    Case("law-art-27", STATUTE, "上海市环境保护条例第二十七条规定区重点污染物排放总量控制实施方案批准后多少日内备案？",
         ("十五日",), LAW),
    Case("law-art-91", STATUTE, "上海市环境保护条例第九十一条规定了什么？", ("2016年10月1日",), LAW),
    Case("law-supervision-duty", STATUTE, "根据上海市环境保护条例，谁对本市环境保护实施统一监督管理？",
         ("市环境保护行政主管部门",), LAW),
    Case("law-park-infrastructure", STATUTE, "上海市环境保护条例要求产业园区管理机构配套建设哪些环境基础设施？",
         ("污水收集处理", "噪声防治"), LAW),
    Case("law-microbe-penalty", STATUTE, "微生物菌剂应用单位擅自使用未通过环境安全评价的菌剂，按上海市环境保护条例怎么处罚？",
         ("一万元以上十万元以下",), LAW),
    # ---- out of scope -------------------------------------------------------------------
    Case("oos-baoshan", OUT_OF_SCOPE, "宝山区碳达峰实施方案提出的2025年充电桩目标是多少？"),
    Case("oos-suzhou", OUT_OF_SCOPE, "苏州市到2025年新增光伏装机容量是多少？"),
    Case("oos-xuhui-rooftop", OUT_OF_SCOPE, "徐汇区公共机构屋顶光伏覆盖率到2025年要达到多少？"),
    Case("oos-pt-pv-subsidy", OUT_OF_SCOPE, "普陀区给安装屋顶光伏的居民每千瓦补贴多少钱？"),
    Case("oos-qp-ev-subsidy", OUT_OF_SCOPE, "青浦区对个人购买新能源汽车补贴多少钱？"),
    Case("oos-sj-nuclear", OUT_OF_SCOPE, "松江区到2025年要建设几座核电站？"),
    Case("oos-law-art-105", OUT_OF_SCOPE, "上海市环境保护条例第一百零五条规定了什么？"),
    Case("oos-law-art-98", OUT_OF_SCOPE, "上海市环境保护条例第九十八条的内容是什么？"),
    Case("oos-taxi-fare", OUT_OF_SCOPE, "上海出租车起步价是多少钱？"),
    Case("oos-school-enrolment", OUT_OF_SCOPE, "孩子上小学入学报名需要准备哪些材料？"),
)

"""Patterns the answer stages share: what a stated quantity, amount, penalty, date or unit looks like in a clause,
and which clause states when a document takes effect."""
from __future__ import annotations

import re

# A figure: digits, a percentage, or Chinese numerals as statutes write them: with a unit (三十日, 二十五度,
# 十六周岁, 二星级) or bounding anything (三层以下, 五个以上); not an article's number (第四十一条县级以上).
QUANTITY = re.compile(r"(?<![\d.])(?!(?:19|20)\d{2}年)\d+(?:\.\d+)?|百分之|(?<![第零一二两三四五六七八九十百千万亿])[零一二两三四五六七八九十百千万亿]+(?:"
                      r"元|万元|个|个工作日|日|天|倍|座|辆|家|项|年|小时|分钟|个月|张|次|人|米|公里|平方米|亩|公顷|摄氏度|吨|"
                      r"度|星级|层|周岁|岁|周|户|台|套|株|棵|头|只|公斤|千克|立方米|分贝|"
                      r"[^\s，。；、：0-9条款项章节号级]{1,3}(?:以上|以下|以内))")
MONEY = re.compile(r"[\d零一二两三四五六七八九十百千万亿]+\s*(?:万)?元")
PENALTY = re.compile(r"罚款|罚金|倍以上|没收|追回|取消[^，。；]{0,16}资格|纳入[^，。；]{0,8}(?:失信|信用)|吊销|责令停产|责令停业|"
                     r"停业整顿|责令关闭|处分|给予警告|予以警告|处以警告|追究[^，。；]{0,6}责任|处罚|拘留|扣留车辆|责令(?:改正|限期改正)")
UNIT_WORDS = re.compile(r"部门|单位|委|局|办|政府|街镇|负责|牵头|机构|机关|委员会")
DATE = re.compile(r"(?:19|20)\d{2}年\d{1,2}月\d{1,2}日|[零一二三四五六七八九十百\d]+(?:个工作日|日|天|小时|分钟|个月|年)(?:内|以内|前)?")
# Effective-date questions (a class: 何时施行/生效/实行/实施) and the clause that answers them.
ASKS_IN_FORCE = re.compile(r"施行|生效|实行|实施|开始执行|起执行")
IN_FORCE = re.compile(r"自[^。；]{2,24}起(?:施行|实施|生效|执行)")
FULL_DATE = re.compile(r"(?:19|20)\d{2}年\d{1,2}月\d{1,2}日")
# 目标 / 指标 questions: plans state targets as figures.
ASKS_TARGET = re.compile(r"目标|指标")
# Definition questions (a class: 什么算气象灾害 / 燃气指的是什么) and the clause defining a term (本条例所称X，是指…).
ASKS_DEFINITION = re.compile(r"(?<!怎么)(?<!如何)(?<!计)算(?:是|作|不算)?(?!多少|下来|钱|费)|属于|是指|指的是|指什么|什么是|什么叫|叫做|定义")
DEFINITION = re.compile(r"所称的?([^，。；]{1,30}?)[，,]?(?:是指|指)")
# Competent-authority questions (a class: 家政行业归哪个部门管 / 古树由哪个部门主管) and the clause assigning the
# management of the matter in a jurisdiction to a department (…主管部门负责本行政区域内…的管理工作 / …部门对本市…实施
# 统一监督管理, 对 right after the department), not one giving it a task (水务部门应当负责推进…纳管工作) or urging it
# (区人民政府应当加强对本辖区内物业管理工作的组织领导).
ASKS_AUTHORITY = re.compile(r"归(?:哪|什么|谁)[^？，。]{0,6}管|(?:哪个|哪些|什么)(?:部门|单位|机关|机构)(?:来)?(?:主管|管理|监管)|"
                            r"主管部门|由谁(?:来)?(?:主管|管理|监管)|谁(?:来)?主管")
ASSIGNS_DUTY = re.compile(r"(?:部门|机关|机构|委员会|人民政府|局|委)(?:（[^）]{0,24}）)?[^。；，]{0,4}(?:负责|主管)"
                          r"[^。；]{0,40}(?:管理|监管|监督|工作)")  # a department charged with some work (ranking fit)
ASSIGNS_AUTHORITY = re.compile(r"(?:部门|机关|机构|委员会|人民政府|局|委)(?:（[^）]{0,24}）)?(?:[^。；，]{0,6}(?:负责|主管)|对)"
                               r"[^。；，]{0,6}(?:本行政区域|本市|本省|本区|本县|本辖区|全市|全省|辖区)[^。；]{0,40}(?:管理|监管|监督)")
# Who-pays questions (a class: 检测费谁出 / 费用由谁承担 / 挪树的钱谁掏) and the text naming the payer (费用由全体业主承担).
ASKS_PAYER = re.compile(r"谁(?:来)?(?:出|付|掏|承担|负担|买单|支付)|(?:哪方|哪一方|哪个单位)(?:来)?(?:出|付|承担|负担|支付)|"
                        r"费用?(?:怎么|如何)(?:分摊|承担|负担)")
STATES_PAYER = re.compile(r"费用?[^。；，]{0,6}由[^。；，]{1,24}(?:承担|负担|支付|缴纳|列支)|"
                          r"由[^。；，]{1,24}(?:承担|负担|支付)[^。；，]{0,8}费")
# Classification questions (a class: 垃圾分成几类 / 病虫害分哪几类) and the clause dividing something into kinds.
ASKS_CLASSES = re.compile(r"几类|几种|几个等级|几级|分类|分成哪|分为哪|分别叫|分别是什么")
CLASSES = re.compile(r"分为(?:下列|以下|如下)?[一二三四五六七八九十两\d]+(?:类|种|级|个等级)")

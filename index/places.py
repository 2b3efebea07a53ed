"""Place names in document titles and questions (上海市 / 青浦区 / 临港新片区 is not one: 片区)."""
from __future__ import annotations

import re

# Words ending in 区/市/… that name no administrative place.
NOT_PLACE = re.compile(
    r"(?:园区|城区|社区|示范区|片区|小区|景区|街区|保护区|功能区|先行区|实践区|集中区|核心区|郊区|市区|试点区|辖区|全区|本区|各区|该区|我区"
    r"|全市|本市|各市|城市|超市|集市|股市|中心城区|新城区|开发区|工业区|农村地区|地区|住宅区|居住区|生活区|校区|厂区)$"
)
_TITLE_PLACE = re.compile(r"[\u4e00-\u9fff]{1,6}?(?:自治区|特别行政区|省|市|自治州|州|盟|地区|区|县|旗|镇|街道|乡)")


def title_places(title: str) -> tuple[list[str], int]:
    """The places a title opens with (上海市, 青浦区) and where they end: 上海市住宅小区… → (['上海市'], 3)."""
    places: list[str] = []
    pos = 0
    while (m := _TITLE_PLACE.match(title, pos)) is not None and not NOT_PLACE.search(m.group(0)):
        places.append(m.group(0))
        pos = m.end()
    return places, pos

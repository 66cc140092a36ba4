"""One masking of resident-written text for everything the public sees (group chats, public pages).

What a group may read of a description: the compound, the street, the problem; never what leads
to one door or one person. Masked, in this order:
- phone-like strings: mobiles (+86, spaces, dashes), landlines with area code, any run of 7+ digits
  (each digit becomes '*');
- building-unit-room shorthand (3-2-201, 12-1502): each digit becomes '*';
- building and unit numbers (3幢, 12栋, 十二栋, B座, 5号楼, 二号楼, 三单元, 8号院, 2号门) become '**';
- rooms (201室, 1502户, 302房) and the number right after a building or unit (3幢201) become '***';
- street and house numbers (春晗路12号, 人民大道100-2号, 门牌号18, 现代花园12号, 100弄5号): a house
  number is a building too, so it becomes '**' like 3幢 does (the road's or compound's name stays:
  the grid still knows where to go).
The '**' and '***' are of fixed width, so that a mask does not tell 3幢 from 12幢.
Kept: compound, road, lane (100弄 names a compound, like 现代花园), floors (3楼, 5层), dates
(11月5号, 2026-11-23), amounts (2平方米, 3天), metro lines (1号线), ticket numbers (#12).
"""

from __future__ import annotations

import re
from functools import lru_cache

BUILDING = "**"
ROOM = "***"

_CN_DIGITS = "零〇一二三四五六七八九十百两"
_CN_NOT_ONE = _CN_DIGITS.replace("一", "")
_PHONE = re.compile(
    r"(?<!\d)(?:\+?86[\s-]?)?(?:1[3-9]\d(?:[\s-]?\d{4}){2}|[(（]?0\d{2,3}[)）]?[\s-]?\d{7,8})(?!\d)"
    r"|(?<!\d)\d{7,}(?!\d)"
)
# 3-2-201, 12-1502: the building-unit-room shorthand (a date's year has four digits, so it is not one).
_SHORTHAND = re.compile(r"(?<![\d-])\d{1,3}(?:-\d{1,2})?-\d{3,4}(?![\d-])")
# The number before a building or unit word; Chinese numerals only before 号楼 / 单元 (一栋楼: "a building").
_BUILDING = re.compile(
    r"(?:[A-Za-z]?\d+[A-Za-z]?|[A-Za-z])(?=\s*(?:号楼|号院|号门|幢|栋|座|单元))"
    r"|\d+(?=号\s*(?:[\d*]|单元))"  # 现代花园3号2单元: the 号 of a building
    rf"|[{_CN_DIGITS}]+(?=\s*(?:号楼|单元))"
    # 十二栋, 三幢: Chinese numerals before a building word too, but not a lone 一 (这一栋楼: a building).
    rf"|[{_CN_DIGITS}]{{2,}}(?=\s*(?:幢|栋|座))|[{_CN_NOT_ONE}](?=\s*(?:幢|栋|座))"
)
# A room: digits before 室 / 户 / 房, or three or four digits right after a building or unit word.
_ROOM = re.compile(
    r"\d+(?=\s*(?:室|户|房(?!子|屋|东|价|租)))|(?<=幢|栋|座|元|楼)(\s*)\d{3,4}(?![\d年月日号])"
)
# A street number: after a road, street or village word (or 门牌), unless it is a metro line or a lane.
# Also a house number right after a compound's name (现代花园12号, 阳光小区3号, 100弄5号): a date's
# 号 follows 月 or nothing (11月5号, 5号开始停水), so it is kept.
_COMPOUND_END = "园苑区城庭府居寓舍坊湾庄邸墅阁轩厦宅郡弄"
_STREET = re.compile(
    r"(?<=[路街道巷村里])\d+(?:-\d+)?(?=号(?!线))|(?<=门牌号)\s*\d+|(?<=门牌)\s*\d+"
    rf"|(?<=[{_COMPOUND_END}])\d+(?:-\d+)?(?=号(?!线|楼|院|门|\s*单元))"
)


# What each pattern needs before it can match anything (most descriptions have none of it, and the
# check costs far less than the pattern): a phone has seven digits or more, a shorthand a dash, a
# room a room or building word, a street number 号 or 门牌, a building number one of its words.
_SEVEN_DIGITS = re.compile(r"\d(?:\D*\d){6}")
_ROOM_WORD = re.compile(r"[室户房幢栋座元楼]")
_BUILDING_WORD = re.compile(r"[号幢栋座]|单元")


def _room(m: re.Match[str]) -> str:
    return (m.group(1) or "") + ROOM


@lru_cache(maxsize=4096)  # a pure function of the text: lists and pages show the same texts again
def mask_private(text: str) -> str:
    """Hide phone numbers and building, unit, room and street numbers in resident-written text."""
    if _SEVEN_DIGITS.search(text):
        text = _PHONE.sub(lambda m: re.sub(r"\d", "*", m.group()), text)
    if "-" in text:
        text = _SHORTHAND.sub(lambda m: re.sub(r"\d", "*", m.group()), text)
    if _ROOM_WORD.search(text):
        text = _ROOM.sub(_room, text)
    if "号" in text or "门牌" in text:
        text = _STREET.sub(lambda m: (" " if m.group().startswith(" ") else "") + BUILDING, text)
    if _BUILDING_WORD.search(text):
        text = _BUILDING.sub(BUILDING, text)
    return text

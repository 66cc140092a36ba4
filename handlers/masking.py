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
- personal names of third parties (隔壁王建国家的狗): a name jieba tags as a person's that starts
  with a common surname keeps its surname and becomes 王某; WeChat ids (wxid_…, 微信号 abc123)
  become '***'.
Kept: compound, road, lane (100弄 names a compound, like 现代花园), floors (3楼, 5层), dates
(11月5号, 2026-11-23), amounts (2平方米, 3天), metro lines (1号线), ticket numbers (#12).
"""

from __future__ import annotations

import re
from collections.abc import Callable
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


# The commonest surnames (about 85% of people): a name tagged by jieba is masked only when it
# starts with one, which keeps words jieba mistakes for names (太贵) as they are.
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤"
)
_WECHAT_ID = re.compile(
    r"wxid_[A-Za-z0-9_-]+|(?<=微信号)([:：\s]*)[A-Za-z][-_A-Za-z0-9]{5,19}", re.IGNORECASE
)


_COMMON_WORD = 200  # jieba's dictionary frequency above which a word is not taken for a name


@lru_cache(maxsize=1)
def _tagger() -> object:
    """jieba's part-of-speech tagger, loaded on the first text that could hold a name."""
    import logging

    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return jieba.posseg


def mask_names(text: str) -> str:
    """王建国 -> 王某 for names of people; WeChat ids -> ***."""
    if "wxid" in text.lower() or "微信号" in text:
        text = _WECHAT_ID.sub(lambda m: (m.group(1) or "") + ROOM, text)
    if not _SURNAMES.intersection(text):
        return text
    posseg = _tagger()
    common = posseg.dt.tokenizer.FREQ  # type: ignore[attr-defined]
    out = []
    for pair in posseg.cut(text):  # type: ignore[attr-defined]
        word, flag = pair.word, pair.flag
        # A name: two or three characters, a surname first, not a doubled word (谢谢), not a word
        # as common as 谢谢 or 马路 that jieba happens to tag as a name.
        named = (
            flag.startswith("nr")
            and 2 <= len(word) <= 3
            and word[0] in _SURNAMES
            and word[1] != word[0]
            and common.get(word, 0) <= _COMMON_WORD
        )
        out.append(word[0] + "某" if named else word)
    return "".join(out)


def mask_for_resident(text: str, own_phone: str | None) -> str:
    """A worker's words to a resident: other people's phones and rooms hidden, the resident's own kept."""
    keep = re.sub(r"\D", "", own_phone or "")

    def phone(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group())
        return m.group() if keep and digits.endswith(keep[-11:]) else _stars(m)

    return _phones_and_rooms(text, phone)


def _stars(m: re.Match[str]) -> str:
    return re.sub(r"\d", "*", m.group())


def _phones_and_rooms(text: str, phone: Callable[[re.Match[str]], str]) -> str:
    """Phones (each as `phone` says), building-unit-room shorthand and rooms: what leads to one door."""
    if _SEVEN_DIGITS.search(text):
        text = _PHONE.sub(phone, text)
    if "-" in text:
        text = _SHORTHAND.sub(_stars, text)
    if _ROOM_WORD.search(text):
        text = _ROOM.sub(_room, text)
    return text


def _room(m: re.Match[str]) -> str:
    return (m.group(1) or "") + ROOM


@lru_cache(maxsize=4096)  # a pure function of the text: lists and pages show the same texts again
def mask_private(text: str) -> str:
    """Hide phone numbers and building, unit, room and street numbers in resident-written text."""
    text = _phones_and_rooms(text, _stars)
    if "号" in text or "门牌" in text:
        text = _STREET.sub(lambda m: (" " if m.group().startswith(" ") else "") + BUILDING, text)
    if _BUILDING_WORD.search(text):
        text = _BUILDING.sub(BUILDING, text)
    return mask_names(text)

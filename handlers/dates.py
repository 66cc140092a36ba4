"""Read the day a person means: 2026-12-20, 12月20日, 20号, 明天, 下周一, 3天后 (Chinese numerals too)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import cn2an

from handlers.normalise import nfkc
from models.errors import BadInput, Refusal
from models.store.unit_of_work import Unit

_NUM = r"[0-9零〇一二两三四五六七八九十百]+"
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_RELATIVE = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
_FULL = re.compile(rf"^(?:({_NUM})\s*[年./-]\s*)?({_NUM})\s*[月./-]\s*({_NUM})\s*[日号]?$")
_DAY_ONLY = re.compile(rf"^({_NUM})\s*[日号]$")
_AFTER = re.compile(rf"^({_NUM})\s*(天|日|个?星期|周)(?:之?后|以后)$")
_WEEK = re.compile(r"^(下下|下|这|本)?(?:个)?(?:周|星期|礼拜)([一二三四五六日天七1-7])$")


def _int(text: str) -> int:
    """A number written in digits or in Chinese numerals."""
    return int(text) if text.isdigit() else int(cn2an.cn2an(text.replace("〇", "零"), "smart"))


def parse_day(text: str, today: date) -> date | None:
    """The calendar day the words name, seen from today; None when they name no day."""
    words = nfkc(text).strip().replace(" ", "")
    if not words:
        return None
    if words in _RELATIVE:
        return today + timedelta(days=_RELATIVE[words])
    try:
        return _numeric(words, today) or _weekday(words, today)
    except (ValueError, OverflowError):
        return None


def _numeric(words: str, today: date) -> date | None:
    """Dates written with numbers: a full or month-day date, a day of the month, N days or weeks ahead."""
    if found := _FULL.match(words):
        year = _int(found.group(1)) if found.group(1) else today.year
        if year < 100:
            year += 2000
        day = date(year, _int(found.group(2)), _int(found.group(3)))
        if found.group(1) is None and day < today:  # 1月5日 said in December means next January
            day = day.replace(year=year + 1)
        return day
    if found := _DAY_ONLY.match(words):
        n = _int(found.group(1))
        month = date(today.year, today.month, 1)
        if n < today.day:  # 5号 said on the 7th means next month's 5th
            month = (month + timedelta(days=32)).replace(day=1)
        return month.replace(day=n)
    if found := _AFTER.match(words):
        n = _int(found.group(1))
        return today + timedelta(days=n if found.group(2) in ("天", "日") else 7 * n)
    return None


def _weekday(words: str, today: date) -> date | None:
    """下周一, 周五, 本周三, 星期天: the named weekday of this week (ahead), next week or the one after."""
    found = _WEEK.match(words)
    if found is None:
        return None
    mark = found.group(2)
    target = int(mark) - 1 if mark.isdigit() else _WEEKDAY[mark]
    monday = today - timedelta(days=today.weekday())
    weeks = {"下": 1, "下下": 2}.get(found.group(1) or "", 0)
    day = monday + timedelta(days=7 * weeks + target)
    if weeks == 0 and day < today:  # a bare 周一 said on a Wednesday is the coming Monday
        day += timedelta(days=7)
    return day


def end_of_named_day(u: Unit, text: str, usage: str) -> datetime:
    """23:59:59 local of the day the words name; a usage refusal when they name none."""
    zone = ZoneInfo(u.rules.sla.timezone)
    day = parse_day(text, u.now.astimezone(zone).date())
    if day is None:
        raise BadInput(Refusal.USAGE, usage=usage)
    return datetime.combine(day, time(23, 59, 59), zone)

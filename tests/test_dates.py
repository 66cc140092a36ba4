"""Dates in words work wherever a day is asked: 明天, 下周一, 12月5日, as well as 2026-12-05."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.dates import parse_day

MONDAY = date(2026, 12, 7)  # a Monday


@pytest.mark.parametrize(
    ("words", "day"),
    [
        ("2026-12-20", date(2026, 12, 20)),
        ("２０２６－１２－２０", date(2026, 12, 20)),
        ("2026年12月20日", date(2026, 12, 20)),
        ("12月20日", date(2026, 12, 20)),
        ("12月20号", date(2026, 12, 20)),
        ("十二月二十日", date(2026, 12, 20)),
        ("12/20", date(2026, 12, 20)),
        ("1月5日", date(2027, 1, 5)),
        ("20号", date(2026, 12, 20)),
        ("5号", date(2027, 1, 5)),
        ("今天", MONDAY),
        ("明天", date(2026, 12, 8)),
        ("后天", date(2026, 12, 9)),
        ("大后天", date(2026, 12, 10)),
        ("3天后", date(2026, 12, 10)),
        ("三天以后", date(2026, 12, 10)),
        ("两周后", date(2026, 12, 21)),
        ("周五", date(2026, 12, 11)),
        ("星期天", date(2026, 12, 13)),
        ("本周三", date(2026, 12, 9)),
        ("下周一", date(2026, 12, 14)),
        ("下个星期五", date(2026, 12, 18)),
        ("下下周二", date(2026, 12, 22)),
    ],
)
def test_a_day_in_words_is_read(words: str, day: date) -> None:
    """Each way residents and workers write a day names the day they mean, seen from Monday 7 December."""
    assert parse_day(words, MONDAY) == day


@pytest.mark.parametrize("words", ["", "下周", "13月5日", "2月30日", "32号", "修好了", "明天下午", "9" * 40])
def test_words_that_name_no_day_are_none(words: str) -> None:
    """Impossible dates and other words give None, never an exception or a wrong day."""
    assert parse_day(words, MONDAY) is None

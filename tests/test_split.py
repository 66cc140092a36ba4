"""One splitter for long text: Telegram counts characters, WeChat UTF-8 bytes; cuts fall at line ends."""

from __future__ import annotations

from bot.channels.split import split_text, utf8_size
from bot.channels.telegram_transport import _split
from bot.channels.wechat_render import chunks


def test_short_text_is_one_piece_unchanged() -> None:
    """A text within the limit is sent as it is, blank lines included."""
    assert split_text("\n甲\n\n乙", 10) == ["\n甲\n\n乙"]


def test_cuts_fall_at_line_ends_by_the_channels_measure() -> None:
    """Ten lines of four Chinese characters: 13 characters hold 2 lines, 13 bytes only 1."""
    text = "\n".join(["工单进展"] * 10)
    by_chars = split_text(text, 13)
    by_bytes = split_text(text, 13, utf8_size)
    assert by_chars == ["工单进展\n工单进展"] * 5
    assert by_bytes == ["工单进展"] * 10


def test_an_overlong_line_is_cut_between_characters() -> None:
    """A line longer than the limit is cut without splitting a character's bytes."""
    pieces = split_text("甲" * 5 + "\nok", 7, utf8_size)
    assert pieces == ["甲甲", "甲甲", "甲\nok"]
    assert all(utf8_size(p) <= 7 for p in pieces)


def test_both_channels_use_it() -> None:
    """Telegram splits at 4096 characters (never sending an empty piece), WeChat at 2000 bytes."""
    long = "\n".join(["居民反映的问题"] * 700)  # 5,599 characters, 15,399 bytes
    assert [len(p) for p in _split(long)] == [4095, 1503]
    assert all(utf8_size(p) <= 2000 for p in chunks(long)) and len(chunks(long)) == 8
    assert _split("\n" * 5000) == ["…"]

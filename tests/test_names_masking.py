"""Third parties' names and WeChat ids never reach group cards; a worker's note hides others' numbers."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from handlers import texts
from handlers.masking import mask_for_resident, mask_names, mask_private

from .harness import Harness

pytestmark = pytest.mark.usefixtures("group_privacy")

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("隔壁王建国家的狗天天叫", "隔壁王某家的狗天天叫"),
        ("楼下刘德华天天半夜唱歌", "楼下刘某天天半夜唱歌"),
        ("陈先生家的空调外机滴水", "陈某家的空调外机滴水"),
        ("加我微信号：abc_12345 详谈", "加我微信号：*** 详谈"),
        ("他的微信是wxid_k3j4h5l6，一直不回", "他的微信是***，一直不回"),
    ],
)
def test_names_and_wechat_ids_are_masked(written: str, shown: str) -> None:
    """A full name keeps only its surname (王某); a WeChat id becomes ***."""
    assert mask_private(written) == shown


@pytest.mark.parametrize(
    "kept",
    [
        "谢谢你们，修好了",
        "干活马马虎虎",
        "报了好久石沉大海",
        "马路中间有个坑",
        "高空抛物砸到车",
        "物业费收得太贵",
    ],
)
def test_words_jieba_takes_for_names_are_kept(kept: str) -> None:
    """Doubled words, idioms and everyday words that jieba tags as names stay as written."""
    assert mask_names(kept) == kept


def _examples() -> list[str]:
    """Every example description of the catalogue's categories (handlers/data/understand.toml)."""
    data = tomllib.loads((ROOT / "handlers/data/understand.toml").read_text(encoding="utf-8"))
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "examples" and isinstance(value, list):
                    found.extend(str(v) for v in value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return found


def test_false_masks_on_the_catalogues_examples_stay_under_two_percent() -> None:
    """None of the examples names a person, so every change is a false mask: under 2% of them."""
    examples = _examples()
    assert len(examples) >= 50
    changed = [e for e in examples if mask_names(e) != e]
    assert len(changed) / len(examples) < 0.02, changed


def test_a_note_keeps_the_residents_own_phone_and_hides_the_others() -> None:
    """电话13800138000，住3-2-202 is someone else's; the resident's own 13900139000 stays."""
    note = "已联系楼上业主，电话13800138000，住3-2-202；您的电话13900139000已登记"
    assert mask_for_resident(note, "13900139000") == (
        "已联系楼上业主，电话***********，住*-*-***；您的电话13900139000已登记"
    )


async def test_a_group_card_never_shows_a_neighbours_name(h: Harness) -> None:
    """The grid's card of 隔壁王建国家的狗 reads 王某; the handler still sees the whole description."""
    tid = await h.claimed(description="隔壁王建国家的狗天天半夜叫")
    group = " ".join(h.to("@siji1"))
    assert "王建国" not in group and "王某" in group
    assert any("王建国" in m for m in h.to("w1"))
    assert h.ticket(tid).description == "隔壁王建国家的狗天天半夜叫"


async def test_a_workers_note_is_masked_for_the_resident_and_he_is_shown_what(h: Harness) -> None:
    """进展 with a neighbour's phone and room: the resident reads stars, the worker is told what went out."""
    tid = await h.claimed()
    out = await h.say(f"w1: 进展 {tid} 已联系楼上业主，电话13700137000，住3-2-202，明天上门")
    masked = "已联系楼上业主，电话***********，住*-*-***，明天上门"
    assert h.to("r1", out) == [texts.R_NOTE.format(id=tid, note=masked)]
    assert texts.W_SAID_MASKED.format(id=tid, said=masked) in h.to("w1", out)
    assert "13700137000" not in " ".join(h.to("r1", out))

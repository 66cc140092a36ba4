"""Building, unit, room, street and phone numbers are masked in everything a group reads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.masking import mask_private

from .harness import Harness

# Resident-written text as residents write it, and what a group may read of it.
TABLE = [
    ("住现代花园3幢201室", "住现代花园**幢***室"),  # the example
    ("春晗路12号门口人行道沉降破损约2平方米", "春晗路**号门口人行道沉降破损约2平方米"),
    ("现代花园12栋2单元1502，卫生间漏水", "现代花园**栋**单元***，卫生间漏水"),
    ("阳光小区5号楼三单元302室楼上漏水", "阳光小区**号楼**单元***室楼上漏水"),
    ("二号楼门口垃圾没人清", "**号楼门口垃圾没人清"),
    ("B座1803的住户半夜装修", "**座***的住户半夜装修"),
    ("锦绣家园7幢 503 空调外机噪音", "锦绣家园**幢 *** 空调外机噪音"),
    ("A1栋电梯坏了三天", "**栋电梯坏了三天"),
    ("现代花园3号2单元楼道堆物", "现代花园**号**单元楼道堆物"),
    ("小区8号院车位被占", "小区**号院车位被占"),
    ("1201户家里漏水到楼下", "***户家里漏水到楼下"),
    ("3-2-201楼上噪音扰民", "*-*-***楼上噪音扰民"),
    ("人民大道100-2号门前井盖松动", "人民大道**号门前井盖松动"),
    ("望道村18号的狗天天叫", "望道村**号的狗天天叫"),
    ("幸福里7号楼道灯不亮", "幸福里**号楼道灯不亮"),
    ("门牌号18旁边有个坑", "门牌号**旁边有个坑"),
    ("现代花园十二栋楼道堆物", "现代花园**栋楼道堆物"),
    ("三幢门口井盖丢了", "**幢门口井盖丢了"),
    ("现代花园12号的狗天天叫", "现代花园**号的狗天天叫"),
    ("阳光小区3号后面有个坑", "阳光小区**号后面有个坑"),
    ("春晗路100弄5号门前积水", "春晗路100弄**号门前积水"),
    ("有事打我电话13800138000", "有事打我电话***********"),
    ("手机 138-0013-8000 王阿姨", "手机 ***-****-**** 王阿姨"),
    ("+86 139 1234 5678", "+** *** **** ****"),
    ("物业电话0579-85561234一直没人接", "物业电话****-********一直没人接"),
    ("打(0579)85561234没人接", "打(****)********没人接"),
    ("值班室88561234", "值班室********"),
    # Kept: compound, lane, floor, dates, amounts, metro lines, ticket numbers.
    ("春晗路100弄小区门口", "春晗路100弄小区门口"),
    ("3楼楼道灯坏了", "3楼楼道灯坏了"),
    ("11月5号开始停水", "11月5号开始停水"),
    ("5号开始停水，下个月3号才来", "5号开始停水，下个月3号才来"),
    ("两栋楼之间的路灯坏了", "**栋楼之间的路灯坏了"),  # "two buildings": masked, harmless
    ("2026-11-23已经反映过一次", "2026-11-23已经反映过一次"),
    ("地铁1号线出口共享单车乱停", "地铁1号线出口共享单车乱停"),
    ("这一栋楼都停电了", "这一栋楼都停电了"),
    ("3栋20年没修过", "**栋20年没修过"),
    ("工单#12还没人办", "工单#12还没人办"),
]


@pytest.mark.parametrize(("written", "shown"), TABLE)
def test_mask_table(written: str, shown: str) -> None:
    """Each real-style address or description is masked as a group may read it."""
    assert mask_private(written) == shown


def test_mask_is_stable() -> None:
    """Masking masked text changes nothing (a card edited twice reads the same)."""
    for written, _ in TABLE:
        once = mask_private(written)
        assert mask_private(once) == once


DESCRIPTION = "楼道灯坏了好几天，住现代花园3幢201室，电话13912345678"
MASKED = "楼道灯坏了好几天，住现代花园**幢***室，电话***********"


async def test_group_never_sees_the_room_the_handler_does(h: Harness) -> None:
    """Card, card edit, reposted card and escalation notice are masked; the handler's private card is not."""
    await h.quick_grid()
    await h.quick_grid(group="siqu", grid="siji")  # the community's group hears escalations
    tid = await h.quick_report(description=DESCRIPTION)
    await h.advance(timedelta(days=2))  # unclaimed: escalated to the community, the card reposted
    await h.say(f"w1: 抢单 {tid}")
    groups = h.group_messages()
    assert len(groups) >= 3
    assert any(MASKED in str(m["text"]) for m in groups if m["chat"] == "@siji1")
    assert any(MASKED in str(m["text"]) for m in groups if m["chat"] == "@siqu")
    for m in groups:
        assert "3幢" not in str(m["text"]) and "201室" not in str(m["text"]), m
        assert "13912345678" not in str(m["text"]), m
    details = [t for t in h.to("w1") if t.startswith(f"工单 #{tid} 详情")]
    assert len(details) == 1 and DESCRIPTION in details[0]

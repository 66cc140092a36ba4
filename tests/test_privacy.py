"""A resident's phone and exact address reach only the handler and admins, and only in private."""

from __future__ import annotations

import pytest

from handlers import texts

from .harness import Harness

# Whatever else each test checks, no group message may carry a phone number.
pytestmark = pytest.mark.usefixtures("group_privacy")

PHONE = "13800138000"
ADDRESS = "春晗路12号3单元502室"


def private_details(texts: list[str]) -> list[str]:
    """The detail messages (with phone and address) among some texts."""
    return [t for t in texts if PHONE in t or ADDRESS in t]


async def ticket_with_details(h: Harness) -> int:
    """A ticket in siji-1 with a typed address and a phone number."""
    await h.quick_grid()
    return await h.quick_report(location=None, area="siji-1", address=ADDRESS, phone=PHONE)


async def test_status_in_a_group_shows_no_details_there(h: Harness) -> None:
    """/status by the handler or an admin in the group: status and details privately, a note in the group."""
    tid = await ticket_with_details(h)
    await h.say(f"w1: 抢单 {tid}")
    await h.say("admin: 你好")
    for user in ("w1", "admin"):
        out = await h.say(f"{user}@siji1: /status {tid}")
        assert h.to("@siji1", out) == [texts.GROUP_ANSWERED_PRIVATELY.format(name=user)]
        assert h.to(user, out)[0].startswith(f"工单 #{tid}\n")
        assert len(private_details(h.to(user, out))) == 1
    for m in h.group_messages():
        assert PHONE not in m["text"] and ADDRESS not in m["text"]


async def test_other_staff_in_scope_see_no_details(h: Harness) -> None:
    """A worker of the grid who is not the handler sees the status but never the phone or address."""
    tid = await ticket_with_details(h)
    await h.say(f"w1: 抢单 {tid}")
    out = await h.say(f"w2: /status {tid}")
    assert len(out) == 1 and private_details(h.to("w2", out)) == []
    assert private_details(h.to("w2")) == []


async def test_losing_worker_never_gets_the_details(h: Harness) -> None:
    """Only the winner of the grab receives phone and address; the other worker gets none."""
    tid = await ticket_with_details(h)
    await h.run("w1@siji1: [tap 抢单]", "w2@siji1: [tap 抢单]")
    assert len(private_details(h.to("w1"))) == 1
    assert private_details(h.to("w2")) == []
    assert h.ticket(tid).phone == PHONE


async def test_assigned_worker_gets_the_details(h: Harness) -> None:
    """The worker an admin assigns gets the details privately; nobody else does."""
    tid = await ticket_with_details(h)
    out = await h.say(f"admin: /assign {tid} w2")
    assert len(private_details(h.to("w2", out))) == 1
    assert private_details(h.to("w1")) == []

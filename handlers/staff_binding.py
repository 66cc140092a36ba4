"""Staff from the staff file who write for the first time: bound by the phone they share."""

from __future__ import annotations

from handlers import texts
from models.datafiles.staff_import import PHONE_CHANNEL, redeem

from .render import area_label, grant_name
from .textclean import parse_phone
from .turn import Turn


def bind_by_contact(turn: Turn) -> None:
    """Grant the roles the staff file holds for this phone; the message then goes on as usual."""
    msg = turn.msg
    if msg.contact is None or msg.channel != PHONE_CHANNEL or not turn.private:
        return
    phone = parse_phone(msg.contact)
    if phone is None:
        return
    for invite in redeem(turn.u, turn.person, msg.channel, phone):
        turn.reply(
            texts.STAFF_BOUND.format(
                name=invite.name,
                role=grant_name(turn.u, invite.role, invite.area_id),
                area=area_label(turn.u, invite.area_id),
            )
        )

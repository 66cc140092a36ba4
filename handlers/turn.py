"""One inbound message being handled: who sent it, their dialog, and how to answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from models.messages import Button, ChatKind, HandleResult, Inbound, Reply
from models.store.unit_of_work import Unit
from models.tables import Dialog, Person

from . import texts
from .masking import mask_private
from .payloads import Press


@dataclass
class Turn:
    """The sender, their dialog row and the reply channel for one message."""

    u: Unit
    msg: Inbound
    person: Person
    dialog: Dialog
    result: HandleResult = field(default_factory=HandleResult)
    button: Press | None = None  # the checked payload of a button press
    # A personal command sent in a group (/status, /my …): answers go to the sender's private chat.
    answer_privately: bool = False
    _told_group: bool = False

    @property
    def private(self) -> bool:
        """Tell whether the message came from a private chat."""
        return self.msg.chat_kind == ChatKind.PRIVATE

    def reply(
        self,
        text: str,
        buttons: tuple[Button, ...] = (),
        *,
        photo: str | None = None,
        keyboard: str | None = None,
    ) -> None:
        """Answer in the chat the message came from (masked in a group: the whole group reads it)."""
        if not self.private and self.answer_privately:
            self._reply_privately(text, buttons, photo)
            return
        if not self.private:
            text = mask_private(text)
        self.u.send(Reply(self.msg.channel, self.msg.chat_id, text, buttons, photo, keyboard=keyboard))

    def _reply_privately(self, text: str, buttons: tuple[Button, ...], photo: str | None) -> None:
        """Answer in the sender's private chat and say so in the group, once; without one, only ask for it."""
        chat = self.person.chat_id
        if chat is not None:
            self.u.send(Reply(self.person.channel, chat, text, buttons, photo))
        if not self._told_group:
            self._told_group = True
            note = texts.GROUP_ANSWERED_PRIVATELY if chat is not None else texts.GROUP_ASK_PRIVATE
            name = mask_private(self.person.name or "")
            self.u.send(Reply(self.msg.channel, self.msg.chat_id, note.format(name=name)))

    def refuse(self, text: str) -> None:
        """Say no: as a short alert to a button press, else as a reply."""
        if self.msg.payload is not None:
            self.result.alert = text
        else:
            self.reply(text)


# A command: the turn and the words after the command name.
Command = Callable[[Turn, list[str]], None]

"""How a neutral message looks on WeChat: numbered options, hints, photo links, reply XML."""

from __future__ import annotations

from handlers import texts
from models.messages import Button

from .split import split_text, utf8_size

TEXT_MAX_BYTES = 2000  # WeChat takes text messages up to 2048 bytes
MEDIA_PREFIX = "wxmedia:"


def media_id(photo: str | None) -> str | None:
    """The WeChat media id of a photo that came as one (and can be sent back as an image)."""
    return photo.removeprefix(MEDIA_PREFIX) if photo and photo.startswith(MEDIA_PREFIX) else None


def render(
    text: str, buttons: tuple[Button, ...] = (), keyboard: str | None = None, photo: str | None = None
) -> str:
    """The text a WeChat user reads: options become numbered lines to answer by number or label."""
    parts = [text]
    if photo and media_id(photo) is None:
        if photo.startswith(("http://", "https://")):
            parts.append(texts.WX_PHOTO_LINK.format(url=photo))
        else:  # a file id of another channel: nothing WeChat can show
            parts.append(texts.WX_PHOTO_ELSEWHERE)
    if keyboard == "location":
        parts.append(texts.WX_LOCATION_HINT)
    if buttons:
        parts.append("\n".join(texts.WX_OPTION.format(n=n, label=b.label) for n, b in enumerate(buttons, 1)))
    return "\n\n".join(p for p in parts if p)


def chunks(text: str, limit: int = TEXT_MAX_BYTES) -> list[str]:
    """Split a text into messages of at most limit bytes, at line ends where possible."""
    return split_text(text, limit, utf8_size)


def fits(text: str, limit: int = TEXT_MAX_BYTES) -> bool:
    """Tell whether a text goes in one WeChat message."""
    return utf8_size(text) <= limit


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to_user: str, from_account: str, content: str, timestamp: int) -> str:
    """The XML of a passive text reply."""
    return (
        f"<xml><ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_account)}</FromUserName>"
        f"<CreateTime>{timestamp}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content></xml>"
    )

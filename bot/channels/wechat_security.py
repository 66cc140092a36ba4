"""Checks on every request WeChat pushes to us: signature, freshness, size, safe XML, AES."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import defusedxml.ElementTree as SafeET
from starlette.requests import Request
from wechatpy.crypto import PrpCrypto, WeChatCrypto

from . import boundary

MAX_BODY = 64 * 1024  # WeChat's own messages are a few KiB
MAX_SKEW = timedelta(seconds=300)
MAX_NONCE = 64


class Refused(Exception):
    """A request that will not be processed; status is the HTTP answer, reason goes to the log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def signature(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the sorted parts joined together."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signature_ok(given: str, *parts: str) -> bool:
    """Compare a signature in constant time."""
    return hmac.compare_digest(signature(*parts).encode(), given.encode())


def check_fresh(timestamp: str, now: datetime, skew: timedelta = MAX_SKEW) -> None:
    """Refuse a timestamp that is not a number or too far from now (a replayed request)."""
    try:
        sent = int(timestamp)
    except ValueError:
        raise Refused(403, "timestamp is not a number") from None
    if abs(now.timestamp() - sent) > skew.total_seconds():
        raise Refused(403, f"stale timestamp {sent}")


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request body, refused (413) before it is parsed (or even fully read) when over the limit."""
    try:
        return await boundary.read_body(request, limit)
    except boundary.BodyTooLarge as exc:
        raise Refused(413, f"body of {exc} bytes is over the {limit} byte limit") from None


def parse_xml(data: bytes | str) -> dict[str, str]:
    """The flat fields of a WeChat <xml> message; a DTD, any entity or an external reference is refused."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ValueError, SyntaxError) as exc:  # DefusedXmlException is a ValueError, ParseError a SyntaxError
        raise Refused(400, f"unsafe or malformed XML: {type(exc).__name__}") from None
    if root.tag != "xml":
        raise Refused(400, f"root element is <{root.tag}>, not <xml>")
    fields: dict[str, str] = {}
    for child in root:
        if child.tag in fields:
            raise Refused(400, f"field {child.tag} appears twice")
        fields[child.tag] = child.text or ""
    return fields


def aes_key_problem(key: str) -> str | None:
    """Why an EncodingAESKey cannot be used, or None when it is fine."""
    if len(key) != 43:
        return f"encoding_aes_key must be 43 characters, got {len(key)}"
    try:
        raw = base64.b64decode(key + "=", validate=True)
    except (binascii.Error, ValueError):
        return "encoding_aes_key is not base64"
    return None if len(raw) == 32 else "encoding_aes_key does not decode to 32 bytes"


class Cipher:
    """AES for safe and compatible mode: decrypt pushes, encrypt passive replies."""

    def __init__(self, token: str, aes_key: str, app_id: str) -> None:
        self.crypto = WeChatCrypto(token, aes_key, app_id)
        self.app_id = app_id

    def decrypt(self, encrypted: str) -> str:
        """The plaintext XML of an <Encrypt> field; refused when it is not ours."""
        try:
            return str(PrpCrypto(self.crypto.key).decrypt(encrypted, self.app_id))
        except Exception as exc:  # bad base64, padding, length or app id: all mean "not from WeChat"
            raise Refused(400, f"cannot decrypt: {type(exc).__name__}") from None

    def encrypt(self, xml: str, nonce: str, timestamp: str) -> str:
        """The encrypted envelope of a passive reply."""
        return str(self.crypto.encrypt_message(xml, nonce, timestamp))


@dataclass(frozen=True)
class Envelope:
    """A checked push: its fields (decrypted), whether it came encrypted, and its replay key."""

    fields: dict[str, str]
    encrypted: bool
    nonce_key: str


class Guard:
    """Applies every check, in an order that parses nothing unauthenticated when it can help it."""

    def __init__(self, token: str, cipher: Cipher | None, skew: timedelta = MAX_SKEW) -> None:
        self.token = token
        self.cipher = cipher
        self.skew = skew

    def _stamp(self, query: Mapping[str, str]) -> tuple[str, str]:
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        if not timestamp or not nonce or len(nonce) > MAX_NONCE or len(timestamp) > 20:
            raise Refused(403, "missing or overlong timestamp or nonce")
        return timestamp, nonce

    def verify(self, query: Mapping[str, str], now: datetime) -> str:
        """The echostr of a server verification (GET) whose signature is right."""
        timestamp, nonce = self._stamp(query)
        if not signature_ok(query.get("signature", ""), self.token, timestamp, nonce):
            raise Refused(403, "bad signature")
        check_fresh(timestamp, now, self.skew)
        return query.get("echostr", "")

    def open(self, query: Mapping[str, str], body: bytes, now: datetime) -> Envelope:
        """Check a push (POST) and return its fields; raise Refused otherwise."""
        timestamp, nonce = self._stamp(query)
        plain_sig = query.get("signature")
        encrypted = query.get("encrypt_type", "raw").lower() == "aes"
        # Plain mode signs token+timestamp+nonce; WeChat sends that signature in the AES modes too.
        checked = not encrypted or plain_sig is not None
        if checked and not signature_ok(plain_sig or "", self.token, timestamp, nonce):
            raise Refused(403, "bad signature")
        if not encrypted:
            check_fresh(timestamp, now, self.skew)
            return Envelope(parse_xml(body), False, f"{timestamp}:{nonce}")
        if self.cipher is None:
            raise Refused(400, "encrypted push but [wechat] encoding_aes_key is not set")
        outer = parse_xml(body)
        encrypted_text = outer.get("Encrypt", "")
        if not encrypted_text:
            raise Refused(400, "encrypted push without <Encrypt>")
        if not signature_ok(query.get("msg_signature", ""), self.token, timestamp, nonce, encrypted_text):
            raise Refused(403, "bad msg_signature")
        check_fresh(timestamp, now, self.skew)
        return Envelope(parse_xml(self.cipher.decrypt(encrypted_text)), True, f"{timestamp}:{nonce}")

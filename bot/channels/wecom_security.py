"""Checks on every callback 企业微信 sends us: msg_signature, freshness, safe XML, AES (always on)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

from .wechat_security import MAX_NONCE, MAX_SKEW, Refused, check_fresh, parse_xml, signature_ok

MAX_ECHO = 1024  # WeCom's echostr is a short encrypted random string


@dataclass(frozen=True)
class Callback:
    """A checked callback: its decrypted fields and its replay key."""

    fields: dict[str, str]
    nonce_key: str


class WecomGuard:
    """Verifies the callback URL and opens encrypted callbacks; WeCom has no plaintext mode."""

    def __init__(self, token: str, aes_key: str, corp_id: str, skew: timedelta = MAX_SKEW) -> None:
        self.token = token
        self.corp_id = corp_id
        self.crypto = WeChatCrypto(token, aes_key, corp_id)
        self.skew = skew

    def _stamp(self, query: Mapping[str, str]) -> tuple[str, str, str]:
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        if not timestamp or not nonce or len(nonce) > MAX_NONCE or len(timestamp) > 20:
            raise Refused(403, "missing or overlong timestamp or nonce")
        return timestamp, nonce, query.get("msg_signature", "")

    def _decrypt(self, encrypted: str) -> str:
        try:
            return str(PrpCrypto(self.crypto.key).decrypt(encrypted, self.corp_id))
        except Exception as exc:  # bad base64, padding, length or corp id: all mean "not from WeCom"
            raise Refused(400, f"cannot decrypt: {type(exc).__name__}") from None

    def verify(self, query: Mapping[str, str], now: datetime) -> str:
        """The decrypted echostr of the URL check (GET) whose msg_signature is right."""
        timestamp, nonce, sig = self._stamp(query)
        echo = query.get("echostr", "")
        if not echo or len(echo) > MAX_ECHO:
            raise Refused(400, "missing or overlong echostr")
        if not signature_ok(sig, self.token, timestamp, nonce, echo):
            raise Refused(403, "bad msg_signature")
        check_fresh(timestamp, now, self.skew)
        return self._decrypt(echo)

    def open(self, query: Mapping[str, str], body: bytes, now: datetime) -> Callback:
        """Check a callback (POST) and return its fields; raise Refused otherwise."""
        timestamp, nonce, sig = self._stamp(query)
        encrypted = parse_xml(body).get("Encrypt", "")
        if not encrypted:
            raise Refused(400, "callback without <Encrypt>")
        if not signature_ok(sig, self.token, timestamp, nonce, encrypted):
            raise Refused(403, "bad msg_signature")
        check_fresh(timestamp, now, self.skew)
        return Callback(parse_xml(self._decrypt(encrypted)), f"{timestamp}:{nonce}")

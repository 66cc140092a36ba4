"""wechatpy's 企业微信 client, with the access token kept in the database and a configurable API base."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from wechatpy.enterprise import WeChatClient
from wechatpy.exceptions import WeChatClientException

from models.clock import Clock
from models.store.database import Database

from .wechat_store import TokenStore

DEFAULT_API_BASE = "https://qyapi.weixin.qq.com/cgi-bin/"
TOKEN_KEY = "wecom:access_token"
TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid, malformed or expired access token
T = TypeVar("T")


class WecomClient(WeChatClient):
    """Synchronous (requests): call it off the event loop, e.g. with asyncio.to_thread."""

    def __init__(
        self,
        corp_id: str,
        secret: str,
        agent_id: int,
        db: Database,
        clock: Clock,
        base_url: str | None,
        timeout: float = 10.0,
    ) -> None:
        # auto_retry is off: wechatpy would refetch on every token error, once per process, in a loop.
        super().__init__(corp_id, secret, timeout=timeout, auto_retry=False)
        base = base_url or DEFAULT_API_BASE
        self.API_BASE_URL = base if base.endswith("/") else base + "/"
        self.agent_id = agent_id
        self.tokens = TokenStore(db, clock, self._fetch_token, key=TOKEN_KEY)

    @property
    def access_token(self) -> str:
        """The shared token (wechatpy reads this for every call)."""
        return self.tokens.current()

    def fetch_access_token(self) -> dict[str, Any]:
        """Refresh the shared token now."""
        return {"access_token": self.tokens.refresh()}

    def _fetch_token(self) -> tuple[str, int]:
        res = self._http.get(
            self.API_BASE_URL + "gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
            timeout=self.timeout,
        )
        res.raise_for_status()
        data = res.json()
        if data.get("errcode"):
            raise WeChatClientException(
                data["errcode"], data.get("errmsg", ""), client=self, request=res.request, response=res
            )
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    def call(self, fn: Callable[[], T]) -> T:
        """Run one API call; when WeCom refuses the token, refresh it once (shared) and try again."""
        token = self.access_token
        try:
            return fn()
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            self.tokens.refresh(stale=token)
            return fn()

    def send(self, touser: str, message: dict[str, Any]) -> dict[str, Any]:
        """message/send of one app message (text, image, file, template_card) to `a|b|c`."""
        return dict(self.message.send(self.agent_id, touser, msg=message))

    def update_card(self, response_code: str, card: dict[str, Any]) -> dict[str, Any]:
        """Replace a sent template card for every recipient (message/update_template_card)."""
        data = {"atall": 1, "agentid": self.agent_id, "response_code": response_code, "template_card": card}
        return dict(self.post("message/update_template_card", data=data))

    def upload_file(self, path: str) -> str:
        """Upload a local file as temporary media; its media_id."""
        with open(path, "rb") as f:
            return str(self.media.upload("file", f)["media_id"])

    def close(self) -> None:
        """Release the HTTP connections."""
        self._http.close()

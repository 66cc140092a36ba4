"""wechatpy's API client, with the access token kept in the database and a configurable API base."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from models.clock import Clock
from models.store.database import Database

from .wechat_store import TokenStore

DEFAULT_API_BASE = "https://api.weixin.qq.com/cgi-bin/"
TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid, malformed or expired access token
T = TypeVar("T")


class ApiClient(WeChatClient):
    """Synchronous (requests): call it off the event loop, e.g. with asyncio.to_thread."""

    def __init__(
        self,
        app_id: str,
        secret: str,
        db: Database,
        clock: Clock,
        base_url: str | None,
        timeout: float = 10.0,
    ) -> None:
        # auto_retry is off: wechatpy would refetch on every token error, once per process, in a loop.
        super().__init__(app_id, secret, timeout=timeout, auto_retry=False)
        base = base_url or DEFAULT_API_BASE
        self.API_BASE_URL = base if base.endswith("/") else base + "/"
        self.tokens = TokenStore(db, clock, self._fetch_token)

    @property
    def access_token(self) -> str:
        """The shared token (wechatpy reads this for every call)."""
        return self.tokens.current()

    def fetch_access_token(self) -> dict[str, Any]:
        """Refresh the shared token now."""
        return {"access_token": self.tokens.refresh()}

    def _fetch_token(self) -> tuple[str, int]:
        res = self._http.get(
            self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
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
        """Run one API call; when WeChat refuses the token, refresh it once (shared) and try again."""
        token = self.access_token
        try:
            return fn()
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            self.tokens.refresh(stale=token)
            return fn()

    def close(self) -> None:
        """Release the HTTP connections."""
        self._http.close()

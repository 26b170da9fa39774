"""The web surface's own defences, around every route: security headers (CSP with
frame-ancestors, X-Frame-Options, nosniff, Referrer-Policy), a request body limit, and a
cross-origin check on every state-changing API call."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shopkeep.api.errors import error_response

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CHAT_PAGES = ("/",)
"""The pages the merchant's own site may frame (the chat on their site); nothing else may be
framed by anyone."""
_DOCS = ("/docs", "/redoc")
_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)
# Swagger UI and ReDoc pages start themselves with an inline script.
_DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'"
)


class Hardening:
    """Pure ASGI middleware (it does not buffer streamed responses)."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, frame_ancestors: Iterable[str] = ()
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.frame_ancestors = tuple(frame_ancestors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        headers = Headers(scope=scope)
        secured = self._secured(send, path)
        if scope["method"] in UNSAFE and _api(path):
            refusal = _cross_origin(headers)
            if refusal is not None:
                await error_response(403, "cross_origin_refused", refusal)(scope, receive, secured)
                return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            await self._too_large()(scope, receive, secured)
            return
        if length is None and scope["method"] in UNSAFE:
            # A body sent in chunks, of no stated length: read up to the limit before the app
            # sees any of it (the app would take a failure half way as a malformed body).
            body, more = [], True
            received = 0
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    break
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    await self._too_large()(scope, receive, secured)
                    return
                body.append(message.get("body", b""))
                more = bool(message.get("more_body", False))
            replay: list[Message] = [
                {"type": "http.request", "body": b"".join(body), "more_body": False}
            ]

            async def replayed() -> Message:
                return replay.pop() if replay else await receive()

            await self.app(scope, replayed, secured)
            return
        await self.app(scope, receive, secured)

    def _too_large(self) -> JSONResponse:
        return error_response(
            413,
            "body_too_large",
            f"The request body is larger than {self.max_body_bytes} bytes; nothing was read.",
        )

    def _secured(self, send: Send, path: str) -> Send:
        framable = path in CHAT_PAGES and bool(self.frame_ancestors)
        ancestors = " ".join(self.frame_ancestors) if framable else "'none'"
        policy = _DOCS_POLICY if path.startswith(_DOCS) else _POLICY
        csp = f"{policy}; frame-ancestors {ancestors}"

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out["Content-Security-Policy"] = csp
                if not framable:
                    out["X-Frame-Options"] = "DENY"
                out["X-Content-Type-Options"] = "nosniff"
                out["Referrer-Policy"] = "same-origin"
            await send(message)

        return send_secured


def _api(path: str) -> bool:
    return path.startswith("/api/")


def _cross_origin(headers: Headers) -> str | None:
    """Why a state-changing call comes from another site's page (None: it does not). A
    browser says where a request comes from (Sec-Fetch-Site, Origin); a client that sends
    neither is no browser, and cannot carry a victim's cookie by itself."""
    fetched_from = headers.get("sec-fetch-site")
    if fetched_from is not None:
        # The browser's own word, which no page can forge; it also holds behind a proxy
        # that rewrites Host.
        if fetched_from in ("same-origin", "none"):
            return None
        return f"A {fetched_from} page may not change anything here."
    origin = headers.get("origin")
    if origin is not None:
        host = headers.get("host", "")
        if origin == "null" or urlsplit(origin).netloc.lower() != host.lower():
            return "Requests that change something must come from this shop's own pages."
    return None

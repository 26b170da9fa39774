"""The HTTP API's one app: a small factory that opens the store and the assistant and includes
the routers (chat, console, analytics, agent checkout) and the web pages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, FastAPI
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel
from starlette.middleware.sessions import SessionMiddleware

from shopkeep.agent.engine import Assistant
from shopkeep.api import acp, analytics, chat, console, knowledge, pages
from shopkeep.api.errors import install_error_handlers
from shopkeep.api.hardening import Hardening
from shopkeep.api.metrics import install_metrics
from shopkeep.api.session import COOKIE
from shopkeep.api.settings import AcpSettings, load_acp_settings
from shopkeep.api.webhooks import WebhookSender
from shopkeep.settings import Settings
from shopkeep.store import Store

log = logging.getLogger(__name__)


class Health(BaseModel):
    status: Literal["ok"] = "ok"


health = APIRouter(tags=["service"])


@health.get("/health", response_model=Health, summary="Whether the server is up")
def get_health() -> Health:
    return Health()


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    assistant: Assistant | None = None,
    acp_settings: AcpSettings | None = None,
) -> FastAPI:
    """The app on `store` (default: the one `settings` names, closed with the app) with
    `assistant` (default: on the configured model). The agent checkout's settings default to
    the environment's `SHOPKEEP_ACP__*`."""
    settings = settings or Settings()
    acp_settings = acp_settings or load_acp_settings()
    owned = store is None
    shop = store or settings.open_store()

    def configured_assistant() -> Assistant:
        from shopkeep.llm import open_gateway

        gateway = open_gateway(settings.llm, settings.cache_dir)
        return Assistant(
            shop,
            gateway,
            free_wording=settings.agent.free_wording,
            identity=settings.identity_policy(),
        )

    # Each purpose signs with its own key: one that checks webhooks cannot forge a cookie.
    service = acp.AcpService.build(shop, acp_settings, lambda: settings.key_for("webhook"))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sender = None
        if service.sender is not None and acp_settings.webhook_poll_seconds > 0:
            sender = asyncio.create_task(
                _send_webhooks(service.sender, acp_settings.webhook_poll_seconds)
            )
        try:
            yield
        finally:
            # Messages taken into the chat's line are answered before the store is let go.
            await asyncio.to_thread(app.state.chat.admission.drain)
            if sender is not None:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
            if owned:
                shop.close()

    # /docs and /redoc with their scripts served from the package: the shop may have no internet
    app = FastAPIOffline(
        title="shopkeep",
        summary="The shop's HTTP API: the shopper's chat (REST + SSE), the staff console, "
        "analytics, and agent checkout (Agentic Commerce Protocol 2026-04-17).",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.store = shop
    app.state.settings = settings
    app.state.acp = service
    app.state.chat = chat.ChatService(
        shop,
        assistant or configured_assistant,
        settings.web,
        identity_key=settings.key_for("identity"),
        token_max=timedelta(seconds=settings.identity.token_max_seconds),
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.key_for("session").hex(),
        session_cookie=COOKIE,
        max_age=int(settings.web.session_days * 86400),
        same_site="lax",
        https_only=settings.web.secure_cookies,
    )
    # Outermost: its headers go on every answer, the session's and the errors' included.
    app.add_middleware(
        Hardening,
        max_body_bytes=settings.web.max_body_bytes,
        frame_ancestors=settings.web.frame_ancestors,
    )
    install_error_handlers(app)
    install_metrics(app)
    app.include_router(health)
    app.include_router(chat.router)
    app.include_router(console.router)
    app.include_router(analytics.router)
    app.include_router(acp.router)
    app.include_router(knowledge.router)
    app.include_router(pages.router)
    pages.mount_static(app)
    return app


async def _send_webhooks(sender: WebhookSender, every: float) -> None:
    """Send due order events (and look for order changes) every `every` seconds."""
    while True:
        try:
            await asyncio.to_thread(sender.deliver_due)
        except Exception:
            log.exception("sending order webhooks failed; trying again later")
        await asyncio.sleep(every)

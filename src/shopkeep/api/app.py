"""The HTTP API's one app: a small factory that opens the store and includes the routers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Literal

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from shopkeep.api import acp
from shopkeep.api.settings import AcpSettings, load_acp_settings
from shopkeep.api.webhooks import WebhookSender
from shopkeep.settings import Settings
from shopkeep.store import Database, Store

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
    acp_settings: AcpSettings | None = None,
) -> FastAPI:
    """The app on `store` (default: the one `settings` names, closed with the app). The agent
    checkout's settings default to the environment's `SHOPKEEP_ACP__*`."""
    settings = settings or Settings()
    acp_settings = acp_settings or load_acp_settings()
    owned = store is None
    shop = store or Store(Database(settings.resolved_database_url()), policy=settings.store)
    service = acp.AcpService.build(shop, acp_settings, settings.resolved_secret_key)

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
            if sender is not None:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
            if owned:
                shop.close()

    app = FastAPI(
        title="shopkeep",
        summary="The shop's HTTP API: agent checkout (Agentic Commerce Protocol 2026-04-17).",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.store = shop
    app.state.settings = settings
    app.state.acp = service
    app.include_router(health)
    app.include_router(acp.router)
    return app


async def _send_webhooks(sender: WebhookSender, every: float) -> None:
    """Send due order events (and look for order changes) every `every` seconds."""
    while True:
        try:
            await asyncio.to_thread(sender.deliver_due)
        except Exception:
            log.exception("sending order webhooks failed; trying again later")
        await asyncio.sleep(every)

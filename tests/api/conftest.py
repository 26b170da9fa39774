"""Fixtures of the HTTP API's tests: the app on a real store (the seeded demo shop, copied per
test), the protocol's JSON schemas, and a webhook receiver on loopback."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from acp_bench import (
    API_KEY,
    EVAL_NOW,
    AcpSpec,
    Agent,
    Api,
    Clock,
    Received,
    Receiver,
    spec_dir,
)
from fastapi.testclient import TestClient
from pydantic import SecretStr

from shopkeep.api import create_app
from shopkeep.api.settings import AcpSettings
from shopkeep.settings import Settings
from shopkeep.store import Database, Store
from shopkeep.store.demo import seed_demo


@pytest.fixture(scope="session")
def acp_spec() -> AcpSpec:
    path = spec_dir() / "json-schema" / "schema.agentic_checkout.json"
    if not path.is_file():
        pytest.fail(
            f"The ACP 2026-04-17 JSON schema is missing at {path}: every checkout response is "
            "validated against it. Put the protocol's files in ../shared/acp-2026-04-17 or set "
            "SHOPKEEP_ACP_SPEC_DIR.",
            pytrace=False,
        )
    return AcpSpec(json.loads(path.read_text()))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    seed_demo(db, now=EVAL_NOW)
    db.dispose()
    return path


@pytest.fixture
def demo_url(demo_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "shop.sqlite3"
    shutil.copy(demo_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def shop(demo_url: str, clock: Clock) -> Iterator[Store]:
    """The demo shop (a copy per test), on the test's clock."""
    store = Store(Database(demo_url), clock=clock)
    yield store
    store.close()


@pytest.fixture
def api(acp_spec: AcpSpec, tmp_path: Path) -> Callable[..., Api]:
    """The app on a store, as an agent sees it; `settings` add to the test's ACP settings."""

    def make(store: Store, **settings: Any) -> Api:
        acp = AcpSettings(api_key=SecretStr(API_KEY), webhook_poll_seconds=0, **settings)
        app = create_app(Settings(data_dir=tmp_path / "data"), store=store, acp_settings=acp)
        return Api(app, Agent(TestClient(app), acp_spec), store, acp)

    return make


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.received.append(Received({k: v for k, v in self.headers.items()}, body))
            status = state.statuses.pop(0) if state.statuses else 200
            payload = json.dumps({"received": status == 200}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = (
        f"http://127.0.0.1:{server.server_address[1]}/agentic_checkout/webhooks/order_events"
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()

"""The analytics API: managers only, the figures of the log as JSON, the charts as SVG, and a
clear 422 for a bad range."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from acp_bench import API_KEY, Clock
from fastapi.testclient import TestClient
from pydantic import SecretStr

from shopkeep.api import create_app
from shopkeep.api.analytics import CHARTS
from shopkeep.api.settings import AcpSettings
from shopkeep.settings import Settings
from shopkeep.store import Store
from shopkeep.store.checkout import LineRequest
from shopkeep.store.views import HandoffInput, MessageInput


@pytest.fixture
def client(shop: Store, tmp_path: Path) -> Iterator[TestClient]:
    acp = AcpSettings(api_key=SecretStr(API_KEY), webhook_poll_seconds=0)
    app = create_app(Settings(data_dir=tmp_path / "data"), store=shop, acp_settings=acp)
    with TestClient(app) as c:
        yield c


def sign_in(client: TestClient, username: str, password: str) -> None:
    response = client.post("/api/staff/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text


def error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == code and body["message"]
    return body


def a_day_of_conversations(shop: Store, clock: Clock) -> int:
    """Three conversations on 2026-11-20 (UTC): a purchase, a handoff, a greeting. Returns the
    order's total."""
    customer = shop.customers.page(limit=1)[0]
    method = customer.payment_methods[0]
    variant = next(
        v for p in shop.catalog.everything() for v in p.variants if v.in_stock and v.stock
    )
    clock.now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    buyer = shop.conversations.start(customer_id=customer.id, language="en")
    order = shop.checkout.place_order(
        customer.id,
        payment_method_id=method.id,
        idempotency_key="analytics-api",
        lines=[LineRequest(variant_id=variant.id, quantity=1)],
    )
    shop.conversations.record_turn(
        buyer.id,
        expected_version=buyer.version,
        state={},
        messages=[
            MessageInput(role="customer", text="yes", job="buy"),
            MessageInput(
                role="assistant",
                text="Order placed.",
                job="buy",
                prompt_tokens=120,
                completion_tokens=12,
                cost_pico_usd=1_500_000,
                wall_seconds=1.25,
            ),
        ],
        placed_orders=[order.id],
        resolved=True,
    )
    clock.now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    guest = shop.conversations.start(language="ko")
    shop.conversations.record_turn(
        guest.id,
        expected_version=guest.version,
        state={},
        messages=[
            MessageInput(role="customer", text="상담원"),
            MessageInput(role="assistant", text="연결해 드릴게요.", wall_seconds=0.75),
        ],
        handoff=HandoffInput(reason="requested"),
    )
    shop.conversations.start(language="en")
    return order.total.amount


def test_that_the_analytics_need_a_signed_in_staff_member(client: TestClient) -> None:
    error(client.get("/api/analytics"), 401, "staff_login_required")
    error(client.get("/api/analytics/charts/day-conversations.svg"), 401, "staff_login_required")
    # Who is asking is settled before what is asked.
    error(client.get("/api/analytics?start=nonsense"), 401, "staff_login_required")


def test_that_a_support_agent_is_not_shown_the_analytics(client: TestClient) -> None:
    sign_in(client, "agent", "agent-demo")

    error(client.get("/api/analytics"), 403, "manager_only")
    error(client.get("/api/analytics/charts/job-rates.svg"), 403, "manager_only")


def test_that_signing_out_ends_a_managers_access(client: TestClient) -> None:
    sign_in(client, "manager", "manager-demo")
    assert client.get("/api/analytics").status_code == 200

    client.post("/api/staff/logout")

    error(client.get("/api/analytics"), 401, "staff_login_required")


def test_that_a_manager_reads_the_figures_of_the_log(
    client: TestClient, shop: Store, clock: Clock
) -> None:
    total = a_day_of_conversations(shop, clock)
    sign_in(client, "manager", "manager-demo")

    response = client.get("/api/analytics?start=2026-11-20&end=2026-11-20")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["start"], body["end"], body["timezone"]) == ("2026-11-20", "2026-11-20", "UTC")
    t = body["totals"]
    assert (t["conversations"], t["resolved"], t["handed_off"], t["converted"]) == (3, 1, 1, 1)
    assert (
        t["resolution_rate"] == pytest.approx(1 / 3) and t["handoff_rate"] == t["resolution_rate"]
    )
    assert t["revenue"][0]["amount_minor"] == total and t["revenue"][0]["currency"] == "USD"
    assert (t["prompt_tokens"], t["completion_tokens"], t["orders"]) == (120, 12, 1)
    assert t["cost_pico_usd"] == 1_500_000
    assert t["cost_usd"] == "0.0000015" and t["cost_display"] == "$0.000002"
    assert t["replies"] == 2 and t["latency_p50_seconds"] == pytest.approx(1.0)
    assert t["latency_p95_seconds"] == pytest.approx(1.225)
    assert [d["day"] for d in body["per_day"]] == ["2026-11-20"]
    assert [(j["job"], j["conversations"]) for j in body["per_job"]] == [("none", 2), ("buy", 1)]
    assert [(lang["language"], lang["conversations"]) for lang in body["per_language"]] == [
        ("en", 2),
        ("ko", 1),
    ]
    assert set(body["charts"]) == set(CHARTS)
    assert body["charts"]["day-rates"] == (
        "/api/analytics/charts/day-rates.svg?start=2026-11-20&end=2026-11-20&timezone=UTC"
    )
    assert "conversion_rate" in body["definitions"]


def test_that_the_range_defaults_to_the_last_thirty_days_in_the_asked_zone(
    client: TestClient, clock: Clock
) -> None:
    clock.now = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)
    sign_in(client, "manager", "manager-demo")

    utc = client.get("/api/analytics").json()
    seoul = client.get("/api/analytics", params={"timezone": "Asia/Seoul"}).json()

    assert (utc["start"], utc["end"], len(utc["per_day"])) == ("2026-10-22", "2026-11-20", 30)
    assert (seoul["start"], seoul["end"]) == ("2026-10-23", "2026-11-21")
    assert utc["totals"]["conversations"] == 0 and utc["totals"]["resolution_rate"] is None
    assert utc["per_job"] == [] and utc["totals"]["latency_p50_seconds"] is None
    assert utc["totals"]["cost_usd"] == "0" and utc["totals"]["revenue"][0]["amount_minor"] == 0


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("start=2026-13-01", "invalid_request", "query.start"),
        ("end=20-11-2026", "invalid_request", "query.end"),
        ("start=2026-11-20&end=2026-11-19", "invalid_date_range", None),
        ("start=2024-01-01&end=2026-11-19", "invalid_date_range", None),
        ("timezone=Mars/Olympus_Mons", "invalid_request", "timezone"),
        ("timezone=" + "A" * 65, "invalid_request", "query.timezone"),
    ],
)
def test_that_a_bad_range_is_refused_with_a_clear_422(
    client: TestClient, query: str, code: str, field: str | None
) -> None:
    sign_in(client, "manager", "manager-demo")

    for path in ("/api/analytics", "/api/analytics/charts/day-revenue.svg"):
        body = error(client.get(f"{path}?{query}"), 422, code)
        if field is not None:
            assert body["details"]["field"] == field


def test_that_every_chart_is_an_svg_drawing_of_the_range(
    client: TestClient, shop: Store, clock: Clock
) -> None:
    a_day_of_conversations(shop, clock)
    sign_in(client, "manager", "manager-demo")
    charts = client.get("/api/analytics?start=2026-11-14&end=2026-11-20").json()["charts"]

    for name, url in charts.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.text)
        assert response.headers["content-type"].startswith("image/svg+xml")
        root = ET.fromstring(response.text)
        assert root.tag == "{http://www.w3.org/2000/svg}svg", name
        # Nothing for the browser to fetch: every link points inside the drawing.
        assert not re.search(r'href="(?!#)', response.text), name
    empty = client.get("/api/analytics?start=2025-01-01&end=2025-01-01").json()["charts"]
    for name, url in empty.items():
        assert client.get(url).text.startswith("<svg"), name
    labels = client.get(charts["job-conversations"]).text
    assert ">buy<" in labels and ">none<" in labels
    assert "Nov 14" in client.get(charts["day-conversations"]).text


def test_that_an_unknown_chart_is_not_found(client: TestClient) -> None:
    sign_in(client, "manager", "manager-demo")

    body = error(client.get("/api/analytics/charts/pie.svg"), 404, "unknown_chart")
    assert "day-conversations" in body["message"]


def test_that_the_openapi_document_defines_each_figure(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/analytics"]["get"]

    for figure in ("resolution_rate", "handoff_rate", "conversion_rate", "revenue", "latency"):
        assert f"**{figure}**" in operation["description"]
    assert {"401", "403", "422"} <= set(operation["responses"])


def test_that_the_staff_pages_are_served_with_their_scripts_and_styles(client: TestClient) -> None:
    page = client.get("/analytics")
    assert page.status_code == 200 and 'data-metric="conversations"' in page.text
    console = client.get("/console")
    assert console.status_code == 200

    for html, own in ((page.text, "analytics"), (console.text, "console")):
        assets = [f"/static/staff.{kind}" for kind in ("css", "js")]
        assets += [f"/static/{own}.{kind}" for kind in ("css", "js")]
        # the shared parts first: the page's own script and styles build on them
        places = [html.index(asset) for asset in assets]
        assert places[0] < places[2] and places[1] < places[3], assets
        for asset in assets:
            assert client.get(asset).status_code == 200, asset

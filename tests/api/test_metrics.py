"""GET /metrics: Prometheus text with the requests by route template, the chat turns by job and
language with their latency and model tokens, and the human queue read from the database."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from chat_bench import ASK_FOR_A_HUMAN, Chat
from prometheus_client.parser import text_string_to_metric_families

from shopkeep.api import metrics
from shopkeep.store import Store

Make = Callable[..., Chat]
CONVERSATION = "/api/conversations/{conversation_id}"


@pytest.fixture
def chat(shop: Store, tmp_path: Path) -> Make:
    def make(*script: str, **options: bool) -> Chat:
        return Chat.open(shop, tmp_path / "data", *script, **options)

    return make


def scrape(c: Chat) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of GET /metrics, by name and labels (parsed by Prometheus' own parser)."""
    response = c.browser().get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_that_every_metric_the_module_documents_is_exposed(chat: Make) -> None:
    documented = re.findall(r"`(shopkeep_\w+)\{", metrics.__doc__ or "")
    assert len(documented) == 6
    response = chat().browser().get("/metrics")
    families = {f.name: f.type for f in text_string_to_metric_families(response.text)}
    # The parser names a counter without its _total suffix.
    exposed = {name + ("_total" if kind == "counter" else "") for name, kind in families.items()}
    assert set(documented) <= exposed


def test_that_requests_are_counted_by_route_template_method_and_status(chat: Make) -> None:
    c = chat()
    browser = c.browser()
    first, second = c.start(browser), c.start(browser)
    assert browser.get(f"/api/conversations/{first}").status_code == 200
    assert browser.get(f"/api/conversations/{second}").status_code == 200
    assert browser.get("/api/conversations/c_0000000000000000").status_code == 404
    assert browser.get("/no/such/page").status_code == 404

    samples = scrape(c)
    requests = "shopkeep_http_requests_total"
    assert value(samples, requests, method="GET", route=CONVERSATION, status="200") == 2
    assert value(samples, requests, method="GET", route=CONVERSATION, status="404") == 1
    assert value(samples, requests, method="POST", route="/api/conversations", status="201") == 2
    assert value(samples, requests, method="GET", route="unmatched", status="404") == 1
    assert not [key for key in samples if first in str(key) or second in str(key)]
    durations = "shopkeep_http_request_duration_seconds_count"
    assert value(samples, durations, method="GET", route=CONVERSATION) == 3


def test_that_turns_are_counted_by_job_and_language_with_their_latency_and_tokens(
    chat: Make,
) -> None:
    # The model rewords each reply (free wording), so every turn spends tokens.
    c = chat("Hello! How can I help you today?", "您好！有什么可以帮您？", free_wording=True)
    browser = c.browser()
    english, chinese = c.start(browser), c.start(browser)
    in_english = c.send(browser, english, "hello")
    in_chinese = c.send(browser, chinese, "你好")
    assert c.backend.remaining == 0

    samples = scrape(c)
    for turn in (in_english, in_chinese):
        labels = {"job": turn["job"] or "none", "language": turn["language"]}
        assert value(samples, "shopkeep_chat_turns_total", **labels) == 1
        assert value(samples, "shopkeep_chat_turn_duration_seconds_count", **labels) == 1
    assert {in_english["language"], in_chinese["language"]} == {"en", "zh"}
    stored = [c.shop.conversations.get(i) for i in (english, chinese)]
    prompt = sum(s.prompt_tokens for s in stored)
    completion = sum(s.completion_tokens for s in stored)
    assert prompt > 0 and completion > 0
    assert value(samples, "shopkeep_model_tokens_total", kind="prompt") == prompt
    assert value(samples, "shopkeep_model_tokens_total", kind="completion") == completion
    latency = sum(
        value(
            samples,
            "shopkeep_chat_turn_duration_seconds_sum",
            job=t["job"] or "none",
            language=t["language"],
        )
        for t in (in_english, in_chinese)
    )
    assert latency >= sum(s.wall_seconds for s in stored) > 0


def test_that_the_human_queue_is_read_from_the_database_at_each_scrape(chat: Make) -> None:
    c = chat()
    before = scrape(c)
    waiting = value(before, "shopkeep_handoff_queue", status="waiting")
    taken = value(before, "shopkeep_handoff_queue", status="taken")

    browser = c.browser()
    asked = c.start(browser)
    c.send(browser, asked, ASK_FOR_A_HUMAN)
    # Another worker's conversation, handed off without this app seeing it.
    elsewhere = c.shop.conversations.start(channel="web")
    handoff = c.shop.conversations.hand_off(elsewhere.id, reason="requested")
    queued = scrape(c)
    assert value(queued, "shopkeep_handoff_queue", status="waiting") == waiting + 2
    assert value(queued, "shopkeep_handoff_queue", status="taken") == taken

    c.shop.conversations.take(handoff.id, staff="agent")
    held = scrape(c)
    assert value(held, "shopkeep_handoff_queue", status="waiting") == waiting + 1
    assert value(held, "shopkeep_handoff_queue", status="taken") == taken + 1


def test_that_two_apps_in_one_process_count_apart(chat: Make) -> None:
    one, other = chat(), chat()
    one.start(one.browser())
    route = {"method": "POST", "route": "/api/conversations", "status": "201"}
    assert value(scrape(one), "shopkeep_http_requests_total", **route) == 1
    assert value(scrape(other), "shopkeep_http_requests_total", **route) == 0

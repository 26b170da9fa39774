"""`GET /api/knowledge/search`: the shop's policy and the passages that answer a question, for
anyone (the knowledge base holds nothing about a customer); bad input is a clear 422."""

from __future__ import annotations

from pathlib import Path

from chat_bench import Chat

from shopkeep.store import Store


def test_that_anyone_can_search_the_shops_documents(shop: Store, tmp_path: Path) -> None:
    browser = Chat.open(shop, tmp_path / "data", demo_login=False).browser()
    found = browser.get("/api/knowledge/search", params={"q": "제주도 배송 되나요?", "lang": "ko"})
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["policy"]["shipping_fee_minor"] == shop.ctx.policy.shipping_fee_minor
    assert body["passages"][0]["lang"] == "ko" and "제주" in body["passages"][0]["text"]
    nothing = browser.get("/api/knowledge/search", params={"q": "zzzz qqqq"})
    assert nothing.status_code == 200 and nothing.json()["passages"] == []


def test_that_a_bad_search_is_refused_and_says_why(shop: Store, tmp_path: Path) -> None:
    browser = Chat.open(shop, tmp_path / "data").browser()
    for params in (
        {"q": ""},
        {"q": "x" * 501},
        {"q": "ok", "lang": "english"},
        {"q": "a", "limit": 0},
    ):
        refused = browser.get("/api/knowledge/search", params=params)
        assert refused.status_code == 422, (params, refused.text)
        assert "Traceback" not in refused.text

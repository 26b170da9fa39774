"""Which language a customer writes in, and when a message carries none of its own."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopkeep.agent.jobs import LANGUAGES, Language
from shopkeep.agent.language import detect_language


@pytest.mark.parametrize(
    ("text", "previous", "expected"),
    [
        ("where is my order?", None, "en"),
        ("Where is my order?", "zh", "en"),
        ("I want to return this", "ko", "en"),
        ("我的订单到哪了", None, "zh"),
        ("我的订单到哪了", "ko", "zh"),
        ("주문 어디까지 왔어요?", None, "ko"),
        ("주문 어디까지 왔어요?", "zh", "ko"),
        ("Ceramide cream 있어요?", "en", "ko"),
        ("AirPods Pro 有货吗", "en", "zh"),
        ("订单 #W1234567 到哪了", "en", "zh"),
        ("#W1234567 취소해 주세요", "en", "ko"),
        ("韓國 서울", None, "ko"),
        ("#W1234567", "zh", "zh"),
        ("#W1234567", "ko", "ko"),
        ("#W1234567", None, "en"),
        ("siyu.wang@example.com", "zh", "zh"),
        ("10001", "ko", "ko"),
        ("ok", "zh", "zh"),
        ("OK!", "ko", "ko"),
        ("yes", "ko", "ko"),
        ("👍", "zh", "zh"),
        ("???", "ko", "ko"),
        ("WELCOME10", "zh", "zh"),
        ("Siyu Wang 10001", "zh", "zh"),
        ("Minji Kim, 04066", "ko", "ko"),
        ("Minji Kim, 04066", None, "en"),
        ("ありがとう", "ko", "ko"),
        ("ありがとう", None, "en"),
        ("注文をキャンセルしたい", "zh", "zh"),
        ("can you help me with my order", "zh", "en"),
        ("", "ko", "ko"),
    ],
)
def test_detect_language(text: str, previous: Language | None, expected: Language) -> None:
    assert detect_language(text, previous) == expected


@given(st.text(max_size=100), st.sampled_from([None, *LANGUAGES]))
def test_that_detection_always_answers_one_of_the_shops_languages(
    text: str, previous: Language | None
) -> None:
    assert detect_language(text, previous) in LANGUAGES


@given(st.from_regex(r"\A#?[WL][0-9]{7}\Z"), st.sampled_from(LANGUAGES))
def test_that_a_bare_order_id_keeps_the_conversations_language(
    order_id: str, previous: Language
) -> None:
    assert detect_language(order_id, previous) == previous

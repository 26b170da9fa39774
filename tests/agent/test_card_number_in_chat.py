"""A card number typed into the chat: the purchase goes on with the customer's saved payment
method, the log keeps only the last four digits, and the customer is told, in their language,
that the number was hidden and card details never belong in a chat."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from agent_bench import Bench

from shopkeep.agent import phrases

OLIVIA = "olivia.brown69@example.com"
CARD = "4111 1111 1111 1111"


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", f"I'd like to buy the Pebble Boom speaker in black, my card is {CARD}"),
        ("zh", f"我想买黑色的 Pebble Boom 音箱，我的卡号是 {CARD}"),
        ("ko", f"블랙 Pebble Boom 스피커를 사고 싶어요. 카드는 {CARD} 이에요"),
    ],
)
def test_that_a_typed_card_number_is_hidden_and_the_customer_told_why_in_their_language(
    bench: Callable[..., Bench], lang: str, message: str
) -> None:
    b = bench()
    (staged,) = b.chat(OLIVIA, message)
    assert staged.language == lang
    assert staged.reply.startswith(phrases.say("card_number_hidden", staged.language))
    assert staged.staged is not None and staged.staged["action"]["kind"] == "place_order"
    assert CARD not in staged.reply
    said = b.shop.conversations.messages(staged.conversation_id)
    assert [m.text for m in said if m.role == "customer"] == [message.replace(CARD, "**** 1111")]


def test_that_a_message_without_a_card_number_gets_no_warning(
    bench: Callable[..., Bench],
) -> None:
    b = bench()
    (staged,) = b.chat(OLIVIA, "I'd like to buy the Pebble Boom speaker in black")
    assert staged.staged is not None
    assert phrases.say("card_number_hidden", "en") not in staged.reply

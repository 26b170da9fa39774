"""The shopper's chat page in a real browser on a real server and model: buying, cancelling and
returning through the chat, a guest verifying first, the page in Chinese and Korean, the
keyboard alone, the phone layout and its folded cart, the sign-in bar's state, clear errors (and
blank messages refused in the page), and a staff member's reply seen live."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, expect
from web_harness import PHONE, Served, screenshot

from shopkeep.agent.extract import option_synonyms
from shopkeep.store import Database, Store
from shopkeep.store.views import CustomerView, ProductView, VariantView, localized

pytestmark = pytest.mark.slow

SEARCH = "do you have waterproof jackets?"
ORDER_ID = re.compile(r"#[WL]\d{7}")


NO_LIMIT_MS = 10**9
"""About eleven days: Playwright's assertions read a timeout of 0 as their default 5 s."""


@pytest.fixture(autouse=True)
def no_time_limits(phone: Page, desktop: Page) -> None:
    # The first turn that needs the model loads it; a wait is a wait, however long it takes.
    for page in (phone, desktop):
        page.set_default_timeout(0)
    expect.set_options(timeout=NO_LIMIT_MS)


@contextmanager
def shop(served: Served) -> Iterator[Store]:
    """The served store, read (and written) directly, as another process would."""
    store = Store(Database(served.database_url))
    try:
        yield store
    finally:
        store.close()


@dataclass(frozen=True)
class Cast:
    """Demo customers, each in one test only (the tests share the served store)."""

    buyer: CustomerView
    keyboard_user: CustomerView
    live: CustomerView
    guest_identity: CustomerView
    guest_order: str
    """An order of guest_identity's the guest asks about."""
    undoer: CustomerView
    pending: str
    """undoer's pending order (to cancel) and delivered order (to return)."""
    delivered: str
    korean: CustomerView
    korean_pending: str
    cart_holder: CustomerView
    """Has a cart filled directly in the store (the phone's folded cart)."""


@pytest.fixture(scope="module")
def cast(served: Served) -> Cast:
    with shop(served) as store:
        customers = store.customers.page(limit=100)
        # Each customer's newest retail order in each status.
        statuses = {
            c.id: {
                o.status: o.id
                for o in reversed(store.orders.history(c.id, limit=50))
                if o.kind == "retail"
            }
            for c in customers
        }
    english = [c for c in customers if c.locale == "en"]
    korean = [c for c in customers if c.locale == "ko" and "pending" in statuses[c.id]]
    undoer = next(c for c in english if {"pending", "delivered"} <= statuses[c.id].keys())
    asked = next(
        c for c in english if c is not undoer and {"processed", "delivered"} & statuses[c.id].keys()
    )
    others = [c for c in english if c not in (undoer, asked)]
    shipped = statuses[asked.id].get("processed") or statuses[asked.id]["delivered"]
    return Cast(
        buyer=others[0],
        keyboard_user=others[1],
        live=others[2],
        guest_identity=asked,
        guest_order=shipped,
        undoer=undoer,
        pending=statuses[undoer.id]["pending"],
        delivered=statuses[undoer.id]["delivered"],
        korean=korean[0],
        korean_pending=statuses[korean[0].id]["pending"],
        cart_holder=others[3],
    )


# --- what a shopper does on the page -------------------------------------------------------
# `expect` waits (without a limit) for what takes time: a sign-in, a turn, a live update. What a
# settled page shows is then read at once, so a wrong page fails instead of waiting forever.


def replies(page: Page) -> Locator:
    """The assistant's stored replies (a reply still streaming has no seq yet)."""
    return page.locator("#messages .msg[data-role=assistant][data-seq]")


def one(locator: Locator) -> Locator:
    """`locator`, which must match exactly one element now."""
    assert locator.count() == 1, f"{locator} matches {locator.count()} elements, not one"
    return locator


def sign_in(page: Page, served: Served, customer: CustomerView | None) -> None:
    page.goto(served.base_url + "/")
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    page.locator("select#customer").select_option(customer.id if customer else "")
    button = one(page.locator("button#sign-in"))
    if customer is None:
        # A new browser shops as a guest already: the button has nothing to do.
        assert button.is_disabled()
    else:
        button.click()
    expect(page.locator("#who")).to_contain_text(customer.email if customer else "guest")


def say(page: Page, text: str) -> Locator:
    """Send `text` with Enter and wait for the whole reply; the reply."""
    before = replies(page).count()
    page.locator("textarea#message").fill(text)
    page.locator("textarea#message").press("Enter")
    return answered(page, before)


def answered(page: Page, before: int) -> Locator:
    """The reply after the first `before`, once the turn has settled on the page."""
    reply = replies(page).nth(before)
    error = page.locator("#error:not([hidden])")
    expect(reply.or_(error).first).to_be_visible()
    assert error.count() == 0, f"the page shows an error: {error.inner_text()}"
    # The reply gets its seq in the same step that ends streaming and shows cart and buttons.
    assert page.locator("#messages .msg.streaming").count() == 0
    return reply


def click_and_wait(page: Page, button: Locator) -> Locator:
    before = replies(page).count()
    one(button).click()
    return answered(page, before)


def said_last(page: Page) -> str:
    """The text of the shopper's last message."""
    return page.locator("#messages .msg[data-role=customer] .text").last.inner_text()


def conversation_id(page: Page) -> str:
    found = one(page.locator("#messages")).get_attribute("data-conversation-id")
    assert found, "the page has a conversation"
    return found


def first_card(reply: Locator) -> tuple[Locator, str]:
    cards = reply.locator(".product-card")
    assert cards.count() > 0, f"the reply shows product cards: {reply.inner_text()}"
    product_id = cards.first.get_attribute("data-product-id")
    assert product_id
    return reply.locator(f'.product-card[data-product-id="{product_id}"]'), product_id


def in_stock(store: Store, product_id: str) -> tuple[ProductView, VariantView]:
    """The product and its variant with the most units left."""
    product = store.catalog.product(product_id)
    variant = max(
        (v for v in product.variants if v.in_stock), key=lambda v: v.stock or 0, default=None
    )
    assert variant is not None, f"{product_id} has a variant in stock"
    return product, variant


def placed_order(reply: Locator) -> str:
    found = ORDER_ID.search(reply.inner_text())
    assert found, f"the reply names the order: {reply.inner_text()}"
    return found.group(0)


def shown(page: Page, selector: str) -> bool:
    return one(page.locator(selector)).is_visible()


# --- the tests -----------------------------------------------------------------------------


def test_that_a_signed_in_shopper_buys_an_item_through_the_web_chat(
    phone: Page, served: Served, cast: Cast
) -> None:
    sign_in(phone, served, cast.buyer)
    # The reply grows piece by piece in a streaming bubble before the turn settles it.
    phone.evaluate(
        """() => {
          window.streamed = [];
          new MutationObserver(() => {
            const text = document.querySelector('#messages .msg.streaming .text');
            if (text) window.streamed.push(text.textContent.length);
          }).observe(document.querySelector('#messages'),
                     {subtree: true, childList: true, characterData: true});
        }"""
    )
    found = say(phone, SEARCH)
    whole = len(found.locator(".text").inner_text())
    partial = {n for n in phone.evaluate("window.streamed") if 0 < n < whole}
    assert len(partial) >= 2, "the reply was shown growing before it was complete"

    # Cards show the store's data: name, price, options, stock and the image letters.
    card, product_id = first_card(found)
    with shop(served) as store:
        product, variant = in_stock(store, product_id)
    name = localized(product.name, "en")
    assert one(card.locator("h3")).inner_text() == name
    assert product.price_range is not None
    assert product.price_range[0].display() in one(card.locator(".price")).inner_text()
    options = one(card.locator(".options").first).inner_text()
    assert all(value in options for value in variant.options.values()), options
    counted = [v.stock for v in product.variants if v.available]
    units = sum(n or 0 for n in counted)
    stock = "In stock" if None in counted else f"{units} in stock"
    assert one(card.locator(".stock")).inner_text() == stock
    assert re.fullmatch(r"\w{1,2}", one(card.locator(".thumb")).inner_text())
    screenshot(phone, "chat-phone-cards")

    # Add it from its card, name the options, and see it in the cart.
    asked = click_and_wait(phone, card.get_by_role("button", name=f"Add {name} to the cart"))
    assert name in asked.inner_text()
    added = say(phone, ", ".join(variant.options.values()))
    assert "cart" in added.inner_text()
    # On a phone the cart is a summary line; opened, it lists the lines.
    line = one(phone.locator(f'#cart .cart-line[data-variant-id="{variant.id}"]'))
    assert not line.is_visible()
    one(phone.locator("button#cart-toggle")).click()
    assert line.is_visible()
    assert name in line.inner_text() and variant.price.display() in line.inner_text()
    subtotal = one(phone.locator("#cart-subtotal")).inner_text()
    assert subtotal and subtotal in one(phone.locator("button#cart-toggle")).inner_text()

    # Checkout is staged; the order is placed only on the confirm button.
    staged = say(phone, "checkout")
    assert variant.price.display() in staged.inner_text()
    assert shown(phone, "#staged")
    with shop(served) as store:
        before = {o.id for o in store.orders.history(cast.buyer.id, limit=100)}
    screenshot(phone, "chat-phone-staged")
    done = click_and_wait(phone, phone.locator("#staged button#confirm"))
    assert said_last(phone) == "yes"
    assert not shown(phone, "#staged")
    order_id = placed_order(done)
    with shop(served) as store:
        assert order_id not in before
        order = store.orders.get(cast.buyer.id, order_id)
        assert order.status == "pending"
        assert variant.id in [item.variant_id for item in order.items]
        assert conversation_id(phone) in [
            c.id for c in store.conversations.for_customer(cast.buyer.id) if order_id in c.order_ids
        ]
    assert phone.locator("#cart .cart-line").count() == 0
    screenshot(phone, "chat-phone")


def test_that_a_shopper_cancels_an_order_and_returns_a_delivered_order_through_the_page(
    desktop: Page, served: Served, cast: Cast
) -> None:
    sign_in(desktop, served, cast.undoer)

    staged = say(desktop, f"please cancel order {cast.pending}")
    assert cast.pending in staged.inner_text()
    assert shown(desktop, "#staged")
    with shop(served) as store:
        assert store.orders.get(cast.undoer.id, cast.pending).status == "pending"
    done = click_and_wait(desktop, desktop.locator("button#confirm"))
    assert "cancelled" in done.inner_text()
    with shop(served) as store:
        assert store.orders.get(cast.undoer.id, cast.pending).status == "cancelled"

    staged = say(desktop, f"I want to return order {cast.delivered}")
    assert cast.delivered in staged.inner_text()
    assert shown(desktop, "#staged")
    done = click_and_wait(desktop, desktop.locator("button#confirm"))
    assert "return" in done.inner_text()
    with shop(served) as store:
        order = store.orders.get(cast.undoer.id, cast.delivered)
        assert order.status == "return requested"
        assert order.return_request is not None
    screenshot(desktop, "chat-desktop-cancel-and-return")


def test_that_a_declined_action_changes_nothing(desktop: Page, served: Served, cast: Cast) -> None:
    sign_in(desktop, served, cast.korean)
    staged = say(desktop, f"주문 {cast.korean_pending} 취소해 주세요")
    assert cast.korean_pending in staged.inner_text()
    assert desktop.locator("html").get_attribute("lang") == "ko"
    assert one(desktop.locator("button#decline")).inner_text() == "아니요"
    click_and_wait(desktop, desktop.locator("button#decline"))
    assert said_last(desktop) == "아니요"
    assert not shown(desktop, "#staged")
    with shop(served) as store:
        assert store.orders.get(cast.korean.id, cast.korean_pending).status == "pending"


def test_that_a_guest_verifies_identity_in_chat_before_order_data_is_shown(
    phone: Page, served: Served, cast: Cast
) -> None:
    """The demo serves guests in code mode: the code goes to the server's log (the demo
    mailbox), which is where a demo user reads it. The picker says it is a demo login."""
    sign_in(phone, served, None)
    expect(phone.locator("label[for=customer]")).to_have_text("Demo login: shop as")
    with shop(served) as store:
        order = store.orders.get(cast.guest_identity.id, cast.guest_order)
    items = [item.name for item in order.items]

    asked = say(phone, f"where is my order {cast.guest_order}?").inner_text()
    assert "email" in asked
    assert not any(item in asked for item in items), asked
    assert phone.locator("#cart .cart-line").count() == 0

    offered = say(phone, cast.guest_identity.email).inner_text()
    assert "one-time code" in offered
    assert not any(item in offered for item in items), offered
    code = re.findall(r"DEMO MAILBOX .* code (\d{6})", served.log.read_text())[-1]
    told = say(phone, code).inner_text()
    assert "verified" in told
    assert cast.guest_order in told
    assert all(item in told for item in items), told


def test_that_a_chinese_speaking_shopper_gets_the_page_in_chinese(
    phone: Page, served: Served
) -> None:
    sign_in(phone, served, None)
    phone.locator("select#language").select_option("zh")
    assert phone.locator("html").get_attribute("lang") == "zh"
    assert one(phone.locator("button#send")).inner_text() == "发送"
    assert one(phone.get_by_label("你的消息")).get_attribute("id") == "message"
    assert one(phone.locator("#status")).inner_text() == "正在与商店助手聊天"

    found = say(phone, "有防水夹克吗？")
    assert re.search(r"[\u4e00-\u9fff]{4}", found.locator(".text").inner_text())
    card, product_id = first_card(found)
    with shop(served) as store:
        product = store.catalog.product(product_id)
    assert one(card.locator("h3")).inner_text() == localized(product.name, "zh")
    assert one(card.get_by_role("button")).inner_text() == "加入购物车"
    assert phone.locator("html").get_attribute("lang") == "zh"
    screenshot(phone, "chat-zh")


def test_that_a_korean_speaking_shopper_gets_the_page_in_korean_and_confirms_in_korean(
    phone: Page, served: Served, cast: Cast
) -> None:
    sign_in(phone, served, cast.korean)
    # The shop knows the customer's language: the page speaks it from the start.
    assert phone.locator("html").get_attribute("lang") == "ko"
    assert one(phone.locator("button#send")).inner_text() == "보내기"
    assert phone.locator("select#language").input_value() == "ko"

    found = say(phone, "방수 재킷 있어요?")
    card, product_id = first_card(found)
    with shop(served) as store:
        product, variant = in_stock(store, product_id)
    assert one(card.locator("h3")).inner_text() == localized(product.name, "ko")
    wanted = " ".join(option_synonyms(v)["ko"] for v in variant.options.values())
    staged = say(phone, f"첫 번째 걸로 {wanted} 살게요")
    assert variant.price.display() in staged.inner_text()
    assert one(phone.locator("button#confirm")).inner_text() == "네, 진행해 주세요"
    screenshot(phone, "chat-ko")
    done = click_and_wait(phone, phone.locator("button#confirm"))
    assert said_last(phone) == "네"
    order_id = placed_order(done)
    with shop(served) as store:
        order = store.orders.get(cast.korean.id, order_id)
        assert variant.id in [item.variant_id for item in order.items]


def tab_to(page: Page, selector: str, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until `selector` has the focus."""
    for _ in range(80):
        if page.evaluate("s => !!document.activeElement?.matches(s)", selector):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"the keyboard never reaches {selector}")


def focused(page: Page) -> str:
    return str(page.evaluate("document.activeElement.id"))


def focus_is_visible(page: Page) -> bool:
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth]; }"
    )
    return bool(style[0] != "none" and style[1] != "0px")


def test_that_everything_works_with_the_keyboard_alone(
    desktop: Page, served: Served, cast: Cast
) -> None:
    page, keys = desktop, desktop.keyboard
    page.goto(served.base_url + "/")
    expect(page.locator("body[data-ready=true]")).to_be_attached()

    tab_to(page, "select#customer")
    assert focus_is_visible(page)
    for _ in range(100):
        if page.locator("select#customer").input_value() == cast.keyboard_user.id:
            break
        keys.press("ArrowDown")
    assert page.locator("select#customer").input_value() == cast.keyboard_user.id
    tab_to(page, "button#sign-in")
    assert focus_is_visible(page)
    keys.press("Enter")
    expect(page.locator("#who")).to_contain_text(cast.keyboard_user.email)
    # the focus moves to the message box once the customer's conversation is open
    expect(page.locator("#message")).to_be_focused()

    # Shift+Enter is a new line, not a message.
    keys.type("first line")
    keys.press("Shift+Enter")
    keys.type("second line")
    assert page.locator("textarea#message").input_value() == "first line\nsecond line"
    assert page.locator("#messages .msg").count() == 0
    keys.press("Control+A")
    keys.press("Backspace")

    keys.type(SEARCH)
    keys.press("Enter")
    _, product_id = first_card(answered(page, 0))
    with shop(served) as store:
        _, variant = in_stock(store, product_id)

    # Back from the message box to the card's button, and Enter adds it.
    tab_to(page, f'.product-card[data-product-id="{product_id}"] button', backwards=True)
    assert focus_is_visible(page)
    keys.press("Enter")
    answered(page, 1)
    tab_to(page, "textarea#message")
    keys.type(", ".join(variant.options.values()))
    keys.press("Enter")
    answered(page, 2)
    assert shown(page, f'#cart .cart-line[data-variant-id="{variant.id}"]')
    keys.type("checkout")
    keys.press("Enter")
    answered(page, 3)

    tab_to(page, "button#confirm", backwards=True)
    assert focus_is_visible(page)
    screenshot(page, "chat-keyboard-confirm")
    keys.press("Enter")
    done = answered(page, 4)
    # The buttons are gone: the focus is back in the message box, not lost.
    assert focused(page) == "message"
    order_id = placed_order(done)
    with shop(served) as store:
        assert store.orders.get(cast.keyboard_user.id, order_id).status == "pending"


def test_that_the_phone_layout_shows_the_composer_and_cards_without_horizontal_scrolling(
    phone: Page, served: Served
) -> None:
    sign_in(phone, served, None)
    cards = say(phone, SEARCH).locator(".product-card")
    assert cards.count() > 0
    width, height = PHONE["width"], PHONE["height"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= width
    assert phone.evaluate("document.body.scrollWidth") <= width
    for i in range(cards.count()):
        cards.nth(i).scroll_into_view_if_needed()
        box = cards.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    # The composer stays on the screen while the conversation scrolls.
    for control in ("textarea#message", "button#send"):
        box = one(phone.locator(control)).bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert box["y"] >= 0 and box["y"] + box["height"] <= height
    screenshot(phone, "chat-phone-layout")


def test_that_a_message_too_long_is_refused_with_a_clear_error_and_nothing_stored(
    desktop: Page, served: Served
) -> None:
    sign_in(desktop, served, None)
    box, count = desktop.locator("textarea#message"), desktop.locator("#message-count")
    # Near the limit the page counts; it does not refuse: the server's refusal is the rule.
    box.fill("a" * 3990)
    assert one(count).inner_text() == "3990 / 4000 characters"
    assert box.get_attribute("aria-invalid") is None
    too_long = "a" * 4001
    box.fill(too_long)
    assert one(count).inner_text() == "4001 / 4000 characters: 1 too many"
    assert box.get_attribute("aria-invalid") == "true"
    desktop.locator("button#send").click()
    expect(desktop.get_by_role("alert")).to_be_visible()
    error = one(desktop.get_by_role("alert")).inner_text()
    assert "too long" in error and "4000" in error, error
    assert box.input_value() == too_long
    assert desktop.locator("#messages .msg").count() == 0
    with shop(served) as store:
        assert store.conversations.messages(conversation_id(desktop)) == []
    screenshot(desktop, "chat-error")

    # A blank message next is refused in the page, and its error replaces the stale one.
    sent: list[str] = []
    desktop.on("request", lambda request: sent.append(f"{request.method} {request.url}"))
    box.fill("  \n ")
    assert not count.is_visible()
    desktop.locator("button#send").click()
    error = one(desktop.get_by_role("alert")).inner_text()
    assert error == "Type a message first: a blank message is not sent.", error
    assert not [r for r in sent if r.startswith("POST")], sent
    box.fill("h")
    assert not desktop.locator("#error").is_visible()

    # The page goes on: a message of a fitting length is answered and no error is left.
    say(desktop, "hello")
    assert not desktop.locator("#error").is_visible()


def test_that_a_blank_message_is_refused_in_the_page_in_the_shopper_s_language(
    phone: Page, served: Served
) -> None:
    sign_in(phone, served, None)
    phone.locator("select#language").select_option("ko")
    sent: list[str] = []
    phone.on("request", lambda request: sent.append(f"{request.method} {request.url}"))
    phone.locator("textarea#message").press("Enter")
    error = one(phone.get_by_role("alert")).inner_text()
    assert error == "먼저 메시지를 입력하세요. 빈 메시지는 보내지 않습니다.", error
    phone.locator("select#language").select_option("zh")
    phone.locator("button#send").click()
    error = one(phone.get_by_role("alert")).inner_text()
    assert error == "请先输入消息：空白消息不会发送。", error
    assert not [r for r in sent if r.startswith("POST")], sent
    assert phone.locator("#messages .msg").count() == 0


def test_that_the_sign_in_bar_shows_who_is_signed_in_in_each_language(
    desktop: Page, served: Served, cast: Cast
) -> None:
    page, button = desktop, desktop.locator("button#sign-in")
    choose = page.locator("select#customer").select_option

    def reads(label: str, *, enabled: bool) -> None:
        assert one(button).inner_text() == label
        assert button.is_enabled() == enabled

    page.goto(served.base_url + "/")
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    reads("Sign in", enabled=False)  # a guest, with "Guest" chosen
    choose(cast.buyer.id)
    reads("Sign in", enabled=True)
    button.click()
    expect(page.locator("#who")).to_contain_text(cast.buyer.email)
    reads("Signed in", enabled=False)
    screenshot(page, "chat-signed-in")
    choose(cast.live.id)
    reads("Switch", enabled=True)
    choose("")
    reads("Sign out", enabled=True)

    page.locator("select#language").select_option("zh")
    reads("退出登录", enabled=True)
    choose(cast.buyer.id)
    reads("已登录", enabled=False)
    choose(cast.live.id)
    reads("切换", enabled=True)

    page.locator("select#language").select_option("ko")
    reads("전환", enabled=True)
    choose(cast.buyer.id)
    reads("로그인됨", enabled=False)
    choose("")
    reads("로그아웃", enabled=True)
    button.click()
    expect(page.locator("#who")).to_contain_text("손님")
    reads("로그인", enabled=False)


def test_that_on_a_phone_the_cart_is_a_summary_line_that_opens_and_the_chat_keeps_the_height(
    phone: Page, served: Served, cast: Cast
) -> None:
    holder = cast.cart_holder
    with shop(served) as store:
        store.carts.clear(holder.id)
        variants = [v for p in store.catalog.everything() for v in p.variants if v.in_stock][:2]
        store.carts.add(holder.id, variants[0].id, 2)
        cart = store.carts.add(holder.id, variants[1].id, 1)
    sign_in(phone, served, holder)
    toggle = one(phone.locator("button#cart-toggle"))
    expect(toggle).to_have_text(f"Cart · 3 items · {cart.subtotal.display()}")
    assert toggle.get_attribute("aria-expanded") == "false"
    lines = phone.locator("#cart .cart-line")
    assert lines.count() == 2
    assert not lines.first.is_visible() and not phone.locator("#cart-subtotal").is_visible()

    def height(selector: str) -> float:
        box = one(phone.locator(selector)).bounding_box()
        assert box is not None
        return float(box["height"])

    # Folded, the cart is one line and the chat has most of the screen.
    assert height("#cart") < 60
    assert height("section.chat") > 0.6 * PHONE["height"]
    screenshot(phone, "chat-phone-cart-folded")

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert lines.first.is_visible() and lines.nth(1).is_visible()
    assert one(phone.locator("#cart-subtotal")).inner_text() == cart.subtotal.display()
    # Open, it takes at most 40 % of the height and the message box stays on the screen.
    assert height("#cart") <= 0.4 * PHONE["height"] + 1
    box = one(phone.locator("textarea#message")).bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"]
    screenshot(phone, "chat-phone-cart-open")

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not lines.first.is_visible()


def test_that_a_staff_member_s_reply_appears_live_and_the_conversation_resumes_after_reload(
    phone: Page, served: Served, cast: Cast
) -> None:
    sign_in(phone, served, cast.live)
    say(phone, "I want to talk to a human please")
    status = phone.locator("#status")
    assert status.get_attribute("data-status") == "waiting_human"
    assert "Waiting for a person" in status.inner_text()
    conversation = conversation_id(phone)

    with shop(served) as store:
        handoff = next(h for h in store.conversations.queue() if h.conversation_id == conversation)
        store.conversations.take(handoff.id, staff="agent")
        expect(status).to_have_attribute("data-status", "human")
        assert f"chatting with {store.staff.get('agent').display_name}" in status.inner_text()
        store.conversations.staff_reply(
            conversation, staff="agent", text="Hello, this is the shop. How can I help?"
        )
    staff = phone.locator("#messages .msg[data-role=staff]")
    expect(staff).to_have_count(1)
    assert "Hello, this is the shop." in staff.inner_text()
    screenshot(phone, "chat-phone-staff-reply")

    # A reload resumes the conversation: every message once, the status as it is.
    seqs = phone.locator("#messages .msg").evaluate_all("ms => ms.map(m => m.dataset.seq)")
    assert len(seqs) == 3 and len(set(seqs)) == 3, seqs
    phone.reload()
    expect(phone.locator("body[data-ready=true]")).to_be_attached()
    assert conversation_id(phone) == conversation
    assert phone.locator("#messages .msg").evaluate_all("ms => ms.map(m => m.dataset.seq)") == seqs
    assert status.get_attribute("data-status") == "human"

    with shop(served) as store:
        store.conversations.hand_back(handoff.id, staff="agent")
    expect(status).to_have_attribute("data-status", "active")

"""Small talk, requests outside the shop, and questions about coupons and campaigns."""

from __future__ import annotations

import re

from shopkeep.agent import phrases, render
from shopkeep.agent.flows.base import Flow, Step, Turn
from shopkeep.agent.flows.catalog import CATEGORY_NAMES
from shopkeep.agent.jobs import Language
from shopkeep.agent.state import Frame
from shopkeep.store.errors import CouponNotFound
from shopkeep.store.money import Money
from shopkeep.store.views import CampaignView, CouponView, localized

phrases.register(
    {
        "promotions": {
            "en": "Coupons you can use now:\n{coupons}\nRunning campaigns:\n{campaigns}",
            "zh": "目前可用的优惠券：\n{coupons}\n进行中的活动：\n{campaigns}",
            "ko": "지금 사용할 수 있는 쿠폰:\n{coupons}\n진행 중인 이벤트:\n{campaigns}",
        },
        "coupon_one": {
            "en": "Coupon {line}",
            "zh": "优惠券 {line}",
            "ko": "쿠폰 {line}",
        },
        "welcome_back": {
            "en": "Welcome back, {name}! Your latest order {order_id} is {status}.",
            "zh": "{name}，欢迎回来！您最近的订单 {order_id} {status}。",
            "ko": "{name}님, 다시 오셨네요! 최근 주문 {order_id}은(는) {status} 상태예요.",
        },
        "none_running": {"en": "(none)", "zh": "（暂无）", "ko": "(없음)"},
        "coupon_usable": {
            "en": "You can use it now.",
            "zh": "现在可以使用。",
            "ko": "지금 사용하실 수 있어요.",
        },
        "coupon_usable_until": {
            "en": "You can use it now, until {until}.",
            "zh": "现在可以使用，有效期至 {until}。",
            "ko": "지금 사용하실 수 있어요({until}까지).",
        },
        "coupon_expired": {
            "en": "It expired on {until}, so it can't be used any more.",
            "zh": "它已于 {until} 过期，现在不能再使用了。",
            "ko": "{until}에 만료되어 지금은 사용할 수 없어요.",
        },
        "coupon_not_started": {
            "en": "It isn't valid yet: it can be used from {start}.",
            "zh": "它还未生效：从 {start} 起可以使用。",
            "ko": "아직 사용 기간이 아니에요. {start}부터 사용할 수 있어요.",
        },
        "coupon_below_min_spend": {
            "en": "Your cart ({subtotal}) is below its minimum spend of {min_spend}, so it "
            "doesn't apply yet.",
            "zh": "您的购物车（{subtotal}）未达到最低消费 {min_spend}，暂时不能使用。",
            "ko": "장바구니 금액({subtotal})이 최소 주문 금액 {min_spend}에 못 미쳐서 아직 "
            "적용되지 않아요.",
        },
        "coupon_used_up_by_you": {
            "en": "You've already used it {used} time(s), the most it allows per customer.",
            "zh": "您已经使用过 {used} 次，已达到每位顾客的使用上限。",
            "ko": "이미 {used}번 사용하셔서 1인당 사용 한도에 도달했어요.",
        },
        "coupon_fully_redeemed": {
            "en": "It has been fully redeemed, so it can't be used any more.",
            "zh": "它已经被领完/用完了，现在不能再使用。",
            "ko": "사용 한도가 모두 소진되어 지금은 사용할 수 없어요.",
        },
        "coupon_not_offered": {
            "en": "It isn't offered at the moment, so it can't be used now.",
            "zh": "它目前没有开放，现在不能使用。",
            "ko": "지금은 제공되지 않는 쿠폰이라 사용할 수 없어요.",
        },
        "coupon_unknown": {
            "en": "There is no coupon {code}.",
            "zh": "没有优惠券 {code}。",
            "ko": "{code} 쿠폰은 없어요.",
        },
    }
)

THANKS = re.compile(r"thank|thx|谢谢|多谢|感谢|감사|고마워|고맙", re.IGNORECASE)


class SmallTalkFlow(Flow):
    job = "smalltalk"
    needs_identity = False

    def run(self, t: Turn, frame: Frame) -> Step:
        if THANKS.search(t.text):
            t.say("thanks")
            return "done"
        if t.tools.verified and t.state.turn <= 2:
            # A returning customer: greet them by name with where their latest order stands.
            customer = t.tools.customer()
            latest = t.tools.orders(limit=1)
            if latest:
                t.say(
                    "welcome_back",
                    name=customer.first_name,
                    order_id=latest[0].id,
                    status=render.status(latest[0].status, t.lang),
                )
        t.say("greeting")
        return "done"


class OutOfScopeFlow(Flow):
    job = "out_of_scope"
    needs_identity = False

    def run(self, t: Turn, frame: Frame) -> Step:
        t.say("out_of_scope")
        return "done"


def coupon_line(c: CouponView, lang: Language) -> str:
    value = (
        f"{c.value}%" if c.kind == "percent" else render.money(Money(c.value, c.min_spend.currency))
    )
    words = {
        "en": f"{c.code}: {value} off",
        "zh": f"{c.code}：优惠 {value}",
        "ko": f"{c.code}: {value} 할인",
    }[lang]
    if c.min_spend.amount:
        spend = render.money(c.min_spend)
        words += {
            "en": f", minimum spend {spend}",
            "zh": f"，满 {spend} 可用",
            "ko": f", 최소 주문 {spend}",
        }[lang]
    title = localized(c.title, lang)
    return f"{words} — {title}" if title else words


def campaign_line(c: CampaignView, lang: Language) -> str:
    value = (
        f"{c.value}%" if c.kind == "percent" else render.money(Money(c.value, c.budget.currency))
    )
    name = localized(c.name, lang)
    left = render.money(c.remaining)
    line = {
        "en": f"{name}: {value} off",
        "zh": f"{name}：立减 {value}",
        "ko": f"{name}: {value} 할인",
    }[lang]
    if c.max_subsidy is not None:
        cap = render.money(c.max_subsidy)
        line += {
            "en": f" (up to {cap} per order)",
            "zh": f"（每单最多 {cap}）",
            "ko": f"(주문당 최대 {cap})",
        }[lang]
    if c.min_spend.amount:
        spend = render.money(c.min_spend)
        line += {
            "en": f", minimum spend {spend}",
            "zh": f"，满 {spend} 可用",
            "ko": f", 최소 주문 {spend}",
        }[lang]
    if c.categories:
        line += {"en": " on ", "zh": "，适用于", "ko": ", 대상: "}[lang] + ", ".join(
            CATEGORY_NAMES.get(k, {}).get(lang, k) for k in c.categories
        )
    return (
        line
        + {
            "en": f"; budget left {left}",
            "zh": f"；剩余预算 {left}",
            "ko": f"; 남은 예산 {left}",
        }[lang]
    )


def standing_line(t: Turn, code: str) -> None:
    """Whether the coupon can be used now, from the store's own checks: for this customer once
    verified, against their cart when it holds something."""
    customer_id = t.tools.state.customer_id
    subtotal = None
    if customer_id is not None:
        cart = t.tools.store.carts.get(customer_id)
        subtotal = cart.subtotal.amount if cart.lines else None
    standing = t.tools.store.promotions.standing(code, customer_id=customer_id, subtotal=subtotal)
    c, facts = standing.coupon, standing.details
    if standing.usable:
        t.say(
            "coupon_usable" if c.valid_until is None else "coupon_usable_until",
            until=render.day(c.valid_until, t.lang) if c.valid_until else "",
        )
    elif standing.reason == "expired" and c.valid_until is not None:
        t.say("coupon_expired", until=render.day(c.valid_until, t.lang))
    elif standing.reason == "not_started" and c.valid_from is not None:
        t.say("coupon_not_started", start=render.day(c.valid_from, t.lang))
    elif standing.reason == "min_spend_not_met":
        currency = c.min_spend.currency
        t.say(
            "coupon_below_min_spend",
            subtotal=render.money(Money(facts["subtotal"], currency)),
            min_spend=render.money(c.min_spend),
        )
    elif standing.reason == "customer_limit_reached":
        t.say("coupon_used_up_by_you", used=facts.get("used", c.per_customer_limit))
    elif standing.reason == "usage_limit_reached":
        t.say("coupon_fully_redeemed")
    else:
        t.say("coupon_not_offered")


class PromotionsFlow(Flow):
    job = "promotions"
    needs_identity = False

    def run(self, t: Turn, frame: Frame) -> Step:
        promotions = t.tools.store.promotions
        if t.x.coupon_codes:
            for code in t.x.coupon_codes:
                try:
                    coupon = promotions.coupon(code)
                except CouponNotFound:
                    t.say("coupon_unknown", code=code)
                    continue
                t.say("coupon_one", line=coupon_line(coupon, t.lang))
                standing_line(t, code)
            return "done"
        none = phrases.say("none_running", t.lang)
        coupons = "\n".join(f"- {coupon_line(c, t.lang)}" for c in promotions.coupons()) or none
        campaigns = (
            "\n".join(f"- {campaign_line(c, t.lang)}" for c in promotions.campaigns()) or none
        )
        t.say("promotions", coupons=coupons, campaigns=campaigns)
        return "done"

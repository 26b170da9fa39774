"""Reply templates per language. Each flow module registers its own; a reply is a template
filled with store data, so what the customer reads is grounded in the store, never invented."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shopkeep.agent.jobs import LANGUAGES, Language

Templates = Mapping[str, Mapping[Language, str]]

_BOOK: dict[str, Mapping[Language, str]] = {}


def register(templates: Templates) -> None:
    """Add a module's templates; every key needs all three languages and a unique name."""
    for key, by_lang in templates.items():
        missing = [lang for lang in LANGUAGES if lang not in by_lang]
        if missing:
            raise ValueError(f"template {key!r} lacks {', '.join(missing)}")
        if key in _BOOK and _BOOK[key] != by_lang:
            raise ValueError(f"template {key!r} is registered twice")
        _BOOK[key] = by_lang


def say(key: str, lang: Language, /, **fields: Any) -> str:
    return _BOOK[key][lang].format(**fields)


def every_text() -> list[str]:
    """Every template in every language, as written (for checks that a reply says nothing
    beyond the shop's own words and data)."""
    return [text for by_lang in _BOOK.values() for text in by_lang.values()]


def has(key: str) -> bool:
    return key in _BOOK


register(
    {
        "greeting": {
            "en": "Hello! I can help you find products, buy, track, cancel or change orders, "
            "return or exchange items, order bubble tea or food from nearby stores, and tell "
            "you about coupons and campaigns. What can I do for you?",
            "zh": "您好！我可以帮您找商品、下单、查询/取消/修改订单、退货换货、从附近门店点奶茶"
            "和餐食，也可以介绍优惠券和活动。请问需要什么帮助？",
            "ko": "안녕하세요! 상품 찾기, 구매, 주문 조회·취소·변경, 반품·교환, "
            "근처 매장의 버블티와 "
            "음식 주문, 쿠폰과 이벤트 안내를 도와드려요. 무엇을 도와드릴까요?",
        },
        "thanks": {
            "en": "You're welcome! Anything else I can help with?",
            "zh": "不客气！还有什么可以帮您的吗？",
            "ko": "천만에요! 더 도와드릴 일이 있을까요?",
        },
        "out_of_scope": {
            "en": "Sorry, I can't help with that here. I can help with products, orders, "
            "returns, food orders from nearby stores, coupons and campaigns.",
            "zh": "抱歉，这个我帮不上忙。"
            "我可以帮您处理商品、订单、退换货、附近门店点餐、优惠券和活动。",
            "ko": "죄송하지만 그건 도와드릴 수 없어요. 상품, 주문, 반품·교환, 근처 매장 음식 주문, "
            "쿠폰과 이벤트는 도와드릴 수 있어요.",
        },
        "not_understood": {
            "en": "Sorry, I didn't understand. Could you say it another way? For example: "
            '"where is my order #W1234567" or "I want to return an item".',
            "zh": "抱歉，我没听懂。能换个说法吗？例如：“我的订单#W1234567到哪了”或“我想退货”。",
            "ko": "죄송해요, 잘 이해하지 못했어요. 다르게 말씀해 주시겠어요? 예: "
            '"#W1234567 주문 어디까지 왔어요" 또는 "반품하고 싶어요".',
        },
        "card_number_hidden": {
            "en": "For your safety I've hidden the card number you typed: please never send "
            "card details in a chat. Orders here are paid with the payment methods saved on "
            "your account.",
            "zh": "为了您的安全，我已隐藏您输入的卡号：请不要在聊天中发送银行卡信息。"
            "这里的订单使用您账户中保存的支付方式付款。",
            "ko": "안전을 위해 입력하신 카드 번호는 가렸어요. 채팅으로 카드 정보를 보내지 "
            "마세요. 여기서 주문은 계정에 저장된 결제 수단으로 결제돼요.",
        },
        "handoff": {
            "en": "I've passed our conversation to a human colleague, with a summary so you "
            "don't have to repeat yourself. Someone will reply here shortly.",
            "zh": "我已将对话转给人工客服，并附上了摘要，您无需重复说明。"
            "稍后会有同事在这里回复您。",
            "ko": "상담 내용을 요약해서 상담원에게 연결해 드렸어요. 다시 설명하지 않으셔도 돼요. "
            "곧 이곳에서 답변드릴 거예요.",
        },
        "handoff_misunderstood": {
            "en": "I'm sorry I keep missing what you need. I've passed our conversation to a "
            "human colleague with a summary; someone will reply here shortly.",
            "zh": "抱歉一直没能理解您的需求。我已将对话连同摘要转给人工客服，"
            "稍后会有同事在这里回复您。",
            "ko": "계속 제대로 이해하지 못해 죄송해요. 요약과 함께 상담원에게 연결해 드렸어요. "
            "곧 이곳에서 답변드릴 거예요.",
        },
        "interrupted_placed": {
            "en": "Before we were interrupted, your order {order_id} went through: it is placed "
            "and paid once. Nothing more will be charged.",
            "zh": "在中断之前，您的订单 {order_id} 已成功下单并只扣款一次，不会再次扣款。",
            "ko": "중단되기 전에 주문 {order_id}이(가) 완료됐어요. 결제는 한 번만 됐고 더 "
            "청구되지 않아요.",
        },
        "interrupted_not_charged": {
            "en": "We were interrupted while paying for order {order_id}: the payment did not go "
            "through and nothing was charged. Tell me if you'd like to try again.",
            "zh": "支付订单 {order_id} 时发生中断：付款未成功，没有扣款。如需重试请告诉我。",
            "ko": "주문 {order_id} 결제 중에 중단됐어요. 결제는 되지 않았고 청구된 금액은 "
            "없어요. 다시 시도하시려면 말씀해 주세요.",
        },
        "state_unreadable": {
            "en": "Sorry, this conversation was saved by an earlier version of the shop's "
            "assistant and can't be continued. Nothing in your account was changed, and nothing "
            "waiting for your confirmation was carried out. Please start a new conversation.",
            "zh": "抱歉，这段对话由旧版本的购物助手保存，无法继续。"
            "您的账户没有任何改动，等待您确认的操作也没有执行。请开始新的对话。",
            "ko": "죄송해요. 이 대화는 이전 버전의 쇼핑 도우미가 저장한 것이라 "
            "이어서 진행할 수 없어요. 계정에는 아무것도 변경되지 않았고, "
            "확인을 기다리던 작업도 실행되지 않았어요. 새 대화를 시작해 주세요.",
        },
        "waiting_human": {
            "en": "Your conversation is waiting for a human colleague, who will reply here as "
            "soon as they are free. Your messages are kept for them.",
            "zh": "您的对话正在等待人工客服，客服有空时会在这里回复您。您的消息都会转给客服。",
            "ko": "상담원 연결을 기다리고 있어요. 상담원이 곧 이곳에서 답변드릴 거예요. "
            "보내신 메시지는 상담원에게 전달돼요.",
        },
        "verify_ask": {
            "en": "To look at your account I first need to confirm who you are: please give "
            "me your email address, or your first name, last name and zip code.",
            "zh": "查看您的账户前需要先确认身份：请提供您的邮箱，或您的姓名和邮编。",
            "ko": "계정을 확인하려면 먼저 본인 확인이 필요해요. 이메일 주소, 또는 이름과 성, "
            "우편번호를 알려 주세요.",
        },
        "verify_failed": {
            "en": "I couldn't find an account with those details. Please check your email, "
            "or your first name, last name and zip code.",
            "zh": "没有找到与这些信息匹配的账户。请核对您的邮箱，或姓名和邮编。",
            "ko": "입력하신 정보와 일치하는 계정을 찾지 못했어요. 이메일 또는 이름, 성, "
            "우편번호를 다시 확인해 주세요.",
        },
        "verify_ask_code": {
            "en": "To look at your account I first need to confirm who you are: please give "
            "me the email address of your account, and I'll send a one-time code to it.",
            "zh": "查看您的账户前需要先确认身份："
            "请提供您账户的邮箱，我会向该邮箱发送一次性验证码。",
            "ko": "계정을 확인하려면 먼저 본인 확인이 필요해요. 계정의 이메일 주소를 알려 "
            "주시면 그 주소로 일회용 코드를 보내 드릴게요.",
        },
        "verify_ask_signed": {
            "en": "To look at your account, please sign in on the shop's website and open "
            "the chat from there. Meanwhile I can help you find products and answer questions.",
            "zh": "如需查看您的账户，请先在商店网站登录，再从网站打开聊天。"
            "在此之前，我可以帮您找商品、回答问题。",
            "ko": "계정을 확인하려면 상점 웹사이트에서 로그인한 뒤 그곳에서 채팅을 열어 "
            "주세요. 그동안 상품 찾기와 질문 답변은 도와드릴 수 있어요.",
        },
        "sign_in_needed": {
            "en": "For your safety, an email address or a name and zip code is not enough to "
            "open an account here. Please sign in on the shop's website and open the chat "
            "from there; I can still help you find products and answer questions.",
            "zh": "为了您的安全，仅凭邮箱或姓名和邮编无法在这里查看账户。"
            "请先在商店网站登录，再从网站打开聊天；我仍然可以帮您找商品、回答问题。",
            "ko": "안전을 위해 이메일 주소나 이름과 우편번호만으로는 계정을 열 수 없어요. "
            "상점 웹사이트에서 로그인한 뒤 그곳에서 채팅을 열어 주세요. 상품 찾기와 질문 "
            "답변은 계속 도와드릴 수 있어요.",
        },
        "code_sent": {
            "en": "If that email belongs to an account here, I've just sent a one-time code "
            "to it. Please type the 6-digit code here.",
            "zh": "如果该邮箱属于本店的账户，我刚刚已向其发送一次性验证码。"
            "请在这里输入 6 位验证码。",
            "ko": "그 이메일이 이곳 계정의 주소라면 방금 일회용 코드를 보냈어요. 6자리 코드를 "
            "여기에 입력해 주세요.",
        },
        "code_limited": {
            "en": "Too many codes were asked for this account in the last hour. Please use "
            "the last code you received, or try again later.",
            "zh": "过去一小时内为该账户申请的验证码过多。请使用您最后收到的验证码，或稍后再试。",
            "ko": "지난 한 시간 동안 이 계정에 코드 요청이 너무 많았어요. 마지막으로 받은 "
            "코드를 쓰시거나 나중에 다시 시도해 주세요.",
        },
        "code_unavailable": {
            "en": "Sorry, I can't send a code right now. Please sign in on the shop's website, "
            "or try again later.",
            "zh": "抱歉，现在无法发送验证码。请在商店网站登录，或稍后再试。",
            "ko": "죄송해요, 지금은 코드를 보낼 수 없어요. 상점 웹사이트에서 로그인하시거나 "
            "나중에 다시 시도해 주세요.",
        },
        "code_needs_email": {
            "en": "For your safety, a name and zip code are not enough here. Please give me "
            "the email address of your account, and I'll send a one-time code to it.",
            "zh": "为了您的安全，仅凭姓名和邮编是不够的。"
            "请提供您账户的邮箱，我会向该邮箱发送一次性验证码。",
            "ko": "안전을 위해 이름과 우편번호만으로는 부족해요. 계정의 이메일 주소를 알려 "
            "주시면 일회용 코드를 보내 드릴게요.",
        },
        "code_wrong": {
            "en": "That code isn't right, or it has expired. Please check the latest mail and "
            "type its code, or give me your email again for a new one.",
            "zh": "验证码不正确或已过期。请查看最新的邮件并输入其中的验证码，"
            "或再次提供邮箱获取新验证码。",
            "ko": "코드가 맞지 않거나 만료됐어요. 가장 최근 메일의 코드를 입력하시거나, 새 "
            "코드를 받으려면 이메일을 다시 알려 주세요.",
        },
        "code_locked": {
            "en": "There have been too many wrong codes, so codes are paused for a while. "
            "Please try again later, or sign in on the shop's website.",
            "zh": "错误的验证码次数过多，验证暂时停止。请稍后再试，或在商店网站登录。",
            "ko": "잘못된 코드가 너무 많이 입력되어 잠시 코드 확인을 멈췄어요. 나중에 다시 "
            "시도하시거나 상점 웹사이트에서 로그인해 주세요.",
        },
        "verified": {
            "en": "Thank you, {name}, you're verified.",
            "zh": "谢谢，{name}，身份已确认。",
            "ko": "감사합니다, {name}님. 본인 확인이 되었어요.",
        },
        "asked_again": {
            "en": "Sorry, I still need this before I can go on:",
            "zh": "抱歉，还需要您确认这一点我才能继续：",
            "ko": "죄송해요, 계속하려면 이것부터 알려 주셔야 해요:",
        },
        "how_can_i_help": {
            "en": "What can I do for you?",
            "zh": "请问有什么可以帮您？",
            "ko": "무엇을 도와드릴까요?",
        },
        "confirm_ask": {
            "en": "Shall I go ahead? Please answer yes or no.",
            "zh": "确认执行吗？请回复“是”或“否”。",
            "ko": "진행할까요? 네 또는 아니요로 답해 주세요.",
        },
        "declined": {
            "en": "Okay, I haven't done anything. Is there anything else?",
            "zh": "好的，我没有做任何操作。还有别的需要吗？",
            "ko": "알겠어요, 아무것도 진행하지 않았어요. 다른 도움이 필요하신가요?",
        },
        "dropped": {
            "en": "Okay, I've stopped that; nothing was changed.",
            "zh": "好的，已经停止，没有做任何更改。",
            "ko": "알겠어요, 중단했어요. 아무것도 변경되지 않았어요.",
        },
        "nothing_pending": {
            "en": "There's nothing waiting for your confirmation right now. What would you "
            "like to do?",
            "zh": "目前没有需要您确认的操作。请问您想做什么？",
            "ko": "지금 확인을 기다리는 작업은 없어요. 무엇을 도와드릴까요?",
        },
        "refused": {
            "en": "The store couldn't do that: {reason}",
            "zh": "无法完成此操作：{reason}",
            "ko": "처리할 수 없어요: {reason}",
        },
        "resume": {
            "en": "Shall we go back to {job}?",
            "zh": "要继续刚才的{job}吗？",
            "ko": "아까 하던 {job}을(를) 계속할까요?",
        },
        "error": {
            "en": "Sorry, something went wrong on our side; nothing was changed. Please try "
            "again in a moment.",
            "zh": "抱歉，系统出了点问题，没有做任何更改。请稍后再试。",
            "ko": "죄송해요, 시스템에 문제가 생겼어요. 아무것도 변경되지 않았어요. 잠시 후 다시 "
            "시도해 주세요.",
        },
    }
)

"""The store's typed refusals explained to the customer in their language.

Every code of `shopkeep.store.errors` has a template in `_REASONS`; `_VARIANTS` holds the
wordings a refusal's facts call for (an order already changed once, a slot with some room left)
and the plainer ones used when a fact is missing. `explain` tries them most specific first and
takes the first whose fields it has, ending at the refusal family's own words, so it never
raises and never leaves a field unfilled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shopkeep.agent import render
from shopkeep.agent.jobs import Language
from shopkeep.store.errors import StoreError
from shopkeep.store.money import Money

_REASONS: dict[str, dict[Language, str]] = {
    # --- the families: a code of theirs with no words of its own ----------------------------
    "store_error": {
        "en": "the shop couldn't complete this request, and nothing was changed.",
        "zh": "本店无法完成这个请求，没有做任何更改。",
        "ko": "요청을 처리하지 못해서 아무것도 변경되지 않았어요.",
    },
    "not_found": {
        "en": "I couldn't find what you asked about.",
        "zh": "没有找到您要找的内容。",
        "ko": "요청하신 내용을 찾을 수 없어요.",
    },
    "invalid_request": {
        "en": "some details of the request aren't valid, so nothing was changed.",
        "zh": "请求中有信息不符合要求，没有做任何更改。",
        "ko": "요청 내용 중 올바르지 않은 정보가 있어서 아무것도 변경되지 않았어요.",
    },
    "policy_refusal": {
        "en": "the shop's rules don't allow this, so nothing was changed.",
        "zh": "根据本店规定无法办理，没有做任何更改。",
        "ko": "매장 정책상 처리할 수 없어서 아무것도 변경되지 않았어요.",
    },
    # --- not found --------------------------------------------------------------------------
    "product_not_found": {
        "en": "I couldn't find that product.",
        "zh": "没有找到这件商品。",
        "ko": "해당 상품을 찾을 수 없어요.",
    },
    "variant_not_found": {
        "en": "I couldn't find that option of the product.",
        "zh": "没有找到该商品的这个规格。",
        "ko": "해당 상품의 그 옵션을 찾을 수 없어요.",
    },
    "customer_not_found": {
        "en": "I couldn't find a customer account with those details.",
        "zh": "没有找到符合这些信息的客户账户。",
        "ko": "입력하신 정보와 일치하는 고객 계정을 찾을 수 없어요.",
    },
    "order_not_found": {
        "en": "I couldn't find that order on your account.",
        "zh": "您的账户下没有找到这个订单。",
        "ko": "고객님 계정에서 해당 주문을 찾을 수 없어요.",
    },
    "payment_method_not_found": {
        "en": "that payment method isn't saved on your account.",
        "zh": "您的账户中没有保存这个支付方式。",
        "ko": "고객님 계정에 저장된 결제 수단 중에 해당 결제 수단이 없어요.",
    },
    "address_not_found": {
        "en": "that address isn't saved on your account.",
        "zh": "您的账户中没有保存这个地址。",
        "ko": "고객님 계정에 저장된 주소 중에 해당 주소가 없어요.",
    },
    "coupon_not_found": {
        "en": "there is no coupon {coupon}.",
        "zh": "没有优惠券 {coupon}。",
        "ko": "{coupon} 쿠폰은 없어요.",
    },
    "campaign_not_found": {
        "en": "there is no such promotion.",
        "zh": "没有这个优惠活动。",
        "ko": "해당 이벤트는 없어요.",
    },
    "local_store_not_found": {
        "en": "I couldn't find that shop.",
        "zh": "没有找到这家门店。",
        "ko": "해당 매장을 찾을 수 없어요.",
    },
    "menu_item_not_found": {
        "en": "that item isn't on this shop's menu.",
        "zh": "这家门店的菜单上没有这个商品。",
        "ko": "이 매장 메뉴에는 해당 상품이 없어요.",
    },
    "conversation_not_found": {
        "en": "I couldn't find that conversation.",
        "zh": "没有找到这段对话。",
        "ko": "해당 대화를 찾을 수 없어요.",
    },
    "handoff_not_found": {
        "en": "I couldn't find that request for a staff member.",
        "zh": "没有找到这条转人工请求。",
        "ko": "해당 상담원 연결 요청을 찾을 수 없어요.",
    },
    "checkout_session_not_found": {
        "en": "I couldn't find that checkout.",
        "zh": "没有找到这笔结账。",
        "ko": "해당 결제 건을 찾을 수 없어요.",
    },
    "staff_not_found": {
        "en": "there is no staff member {username}.",
        "zh": "没有用户名为 {username} 的员工。",
        "ko": "{username}(이)라는 직원은 없어요.",
    },
    # --- invalid requests -------------------------------------------------------------------
    "invalid_date_range": {
        "en": "that date range isn't valid.",
        "zh": "这个日期范围无效。",
        "ko": "날짜 범위가 올바르지 않아요.",
    },
    "invalid_quantity": {
        "en": "the quantity must be between 1 and {maximum}, and you asked for {quantity}.",
        "zh": "数量须在 1 到 {maximum} 之间，您要的是 {quantity}。",
        "ko": "수량은 1개부터 {maximum}개까지 가능한데 {quantity}개를 요청하셨어요.",
    },
    "cart_empty": {
        "en": "your cart is empty.",
        "zh": "购物车是空的。",
        "ko": "장바구니가 비어 있어요.",
    },
    "invalid_address": {
        "en": "the address is missing its {field_text}.",
        "zh": "地址缺少{field_text}。",
        "ko": "주소에 {field_text}이(가) 빠져 있어요.",
    },
    "invalid_cancel_reason": {
        "en": "the reason for cancelling must be one of: {allowed_text}.",
        "zh": "取消原因须为以下之一：{allowed_text}。",
        "ko": "취소 사유는 다음 중 하나여야 해요: {allowed_text}.",
    },
    "item_not_in_order": {
        "en": "order {order_id} doesn't have that item (or not enough of it).",
        "zh": "订单 {order_id} 中没有这件商品，或数量不够。",
        "ko": "주문 {order_id}에 해당 상품이 없거나 수량이 부족해요.",
    },
    "item_count_mismatch": {
        "en": "each item needs exactly one replacement, but there are {old} to replace and "
        "{new} replacements.",
        "zh": "每件商品需要正好对应一件替换商品，但要替换的有 {old} 件，替换商品有 {new} 件。",
        "ko": "상품마다 바꿀 상품이 하나씩 있어야 하는데, 바꿀 상품은 {old}개이고 새 상품은 "
        "{new}개예요.",
    },
    "not_same_product": {
        "en": "an item can only be swapped for another option of the same product.",
        "zh": "商品只能换成同一商品的其他规格。",
        "ko": "상품은 같은 상품의 다른 옵션으로만 바꿀 수 있어요.",
    },
    "same_variant": {
        "en": "the replacement must be a different option from the one in the order.",
        "zh": "换成的规格需要与订单中的不同。",
        "ko": "바꿀 옵션은 주문하신 것과 달라야 해요.",
    },
    "same_payment_method": {
        "en": "the order is already paid with that method.",
        "zh": "该订单已经使用这个支付方式。",
        "ko": "이미 그 결제 수단으로 결제된 주문이에요.",
    },
    "invalid_refund_method": {
        "en": "a refund goes back to the method that paid, or to a gift card.",
        "zh": "退款只能退回原支付方式或礼品卡。",
        "ko": "환불은 원래 결제 수단이나 기프트카드로만 가능해요.",
    },
    "invalid_option": {
        "en": "“{choice}” isn't a choice for {group} on this item; the choices are: "
        "{allowed_text}.",
        "zh": "该商品的 {group} 选项中没有“{choice}”，可选：{allowed_text}。",
        "ko": "이 상품의 {group} 옵션에는 '{choice}'이(가) 없어요. {allowed_text} 중에서 "
        "골라 주세요.",
    },
    "idempotency_conflict": {
        "en": "this request reuses the reference of an earlier, different request, so nothing "
        "was changed; please try again.",
        "zh": "这个请求沿用了之前另一个请求的编号，因此没有做任何更改，请重新提交。",
        "ko": "이전의 다른 요청과 같은 요청 번호가 사용되어 아무것도 변경되지 않았어요. "
        "다시 시도해 주세요.",
    },
    "message_blank": {
        "en": "the message is empty; please write something.",
        "zh": "消息内容为空，请输入内容。",
        "ko": "메시지가 비어 있어요. 내용을 입력해 주세요.",
    },
    "message_too_long": {
        "en": "a message can be at most {maximum} characters, and this one has {length}.",
        "zh": "每条消息最多 {maximum} 个字符，这条有 {length} 个。",
        "ko": "메시지는 최대 {maximum}자까지 보낼 수 있는데 이 메시지는 {length}자예요.",
    },
    # --- refused by policy or state ---------------------------------------------------------
    "order_not_cancellable": {
        "en": "order {order_id} is {status_text}, and only pending orders can be cancelled.",
        "zh": "订单 {order_id} 当前状态为“{status_text}”，只有待处理的订单可以取消。",
        "ko": "주문 {order_id}은(는) 현재 '{status_text}' 상태라서 취소할 수 없어요. "
        "처리 대기 중인 주문만 취소할 수 있어요.",
    },
    "order_being_prepared": {
        "en": "the shop is already preparing order {order_id} for its {slot_time} slot, so it "
        "can no longer be cancelled.",
        "zh": "门店已经在为 {slot_time} 的时段制作订单 {order_id}，无法再取消。",
        "ko": "매장에서 이미 {slot_time} 시간대에 맞춰 주문 {order_id}을(를) 준비하고 있어서 "
        "더 이상 취소할 수 없어요.",
    },
    "order_not_modifiable": {
        "en": "order {order_id} is {status_text}, and only pending orders can be changed.",
        "zh": "订单 {order_id} 当前状态为“{status_text}”，只有待处理的订单可以修改。",
        "ko": "주문 {order_id}은(는) 현재 '{status_text}' 상태라서 변경할 수 없어요. "
        "처리 대기 중인 주문만 변경할 수 있어요.",
    },
    "not_a_retail_order": {
        "en": "order {order_id} is a food or drink order, so its items can't be changed, "
        "returned or exchanged.",
        "zh": "订单 {order_id} 是餐饮订单，商品无法修改、退货或换货。",
        "ko": "주문 {order_id}은(는) 음식·음료 주문이라 상품을 변경하거나 반품·교환할 수 없어요.",
    },
    "payment_already_changed": {
        "en": "the payment of order {order_id} has already been changed or adjusted once, so "
        "its payment method can't be changed again.",
        "zh": "订单 {order_id} 的付款已经变更或调整过一次，支付方式不能再修改。",
        "ko": "주문 {order_id}은(는) 결제가 이미 한 번 변경되거나 조정되어서 결제 수단을 더 이상 "
        "바꿀 수 없어요.",
    },
    "order_not_returnable": {
        "en": "order {order_id} is {status_text}; only delivered orders can be returned or "
        "exchanged.",
        "zh": "订单 {order_id} 当前状态为“{status_text}”，只有已送达的订单可以退换货。",
        "ko": "주문 {order_id}은(는) 현재 '{status_text}' 상태예요. 배송 완료된 주문만 "
        "반품·교환할 수 있어요.",
    },
    "after_sales_already_requested": {
        "en": "a return or exchange has already been requested for order {order_id}, and an "
        "order can have only one.",
        "zh": "订单 {order_id} 已经申请过退货或换货，每个订单只能申请一次。",
        "ko": "주문 {order_id}은(는) 이미 반품 또는 교환이 요청되었어요. 주문당 한 번만 "
        "요청할 수 있어요.",
    },
    "no_open_request": {
        "en": "order {order_id} has no open {what_text} request.",
        "zh": "订单 {order_id} 没有待处理的{what_text}申请。",
        "ko": "주문 {order_id}에는 처리 중인 {what_text} 요청이 없어요.",
    },
    "return_window_closed": {
        "en": "order {order_id} was delivered more than {days} days ago, so its return window "
        "has closed.",
        "zh": "订单 {order_id} 送达已超过 {days} 天，已过退换货期限。",
        "ko": "주문 {order_id}은(는) 배송 완료 후 {days}일이 지나서 반품·교환 기간이 끝났어요.",
    },
    "invalid_transition": {
        "en": "order {order_id} can't go from {status_text} to {to_text}.",
        "zh": "订单 {order_id} 不能从“{status_text}”变为“{to_text}”。",
        "ko": "주문 {order_id}은(는) '{status_text}'에서 '{to_text}' 상태로 바뀔 수 없어요.",
    },
    "out_of_stock": {
        "en": "that item is out of stock.",
        "zh": "该商品已售罄。",
        "ko": "해당 상품은 품절이에요.",
    },
    "variant_unavailable": {
        "en": "that option is not available.",
        "zh": "该规格目前无货。",
        "ko": "해당 옵션은 현재 구매할 수 없어요.",
    },
    "insufficient_gift_card_balance": {
        "en": "the gift card holds {balance_money}, but {needed_money} is needed.",
        "zh": "礼品卡余额为 {balance_money}，但需要 {needed_money}。",
        "ko": "기프트카드 잔액은 {balance_money}인데 {needed_money}이(가) 필요해요.",
    },
    "payment_declined": {
        "en": "the payment was declined; nothing was charged. You can try another saved "
        "payment method.",
        "zh": "支付被拒绝，未扣款。您可以换一个已保存的支付方式。",
        "ko": "결제가 거절되어 청구되지 않았어요. 다른 저장된 결제 수단을 이용해 보세요.",
    },
    "payment_method_unusable": {
        "en": "that payment method can't be used for this order; you can choose another saved one.",
        "zh": "这个支付方式不能用于此订单，您可以换一个已保存的支付方式。",
        "ko": "이 결제 수단은 이 주문에 사용할 수 없어요. 다른 저장된 결제 수단을 선택해 주세요.",
    },
    "quote_changed": {
        "en": "the total changed from {expected_total_money} to {total_money} since I showed "
        "it; please check the new total.",
        "zh": "金额已从 {expected_total_money} 变为 {total_money}，请确认新的金额。",
        "ko": "안내해 드린 후 금액이 {expected_total_money}에서 {total_money}(으)로 바뀌었어요. "
        "새 금액을 확인해 주세요.",
    },
    "coupon_not_applicable": {
        "en": "coupon {coupon} can't be used for this order ({why}).",
        "zh": "优惠券 {coupon} 不适用于此订单（{why}）。",
        "ko": "{coupon} 쿠폰은 이 주문에 사용할 수 없어요({why}).",
    },
    "campaign_not_applicable": {
        "en": "that promotion doesn't apply to this order.",
        "zh": "这个优惠活动不适用于此订单。",
        "ko": "해당 이벤트는 이 주문에 적용되지 않아요.",
    },
    "store_closed": {
        "en": "the shop is closed at {slot_time}.{alternatives_text}",
        "zh": "门店在 {slot_time} 不营业。{alternatives_text}",
        "ko": "매장이 {slot_time}에는 영업하지 않아요.{alternatives_text}",
    },
    "slot_full": {
        "en": "the {slot_time} slot is already full.{alternatives_text}",
        "zh": "{slot_time} 这个时段已约满。{alternatives_text}",
        "ko": "{slot_time} 시간대는 이미 주문이 꽉 찼어요.{alternatives_text}",
    },
    # --- data import ------------------------------------------------------------------------
    "import_failed": {
        "en": "the import stopped at {record}: its field {field} has a problem, so nothing was "
        "imported.",
        "zh": "导入失败：{record} 的字段 {field} 有问题，没有导入任何数据。",
        "ko": "가져오기에 실패했어요. {record}의 {field} 필드에 문제가 있어서 아무것도 "
        "가져오지 않았어요.",
    },
    # --- conversations ----------------------------------------------------------------------
    "conversation_exists": {
        "en": "this conversation already exists.",
        "zh": "这段对话已经存在。",
        "ko": "이 대화는 이미 있어요.",
    },
    "conversation_changed": {
        "en": "the conversation was updated at the same moment, so nothing was saved; please "
        "send your message again.",
        "zh": "对话刚刚有了更新，本次没有保存，请重新发送消息。",
        "ko": "방금 대화가 업데이트되어 저장되지 않았어요. 메시지를 다시 보내 주세요.",
    },
    "conversation_closed": {
        "en": "this conversation has ended; please start a new one.",
        "zh": "这段对话已结束，请开始新的对话。",
        "ko": "이 대화는 종료되었어요. 새 대화를 시작해 주세요.",
    },
    "handoff_not_waiting": {
        "en": "only a waiting request for a staff member can be taken, and this one isn't waiting.",
        "zh": "只能接手正在等待的转人工请求，这条请求已不在等待中。",
        "ko": "대기 중인 상담원 연결 요청만 맡을 수 있는데 이 요청은 대기 중이 아니에요.",
    },
    "conversation_not_held": {
        "en": "{staff} isn't handling this conversation.",
        "zh": "{staff} 没有负责这段对话。",
        "ko": "{staff} 님은 이 대화를 담당하고 있지 않아요.",
    },
    # --- agent checkout ---------------------------------------------------------------------
    "checkout_session_closed": {
        "en": "this checkout is closed and can no longer be changed.",
        "zh": "这笔结账已关闭，无法再修改。",
        "ko": "이 결제 건은 종료되어 더 이상 변경할 수 없어요.",
    },
    "idempotency_in_flight": {
        "en": "the same request is still being processed; please try again in "
        "{retry_after_seconds} seconds.",
        "zh": "相同的请求仍在处理中，请 {retry_after_seconds} 秒后再试。",
        "ko": "같은 요청을 아직 처리하고 있어요. {retry_after_seconds}초 후에 다시 시도해 주세요.",
    },
    # --- staff ------------------------------------------------------------------------------
    "staff_exists": {
        "en": "there is already a staff member {username}.",
        "zh": "已经有用户名为 {username} 的员工。",
        "ko": "{username}(이)라는 직원이 이미 있어요.",
    },
    "weak_password": {
        "en": "that password is too short or too easy to guess; please choose a stronger one.",
        "zh": "该密码太短或太容易被猜到，请换一个更安全的密码。",
        "ko": "비밀번호가 너무 짧거나 추측하기 쉬워요. 더 안전한 비밀번호를 골라 주세요.",
    },
    "too_many_tries": {
        "en": "there have been too many tries; please try again in {retry_after_seconds} seconds.",
        "zh": "尝试次数过多，请 {retry_after_seconds} 秒后再试。",
        "ko": "시도가 너무 많았어요. {retry_after_seconds}초 후에 다시 시도해 주세요.",
    },
    "identity_token_refused": {
        "en": "the sign-in from the shop's website could not be checked; please sign in "
        "there again.",
        "zh": "无法核实来自商店网站的登录信息，请在网站上重新登录。",
        "ko": "상점 웹사이트의 로그인 정보를 확인할 수 없어요. 웹사이트에서 다시 로그인해 주세요.",
    },
}

_VARIANTS: dict[str, dict[Language, str]] = {
    # Chosen by the refusal's facts (see `_candidates`).
    "customer_not_found:email": {
        "en": "I couldn't find an account with the email {email}.",
        "zh": "没有找到邮箱为 {email} 的账户。",
        "ko": "{email} 이메일로 등록된 계정을 찾을 수 없어요.",
    },
    "customer_not_found:name": {
        "en": "I couldn't find an account for {first_name} {last_name} with the ZIP code {zip}.",
        "zh": "没有找到姓名为 {first_name} {last_name}、邮编为 {zip} 的账户。",
        "ko": "이름이 {first_name} {last_name}이고 우편번호가 {zip}인 계정을 찾을 수 없어요.",
    },
    "invalid_date_range:too_long": {
        "en": "a report covers at most {maximum_days} days, and {start} to {end} is longer.",
        "zh": "报表最多覆盖 {maximum_days} 天，{start} 至 {end} 超出了这个范围。",
        "ko": "리포트는 최대 {maximum_days}일까지 볼 수 있는데 {start}부터 {end}까지는 그보다 "
        "길어요.",
    },
    "invalid_date_range:backwards": {
        "en": "the date range starts ({start}) after it ends ({end}).",
        "zh": "日期范围的开始日期（{start}）晚于结束日期（{end}）。",
        "ko": "날짜 범위의 시작일({start})이 종료일({end})보다 늦어요.",
    },
    "order_not_cancellable:items_changed": {
        "en": "order {order_id} is {status_text}: an order can be cancelled only while it is "
        "pending and its items haven't been changed.",
        "zh": "订单 {order_id} 当前状态为“{status_text}”：只有商品未修改过的待处理订单可以取消。",
        "ko": "주문 {order_id}은(는) 현재 '{status_text}' 상태예요. 상품을 변경하지 않은 처리 "
        "대기 주문만 취소할 수 있어요.",
    },
    "order_not_modifiable:items_once": {
        "en": "order {order_id} is {status_text}: only pending orders can be changed, and their "
        "items only once, so its items can't be changed again.",
        "zh": "订单 {order_id} 当前状态为“{status_text}”：订单中的商品只能修改一次，这个订单的"
        "商品已经改过，不能再修改了。",
        "ko": "주문 {order_id}은(는) 현재 '{status_text}' 상태예요. 상품은 한 번만 변경할 수 "
        "있어서 이 주문의 상품은 더 이상 변경할 수 없어요.",
    },
    "order_not_modifiable:payment_changed": {
        "en": "the payment of order {order_id} has already changed since it was placed, so its "
        "payment method can no longer be changed.",
        "zh": "订单 {order_id} 下单后付款已有变动，支付方式无法再修改。",
        "ko": "주문 {order_id}은(는) 주문 후 결제 내역이 이미 바뀌어서 결제 수단을 더 이상 "
        "변경할 수 없어요.",
    },
    "order_not_modifiable:pickup": {
        "en": "order {order_id} is picked up at the shop, so it has no delivery address to change.",
        "zh": "订单 {order_id} 是到店自取，没有可修改的收货地址。",
        "ko": "주문 {order_id}은(는) 매장 픽업 주문이라 변경할 배송지가 없어요.",
    },
    "order_not_modifiable:what": {
        "en": "the {what_text} of order {order_id} can no longer be changed.",
        "zh": "订单 {order_id} 的{what_text}已无法修改。",
        "ko": "주문 {order_id}의 {what_text}은(는) 더 이상 변경할 수 없어요.",
    },
    "order_not_returnable:food": {
        "en": "order {order_id} is a food or drink order, and those can't be returned or "
        "exchanged.",
        "zh": "订单 {order_id} 是餐饮订单，餐饮订单不支持退换货。",
        "ko": "주문 {order_id}은(는) 음식·음료 주문이라 반품·교환할 수 없어요.",
    },
    "out_of_stock:some_left": {
        "en": "only {available} of that item are left, and you asked for {requested}.",
        "zh": "该商品只剩 {available} 件，您要的是 {requested} 件。",
        "ko": "해당 상품은 {available}개만 남아 있는데 {requested}개를 요청하셨어요.",
    },
    "payment_method_unusable:currency": {
        "en": "that payment method holds a different currency from the order's, so it can't "
        "pay for it; you can choose another saved one.",
        "zh": "这个支付方式的币种与订单不同，无法用于支付，您可以换一个已保存的支付方式。",
        "ko": "이 결제 수단은 주문과 통화가 달라서 결제에 사용할 수 없어요. 다른 저장된 결제 "
        "수단을 선택해 주세요.",
    },
    "campaign_not_applicable:not_running": {
        "en": "that promotion isn't running right now.",
        "zh": "这个优惠活动目前没有进行。",
        "ko": "해당 이벤트는 지금 진행 중이 아니에요.",
    },
    "campaign_not_applicable:budget_spent": {
        "en": "that promotion has run out of budget.",
        "zh": "这个优惠活动的额度已用完。",
        "ko": "해당 이벤트는 준비된 혜택이 모두 소진되었어요.",
    },
    "slot_full:some_room": {
        "en": "the {slot_time} slot has room for only {free} more, and this order needs "
        "{requested}.{alternatives_text}",
        "zh": "{slot_time} 这个时段只能再接 {free} 件，此订单有 {requested} 件。"
        "{alternatives_text}",
        "ko": "{slot_time} 시간대에는 {free}개만 더 주문할 수 있는데 이 주문은 {requested}개예요."
        "{alternatives_text}",
    },
    "handoff_not_waiting:taken_by": {
        "en": "{staff} has already taken this request.",
        "zh": "{staff} 已经接手了这条请求。",
        "ko": "{staff} 님이 이미 이 요청을 맡았어요.",
    },
    "handoff_not_waiting:taken": {
        "en": "someone has already taken this request.",
        "zh": "这条请求已经有人接手了。",
        "ko": "이미 다른 분이 이 요청을 맡았어요.",
    },
    "handoff_not_waiting:returned": {
        "en": "this request was already handed back to the assistant.",
        "zh": "这条请求已经交还给智能助手。",
        "ko": "이 요청은 이미 쇼핑 도우미에게 다시 넘겨졌어요.",
    },
    "handoff_not_waiting:closed": {
        "en": "this request has already ended.",
        "zh": "这条请求已经结束。",
        "ko": "이 요청은 이미 종료되었어요.",
    },
    "conversation_not_held:held_by": {
        "en": "{staff} isn't handling this conversation; {holder} is.",
        "zh": "{staff} 没有负责这段对话，目前由 {holder} 负责。",
        "ko": "{staff} 님은 이 대화를 담당하고 있지 않아요. 지금은 {holder} 님이 담당하고 있어요.",
    },
    "checkout_session_closed:completed": {
        "en": "this checkout has already been completed, so it can no longer be changed.",
        "zh": "这笔结账已经完成，无法再修改。",
        "ko": "이 결제 건은 이미 완료되어 더 이상 변경할 수 없어요.",
    },
    "checkout_session_closed:canceled": {
        "en": "this checkout was cancelled, so it can no longer be changed.",
        "zh": "这笔结账已取消，无法再修改。",
        "ko": "이 결제 건은 취소되어 더 이상 변경할 수 없어요.",
    },
    "checkout_session_closed:completing": {
        "en": "this checkout is being paid for right now, so it can't be changed.",
        "zh": "这笔结账正在付款，暂时无法修改。",
        "ko": "이 결제 건은 지금 결제가 진행 중이라 변경할 수 없어요.",
    },
    # Plainer wordings, for when a fact the main one needs is missing ("plain", then "bare").
    "coupon_not_found:bare": {
        "en": "there is no such coupon.",
        "zh": "没有这张优惠券。",
        "ko": "해당 쿠폰은 없어요.",
    },
    "invalid_quantity:plain": {
        "en": "the quantity must be between 1 and {maximum}.",
        "zh": "数量须在 1 到 {maximum} 之间。",
        "ko": "수량은 1개부터 {maximum}개까지 가능해요.",
    },
    "invalid_address:bare": {
        "en": "the address is incomplete.",
        "zh": "地址信息不完整。",
        "ko": "주소 정보가 완전하지 않아요.",
    },
    "invalid_cancel_reason:bare": {
        "en": "that isn't one of the accepted reasons for cancelling.",
        "zh": "这不是可接受的取消原因。",
        "ko": "허용된 취소 사유가 아니에요.",
    },
    "item_not_in_order:bare": {
        "en": "that order doesn't have that item (or not enough of it).",
        "zh": "该订单中没有这件商品，或数量不够。",
        "ko": "해당 주문에 그 상품이 없거나 수량이 부족해요.",
    },
    "invalid_option:plain": {
        "en": "the {group} option isn't set right for this item; please choose its options again.",
        "zh": "该商品的 {group} 选项设置不正确，请重新选择。",
        "ko": "이 상품의 {group} 옵션이 올바르게 선택되지 않았어요. 다시 골라 주세요.",
    },
    "invalid_option:bare": {
        "en": "the options chosen for this item aren't valid; please choose them again.",
        "zh": "该商品所选的选项无效，请重新选择。",
        "ko": "이 상품에 고른 옵션이 올바르지 않아요. 다시 골라 주세요.",
    },
    "message_too_long:bare": {
        "en": "the message is too long; please shorten it.",
        "zh": "消息太长了，请精简一下。",
        "ko": "메시지가 너무 길어요. 줄여서 보내 주세요.",
    },
    "order_not_cancellable:plain": {
        "en": "order {order_id} can no longer be cancelled.",
        "zh": "订单 {order_id} 已无法取消。",
        "ko": "주문 {order_id}은(는) 더 이상 취소할 수 없어요.",
    },
    "order_not_cancellable:bare": {
        "en": "that order can no longer be cancelled.",
        "zh": "这个订单已无法取消。",
        "ko": "이 주문은 더 이상 취소할 수 없어요.",
    },
    "order_being_prepared:plain": {
        "en": "the shop is already preparing order {order_id} for its slot, so it can no longer "
        "be cancelled.",
        "zh": "门店已经在制作订单 {order_id}，无法再取消。",
        "ko": "매장에서 이미 주문 {order_id}을(를) 준비하고 있어서 더 이상 취소할 수 없어요.",
    },
    "order_being_prepared:bare": {
        "en": "the shop is already preparing that order for its slot, so it can no longer be "
        "cancelled.",
        "zh": "门店已经在制作这个订单，无法再取消。",
        "ko": "매장에서 이미 이 주문을 준비하고 있어서 더 이상 취소할 수 없어요.",
    },
    "order_not_modifiable:plain": {
        "en": "order {order_id} can no longer be changed.",
        "zh": "订单 {order_id} 已无法修改。",
        "ko": "주문 {order_id}은(는) 더 이상 변경할 수 없어요.",
    },
    "order_not_modifiable:bare": {
        "en": "that order can no longer be changed.",
        "zh": "这个订单已无法修改。",
        "ko": "이 주문은 더 이상 변경할 수 없어요.",
    },
    "not_a_retail_order:bare": {
        "en": "that order is a food or drink order, so its items can't be changed, returned or "
        "exchanged.",
        "zh": "这是餐饮订单，商品无法修改、退货或换货。",
        "ko": "이 주문은 음식·음료 주문이라 상품을 변경하거나 반품·교환할 수 없어요.",
    },
    "payment_already_changed:bare": {
        "en": "the payment of that order has already been changed or adjusted once, so its "
        "payment method can't be changed again.",
        "zh": "这个订单的付款已经变更或调整过一次，支付方式不能再修改。",
        "ko": "이 주문은 결제가 이미 한 번 변경되거나 조정되어서 결제 수단을 더 이상 바꿀 수 "
        "없어요.",
    },
    "order_not_returnable:plain": {
        "en": "order {order_id} can't be returned or exchanged now; only delivered orders can.",
        "zh": "订单 {order_id} 目前无法退换货，只有已送达的订单可以退换货。",
        "ko": "주문 {order_id}은(는) 지금 반품·교환할 수 없어요. 배송 완료된 주문만 "
        "반품·교환할 수 있어요.",
    },
    "order_not_returnable:bare": {
        "en": "that order can't be returned or exchanged now; only delivered orders can.",
        "zh": "这个订单目前无法退换货，只有已送达的订单可以退换货。",
        "ko": "이 주문은 지금 반품·교환할 수 없어요. 배송 완료된 주문만 반품·교환할 수 있어요.",
    },
    "after_sales_already_requested:bare": {
        "en": "a return or exchange has already been requested for that order, and an order "
        "can have only one.",
        "zh": "这个订单已经申请过退货或换货，每个订单只能申请一次。",
        "ko": "이 주문은 이미 반품 또는 교환이 요청되었어요. 주문당 한 번만 요청할 수 있어요.",
    },
    "no_open_request:bare": {
        "en": "that order has no open return or exchange request.",
        "zh": "这个订单没有待处理的退换货申请。",
        "ko": "이 주문에는 처리 중인 반품·교환 요청이 없어요.",
    },
    "return_window_closed:plain": {
        "en": "the return window for order {order_id} has closed.",
        "zh": "订单 {order_id} 已超过退换货期限。",
        "ko": "주문 {order_id}의 반품·교환 기간이 지났어요.",
    },
    "return_window_closed:bare": {
        "en": "the return window for that order has closed.",
        "zh": "这个订单已超过退换货期限。",
        "ko": "이 주문의 반품·교환 기간이 지났어요.",
    },
    "invalid_transition:plain": {
        "en": "order {order_id} can't move to that status now.",
        "zh": "订单 {order_id} 目前不能变为该状态。",
        "ko": "주문 {order_id}은(는) 지금 그 상태로 바꿀 수 없어요.",
    },
    "insufficient_gift_card_balance:plain": {
        "en": "the gift card's balance is not enough.",
        "zh": "礼品卡余额不足。",
        "ko": "기프트카드 잔액이 부족해요.",
    },
    "quote_changed:plain": {
        "en": "the price changed since I showed it; please check the new total.",
        "zh": "价格在展示后发生了变化，请确认新的金额。",
        "ko": "안내해 드린 후 가격이 바뀌었어요. 새 금액을 확인해 주세요.",
    },
    "coupon_not_applicable:plain": {
        "en": "coupon {coupon} can't be used for this order.",
        "zh": "优惠券 {coupon} 不适用于此订单。",
        "ko": "{coupon} 쿠폰은 이 주문에 사용할 수 없어요.",
    },
    "coupon_not_applicable:bare": {
        "en": "that coupon can't be used for this order.",
        "zh": "这张优惠券不适用于此订单。",
        "ko": "이 쿠폰은 이 주문에 사용할 수 없어요.",
    },
    "store_closed:plain": {
        "en": "the store is closed at that time.{alternatives_text}",
        "zh": "门店在该时间不营业。{alternatives_text}",
        "ko": "그 시간에는 매장이 영업하지 않아요.{alternatives_text}",
    },
    "slot_full:plain": {
        "en": "that time slot is already full.{alternatives_text}",
        "zh": "该时段已约满。{alternatives_text}",
        "ko": "그 시간대는 이미 주문이 꽉 찼어요.{alternatives_text}",
    },
    "import_failed:bare": {
        "en": "the file couldn't be imported, so nothing was imported.",
        "zh": "文件无法导入，没有导入任何数据。",
        "ko": "파일을 가져올 수 없어서 아무것도 가져오지 않았어요.",
    },
    "idempotency_in_flight:bare": {
        "en": "the same request is still being processed; please try again shortly.",
        "zh": "相同的请求仍在处理中，请稍后再试。",
        "ko": "같은 요청을 아직 처리하고 있어요. 잠시 후에 다시 시도해 주세요.",
    },
}


COUPON_WHY: dict[str, dict[Language, str]] = {
    "expired": {"en": "it has expired", "zh": "已过期", "ko": "기간이 만료됨"},
    "not_started": {"en": "it is not valid yet", "zh": "尚未生效", "ko": "아직 사용 기간이 아님"},
    "inactive": {"en": "it is not active", "zh": "未启用", "ko": "사용 중지됨"},
    "min_spend_not_met": {
        "en": "the order is below its minimum spend of {min_spend}",
        "zh": "未达到最低消费 {min_spend}",
        "ko": "최소 주문 금액 {min_spend} 미달",
    },
    "customer_limit_reached": {
        "en": "you have already used it as many times as allowed",
        "zh": "您的使用次数已达上限",
        "ko": "사용 가능 횟수를 모두 사용함",
    },
    "usage_limit_reached": {
        "en": "it has been fully redeemed",
        "zh": "已被领完",
        "ko": "모두 소진됨",
    },
    "currency_mismatch": {
        "en": "it is in another currency",
        "zh": "币种不符",
        "ko": "통화가 다름",
    },
    "not_for_channel": {
        "en": "it doesn't apply to this kind of order",
        "zh": "不适用于此类订单",
        "ko": "이 주문 유형에는 적용되지 않음",
    },
}

_MIN_SPEND_UNKNOWN: dict[Language, str] = {
    "en": "the order is below its minimum spend",
    "zh": "未达到最低消费",
    "ko": "최소 주문 금액 미달",
}

_ORDER_PARTS: dict[str, dict[Language, str]] = {
    "address": {"en": "shipping address", "zh": "收货地址", "ko": "배송지"},
    "payment method": {"en": "payment method", "zh": "支付方式", "ko": "결제 수단"},
    "items": {"en": "items", "zh": "商品", "ko": "상품"},
}

_REQUESTS: dict[str, dict[Language, str]] = {
    "return": {"en": "return", "zh": "退货", "ko": "반품"},
    "exchange": {"en": "exchange", "zh": "换货", "ko": "교환"},
}

_ADDRESS_FIELDS: dict[str, dict[Language, str]] = {
    "address1": {"en": "street address", "zh": "街道地址", "ko": "도로명 주소"},
    "address2": {"en": "second address line", "zh": "详细地址", "ko": "상세 주소"},
    "city": {"en": "city", "zh": "城市", "ko": "도시"},
    "state": {"en": "state or province", "zh": "省/州", "ko": "시/도"},
    "zip": {"en": "ZIP or postal code", "zh": "邮政编码", "ko": "우편번호"},
    "country": {"en": "country", "zh": "国家/地区", "ko": "국가"},
}


_CAMPAIGN_REASONS = {
    "the campaign is not running": "not_running",
    "its budget is spent": "budget_spent",
}

_FREE_TIMES: dict[str, dict[Language, str]] = {
    "here": {
        "en": " Free times here: {times}.",
        "zh": "本店可选时间：{times}。",
        "ko": " 이 매장은 {times}에 주문할 수 있어요.",
    },
    "here_and_nearby": {
        "en": " Free times here: {times}; other shops nearby have free times too.",
        "zh": "本店可选时间：{times}；附近其他门店也有空闲时段。",
        "ko": " 이 매장은 {times}에 주문할 수 있고, 근처 다른 매장에도 가능한 시간이 있어요.",
    },
    "nearby": {
        "en": " Other shops nearby still have free times.",
        "zh": "附近其他门店还有空闲时段。",
        "ko": " 근처 다른 매장에는 아직 주문 가능한 시간이 있어요.",
    },
}

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LIST_SEP: dict[Language, str] = {"en": ", ", "zh": "、", "ko": ", "}
_PENDING = ("pending", "pending (item modified)")
_FAMILIES = ("not_found", "invalid_request", "policy_refusal", "store_error")
_LEAD: dict[Language, str] = {
    "en": "Sorry, I can't do that: ",
    "zh": "抱歉，无法办理：",
    "ko": "죄송하지만 처리할 수 없어요: ",
}


def explain(error: StoreError, lang: Language) -> str:
    """The refusal in the customer's language, with the facts it carries. Never raises: a
    missing or malformed fact leads to a plainer wording, at worst the refusal family's."""
    if lang not in _LEAD:
        lang = "en"
    details = getattr(error, "details", None)
    facts: dict[str, Any] = dict(details) if isinstance(details, Mapping) else {}
    fields = _fields(facts, lang)
    for key in _candidates(error, facts):
        template = _REASONS.get(key) or _VARIANTS.get(key)
        if template is None or lang not in template:
            continue
        try:
            reason = template[lang].format(**fields)
        except (KeyError, IndexError, ValueError, AttributeError, TypeError):
            continue
        return _LEAD[lang] + reason
    return _LEAD[lang] + _REASONS["store_error"][lang]


def _candidates(error: StoreError, facts: dict[str, Any]) -> list[str]:
    """Template keys for `error`, most specific first: wordings its facts call for, its code's
    own, the plainer ones of its code, then its families'."""
    code = str(getattr(error, "code", "store_error"))
    status = str(facts.get("status") or "")
    first: list[str] = []
    own = True  # whether the code's own template is true for these facts
    then: list[str] = []  # tried after the code's own, before its plainer ones
    if code == "customer_not_found":
        first = [f"{code}:email", f"{code}:name"]
    elif code == "invalid_date_range":
        if facts.get("maximum_days") is not None:
            first = [f"{code}:too_long"]
        elif str(facts.get("start") or "") > str(facts.get("end") or "\uffff"):
            first = [f"{code}:backwards"]
    elif code == "order_not_cancellable" and status == "pending (item modified)":
        first = [f"{code}:items_changed"]
    elif code == "order_not_modifiable":
        # Pending orders are refused only for one part: say which, never "only pending".
        what = str(facts.get("what") or "")
        own = status not in _PENDING
        if not own and what == "items":
            first = [f"{code}:items_once"]
        elif not own and what.startswith("payment method"):
            first = [f"{code}:payment_changed"]
        elif not own and what == "address":
            first = [f"{code}:pickup"]
        then = [f"{code}:what"]
    elif code == "order_not_returnable" and status == "delivered":
        first, own = [f"{code}:food"], False
    elif code == "out_of_stock" and _positive(facts.get("available")):
        first = [f"{code}:some_left"]
    elif code == "payment_method_unusable" and str(facts.get("reason") or "").startswith(
        "it holds "
    ):
        first = [f"{code}:currency"]
    elif code == "campaign_not_applicable":
        variant = _CAMPAIGN_REASONS.get(str(facts.get("reason") or ""))
        first = [f"{code}:{variant}"] if variant else []
    elif code == "slot_full" and _positive(facts.get("free")):
        first = [f"{code}:some_room"]
    elif code == "handoff_not_waiting":
        first = {
            "taken": [f"{code}:taken_by", f"{code}:taken"],
            "returned": [f"{code}:returned"],
            "closed": [f"{code}:closed"],
        }.get(status, [])
    elif code == "conversation_not_held":
        first = [f"{code}:held_by"]
    elif code == "checkout_session_closed" and status in ("completed", "canceled", "completing"):
        first = [f"{code}:{status}"]
    keys = [*first, *([code] if own else []), *then, f"{code}:plain", f"{code}:bare"]
    for cls in type(error).__mro__:
        family = getattr(cls, "code", None)
        if isinstance(family, str) and family in _FAMILIES and family not in keys:
            keys.append(family)
    if "store_error" not in keys:
        keys.append("store_error")
    return keys


def _fields(facts: dict[str, Any], lang: Language) -> dict[str, Any]:
    """The facts a template may name: the refusal's details that are set, and what is derived
    from them in `lang` (statuses, money, times, lists). A fact that cannot be derived is left
    out, so the templates that need it are passed over."""
    fields: dict[str, Any] = {
        k: v
        for k, v in facts.items()
        if v is not None and isinstance(v, str | int) and not isinstance(v, bool) and v != ""
    }
    for name, key in (("status_text", "status"), ("to_text", "to")):
        value = str(facts.get(key) or "")
        if value in render.STATUS:
            fields[name] = render.status(value, lang)
    currency = facts.get("currency")
    for name, key in (
        ("balance_money", "balance"),
        ("needed_money", "needed"),
        ("expected_total_money", "expected_total"),
        ("total_money", "total"),
        ("min_spend_money", "min_spend"),
    ):
        money = _money(facts.get(key), currency)
        if money is not None:
            fields[name] = money
    why = _why(str(facts.get("reason") or ""), fields.get("min_spend_money"), lang)
    if why is not None:
        fields["why"] = why
    for words, name, key in (
        (_ORDER_PARTS, "what_text", "what"),
        (_REQUESTS, "what_text", "what"),
        (_ADDRESS_FIELDS, "field_text", "field"),
    ):
        word = words.get(str(facts.get(key) or ""))
        if word is not None:
            fields[name] = word[lang]
    allowed = facts.get("allowed")
    if isinstance(allowed, list | tuple) and allowed and all(isinstance(a, str) for a in allowed):
        shown = [render.cancel_reason(a, lang) for a in allowed]
        fields["allowed_text"] = _LIST_SEP[lang].join(_quoted(a, lang) for a in shown)
    slot = _moment(facts.get("slot") or facts.get("slot_start"))
    if slot is not None:
        fields["slot_time"] = f"{slot:%H:%M}"
    fields["alternatives_text"] = _alternatives(facts, slot, lang)
    return fields


def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _money(amount: Any, currency: Any) -> str | None:
    if not isinstance(amount, int) or isinstance(amount, bool):
        return None
    if not isinstance(currency, str) or not currency.strip():
        return None
    try:
        return Money(amount, currency.strip()).display()
    except (TypeError, ValueError, ArithmeticError):
        return None


def _why(reason: str, min_spend: str | None, lang: Language) -> str | None:
    """Why a coupon cannot be used, in `lang`; None for a reason without words here."""
    if reason == "min_spend_not_met" and min_spend is None:
        return _MIN_SPEND_UNKNOWN[lang]
    words = COUPON_WHY.get(reason)
    if words is None:
        return None
    return words[lang].replace("{min_spend}", min_spend or "")


def _quoted(text: str, lang: Language) -> str:
    return f"'{text}'" if lang == "ko" else f"“{text}”"


def _moment(value: Any) -> datetime | None:
    """An ISO time as given, keeping the offset it was written with."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _alternatives(facts: dict[str, Any], slot: datetime | None, lang: Language) -> str:
    """The store's next free times (HH:MM in each slot's own offset, with the date when it is
    another day than the slot asked for), and whether shops nearby have some: "" for none."""
    offered = facts.get("alternatives")
    if not isinstance(offered, list):
        return ""
    store_id = facts.get("store_id")
    here: list[str] = []
    nearby = False
    for option in offered:
        if not isinstance(option, Mapping):
            continue
        at = _moment(option.get("slot"))
        if at is None:
            continue
        if store_id is not None and option.get("store_id") not in (None, store_id):
            nearby = True
        elif len(here) < 3:
            here.append(_when(at, slot, lang))
    if here:
        key = "here_and_nearby" if nearby else "here"
        return _FREE_TIMES[key][lang].replace("{times}", _LIST_SEP[lang].join(here))
    return _FREE_TIMES["nearby"][lang] if nearby else ""


def _when(at: datetime, slot: datetime | None, lang: Language) -> str:
    time = f"{at:%H:%M}"
    if slot is None or at.date() == slot.date():
        return time
    if lang == "zh":
        return f"{at.month}月{at.day}日 {time}"
    if lang == "ko":
        return f"{at.month}월 {at.day}일 {time}"
    return f"{_MONTHS[at.month - 1]} {at.day} {time}"

"""The assistant: one customer message in, one reply out. Each turn reads the conversation's
state from the store, understands the message, runs the job's flow under the guards, and writes
the turn back before the reply is returned, so any process can take the next turn."""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Any, Literal

from shopkeep.agent import phrases, render
from shopkeep.agent.asked import questions
from shopkeep.agent.extract import extract
from shopkeep.agent.flows import FLOWS
from shopkeep.agent.flows.base import Step, Turn
from shopkeep.agent.intents import (
    GREETING_START,
    asks_about_own_order,
    asks_for_action,
    guess_jobs,
    is_question,
)
from shopkeep.agent.jobs import Job
from shopkeep.agent.language import detect_language
from shopkeep.agent.result import TurnResult
from shopkeep.agent.state import Frame, Staged, State, StateUnreadable
from shopkeep.agent.tools import IdentityPolicy, ShopTools
from shopkeep.agent.understand import STRONG, Command, classify
from shopkeep.agent.wording import answer_from, reword
from shopkeep.llm import ModelGateway, UsageRecord
from shopkeep.logs import holds_card_number
from shopkeep.store import knowledge
from shopkeep.store.actions import PLACEMENTS
from shopkeep.store.errors import StoreError, TooManyTries
from shopkeep.store.shop import Store
from shopkeep.store.views import (
    ConversationView,
    CustomerView,
    HandoffInput,
    MessageInput,
    OrderView,
)

Mode = Literal["flows", "tools", "baseline"]

QUESTIONS: frozenset[Job] = frozenset(
    {
        "search",
        "product_question",
        "promotions",
        "order_status",
        "smalltalk",
        "recommend",
        "shop_question",
    }
)
"""Jobs that answer and end: asked in the middle of another job, they are a digression, and the
interrupted job (and any action awaiting a yes) carries on afterwards."""

JOB_NAMES: dict[str, dict[str, str]] = {
    "buy": {"en": "your purchase", "zh": "购买", "ko": "구매"},
    "cancel": {"en": "the cancellation", "zh": "取消订单", "ko": "주문 취소"},
    "change_address": {"en": "the address change", "zh": "修改地址", "ko": "주소 변경"},
    "change_items": {"en": "the item change", "zh": "修改商品", "ko": "상품 변경"},
    "change_payment": {"en": "the payment change", "zh": "更换支付方式", "ko": "결제 수단 변경"},
    "return": {"en": "the return", "zh": "退货", "ko": "반품"},
    "exchange": {"en": "the exchange", "zh": "换货", "ko": "교환"},
    "food": {"en": "your food order", "zh": "点餐", "ko": "음식 주문"},
}

ANSWERS: frozenset[Job] = QUESTIONS - {"smalltalk"}
"""Jobs whose answer is what the customer came for: answered, the conversation is resolved."""

MOVED_ON = frozenset({"committed", "verified", "declined", "dropped", "shown", "refused"})
"""What happened in a turn that makes a question asked again a new one."""

MAX_MISUNDERSTOOD = 3
MAX_VERIFY_ATTEMPTS = 3


class Assistant:
    """The shop assistant over one store and one model gateway."""

    def __init__(
        self,
        store: Store,
        gateway: ModelGateway,
        *,
        mode: Mode = "flows",
        free_wording: bool = False,
        identity: IdentityPolicy | None = None,
    ) -> None:
        """`identity`: how a guest proves who they are (default: signed mode, where only the
        merchant's site can say who a customer is; evaluations pass IdentityPolicy.tau2())."""
        self.store = store
        self.gateway = gateway
        self.mode = mode
        self.free_wording = free_wording
        self.identity = identity or IdentityPolicy()

    def warm_up(self) -> None:
        """Read what every turn reads (the catalog, the menus) once, before the first customer
        waits for it; later reads reuse it while the store says it is unchanged."""
        self.store.catalog.everything()
        self.store.local.menus()
        knowledge.warm_up()

    def start(
        self, *, customer_id: str | None = None, channel: str = "chat", language: str | None = None
    ) -> str:
        """A new conversation; `customer_id` for a logged-in customer, None for a guest."""
        state = State(customer_id=customer_id, logged_in=customer_id is not None)
        if language in ("en", "zh", "ko"):
            state.language = language  # type: ignore[assignment]
        view = self.store.conversations.start(
            customer_id=customer_id, channel=channel, language=language
        )
        self.store.conversations.record_turn(
            view.id, expected_version=view.version, state=state.model_dump(mode="json")
        )
        return view.id

    def reply(self, conversation_id: str, text: str, *, client: str | None = None) -> TurnResult:
        """One turn. `client`: where the message came from (a web client's address), against
        which wrong one-time codes count; default: the conversation."""
        conversation = self.store.conversations.get(conversation_id)
        recovered = reconcile(self.store, conversation)
        # What the recovery wrote is read again; otherwise the conversation as read serves.
        result = self._reply(
            conversation_id,
            text,
            None if recovered else conversation,
            client or f"conversation {conversation_id}",
        )
        if recovered is None:
            return result
        return dataclasses.replace(
            result,
            reply="\n\n".join(r for r in (recovered.reply, result.reply) if r),
            events=recovered.events + result.events,
        )

    def _reply(
        self,
        conversation_id: str,
        text: str,
        conversation: ConversationView | None,
        client: str,
    ) -> TurnResult:
        started = time.perf_counter()
        if conversation is None:
            conversation = self.store.conversations.get(conversation_id)
        try:
            state = State.load(conversation.state)
        except StateUnreadable:
            return self._close_unreadable(conversation, text, started)
        state.turn += 1
        lang = detect_language(text, state.language)
        state.language = lang
        tools = ShopTools(self.store, state, self.identity, client=client)
        t = Turn(text, extract(text), lang, state, tools)
        usage: list[UsageRecord] = []
        commands: list[dict[str, Any]] = []
        handoff: HandoffInput | None = None
        job: Job | None = None
        answered = False
        if conversation.status in ("waiting_human", "human"):
            # A person holds (or is about to take) the conversation: the assistant stays quiet.
            if conversation.status == "waiting_human":
                t.say("waiting_human")
        else:
            turn = _TurnRun(self, t, conversation_id, usage, commands)
            if self.mode == "flows":
                turn.run()
            else:
                from shopkeep.agent.toolmode import run_tool_turn

                run_tool_turn(turn, baseline=self.mode == "baseline")
            handoff, job, answered = turn.handoff, turn.job, turn.answered
        reply = "\n\n".join(t.replies)
        if reply and self.free_wording and self.mode == "flows":
            documents = any(e["kind"] == "knowledge" and e.get("source") for e in t.events)
            if documents and not holds_card_number(text):
                # a question the shop's documents answer: a short answer composed from them
                reply, completion = answer_from(self.gateway, text, reply, lang, conversation_id)
            else:
                reply, completion = reword(self.gateway, reply, lang, conversation_id)
            usage.append(completion.usage)
        if reply and holds_card_number(text):
            # The log keeps only its last four digits; the customer learns why, and how to pay.
            reply = phrases.say("card_number_hidden", lang) + "\n\n" + reply
        placed = [e["order_id"] for e in t.events if e["kind"] == "order_placed"]
        model_seconds = sum(u.wall_seconds for u in usage)
        wall = time.perf_counter() - started
        staged = state.staged.model_dump(mode="json") if state.staged else None
        messages = [
            MessageInput(
                role="customer",
                text=text,
                language=lang,
                job=job,
                commands=commands,
                events=t.events,
            )
        ]
        if reply:
            messages.append(
                MessageInput(
                    role="assistant",
                    text=reply,
                    language=lang,
                    job=job,
                    staged=staged,
                    model_calls=len(usage),
                    prompt_tokens=sum(u.prompt_tokens for u in usage),
                    cached_tokens=sum(u.cached_tokens for u in usage),
                    completion_tokens=sum(u.completion_tokens for u in usage),
                    cost_pico_usd=sum(u.cost_pico_usd for u in usage),
                    model_seconds=model_seconds,
                    wall_seconds=wall,
                )
            )
        self.store.conversations.record_turn(
            conversation_id,
            expected_version=conversation.version,
            state=state.model_dump(mode="json"),
            messages=messages,
            customer_id=state.customer_id,
            language=lang,
            last_job=job,
            resolved=True
            if placed or answered or any(e["kind"] == "committed" for e in t.events)
            else None,
            placed_orders=placed,
            handoff=handoff,
        )
        return TurnResult(
            conversation_id=conversation_id,
            reply=reply,
            language=lang,
            job=job,
            handed_off=state.handed_off,
            staged=staged,
            events=tuple(t.events),
            usage=tuple(usage),
            wall_seconds=time.perf_counter() - started,
        )

    def _close_unreadable(
        self, conversation: ConversationView, text: str, started: float
    ) -> TurnResult:
        """A conversation whose saved state this version cannot read (an earlier version wrote
        it): the customer is told, nothing in the shop is changed, and it is closed."""
        lang = detect_language(text, "en")
        reply = phrases.say("state_unreadable", lang)
        events: list[dict[str, Any]] = [{"kind": "state_unreadable", "turn": 0}]
        self.store.conversations.record_turn(
            conversation.id,
            expected_version=conversation.version,
            state=State().model_dump(mode="json"),
            messages=[
                MessageInput(role="customer", text=text, language=lang, events=events),
                MessageInput(role="assistant", text=reply, language=lang),
            ],
            language=lang,
            status="closed",
        )
        return TurnResult(
            conversation_id=conversation.id,
            reply=reply,
            language=lang,
            job=None,
            handed_off=False,
            staged=None,
            events=tuple(events),
            wall_seconds=time.perf_counter() - started,
        )


def reconcile(store: Store, conversation: ConversationView) -> TurnResult | None:
    """After a crash: a purchase awaiting the customer's yes that the store shows as placed
    (the process died between paying and writing the turn) is told to the customer as done,
    once, and no longer waits; one the store does not show is still waiting, untouched.
    None when there was nothing to tell. `conversation`: the conversation as just read. It
    needs no model: opening a conversation runs it too."""
    try:
        state = State.load(conversation.state)
    except StateUnreadable:
        return None  # the turn itself closes such a conversation
    staged = state.staged
    if staged is None or staged.kind not in PLACEMENTS or state.customer_id is None:
        return None
    order = store.checkout.placed_with_key(state.customer_id, staged.key)
    if order is None or order.status == "awaiting payment":
        # Not placed, or its payment still settling: the purchase keeps waiting for a yes,
        # and a yes finishes it under the same key (one order, one charge).
        return None
    lang = state.language
    state.staged = None
    state.stack = [f for f in state.stack if f.job != staged.job]
    paid = order.status != "cancelled"  # released unpaid by the store's recovery
    reply = phrases.say(
        "interrupted_placed" if paid else "interrupted_not_charged", lang, order_id=order.id
    )
    if paid:
        reply += "\n" + render.order_block(
            order,
            lang,
            lambda pid, stored: ShopTools(store, state).product_name(pid, stored, lang),
        )
    events: list[dict[str, Any]] = [
        {"kind": "recovered", "turn": state.turn, "order_id": order.id, "paid": paid}
    ]
    if paid:
        events.append(
            {
                "kind": "order_placed",
                "turn": state.turn,
                "order_id": order.id,
                "total_minor": order.total.amount,
                "currency": order.total.currency,
            }
        )
    store.conversations.record_turn(
        conversation.id,
        expected_version=conversation.version,
        state=state.model_dump(mode="json"),
        messages=[
            MessageInput(role="assistant", text=reply, language=lang, job=staged.job, events=events)
        ],
        resolved=True if paid else None,
        placed_orders=[order.id] if paid and order.id not in conversation.order_ids else [],
    )
    return TurnResult(
        conversation_id=conversation.id,
        reply=reply,
        language=lang,
        job=staged.job,
        handed_off=state.handed_off,
        staged=None,
        events=tuple(events),
    )


class _TurnRun:
    """One turn's decisions, in order: a human asked for, an answer to a staged action, "never
    mind", a pending identity check, then the job the message asks for."""

    def __init__(
        self,
        assistant: Assistant,
        t: Turn,
        conversation_id: str,
        usage: list[UsageRecord],
        commands: list[dict[str, Any]],
    ) -> None:
        self.a = assistant
        self.t = t
        self.conversation_id = conversation_id
        self.usage = usage
        self.commands = commands
        self.handoff: HandoffInput | None = None
        self.job: Job | None = None
        self.answered = False
        """A question was answered from the store's data (the conversation counts as resolved)."""

    def command(self, command: Command) -> None:
        self.commands.append(command.as_dict())

    def run(self) -> None:
        before = self.t.state.misunderstood
        progress = self.progress()
        self.decide()
        if self.t.state.misunderstood == before:
            self.t.state.misunderstood = 0  # only misunderstandings in a row lead to a human
        self.never_stuck(moved=self.progress() != progress)

    def progress(self) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """What the conversation has gathered: jobs with their slots, the staged action."""
        s = self.t.state
        staged = s.staged.model_dump(mode="json") if s.staged else None
        return [f.model_dump(mode="json") for f in s.stack], staged

    def never_stuck(self, *, moved: bool) -> None:
        """The same question is not asked a third time without the conversation moving on: the
        second time the reply says it still needs the answer (with the choices the flow lists),
        the third time a person takes over with a summary, and the customer is told."""
        t, s = self.t, self.t.state
        if s.handed_off:
            return
        if moved or self.answered or any(e["kind"] in MOVED_ON for e in t.events):
            s.asked.clear()
        asked = questions("\n\n".join(t.replies))
        if not asked:
            return
        times = max(s.asked.get(q, 0) for q in asked)
        if times >= 2:
            t.replies.clear()
            self.hand_off("stuck")
            return
        if times == 1:
            t.replies.insert(0, phrases.say("asked_again", t.lang))
        for q in asked:
            s.asked[q] = s.asked.get(q, 0) + 1

    def decide(self) -> None:
        t, s, x = self.t, self.t.state, self.t.x
        if x.wants_human:
            self.command(Command("handoff"))
            self.hand_off("requested")
            return
        if s.staged is not None and self.answer_staged(s.staged):
            return
        if x.stop_flow and s.stack and not x.order_ids:
            self.command(Command("stop"))
            s.stack.clear()
            s.staged = None
            t.say("dropped")
            return
        if self.identify():
            return
        frame = s.frame
        guesses = _food_or_shop(t, guess_jobs(t.text, t.lang))
        guesses = _about_one_product(t, _asks_the_shop(t, guesses))
        guesses = _buying_what_was_shown(t, guesses)
        strong = guesses[0][0] if guesses and guesses[0][1] >= STRONG else None
        if frame is not None and _flow_first(frame.job, strong, t):
            self.command(Command("continue", frame.job))
            if self.step(frame) != "unknown":
                return
        if strong is not None:
            self.command(Command("start", strong))
            self.start(strong)
            return
        if guesses and not _only_manners(guesses):
            self.command(Command("start", guesses[0][0]))
            self.start(guesses[0][0])
            return
        if x.bare_answer:
            t.say("nothing_pending")
            return
        job, completion = classify(self.a.gateway, t.text, s, t.lang, self.conversation_id)
        self.usage.append(completion.usage)
        if job == "handoff" and not _PERSON.search(t.text):
            # The model's guess alone never ends the conversation: a question about what was
            # just shown is a product question, anything else is asked again.
            job = "product_question" if s.shown_products and is_question(t.text) else None
        if job is not None:
            self.command(Command("start", job, source="model"))
            self.start(job)
            return
        self.command(Command("none", source="model"))
        self.misunderstood()

    # --- confirmation -----------------------------------------------------------------------

    def answer_staged(self, staged: Staged) -> bool:
        """A yes commits, a bare no declines; a question is answered and the action kept; other
        words go to the staged job's flow as a correction. True when the turn is handled."""
        t, s, x = self.t, self.t.state, self.t.x
        if x.affirm and not x.deny and (x.bare_answer or not _new_details(t) or _long_yes(t)):
            if x.bare_answer or self.same_when_reread(staged):
                self.command(Command("confirm", staged.job))
                self.commit(staged)
            return True
        if x.deny and x.bare_answer and not x.stop_flow:
            self.decline(staged)
            return True
        guesses = guess_jobs(t.text, t.lang)
        strong = guesses[0][0] if guesses and guesses[0][1] >= STRONG else None
        if strong in QUESTIONS and strong != staged.job and not x.stop_flow:
            # A digression: answer it, keep the action waiting, and ask again.
            self.command(Command("start", strong))
            self.run_flow(strong, s.push(strong, request=t.text))
            if s.staged is staged:
                t.say("confirm_ask")
            return True
        if x.stop_flow:
            return False
        frame = _frame_of(s, staged.job)
        if frame is not None and _flow_first(staged.job, strong, t):
            s.staged = None
            self.command(Command("continue", staged.job))
            self.job = staged.job
            step = self.run_flow(staged.job, frame)
            if step != "unknown":
                return True
            if x.deny:  # "no, not like that" with nothing the flow could use
                self.decline(staged)
                return True
            s.staged = staged  # nothing in the message for it: keep it and ask again
            t.say("not_understood")
            t.say("confirm_ask")
            return True
        t.event("dropped", action=staged.kind)
        s.staged = None
        return False

    def same_when_reread(self, staged: Staged) -> bool:
        """A yes with more words ("颜色不变还是藏青色，就改尺码……确认"): the staged job reads the
        message first. When it stages the very action shown, or finds nothing in it, the yes
        stands (True, nothing said); when it stages another action or asks something, that is
        what the customer sees and the yes waits (False): a yes confirms exactly what the last
        reply showed."""
        t, s = self.t, self.t.state
        frame = _frame_of(s, staged.job)
        if frame is None:
            return True
        said, events = len(t.replies), len(t.events)
        s.staged = None
        step = self.run_flow(staged.job, frame)
        now = s.staged
        if step == "unknown" or (now is not None and _same_action(now, staged)):
            del t.replies[said:]
            del t.events[events:]
            s.staged = staged
            return True
        self.command(Command("continue", staged.job))
        self.job = staged.job
        return False

    def decline(self, staged: Staged) -> None:
        self.command(Command("decline", staged.job))
        self.t.state.staged = None
        _drop_job(self.t.state, staged.job)
        self.t.event("declined", action=staged.kind)
        self.t.say("declined")

    def commit(self, staged: Staged) -> None:
        t, s = self.t, self.t.state
        s.staged = None
        self.job = staged.job
        flow = FLOWS[staged.job]
        try:
            result = t.tools.commit(staged)
        except StoreError as error:
            t.refused(error)
            hook = getattr(flow, "refused", None)
            frame = _frame_of(s, staged.job)
            if callable(hook) and frame is not None and hook(t, staged, error, frame) != "done":
                return
            _drop_job(s, staged.job)
            return
        t.event(
            "committed",
            action=staged.kind,
            staged_turn=staged.turn,
            order_id=result.id if isinstance(result, OrderView) else None,
        )
        if isinstance(result, OrderView) and staged.kind in PLACEMENTS:
            t.event(
                "order_placed",
                order_id=result.id,
                total_minor=result.total.amount,
                currency=result.total.currency,
            )
        flow.done(t, staged, result)
        _drop_job(s, staged.job)
        self.resume()

    # --- identity ---------------------------------------------------------------------------

    def proof(self) -> tuple[CustomerView | None, bool]:
        """The customer the message proves to be — an email, or a name with a zip code written
        anywhere in it, in any order or script — and whether it offered any proof at all."""
        t, x = self.t, self.t.x
        for email in x.emails:
            customer = t.tools.verify_email(email)
            if customer is not None:
                return customer, True
        for zip_code in x.zip_codes:
            customer = t.tools.verify_named(zip_code, t.text)
            if customer is not None:
                return customer, True
        return None, bool(x.emails or (x.zip_codes and x.names))

    def identify(self) -> bool:
        """Proof of identity given at any moment, whether or not it was asked for: checked, and
        never asked for again. True when the turn is handled."""
        t, s = self.t, self.t.state
        if s.customer_id is not None:
            return False
        if not t.tools.knowledge_proves:
            return self.identify_by_code()
        if not (t.x.emails or t.x.zip_codes):
            return False
        frame = s.frame
        if frame is not None and frame.asked == "identity":
            return self.verify(frame)
        customer, tried = self.proof()
        if customer is None:
            if tried:
                return self.not_verified()
            return False
        self.verified(customer)
        if frame is not None:
            return False  # the job in progress reads the rest of the message
        rest = _without_proof(t)
        for name in (customer.first_name, customer.last_name):
            rest = rest.replace(name, " ")
        guesses = guess_jobs(rest, t.lang)
        said = GREETING_START.sub("", rest, count=1)
        if not guesses or (_only_manners(guesses) and len(re.findall(r"\w", said)) < 15):
            # Nothing but who they are ("hi! Ana Lee here, zip 10001"): what can be done?
            t.say("how_can_i_help")
            return True
        return False

    def identify_by_code(self) -> bool:
        """Signed and code modes, where knowing an email or a name and zip proves nothing: a
        one-time code typed after it was sent is checked; an email or a name with a zip,
        given while a job waits on identity or alone, is answered with the way to prove it.
        A request given with them ("I'm ana@x.com, where is my order?") starts its job, which
        then asks. True when the turn is handled."""
        t, s = self.t, self.t.state
        frame = s.frame
        code = _CODE.search(t.text) if s.code_sent else None
        if code is not None:
            return self.redeem(code.group(1), frame)
        if not (t.x.emails or (t.x.zip_codes and t.x.names)):
            return False
        if frame is not None and frame.asked == "identity":
            return self.prove_otherwise()
        rest = _without_proof(t)
        if frame is None and not guess_jobs(rest, t.lang):
            return self.prove_otherwise()
        return False

    def prove_otherwise(self) -> bool:
        """Proof by knowledge offered where it proves nothing: say how to prove it instead (in
        code mode, a code is sent to the email given). True when something was said."""
        t, x = self.t, self.t.x
        if t.tools.identity.mode == "code":
            if x.emails:
                sent = t.tools.send_code(x.emails[0], t.lang)
                t.say(f"code_{sent}")
                return True
            if x.zip_codes and x.names:
                t.say("code_needs_email")
                return True
            return False
        if x.emails or (x.zip_codes and x.names):
            t.say("sign_in_needed")
            return True
        return False

    def redeem(self, code: str, frame: Frame | None) -> bool:
        """A one-time code typed: right, the customer is verified and the job waiting on it
        goes on; wrong, it counts as a failed proof."""
        t = self.t
        try:
            customer = t.tools.verify_code(code)
        except TooManyTries:
            t.say("code_locked")
            return True
        if customer is None:
            return self.not_verified("code_wrong")
        self.verified(customer)
        if frame is not None and frame.asked == "identity":
            frame.asked = None
            self.job = frame.job
            request = frame.slots.request or ""
            self.step(frame, t.reread(request) if request else t)
        else:
            t.say("how_can_i_help")
        return True

    def verify(self, frame: Frame) -> bool:
        """Try the message as proof of identity for the job waiting on it; True when the turn is
        handled. The job then reads its first request together with this message ("my email is
        x@y.com, refund to Alipay please")."""
        t = self.t
        if not t.tools.knowledge_proves:
            return self.prove_otherwise()
        customer, tried = self.proof()
        if customer is not None:
            self.verified(customer)
            frame.asked = None
            request = frame.slots.request or ""
            self.job = frame.job
            rest = _without_proof(t)
            if request and rest and rest != request:
                request = f"{request}\n{rest}"
            self.step(frame, t.reread(request) if request else t)
            return True
        if tried:
            return self.not_verified()
        return False

    def verified(self, customer: CustomerView) -> None:
        self.t.event("verified", customer_id=customer.id)
        self.t.say("verified", name=customer.first_name)

    def not_verified(self, key: str = "verify_failed") -> bool:
        s = self.t.state
        s.verify_attempts += 1
        if s.verify_attempts >= MAX_VERIFY_ATTEMPTS:
            self.hand_off("verification_failed")
            return True
        self.t.say(key)
        return True

    # --- jobs -------------------------------------------------------------------------------

    def start(self, job: Job) -> None:
        t, s = self.t, self.t.state
        if job == "handoff":
            self.hand_off("requested")
            return
        current = s.frame
        if current is not None and current.job == job:
            self.step(current)
            return
        if current is not None and job not in QUESTIONS:
            # Switching to another task: the one in progress is dropped, with anything staged.
            s.stack.clear()
            s.staged = None
        frame = s.push(job, request=t.text)
        if self.step(frame) == "unknown":
            # The job found nothing in the message it could use: say so rather than nothing.
            s.drop(frame)
            if not t.replies:
                self.misunderstood()

    def step(self, frame: Frame, t: Turn | None = None) -> Step:
        t = t or self.t
        s = t.state
        flow = FLOWS[frame.job]
        self.job = frame.job
        if flow.needs_identity and s.customer_id is None:
            # Proof may come in the very message that asks: "I'm ana@x.com, where is my order?"
            if frame.asked != "identity":
                frame.asked = "identity"
                if self.verify(frame):
                    return "ask"
                frame.asked = "identity"
            t.say(VERIFY_ASK[t.tools.identity.mode])
            return "ask"
        step = self.run_flow(frame.job, frame, t)
        if frame.job == "out_of_scope":
            s.out_of_scope += 1
            if s.out_of_scope >= 2:
                self.hand_off("out_of_scope")
        return step

    def run_flow(self, job: Job, frame: Frame, t: Turn | None = None) -> Step:
        t = t or self.t
        s = t.state
        try:
            step = FLOWS[job].run(t, frame)
        except StoreError as error:
            t.refused(error)
            step = "done"
        if step == "done":
            if job in ANSWERS and not any(e["kind"] == "refused" for e in t.events):
                self.answered = True
            s.drop(frame)
            self.resume()
        return step

    def resume(self) -> None:
        """After a digression, offer to go back to the job it interrupted."""
        s = self.t.state
        below = s.frame
        if below is None:
            return
        if s.staged is not None and s.staged.job == below.job:
            return
        name = JOB_NAMES.get(below.job, {}).get(self.t.lang)
        if name:
            self.t.say("resume", job=name)

    # --- failure and handoff ----------------------------------------------------------------

    def misunderstood(self) -> None:
        s = self.t.state
        s.misunderstood += 1
        if s.misunderstood >= MAX_MISUNDERSTOOD:
            self.hand_off("misunderstood")
            return
        self.t.say("not_understood")

    def hand_off(self, reason: str) -> None:
        t, s = self.t, self.t.state
        s.handed_off = True
        s.staged = None
        self.job = "handoff"
        t.event("handoff", reason=reason)
        t.say("handoff_misunderstood" if reason in ("misunderstood", "stuck") else "handoff")
        self.handoff = HandoffInput(reason=reason, summary=summary(t, self.a.store, reason))


def _long_yes(t: Turn) -> bool:
    """A yes that is long only for its words ("Yes, please go ahead and cancel it — it was
    ordered by mistake."): nothing in it names another order, a code, a count or a time, so the
    staged job reads it and the yes stands when it stages the same action."""
    x = t.x
    staged = t.state.staged
    if staged is None or x.stop_flow:
        return False  # "forget it, leave that order alone. go ahead with the returns"
    other_jobs = [
        job
        for job, weight in guess_jobs(t.text, t.lang)
        if job not in (staged.job, "smalltalk") and weight >= 0.5
    ]
    return not (other_jobs or _names_more(t))


def _same_action(a: Staged, b: Staged) -> bool:
    """The same store action, whatever words came with it (a return's or exchange's reason is
    the customer's latest words; a cancellation's is one of the store's reasons, and counts)."""
    free_text = {"reason"} if a.kind in ("request_return", "request_exchange") else set()
    return a.action.model_dump(exclude=free_text) == b.action.model_dump(exclude=free_text)


_PERSON = re.compile(
    r"\b(?:person|human|someone|somebody|agent|staff|representative|manager|team)\b|"
    r"人工|客服|真人|工作人员|经理|상담원|상담사|사람|직원|매니저",
    re.IGNORECASE,
)
"""Words for a person, which a request for a handoff names."""
_ORDER_WORDS = re.compile(r"\border\b|\bpurchase\b|订单|单子|那单|주문", re.IGNORECASE)
AMENDMENTS: frozenset[Job] = frozenset({"change_address", "change_payment"})


def _buying_what_was_shown(t: Turn, guesses: list[tuple[Job, float]]) -> list[tuple[Job, float]]:
    """ "Set it up with my visa, ship to my home address" right after one product was shown: how
    to pay and where to ship the product being looked at, not a change to an order (no order is
    named)."""
    if not guesses or guesses[0][0] not in AMENDMENTS or t.x.order_ids:
        return guesses
    if len(t.state.shown_products) != 1 or t.state.frame is not None:
        return guesses
    if _ORDER_WORDS.search(t.text):
        return guesses
    return [("buy", guesses[0][1] + 0.01), *guesses]


def _only_manners(guesses: list[tuple[Job, float]]) -> bool:
    """Nothing but a weak hint of small talk ("안녕하세요" before a request the keywords do not
    place): the model reads the request."""
    return len(guesses) == 1 and guesses[0][0] == "smalltalk" and guesses[0][1] < STRONG


_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
"""A one-time code as the customer types it: six digits."""
VERIFY_ASK = {"tau2": "verify_ask", "code": "verify_ask_code", "signed": "verify_ask_signed"}


def _without_proof(t: Turn) -> str:
    """The message without its emails and zip codes: what else it says."""
    text = t.text
    for value in (*t.x.emails, *t.x.zip_codes):
        text = text.replace(value, " ")
    return " ".join(text.split())


def _names_more(t: Turn) -> bool:
    """The message names something a yes should not skip over: another order, a code, a count,
    a choice from a list, an email, a time."""
    x = t.x
    staged = t.state.staged
    staged_order = getattr(staged.action, "order_id", None) if staged else None
    other_order = bool(staged) and any(o != staged_order for o in x.order_ids)
    return bool(other_order or x.coupon_codes or x.quantity or x.ordinal or x.emails or x.times)


def _new_details(t: Turn) -> bool:
    """The message carries something a yes should not skip over, or is too long to be only a
    yes."""
    return _names_more(t) or len(t.text) > 60


def _food_or_shop(t: Turn, guesses: list[tuple[Job, float]]) -> list[tuple[Job, float]]:
    """ "Order a coffee" or "buy the coffee set": when the words fit both a dish of a nearby store
    and a product of the shop, the data decides — whichever the message names better."""
    scores = dict(guesses)
    if min(scores.get("food", 0.0), scores.get("buy", 0.0)) < 0.6:
        return guesses
    from shopkeep.agent.flows.catalog import catalog, name_score, product_terms
    from shopkeep.agent.flows.food import Menus, score
    from shopkeep.store.catalog import normalize

    products = catalog(t.tools)
    terms = product_terms(t.text, products)
    product = max((sum(name_score(term, p) for term in terms) for p in products), default=0.0)
    said = normalize(t.text)
    dish = max((score(said, item).score for item in Menus.read(t.tools).items.values()), default=0)
    if product == dish:
        return guesses
    winner: Job = "buy" if product > dish else "food"
    top = max(scores.values())
    return sorted(
        [(job, top + 0.01 if job == winner else w) for job, w in guesses], key=lambda g: -g[1]
    )


SHOPPING: frozenset[Job] = frozenset({"search", "recommend", "promotions"})
"""Jobs whose questions the shop's own data answers ("do you have running shoes in size 9?",
"any coupon codes I can use right now?"): the knowledge base does not take them over. A
purchase is asked for ("I'd like…", "can I buy…"), so a question with buying words
("你们支持货到付款吗") may still be about the shop."""


ACCOUNT_JOBS: frozenset[Job] = frozenset(
    {
        "cancel",
        "return",
        "exchange",
        "order_status",
        "change_address",
        "change_payment",
        "change_items",
    }
)
_POINTING = re.compile(
    r"\b(?:it|this|that|these|those|them|one)\b|这个|那个|它|这些|那些|이거|그거|저거|이것|그것",
    re.IGNORECASE,
)
"""Words that point at something already in the conversation ("can I return it?")."""


def _asks_the_shop(t: Turn, guesses: list[tuple[Job, float]]) -> list[tuple[Job, float]]:
    """A general question about how the shop works is a shop question, whatever job its words
    suggest: "can I still cancel an order once it has shipped?", "refund는 카드로만 받을 수
    있어요?", "黑糖茶屋能送外卖吗" ask about the rules, not for something to be done. It is one
    when it is a question, names no order and no purchase of the customer's own, asks nothing
    to be done for them ("I want to…", "帮我…") and the merchant's knowledge base answers it;
    questions about what the catalog sells stay with the catalog."""
    if guesses and guesses[0][0] == "shop_question":
        return guesses
    if guesses and guesses[0][1] >= STRONG and guesses[0][0] in SHOPPING:
        return guesses
    if (
        t.x.order_ids
        or t.x.coupon_codes  # "what does the VIP15 code get me?": the coupon's own terms
        or not is_question(t.text)
        or asks_about_own_order(t.text)
        or asks_for_action(t.text)
    ):
        return guesses
    from shopkeep.agent.flows.shop import reading

    read = reading(t, t.text)
    general = (
        read.product is None
        and t.state.frame is None
        and t.state.staged is None
        and bool(guesses)
        and (guesses[0][0] in ACCOUNT_JOBS or (guesses[0][0] == "food" and guesses[0][1] < STRONG))
        and not _POINTING.search(t.text)
    )
    if not general and not read.answers:
        # A general question the documents do not answer ("can you ship to a PO box?") is
        # still not a job on an account: the shop question says it does not know.
        return guesses
    best = max((w for _, w in guesses), default=STRONG)
    return [("shop_question", max(best, STRONG) + 0.01), *guesses]


def _about_one_product(t: Turn, guesses: list[tuple[Job, float]]) -> list[tuple[Job, float]]:
    """A question that names one product ("can the enamel pot go in the oven?") is a question
    about that product, not a search, whatever its words."""
    if guesses and (guesses[0][0] != "search" or guesses[0][1] >= STRONG):
        return guesses  # "do you have waterproof jackets?" is a search, whatever it names
    if not is_question(t.text) or t.state.frame is not None or t.x.max_price or t.x.min_price:
        return guesses
    from shopkeep.agent.flows.catalog import best_named, catalog, name_score, product_terms

    products = catalog(t.tools)
    terms = product_terms(t.text, products)
    named = best_named(terms, products)
    if len(named) != 1 or sum(name_score(term, named[0]) for term in terms) < 1.0:
        return guesses
    best = max((w for _, w in guesses), default=STRONG)
    return [("product_question", max(best, STRONG) + 0.01), *guesses]


CORRECTIONS: frozenset[Job] = frozenset(
    {"change_payment", "change_items", "change_address", "promotions"}
)
"""Words that, said while buying ("pay with PayPal instead", "the blue one instead", "apply
WELCOME10"), correct the purchase rather than start another job."""


def _flow_first(current: Job, strong: Job | None, t: Turn) -> bool:
    """Whether the job in progress reads the message before any job the keywords suggest."""
    if strong is None or strong == current:
        return True
    frame = t.state.frame
    if frame is not None and frame.asked == "identity":
        return False  # a job waiting for proof can do nothing with "is SPRING20 still valid?"
    return current in ("buy", "food") and strong in CORRECTIONS and not t.x.order_ids


def _frame_of(s: State, job: Job) -> Frame | None:
    """The latest frame of the job in progress, if any."""
    return next((f for f in reversed(s.stack) if f.job == job), None)


def _drop_job(s: State, job: Job) -> None:
    for frame in [f for f in s.stack if f.job == job]:
        s.drop(frame)


def summary(t: Turn, store: Store, reason: str) -> str:
    """What a human colleague needs at a glance: who, in which language, what they wanted."""
    s = t.state
    who = "guest (not verified)"
    if s.customer_id is not None:
        try:
            c = store.customers.get(s.customer_id)
            who = f"{c.first_name} {c.last_name} ({c.id})"
        except StoreError:
            who = s.customer_id
    jobs = ", ".join(f.job for f in s.stack) or "none"
    return (
        f"Reason: {reason}. Customer: {who}. Language: {t.lang}. "
        f"Jobs in progress: {jobs}. Last message: {t.text[:300]}"
    )

"""The shop-knowledge evaluation: shoppers' questions about the shop itself (written by someone
who did not write the documents), each asked as the first message of a new conversation with
the assistant, judged on the reply:

- answered: every required fact is in the reply (any of its accepted spellings) and no
  forbidden one is;
- for a question the documents do not answer: the assistant says it does not know (it offers a
  person instead of guessing);
- invented: a number, amount, id or code in the reply that neither the shop's documents nor its
  policy settings hold;
- routed into an account flow: the turn started a job on the customer's account (asked who they
  are, looked up orders) instead of answering.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shopkeep.agent import phrases
from shopkeep.agent.engine import Assistant
from shopkeep.agent.result import TurnResult
from shopkeep.agent.wording import facts
from shopkeep.evals.metrics import percentile
from shopkeep.store import Store
from shopkeep.store.money import Money

Half = Literal["dev", "test"]
ANSWERING_JOBS = frozenset(
    {"shop_question", "promotions", "product_question", "search", "recommend", "smalltalk"}
)
"""Jobs that answer without touching the customer's account."""


class KnowledgeQuestion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    lang: Literal["en", "zh", "ko"]
    half: Half
    topic: str
    question: str = Field(min_length=1)
    facts: list[list[str]] = Field(default_factory=list)
    """Each fact: its accepted spellings, any one of which counts (case-insensitive)."""
    forbid: list[str] = Field(default_factory=list)
    unanswerable: bool = False


class QuestionsInvalid(Exception):
    """The questions file cannot be used; says where."""


def load_questions(path: Path) -> list[KnowledgeQuestion]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise QuestionsInvalid(f"{path}: {error}") from None
    if not isinstance(loaded, list):
        raise QuestionsInvalid(f"{path}: expected a list of questions")
    questions = []
    for number, entry in enumerate(loaded, start=1):
        try:
            questions.append(KnowledgeQuestion.model_validate(entry))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise QuestionsInvalid(f"{path}: question {number}: {where}: {first['msg']}") from None
    ids = [q.id for q in questions]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise QuestionsInvalid(f"{path}: question id {repeated[0]} is used twice")
    return questions


class Judged(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    lang: str
    half: str
    topic: str
    unanswerable: bool
    question: str
    reply: str
    job: str | None
    passed: bool
    missing: list[str]
    """The first spelling of each required fact the reply lacks."""
    forbidden: list[str]
    invented: list[str]
    routed_to_account: bool
    seconds: float


class KnowledgeRun(BaseModel):
    model_config = ConfigDict(frozen=True)

    model: str
    results: list[Judged]

    def rate(self, *, lang: str | None = None, unanswerable: bool | None = None) -> float | None:
        chosen = [
            r
            for r in self.results
            if (lang is None or r.lang == lang)
            and (unanswerable is None or r.unanswerable == unanswerable)
        ]
        return sum(r.passed for r in chosen) / len(chosen) if chosen else None

    @property
    def invented(self) -> int:
        return sum(bool(r.invented) for r in self.results)

    @property
    def routed(self) -> int:
        return sum(r.routed_to_account for r in self.results)

    def latency(self, p: int) -> float:
        """The p-th percentile of the turns' time, in seconds (0 for no question)."""
        return percentile([r.seconds for r in self.results], p) or 0.0


def grounds(store: Store) -> set[str]:
    """Every fact the shop's own information holds: its documents' passages, its policy's
    amounts and days, its local stores' hours and addresses, its catalog, coupons and campaigns
    (a question may be answered from them) and the assistant's own fixed wording."""
    texts: list[str] = phrases.every_text()
    for coupon in store.promotions.coupons(running_only=False):
        texts.append(coupon.model_dump_json())
        currency = coupon.min_spend.currency
        texts.extend(str(m) for m in (coupon.min_spend, coupon.max_discount) if m is not None)
        texts.append(str(Money(coupon.value, currency)))
    for campaign in store.promotions.campaigns():
        texts.append(campaign.model_dump_json())
        money = (campaign.budget, campaign.remaining, campaign.min_spend, campaign.max_subsidy)
        texts.extend(str(m) for m in money if m is not None)
        texts.append(str(Money(campaign.value, campaign.budget.currency)))
    for product in store.catalog.everything():
        texts.append(product.model_dump_json())
        texts.extend(str(v.price) for v in product.variants)
        if product.rating is not None:
            texts.append(f"{product.rating:.1f}")
    with store.db.reading() as session:
        from sqlalchemy import select

        from shopkeep.store.models import KnowledgePassage

        texts.extend(f"{p.heading} {p.text}" for p in session.scalars(select(KnowledgePassage)))
    policy = store.ctx.policy
    amounts = [policy.shipping_fee_minor, policy.local_delivery_fee_minor]
    if policy.free_shipping_threshold_minor is not None:
        amounts.append(policy.free_shipping_threshold_minor)
    texts.extend(str(Money(a, policy.currency)) for a in amounts)
    texts.append(str(policy.return_window_days or ""))
    for local in store.local.stores():
        texts.append(local.address)
        texts.extend(f"{a} {b}" for hours in local.opening_hours.values() for a, b in hours)
    return facts("\n".join(texts))


def judge(q: KnowledgeQuestion, turn: TurnResult, known: set[str], seconds: float) -> Judged:
    reply = turn.reply
    folded = reply.casefold()
    missing = [f[0] for f in q.facts if f and not any(s.casefold() in folded for s in f)]
    forbidden = [f for f in q.forbid if f.casefold() in folded]
    invented = sorted(facts(reply) - known)
    routed = turn.job is not None and turn.job not in ANSWERING_JOBS and not turn.handed_off
    if q.unanswerable:
        said_unknown = any(
            e["kind"] == "knowledge" and e.get("source") is None for e in turn.events
        )
        passed = (said_unknown or turn.handed_off) and not invented and not routed
    else:
        passed = not missing and not forbidden and not invented and not routed
    return Judged(
        id=q.id,
        lang=q.lang,
        half=q.half,
        topic=q.topic,
        unanswerable=q.unanswerable,
        question=q.question,
        reply=reply,
        job=turn.job,
        passed=passed,
        missing=missing,
        forbidden=forbidden,
        invented=invented,
        routed_to_account=routed,
        seconds=round(seconds, 3),
    )


def run_questions(
    store: Store,
    assistant: Assistant,
    questions: Iterable[KnowledgeQuestion],
    *,
    model: str,
    progress: Callable[[Judged], None] | None = None,
) -> KnowledgeRun:
    """Each question as the first message of a new guest conversation on `store`."""
    known = grounds(store)
    results = []
    for q in questions:
        conversation = assistant.start()
        started = time.perf_counter()
        turn = assistant.reply(conversation, q.question)
        judged = judge(q, turn, known, time.perf_counter() - started)
        results.append(judged)
        if progress is not None:
            progress(judged)
    return KnowledgeRun(model=model, results=results)

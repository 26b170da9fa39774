"""`shopkeep eval knowledge`: the questions file is read strictly, and a reply is judged on the
facts it holds, what it must not say, what it invents and where it was routed."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopkeep.agent.result import TurnResult
from shopkeep.evals.knowledge import (
    KnowledgeQuestion,
    KnowledgeRun,
    QuestionsInvalid,
    judge,
    load_questions,
)

ROOT = Path(__file__).resolve().parents[2]


def turn(reply: str, job: str | None = "shop_question", *events: dict[str, object]) -> TurnResult:
    return TurnResult("c_1", reply, "en", job, False, None, tuple(events))


JEJU = KnowledgeQuestion(
    id="en-1",
    lang="en",
    half="dev",
    topic="shipping",
    question="do you ship to Jeju?",
    facts=[["Jeju", "제주"], ["3–5", "3-5"]],
    forbid=["extra charge of"],
)
KNOWN = {"3", "5", "5.99"}


def test_a_reply_passes_with_every_fact_and_nothing_forbidden_invented_or_routed() -> None:
    good = judge(JEJU, turn("Jeju-do: 3-5 business days, no extra fee."), KNOWN, 0.1)
    assert good.passed and not good.missing
    missing = judge(JEJU, turn("We ship across Korea."), KNOWN, 0.1)
    assert not missing.passed and missing.missing == ["Jeju", "3–5"]
    forbidden = judge(JEJU, turn("Jeju: 3-5 days, extra charge of 5.99."), KNOWN, 0.1)
    assert not forbidden.passed and forbidden.forbidden == ["extra charge of"]
    invented = judge(JEJU, turn("Jeju: 3-5 days, or 1 day for $7.99."), KNOWN, 0.1)
    assert not invented.passed and invented.invented == ["1", "7.99"]
    routed = judge(JEJU, turn("Jeju 3-5 — first, your email?", "order_status"), KNOWN, 0.1)
    assert not routed.passed and routed.routed_to_account


def test_a_question_the_documents_do_not_answer_passes_only_when_it_says_so() -> None:
    loyalty = KnowledgeQuestion(
        id="en-2", lang="en", half="test", topic="other", question="points?", unanswerable=True
    )
    said = judge(
        loyalty,
        turn("Not in our information.", "shop_question", {"kind": "knowledge", "source": None}),
        KNOWN,
        0.1,
    )
    assert said.passed
    guessed = judge(
        loyalty,
        turn(
            "Shipping costs 5.99.",
            "shop_question",
            {"kind": "knowledge", "source": "shipping.en.md"},
        ),
        KNOWN,
        0.1,
    )
    assert not guessed.passed
    run = KnowledgeRun(model="scripted", results=[said, guessed])
    assert run.rate(unanswerable=True) == 0.5 and run.latency(95) == 0.1


def test_the_shipped_questions_load_and_a_bad_file_says_where(tmp_path: Path) -> None:
    shipped = load_questions(ROOT / "scenarios" / "knowledge" / "questions.yaml")
    assert len(shipped) == 84 and {q.half for q in shipped} == {"dev", "test"}
    bad = tmp_path / "q.yaml"
    bad.write_text("- id: a\n  lang: fr\n  half: dev\n  topic: x\n  question: hi\n")
    with pytest.raises(QuestionsInvalid, match="question 1: lang"):
        load_questions(bad)
    twice = tmp_path / "twice.yaml"
    entry = "- {id: a, lang: en, half: dev, topic: x, question: hi}\n"
    twice.write_text(entry * 2)
    with pytest.raises(QuestionsInvalid, match="id a is used twice"):
        load_questions(twice)

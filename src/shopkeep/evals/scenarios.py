"""Scenario suites: the YAML format of `scenarios/`, read and refused with the file, scenario
and field that are wrong."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml  # type: ignore[import-untyped, unused-ignore]
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

from shopkeep.agent.jobs import Job, Language
from shopkeep.store.views import OrderView

ORDER_FIELDS = frozenset(OrderView.model_fields)
"""The first part of a dotted path into an order (`status`, `items.0.options.size`)."""

Text = Annotated[str, Field(min_length=1)]
ScenarioJob = Literal[Job, "shop_question"]
"""What a conversation is about: one of the assistant's jobs, or a question about the shop itself
(shipping, returns, warranty, payment, pickup), which blind suites ask though no job of the
engine answers it yet."""
SCENARIO_JOBS: tuple[str, ...] = get_args(ScenarioJob)
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]


class ScenarioInvalid(Exception):
    """Scenario files that cannot be used; each problem names its file, scenario and field."""

    code = "scenario_invalid"

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        self.message = "\n".join(self.problems)
        super().__init__(self.message)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- setup ----------------------------------------------------------------------------------


class SetStock(Strict):
    variant_id: Text
    stock: int | None = Field(ge=0)
    """None: stock not counted (always available)."""


class FillSlot(Strict):
    """Book one slot of a local store to its capacity."""

    store_id: Text
    at: AwareDatetime


class SetupStep(Strict):
    set_stock: SetStock | None = None
    fill_slot: FillSlot | None = None

    @model_validator(mode="after")
    def _one_change(self) -> SetupStep:
        given = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"a setup step is exactly one of {', '.join(type(self).model_fields)}")
        return self


# --- expectations ---------------------------------------------------------------------------


class OrderFacts(BaseModel):
    """What an order must look like. Only the keys given are checked: the named ones, and any
    other dotted path into the order's JSON (`items.0.options.size`, `return_request.refund`).
    A money value may be given as its display string (`total: "$54.04"`) or in minor units
    (`total_minor: 5404`, `total.amount: 5404`)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    kind: Literal["retail", "local"] | None = None
    status: str | None = None
    variant_ids: list[str] | None = None
    """The order's retail items' variant ids, as a multiset (order does not matter)."""
    menu_item_ids: list[str] | None = None
    total: str | None = None
    total_minor: int | None = None
    coupon_code: str | None = None
    campaign_id: str | None = None
    payment_method_id: str | None = None
    local_store_id: str | None = None
    slot_start: AwareDatetime | None = None

    @model_validator(mode="after")
    def _paths_into_an_order(self) -> OrderFacts:
        for key in self.model_extra or {}:
            if key.split(".")[0] not in ORDER_FIELDS:
                raise ValueError(
                    f"{key!r} is not a fact of an order; an order has "
                    f"{', '.join(sorted(ORDER_FIELDS))}"
                )
        return self

    def facts(self) -> dict[str, Any]:
        """Path → expected value, for the keys the scenario gave (a null is checked too)."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class Expect(Strict):
    say: list[Text] = []
    """Facts some reply must state (case-, width- and whitespace-insensitive substrings)."""
    not_say: list[Text] = []
    """What no reply may contain."""
    orders: dict[str, OrderFacts] = {}
    """End state of orders that existed before the conversation, by order id."""
    placed: list[OrderFacts] = []
    """The orders the conversation must create: exactly this many."""
    handoff: bool | None = None
    """Whether the conversation must (or must not) end with the human queue; null: either."""

    @model_validator(mode="after")
    def _something_to_check(self) -> Expect:
        if not self.model_fields_set:
            raise ValueError("expect must name something to check: say, orders, placed, ...")
        return self


# --- scenario -------------------------------------------------------------------------------

SCENARIO_ID = re.compile(r"^(?P<language>[a-z]{2})-(?P<job>[a-z_]+)-\d{3}(?:-[A-Za-z0-9_-]+)?$")


class Scenario(Strict):
    id: str
    title: Text
    job: ScenarioJob
    language: Language
    tags: list[Text] = []
    customer: Email | None = None
    """The logged-in customer's email; None for a guest."""
    setup: list[SetupStep] = []
    turns: list[Text] = Field(min_length=1)
    expect: Expect

    _file: Path | None = PrivateAttr(default=None)

    @property
    def file(self) -> Path | None:
        """The file the scenario was read from."""
        return self._file

    @model_validator(mode="after")
    def _id_names_language_and_job(self) -> Scenario:
        found = SCENARIO_ID.match(self.id)
        if found is None or (found["language"], found["job"]) != (self.language, self.job):
            raise ValueError(
                f"id {self.id!r} must read <language>-<job>-<nnn>[-slug], "
                f"like {self.language}-{self.job}-001"
            )
        return self


# --- reading --------------------------------------------------------------------------------


class ScenarioYamlLoader(yaml.SafeLoader):  # type: ignore[misc, unused-ignore]
    """YAML as scenario writers expect it: only true/false are booleans (a user's "yes", "no",
    "on" stay text, as in YAML 1.2), and a key given twice in one mapping is an error."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


_BOOL = "tag:yaml.org,2002:bool"
ScenarioYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ScenarioYamlLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_suite(path: Path | str) -> list[Scenario]:
    """Every scenario in a file, or in the *.yaml / *.yml files under a folder (`suite_files`),
    sorted by id. Raises ScenarioInvalid listing every problem found; ids must be unique."""
    scenarios: list[Scenario] = []
    problems: list[str] = []
    first_seen: dict[str, Path] = {}
    for file in suite_files(Path(path)):
        found, wrong = load_file(file)
        problems += wrong
        for scenario in found:
            if scenario.id in first_seen:
                problems.append(
                    f"{file}: scenario {scenario.id}: id: already used in {first_seen[scenario.id]}"
                )
                continue
            first_seen[scenario.id] = file
            scenarios.append(scenario)
    if problems:
        raise ScenarioInvalid(problems)
    return sorted(scenarios, key=lambda s: s.id)


def suite_files(root: Path) -> list[Path]:
    """The file itself, or the *.yaml / *.yml files under a folder (recursively), sorted. A
    subfolder with a README.md of its own is a suite of its own (the blind suites under
    `scenarios/blind/`), read only when named."""
    if root.is_dir():
        own = [d for d in root.rglob("README.md") if d.parent != root]
        files = sorted(
            p
            for p in root.rglob("*")
            if p.suffix in (".yaml", ".yml")
            and p.is_file()
            and not any(p.is_relative_to(d.parent) for d in own)
        )
        if not files:
            raise ScenarioInvalid([f"{root}: no scenario files (*.yaml, *.yml) in it"])
        return files
    if root.is_file():
        return [root]
    raise ScenarioInvalid([f"{root}: no such file or folder"])


def load_file(file: Path) -> tuple[list[Scenario], list[str]]:
    """The scenarios one file holds (one mapping, or a list of them), and what is wrong in it."""
    try:
        document = yaml.load(file.read_text(encoding="utf-8"), Loader=ScenarioYamlLoader)
    except OSError as error:
        return [], [f"{file}: cannot read it: {error.strerror}"]
    except UnicodeDecodeError as error:
        return [], [f"{file}: not UTF-8 text (byte {error.start})"]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        return [], [f"{file}{where}: not valid YAML: {problem}"]
    if document is None:
        return [], [f"{file}: holds no scenario"]
    entries = document if isinstance(document, list) else [document]
    scenarios: list[Scenario] = []
    problems: list[str] = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(
                f"{file}: entry {number}: a scenario is a mapping (id, title, job, language, "
                f"turns, expect...), not {type(entry).__name__}"
            )
            continue
        name = entry.get("id") if isinstance(entry.get("id"), str) else f"#{number} (no id)"
        try:
            scenario = Scenario.model_validate(entry)
        except ValidationError as error:
            problems += [f"{file}: scenario {name}: {describe(e)}" for e in error.errors()]
            continue
        scenario._file = file
        scenarios.append(scenario)
    return scenarios, problems


def describe(error: ErrorDetails, whole: str = "scenario") -> str:
    """One validation problem as `field.path: what is wrong` (`whole`: what the problem is of
    when it is not of one field)."""
    where = ".".join(str(part) for part in error["loc"]) or whole
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "missing"
    elif error["type"] == "string_type" and error["input"] is None:
        message += " (it is empty: a # unquoted starts a YAML comment, so quote ids like '#W1')"
    elif "input" in error and not isinstance(error["input"], dict | list):
        shown = repr(error["input"])
        message += f", not {shown if len(shown) <= 60 else shown[:57] + '...'}"
    return f"{where}: {message}"

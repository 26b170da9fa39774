"""The scenario format: what the loader reads, and what it refuses, naming file, scenario and
field."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shopkeep.evals.scenarios import ScenarioInvalid, load_suite

CANCEL = """
id: en-cancel-001
title: Cancel a pending order by id
job: cancel
language: en
tags: [happy]
customer: ana.silva@example.com
turns:
  - "Please cancel order #W2611340"
  - yes
expect:
  say: ["#W2611340", "$54.04"]
  orders:
    "#W2611340": {status: cancelled, cancel_reason: no longer needed}
  handoff: false
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(ScenarioInvalid) as caught:
        load_suite(path)
    return caught.value.message


def test_a_file_holding_one_scenario_loads_it_with_its_file(tmp_path: Path) -> None:
    path = write(tmp_path, "cancel.yaml", CANCEL)
    [scenario] = load_suite(path)
    assert scenario.id == "en-cancel-001"
    assert scenario.customer == "ana.silva@example.com"
    assert scenario.expect.orders["#W2611340"].facts() == {
        "cancel_reason": "no longer needed",
        "status": "cancelled",
    }
    assert scenario.file == path


def test_that_an_unquoted_yes_or_no_stays_what_the_user_typed(tmp_path: Path) -> None:
    text = CANCEL.replace("  - yes", "  - yes\n  - no\n  - on")
    [scenario] = load_suite(write(tmp_path, "cancel.yaml", text))
    assert scenario.turns[1:] == ["yes", "no", "on"]
    assert scenario.expect.handoff is False


def test_a_folder_is_read_recursively_and_sorted_by_id(tmp_path: Path) -> None:
    write(tmp_path, "en/cancel.yaml", CANCEL)
    write(
        tmp_path,
        "zh/more.yml",
        """
- id: zh-smalltalk-001
  title: Greeting
  job: smalltalk
  language: zh
  turns: ["你好"]
  expect: {handoff: false}
- id: ko-promotions-001-coupons
  title: Coupons
  job: promotions
  language: ko
  turns: ["쿠폰 있어요?"]
  expect: {say: [WELCOME10]}
""",
    )
    write(tmp_path, "notes.txt", "not a scenario")
    ids = [s.id for s in load_suite(tmp_path)]
    assert ids == ["en-cancel-001", "ko-promotions-001-coupons", "zh-smalltalk-001"]


def test_that_an_unknown_key_is_refused_naming_file_scenario_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", CANCEL.replace("  handoff: false", "  hand_off: false"))
    assert refusal(path) == f"{path}: scenario en-cancel-001: expect.hand_off: unknown key"


def test_that_a_missing_field_and_an_unknown_job_are_both_reported(tmp_path: Path) -> None:
    text = CANCEL.replace("job: cancel", "job: refund_everything").replace("title: ", "titel: ")
    message = refusal(write(tmp_path, "bad.yaml", text))
    assert "scenario en-cancel-001: title: missing" in message
    assert "scenario en-cancel-001: job: Input should be" in message
    assert "'refund_everything'" in message


def test_that_a_duplicate_id_is_refused_naming_both_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", CANCEL)
    second = write(tmp_path, "b/c.yaml", CANCEL)
    assert refusal(tmp_path) == f"{second}: scenario en-cancel-001: id: already used in {first}"


def test_that_an_id_must_name_the_language_and_job(tmp_path: Path) -> None:
    message = refusal(write(tmp_path, "bad.yaml", CANCEL.replace("language: en", "language: ko")))
    assert "scenario en-cancel-001: scenario: id 'en-cancel-001' must read" in message
    assert "like ko-cancel-001" in message


def test_that_an_unquoted_order_id_gets_a_hint_about_yaml_comments(tmp_path: Path) -> None:
    text = CANCEL.replace('say: ["#W2611340", "$54.04"]', "say:\n    - #W2611340")
    message = refusal(write(tmp_path, "bad.yaml", text))
    assert "expect.say.0: Input should be a valid string" in message
    assert "quote ids" in message


def test_that_yaml_that_does_not_parse_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", CANCEL.replace("tags: [happy]", "tags: [happy"))
    assert refusal(path).startswith(f"{path}, line ")


def test_that_a_key_given_twice_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", CANCEL.replace("tags: [happy]", "tags: [a]\ntags: [b]"))
    assert "the key 'tags' is given twice" in refusal(path)


def test_that_order_facts_take_dotted_paths_into_an_order_and_nothing_else(
    tmp_path: Path,
) -> None:
    good = CANCEL.replace(
        "  handoff: false",
        '  placed:\n    - {kind: retail, total: "$1.00", items.0.options.size: M, '
        "slot_start: 2026-11-20T12:30:00+09:00, coupon_code: null}",
    )
    [scenario] = load_suite(write(tmp_path, "good.yaml", good))
    facts = scenario.expect.placed[0].facts()
    assert facts["items.0.options.size"] == "M"
    assert facts["slot_start"] == datetime(2026, 11, 20, 3, 30, tzinfo=UTC)
    assert facts["coupon_code"] is None
    bad = good.replace("items.0.options.size", "colour")
    assert "expect.placed.0: 'colour' is not a fact of an order" in refusal(
        write(tmp_path, "bad.yaml", bad)
    )


def test_that_a_setup_step_makes_exactly_one_change(tmp_path: Path) -> None:
    text = CANCEL.replace(
        "turns:",
        "setup:\n  - set_stock: {variant_id: v1, stock: 0}\n"
        '    fill_slot: {store_id: boba-1, at: "2026-11-20T12:30:00+09:00"}\nturns:',
    )
    assert "setup.0: a setup step is exactly one of set_stock, fill_slot" in refusal(
        write(tmp_path, "bad.yaml", text)
    )


def test_that_a_slot_time_needs_its_time_zone(tmp_path: Path) -> None:
    text = CANCEL.replace(
        "turns:", 'setup:\n  - fill_slot: {store_id: boba-1, at: "2026-11-20T12:30:00"}\nturns:'
    )
    assert "setup.0.fill_slot.at: Input should have timezone info" in refusal(
        write(tmp_path, "bad.yaml", text)
    )


def test_that_a_scenario_with_nothing_to_check_is_refused(tmp_path: Path) -> None:
    text = CANCEL[: CANCEL.index("expect:")] + "expect: {}\n"
    assert "expect must name something to check" in refusal(write(tmp_path, "bad.yaml", text))


def test_that_a_folder_without_scenarios_and_a_missing_path_are_refused(tmp_path: Path) -> None:
    assert "no scenario files" in refusal(tmp_path)
    assert "no such file or folder" in refusal(tmp_path / "missing")


def test_that_shopkeep_eval_check_prints_each_problem_on_its_own_line_and_exits_2(
    tmp_path: Path,
) -> None:
    write(tmp_path, "a.yaml", CANCEL.replace("  handoff: false", "  hand_off: false"))
    write(
        tmp_path,
        "b.yaml",
        CANCEL.replace("en-cancel-001", "en-cancel-002").replace("job: ", "jb: "),
    )
    checked = subprocess.run(
        [sys.executable, "-m", "shopkeep.cli", "eval", str(tmp_path), "--check"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "300"},
        check=False,
    )
    assert checked.returncode == 2
    assert "Traceback" not in checked.stderr
    assert checked.stderr.splitlines() == [
        f"{tmp_path / 'a.yaml'}: scenario en-cancel-001: expect.hand_off: unknown key",
        f"{tmp_path / 'b.yaml'}: scenario en-cancel-002: job: missing",
        f"{tmp_path / 'b.yaml'}: scenario en-cancel-002: jb: unknown key",
    ]

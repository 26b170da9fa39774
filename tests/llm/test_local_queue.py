"""The queue in front of the one loaded local model, with scripted calls instead of a model:
turns in arrival order, the model held only while it computes, never by a reader."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

import pytest

from shopkeep.llm.backends.local import ModelCall, ModelQueue, cpu_snapshot

HANG_GUARD_S = 60.0  # keeps a deadlock from hanging the suite; no test is about time


class Scripted(ModelCall):
    """A call whose steps each make the next of its pieces; the log says who computed what."""

    def __init__(self, name: str, pieces: list[str], log: list[str]) -> None:
        super().__init__()
        self.name = name
        self._todo = deque(pieces)
        self._log = log

    def step(self) -> None:
        if self.stop_requested:
            self.stop()
            return
        piece = self._todo.popleft()
        self._log.append(f"{self.name}:{piece} by {threading.current_thread().name}")
        self.pieces.append(piece)
        self.finished = not self._todo

    def stop(self) -> None:
        self._log.append(f"{self.name}:stopped by {threading.current_thread().name}")
        self.finished = True


def in_thread(name: str, work: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.start()
    return thread


def join(thread: threading.Thread) -> None:
    thread.join(HANG_GUARD_S)
    assert not thread.is_alive(), f"{thread.name} never finished: it waits for the model"


def wait_until_waiting(queue: ModelQueue, count: int) -> None:
    with queue._cond:
        assert queue._cond.wait_for(lambda: len(queue._waiting) == count, HANG_GUARD_S)


def test_that_waiting_calls_get_the_model_in_the_order_they_came() -> None:
    queue, log = ModelQueue(), []
    busy, release = threading.Event(), threading.Event()
    holder = in_thread("holder", lambda: queue.exclusive(lambda: (busy.set(), release.wait())))
    busy.wait()
    readers = []
    for number in range(4):
        call = Scripted(f"c{number}", ["x", "y"], log)
        readers.append(in_thread(f"r{number}", lambda call=call: list(queue.pieces(call))))
        wait_until_waiting(queue, number + 1)  # in line before the next one comes
    release.set()
    for thread in [holder, *readers]:
        join(thread)
    # Each call ran to its end before the next began. (Who computed a step may vary: the first
    # in line computes the current call's next token when its reader is between two.)
    steps = [entry.split(" by ")[0] for entry in log]
    assert steps == [f"c{n}:{p}" for n in range(4) for p in "xy"]


def test_that_a_paused_reader_holds_up_no_other_call() -> None:
    queue, log = ModelQueue(), []
    first = Scripted("a", ["1", "2", "3"], log)
    paused = queue.pieces(first)
    assert next(paused) == "1"  # ...and its reader reads nothing more for now
    second: list[str] = []
    other = in_thread("b", lambda: second.extend(queue.pieces(Scripted("b", ["4"], log))))
    join(other)
    assert second == ["4"]
    # The waiting call computed the paused one to its end, into its buffer, then its own.
    assert log == ["a:1 by MainThread", "a:2 by b", "a:3 by b", "b:4 by b"]
    assert list(paused) == ["2", "3"]


def test_that_closing_a_call_early_stops_it_and_lets_the_model_go() -> None:
    queue, log = ModelQueue(), []
    stream = queue.pieces(Scripted("a", ["1", "2", "3"], log))
    assert next(stream) == "1"
    stream.close()
    assert log == ["a:1 by MainThread", "a:stopped by MainThread"]
    assert list(queue.pieces(Scripted("b", ["4"], log))) == ["4"]
    assert queue._current is None and not queue._waiting


def test_that_an_exclusive_turn_waits_for_the_unfinished_call_before_it() -> None:
    queue, log = ModelQueue(), []
    paused = queue.pieces(Scripted("a", ["1", "2"], log))
    next(paused)
    resetter = in_thread("reset", lambda: queue.exclusive(lambda: log.append("reset")))
    join(resetter)
    assert log == ["a:1 by MainThread", "a:2 by reset", "reset"]
    assert list(paused) == ["2"]


def test_that_a_failed_exclusive_turn_lets_the_model_go() -> None:
    queue = ModelQueue()

    def fail() -> None:
        raise RuntimeError("the model failed")

    with pytest.raises(RuntimeError, match="the model failed"):
        queue.exclusive(fail)
    assert list(queue.pieces(Scripted("b", ["ok"], []))) == ["ok"]


def test_that_cpu_time_is_the_callers_and_native_threads_not_other_python_threads() -> None:
    """llama.cpp's OpenMP workers are native threads; the other Python threads of the process
    (other readers, the rest of the application) are not counted."""
    release = threading.Event()
    other = in_thread("other", release.wait)
    try:
        snapshot = cpu_snapshot()
        assert threading.get_native_id() in snapshot
        assert other.native_id not in snapshot
    finally:
        release.set()
        join(other)

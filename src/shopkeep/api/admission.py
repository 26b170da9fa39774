"""Admission to the assistant's turns: a few run at once, the rest wait in a bounded line."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any, Generic, NamedTuple, TypeVar

from shopkeep.api.errors import Refused

T = TypeVar("T")

Clock = Callable[[], float]
"""Seconds on a clock that only goes forward (time.monotonic)."""

FIRST_TURN_GUESS_S = 5.0
"""What a turn is taken to last before this worker has timed one (a small local model on CPU)."""
MAX_RETRY_AFTER_S = 300


class Spot(NamedTuple):
    """Where a message stands: `position` in the line (1: next to run; 0: its turn is running)
    and `ahead`, the messages before it, the running turns included."""

    position: int
    ahead: int


RUNNING = Spot(0, 0)


class Place(Generic[T]):
    """An accepted message's hold on the assistant: waiting in line, then its turn running in a
    thread of its own. The turn runs whether or not anyone still waits for its outcome."""

    def __init__(self, admission: Admission, work: Callable[[], T]) -> None:
        self._admission = admission
        self._work = work
        self._spot = RUNNING
        self._wakers: list[Callable[[], None]] = []
        self.outcome: concurrent.futures.Future[T] = concurrent.futures.Future()
        """The turn's result (or its error), set once it has run."""

    async def moves(self) -> AsyncIterator[Spot]:
        """The place in line, first and each time it changes, while the message waits; ends as
        its turn starts (at once for a message that never waited)."""
        loop = asyncio.get_running_loop()
        seen: Spot | None = None
        while True:
            woken: asyncio.Future[None] = loop.create_future()
            with self._admission._lock:
                spot = self._spot
                if spot == seen:
                    self._wakers.append(_waker(loop, woken))
            if spot.position == 0:
                return
            if spot != seen:
                seen = spot
                yield spot
                continue
            await woken

    async def result(self) -> T:
        """The turn's result, once it has run. A caller that stops waiting (a client that left)
        leaves the turn running."""
        return await asyncio.shield(asyncio.wrap_future(self.outcome))

    def _move(self, spot: Spot) -> list[Callable[[], None]]:
        """Called under the admission's lock; the wakers to call once it is released."""
        self._spot = spot
        wakers, self._wakers = self._wakers, []
        return wakers


def _waker(loop: asyncio.AbstractEventLoop, woken: asyncio.Future[None]) -> Callable[[], None]:
    def settle() -> None:
        if not woken.done():
            woken.set_result(None)

    def wake() -> None:
        # A loop that has closed has nobody waiting on it any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle)

    return wake


class Admission:
    """At most `running` turns at once and `waiting` messages in line behind them, first come
    first served, in one worker process (threads and event loops may share it). A message that
    finds the line full is refused (503 busy, with Retry-After) and holds nothing."""

    def __init__(self, running: int, waiting: int, *, clock: Clock = time.monotonic) -> None:
        if running < 1 or waiting < 0:
            raise ValueError(
                f"admission needs running >= 1 and waiting >= 0, not {running}, {waiting}"
            )
        self.max_running = running
        self.max_waiting = waiting
        self._clock = clock
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._running = 0
        self._line: deque[Place[Any]] = deque()
        self._turn_seconds = FIRST_TURN_GUESS_S

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._line)

    def check_open(self) -> None:
        """Refuse (503 busy) now if the line is full: a cheap look before a message is read and
        its conversation loaded. `admit` looks again, so a place taken meanwhile still counts."""
        with self._lock:
            if self._running >= self.max_running and len(self._line) >= self.max_waiting:
                raise self._busy()

    def _busy(self) -> Refused:
        retry = self._retry_after()
        return Refused(
            503,
            "busy",
            "The shop assistant is busy with other customers and the line is full; "
            f"your message was not taken. Send it again in {seconds(retry)}.",
            headers={"Retry-After": str(retry)},
        )

    def admit(self, work: Callable[[], T]) -> Place[T]:
        """A place for `work`: run now if a turn is free, else last in line; refused when the
        line is full."""
        place: Place[T] = Place(self, work)
        with self._lock:
            if self._running < self.max_running and not self._line:
                self._running += 1
                start = True
            elif len(self._line) >= self.max_waiting:
                raise self._busy()
            else:
                self._line.append(place)
                place._spot = Spot(len(self._line), self._running + len(self._line) - 1)
                start = False
        if start:
            threading.Thread(target=self._serve, args=(place,), name="shopkeep-turn").start()
        return place

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every accepted message has been answered (a worker that stops answers
        its line first); False if `timeout` seconds passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._running, timeout)

    def _retry_after(self) -> int:
        """Seconds until the line now waiting has likely drained, at the rate turns have
        been ending (the measured turn time, shared by the turns running side by side):
        sending again sooner would find it full again. Called with the lock held."""
        ahead = len(self._line) + self._running
        guess = math.ceil(ahead * self._turn_seconds / self.max_running)
        return min(max(guess, 1), MAX_RETRY_AFTER_S)

    def _serve(self, place: Place[Any]) -> None:
        """Run `place`'s turn, then the next in line's, while there is a line. The thread is no
        daemon, and the app's shutdown `drain`s: what was accepted is answered first."""
        current: Place[Any] | None = place
        while current is not None:
            started = self._clock()
            value: Any = None
            error: BaseException | None = None
            try:
                value = current._work()
            except BaseException as e:  # delivered to whoever waits for the outcome
                error = e
            following, wakers = self._next(self._clock() - started)
            # Published once the place is free: a shopper who sends again at once finds it so.
            if error is None:
                current.outcome.set_result(value)
            else:
                current.outcome.set_exception(error)
            for wake in wakers:
                wake()
            current = following

    def _next(self, took: float) -> tuple[Place[Any] | None, list[Callable[[], None]]]:
        """A turn ended after `took` seconds: the first in line runs in its place, the rest
        move up."""
        wakers: list[Callable[[], None]] = []
        with self._lock:
            self._turn_seconds = 0.8 * self._turn_seconds + 0.2 * took
            following = self._line.popleft() if self._line else None
            if following is None:
                self._running -= 1
                if not self._running:
                    self._idle.notify_all()
            else:
                wakers += following._move(RUNNING)
                for n, place in enumerate(self._line):
                    wakers += place._move(Spot(n + 1, self._running + n))
        return following, wakers


class RateLimit:
    """At most `per_minute` messages a minute for each key (a customer, an address): a token
    bucket that holds a minute's worth and refills evenly. 0: no limit. Kept in memory, so each
    worker counts on its own."""

    def __init__(self, per_minute: int, *, clock: Clock = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}
        """key -> (tokens, when counted)."""
        self._prune_at = 10_000

    def take(self, key: str) -> float:
        """Take one message for `key`: 0.0 if allowed, else the seconds until one would be."""
        if self.per_minute <= 0:
            return 0.0
        now = self._clock()
        with self._lock:
            tokens = self._tokens(key, now)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) * 60.0 / self.per_minute
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > self._prune_at:
                self._prune(now)
            return 0.0

    def give_back(self, key: str) -> None:
        """Undo a `take` whose message was refused for another reason."""
        if self.per_minute <= 0:
            return
        now = self._clock()
        with self._lock:
            self._buckets[key] = (min(self._tokens(key, now) + 1.0, self.per_minute), now)

    def _tokens(self, key: str, now: float) -> float:
        tokens, then = self._buckets.get(key, (float(self.per_minute), now))
        return min(float(self.per_minute), tokens + (now - then) * self.per_minute / 60.0)

    def _prune(self, now: float) -> None:
        # A full bucket is the same as none: forget it, so memory follows the active keys.
        full = [k for k in self._buckets if self._tokens(k, now) >= self.per_minute]
        for key in full:
            del self._buckets[key]
        self._prune_at = max(10_000, 2 * len(self._buckets))


def retry_after(wait: float) -> int:
    """Whole seconds for a Retry-After header: never 0, which would invite a retry at once."""
    return max(1, math.ceil(wait))


def seconds(n: int) -> str:
    return "1 second" if n == 1 else f"{n} seconds"


class StreamCap:
    """At most `per_session` open live streams per browser session and `per_address` per
    client address, in one worker: a stream costs a poll of the database every second for as
    long as it stays open, so one visitor must not hold hundreds."""

    def __init__(self, per_session: int, per_address: int) -> None:
        self.per_session = per_session
        self.per_address = per_address
        self._lock = threading.Lock()
        self._open: dict[tuple[str, str], int] = {}

    def take(self, session: str, address: str) -> Callable[[], None]:
        """A place for one stream, and how to give it back (once, however often called);
        429 too_many_streams when the session or the address holds its share already."""
        keys = (("session", session), ("address", address))
        with self._lock:
            for (kind, key), cap in zip(keys, (self.per_session, self.per_address), strict=True):
                if self._open.get((kind, key), 0) >= cap:
                    raise Refused(
                        429,
                        "too_many_streams",
                        f"Too many live streams open from this {kind}: at most {cap}. Close "
                        "another page of the chat first.",
                        headers={"Retry-After": "5"},
                    )
            for k in keys:
                self._open[k] = self._open.get(k, 0) + 1
        released = False

        def release() -> None:
            nonlocal released
            with self._lock:
                if released:
                    return
                released = True
                for k in keys:
                    left = self._open.get(k, 0) - 1
                    if left > 0:
                        self._open[k] = left
                    else:
                        self._open.pop(k, None)

        return release

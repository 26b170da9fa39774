"""The queue in front of the one loaded local model: conversations are served in arrival order."""

from __future__ import annotations

import threading
import time

from shopkeep.llm.backends.local import FifoLock


def test_that_waiting_calls_get_the_model_in_the_order_they_asked_for_it() -> None:
    lock = FifoLock()
    served: list[int] = []
    lock.__enter__()  # the model is busy

    def call(number: int) -> None:
        with lock:
            served.append(number)

    threads = []
    for number in range(5):
        thread = threading.Thread(target=call, args=(number,))
        thread.start()
        threads.append(thread)
        # Start the next caller only once this one holds its ticket, so arrival order is known.
        while lock._next_ticket != number + 2:
            time.sleep(0.001)
    lock.__exit__(None, None, None)
    for thread in threads:
        thread.join()
    assert served == [0, 1, 2, 3, 4]


def test_that_the_lock_is_released_when_a_call_fails() -> None:
    lock = FifoLock()
    try:
        with lock:
            raise RuntimeError("the model failed")
    except RuntimeError:
        pass
    with lock:
        pass  # would wait forever if the failed call still held it

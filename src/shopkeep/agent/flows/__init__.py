"""Every job's flow, found by reading the modules of this package: a module adds a job by
defining a `Flow` subclass with its `job`."""

from __future__ import annotations

import importlib
import pkgutil

from shopkeep.agent.flows.base import Flow
from shopkeep.agent.jobs import Job


def _discover() -> dict[Job, Flow]:
    found: dict[Job, Flow] = {}
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        if module == "base":
            continue
        loaded = importlib.import_module(f"{__name__}.{module}")
        for value in vars(loaded).values():
            if (
                isinstance(value, type)
                and issubclass(value, Flow)
                and value is not Flow
                and value.__module__ == loaded.__name__
                and hasattr(value, "job")
            ):
                if value.job in found:
                    raise RuntimeError(f"two flows for job {value.job!r}")
                found[value.job] = value()
    return found


FLOWS: dict[Job, Flow] = _discover()

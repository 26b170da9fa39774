"""Idempotency-Key on the checkout API's POSTs: a repeat gets the first response, replayed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Response
from pydantic import BaseModel

from shopkeep.api.problems import AcpProblem, store_problem
from shopkeep.store.agent_checkout import RequestKeys
from shopkeep.store.errors import IdempotencyConflict, IdempotencyKeyInFlight

REPLAYED = "Idempotent-Replayed"


@dataclass(frozen=True)
class KeyedRequest:
    """A POST under an Idempotency-Key. `scope`: who sent it to which path — a key means
    nothing beyond its client and endpoint."""

    scope: str
    key: str
    fingerprint: str


def fingerprint(body: BaseModel | None) -> str:
    """Stands for the body's meaning: key order does not count, a null is not an absent
    field, array order counts."""
    data = body.model_dump(mode="json", exclude_unset=True) if body is not None else None
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class Idempotency:
    """Runs each keyed request once. Its response is kept with the key (a server error's is
    not: the key is let go, so a retry runs afresh); a repeat with the same body gets it back
    with `Idempotent-Replayed: true`, one with another body 422 `idempotency_conflict`, one
    while the first still runs 409 `idempotency_in_flight`."""

    def __init__(self, keys: RequestKeys) -> None:
        self._keys = keys

    def run(self, request: KeyedRequest, operation: Callable[[], Response]) -> Response:
        try:
            claim = self._keys.claim(request.scope, request.key, request.fingerprint)
        except (IdempotencyConflict, IdempotencyKeyInFlight) as refusal:
            raise store_problem(refusal) from None
        if claim.is_replay:
            return Response(
                content=claim.body or "",
                status_code=claim.status or 200,
                media_type="application/json",
                headers={REPLAYED: "true"},
            )
        assert claim.holder is not None
        try:
            try:
                response = operation()
            except AcpProblem as problem:
                response = problem.response()
        except BaseException:
            self._keys.release(request.scope, request.key, claim.holder)
            raise
        if response.status_code >= 500:
            self._keys.release(request.scope, request.key, claim.holder)
        else:
            body = bytes(response.body).decode()
            self._keys.finish(request.scope, request.key, claim.holder, response.status_code, body)
        return response

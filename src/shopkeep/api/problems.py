"""Refusals of the checkout API in the protocol's flat error shape, the store's mapped onto it."""

from __future__ import annotations

from typing import Literal

from fastapi.responses import JSONResponse

from shopkeep.api.acp_schema import API_VERSION, Error
from shopkeep.store.errors import (
    CheckoutSessionClosed,
    IdempotencyConflict,
    IdempotencyKeyInFlight,
    InvalidAddress,
    InvalidQuantity,
    NotFound,
    StoreError,
    VariantNotFound,
)

ErrorType = Literal["invalid_request", "processing_error", "service_unavailable"]

# The statuses the checkout API answers with besides success, for its OpenAPI document.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": Error, "description": "Invalid request, missing API-Version or Idempotency-Key"},
    401: {"model": Error, "description": "Missing or wrong API key"},
    404: {"model": Error, "description": "No such checkout session"},
    405: {"model": Error, "description": "The session is completed or canceled"},
    409: {"model": Error, "description": "A request with this Idempotency-Key is in flight"},
    422: {"model": Error, "description": "Idempotency-Key reused with another request body"},
    503: {"model": Error, "description": "The checkout API is not configured"},
}

_ADDRESS_FIELDS = {
    "address1": "line_one",
    "city": "city",
    "country": "country",
    "zip": "postal_code",
}


class AcpProblem(Exception):
    """A request refused with an `Error` body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        type: ErrorType = "invalid_request",
        param: str | None = None,
        headers: dict[str, str] | None = None,
        supported_versions: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = Error(
            type=type,
            code=code,
            message=message,
            param=param,
            supported_versions=[API_VERSION] if supported_versions else None,
        )
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse(
            self.error.model_dump(mode="json", exclude_none=True),
            status_code=self.status,
            headers=self.headers,
        )


def store_problem(error: StoreError, *, line_ids: list[str] | None = None) -> AcpProblem:
    """The store's refusal as the protocol shows it. `line_ids` are the request's item ids, to
    point at the item a refusal is about."""
    message = error.message
    if isinstance(error, IdempotencyConflict):
        return AcpProblem(422, "idempotency_conflict", message)
    if isinstance(error, IdempotencyKeyInFlight):
        retry = str(error.details["retry_after_seconds"])
        return AcpProblem(409, "idempotency_in_flight", message, headers={"Retry-After": retry})
    if isinstance(error, CheckoutSessionClosed):
        return AcpProblem(405, error.code, message)
    if isinstance(error, VariantNotFound):
        return AcpProblem(
            400, "invalid_item_id", message, param=_line_param(line_ids, error, ".item.id")
        )
    if isinstance(error, InvalidQuantity):
        return AcpProblem(400, "invalid_quantity", message, param=_line_param(line_ids, error))
    if isinstance(error, InvalidAddress):
        field = _ADDRESS_FIELDS.get(str(error.details.get("field")), "")
        param = "$.fulfillment_details.address" + (f".{field}" if field else "")
        return AcpProblem(400, error.code, message, param=param)
    if isinstance(error, NotFound):
        return AcpProblem(404, error.code, message)
    return AcpProblem(400, error.code, message)


def _line_param(line_ids: list[str] | None, error: StoreError, suffix: str = "") -> str | None:
    variant_id = error.details.get("variant_id")
    if not line_ids or variant_id not in line_ids:
        return "$.line_items"
    return f"$.line_items[{line_ids.index(str(variant_id))}]{suffix}"

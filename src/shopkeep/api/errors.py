"""Refusals of the chat, console and analytics routes in one JSON shape: {"error": {code,
message, details}}, the store's typed errors mapped to their HTTP status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from shopkeep.store.errors import StoreError


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorOut(BaseModel):
    error: ErrorBody


def stream_errors(responses: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """`responses` as a streaming route documents them: it refuses before its stream starts,
    with a JSON body like any route (a model would be documented as the stream's type)."""
    ref = {"$ref": "#/components/schemas/ErrorOut"}
    return {
        status: {"description": r["description"], "content": {"application/json": {"schema": ref}}}
        for status, r in responses.items()
    }


class Refused(Exception):
    """A request the HTTP layer itself refuses (no login, not allowed, too busy)."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorOut(error=ErrorBody(code=code, message=message, details=details or {}))
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status, headers=dict(headers or {})
    )


def _invalid(invalid: RequestValidationError) -> JSONResponse:
    first = invalid.errors()[0] if invalid.errors() else {}
    if first.get("type") == "json_invalid":
        return error_response(400, "invalid_json", "The request body is not valid JSON.")
    where = [str(p) for p in first.get("loc", ()) if p != "body"]
    field = ".".join(where)
    # pydantic prefixes what a validator raised; the reader needs only the reason.
    reason = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    message = f"{field}: {reason}" if field else reason
    return error_response(422, "invalid_request", message, {"field": field} if field else None)


def install_error_handlers(app: FastAPI) -> None:
    async def store_error(_: Request, e: Exception) -> JSONResponse:
        assert isinstance(e, StoreError)
        return error_response(e.http_status, e.code, e.message, e.details)

    async def refused(_: Request, e: Exception) -> JSONResponse:
        assert isinstance(e, Refused)
        return error_response(e.status, e.code, e.message, headers=e.headers)

    async def invalid(_: Request, e: Exception) -> JSONResponse:
        assert isinstance(e, RequestValidationError)
        return _invalid(e)

    async def http_error(_: Request, e: Exception) -> JSONResponse:
        assert isinstance(e, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(e.status_code, "http_error")
        return error_response(e.status_code, code, str(e.detail), headers=e.headers)

    async def unexpected(_: Request, e: Exception) -> JSONResponse:
        # Logged with its traceback by the server; the client gets the shape, not the trace.
        return error_response(
            500, "internal_error", "Something went wrong on our side; please try again."
        )

    app.add_exception_handler(Exception, unexpected)
    app.add_exception_handler(StoreError, store_error)
    app.add_exception_handler(Refused, refused)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)

"""Redaction of personal data and credentials in every log record: emails, phone numbers, card
numbers, bearer and MCP tokens, payment tokens and the shop's own configured secrets."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import SecretStr

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
"""uvicorn configures these itself when it starts (replacing their handlers, keeping filters)."""

_REDACTED = "[redacted]"

# Card numbers: 13 to 19 digits, maybe in groups split by one space or dash.
_CARD_CANDIDATE = re.compile(r"(?<![\w.])\d(?:[ -]?\d){12,18}(?![\w]|\.\d)")
_CARD_GROUPS = re.compile(r"\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{4,5}")
# A security code is never kept, even alone: "CVV 737", "cvc: 1234", "安全码 737", "CVC 번호 737".
_SECURITY_CODE = re.compile(
    r"(?i)(\b(?:cvv2?|cvc2?|csc|security\s+code)|安全码|보안\s*코드)"
    r"(\W{0,3}(?:번호\W{0,2})?)\d{3,4}(?!\d)"
)

_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", re.ASCII
)

# Phone numbers as people write them, and as forms send them. Each shape is anchored so that
# dates (2026-11-20), times, IP addresses, order ids (#W1234567), prices and epoch seconds
# (ten digits starting with 1) are left alone.
_PHONES = (
    # international: +1 555 123 4567, +82-10-1234-5678, +8613800138000
    re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){1,4}[ .-]?\d{3,4}(?![\w])"),
    # (555) 123-4567
    re.compile(r"(?<![\w])\(\d{2,4}\)\s?\d{3,4}[ .-]\d{4}(?![\w])"),
    # 555-123-4567, 010-1234-5678, 02.123.4567, 138 0013 8000
    re.compile(r"(?<![\w.:/-])\d{2,4}([ .-])\d{3,4}\1\d{4}(?![\w]|[.:/-]\d)"),
    # a bare run: 5551234567, 01012345678, 13800138000, 15551234567
    re.compile(r"(?<![\w.:/=-])(?:[02-9]\d{9}|[01]\d{10})(?![\w]|[.:/-]\d)"),
)

_CREDENTIALS = (
    # Authorization: Bearer x / Basic x / x
    (
        re.compile(
            r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|basic|token)\s+)?[^\s\"',;]+"
        ),
        r"\1" + _REDACTED,
    ),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1" + _REDACTED),
    # shopkeep's MCP tokens, and JSON web tokens
    (re.compile(r"\bskmcp1\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)?"), "skmcp1." + _REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), _REDACTED),
    # payment gateways' tokens (tok_visa_4242) and API keys (sk-..., whsec_...)
    (re.compile(r"\b(?:tok|whsec|sk|rk|pk)_[A-Za-z0-9_]{4,}"), _REDACTED),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{12,}"), _REDACTED),
    # key=value and "key": "value" where the key names a credential
    (
        re.compile(
            r"(?i)\b((?:api[_-]?key|secret(?:[_-]key)?|password|passwd|access[_-]token|"
            r"refresh[_-]token|token|shopkeep_session|set-cookie|cookie)[\"']?\s*[:=]\s*[\"']?)"
            r"[^\s\"',;&]+"
        ),
        r"\1" + _REDACTED,
    ),
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _is_card(found: str) -> bool:
    return _luhn(re.sub(r"\D", "", found)) or bool(_CARD_GROUPS.fullmatch(found))


def holds_card_number(text: str) -> bool:
    """True when `text` holds a card number (13-19 digits that pass the Luhn check, or are
    grouped as cards are written)."""
    return any(_is_card(m.group(0)) for m in _CARD_CANDIDATE.finditer(text))


def mask_card_numbers(text: str) -> str:
    """`text` with every card number (13-19 digits that pass the Luhn check, or are grouped as
    cards are written) cut to its last four digits ('4111 1111 1111 1111' -> '**** 1111'), and
    every security code said as one ('CVV 737') hidden."""

    def mask(match: re.Match[str]) -> str:
        found = match.group(0)
        return "**** " + re.sub(r"\D", "", found)[-4:] if _is_card(found) else found

    return _SECURITY_CODE.sub(r"\1\2***", _CARD_CANDIDATE.sub(mask, text))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with personal data and credentials replaced: card numbers to their last four
    digits, emails, phone numbers and tokens to a marker, and each of `secrets` wherever it
    appears."""
    for secret in secrets:
        text = text.replace(secret, _REDACTED)
    for pattern, replacement in _CREDENTIALS:
        text = pattern.sub(replacement, text)
    text = mask_card_numbers(text)
    text = _EMAIL.sub("[email]", text)
    for phone in _PHONES:
        text = phone.sub("[phone]", text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, arguments, traceback and stack in place, so whatever
    handler writes it next writes no personal data or credential. It never drops a record."""

    def __init__(self, secrets: Iterable[str | bytes | SecretStr | None] = ()) -> None:
        super().__init__()
        plain = {_plain(s) for s in secrets}
        # Short values would blank out ordinary words; the longest first, so none is left half.
        self.secrets = tuple(sorted((s for s in plain if len(s) >= 8), key=len, reverse=True))

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "shopkeep_redacted", False):
            return True  # met on the logger and again on a handler
        record.msg = self._value(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {k: self._value(v) for k, v in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(self._value(a) for a in record.args)
        if record.exc_info and not record.exc_text:
            # Formatted here, once, as a handler's formatter would: a formatter uses this text
            # when it is set instead of formatting the exception again.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        # uvicorn's access formatter reads its arguments one by one: they are redacted above.
        if record.args and record.name != "uvicorn.access":
            # A detail split between the format and its arguments shows only in the whole.
            try:
                message = record.getMessage()
            except (TypeError, ValueError):
                message = None
            if message is not None and self.redact(message) != message:
                record.msg, record.args = self.redact(message), None
        setattr(record, "shopkeep_redacted", True)  # noqa: B010
        return True

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if value is None or isinstance(value, bool | int | float):
            return value  # numbers keep their type: a format may say %d
        text = str(value)
        redacted = self.redact(text)
        return value if redacted == text else redacted


def _plain(secret: str | bytes | SecretStr | None) -> str:
    if secret is None:
        return ""
    if isinstance(secret, SecretStr):
        return secret.get_secret_value()
    if isinstance(secret, bytes):
        return secret.decode("utf-8", "replace")
    return secret


def _targets() -> list[logging.Filterer]:
    """Where the filter goes: the root logger's handlers (and the handler of last resort,
    which writes warnings when the root has none), and uvicorn's loggers and their handlers.
    On uvicorn's loggers themselves it survives uvicorn replacing their handlers."""
    targets: list[logging.Filterer] = list(logging.getLogger().handlers)
    if logging.lastResort is not None:
        targets.append(logging.lastResort)
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        targets.append(logger)
        targets.extend(logger.handlers)
    return targets


def install_redaction(
    secrets: Iterable[str | bytes | SecretStr | None] = (),
) -> RedactingFilter:
    """Redact every record that reaches the root logger's handlers or uvicorn's loggers, from
    now on; `secrets` (the configured keys) are redacted wherever they appear too. Installing
    again replaces the filter installed before. Call it after logging is configured: a handler
    added to the root logger later does not have it."""
    remove_redaction()
    redactor = RedactingFilter(secrets)
    for target in _targets():
        target.addFilter(redactor)
    return redactor


def remove_redaction() -> None:
    """Take every RedactingFilter off the places `install_redaction` puts it."""
    for target in _targets():
        for f in list(target.filters):
            if isinstance(f, RedactingFilter):
                target.removeFilter(f)

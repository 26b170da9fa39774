"""Order events sent to the agent platform's webhook, signed (Merchant-Signature, HMAC-SHA256)
and retried with exponential backoff until delivered or given up; every attempt is recorded."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta

from shopkeep.api.settings import AcpSettings
from shopkeep.store.agent_checkout import AgentCheckout, DeliveryView
from shopkeep.store.context import Clock

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Merchant-Signature"
_SIGNATURE = re.compile(r"^t=(\d+),v1=([0-9a-fA-F]{64})$")

# (url, body, headers, timeout) -> (HTTP status or None, error or None)
Post = Callable[[str, bytes, dict[str, str], float], tuple[int | None, str | None]]


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    """The Merchant-Signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
    "<t>." + body>`."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: bytes, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver checks: the header is well formed, its time within `tolerance` seconds
    of `now`, and its HMAC that of this body."""
    match = _SIGNATURE.match(header.strip())
    if match is None:
        return False
    timestamp = int(match.group(1))
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), f"t={timestamp},v1={match[2]}")


def post_json(
    url: str, body: bytes, headers: dict[str, str], timeout: float
) -> tuple[int | None, str | None]:
    if not url.startswith(("http://", "https://")):
        return None, "the webhook URL must be http or https"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), None
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code} {error.reason}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(error)


class WebhookSender:
    """Sends the outbox's due order events. Each attempt signs the body afresh (a new
    timestamp) over the same bytes, so the receiver sees one event however often it is tried.
    Several workers may run it at once: each delivery is claimed before it is sent."""

    def __init__(
        self,
        checkout: AgentCheckout,
        settings: AcpSettings,
        *,
        url: str,
        secret: bytes,
        render: Callable[[DeliveryView], bytes],
        clock: Clock,
        post: Post = post_json,
    ) -> None:
        self._checkout = checkout
        self._settings = settings
        self._url = url
        self._secret = secret
        self._render = render
        self._clock = clock
        self._post = post

    def deliver_due(self) -> int:
        """Queue the order changes not yet told, then try every delivery that is due (an
        order's later events once its earlier ones are delivered); returns how many attempts
        were made."""
        self._checkout.queue_order_updates()
        # long enough that no other worker takes a delivery while this one is sending it
        lease = timedelta(seconds=self._settings.webhook_timeout_seconds * 3)
        tried = 0
        # Each attempt moves its delivery out of the due ones (sent, given up, or retried
        # later), so this ends.
        while due := self._checkout.take_due_deliveries(lease=lease):
            for delivery in due:
                self._attempt(delivery)
            tried += len(due)
        return tried

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt: doubling from the configured
        start, up to the configured maximum."""
        s = self._settings
        seconds = s.webhook_backoff_seconds * 2 ** min(attempts - 1, 30)
        return timedelta(seconds=min(seconds, s.webhook_backoff_max_seconds))

    def _attempt(self, delivery: DeliveryView) -> None:
        status: int | None = None
        error: str | None = "could not be rendered"
        try:
            body = delivery.body.encode() if delivery.body else self._render(delivery)
        except Exception:
            log.exception("order event %s could not be rendered", delivery.id)
            body = b""
        else:
            now = self._clock()
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(self._secret, body, int(now.timestamp())),
                "Request-Id": f"whd_{delivery.id}_{delivery.attempts}",
                "Timestamp": now.isoformat().replace("+00:00", "Z"),
            }
            status, error = self._post(
                self._url, body, headers, self._settings.webhook_timeout_seconds
            )
        delivered = status is not None and 200 <= status < 300
        retry_at = None
        if not delivered and delivery.attempts < self._settings.webhook_max_attempts:
            retry_at = self._clock() + self.backoff(delivery.attempts)
        if not delivered:
            log.warning(
                "order event %s to %s failed (attempt %s): %s",
                delivery.id,
                self._url,
                delivery.attempts,
                error or status,
            )
        self._checkout.record_attempt(
            delivery.id,
            url=self._url,
            body=body.decode(),
            status_code=status,
            error=error,
            retry_at=retry_at,
        )

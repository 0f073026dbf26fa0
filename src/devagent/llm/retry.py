"""Retries shared by every model adapter: the policy, the retryable fault and the final error.

An adapter turns each failed attempt into either a ``Retryable`` (worth another try: HTTP
408/409/429/5xx, a dropped connection, an idle timeout, an overload reported inside the
stream, a stream that ended early) or a final ``ModelError``; ``run_with_retries`` does the
rest, the same way for every provider: exponential backoff with jitter, a server's
``retry-after`` honoured but capped (a longer wait is announced, never slept silently), a
``Retrying`` event before each new attempt, and ``IncompleteStreamError`` when the last
attempt was cut short, so the caller knows no tool was run from it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass
from typing import TypeVar

from devagent.errors import IncompleteStreamError, ModelError
from devagent.events import EventSink, Notice, Retrying

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. ``retry_after_cap`` bounds a server's ``retry-after``."""

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    retry_after_cap: float = 60.0

    def backoff(self, retries_taken: int) -> float:
        delay = min(self.base_delay * 2.0**retries_taken, self.max_delay)
        return delay * (1 - 0.25 * random.random())


class Retryable(Exception):
    """A fault worth another attempt; ``delay`` is the server's hint, if any.

    ``incomplete`` marks a reply that was cut short: if it is the last attempt, the caller
    gets ``IncompleteStreamError`` rather than a plain ``ModelError``.
    """

    def __init__(self, reason: str, delay: float | None = None, incomplete: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay
        self.incomplete = incomplete


def run_with_retries(
    attempt: Callable[[], T],
    policy: RetryPolicy,
    on_event: EventSink,
    sleep: Callable[[float], None],
) -> T:
    """Call ``attempt`` until it returns, retrying ``Retryable`` faults as ``policy`` allows."""
    retries = 0
    while True:
        try:
            return attempt()
        except Retryable as fault:
            if retries >= policy.max_retries:
                raise final_error(fault, retries + 1) from None
            delay = retry_delay(policy, fault, retries, on_event)
            retries += 1
            on_event(Retrying(retries, delay, fault.reason))
            sleep(delay)


def retry_delay(policy: RetryPolicy, fault: Retryable, retries: int, on_event: EventSink) -> float:
    """The server's hint capped by the policy (saying so when it was cut), else backoff."""
    if fault.delay is None:
        return policy.backoff(retries)
    cap = policy.retry_after_cap
    if fault.delay > cap:
        on_event(Notice(f"server asked to wait {fault.delay:.0f}s; waiting {cap:.0f}s", "warn"))
    return min(fault.delay, cap)


def header_delay(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (numbers only), if given."""
    if not headers:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw:
            try:
                return max(0.0, float(raw) * scale)
            except ValueError:
                continue
    return None


def status_fault(
    status: int,
    error_type: str | None,
    message: str,
    headers: Mapping[str, str] | None,
    retryable: Container[int] = RETRYABLE_STATUS,
) -> Exception:
    """A non-200 answer as ``Retryable`` or a final ``ModelError``.

    ``x-should-retry`` (sent by Anthropic and OpenAI) overrides the status either way.
    """
    should_retry = headers.get("x-should-retry") if headers is not None else None
    if should_retry == "false" or (should_retry != "true" and status not in retryable):
        return ModelError(f"The API returned HTTP {status} ({error_type}): {message}")
    return Retryable(f"HTTP {status} {error_type or ''}".strip(), header_delay(headers))


def final_error(fault: Retryable, attempts: int) -> ModelError:
    """The error raised when the retry budget is spent; names the last fault."""
    text = f"The model API failed after {attempts} attempts: {fault.reason}."
    if fault.incomplete:
        return IncompleteStreamError(text + " The reply was incomplete, so no tool was run.")
    return ModelError(text)

"""The Anthropic adapter over the official ``anthropic`` SDK, imported lazily.

Anthropic's own API is served by ``llm.anthropic_native`` (httpx, no SDK import on the hot path);
this adapter stays for the clients only the SDK provides (Bedrock, Vertex) and as the reference
that the native client is tested against. Both share ``llm.anthropic_wire``: the request body,
the stream accumulator and the fault mapping. This is the only module that imports the SDK.

It owns every retry. The SDK's own retries are switched off (``max_retries=0``) because they
do not cover faults inside a stream and honour any ``retry-after`` uncapped; one layer
(``llm.retry``, shared with the other adapters) retries HTTP 408/409/429/5xx/529, connection
faults, idle timeouts, in-stream ``overloaded_error``/``api_error`` events and streams that
end without ``message_stop``.
A reply is returned only when the stream completed; a tool is never run from a partial one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from devagent.events import EventSink
from devagent.llm.anthropic_wire import (
    Accumulator,
    auth_error,
    body_error_message,
    body_error_type,
    request_params,
    status_error,
)
from devagent.llm.retry import Retryable, RetryPolicy, run_with_retries
from devagent.messages import AssistantReply, ModelRequest

if TYPE_CHECKING:
    import anthropic

__all__ = ["AnthropicModel", "RetryPolicy", "request_params"]


class AnthropicModel:
    """Streams replies from the Messages API through the official SDK.

    ``make_client`` builds another SDK client on the first request (``AnthropicBedrock``,
    ``AnthropicVertex``: ``devagent.llm.cloud``); it must switch the SDK's retries off.
    The stream is decoded by the client's own decoder (Bedrock's is AWS event-stream framing).
    """

    def __init__(
        self,
        name: str,
        *,
        api_key: str,
        base_url: str | None = None,
        policy: RetryPolicy | None = None,
        idle_timeout: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        make_client: Callable[[], anthropic.Anthropic] | None = None,
    ) -> None:
        self.name = name
        self._api_key, self._base_url = api_key, base_url
        self._make_client = make_client
        self._policy = policy or RetryPolicy()
        self._idle_timeout = idle_timeout
        self._sleep = sleep
        self._client: anthropic.Anthropic | None = None

    def _sdk(self) -> anthropic.Anthropic:
        if self._client is None and self._make_client is not None:
            self._client = self._make_client()
        if self._client is None:
            import anthropic  # deferred: importing the SDK costs about a second

            self._client = anthropic.Anthropic(
                api_key=self._api_key,
                base_url=self._base_url,
                max_retries=0,
                timeout=anthropic.Timeout(600.0, connect=10.0, read=self._idle_timeout),
            )
        return self._client

    def warm(self) -> None:
        """Import the SDK now (1.5-2 s), e.g. while the user types. No client is built: a
        cloud client may look for credentials over the network."""
        import anthropic  # noqa: F401

    def stream(self, request: ModelRequest, on_event: EventSink) -> AssistantReply:
        return run_with_retries(
            lambda: self._attempt(request, on_event), self._policy, on_event, self._sleep
        )

    def _attempt(self, request: ModelRequest, on_event: EventSink) -> AssistantReply:
        acc = Accumulator(on_event)
        try:
            client = self._sdk()
            with client.messages.with_streaming_response.create(
                **request_params(self.name, request), stream=True
            ) as response:
                decoder = client._make_sse_decoder()
                for sse in decoder.iter_bytes(response.http_response.iter_bytes()):
                    if not acc.feed(sse.event, sse.data):
                        break
        except Retryable:
            raise
        except Exception as exc:  # narrowed by _classify; anything unknown is re-raised
            raise _classify(exc, self.name) from exc
        return acc.reply()


def _classify(exc: Exception, model: str) -> Exception:
    """Map an SDK or transport exception to ``Retryable`` or a final ``ModelError``."""
    import anthropic
    import httpx2

    if isinstance(exc, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
        return auth_error(exc.status_code)
    if isinstance(exc, anthropic.APIStatusError):
        return _classify_status(exc, model)
    if isinstance(exc, httpx2.RemoteProtocolError):
        return Retryable("the connection closed in the middle of the reply", incomplete=True)
    if isinstance(exc, httpx2.ReadTimeout):
        return Retryable("no data from the API within the idle timeout")
    if isinstance(exc, anthropic.APIConnectionError | httpx2.TransportError):
        return Retryable(f"connection problem: {type(exc).__name__}")
    return exc


def _classify_status(exc: anthropic.APIStatusError, model: str) -> Exception:
    headers = exc.response.headers if exc.response is not None else None
    error_type = getattr(exc, "type", None) or body_error_type(exc.body)
    message = body_error_message(exc.body) or str(exc)
    return status_error(exc.status_code, error_type, message, headers, model)

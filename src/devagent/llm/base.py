"""The Model seam: one method that turns a request into a complete assistant reply.

Guarantees an implementation must keep:
- ``stream`` returns only a *complete* reply: the message ended with ``message_stop`` and a
  non-null ``stop_reason`` (in Chat Completions: a non-null ``finish_reason``). Anything less
  is retried or raised as ``IncompleteStreamError``.
- Text is passed to ``on_event`` as ``TextDelta`` while it arrives; a retry after partial
  output is announced with a ``Retrying`` event so the UI can say so.
- Tool inputs that could not be parsed are reported in ``AssistantReply.input_errors``
  rather than replaced by a default.
- Failures are raised as ``devagent.errors.ModelError`` subclasses, never as SDK exceptions.

What a reply costs: a model that knows its own price (a ``PricedModel``: a provider profile's
model, priced from settings or not at all) says so through ``price``, None meaning nobody knows;
any other model is an Anthropic model priced at list price by its id (``config.cost_of``).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from devagent.config import Price, cost_at, cost_of
from devagent.events import EventSink
from devagent.messages import AssistantReply, ModelRequest


class Model(Protocol):
    name: str

    def stream(self, request: ModelRequest, on_event: EventSink) -> AssistantReply:
        """Send ``request`` and return the complete reply."""
        ...


@runtime_checkable
class PricedModel(Protocol):
    """A model that carries its own price; ``price`` None: the price is unknown."""

    name: str
    price: Price | None

    def stream(self, request: ModelRequest, on_event: EventSink) -> AssistantReply: ...


def reply_cost(model: Model, reply: AssistantReply) -> float | None:
    """What ``reply`` cost in US dollars; None when the model's price is unknown."""
    if isinstance(model, PricedModel):
        return None if model.price is None else cost_at(model.price, reply.usage)
    return cost_of(reply.model or model.name, reply.usage)


def window_of(model: Model) -> int | None:
    """The context window ``model`` carries (a profile's, from settings); None: the default."""
    size = getattr(model, "context_window", None)
    return size if isinstance(size, int) and not isinstance(size, bool) else None


@runtime_checkable
class Warmable(Protocol):
    """A model that can get ready for its first request ahead of time (imports, TLS context,
    connection pool), e.g. while the user types. ``warm`` may be called from any thread, more
    than once, and sends nothing over the network."""

    def warm(self) -> None: ...

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
"""

from __future__ import annotations

from typing import Protocol

from devagent.events import EventSink
from devagent.messages import AssistantReply, ModelRequest


class Model(Protocol):
    name: str

    def stream(self, request: ModelRequest, on_event: EventSink) -> AssistantReply:
        """Send ``request`` and return the complete reply."""
        ...

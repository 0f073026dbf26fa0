"""When a conversation's history is summarised, and what each summary leaves behind.

Three triggers (``devagent.compaction`` does the summarising):

- ``before_request``: the last request filled ``AUTO_RATIO`` of the window; a failure is a
  warning and the request goes out with the full history;
- ``to_fit``: the API refused a request as too long; a failure is a ``ModelError``;
- ``manual``: ``/compact``; an error (or Ctrl-C) leaves the history as it was.

Each summary is charged to the conversation's ``Spend``, recorded in its transcript and
announced with ``CompactionNotice`` events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

from devagent import session
from devagent.agent import Agent, Spend
from devagent.compaction import (
    KEEP_RATIO,
    CompactionError,
    compact,
    model_window,
    needs_compaction,
)
from devagent.errors import DevagentError, ModelError
from devagent.events import CompactionNotice, EventSink
from devagent.llm.base import window_of
from devagent.messages import Message, Usage

Trigger = Literal["auto", "overflow", "manual"]


class CompactionHost(Protocol):
    """The conversation being compacted: its current agent and transcript."""

    agent: Agent
    transcript: session.Transcript


class Compactor:
    """Compacts one conversation's history (see the module docstring)."""

    def __init__(
        self,
        host: CompactionHost,
        spend: Spend,
        emit: EventSink,
        before: Callable[[Trigger, str | None], None] | None = None,
    ) -> None:
        self._host = host
        self._spend = spend
        self._emit = emit
        self._before = before  # told before each summary (PreCompact hooks)
        # The context the last request held: what decides when to compact.
        self.last_usage = Usage()

    def manual(self, focus: str | None) -> bool:
        """Summarise the whole conversation; False when there is nothing to."""
        agent = self._host.agent
        done = self._summarise(agent.history, focus, 0.0, "manual")
        if done is None:
            return False
        agent.history = done
        return True

    def before_request(self, history: list[Message]) -> list[Message]:
        """Compact before a request once the last one filled most of the window."""
        model = self._host.agent.model
        if not needs_compaction(self.last_usage, model.name, window=model_window(model)):
            return history
        self._emit(
            CompactionNotice("starting", "The context is nearly full; summarising older messages.")
        )
        try:
            return self._summarise(history, None, KEEP_RATIO, "auto") or history
        except (CompactionError, DevagentError) as exc:
            text = f"Not compacted ({exc}); continuing with the full history."
            self._emit(CompactionNotice("skipped", text, "warn"))
            self.last_usage = Usage()  # ask again only after the next reply
            return history

    def to_fit(self) -> None:
        """Summarise what precedes this turn (and maybe a few recent turns), or fail clearly."""
        agent = self._host.agent
        text = "The conversation no longer fits the context window; summarising it."
        self._emit(CompactionNotice("starting", text, "warn", "overflow"))
        try:
            compacted = self._summarise(agent.history, None, KEEP_RATIO, "overflow")
        except CompactionError as exc:
            raise ModelError(f"The prompt is too long and summarising failed ({exc}).") from exc
        if compacted is None:
            raise ModelError("The prompt is too long and there is nothing older to summarise.")
        agent.history = compacted

    def _summarise(
        self, history: list[Message], focus: str | None, keep_ratio: float, trigger: Trigger
    ) -> list[Message] | None:
        """The compacted history (recorded in the transcript), or None if nothing to do."""
        agent = self._host.agent
        if self._before is not None:
            self._before(trigger, focus)
        done = compact(
            history,
            agent.model,
            system=agent.system,
            tools=agent.tools.specs(),
            focus=focus,
            keep_ratio=keep_ratio,
            emit=self._emit,
        )
        if done is None:
            return None
        window = window_of(agent.model)
        self._spend.charge(done.usage, done.cost_usd, agent.model.name, window=window)
        self.last_usage = Usage()
        self._host.transcript.append(
            {"type": "compaction", "summary": done.summary, "messages": done.messages}
        )
        text = f"Compacted {done.replaced} messages into a summary."
        self._emit(CompactionNotice("done", text, trigger=trigger))
        return done.messages

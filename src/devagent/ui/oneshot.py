"""One-shot output: progress on stderr; text, json or stream-json results on stdout.

Progress lines come out in the order of the calls in the model's reply, even when read-only
calls run in parallel and finish in another order (``CallOrder``).
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Literal

from devagent.events import (
    AssistantMessageDone,
    CompactionNotice,
    Event,
    Notice,
    PermissionDenied,
    Retrying,
    ToolFinished,
    ToolResultsSent,
    ToolStarted,
)
from devagent.images import redact_images

OutputFormat = Literal["text", "json", "stream-json"]

# The input field that says what a call acts on, first match wins.
_SUMMARY_KEYS = (
    "file_path",
    "notebook_path",
    "path",
    "pattern",
    "command",
    "description",
    "subagent_type",
    "skill",
)


def _summary(tool_input: dict[str, Any]) -> str:
    for key in _SUMMARY_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            first = value.splitlines()[0] if value.strip() else value
            return first[:80] + ("…" if len(first) > 80 else "")
    return ""


def _line(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


class CallOrder:
    """Holds a call's progress lines until every call before it in the reply is done.

    ``expect`` names the calls of a reply in order; ``add`` gives a line of one call (and says
    when the call is finished). Lines of the first unfinished call come out as they arrive;
    later calls wait their turn. Lines of calls not in the reply (a sub-agent's) come out at
    once. ``flush`` writes whatever is still held, in order. Thread-safe.
    """

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self._lock = threading.Lock()
        self._order: list[str] = []
        self._next = 0
        self._held: dict[str, list[str]] = {}
        self._finished: set[str] = set()

    def expect(self, tool_use_ids: Sequence[str]) -> None:
        with self._lock:
            self._flush()
            self._order = list(tool_use_ids)

    def add(self, tool_use_id: str, line: str | None, *, finished: bool = False) -> None:
        with self._lock:
            if tool_use_id not in self._order[self._next :]:
                if line is not None:
                    self._write(line)
                return
            if line is not None:
                self._held.setdefault(tool_use_id, []).append(line)
            if finished:
                self._finished.add(tool_use_id)
            self._release()

    def flush(self) -> None:
        with self._lock:
            self._flush()

    def _release(self) -> None:
        while self._next < len(self._order):
            current = self._order[self._next]
            for line in self._held.pop(current, []):
                self._write(line)
            if current not in self._finished:
                return
            self._next += 1

    def _flush(self) -> None:
        for tool_use_id in self._order[self._next :]:
            for line in self._held.pop(tool_use_id, []):
                self._write(line)
        self._order, self._next = [], 0
        self._held.clear()
        self._finished.clear()


@dataclass
class OneShotPrinter:
    """Turns loop events into output. stdout carries only the documented format."""

    fmt: OutputFormat
    session_id: str
    out: IO[str] = field(default_factory=lambda: sys.stdout)
    err: IO[str] = field(default_factory=lambda: sys.stderr)
    quiet: bool = False
    order: CallOrder = field(init=False)
    stop_reason: str | None = None  # the last reply's (the result's ``stop_reason``)

    def __post_init__(self) -> None:
        self.order = CallOrder(self._err)

    def init(
        self,
        model: str,
        agent: str | None,
        tools: list[str],
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """The stream-json init line: its fixed keys, then ``details`` (``devagent.runinfo``)."""
        if self.fmt == "stream-json":
            self._emit_json(
                {
                    "type": "system",
                    "subtype": "init",
                    "session_id": self.session_id,
                    "model": model,
                    "agent": agent,
                    "tools": tools,
                    **(details or {}),
                }
            )

    def __call__(self, event: Event) -> None:
        if isinstance(event, AssistantMessageDone):
            self.stop_reason = event.reply.stop_reason
        if self.fmt == "stream-json":
            self._stream_json(event)
        self._progress(event)

    def _stream_json(self, event: Event) -> None:
        if isinstance(event, AssistantMessageDone):
            message = {
                "id": event.reply.message_id,
                "role": "assistant",
                "model": event.reply.model,
                "content": event.reply.content,
                "stop_reason": event.reply.stop_reason,
                "usage": event.reply.usage.as_dict(),
            }
            self._emit_json(
                {"type": "assistant", "message": message, "session_id": self.session_id}
            )
        elif isinstance(event, ToolResultsSent):
            # An image's base64 is the model's alone: stdout says the image was left out.
            message = {"role": "user", "content": redact_images(event.blocks)}
            self._emit_json({"type": "user", "message": message, "session_id": self.session_id})

    def _progress(self, event: Event) -> None:
        if self.quiet:
            return
        if isinstance(event, AssistantMessageDone):
            self.order.expect([block["id"] for block in event.reply.tool_uses()])
        elif isinstance(event, ToolResultsSent):
            self.order.flush()
        elif isinstance(event, ToolStarted):
            self.order.add(event.tool_use_id, f"→ {event.name} {_summary(event.input)}".rstrip())
        elif isinstance(event, ToolFinished):
            first = (event.content.splitlines() or [""])[0][:160]
            line = f"  ✗ {event.name}: {first}" if event.is_error else None
            self.order.add(event.tool_use_id, line, finished=True)
        elif isinstance(event, PermissionDenied):
            self.order.add(event.tool_use_id, f"  ⊘ {event.tool_name} denied: {event.reason}")
        elif isinstance(event, Retrying):
            self._err(f"  retrying ({event.reason}) in {event.delay_s:.1f}s [{event.attempt}]")
        elif isinstance(event, Notice | CompactionNotice):
            self._err(f"{event.level}: {event.text}")

    def result(self, payload: dict[str, Any]) -> None:
        self.order.flush()
        if self.fmt == "text":
            text = str(payload.get("result", ""))
            if payload.get("is_error"):
                self._err(f"error: {text}")
            else:
                self.out.write(text + ("" if text.endswith("\n") else "\n"))
                self.out.flush()
        else:
            self._emit_json(payload)

    def _emit_json(self, payload: dict[str, Any]) -> None:
        self.out.write(_line(payload) + "\n")
        self.out.flush()

    def _err(self, text: str) -> None:
        self.err.write(text + "\n")
        self.err.flush()

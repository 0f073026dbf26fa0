"""One-shot output: progress on stderr; text, json or stream-json results on stdout."""

from __future__ import annotations

import json
import sys
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

OutputFormat = Literal["text", "json", "stream-json"]


def _summary(tool_input: dict[str, Any]) -> str:
    for key in ("file_path", "path", "pattern", "command", "description", "subagent_type"):
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            first = value.splitlines()[0] if value.strip() else value
            return first[:80] + ("…" if len(first) > 80 else "")
    return ""


def _line(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


@dataclass
class OneShotPrinter:
    """Turns loop events into output. stdout carries only the documented format."""

    fmt: OutputFormat
    session_id: str
    out: IO[str] = field(default_factory=lambda: sys.stdout)
    err: IO[str] = field(default_factory=lambda: sys.stderr)
    quiet: bool = False

    def init(self, model: str, agent: str | None, tools: list[str]) -> None:
        if self.fmt == "stream-json":
            self._emit_json(
                {
                    "type": "system",
                    "subtype": "init",
                    "session_id": self.session_id,
                    "model": model,
                    "agent": agent,
                    "tools": tools,
                }
            )

    def __call__(self, event: Event) -> None:
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
            message = {"role": "user", "content": event.blocks}
            self._emit_json({"type": "user", "message": message, "session_id": self.session_id})

    def _progress(self, event: Event) -> None:
        if self.quiet:
            return
        if isinstance(event, ToolStarted):
            self._err(f"→ {event.name} {_summary(event.input)}".rstrip())
        elif isinstance(event, ToolFinished) and event.is_error:
            self._err(f"  ✗ {event.name}: {event.content.splitlines()[0][:160]}")
        elif isinstance(event, PermissionDenied):
            self._err(f"  ⊘ {event.tool_name} denied: {event.reason}")
        elif isinstance(event, Retrying):
            self._err(f"  retrying ({event.reason}) in {event.delay_s:.1f}s [{event.attempt}]")
        elif isinstance(event, Notice | CompactionNotice):
            self._err(f"{event.level}: {event.text}")

    def result(self, payload: dict[str, Any]) -> None:
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

"""What a conversation asks of hooks: its start and end, each prompt, and compaction.

- ``session_start`` (SessionStart; ``source`` startup, resume, clear or compact, which the
  matcher sees): what the hooks print (plain stdout or ``additionalContext``) is context for
  the model, sent with the next prompt.
- ``submit_prompt`` (UserPromptSubmit, before the prompt joins the history): a block (exit 2,
  ``decision: "block"``) or ``continue: false`` drops the prompt and raises ``PromptBlocked``
  with the reason for the user; context the hooks add goes with the prompt, after it.
- ``session_end`` (SessionEnd; ``reason`` clear, prompt_input_exit or other) and
  ``pre_compact`` (PreCompact; ``trigger`` manual or auto, ``custom_instructions``) are told;
  what they say is only shown.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from devagent.errors import DevagentError
from devagent.events import EventSink
from devagent.hooks.calls import show
from devagent.hooks.dispatch import Hooks
from devagent.messages import Block, text_block


class PromptBlocked(DevagentError):
    """A UserPromptSubmit hook refused the prompt; it was not sent, nor kept in the history."""

    exit_code = 1


def session_start(hooks: Hooks, source: str, cancel: threading.Event, emit: EventSink) -> str:
    """Fire SessionStart; the context its hooks gave ('' when none)."""
    outcome = hooks.fire("SessionStart", {"source": source}, target=source, cancel=cancel)
    show(outcome, emit)
    context = outcome.add_context()
    return f"SessionStart hook context:\n{context}" if context else ""


def session_end(hooks: Hooks, reason: str, emit: EventSink) -> None:
    show(hooks.fire("SessionEnd", {"reason": reason}, target=reason), emit)


def pre_compact(hooks: Hooks, trigger: str, focus: str | None, emit: EventSink) -> None:
    """Fire PreCompact; ``trigger`` is ``manual`` (/compact) or anything else (``auto``)."""
    trigger = "manual" if trigger == "manual" else "auto"
    fields = {"trigger": trigger, "custom_instructions": focus or ""}
    show(hooks.fire("PreCompact", fields, target=trigger), emit)


def submit_prompt(
    hooks: Hooks,
    prompt: str | list[Block],
    typed: str,
    pending: Sequence[str],
    cancel: threading.Event,
    emit: EventSink,
) -> str | list[Block]:
    """``prompt`` with the context of ``pending`` and of UserPromptSubmit hooks after it."""
    outcome = hooks.fire("UserPromptSubmit", {"prompt": typed}, cancel=cancel)
    show(outcome, emit)
    if outcome.stop_reason is not None:
        raise PromptBlocked(f"A UserPromptSubmit hook stopped: {outcome.stop_reason}")
    if outcome.blocked:
        raise PromptBlocked(
            f"A UserPromptSubmit hook blocked this prompt (it was not sent): {outcome.reason}"
        )
    extra = [*pending]
    if outcome.add_context():
        extra.append(f"UserPromptSubmit hook context:\n{outcome.add_context()}")
    if not extra:
        return prompt
    blocks = [text_block(prompt)] if isinstance(prompt, str) else list(prompt)
    return [*blocks, *(text_block(text) for text in extra)]


def prompt_text(prompt: str | list[Block]) -> str:
    """The words of a prompt: its text blocks, one per line."""
    if isinstance(prompt, str):
        return prompt
    return "\n".join(str(b.get("text", "")) for b in prompt if b.get("type") == "text")

"""Compaction: replacing older history by a model-written summary before the window fills.

When the context of the last request (``input_tokens`` plus cache reads and writes, which the
API counts separately) passes ``AUTO_RATIO`` of the model's window, or when the user asks
(``/compact [focus]``), the history is split and its older part summarised by the model:

- the split is made before a user message that holds text, never tool results, so a
  ``tool_use`` and its ``tool_result`` always stay on the same side;
- when no earlier turn is left to summarise (one long turn, as a one-shot run is), the split
  is made inside the running turn instead: before an assistant reply that follows tool
  results, so again every pair stays on one side;
- the new history opens with one user message holding the user's original first instructions
  (carried over verbatim through any number of compactions) and the summary, then a short
  assistant acknowledgement (unless the kept part opens with an assistant reply), then the
  recent messages kept verbatim;
- the system prompt (base prompt, persona role and memory files) is rebuilt for every
  request anyway, so it survives compaction untouched.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from devagent.events import Event, EventSink, TextDelta
from devagent.llm.base import Model, reply_cost, window_of
from devagent.messages import Block, Message, ModelRequest, ToolSpec, Usage, is_prompt

AUTO_RATIO = 0.75
KEEP_RATIO = 0.3
DEFAULT_WINDOW = 200_000
# Context windows by model-id pattern; the first match wins, anything else gets the default.
WINDOWS: tuple[tuple[re.Pattern[str], int], ...] = ((re.compile(r"^claude-[a-z]+-5"), 1_000_000),)
SUMMARY_MAX_TOKENS = 8000
MARKER = "[This conversation was compacted: earlier messages were replaced by a summary.]"
ACK = "Understood. I have the summary of our conversation so far and will continue from it."
_ORIGINAL = re.compile(r"<original-instructions>\n(.*?)\n</original-instructions>", re.DOTALL)

SUMMARY_PROMPT = """\
Stop here and write a summary of the conversation so far; it will replace the conversation,
so anything you leave out is lost. Do not call any tool. Cover, in this order:
1. The user's requests and instructions, quoting exact wording for constraints, preferences
   and anything the user asked you to remember or never to do.
2. Decisions made and why.
3. Files read, created or changed (paths), with what changed and the current state.
4. Commands run that matter (tests, builds) and their outcome; errors and how they were fixed.
5. Work in progress and the next steps, exactly as far as they were agreed.
Be specific and complete; use plain Markdown."""


class CompactionError(Exception):
    """The summary could not be made; the history was left as it was."""


@dataclass
class Compaction:
    """The result: the new history, the summary, and what the summary request cost."""

    messages: list[Message]
    summary: str
    replaced: int
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = 0.0  # None: the model's price is unknown


def context_window(model: str) -> int:
    """The context window of ``model`` in tokens."""
    for pattern, size in WINDOWS:
        if pattern.search(model):
            return size
    return DEFAULT_WINDOW


def model_window(model: Model) -> int:
    """The window of a model object: the one settings give its profile, else by its name."""
    return window_of(model) or context_window(model.name)


def context_tokens(usage: Usage) -> int:
    """How many tokens the request's context held (cached and uncached input together)."""
    return usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens


def needs_compaction(
    last: Usage, model: str, ratio: float = AUTO_RATIO, window: int | None = None
) -> bool:
    """Whether the last request's context passed ``ratio`` of the model's window (``window``
    when given, else the one its name has)."""
    return context_tokens(last) > ratio * (window or context_window(model))


def _ends_cleanly(history: list[Message]) -> bool:
    """The last message is an assistant reply that asks for no tool."""
    if not history or history[-1].get("role") != "assistant":
        return False
    content = history[-1].get("content")
    return not (
        isinstance(content, list)
        and any(isinstance(b, dict) and b.get("type") == "tool_use" for b in content)
    )


def find_split(history: list[Message], keep_ratio: float = KEEP_RATIO) -> int | None:
    """Where to cut: messages before the index are summarised, the rest kept verbatim.

    The cut is before a user-text message and keeps at most ``keep_ratio`` of the history
    (by size) when it can, else only the latest turn. ``len(history)`` (summarise all) is
    possible only when the history ends with a finished assistant reply. None: no valid cut.
    """
    if keep_ratio <= 0 and _ends_cleanly(history):
        return len(history)
    candidates = [i for i in range(1, len(history)) if is_prompt(history[i])]
    chosen = _fitting(history, candidates, keep_ratio)
    if chosen is not None:
        return chosen
    return len(history) if _ends_cleanly(history) else None


def find_turn_split(history: list[Message], keep_ratio: float = KEEP_RATIO) -> int | None:
    """A cut inside the running turn, for when ``find_split`` finds none: before an assistant
    reply that follows tool results, with at least one whole tool round before it. Chosen by
    size as ``find_split`` chooses; None when the turn has no such point yet."""
    candidates = [
        i
        for i in range(3, len(history))
        if history[i].get("role") == "assistant" and _holds_results(history[i - 1])
    ]
    return _fitting(history, candidates, keep_ratio)


def _holds_results(message: Message) -> bool:
    return message.get("role") == "user" and not is_prompt(message)


def _fitting(history: list[Message], candidates: list[int], keep_ratio: float) -> int | None:
    """The first candidate after which at most ``keep_ratio`` of the history (by size) is
    left, else the last candidate (only the latest part kept); None without candidates."""
    sizes = [len(json.dumps(m, ensure_ascii=False)) for m in history]
    budget = keep_ratio * sum(sizes)
    for index in candidates:
        if sum(sizes[index:]) <= budget:
            return index
    return candidates[-1] if candidates else None


def message_text(message: Message | None) -> str:
    if message is None:
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return "\n".join(
        str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text"
    )


def original_instructions(history: list[Message]) -> str:
    """The user's first instructions: from an earlier compaction, else the first message."""
    first = message_text(history[0]) if history else ""
    if first.startswith(MARKER):
        found = _ORIGINAL.search(first)
        return found.group(1) if found else ""
    return first


def summary_message(original: str, summary: str) -> Message:
    parts = [MARKER]
    if original.strip():
        parts.append(f"<original-instructions>\n{original}\n</original-instructions>")
    parts.append(f"<summary>\n{summary.strip()}\n</summary>")
    return {"role": "user", "content": [{"type": "text", "text": "\n\n".join(parts)}]}


def _summary_request(
    system: str, tools: list[ToolSpec], prefix: list[Message], focus: str | None
) -> ModelRequest:
    ask = SUMMARY_PROMPT
    if focus and focus.strip():
        ask += f"\n\nThe user asked the summary to focus on: {focus.strip()}"
    messages = [dict(m) for m in prefix]
    if messages and messages[-1].get("role") == "user":
        last = messages[-1]
        content = last["content"]
        blocks: list[Block] = (
            [{"type": "text", "text": content}] if isinstance(content, str) else list(content)
        )
        last["content"] = [*blocks, {"type": "text", "text": ask}]
    else:
        messages.append({"role": "user", "content": ask})
    # Same system prompt and tools as the conversation: the prompt cache is reused, and the
    # API wants tool definitions whenever the history holds tool calls.
    return ModelRequest(system, messages, tools, SUMMARY_MAX_TOKENS)


def _quiet(sink: EventSink) -> EventSink:
    """Pass on everything but the summary's own text (the caller shows it when done)."""

    def forward(event: Event) -> None:
        if not isinstance(event, TextDelta):
            sink(event)

    return forward


def compact(
    history: list[Message],
    model: Model,
    *,
    system: str,
    tools: list[ToolSpec],
    focus: str | None = None,
    keep_ratio: float = KEEP_RATIO,
    emit: EventSink,
) -> Compaction | None:
    """Summarise the older part of ``history``; None when there is nothing to summarise."""
    split = find_split(history, keep_ratio)
    if split is None:
        split = find_turn_split(history, keep_ratio)
    if split is None or split == 0:
        return None
    prefix, kept = history[:split], history[split:]
    reply = model.stream(_summary_request(system, tools, prefix, focus), _quiet(emit))
    summary = reply.text().strip()
    if not summary:
        raise CompactionError("the model returned no summary text; nothing was changed")
    opening = summary_message(original_instructions(history), summary)
    ack: list[Message] = [{"role": "assistant", "content": [{"type": "text", "text": ACK}]}]
    if kept and kept[0].get("role") == "assistant":
        ack = []  # the kept reply answers the summary; two assistant messages may not follow
    return Compaction(
        [opening, *ack, *kept],
        summary,
        split,
        reply.usage,
        reply_cost(model, reply),
    )

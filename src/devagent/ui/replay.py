"""A stored conversation on screen again: what ``--continue``, ``--resume`` and ``/resume`` show.

The history is drawn the way the chat drew it as it happened: each message the user sent after
the prompt sign (``> ``), the assistant's text through the same streaming Markdown renderer,
each tool call as its one-line header (``ui.toolview``; a plan ExitPlanMode presented is drawn
under its header, as the plan question drew it), a blank line between them. Files and
images that went along with a message get the dim line that confirmed them (an image its
placeholder, never its bytes); a ``!command`` shows as ``! command``. What only the model saw
is left out: tool results, notes devagent added to a prompt, thinking. A compacted history
opens with one dim line saying so; a long one shows only its last ``MAX_REPLAYED`` messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console, RenderableType
from rich.text import Text

from devagent.compaction import ACK, MARKER
from devagent.images import image_placeholder
from devagent.messages import Block, Message
from devagent.tools.catalog import tool_type
from devagent.ui.console import sanitize
from devagent.ui.planview import show_plan
from devagent.ui.stream_md import StreamingMarkdown
from devagent.ui.toolview import tool_header

MAX_REPLAYED = 200
PROMPT = "> "  # the chat's prompt (ui.prompt_input.PROMPT, which loads prompt-toolkit)
SHELL_NOTE = "[The user ran a shell command.]"
_FILE = re.compile(r'\A<file path="([^"]*)">\n(.*)\n</file>\Z', re.DOTALL)
_BASH_INPUT = re.compile(r"<bash-input>(.*?)</bash-input>", re.DOTALL)
_CUT_NOTE = re.compile(r"\n\[cut at \d+ bytes; use Read for the rest\]\Z")


def replay(console: Console, messages: Sequence[Message], workspace: Path | None = None) -> None:
    """Print ``messages`` as the chat showed them (see the module docstring)."""
    screen = _Screen(console, workspace)
    hidden = len(messages) - MAX_REPLAYED
    if hidden > 0:
        screen.dim(f"… {hidden} earlier messages not shown")
    for message in messages[-MAX_REPLAYED:]:
        if message.get("role") == "user":
            screen.user(message.get("content"))
        elif message.get("role") == "assistant":
            screen.assistant(message.get("content"))


class _Screen:
    """Prints one item after another with a blank line between, as ``ChatView`` does."""

    def __init__(self, console: Console, workspace: Path | None) -> None:
        self.console = console
        self.workspace = workspace
        self._printed = False

    def _gap(self) -> None:
        if self._printed:
            self.console.print()
        self._printed = True

    def print(self, item: RenderableType) -> None:
        self._gap()
        self.console.print(item)

    def dim(self, text: str, *, gap: bool = True) -> None:
        if gap or not self._printed:
            self._gap()
        self.console.print(Text(sanitize(text), style="dim"), soft_wrap=True)

    def user(self, content: object) -> None:
        if isinstance(content, str):
            self._prompt(content)
            return
        blocks = [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []
        if _is_summary(blocks):
            self.dim("(The conversation before this point was summarised.)")
            return
        for kind, text in _user_items(blocks):
            if kind == "prompt":
                self._prompt(text)
            else:  # a note before the prompt stands apart; attachments sit right under it
                self.dim(text, gap=kind == "note")

    def _prompt(self, text: str) -> None:
        lines = sanitize(text).strip("\n").split("\n")
        shown = "\n".join([PROMPT + lines[0], *(" " * len(PROMPT) + line for line in lines[1:])])
        self._gap()
        self.console.print(Text(shown), soft_wrap=True)

    def assistant(self, content: object) -> None:
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text" and block.get("text", "").strip() not in ("", ACK):
                self._markdown(str(block["text"]))
            elif block.get("type") == "tool_use":
                self._tool(block)

    def _markdown(self, text: str) -> None:
        self._gap()
        stream = StreamingMarkdown(self.console)
        stream.feed(sanitize(text))
        stream.finish()

    def _tool(self, block: Block) -> None:
        name = str(block.get("name", ""))
        tool_input = block.get("input")
        known = tool_type(name)
        kind = known.kind if known is not None else "other"
        args = tool_input if isinstance(tool_input, dict) else {}
        self.print(tool_header(name, args, self.workspace, kind))
        plan = args.get("plan")
        if kind == "plan" and isinstance(plan, str):
            show_plan(self.console, plan)


def _is_summary(blocks: list[Block]) -> bool:
    return bool(blocks) and str(blocks[0].get("text", "")).startswith(MARKER)


def _user_items(blocks: list[Block]) -> list[tuple[str, str]]:
    """A message's parts in order: notes (a ``!command``), the prompt, then attachments.

    The prompt is the last text block that is not an attachment; text blocks before it are
    notes devagent added (``Conversation.compose`` puts them first)."""
    texts = [i for i, b in enumerate(blocks) if b.get("type") == "text"]
    prompt_at = next((i for i in reversed(texts) if not _attachment(blocks, i)), None)
    items: list[tuple[str, str]] = []
    for index, block in enumerate(blocks):
        kind = block.get("type")
        text = str(block.get("text", ""))
        if kind == "text" and index == prompt_at:
            items.append(("prompt", text))
        elif kind == "text" and prompt_at is not None and index < prompt_at:
            items += [("note", line) for line in _note(text)]
        elif kind == "text" and _attachment(blocks, index):
            items.append(("attached", _attached(text)))
        elif kind == "image" and not _placeholder_before(blocks, index):
            items.append(("attached", _attached(image_placeholder(block))))
    return items


def _attachment(blocks: list[Block], index: int) -> bool:
    text = str(blocks[index].get("text", ""))
    follows_image = index + 1 < len(blocks) and blocks[index + 1].get("type") == "image"
    return _FILE.match(text) is not None or (text.startswith("[image: ") and follows_image)


def _placeholder_before(blocks: list[Block], index: int) -> bool:
    return index > 0 and str(blocks[index - 1].get("text", "")).startswith("[image: ")


def _attached(text: str) -> str:
    found = _FILE.match(text)
    if found is None:
        return "attached " + text.removeprefix("[image: ").removesuffix("]")
    body = _CUT_NOTE.sub("", found.group(2))
    lines = body.count("\n") + (0 if not body or body.endswith("\n") else 1)
    return f"attached {found.group(1)} ({lines} line{'' if lines == 1 else 's'})"


def _note(text: str) -> list[str]:
    """What a note devagent added shows on screen: a shell command as ``! command``."""
    if not text.startswith(SHELL_NOTE):
        return []
    found = _BASH_INPUT.search(text)
    return [f"! {found.group(1)}"] if found else []

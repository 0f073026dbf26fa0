"""The Task tool: delegate a self-contained job to a persona running as a sub-agent.

The sub-agent itself is run by an injected ``SubagentRunner`` (built where the agent loop is
assembled), so this module knows nothing of the loop. The runner gives the sub-agent a fresh
context, the persona's own tool set (never Task itself, so sub-agents cannot nest by default),
and the same permission policy and approver as the parent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from devagent.toolkinds import ToolKind
from devagent.tools.base import Args, PreparedCall, Tool, ToolContext, ToolError, ToolResult


@dataclass(frozen=True)
class SubagentOutcome:
    """What came back: the sub-agent's final text and a one-line usage summary."""

    text: str
    usage_line: str
    is_error: bool = False


@dataclass(frozen=True)
class AgentChoice:
    name: str
    description: str


SubagentRunner = Callable[[str, str, str], SubagentOutcome]
"""``runner(subagent_type, description, prompt)``; raises ToolError for an unknown type."""

_INTRO = """\
Launch a sub-agent to handle a self-contained task on its own, with a fresh context.
It sees only the prompt you give it (not this conversation), so include every detail it
needs, and say exactly what it should return. Only its final message comes back to you.
Use it for broad searches, independent investigations or a specialist's job; do not use it
for a single file read or a quick grep. Available agent types (subagent_type):"""


def _first_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line[:limit] + ("…" if len(line) > limit else "")


class TaskTool(Tool):
    name = "Task"
    description = _INTRO
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "description": {"type": "string", "description": "A short (3-5 word) task title"},
            "prompt": {"type": "string", "description": "The full task for the sub-agent"},
            "subagent_type": {"type": "string", "description": "Which agent type to use"},
        },
        "required": ["description", "prompt", "subagent_type"],
    }
    # Not read-only: sub-agents may ask for approval, so Task calls run one at a time.
    kind: ClassVar[ToolKind] = "agent"

    def __init__(self, choices: Sequence[AgentChoice], runner: SubagentRunner) -> None:
        self._choices = list(choices)
        self._runner = runner

    def describe(self) -> str:
        lines = [f"- {c.name}: {_first_line(c.description)}" for c in self._choices]
        return _INTRO + "\n" + ("\n".join(lines) if lines else "(none available)")

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        kind = str(args["subagent_type"]).strip()
        if not kind:
            raise ToolError("subagent_type is empty: pick one of the listed agent types.")
        prompt = str(args["prompt"])
        if not prompt.strip():
            raise ToolError("prompt is empty: describe the task the sub-agent should do.")
        return PreparedCall(execute=lambda: self._run(kind, str(args["description"]), prompt))

    def _run(self, kind: str, description: str, prompt: str) -> ToolResult:
        outcome = self._runner(kind, description, prompt)
        text = outcome.text.strip() or "(the sub-agent returned no text)"
        return ToolResult(f"{text}\n\n[{outcome.usage_line}]", outcome.is_error)

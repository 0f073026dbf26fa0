"""The Skill tool (Claude Code's ``Skill {skill, args?}``): load a skill's instructions.

Progressive disclosure: only each skill's name and description are in the tool's description,
so the model sees what exists without paying for every body; a call loads one skill's body,
with its folder path so the relative references resolve. The skills themselves are looked up
by an injected ``SkillLoader`` (built by ``devagent.skills``), as Task's sub-agents are run by
an injected runner. Loading runs nothing and changes nothing, so a call never asks; a rule
``Skill(NAME)`` can still deny one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from devagent.toolkinds import ToolKind
from devagent.tools.base import Args, PreparedCall, Tool, ToolContext, ToolError, ToolResult
from devagent.tools.paths import allow_reading

DESCRIPTION_LIMIT = 1024
LISTING_LIMIT = 15_000


@dataclass(frozen=True)
class SkillChoice:
    name: str
    description: str


@dataclass(frozen=True)
class LoadedSkill:
    """What a load gives: the text for the model and, for a skill outside the workspace, the
    folder Read may open (the permission policy still decides each read)."""

    text: str
    readable_folder: Path | None = None


SkillLoader = Callable[[str, str], LoadedSkill]
"""``load(skill, args)``; raises ToolError for a skill that cannot be loaded."""

_INTRO = """\
Load a skill: packaged instructions (and scripts, references, templates) for a kind of task.
When the user's request matches a skill's description, call this tool with the skill's name
before you do the task, then follow the instructions it returns. The result states the skill's
folder: relative paths in the instructions are relative to it; read or run those files only
when the instructions call for them. Pass what the user asked of the skill in args. Loading a
skill runs nothing. Do not load a skill that is already loaded in this conversation.
Available skills (name: description):"""


def _clip(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line[:limit] + ("…" if len(line) > limit else "")


class SkillTool(Tool):
    name = "Skill"
    description = _INTRO
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "skill": {"type": "string", "description": "The skill's name, e.g. create-plan"},
            "args": {"type": "string", "description": "Optional arguments for the skill"},
        },
        "required": ["skill"],
        "additionalProperties": False,
    }
    kind: ClassVar[ToolKind] = "skill"

    def __init__(self, choices: Sequence[SkillChoice], load: SkillLoader) -> None:
        self._choices = list(choices)
        self._load = load

    def describe(self) -> str:
        lines: list[str] = []
        used = 0
        for number, choice in enumerate(self._choices):
            line = f"- {choice.name}: {_clip(choice.description, DESCRIPTION_LIMIT)}"
            if used + len(line) > LISTING_LIMIT:
                lines.append(f"- ({len(self._choices) - number} more not listed)")
                break
            lines.append(line)
            used += len(line) + 1
        return _INTRO + "\n" + ("\n".join(lines) if lines else "(none available)")

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        name = str(args["skill"]).strip().removeprefix("/")
        if not name:
            raise ToolError("skill is empty: give the name of one of the listed skills.")
        extra = args.get("args")
        return PreparedCall(execute=lambda: self._run(name, str(extra or ""), ctx))

    def _run(self, name: str, extra: str, ctx: ToolContext) -> ToolResult:
        loaded = self._load(name, extra)
        if loaded.readable_folder is not None:
            allow_reading(ctx, loaded.readable_folder)
        return ToolResult(loaded.text)

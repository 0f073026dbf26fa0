"""The built-in tool set, in the order the model sees it, and every tool devagent has."""

from __future__ import annotations

from devagent.tools.apply_patch import ApplyPatch
from devagent.tools.base import Tool
from devagent.tools.bash import Bash, BashOutput, KillShell
from devagent.tools.edit import EditTool, MultiEditTool
from devagent.tools.glob import GlobTool
from devagent.tools.grep import GrepTool
from devagent.tools.ls import LSTool
from devagent.tools.notebook import NotebookEditTool, NotebookReadTool
from devagent.tools.plan import ExitPlanModeTool
from devagent.tools.read import ReadTool
from devagent.tools.registry import ToolRegistry
from devagent.tools.skill import SkillTool
from devagent.tools.task import TaskTool
from devagent.tools.todo import TodoWriteTool
from devagent.tools.web import WebFetchTool, WebSearchTool
from devagent.tools.write import WriteTool

BUILTIN_TOOLS: tuple[type[Tool], ...] = (
    ReadTool,
    GrepTool,
    GlobTool,
    LSTool,
    WriteTool,
    EditTool,
    MultiEditTool,
    ApplyPatch,
    NotebookReadTool,
    NotebookEditTool,
    Bash,
    BashOutput,
    KillShell,
    TodoWriteTool,
)
# WebFetch and WebSearch need the run's small model, Task a sub-agent runner, Skill the skills
# found and ExitPlanMode the permission mode, so a run adds them to the built-in tools when it
# has those.
TOOL_TYPES: tuple[type[Tool], ...] = (
    *BUILTIN_TOOLS,
    WebFetchTool,
    WebSearchTool,
    TaskTool,
    SkillTool,
    ExitPlanModeTool,
)


def default_registry(*extra: Tool) -> ToolRegistry:
    """Every built-in tool (plus ``extra``, e.g. Task). Personas narrow it; nothing widens it."""
    return ToolRegistry([*(tool() for tool in BUILTIN_TOOLS), *extra])


def tool_type(name: str) -> type[Tool] | None:
    """The class of devagent's tool called ``name`` (its kind, schema, read-only claim), for
    callers that have a name but no running tool; None for a name devagent does not have."""
    return next((tool for tool in TOOL_TYPES if tool.name == name), None)

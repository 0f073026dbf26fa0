"""The built-in tool set, in the order the model sees it."""

from __future__ import annotations

from devagent.tools.apply_patch import ApplyPatch
from devagent.tools.base import Tool
from devagent.tools.bash import Bash, BashOutput, KillShell
from devagent.tools.edit import EditTool, MultiEditTool
from devagent.tools.glob import GlobTool
from devagent.tools.grep import GrepTool
from devagent.tools.ls import LSTool
from devagent.tools.read import ReadTool
from devagent.tools.registry import ToolRegistry
from devagent.tools.todo import TodoWriteTool
from devagent.tools.write import WriteTool


def default_registry(*extra: Tool) -> ToolRegistry:
    """Every built-in tool (plus ``extra``, e.g. Task). Personas narrow it; nothing widens it."""
    return ToolRegistry(
        [
            ReadTool(),
            GrepTool(),
            GlobTool(),
            LSTool(),
            WriteTool(),
            EditTool(),
            MultiEditTool(),
            ApplyPatch(),
            Bash(),
            BashOutput(),
            KillShell(),
            TodoWriteTool(),
            *extra,
        ]
    )

"""The built-in tool set, in the order the model sees it."""

from __future__ import annotations

from devagent.tools.read import ReadTool
from devagent.tools.registry import ToolRegistry


def default_registry() -> ToolRegistry:
    """Every built-in tool. Personas and modes narrow it; nothing widens it."""
    return ToolRegistry([ReadTool()])

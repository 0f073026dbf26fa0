"""The tool registry: which tools exist in a run, by name, in a stable order."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from devagent.messages import ToolSpec
from devagent.tools.base import Tool, ToolError


class ToolRegistry:
    """An ordered set of tools, looked up by their exact name."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.add(tool)

    def add(self, tool: Tool) -> None:
        self._tools[tool.name] = tool

    def names(self) -> list[str]:
        return list(self._tools)

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def get(self, name: str) -> Tool:
        """The tool called ``name``, or a ``ToolError`` listing the valid names."""
        tool = self._tools.get(name)
        if tool is None:
            close = difflib.get_close_matches(name, self.names(), n=1)
            hint = f" Did you mean {close[0]}?" if close else ""
            raise ToolError(
                f"Unknown tool {name!r}.{hint} Available tools: {', '.join(self.names())}."
            )
        return tool

    def narrowed(self, allowed: Iterable[str] | None) -> ToolRegistry:
        """A registry with only the ``allowed`` names (None keeps every tool)."""
        if allowed is None:
            return ToolRegistry(self)
        keep = set(allowed)
        return ToolRegistry(t for t in self if t.name in keep)

    def specs(self) -> list[ToolSpec]:
        return [ToolSpec(t.name, t.describe(), t.input_schema) for t in self]

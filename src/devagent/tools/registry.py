"""The tool registry: which tools exist in a run, by name, in a stable order.

Besides its own tools a registry may have *sources*: callables giving tools whose list changes
while the run goes on (an MCP server's). They are asked afresh each time the registry is read,
so the model's next request sees what they offer then; ``keep`` filters their names (a
persona's narrowing). The registry's own tools win a name.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Sequence

from devagent.messages import ToolSpec
from devagent.tools.base import Tool, ToolError

ToolSource = Callable[[], Sequence[Tool]]


class ToolRegistry:
    """An ordered set of tools, looked up by their exact name."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        self._sources: list[ToolSource] = []
        self._keep: Callable[[str], bool] | None = None
        for tool in tools:
            self.add(tool)

    def add(self, tool: Tool) -> None:
        self._tools[tool.name] = tool

    def add_source(self, source: ToolSource) -> None:
        """Offer whatever ``source`` gives each time the registry is read."""
        self._sources.append(source)

    def keeping(self, keep: Callable[[str], bool]) -> ToolRegistry:
        """This registry's tools and sources, with only the names ``keep`` accepts."""
        narrowed = ToolRegistry(t for t in self._tools.values() if keep(t.name))
        narrowed._sources = list(self._sources)
        prior = self._keep
        narrowed._keep = keep if prior is None else (lambda name: prior(name) and keep(name))
        return narrowed

    def _current(self) -> dict[str, Tool]:
        if not self._sources:
            return self._tools
        merged = dict(self._tools)
        for source in self._sources:
            for tool in source():
                if tool.name not in merged and (self._keep is None or self._keep(tool.name)):
                    merged[tool.name] = tool
        return merged

    def names(self) -> list[str]:
        return list(self._current())

    def own_names(self) -> list[str]:
        """The registry's own tools, without asking its sources (which may have to wait)."""
        return list(self._tools)

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._current().values())

    def __contains__(self, name: object) -> bool:
        return name in self._current()

    def get(self, name: str) -> Tool:
        """The tool called ``name``, or a ``ToolError`` listing the valid names."""
        tool = self._tools.get(name) or self._current().get(name)
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
            return self.keeping(lambda _name: True)
        keep = set(allowed)
        return self.keeping(keep.__contains__)

    def specs(self) -> list[ToolSpec]:
        return [ToolSpec(t.name, t.describe(), t.input_schema) for t in self]

"""MCP tools as devagent tools: names, schemas, annotations, and results as the model sees them.

Each server tool is offered as ``mcp__<server>__<tool>``: characters outside
``[A-Za-z0-9_-]`` become ``_``, names longer than 64 characters are cut and given a short
digest, and two tools that would get the same name are told apart by a numbered suffix in a
stable order (server, then tool name). The kind is ``mcp``; ``readOnlyHint: true`` makes the
tool read-only, which is what plan mode lets through (it still asks in default mode).

Results: text as text; images as image blocks after it; embedded resources and resource
links as text; ``structuredContent`` as JSON text when there is no text; ``isError`` makes an
error result. Output over ``MAX_MCP_OUTPUT_TOKENS`` (default 25,000, about 4 characters a
token) is cut, with a note saying so.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from devagent.messages import Block
from devagent.tools.base import Args, Tool, ToolContext, ToolError, ToolInterrupted, ToolResult

if TYPE_CHECKING:
    import mcp_types

    from devagent.mcp.client import McpManager

MAX_NAME = 64
DEFAULT_OUTPUT_TOKENS = 25_000
CHARS_PER_TOKEN = 4
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


def safe_part(text: str) -> str:
    return _UNSAFE.sub("_", text) or "_"


def tool_name(server: str, tool: str) -> str:
    """``mcp__<server>__<tool>``, made safe and at most 64 characters."""
    name = f"mcp__{safe_part(server)}__{safe_part(tool)}"
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9]}_{digest}"


def assign_names(pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """A unique name for every (server, tool), the same for the same set of tools."""
    names: dict[tuple[str, str], str] = {}
    taken: set[str] = set()
    for server, tool in sorted(pairs):
        name = tool_name(server, tool)
        number = 2
        while name in taken:
            suffix = f"_{number}"
            name = tool_name(server, tool)[: MAX_NAME - len(suffix)] + suffix
            number += 1
        taken.add(name)
        names[(server, tool)] = name
    return names


def output_limit(env: Mapping[str, str]) -> int:
    """The output cap in tokens (``MAX_MCP_OUTPUT_TOKENS``; a bad value keeps the default)."""
    value = env.get("MAX_MCP_OUTPUT_TOKENS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_OUTPUT_TOKENS


@dataclass(frozen=True)
class Converted:
    text: str
    images: tuple[Block, ...]
    is_error: bool


def convert(result: mcp_types.CallToolResult) -> Converted:
    """A tool result as text and image blocks (see the module docstring)."""
    texts: list[str] = []
    images: list[Block] = []
    for item in result.content:
        kind = getattr(item, "type", "")
        if kind == "text":
            texts.append(item.text)  # type: ignore[union-attr]
        elif kind == "image":
            images.append(_image(item))
            texts.append(f"[image: {getattr(item, 'mime_type', 'image')}]")
        elif kind == "resource":
            texts.append(_resource(item.resource))  # type: ignore[union-attr]
        elif kind == "resource_link":
            texts.append(_link(item))
        else:
            texts.append(f"[{kind or 'unknown'} content, not shown]")
    if not any(t.strip() for t in texts) and result.structured_content is not None:
        texts = [json.dumps(result.structured_content, indent=2, ensure_ascii=False)]
    return Converted("\n".join(texts), tuple(images), bool(result.is_error))


def _image(item: Any) -> Block:
    media = getattr(item, "mime_type", None) or "image/png"
    return {"type": "image", "source": {"type": "base64", "media_type": media, "data": item.data}}


def _resource(resource: Any) -> str:
    uri = str(getattr(resource, "uri", ""))
    text = getattr(resource, "text", None)
    if isinstance(text, str):
        return f"[resource {uri}]\n{text}"
    mime = getattr(resource, "mime_type", None) or "binary"
    size = len(getattr(resource, "blob", "") or "") * 3 // 4
    return f"[resource {uri}: {mime}, {size} bytes, not shown]"


def _link(item: Any) -> str:
    described = f": {item.description}" if getattr(item, "description", None) else ""
    return f"[resource link {item.name} {item.uri}{described}]"


def cap(text: str, tokens: int) -> str:
    """``text`` cut to about ``tokens`` tokens, with a note when it was cut."""
    limit = tokens * CHARS_PER_TOKEN
    if len(text) <= limit:
        return text
    about = len(text) // CHARS_PER_TOKEN
    return (
        text[:limit] + f"\n\n[MCP output cut: about {about} tokens, over the limit of {tokens} "
        "(MAX_MCP_OUTPUT_TOKENS). Ask the tool for less, e.g. a narrower query or a page.]"
    )


class McpTool(Tool):
    """One server tool; ``McpTools.current`` makes a subclass per tool with its name,
    description and schema as class attributes, as every tool has them."""

    kind = "mcp"
    server: str = ""
    remote: str = ""
    read_only = False

    def __init__(self, manager: McpManager, tokens: int) -> None:
        self._manager = manager
        self._tokens = tokens

    def run(self, args: Args, ctx: ToolContext) -> ToolResult:
        from devagent.mcp.client import McpError

        try:
            result = self._manager.call(self.server, self.remote, args, ctx.cancel)
        except McpError as exc:
            raise ToolError(str(exc)) from exc
        except KeyboardInterrupt as exc:
            raise ToolInterrupted() from exc
        converted = convert(result)
        text = cap(converted.text, self._tokens)
        return ToolResult(text, converted.is_error, converted.images if text else ())


def _tool_class(name: str, server: str, tool: mcp_types.Tool) -> type[McpTool]:
    annotations = tool.annotations
    read_only = bool(annotations and annotations.read_only_hint)
    description = tool.description or tool.title or f"{tool.name} (MCP server {server})"
    schema = dict(tool.input_schema) if tool.input_schema else dict(EMPTY_SCHEMA)
    attributes = {
        "name": name,
        "description": description,
        "input_schema": schema,
        "read_only": read_only,
        "server": server,
        "remote": tool.name,
    }
    return type("McpTool", (McpTool,), attributes)


class McpTools:
    """The MCP tools on offer now: a tool source for ``ToolRegistry.add_source``."""

    def __init__(self, manager: McpManager, env: Mapping[str, str]) -> None:
        self.manager = manager
        self._tokens = output_limit(env)
        self._made: dict[tuple[str, str, str], McpTool] = {}

    def __call__(self) -> list[Tool]:
        listed = self.manager.tools()
        names = assign_names([(server, tool.name) for server, tool in listed])
        found: list[Tool] = []
        for server, tool in listed:
            name = names[(server, tool.name)]
            key = (name, tool.description or "", json.dumps(tool.input_schema, sort_keys=True))
            if key not in self._made:
                self._made[key] = _tool_class(name, server, tool)(self.manager, self._tokens)
            found.append(self._made[key])
        return found


ToolSource = Callable[[], Sequence[Tool]]

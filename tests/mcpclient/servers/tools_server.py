"""A real MCP server (the SDK's MCPServer) for the tests, over stdio or streamable HTTP.

    python tools_server.py [--http PORT | --sse PORT] [--name NAME] [--marker FILE] [--mode MODE]

Tools: ``echo {text}`` (read-only), ``add {a, b}`` (structured result only), ``picture``
(an image), ``fail`` (an isError result), ``big {n}`` (n characters), ``crash`` (the
process exits mid-call), ``hang`` (never answers), ``grow`` (adds a tool ``extra`` and sends
tools/list_changed), ``resource`` (an embedded resource and a resource link).
``--context7`` serves ``resolve-library-id`` and ``get-library-docs`` instead. ``--marker
FILE`` gets the server's pid when it starts (the trust tests check nobody started it).
``--mode exit`` exits at once; ``garbage-start`` prints a non-JSON line and exits;
``sleep`` never answers the handshake.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import time
from pathlib import Path

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import (
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
    ToolAnnotations,
)

PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode()


def build(name: str) -> MCPServer:
    server = MCPServer(name)

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def echo(text: str) -> str:
        """Echo the text back."""
        return f"echo: {text}"

    @server.tool()
    def add(a: int, b: int) -> CallToolResult:
        """Add two numbers (a structured result only)."""
        return CallToolResult(content=[], structured_content={"sum": a + b})

    @server.tool()
    def picture() -> CallToolResult:
        """A one-pixel picture."""
        image = ImageContent(type="image", data=PNG, mime_type="image/png")
        return CallToolResult(content=[TextContent(type="text", text="a pixel"), image])

    @server.tool()
    def fail() -> CallToolResult:
        """Always fails."""
        return CallToolResult(content=[TextContent(type="text", text="it broke")], is_error=True)

    @server.tool()
    def big(n: int) -> str:
        """n characters of x."""
        return "x" * n

    @server.tool()
    def crash() -> str:
        """The process exits mid-call."""
        os._exit(3)

    @server.tool()
    def hang() -> str:
        """Never answers."""
        time.sleep(3600)
        return "late"

    @server.tool()
    async def grow(ctx: Context) -> str:
        """Adds the tool `extra` and says the list changed."""

        def extra() -> str:
            """Added later."""
            return "extra!"

        server.add_tool(extra)
        await ctx.session.send_tool_list_changed()
        return "grown"

    @server.tool()
    def resource() -> CallToolResult:
        """An embedded resource and a resource link."""
        text = TextResourceContents(
            uri="file:///notes.txt", text="the notes", mime_type="text/plain"
        )
        link = ResourceLink(type="resource_link", name="spec", uri="https://example.invalid/spec")
        return CallToolResult(content=[EmbeddedResource(type="resource", resource=text), link])

    return server


def build_context7() -> MCPServer:
    server = MCPServer("context7")

    @server.tool(name="resolve-library-id", annotations=ToolAnnotations(read_only_hint=True))
    def resolve(libraryName: str) -> str:
        """Resolve a package name to a Context7 library id."""
        return f"/org/{libraryName.lower()}"

    @server.tool(name="get-library-docs", annotations=ToolAnnotations(read_only_hint=True))
    def docs(context7CompatibleLibraryID: str, topic: str = "") -> str:
        """Fetch documentation for a library id."""
        return f"docs for {context7CompatibleLibraryID} about {topic or 'everything'}"

    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int)
    parser.add_argument("--sse", type=int)
    parser.add_argument("--name", default="tools")
    parser.add_argument("--marker")
    parser.add_argument("--mode", default="serve")
    parser.add_argument("--context7", action="store_true")
    args = parser.parse_args()
    if args.marker:
        Path(args.marker).write_text(str(os.getpid()), encoding="utf-8")
    print(f"{args.name} started, pid {os.getpid()}", file=sys.stderr, flush=True)
    if args.mode == "exit":
        sys.exit(4)
    if args.mode == "garbage-start":
        print("hello, I am not JSON", flush=True)
        sys.exit(0)
    if args.mode == "sleep":
        time.sleep(3600)
    server = build_context7() if args.context7 else build(args.name)
    if args.http:
        server.run("streamable-http", host="127.0.0.1", port=args.http)
    elif args.sse:
        server.run("sse", host="127.0.0.1", port=args.sse)
    else:
        server.run()


if __name__ == "__main__":
    main()

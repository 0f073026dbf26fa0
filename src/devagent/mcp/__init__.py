"""MCP: the servers a user configured for Claude Code, as devagent tools.

``config`` reads ``.mcp.json`` and the other sources in place; ``approvals`` decides which
project servers may start; ``servers`` is what a run holds (it never imports the SDK);
``client`` and ``transport`` talk to the servers through the official ``mcp`` SDK on a
background loop; ``adapter`` turns their tools into devagent tools named
``mcp__<server>__<tool>``. Only ``client`` and ``transport`` import the SDK, and only once a
server is to start.
"""

from __future__ import annotations

from devagent.mcp.config import ConfigError, ServerSpec, load_servers
from devagent.mcp.servers import McpServers, ServerRow, flag_paths

__all__ = ["ConfigError", "McpServers", "ServerRow", "ServerSpec", "flag_paths", "load_servers"]

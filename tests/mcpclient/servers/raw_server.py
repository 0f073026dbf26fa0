"""A hand-written MCP server over stdio that misbehaves on purpose (the SDK's server would not).

It answers the handshake and tools/list properly; then ``garbage`` answers with a line that
is not JSON-RPC, and ``malformed`` with a result whose ``content`` is not a list.
"""

from __future__ import annotations

import json
import sys
from typing import Any

TOOLS = [
    {"name": name, "description": f"The {name} tool.", "inputSchema": {"type": "object"}}
    for name in ("garbage", "malformed")
]


def answer(request_id: Any, result: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": request_id, "result": result}) + "\n")
    sys.stdout.flush()


def main() -> None:
    for line in sys.stdin:
        message = json.loads(line)
        method, request_id = message.get("method"), message.get("id")
        if method == "initialize":
            info = {"name": "raw", "version": "1"}
            version = message["params"]["protocolVersion"]
            answer(
                request_id,
                {"protocolVersion": version, "capabilities": {"tools": {}}, "serverInfo": info},
            )
        elif method == "tools/list":
            answer(request_id, {"tools": TOOLS})
        elif method == "tools/call" and message["params"]["name"] == "garbage":
            sys.stdout.write("this is not json\n")
            sys.stdout.flush()
        elif method == "tools/call":
            answer(request_id, {"content": "not a list"})
        elif request_id is not None:
            answer(request_id, {})


if __name__ == "__main__":
    main()

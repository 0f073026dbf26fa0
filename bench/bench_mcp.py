"""MCP: what configured servers cost the chat's start, and what devagent adds to a call.

1. Time to the chat prompt: the real `devagent chat` in a pseudo-terminal, once with no MCP
   server and once with three stdio servers in ``$DEVAGENT_HOME/mcp.json`` (the test server of
   ``tests/mcpclient/servers``). Servers start in the background once the prompt is drawn, so
   the two should be within 50 ms. Medians over ``--runs`` fresh chats, alternating.
2. Per-call overhead: ``--calls`` calls of the server's ``echo`` tool through devagent's path
   (``McpTool.run``: the manager's loop thread, the timeout watch, result conversion) against
   the same calls through the SDK's bare ``Client`` on one asyncio loop. Medians per call.

    .venv/bin/python bench/bench_mcp.py [--runs 7] [--calls 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pexpect  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "tests" / "mcpclient" / "servers" / "tools_server.py"
PROMPT = r">\x1b\[0m"
CURSOR_QUERY = r"\x1b\[6n"


def devagent_exe() -> str:
    exe = Path(sys.executable).parent / "devagent"
    if not exe.exists():
        raise SystemExit("devagent is not installed in this environment")
    return os.fspath(exe)


def time_to_prompt(env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    child = pexpect.spawn(
        devagent_exe(), [], env=env, cwd=os.fspath(cwd), dimensions=(40, 110), encoding="utf-8"
    )
    child.delaybeforesend = None
    try:
        while child.expect([CURSOR_QUERY, PROMPT], timeout=60) == 0:
            child.send("\x1b[1;1R")
        shown = time.perf_counter() - started
        child.send("/exit\r")
        child.expect(pexpect.EOF, timeout=60)
    finally:
        child.close(force=True)
    return shown


def servers_config(count: int) -> dict[str, object]:
    entry = {"command": sys.executable, "args": [os.fspath(SERVER)]}
    return {"mcpServers": {f"s{i}": entry for i in range(count)}}


def bench_prompt(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "project"
        work.mkdir()
        homes = {}
        for label, count in (("none", 0), ("three stdio servers", 3)):
            home = Path(tmp) / f"home-{count}"
            home.mkdir()
            if count:
                (home / "mcp.json").write_text(json.dumps(servers_config(count)))
            homes[label] = home
        samples: dict[str, list[float]] = {label: [] for label in homes}
        for _ in range(runs):
            for label, home in homes.items():
                env = dict(
                    os.environ,
                    ANTHROPIC_API_KEY="sk-ant-bench",
                    ANTHROPIC_BASE_URL="http://127.0.0.1:9",
                    DEVAGENT_HOME=os.fspath(home),
                    NO_COLOR="1",
                )
                samples[label].append(time_to_prompt(env, work))
        base = statistics.median(samples["none"])
        print(f"time to the chat prompt, median of {runs}:")
        for label, values in samples.items():
            median = statistics.median(values)
            print(
                f"  {label:22s} {median * 1000:7.1f} ms  ({(median - base) * 1000:+.1f} ms, "
                f"x{median / base:.3f})"
            )
        print("  target: three servers within 50 ms of none")


async def bare_calls(calls: int) -> list[float]:
    from mcp.client.client import Client
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=sys.executable, args=[os.fspath(SERVER)])
    times = []
    with open(os.devnull, "w") as quiet:
        transport = stdio_client(params, errlog=quiet)
        async with Client(transport, mode="legacy", cache=None) as client:
            await client.list_tools()
            for i in range(calls):
                started = time.perf_counter()
                await client.call_tool("echo", {"text": f"call {i}"})
                times.append(time.perf_counter() - started)
    return times


def devagent_calls(calls: int, home: Path) -> list[float]:
    sys.path.insert(0, os.fspath(ROOT / "src"))
    from devagent.mcp import McpServers
    from devagent.tools.base import ToolContext

    (home / "mcp.json").write_text(json.dumps(servers_config(1)))
    servers = McpServers.load(home, home, os.environ)
    servers.start(background=False)
    try:
        [echo] = [t for t in servers.tools() if t.name == "mcp__s0__echo"]
        ctx = ToolContext(workspace=home, cwd=home)
        times = []
        for i in range(calls):
            started = time.perf_counter()
            echo.run({"text": f"call {i}"}, ctx)
            times.append(time.perf_counter() - started)
        return times
    finally:
        servers.close()


def bench_calls(calls: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ours = devagent_calls(calls, Path(tmp))
    bare = asyncio.run(bare_calls(calls))
    ours_ms, bare_ms = statistics.median(ours) * 1000, statistics.median(bare) * 1000
    print(f"one echo call, median of {calls}:")
    print(f"  SDK bare Client         {bare_ms:7.3f} ms")
    print(
        f"  devagent McpTool.run    {ours_ms:7.3f} ms  ({ours_ms - bare_ms:+.3f} ms, "
        f"x{ours_ms / bare_ms:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    bench_prompt(args.runs)
    bench_calls(args.calls)


if __name__ == "__main__":
    main()

"""Entry point: answers ``--version`` without importing typer or the SDK, then runs the CLI."""

from __future__ import annotations

import sys


def skip_httpx_command_line() -> None:
    """Keep ``import httpx`` from loading httpx's own command-line client.

    httpx's package init imports ``httpx._main`` (its ``httpx`` CLI) whenever click, rich and
    pygments are importable, which costs ~80 ms and pulls rich into a one-shot run that prints
    no rich output. devagent never calls ``httpx.main``; a ``None`` entry makes that import fail
    with ImportError, which httpx catches (it then defines a stub ``main``). Nothing else changes.
    """
    if "httpx" not in sys.modules and "httpx._main" not in sys.modules:
        sys.modules["httpx._main"] = None  # type: ignore[assignment]


def main() -> None:
    args = sys.argv[1:]
    if args in (["--version"], ["-V"]):
        from devagent import __version__

        sys.stdout.write(f"devagent {__version__}\n")
        return
    skip_httpx_command_line()
    from devagent.cli import run

    run()


if __name__ == "__main__":
    main()

"""Entry point: answers ``--version`` without importing typer or the SDK, then runs the CLI."""

from __future__ import annotations

import sys


def main() -> None:
    args = sys.argv[1:]
    if args in (["--version"], ["-V"]):
        from devagent import __version__

        sys.stdout.write(f"devagent {__version__}\n")
        return
    from devagent.cli import run

    run()


if __name__ == "__main__":
    main()

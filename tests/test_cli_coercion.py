"""The short-circuit in front of typer's option coercion answers like typer or defers to it."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
import typer
import typer.core
from typer.testing import CliRunner

from devagent.commands.coercion import install

pytestmark = pytest.mark.skipif(
    not hasattr(getattr(typer.core, "_TyperParameter", None), "get_runtime_param"),
    reason="this typer coerces through click types: nothing to short-circuit",
)


def _app(seen: dict[str, Any]) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def main(
        name: str | None = None,
        tags: Annotated[list[str] | None, typer.Option("--tag")] = None,
        count: Annotated[int, typer.Option(min=1)] = 1,
        colour: str = "red",
    ) -> None:
        seen.update(name=name, tags=tags, count=count, colour=colour)

    return app


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], {"name": None, "tags": None, "count": 1, "colour": "red"}),
        (
            ["--name", "x", "--tag", "a", "--tag", "b", "--count", "3", "--colour", "  blue "],
            {"name": "x", "tags": ["a", "b"], "count": 3, "colour": "  blue "},
        ),
    ],
)
def test_values_match_typers_own_coercion(args: list[str], expected: dict[str, Any]) -> None:
    install()
    install()  # idempotent
    seen: dict[str, Any] = {}
    done = CliRunner().invoke(_app(seen), args)
    assert done.exit_code == 0, done.output
    assert seen == expected
    assert isinstance(seen["count"], int)


def test_a_bad_int_is_still_typers_usage_error() -> None:
    install()
    done = CliRunner().invoke(_app({}), ["--count", "0"])
    assert done.exit_code == 2
    assert "Invalid value for '--count'" in done.output

"""Review output formats: each renders a ``Report`` to the text written to stdout or --output."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, get_args

from devagent.review.findings import Report
from devagent.review.formats import github, json_format, markdown, sarif

ReviewFormat = Literal["markdown", "json", "sarif", "github"]
FORMATS: tuple[str, ...] = get_args(ReviewFormat)

_RENDERERS: dict[str, Callable[[Report], str]] = {
    "markdown": markdown.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "github": github.render,
}


def render(fmt: ReviewFormat, report: Report) -> str:
    """The whole report in ``fmt``, ending with a newline."""
    return _RENDERERS[fmt](report)

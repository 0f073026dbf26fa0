"""Checking a notebook against the nbformat schema of its own version, with nbformat.

nbformat (and the JSON-schema library under it) is imported on the first check, so reading a
notebook never pays for it. An edit is judged by what it adds: a problem the notebook already
had before the edit does not block it (it is reported), a new one refuses it.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One schema violation: what is wrong, and where (a cell position may shift with edits,
    so problems are compared by ``message`` alone)."""

    message: str
    where: str

    def __str__(self) -> str:
        return f"{self.message} ({self.where})" if self.where else self.message


def problems(data: dict[str, Any]) -> list[Problem]:
    """Every way ``data`` breaks its nbformat schema, one line each (empty when valid)."""
    from nbformat.validator import iter_validate  # deferred: nbformat is heavy to import

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat warns about missing ids, versions, …
        found = iter_validate(data)  # type: ignore[no-untyped-call]
        return [_describe(error) for error in found]


def new_problems(before: Sequence[Problem], after: Sequence[Problem]) -> list[Problem]:
    """The problems in ``after`` that ``before`` did not already have (counted, not set-wise,
    so a second cell breaking the same rule counts as new)."""
    added = Counter(p.message for p in after) - Counter(p.message for p in before)
    fresh: list[Problem] = []
    for problem in after:
        if added[problem.message] > 0:
            added[problem.message] -= 1
            fresh.append(problem)
    return fresh


def _describe(error: Exception) -> Problem:
    message = getattr(error, "message", None) or str(error).splitlines()[0]
    path = [str(part) for part in getattr(error, "absolute_path", ())]
    return Problem(str(message), _where(path))


def _where(path: list[str]) -> str:
    if len(path) >= 2 and path[0] == "cells":
        rest = "/".join(path[2:])
        return f"in cell {path[1]}" + (f", at {rest}" if rest else "")
    return f"at {'/'.join(path)}" if path else ""

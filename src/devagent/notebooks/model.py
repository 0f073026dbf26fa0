"""A notebook as data: nbformat-4 JSON parsed, cells found by id or by position.

A cell is named by its ``id`` when it has one (nbformat 4.5 and later) and otherwise by its
position as ``cell-N`` (counted from 0), the form Claude Code uses. Either form is accepted
when looking a cell up; a real id wins over the positional reading of the same text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final

_POSITION: Final = re.compile(r"cell-(\d+)")
_SHOWN_IDS: Final = 12


class NotebookError(Exception):
    """The notebook cannot be read or changed as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Notebook:
    """A parsed notebook: the whole JSON object, its cells and its format version."""

    data: dict[str, Any]
    cells: list[dict[str, Any]]
    major: int
    minor: int

    @property
    def uses_ids(self) -> bool:
        """Whether cells carry an ``id`` (nbformat 4.5 and later)."""
        return (self.major, self.minor) >= (4, 5)

    def kernel(self) -> str:
        """The kernel's display name (or name), or "" when the metadata names none."""
        metadata = self.data.get("metadata")
        spec = metadata.get("kernelspec") if isinstance(metadata, dict) else None
        if not isinstance(spec, dict):
            return ""
        name = spec.get("display_name") or spec.get("name")
        return name if isinstance(name, str) else ""


def parse_notebook(text: str, name: str) -> Notebook:
    """Parse ``text`` as an nbformat-4 notebook; ``NotebookError`` naming ``name`` if it is not."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(
            f"{name} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}), "
            "so its cells cannot be shown; Read shows its raw text."
        ) from exc
    if not isinstance(data, dict):
        raise NotebookError(f"{name} is not a notebook: its JSON is not an object.")
    major = data.get("nbformat")
    if isinstance(major, int) and not isinstance(major, bool) and major < 4:
        raise NotebookError(
            f"{name} is an nbformat {major} notebook; devagent reads and edits nbformat 4. "
            f"Convert it first: jupyter nbconvert --to notebook --nbformat 4 --inplace {name}"
        )
    cells = data.get("cells")
    if major != 4 or not isinstance(cells, list):
        raise NotebookError(
            f'{name} is not an nbformat 4 notebook (it needs "nbformat": 4 and a "cells" list).'
        )
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict):
            raise NotebookError(f"{name}: cell {index} is not a JSON object; fix the file first.")
    minor = data.get("nbformat_minor")
    return Notebook(data, cells, 4, minor if isinstance(minor, int) else 0)


def cell_id(cell: dict[str, Any], index: int) -> str:
    """What the model calls this cell: its ``id``, or ``cell-N`` when it has none."""
    own = cell.get("id")
    return own if isinstance(own, str) and own else f"cell-{index}"


def cell_type(cell: dict[str, Any]) -> str:
    kind = cell.get("cell_type")
    return kind if isinstance(kind, str) else "unknown"


def source_text(cell: dict[str, Any]) -> str:
    """The cell's source as one string (nbformat stores it as a string or a list of lines)."""
    return joined(cell.get("source"))


def joined(value: object) -> str:
    """A multiline string field (a string, or a list of strings) as one string."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(item for item in value if isinstance(item, str))
    return ""


def find_cell(notebook: Notebook, wanted: str, name: str) -> int:
    """The position of the cell called ``wanted``: an exact ``id``, else ``cell-N``."""
    for index, cell in enumerate(notebook.cells):
        if cell.get("id") == wanted:
            return index
    match = _POSITION.fullmatch(wanted.strip())
    if match is not None and int(match.group(1)) < len(notebook.cells):
        return int(match.group(1))
    raise NotebookError(f'{name} has no cell "{wanted}". {_known_cells(notebook)}')


def _known_cells(notebook: Notebook) -> str:
    count = len(notebook.cells)
    if count == 0:
        return "It has no cells; insert one with edit_mode=insert and no cell_id."
    ids = [cell_id(cell, index) for index, cell in enumerate(notebook.cells)]
    listed = ", ".join(ids[:_SHOWN_IDS]) + (", …" if count > _SHOWN_IDS else "")
    return (
        f"Its {count} cell{'s are' if count != 1 else ' is'}: {listed} (cell-0 to "
        f"cell-{count - 1} also name them by position). Read it again to see the cells."
    )

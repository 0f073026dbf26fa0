"""Planning a NotebookEdit: replace, insert or delete one cell, checked before anything is written.

The edit follows Claude Code's NotebookEdit: ``cell_id`` names the cell (its id, or ``cell-N``
for its position); ``replace`` (the default) gives a cell new source and, with ``cell_type``,
a new type; ``insert`` adds a cell of ``cell_type`` after ``cell_id``, or first when it is
omitted; ``delete`` removes the cell. A code cell whose source is replaced loses its outputs
and execution count, which no longer match it. New cells get an ``id`` when the notebook's
format has them (4.5 and later). The result must be valid for nbformat: an edit that breaks
the schema is refused with the validator's message.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Literal

import devagent.notebooks.validate as validate
import devagent.notebooks.writer as writer
from devagent.notebooks.layout import Layout, Style, detect_style, line_indent, scan
from devagent.notebooks.model import (
    Notebook,
    NotebookError,
    cell_id,
    cell_type,
    find_cell,
    parse_notebook,
)
from devagent.notebooks.render import cell_view

EditMode = Literal["replace", "insert", "delete"]
CellType = Literal["code", "markdown"]
_CLEARED = ("execution_count", "outputs")


@dataclass(frozen=True)
class EditRequest:
    cell_id: str | None
    new_source: str
    cell_type: CellType | None = None
    edit_mode: EditMode = "replace"


@dataclass(frozen=True)
class EditOutcome:
    """The notebook's new text, what to tell the model, and the changed cell before and after
    as text (empty for a cell that does not exist on that side), for the approval diff."""

    text: str
    summary: str
    before: str
    after: str


@dataclass(frozen=True)
class _Doc:
    text: str
    name: str
    notebook: Notebook
    layout: Layout
    style: Style


def plan_edit(text: str, request: EditRequest, name: str) -> EditOutcome:
    """The edit ``request`` applied to the notebook ``text``; ``NotebookError`` if it cannot be."""
    notebook = parse_notebook(text, name)
    layout = scan(text, name)
    doc = _Doc(text, name, notebook, layout, detect_style(text, layout))
    if request.edit_mode == "insert":
        outcome = _insert(doc, request)
    elif request.edit_mode == "delete":
        outcome = _delete(doc, _target(doc, request))
    else:
        outcome = _replace(doc, request, _target(doc, request))
    return _checked(doc, outcome)


def _target(doc: _Doc, request: EditRequest) -> int:
    if request.cell_id is None:
        raise NotebookError(
            f"cell_id is required to {request.edit_mode} a cell: give the cell's id as "
            "NotebookRead or Read shows it (or cell-N for the cell at position N, from 0)."
        )
    return find_cell(doc.notebook, request.cell_id, doc.name)


def _replace(doc: _Doc, request: EditRequest, index: int) -> EditOutcome:
    old = doc.notebook.cells[index]
    old_type = cell_type(old)
    new_type = request.cell_type or old_type
    source = _source_value(request.new_source, old.get("source"))
    if new_type == old_type and "source" in old:
        values: dict[str, object] = {"source": source}
        if old_type == "code":
            values.update({key: _cleared(key) for key in _CLEARED if key in old})
        text = writer.replace_values(doc.text, doc.layout, doc.style, index, values)
    else:
        cell = _retyped(old, new_type, source, doc.style)
        prefix = line_indent(doc.text, doc.layout.cells[index].start)
        text = writer.replace_cell(
            doc.text, doc.layout, index, writer.dump(cell, doc.style, prefix)
        )
    if text == doc.text:
        raise NotebookError(
            f"Cell {cell_id(old, index)} of {doc.name} already has this source and type; nothing "
            "to change."
        )
    new = _cells_of(text)[index]
    return EditOutcome(
        text,
        _replaced_summary(doc, old, index, new_type),
        cell_view(old, index),
        cell_view(new, index),
    )


def _replaced_summary(doc: _Doc, old: dict[str, Any], index: int, new_type: str) -> str:
    summary = f"Replaced the source of cell {cell_id(old, index)} in {doc.name}"
    had_results = bool(old.get("outputs")) or old.get("execution_count") is not None
    if new_type != cell_type(old):
        summary += f"; it is now a {new_type} cell"
        if had_results:
            summary += " and its outputs were dropped"
    elif cell_type(old) == "code" and had_results:
        summary += "; its outputs and execution count were cleared (run it again to get new ones)"
    return summary + "."


def _insert(doc: _Doc, request: EditRequest) -> EditOutcome:
    if request.cell_type is None:
        raise NotebookError(
            "cell_type is required to insert a cell: give 'code' or 'markdown'. Nothing was "
            "changed."
        )
    cells = doc.notebook.cells
    position = (
        0 if request.cell_id is None else find_cell(doc.notebook, request.cell_id, doc.name) + 1
    )
    template = cells[position - 1] if position > 0 else (cells[0] if cells else None)
    cell = _new_cell(doc, request, template)
    text = writer.insert_cell(doc.text, doc.layout, doc.style, position, cell)
    new_id = cell_id(cell, position)
    where = "at the start" if request.cell_id is None else f"after cell {request.cell_id}"
    summary = (
        f"Inserted a {request.cell_type} cell {new_id} {where} of {doc.name}; it is cell "
        f"{position + 1} of {len(cells) + 1}."
    )
    if not doc.notebook.uses_ids and position < len(cells):
        summary += " The cells after it moved down one place, so their cell-N names grew by one."
    return EditOutcome(text, summary, "", cell_view(cell, position))


def _delete(doc: _Doc, index: int) -> EditOutcome:
    old = doc.notebook.cells[index]
    text = writer.delete_cell(doc.text, doc.layout, index)
    left = len(doc.notebook.cells) - 1
    summary = (
        f"Deleted {cell_type(old)} cell {cell_id(old, index)} from {doc.name}; {left} "
        f"cell{'' if left == 1 else 's'} left."
    )
    if not doc.notebook.uses_ids and index < left:
        summary += " The cells after it moved up one place, so their cell-N names shrank by one."
    return EditOutcome(text, summary, cell_view(old, index), "")


def _checked(doc: _Doc, outcome: EditOutcome) -> EditOutcome:
    after = validate.problems(_parsed(outcome.text))
    fresh = validate.new_problems(validate.problems(doc.notebook.data), after)
    if fresh:
        raise NotebookError(
            f"This edit would make {doc.name} an invalid notebook, so nothing was written. "
            f"nbformat says: {fresh[0]}"
        )
    if after:
        note = f" (The notebook was already invalid before this edit: {after[0]}.)"
        return EditOutcome(outcome.text, outcome.summary + note, outcome.before, outcome.after)
    return outcome


def _new_cell(doc: _Doc, request: EditRequest, template: dict[str, Any] | None) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": request.cell_type}
    if request.cell_type == "code":
        cell["execution_count"] = None
    if doc.notebook.uses_ids:
        cell["id"] = _fresh_id(doc.notebook)
    cell["metadata"] = {}
    if request.cell_type == "code":
        cell["outputs"] = []
    cell["source"] = _source_value(request.new_source, template.get("source") if template else [])
    return _ordered(cell, list(template) if template else None, doc.style)


def _retyped(old: dict[str, Any], new_type: str, source: object, style: Style) -> dict[str, Any]:
    cell = {key: value for key, value in old.items() if key not in _CLEARED}
    cell["cell_type"] = new_type
    cell["source"] = source
    if new_type == "code":
        cell.update({key: _cleared(key) for key in _CLEARED})
    return _ordered(cell, list(old), style)


def _ordered(cell: dict[str, Any], template: list[str] | None, style: Style) -> dict[str, Any]:
    """Keys sorted when the file sorts them (nbformat does), else in ``template``'s order with
    any others after them."""
    if style.sort_keys or template is None:
        return {key: cell[key] for key in sorted(cell)}
    rank = {key: position for position, key in enumerate(template)}
    return {key: cell[key] for key in sorted(cell, key=lambda k: (rank.get(k, len(rank)), k))}


def _cleared(key: str) -> object:
    return [] if key == "outputs" else None


def _source_value(source: str, like: object) -> object:
    """``source`` stored as ``like`` stores its own: one string, or a list of lines as
    nbformat writes it."""
    return source if isinstance(like, str) else source.splitlines(keepends=True)


def _fresh_id(notebook: Notebook) -> str:
    taken = {cell.get("id") for cell in notebook.cells}
    while True:
        candidate = os.urandom(4).hex()  # the 8 hex digits Jupyter's own ids have
        if candidate not in taken:
            return candidate


def _parsed(text: str) -> dict[str, Any]:
    data = json.loads(text)
    assert isinstance(data, dict)  # the writer changes a cell, never the top object's kind
    return data


def _cells_of(text: str) -> list[dict[str, Any]]:
    cells = _parsed(text)["cells"]
    assert isinstance(cells, list)
    return cells

"""Changing one cell of a notebook's text while every other character stays as it was.

Each function returns the new text: the original up to the edited cell, the new JSON for that
cell (or for some of its values) written in the file's own style, and the original from the end
of the cell on. Nothing outside the cell is serialised again, so indentation, key order,
escapes, number formats and line endings elsewhere are kept by construction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from devagent.notebooks.layout import Layout, Style, line_indent


def dump(value: object, style: Style, prefix: str) -> str:
    """``value`` as JSON in ``style``, its lines after the first indented by ``prefix``."""
    if style.indent is None:
        separators = (style.item_separator, style.key_separator)
        return json.dumps(value, ensure_ascii=style.ensure_ascii, separators=separators)
    text = json.dumps(
        value,
        ensure_ascii=style.ensure_ascii,
        indent=style.indent,
        separators=(",", style.key_separator),
    )
    # JSON strings hold no raw newline, so every newline here is one json.dumps put in.
    return text.replace("\n", style.newline + prefix)


def replace_values(
    text: str, layout: Layout, style: Style, index: int, values: Mapping[str, object]
) -> str:
    """Replace the values of some members of cell ``index`` (each key must be a member)."""
    cell = layout.cells[index]
    members = [member for member in cell.members if member.key in values]
    # From the last member back, so the spans of those before stay valid.
    for member in sorted(members, key=lambda m: m.value_start, reverse=True):
        new = dump(values[member.key], style, line_indent(text, member.key_start))
        text = text[: member.value_start] + new + text[member.value_end :]
    return text


def replace_cell(text: str, layout: Layout, index: int, cell_json: str) -> str:
    cell = layout.cells[index]
    return text[: cell.start] + cell_json + text[cell.end :]


def insert_cell(text: str, layout: Layout, style: Style, position: int, cell: object) -> str:
    """Insert ``cell`` so it becomes cell ``position`` of the array."""
    cells = layout.cells
    if not cells:
        return _into_empty(text, layout, style, cell)
    anchor = cells[position - 1] if position > 0 else cells[0]
    prefix = line_indent(text, anchor.start)
    new = dump(cell, style, prefix)
    separator = style.item_separator if style.indent is None else "," + style.newline + prefix
    if position > 0:
        return text[: anchor.end] + separator + new + text[anchor.end :]
    return text[: anchor.start] + new + separator + text[anchor.start :]


def delete_cell(text: str, layout: Layout, index: int) -> str:
    """Remove cell ``index`` with the separator that joined it to its neighbour."""
    cells = layout.cells
    if len(cells) == 1:
        member = layout.cells_member
        return text[: member.value_start] + "[]" + text[member.value_end :]
    if index > 0:
        return text[: cells[index - 1].end] + text[cells[index].end :]
    return text[: cells[0].start] + text[cells[1].start :]


def _into_empty(text: str, layout: Layout, style: Style, cell: object) -> str:
    member = layout.cells_member
    if style.indent is None:
        array = "[" + dump(cell, style, "") + "]"
    else:
        outer = line_indent(text, member.key_start)
        inner = outer + style.indent
        array = "[" + style.newline + inner + dump(cell, style, inner) + style.newline + outer + "]"
    return text[: member.value_start] + array + text[member.value_end :]

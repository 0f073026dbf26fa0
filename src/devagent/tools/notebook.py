"""The NotebookRead and NotebookEdit tools, and Read's view of an ``.ipynb`` file.

The notebook logic lives in ``devagent.notebooks``; these classes only resolve paths, load
and write bytes, and turn ``NotebookError`` into ``ToolError``. NotebookEdit works like Edit:
the notebook must have been read in this session (Read or NotebookRead), a change made since
is refused, the approval diff shows the changed cell, and the write is atomic and refused if
the file changed while the approval was open. The file keeps its encoding and BOM.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from devagent.toolkinds import ToolKind
from devagent.tools.base import Args, PreparedCall, Tool, ToolContext, ToolError, ToolResult
from devagent.tools.edit import load_for_change, prepared_write
from devagent.tools.fileio import MAX_TEXT_BYTES, encode_text, read_text_file
from devagent.tools.paths import display_path, resolve_in_workspace

if TYPE_CHECKING:
    from devagent.notebooks import EditRequest

_PATH: dict[str, Any] = {
    "type": "string",
    "description": "The path of the .ipynb file (absolute, or relative to the workspace root).",
}

READ_DESCRIPTION = """\
Reads a Jupyter notebook (.ipynb) and returns its cells: each cell's id, type, source and \
outputs (stream text, text results, errors; images are listed as [image/png, N bytes]).

- cell_id shows one cell only. Cells are named by their id; a cell without one (notebooks \
older than nbformat 4.5) is named cell-N by its position, counted from 0.
- Read shows a notebook the same way. Read a notebook before changing it with NotebookEdit."""

EDIT_DESCRIPTION = """\
Replaces, inserts or deletes one cell of a Jupyter notebook (.ipynb).

- Read the notebook first (Read or NotebookRead); the edit is refused if the file changed since.
- cell_id names the cell by the id Read shows (or cell-N for the cell at position N, from 0).
- edit_mode=replace (the default) gives the cell new_source; with cell_type it also changes the \
cell's type. A replaced code cell loses its outputs and execution count.
- edit_mode=insert adds a new cell after cell_id, or at the start when cell_id is omitted; \
cell_type is required.
- edit_mode=delete removes the cell (send new_source as an empty string).
- The rest of the file is kept byte for byte; an edit that would make the notebook invalid \
for nbformat is refused."""


def _notebook_text(path: Path, shown: str) -> tuple[str, bytes]:
    try:
        size = os.stat(path).st_size
    except OSError:
        size = 0  # read_text_file explains a missing or unreadable file
    if size > MAX_TEXT_BYTES:
        raise ToolError(
            f"{shown} is {size} bytes, over the {MAX_TEXT_BYTES}-byte limit for notebooks. "
            "Read its raw JSON in parts with Read (offset and limit), or query it with Bash "
            "(for example: jq '.cells | length')."
        )
    file = read_text_file(path)
    return file.text, file.raw


def notebook_result(path: Path, ctx: ToolContext, wanted: str | None = None) -> ToolResult:
    """The notebook at ``path`` as cells; records the read so NotebookEdit may change it."""
    # The notebook package loads with the first notebook, not with every run's tool catalog.
    from devagent.notebooks import NotebookError, parse_notebook, render_notebook

    shown = display_path(path, ctx.workspace)
    text, raw = _notebook_text(path, shown)
    try:
        rendered = render_notebook(parse_notebook(text, shown), shown, wanted)
    except NotebookError as exc:
        raise ToolError(str(exc)) from exc
    ctx.ledger.record(path, raw)
    return ToolResult(rendered)


class NotebookReadTool(Tool):
    name: ClassVar[str] = "NotebookRead"
    description: ClassVar[str] = READ_DESCRIPTION
    kind: ClassVar[ToolKind] = "read"
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "notebook_path": _PATH,
            "cell_id": {
                "type": "string",
                "description": "The id of one cell to show (or cell-N for position N). Omit "
                "it to show every cell.",
            },
        },
        "required": ["notebook_path"],
        "additionalProperties": False,
    }

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        path = resolve_in_workspace(str(args["notebook_path"]), ctx.workspace)
        wanted = args.get("cell_id")
        cell = str(wanted) if wanted is not None else None
        return PreparedCall(execute=lambda: notebook_result(path, ctx, cell), paths=(path,))


class NotebookEditTool(Tool):
    name: ClassVar[str] = "NotebookEdit"
    description: ClassVar[str] = EDIT_DESCRIPTION
    kind: ClassVar[ToolKind] = "edit"
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "notebook_path": _PATH,
            "cell_id": {
                "type": "string",
                "description": "The id of the cell to edit. When inserting a new cell, the new "
                "cell is inserted after the cell with this id, or at the beginning if not given.",
            },
            "new_source": {"type": "string", "description": "The new source for the cell."},
            "cell_type": {
                "type": "string",
                "enum": ["code", "markdown"],
                "description": "The type of the cell (code or markdown). If not given, it "
                "stays the cell's current type. Required with edit_mode=insert.",
            },
            "edit_mode": {
                "type": "string",
                "enum": ["replace", "insert", "delete"],
                "description": "The type of edit to make (replace, insert, delete). Defaults "
                "to replace.",
            },
        },
        "required": ["notebook_path", "new_source"],
        "additionalProperties": False,
    }

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        path = resolve_in_workspace(str(args["notebook_path"]), ctx.workspace)
        shown = display_path(path, ctx.workspace)
        original = load_for_change(path, ctx)
        if original is None:
            raise ToolError(
                f"{shown} does not exist. NotebookEdit changes an existing notebook; check the "
                "path with Glob, or create the notebook with Write."
            )
        from devagent.notebooks import NotebookError, plan_edit

        try:
            outcome = plan_edit(original.text, _request(args), shown)
        except NotebookError as exc:
            raise ToolError(str(exc)) from exc
        after = encode_text(original, outcome.text)
        view = (outcome.before, outcome.after)
        return prepared_write(ctx, path, original, after, outcome.summary, view)


def _request(args: Args) -> EditRequest:
    from devagent.notebooks import EditRequest

    wanted = args.get("cell_id")
    return EditRequest(
        cell_id=str(wanted) if wanted not in (None, "") else None,
        new_source=str(args["new_source"]),
        cell_type=args.get("cell_type"),
        edit_mode=args.get("edit_mode") or "replace",
    )

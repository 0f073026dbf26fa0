"""NotebookRead, NotebookEdit and Read on .ipynb files, on real files: read tracking, stale
files, the approval diff, encodings and the raw view."""

from __future__ import annotations

import codecs
import json
import os
from pathlib import Path
from typing import Any

import pytest

from devagent.diffs import unified_diff
from devagent.tools.base import PreparedCall, Tool, ToolContext, ToolError, ToolResult
from devagent.tools.fileio import MAX_TEXT_BYTES
from devagent.tools.notebook import NotebookEditTool, NotebookReadTool
from devagent.tools.read import ReadTool
from devagent.tools.schema import validate_input
from notebooks.samples import jupyter_text, notebook_data, styled_text


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    return Path(os.path.realpath(root))


@pytest.fixture
def ctx(ws: Path) -> ToolContext:
    return ToolContext(workspace=ws, cwd=ws)


@pytest.fixture
def nb(ws: Path) -> Path:
    path = ws / "analysis.ipynb"
    path.write_text(jupyter_text(notebook_data(4)), encoding="utf-8")
    return path


def prepare(tool: Tool, ctx: ToolContext, **args: Any) -> PreparedCall:
    return tool.prepare(validate_input(tool.name, args, tool.input_schema), ctx)


def run(tool: Tool, ctx: ToolContext, **args: Any) -> ToolResult:
    return prepare(tool, ctx, **args).execute()


def edit(ctx: ToolContext, **args: Any) -> ToolResult:
    return run(NotebookEditTool(), ctx, notebook_path="analysis.ipynb", **args)


def test_read_shows_a_notebook_as_cells_and_counts_as_read(ctx: ToolContext, nb: Path) -> None:
    shown = run(ReadTool(), ctx, file_path="analysis.ipynb").content
    assert shown.startswith("Notebook analysis.ipynb: 4 cells, nbformat 4.4, kernel Python 3.\n")
    assert '<cell id="cell-1" type="code" execution_count="3">' in shown
    assert shown == run(NotebookReadTool(), ctx, notebook_path="analysis.ipynb").content
    result = edit(ctx, cell_id="cell-3", new_source="The end.")
    assert result.content.startswith("Replaced the source of cell cell-3 in analysis.ipynb")


def test_read_with_offset_or_limit_shows_the_raw_json(ctx: ToolContext, nb: Path) -> None:
    shown = run(ReadTool(), ctx, file_path="analysis.ipynb", offset=1, limit=3).content
    assert shown.splitlines()[:3] == ["     1\t{", '     2\t "cells": [', "     3\t  {"]


def test_read_on_a_broken_notebook_shows_its_text_and_says_why(ctx: ToolContext, ws: Path) -> None:
    (ws / "broken.ipynb").write_text('{"cells": [\n')
    shown = run(ReadTool(), ctx, file_path="broken.ipynb").content
    assert shown.startswith('     1\t{"cells": [\n')
    assert shown.endswith(
        "(Not shown as notebook cells: broken.ipynb is not valid JSON (Expecting value at line "
        "2, column 1), so its cells cannot be shown; Read shows its raw text. This is its raw "
        "text.)"
    )


def test_notebook_read_shows_one_cell(ctx: ToolContext, nb: Path) -> None:
    shown = run(NotebookReadTool(), ctx, notebook_path=str(nb), cell_id="cell-2")
    assert shown.content.splitlines()[1:] == [
        '<cell id="cell-2" type="code">',
        "y = 2  # MARK-C",
        "</cell>",
    ]


def test_notebook_read_errors_name_the_problem(ctx: ToolContext, ws: Path) -> None:
    with pytest.raises(ToolError, match="does not exist"):
        run(NotebookReadTool(), ctx, notebook_path="missing.ipynb")
    with pytest.raises(ToolError, match="outside the workspace"):
        run(NotebookReadTool(), ctx, notebook_path="/etc/hosts")
    huge = ws / "huge.ipynb"
    with open(huge, "wb") as handle:
        handle.truncate(MAX_TEXT_BYTES + 1)
    with pytest.raises(ToolError, match="over the 10485760-byte limit for notebooks"):
        run(NotebookReadTool(), ctx, notebook_path="huge.ipynb")


def test_an_unread_notebook_is_refused(ctx: ToolContext, nb: Path) -> None:
    before = nb.read_bytes()
    with pytest.raises(ToolError, match=r"has not been read in this session\. Read it first"):
        edit(ctx, cell_id="cell-0", new_source="x")
    assert nb.read_bytes() == before


def test_a_notebook_changed_since_it_was_read_is_refused(ctx: ToolContext, nb: Path) -> None:
    run(NotebookReadTool(), ctx, notebook_path="analysis.ipynb")
    nb.write_bytes(nb.read_bytes().replace(b"Closing words", b"Closing lines"))
    changed = nb.read_bytes()
    with pytest.raises(ToolError, match="changed since you read it"):
        edit(ctx, cell_id="cell-0", new_source="x")
    assert nb.read_bytes() == changed


def test_a_change_while_the_approval_is_open_aborts_the_write(ctx: ToolContext, nb: Path) -> None:
    run(NotebookReadTool(), ctx, notebook_path="analysis.ipynb")
    call = prepare(
        NotebookEditTool(), ctx, notebook_path="analysis.ipynb", cell_id="cell-0", new_source="x"
    )
    nb.write_bytes(nb.read_bytes() + b"\n")
    changed = nb.read_bytes()
    with pytest.raises(ToolError, match="changed on disk since it was read"):
        call.execute()
    assert nb.read_bytes() == changed


def test_a_missing_notebook_is_refused(ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match=r"does not exist\. NotebookEdit changes an existing"):
        edit(ctx, cell_id="cell-0", new_source="x")


def test_the_approval_diff_shows_the_cell_not_the_json(ctx: ToolContext, nb: Path) -> None:
    run(ReadTool(), ctx, file_path="analysis.ipynb")
    call = prepare(
        NotebookEditTool(),
        ctx,
        notebook_path="analysis.ipynb",
        cell_id="cell-1",
        new_source="x = 1 / 1  # MARK-B",
    )
    diff = unified_diff(call.changes, ctx.workspace)
    assert diff.startswith("--- a/analysis.ipynb\n+++ b/analysis.ipynb\n")
    assert '-<cell id="cell-1" type="code" execution_count="3">\n' in diff
    assert '+<cell id="cell-1" type="code">\n' in diff
    assert "-x = 1 / 0  # MARK-B\n" in diff and "+x = 1 / 1  # MARK-B\n" in diff
    assert "-ZeroDivisionError: division by zero\n" in diff
    assert '"outputs"' not in diff
    [change] = call.changes
    assert change.before == nb.read_bytes() and change.after is not None
    assert json.loads(change.after)["cells"][1]["outputs"] == []


def test_edits_in_a_row_need_one_read_and_keep_bom_crlf_and_mode(
    ctx: ToolContext, ws: Path
) -> None:
    path = ws / "analysis.ipynb"
    data = notebook_data(5)
    path.write_bytes(codecs.BOM_UTF8 + styled_text(data, indent=2, newline="\r\n").encode())
    os.chmod(path, 0o640)
    run(NotebookReadTool(), ctx, notebook_path="analysis.ipynb")
    edit(ctx, cell_id="cell-0", new_source="# Títle")
    edit(ctx, cell_id="cell-3", edit_mode="delete", new_source="")
    edit(ctx, new_source="import os", cell_type="code", edit_mode="insert")
    raw = path.read_bytes()
    assert (
        raw.startswith(codecs.BOM_UTF8)
        and b"\r\n" in raw
        and b"\n" not in raw.replace(b"\r\n", b"")
    )
    assert "# Títle".encode() in raw and os.stat(path).st_mode & 0o777 == 0o640
    cells = json.loads(raw[len(codecs.BOM_UTF8) :])["cells"]
    assert [c["cell_type"] for c in cells] == ["code", "markdown", "code", "code"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"edit_mode": "append", "new_source": "x"}, "edit_mode must be one of"),
        ({"cell_type": "raw", "new_source": "x", "edit_mode": "insert"}, "cell_type must be"),
        ({"cell_id": "cell-0"}, "new_source"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_read(
    ctx: ToolContext, nb: Path, args: dict[str, Any], message: str
) -> None:
    before = nb.read_bytes()
    with pytest.raises(ToolError, match=message):
        edit(ctx, **args)
    assert nb.read_bytes() == before

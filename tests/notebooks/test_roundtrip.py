"""NotebookEdit's writer keeps every byte outside the edited cell: notebooks written by
nbformat 4.0, 4.4 and 4.5 (Jupyter), VS Code-style files (CRLF, indent 1 or 2, raw non-ASCII),
escaped, compact and irregular files all come back byte-exact outside the cell.

Each edit's result is compared with the whole notebook written again by an independent writer
in the file's own style, so "only the edited cell changed" is checked to the byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import nbformat
import pytest

from devagent.notebooks import EditRequest, NotebookError, plan_edit
from notebooks.samples import between_markers, edited, jupyter_text, notebook_data, styled_text

Writer = Callable[[dict[str, Any]], str]

STYLES: dict[str, tuple[int, Writer]] = {
    "nbformat-4.0": (0, jupyter_text),
    "nbformat-4.4": (4, jupyter_text),
    "nbformat-4.5": (5, jupyter_text),
    "vscode-crlf-indent2": (5, lambda d: styled_text(d, indent=2, newline="\r\n")),
    "vscode-crlf-indent1": (4, lambda d: styled_text(d, indent=1, newline="\r\n")),
    "tab-indent-no-final-newline": (5, lambda d: styled_text(d, indent="\t", final_newline=False)),
    "ascii-escaped": (5, lambda d: styled_text(d, indent=1, ensure_ascii=True)),
    "compact-one-line": (4, lambda d: styled_text(d, indent=None)),
    "compact-no-spaces": (5, lambda d: styled_text(d, indent=None, separators=(",", ":"))),
    "unsorted-keys": (5, lambda d: styled_text(d, indent=1, sort_keys=False)),
}


def plan(text: str, cell_id: str | None, source: str = "", **more: Any) -> str:
    return plan_edit(text, EditRequest(cell_id, source, **more), "nb.ipynb").text


def valid(text: str) -> None:
    nbformat.validate(json.loads(text))


def ids(minor: int, data: dict[str, Any]) -> list[str]:
    return [c.get("id") or f"cell-{i}" for i, c in enumerate(data["cells"])]


@pytest.mark.parametrize("style", sorted(STYLES))
def test_replace_rewrites_only_the_cell_and_clears_its_outputs(style: str) -> None:
    minor, write = STYLES[style]
    data = notebook_data(minor)
    before = write(data)
    target = ids(minor, data)[1]
    after = plan(before, target, "x = 2  # MARK-B\nprint(x)\n")
    assert after == write(edited(data, "replace", 1, source="x = 2  # MARK-B\nprint(x)\n"))
    between_markers(before.encode(), after.encode(), "MARK-A", "MARK-C")
    valid(after)


@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("position", [0, 2, 4])
def test_insert_adds_one_cell_and_nothing_else(style: str, position: int) -> None:
    minor, write = STYLES[style]
    data = notebook_data(minor)
    before = write(data)
    after_id = None if position == 0 else ids(minor, data)[position - 1]
    after = plan(before, after_id, "new = 'ünïcode'", cell_type="code", edit_mode="insert")
    new_cell = json.loads(after)["cells"][position]
    assert new_cell["source"] == ["new = 'ünïcode'"] and new_cell["outputs"] == []
    if minor >= 5:
        assert re.fullmatch(r"[0-9a-f]{8}", new_cell["id"])
        assert new_cell["id"] not in ids(minor, data)
    else:
        assert "id" not in new_cell
    assert after == write(edited(data, "insert", position, cell=new_cell))
    valid(after)


@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("index", [0, 1, 3])
def test_delete_removes_the_cell_and_its_separator(style: str, index: int) -> None:
    minor, write = STYLES[style]
    data = notebook_data(minor)
    before = write(data)
    after = plan(before, ids(minor, data)[index], edit_mode="delete")
    assert after == write(edited(data, "delete", index))
    valid(after)


@pytest.mark.parametrize("style", ["nbformat-4.5", "vscode-crlf-indent2", "compact-one-line"])
def test_deleting_the_last_cell_then_inserting_into_the_empty_list(style: str) -> None:
    minor, write = STYLES[style]
    data = notebook_data(minor)
    data["cells"] = data["cells"][:1]
    text = write(data)
    empty = plan(text, ids(minor, data)[0], edit_mode="delete")
    assert empty == write({**data, "cells": []})
    again = plan(empty, None, "# Back", cell_type="markdown", edit_mode="insert")
    new_cell = json.loads(again)["cells"][0]
    assert again == write({**data, "cells": [new_cell]})
    valid(again)


IRREGULAR = (
    '{"metadata": {"custom": {"ratio": 1.0e-5, "big": 10000000000000000000000,'
    ' "esc": "\\u00e9\\/x"}},\r\n'
    '  "nbformat": 4, "nbformat_minor": 4,\n'
    '   "cells": [ {"cell_type": "markdown", "metadata": {}, "source": "MARK-A"},\n'
    '\t{ "cell_type":"code","execution_count":7,"metadata":{"x": [1,2]},\n'
    '     "outputs": [{"output_type": "stream", "name": "stdout", "text": "out"}],\n'
    '     "source": ["old\\n", "MARK-B"]\n'
    "\t},\n"
    '  {"cell_type": "markdown", "metadata": {"n": 1E3}, "source": ["MARK-C"]}  ] }'
)


def test_an_irregular_file_keeps_every_byte_outside_the_edited_values() -> None:
    after = plan(IRREGULAR, "cell-1", "new\nMARK-B")
    between_markers(IRREGULAR.encode(), after.encode(), "MARK-A", "MARK-C")
    assert '"execution_count":null' in after and '"outputs": []' in after
    assert '"metadata":{"x": [1,2]}' in after  # the cell's own untouched members stay too
    cell = json.loads(after)["cells"][1]
    assert cell["source"] == ["new\n", "MARK-B"] and cell["outputs"] == []
    valid(after)


def test_an_irregular_file_gets_inserted_and_deleted_cells_without_other_changes() -> None:
    inserted = plan(IRREGULAR, "cell-0", "MARK-N", cell_type="markdown", edit_mode="insert")
    between_markers(IRREGULAR.encode(), inserted.encode(), "MARK-A", "MARK-B")
    # The new cell stores its source the way the cell before it does (one string here).
    assert json.loads(inserted)["cells"][1] == {
        "cell_type": "markdown",
        "metadata": {},
        "source": "MARK-N",
    }
    deleted = plan(IRREGULAR, "cell-1", edit_mode="delete")
    between_markers(IRREGULAR.encode(), deleted.encode(), "MARK-A", "MARK-C")
    assert [c["source"] for c in json.loads(deleted)["cells"]] == ["MARK-A", ["MARK-C"]]


def test_a_source_kept_as_one_string_stays_one_string() -> None:
    after = plan(IRREGULAR, "cell-0", "line one\nline two")
    assert json.loads(after)["cells"][0]["source"] == "line one\nline two"


def test_a_type_change_rewrites_that_cell_only_keeping_its_id_and_metadata() -> None:
    data = notebook_data(5)
    before = jupyter_text(data)
    code_id = data["cells"][2]["id"]
    after = plan(before, code_id, "Now prose MARK-C", cell_type="markdown")
    cell = json.loads(after)["cells"][2]
    assert cell == {
        "cell_type": "markdown",
        "id": code_id,
        "metadata": {"tags": ["keep-me"], "scrolled": True},
        "source": ["Now prose MARK-C"],
    }
    between_markers(before.encode(), after.encode(), "MARK-B", "MARK-D")
    back = plan(after, code_id, "y = 3", cell_type="code")
    assert json.loads(back)["cells"][2]["outputs"] == []
    assert json.loads(back)["cells"][2]["execution_count"] is None


def test_an_unchanged_replace_is_refused() -> None:
    data = notebook_data(5)
    data["cells"][2]["outputs"] = []
    text = jupyter_text(data)
    with pytest.raises(NotebookError, match="already has this source"):
        plan(text, data["cells"][2]["id"], "y = 2  # MARK-C")

"""The rules of a notebook edit: what each mode needs, what it tells the model, which edits
nbformat refuses, and that reading never imports nbformat."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from devagent.notebooks import EditOutcome, EditRequest, NotebookError, plan_edit
from notebooks.samples import jupyter_text, notebook_data, styled_text


def plan(text: str, cell_id: str | None, source: str = "", **more: Any) -> EditOutcome:
    return plan_edit(text, EditRequest(cell_id, source, **more), "nb.ipynb")


@pytest.fixture
def nb45() -> str:
    return jupyter_text(notebook_data(5))


@pytest.mark.parametrize("mode", ["replace", "delete"])
def test_replace_and_delete_need_a_cell_id(nb45: str, mode: str) -> None:
    with pytest.raises(NotebookError, match=f"cell_id is required to {mode} a cell"):
        plan(nb45, None, "x", edit_mode=mode)


def test_insert_needs_a_cell_type(nb45: str) -> None:
    with pytest.raises(NotebookError, match="cell_type is required to insert a cell"):
        plan(nb45, None, "x", edit_mode="insert")


def test_an_unknown_cell_is_refused_naming_the_cells(nb45: str) -> None:
    with pytest.raises(NotebookError, match=r'nb\.ipynb has no cell "cell-9"\. Its 4 cells are'):
        plan(nb45, "cell-9", "x")


def test_replace_says_the_outputs_were_cleared_and_shows_the_cell_change(nb45: str) -> None:
    code_id = json.loads(nb45)["cells"][1]["id"]
    outcome = plan(nb45, code_id, "x = 2")
    assert outcome.summary == (
        f"Replaced the source of cell {code_id} in nb.ipynb; its outputs and execution count "
        "were cleared (run it again to get new ones)."
    )
    assert outcome.before.startswith(f'<cell id="{code_id}" type="code" execution_count="3">\n')
    assert "ZeroDivisionError: division by zero" in outcome.before
    assert outcome.after == f'<cell id="{code_id}" type="code">\nx = 2\n</cell>\n'


def test_insert_and_delete_report_ids_positions_and_what_moved() -> None:
    text = jupyter_text(notebook_data(4))
    inserted = plan(text, "cell-1", "# Note", cell_type="markdown", edit_mode="insert")
    assert inserted.summary == (
        "Inserted a markdown cell cell-2 after cell cell-1 of nb.ipynb; it is cell 3 of 5. "
        "The cells after it moved down one place, so their cell-N names grew by one."
    )
    assert inserted.before == "" and inserted.after.endswith("# Note\n</cell>\n")
    deleted = plan(text, "cell-0", edit_mode="delete")
    assert deleted.summary == (
        "Deleted markdown cell cell-0 from nb.ipynb; 3 cells left. The cells after it moved up "
        "one place, so their cell-N names shrank by one."
    )
    assert deleted.after == "" and "MARK-A" in deleted.before


def test_an_inserted_cell_in_a_notebook_with_ids_is_named_by_its_new_id(nb45: str) -> None:
    outcome = plan(nb45, None, "import os", cell_type="code", edit_mode="insert")
    new_id = json.loads(outcome.text)["cells"][0]["id"]
    assert outcome.summary == (
        f"Inserted a code cell {new_id} at the start of nb.ipynb; it is cell 1 of 5."
    )


def test_an_edit_that_breaks_the_schema_is_refused_with_the_validators_message() -> None:
    data = notebook_data(5)
    data["cells"][0]["attachments"] = {"logo.png": {"image/png": "iVBORw0KGgo="}}
    text = jupyter_text(data)
    with pytest.raises(NotebookError) as info:
        plan(text, data["cells"][0]["id"], "print(1)", cell_type="code")
    assert str(info.value) == (
        "This edit would make nb.ipynb an invalid notebook, so nothing was written. nbformat "
        "says: Additional properties are not allowed ('attachments' was unexpected) (in cell 0)"
    )


def test_a_notebook_already_invalid_can_still_be_edited_and_the_problem_is_reported() -> None:
    data = notebook_data(4)
    del data["cells"][3]["metadata"]
    text = styled_text(data, indent=1)  # nbformat itself will not write an invalid notebook
    outcome = plan(text, "cell-0", "# New title")
    assert json.loads(outcome.text)["cells"][0]["source"] == ["# New title"]
    assert outcome.summary.endswith(
        "(The notebook was already invalid before this edit: 'metadata' is a required "
        "property (in cell 3).)"
    )


def test_a_duplicate_key_is_refused_rather_than_guessed_at(nb45: str) -> None:
    text = nb45.replace(
        '"cell_type": "markdown",', '"cell_type": "markdown", "cell_type": "code",', 1
    )
    with pytest.raises(NotebookError, match='cell 0 has the key "cell_type" twice'):
        plan(text, "cell-1", "x")


def test_reading_a_notebook_does_not_import_nbformat(tmp_path: Any) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_text(jupyter_text(notebook_data(5)))
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from devagent.tools.base import ToolContext\n"
        "from devagent.tools.catalog import default_registry\n"
        f"root = Path({str(tmp_path)!r})\n"
        "tool = default_registry().get('NotebookRead')\n"
        "ctx = ToolContext(workspace=root, cwd=root)\n"
        "out = tool.prepare({'notebook_path': 'nb.ipynb'}, ctx).execute().content\n"
        "print('MARK-D' in out, 'nbformat' in sys.modules, 'jsonschema' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "False", "False"]

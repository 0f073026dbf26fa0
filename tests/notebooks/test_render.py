"""What the model sees of a notebook: cells with ids and types, sources, outputs as text,
images by size, errors without colour codes, capped like Read; and the errors for files that
are not notebooks."""

from __future__ import annotations

from typing import Any

import pytest

from devagent.notebooks import NotebookError, parse_notebook, render_notebook
from devagent.notebooks.render import MAX_LINE_CHARS, MAX_OUTPUT_CHARS
from notebooks.samples import PNG_BYTES, jupyter_text, notebook_data


def render(data: dict[str, Any], wanted: str | None = None) -> str:
    text = jupyter_text(data)
    return render_notebook(parse_notebook(text, "nb.ipynb"), "nb.ipynb", wanted)


def test_every_cell_shows_its_id_type_source_and_outputs() -> None:
    data = notebook_data(5)
    first, code, tagged, last = (c["id"] for c in data["cells"])
    assert render(data) == "\n".join(
        [
            "Notebook nb.ipynb: 4 cells, nbformat 4.5, kernel Python 3.",
            f'<cell id="{first}" type="markdown">',
            "# Café – naïve title MARK-A",
            "Some text",
            "</cell>",
            f'<cell id="{code}" type="code" execution_count="3">',
            "x = 1 / 0  # MARK-B",
            "print('naïve')",
            '<output type="stream" name="stdout">',
            "épreuve",
            "step 2",
            "</output>",
            '<output type="execute_result">',
            "42",
            f"[image/png, {len(PNG_BYTES)} bytes]",
            "</output>",
            '<output type="error" ename="ZeroDivisionError">',
            "ZeroDivisionError: division by zero",
            "</output>",
            "</cell>",
            f'<cell id="{tagged}" type="code">',
            "y = 2  # MARK-C",
            "</cell>",
            f'<cell id="{last}" type="markdown">',
            "Closing words MARK-D",
            "</cell>",
        ]
    )


def test_cells_without_ids_are_named_by_position_and_found_either_way() -> None:
    data = notebook_data(4)
    whole = render(data)
    assert '<cell id="cell-0" type="markdown">' in whole
    assert '<cell id="cell-3" type="markdown">' in whole
    one = render(data, "cell-2")
    assert one.splitlines()[1:] == ['<cell id="cell-2" type="code">', "y = 2  # MARK-C", "</cell>"]


def test_a_real_id_is_found_and_an_unknown_one_lists_the_cells() -> None:
    data = notebook_data(5)
    wanted = data["cells"][3]["id"]
    assert "Closing words MARK-D" in render(data, wanted)
    assert "MARK-A" not in render(data, wanted)
    assert "Closing words" in render(data, "cell-3")
    with pytest.raises(NotebookError) as info:
        render(data, "nope")
    message = str(info.value)
    assert 'nb.ipynb has no cell "nope"' in message
    assert wanted in message and "cell-0 to cell-3" in message


def test_outputs_without_text_name_their_types_and_sizes() -> None:
    data = notebook_data(5)
    data["cells"][2]["outputs"] = [
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {"text/html": "<b>hi</b>", "image/svg+xml": "<svg/>"},
        },
        {"output_type": "display_data", "metadata": {}, "data": {"application/json": {"a": 1}}},
    ]
    shown = render(data, "cell-2")
    assert "[image/svg+xml, 6 bytes]" in shown and "text/html" not in shown
    assert "[application/json, 8 bytes]" in shown


def test_long_lines_and_long_notebooks_are_cut_with_a_way_to_see_the_rest() -> None:
    data = notebook_data(5)
    cells = data["cells"]
    cells[0]["source"] = "a" * (MAX_LINE_CHARS + 50)
    filler = "\n".join("z" * 1000 for _ in range(60))
    big = [dict(cells[3], id=f"big{i}", source=filler) for i in range(3)]
    data["cells"] = [*cells, *big]
    shown = render(data)
    assert f"[... line cut: {MAX_LINE_CHARS + 50} characters in full]" in shown
    assert len(shown) <= MAX_OUTPUT_CHARS + 300
    assert shown.endswith(
        'See the next cell with NotebookRead cell_id="big1"; any cell can be read by its id.)'
    )
    assert "Showing the first 5 of 7 cells" in shown
    assert '<cell id="big1"' not in shown


def test_one_cell_over_the_cap_is_cut_inside() -> None:
    data = notebook_data(5)
    data["cells"] = data["cells"][:1]
    data["cells"][0]["source"] = "\n".join("q" * 1500 for _ in range(100))
    shown = render(data, "cell-0")
    assert shown.endswith(
        f"(This cell is cut here: it is over the {MAX_OUTPUT_CHARS}-character limit. Read with "
        "offset and limit shows the notebook's raw JSON, to see the rest.)"
    )
    assert len(shown) <= MAX_OUTPUT_CHARS + 300


def test_an_empty_notebook_says_how_to_add_a_cell() -> None:
    data = notebook_data(5)
    data["cells"] = []
    assert render(data).endswith("It has no cells. Add one with NotebookEdit (edit_mode=insert).")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"cells": [', "nb.ipynb is not valid JSON (Expecting value at line 1, column 12)"),
        ("[1, 2]", "its JSON is not an object"),
        ('{"nbformat": 3, "worksheets": []}', "jupyter nbconvert --to notebook --nbformat 4"),
        ('{"nbformat": 4, "cells": {}}', 'needs "nbformat": 4 and a "cells" list'),
        ('{"nbformat": 4, "cells": [1]}', "cell 0 is not a JSON object"),
    ],
)
def test_files_that_are_not_nbformat_4_notebooks_are_named_with_the_reason(
    text: str, message: str
) -> None:
    with pytest.raises(NotebookError, match=r"nb\.ipynb") as info:
        parse_notebook(text, "nb.ipynb")
    assert message in str(info.value)

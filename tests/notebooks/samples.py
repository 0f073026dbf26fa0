"""Notebooks for the notebook tests, written the way Jupyter (nbformat), VS Code and hand
editing write them, and the independent serialisers the byte-exact checks compare against.

Every cell's source holds a marker (``MARK-A`` …) so a test can check, without the code under
test, that everything up to the cell before the edited one and from the cell after it on is
byte-identical.
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from typing import Any

import nbformat

PNG_BYTES = bytes(range(200)) * 3  # 600 bytes; the rendering reports the decoded size
ANSI_TRACE = "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"


def base_cells() -> list[dict[str, Any]]:
    """Four cells: markdown with non-ASCII text, code with every kind of output, code with
    metadata, markdown."""
    png = base64.b64encode(PNG_BYTES).decode("ascii")
    outputs = [
        {"name": "stdout", "output_type": "stream", "text": "épreuve\nstep 1\rstep 2\n"},
        {
            "data": {"image/png": png, "text/plain": "42"},
            "execution_count": 3,
            "metadata": {},
            "output_type": "execute_result",
        },
        {
            "ename": "ZeroDivisionError",
            "evalue": "division by zero",
            "output_type": "error",
            "traceback": [ANSI_TRACE],
        },
    ]
    return [
        _cell("markdown", "# Café – naïve title MARK-A\nSome text"),
        _cell("code", "x = 1 / 0  # MARK-B\nprint('naïve')", execution_count=3, outputs=outputs),
        _cell("code", "y = 2  # MARK-C", metadata={"tags": ["keep-me"], "scrolled": True}),
        _cell("markdown", "Closing words MARK-D"),
    ]


def _cell(kind: str, source: str, **more: Any) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": kind, "id": uuid.uuid4().hex[:8], "metadata": {}}
    if kind == "code":
        cell.update({"execution_count": None, "outputs": []})
    cell.update(more)
    cell["source"] = source
    return cell


def notebook_data(minor: int) -> dict[str, Any]:
    """A plain-dict notebook of format 4.``minor``; ids only from 4.5 on, as nbformat has them."""
    cells = base_cells()
    if minor < 5:
        for cell in cells:
            cell.pop("id", None)
    metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python", "version": "3.11.4"},
    }
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": minor}


def jupyter_text(data: dict[str, Any]) -> str:
    """What Jupyter saves: nbformat's own writer (indent 1, sorted keys, raw non-ASCII) and a
    final newline."""
    node = nbformat.from_dict(copy.deepcopy(data))  # type: ignore[no-untyped-call]
    text = nbformat.writes(node, version=nbformat.NO_CONVERT)  # type: ignore[no-untyped-call]
    return str(text) + "\n"


def styled_text(
    data: dict[str, Any],
    *,
    indent: int | str | None,
    newline: str = "\n",
    ensure_ascii: bool = False,
    sort_keys: bool = True,
    separators: tuple[str, str] | None = None,
    final_newline: bool = True,
) -> str:
    """``data`` written by a uniform JSON writer in the given style (VS Code: indent 1 or 2,
    sorted keys, raw non-ASCII, the file's line ending)."""
    text = json.dumps(
        _split_sources(data),
        indent=indent,
        ensure_ascii=ensure_ascii,
        sort_keys=sort_keys,
        separators=separators or ((",", ": ") if indent is not None else (", ", ": ")),
    )
    return text.replace("\n", newline) + (newline if final_newline else "")


def _split_sources(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for cell in data["cells"]:
        if isinstance(cell.get("source"), str):
            cell["source"] = cell["source"].splitlines(keepends=True)
    return data


def edited(data: dict[str, Any], mode: str, index: int, **more: Any) -> dict[str, Any]:
    """What a notebook holds after an edit, computed independently of the code under test."""
    result = copy.deepcopy(data)
    cells = result["cells"]
    if mode == "delete":
        del cells[index]
    elif mode == "insert":
        cells.insert(index, more["cell"])
    else:
        cell = cells[index]
        cell["source"] = more["source"].splitlines(keepends=True)
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return result


def between_markers(before: bytes, after: bytes, first: str | None, last: str | None) -> None:
    """Assert the bytes up to the end of marker ``first``'s line and from marker ``last``'s line
    on are identical in ``before`` and ``after`` (None: the start or the end of the file)."""
    head = 0 if first is None else before.index(first.encode()) + len(first)
    assert after[:head] == before[:head]
    if last is not None:
        tail = len(before) - before.index(last.encode())
        assert after[-tail:] == before[-tail:]

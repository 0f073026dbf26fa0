"""Jupyter notebooks: reading cells for the model and changing one cell byte-exactly.

- ``model``: parse nbformat-4 JSON, find a cell by its id or by ``cell-N`` (its position).
- ``render``: the text the model sees, cell by cell (id, type, source, outputs), capped.
- ``layout``: where the top object, the cells array and each cell lie in the file's text, and
  the JSON style the file was written in (indent, separators, ``ensure_ascii``, newline).
- ``writer``: splice one cell's new text into the original text, so every byte outside the
  edited cell is the original byte.
- ``edit``: plan a replace, insert or delete; ``validate``: check the result with nbformat
  (imported only when an edit is planned).

Nothing here reads or writes files: the tools in ``devagent.tools.notebook`` do, with the same
read-tracking and atomic writes as Edit.
"""

from devagent.notebooks.edit import EditOutcome, EditRequest, plan_edit
from devagent.notebooks.model import Notebook, NotebookError, parse_notebook
from devagent.notebooks.render import render_notebook

__all__ = [
    "EditOutcome",
    "EditRequest",
    "Notebook",
    "NotebookError",
    "parse_notebook",
    "plan_edit",
    "render_notebook",
]

"""The text the model sees for a notebook: each cell with its id, type, source and outputs.

Outputs are shown as text: stream output, ``text/plain`` results, error tracebacks (ANSI colour
codes stripped, carriage-return progress collapsed to what a terminal would end up showing)
and every image as ``[image/png, N bytes]``. A bundle with neither text nor image names its
types and sizes the same way. Lines are cut at ``MAX_LINE_CHARS`` and the whole text at
``MAX_OUTPUT_CHARS``, as Read cuts a file; the note at the end says how to see the rest.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator
from typing import Any, Final

from devagent.notebooks.model import (
    Notebook,
    cell_id,
    cell_type,
    find_cell,
    joined,
    source_text,
)

MAX_LINE_CHARS: Final = 2000
MAX_OUTPUT_CHARS: Final = 100_000
_ANSI: Final = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor movement
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: titles, hyperlinks
    r"|\x1b[@-Z\\-_]"  # two-character escapes
)


def render_notebook(notebook: Notebook, name: str, wanted: str | None = None) -> str:
    """The whole notebook (or the one cell ``wanted`` names) as text for the model."""
    count = len(notebook.cells)
    kernel = notebook.kernel()
    header = (
        f"Notebook {name}: {count} cell{'' if count == 1 else 's'}, nbformat "
        f"{notebook.major}.{notebook.minor}{f', kernel {kernel}' if kernel else ''}."
    )
    if wanted is not None:
        index = find_cell(notebook, wanted, name)
        return _capped([header, *cell_lines(notebook.cells[index], index)], {}, count)
    if count == 0:
        return header + "\nIt has no cells. Add one with NotebookEdit (edit_mode=insert)."
    lines = [header]
    starts: dict[int, int] = {}
    for index, cell in enumerate(notebook.cells):
        starts[len(lines)] = index
        lines.extend(cell_lines(cell, index))
    return _capped(lines, starts, count)


def cell_lines(cell: dict[str, Any], index: int) -> list[str]:
    """One cell: an opening tag with its id and type, the source, the outputs, a closing tag."""
    kind = cell_type(cell)
    attributes = f'id="{cell_id(cell, index)}" type="{kind}"'
    count = cell.get("execution_count")
    if kind == "code" and isinstance(count, int):
        attributes += f' execution_count="{count}"'
    lines = [f"<cell {attributes}>"]
    source = source_text(cell)
    if source:
        lines.extend(source.split("\n"))
    lines.extend(_attachment_lines(cell.get("attachments")))
    outputs = cell.get("outputs")
    for output in outputs if isinstance(outputs, list) else []:
        if isinstance(output, dict):
            lines.extend(_output_lines(output))
    lines.append("</cell>")
    return lines


def cell_view(cell: dict[str, Any], index: int) -> str:
    """A cell as text, for showing a change to it as a diff."""
    return "\n".join(cell_lines(cell, index)) + "\n"


def _output_lines(output: dict[str, Any]) -> list[str]:
    kind = output.get("output_type")
    if kind == "stream":
        stream = output.get("name")
        head = f'<output type="stream" name="{stream if isinstance(stream, str) else "?"}">'
        body = _text_lines(joined(output.get("text")))
    elif kind in ("execute_result", "display_data"):
        head = f'<output type="{kind}">'
        data = output.get("data")
        body = _bundle_lines(data if isinstance(data, dict) else {})
    elif kind == "error":
        ename, evalue = str(output.get("ename", "")), str(output.get("evalue", ""))
        head = f'<output type="error" ename="{_clean(ename)}">'
        trace = output.get("traceback")
        text = "\n".join(t for t in trace if isinstance(t, str)) if isinstance(trace, list) else ""
        body = _text_lines(text or f"{ename}: {evalue}")
    else:
        head, body = f'<output type="{kind}">', []
    return [head, *body, "</output>"]


def _bundle_lines(data: dict[str, Any]) -> list[str]:
    lines = _text_lines(joined(data["text/plain"])) if "text/plain" in data else []
    lines += [_sized(mime, value) for mime, value in data.items() if mime.startswith("image/")]
    if not lines:
        lines = [_sized(mime, value) for mime, value in data.items()]
    return lines


def _attachment_lines(attachments: object) -> Iterator[str]:
    if not isinstance(attachments, dict):
        return
    for filename, bundle in attachments.items():
        if isinstance(bundle, dict):
            for mime, value in bundle.items():
                yield f"[attachment {filename}: {mime}, {_byte_size(mime, value)} bytes]"


def _sized(mime: str, value: object) -> str:
    return f"[{mime}, {_byte_size(mime, value)} bytes]"


def _byte_size(mime: str, value: object) -> int:
    """The size of a bundle entry: decoded bytes for base64 images, UTF-8 bytes otherwise."""
    if not isinstance(value, str | list):
        return len(str(value).encode("utf-8"))
    text = joined(value)
    if mime.startswith("image/") and not mime.endswith(("+xml", "+json")):
        try:
            return len(binascii.a2b_base64("".join(text.split())))
        except (binascii.Error, ValueError):
            pass
    return len(text.encode("utf-8"))


def _clean(text: str) -> str:
    return _ANSI.sub("", text)


def _text_lines(text: str) -> list[str]:
    """Output text as lines: ANSI codes stripped, each line as a terminal would leave it after
    carriage returns (the last segment written), one trailing newline dropped."""
    if not text:
        return []
    lines = []
    for line in _clean(text).removesuffix("\n").split("\n"):
        segments = [part for part in line.split("\r") if part]
        lines.append(segments[-1] if segments else "")
    return lines


def _cut_line(line: str) -> str:
    if len(line) <= MAX_LINE_CHARS:
        return line
    return line[:MAX_LINE_CHARS] + f" [... line cut: {len(line)} characters in full]"


def _capped(lines: list[str], starts: dict[int, int], count: int) -> str:
    """``lines`` up to the character cap, with a note when some were left out. ``starts``
    maps a line's position to the cell it opens, so a cut can fall between cells."""
    kept: list[str] = []
    used = 0
    for position, line in enumerate(lines):
        line = _cut_line(line)
        if kept and used + len(line) + 1 > MAX_OUTPUT_CHARS:
            return "\n".join(_trimmed(kept, lines, position, starts, count))
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def _trimmed(
    kept: list[str], lines: list[str], position: int, starts: dict[int, int], count: int
) -> list[str]:
    boundaries = [at for at in starts if at <= position]
    last_start = max(boundaries, default=None)
    limit = f"over the {MAX_OUTPUT_CHARS}-character limit"
    if last_start is not None and starts[last_start] > 0:
        shown = starts[last_start]
        next_id = _opening_id(lines[last_start])
        return [
            *kept[:last_start],
            "",
            f"(Showing the first {shown} of {count} cells; the rest is {limit}. See the next "
            f'cell with NotebookRead cell_id="{next_id}"; any cell can be read by its id.)',
        ]
    return [
        *kept,
        "",
        f"(This cell is cut here: it is {limit}. Read with offset and limit shows the "
        "notebook's raw JSON, to see the rest.)",
    ]


def _opening_id(line: str) -> str:
    match = re.match(r'<cell id="([^"]*)"', line)
    return match.group(1) if match else ""

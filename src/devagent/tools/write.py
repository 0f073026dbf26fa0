"""The Write tool: create a file, or replace the whole content of one the model has read.

A new file is written as UTF-8 exactly as given. Replacing an existing file keeps what
belongs to the file rather than to its content: encoding and BOM, mode, owner, symlinks and
hard links. Line endings: when the existing file's dominant ending is CRLF (or CR) and the
new content contains no CR at all, its LF endings are converted to the file's ending, since
models write LF; content that carries its own CRs is written as given.
"""

from __future__ import annotations

from typing import Any, ClassVar

from devagent.toolkinds import ToolKind
from devagent.tools.base import Args, PreparedCall, Tool, ToolContext, ToolError
from devagent.tools.edit import load_for_change, prepared_write
from devagent.tools.fileio import MAX_TEXT_BYTES, TextFile, encode_new_file, encode_text
from devagent.tools.paths import display_path, resolve_in_workspace


def _content_for(original: TextFile, content: str) -> str:
    if original.bom and content.startswith("\ufeff"):
        content = content[1:]  # The BOM is written from the original; never twice.
    if original.newline != "\n" and "\r" not in content:
        content = content.replace("\n", original.newline)
    return content


def _line_count(content: str) -> int:
    return len(content.splitlines())


class WriteTool(Tool):
    name: ClassVar[str] = "Write"
    description: ClassVar[str] = (
        "Write a file: create it (missing parent directories are created) or replace its "
        "whole content. Replacing an existing file requires that you Read it first in this "
        "session, and is refused if it changed since. Prefer Edit or MultiEdit for changing "
        "part of an existing file. The existing file's encoding, BOM, CRLF line endings and "
        "mode are kept. Content is limited to 10 MB."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "file_path": {
                "type": "string",
                "description": "Path of the file to write (absolute, or relative to the "
                "workspace root).",
            },
            "content": {"type": "string", "description": "The complete new content."},
        },
        "required": ["file_path", "content"],
        "additionalProperties": False,
    }
    kind: ClassVar[ToolKind] = "edit"

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        content = args["content"]
        if not isinstance(content, str):
            raise ToolError("content must be a string.")
        if len(content) > MAX_TEXT_BYTES:
            raise ToolError(
                f"content is {len(content)} characters, over the {MAX_TEXT_BYTES}-byte limit "
                "for Write. Write smaller files, or generate large ones with a script."
            )
        path = resolve_in_workspace(str(args["file_path"]), ctx.workspace)
        shown = display_path(path, ctx.workspace)
        original = load_for_change(path, ctx)
        if original is None:
            after = encode_new_file(path, content)
            summary = f"Created {shown} ({_line_count(content)} lines)."
        else:
            text = _content_for(original, content)
            after = encode_text(original, text)
            same = " (content unchanged)" if after == original.raw else ""
            summary = f"Replaced the content of {shown} ({_line_count(text)} lines){same}."
        return prepared_write(ctx, path, original, after, summary)

"""The Edit and MultiEdit tools: exact string replacement in a file the model has read.

Both compute the complete new bytes in ``prepare`` (nothing is written there), so the
approval diff shows exactly what will land. ``execute`` writes through ``atomic_write`` with
the bytes seen at ``prepare`` time as the expected content, so a change made while the
approval prompt was open aborts the write. MultiEdit applies its edits in order to an
in-memory copy: if any edit fails, nothing is written.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from devagent.toolkinds import ToolKind
from devagent.tools.base import (
    Args,
    FileChange,
    PreparedCall,
    Tool,
    ToolContext,
    ToolError,
    ToolResult,
)
from devagent.tools.fileio import (
    MAX_TEXT_BYTES,
    TextFile,
    atomic_write,
    check_writable,
    encode_new_file,
    encode_text,
    read_text_file,
    sha256_hex,
)
from devagent.tools.matching import Applied, EditSpec, MatchError, apply_edit, snippet
from devagent.tools.paths import display_path, resolve_in_workspace

_FILE_PATH: dict[str, Any] = {
    "type": "string",
    "description": "Path of the file to change (absolute, or relative to the workspace root).",
}
_OLD: dict[str, Any] = {
    "type": "string",
    "description": "The exact text to replace, copied from the file (without Read's "
    "line-number prefixes). Empty only to create a new file.",
}
_NEW: dict[str, Any] = {
    "type": "string",
    "description": "The text to put in its place (must differ from old_string).",
}
_REPLACE_ALL: dict[str, Any] = {
    "type": "boolean",
    "default": False,
    "description": "Replace every occurrence instead of requiring exactly one.",
}


@dataclass(frozen=True)
class _Plan:
    path: Path
    original: TextFile | None
    text: str
    summary: str


def load_for_change(path: Path, ctx: ToolContext) -> TextFile | None:
    """The current file (None if absent), refusing unread or changed-since-read files."""
    if not os.path.lexists(path):
        return None
    shown = display_path(path, ctx.workspace)
    original = read_text_file(path)
    seen = ctx.ledger.get(path)
    if seen is None:
        raise ToolError(
            f"{shown} has not been read in this session. Read it first (Read with "
            f"file_path={shown!r}), then retry the change."
        )
    if seen.sha256 != sha256_hex(original.raw):
        raise ToolError(
            f"{shown} changed since you read it (edited by the user or another program). "
            "Read it again, then redo the change against its current content."
        )
    check_writable(path, os.stat(path))
    return original


def prepared_write(
    ctx: ToolContext,
    path: Path,
    original: TextFile | None,
    after: bytes,
    summary: str,
    view: tuple[str, str] | None = None,
) -> PreparedCall:
    """A PreparedCall writing ``after`` only if the file still holds what was planned on
    (``view``: the readable before/after the approval diff shows, see ``FileChange``)."""
    before = original.raw if original is not None else None
    if len(after) > MAX_TEXT_BYTES:
        raise ToolError(
            f"The result would be {len(after)} bytes, over the {MAX_TEXT_BYTES}-byte limit. "
            "Nothing was written."
        )

    def execute() -> ToolResult:
        atomic_write(path, after, workspace=ctx.workspace, expected=before)
        ctx.ledger.record(path, after)
        return ToolResult(summary)

    change = FileChange(path, before, after, view=view)
    return PreparedCall(execute=execute, paths=(path,), changes=(change,))


def _apply_all(text: str, edits: Sequence[EditSpec], newline: str) -> list[Applied]:
    results: list[Applied] = []
    for number, spec in enumerate(edits, start=1):
        try:
            results.append(apply_edit(text, spec, newline))
        except MatchError as exc:
            if len(edits) == 1:
                raise
            raise ToolError(
                f"Edit {number} of {len(edits)} failed: {exc}\n"
                "No edit was applied; the file is unchanged. Fix that edit and send all "
                "of them again."
            ) from exc
        text = results[-1].text
    return results


def _summary(shown: str, created: bool, results: Sequence[Applied]) -> str:
    final = results[-1]
    if created and len(results) == 1:
        return f"Created {shown}."
    if len(results) == 1:
        count = "1 occurrence" if final.count == 1 else f"{final.count} occurrences"
        context = snippet(final.text, final.first_offset, final.first_length)
        return f"Edited {shown}: replaced {count}. The changed region now reads:\n{context}"
    total = sum(r.count for r in results)
    verb = "Created" if created else "Edited"
    return f"{verb} {shown}: applied {len(results)} edits ({total} replacements)."


def plan_edits(raw_path: str, edits: Sequence[EditSpec], ctx: ToolContext) -> PreparedCall:
    """Validate ``edits`` against the file and return the call that writes the result."""
    path = resolve_in_workspace(raw_path, ctx.workspace)
    shown = display_path(path, ctx.workspace)
    original = load_for_change(path, ctx)
    if original is None and edits[0].old_string != "":
        raise ToolError(
            f"{shown} does not exist. To create it, use Write (or Edit with an empty "
            "old_string); otherwise check the path with Glob or LS."
        )
    text = original.text if original is not None else ""
    newline = original.newline if original is not None else "\n"
    results = _apply_all(text, edits, newline)
    new_text = results[-1].text
    if original is None:
        return prepared_write(
            ctx, path, None, encode_new_file(path, new_text), _summary(shown, True, results)
        )
    after = encode_text(original, new_text)
    if after == original.raw:
        raise ToolError(
            f"This edit would leave {shown} byte-for-byte unchanged (the match differed "
            "only in quote style). Nothing to do."
        )
    return prepared_write(ctx, path, original, after, _summary(shown, False, results))


class EditTool(Tool):
    name: ClassVar[str] = "Edit"
    description: ClassVar[str] = (
        "Replace an exact string in a file. You must Read the file first in this session; "
        "the edit is refused if the file changed since that Read. old_string must match "
        "exactly one place (include enough surrounding lines to make it unique) unless "
        "replace_all is true. Copy old_string from the Read output without the line-number "
        "prefix; indentation and whitespace must match. Line endings, encoding, BOM and "
        "file mode are kept. An empty old_string creates a new file. For several changes "
        "to one file use MultiEdit; to rewrite a whole file use Write."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "file_path": _FILE_PATH,
            "old_string": _OLD,
            "new_string": _NEW,
            "replace_all": _REPLACE_ALL,
        },
        "required": ["file_path", "old_string", "new_string"],
        "additionalProperties": False,
    }
    kind: ClassVar[ToolKind] = "edit"

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        spec = EditSpec(
            str(args["old_string"]), str(args["new_string"]), bool(args.get("replace_all"))
        )
        return plan_edits(str(args["file_path"]), [spec], ctx)


class MultiEditTool(Tool):
    name: ClassVar[str] = "MultiEdit"
    description: ClassVar[str] = (
        "Make several exact string replacements in one file, in order, all or nothing: "
        "each edit works on the result of the previous one, and if any edit fails the file "
        "is left unchanged. Same rules as Edit for each edit (Read the file first; "
        "old_string must match exactly one place unless replace_all is true). Prefer it "
        "over several Edit calls on the same file. To create a file, give the first edit "
        "an empty old_string."
    )
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "file_path": _FILE_PATH,
            "edits": {
                "type": "array",
                "minItems": 1,
                "description": "The replacements, applied in order.",
                "items": {
                    "type": "object",
                    "properties": {
                        "old_string": _OLD,
                        "new_string": _NEW,
                        "replace_all": _REPLACE_ALL,
                    },
                    "required": ["old_string", "new_string"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["file_path", "edits"],
        "additionalProperties": False,
    }
    kind: ClassVar[ToolKind] = "edit"

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        raw_edits = args["edits"]
        if not isinstance(raw_edits, list) or not raw_edits:
            raise ToolError("edits must be a non-empty list of {old_string, new_string}.")
        specs = [_spec(i, item) for i, item in enumerate(raw_edits, start=1)]
        return plan_edits(str(args["file_path"]), specs, ctx)


def _spec(number: int, item: object) -> EditSpec:
    if not isinstance(item, dict) or not all(
        isinstance(item.get(k), str) for k in ("old_string", "new_string")
    ):
        raise ToolError(f"Edit {number} must be an object with string old_string and new_string.")
    return EditSpec(item["old_string"], item["new_string"], bool(item.get("replace_all")))

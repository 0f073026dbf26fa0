"""Where a notebook's parts lie in its text, and the JSON style the file was written in.

``scan`` walks the top object, its ``"cells"`` array and each cell object, recording the
character span of every member (the stdlib decoder measures each value), so a writer can
replace one value or one cell and leave every other character as it was. ``detect_style``
reads how the file was written: the indent unit (Jupyter and nbformat write one space, other
editors two or a tab; ``None`` for a file on one line), the separators, whether non-ASCII
text is escaped, the newline, and whether object keys are sorted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Final

from devagent.notebooks.model import NotebookError

_WHITESPACE: Final = " \t\n\r"
_DECODER: Final = json.JSONDecoder()
_UNICODE_ESCAPE: Final = re.compile(r"(\\+)u([0-9a-fA-F]{4})")


@dataclass(frozen=True)
class Member:
    """One ``"key": value`` of an object: where the key starts and ends, and the value's span."""

    key: str
    key_start: int
    key_end: int
    value_start: int
    value_end: int


@dataclass(frozen=True)
class ObjectSpan:
    start: int
    end: int
    members: tuple[Member, ...]

    def member(self, key: str) -> Member | None:
        return next((m for m in self.members if m.key == key), None)


@dataclass(frozen=True)
class Layout:
    """The spans of the top object, its ``"cells"`` member and each cell object."""

    top: ObjectSpan
    cells_member: Member
    cells: tuple[ObjectSpan, ...]


@dataclass(frozen=True)
class Style:
    """How the file's JSON was written. ``indent`` is None for a file on one line."""

    indent: str | None
    key_separator: str
    item_separator: str
    ensure_ascii: bool
    newline: str
    sort_keys: bool


def scan(text: str, name: str) -> Layout:
    """The layout of ``text``; ``NotebookError`` when it is not one JSON notebook object."""
    start = _skip(text, 0)
    top = _object(text, start, name)
    if _skip(text, top.end) != len(text):
        raise NotebookError(f"{name} has text after its JSON object; fix the file first.")
    _no_duplicates(top, name, "the notebook")
    cells_member = top.member("cells")
    if cells_member is None or text[cells_member.value_start] != "[":
        raise NotebookError(f'{name} has no "cells" list.')
    cells = tuple(
        _object(text, item_start, name) for item_start in _array_items(text, cells_member, name)
    )
    for index, cell in enumerate(cells):
        _no_duplicates(cell, name, f"cell {index}")
    return Layout(top, cells_member, cells)


def detect_style(text: str, layout: Layout) -> Style:
    """The style of the file ``layout`` describes (defaults follow nbformat's writer)."""
    members = layout.top.members
    first = members[0] if members else None
    indent = _indent_before(text, first.key_start) if first is not None else " "
    key_separator = text[first.key_end : first.value_start] if first is not None else ": "
    if "\n" in key_separator or key_separator.strip() != ":":
        key_separator = ": "
    item_separator = ","
    if indent is None and len(members) > 1:
        gap = text[members[0].value_end : members[1].key_start]
        item_separator = gap if gap.strip() == "," and "\n" not in gap else ", "
    objects = layout.cells or (layout.top,)
    return Style(
        indent=indent,
        key_separator=key_separator,
        item_separator=item_separator,
        ensure_ascii=_escapes_non_ascii(text),
        newline="\r\n" if "\r\n" in text else "\n",
        sort_keys=all(_sorted(span) for span in objects),
    )


def line_indent(text: str, position: int) -> str:
    """The whitespace from the start of ``position``'s line up to it ("" if there is text)."""
    line_start = text.rfind("\n", 0, position) + 1
    prefix = text[line_start:position]
    return prefix if prefix.strip(_WHITESPACE) == "" else ""


def _indent_before(text: str, position: int) -> str | None:
    """The indent unit: what precedes the top object's first key on its line, or None when
    that key shares a line with the opening brace (a file written without indentation)."""
    opening = text.rfind("{", 0, position)
    between = text[opening + 1 : position]
    if "\n" not in between:
        return None
    return between[between.rfind("\n") + 1 :].replace("\r", "")


def _escapes_non_ascii(text: str) -> bool:
    if any(ord(char) > 0x7F for char in text):
        return False
    for match in _UNICODE_ESCAPE.finditer(text):
        if len(match.group(1)) % 2 == 1 and int(match.group(2), 16) > 0x7F:
            return True
    return False


def _sorted(span: ObjectSpan) -> bool:
    keys = [member.key for member in span.members]
    return keys == sorted(keys)


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in _WHITESPACE:
        position += 1
    return position


def _char(text: str, position: int) -> str:
    return text[position] if position < len(text) else ""


def _value_end(text: str, position: int, name: str) -> int:
    try:
        _, end = _DECODER.raw_decode(text, position)
    except json.JSONDecodeError as exc:
        raise NotebookError(
            f"{name} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})."
        ) from exc
    return end


def _object(text: str, start: int, name: str) -> ObjectSpan:
    if _char(text, start) != "{":
        raise NotebookError(f"{name}: expected a JSON object at character {start}.")
    position = _skip(text, start + 1)
    members: list[Member] = []
    if _char(text, position) == "}":
        return ObjectSpan(start, position + 1, ())
    while True:
        if _char(text, position) != '"':
            raise NotebookError(f"{name}: expected a key at character {position}.")
        key, key_end = _DECODER.raw_decode(text, position)
        colon = _skip(text, key_end)
        if _char(text, colon) != ":":
            raise NotebookError(f"{name}: expected ':' at character {colon}.")
        value_start = _skip(text, colon + 1)
        value_end = _value_end(text, value_start, name)
        members.append(Member(str(key), position, key_end, value_start, value_end))
        position = _skip(text, value_end)
        if _char(text, position) == "}":
            return ObjectSpan(start, position + 1, tuple(members))
        if _char(text, position) != ",":
            raise NotebookError(f"{name}: expected ',' or '}}' at character {position}.")
        position = _skip(text, position + 1)


def _array_items(text: str, member: Member, name: str) -> list[int]:
    """Where each item of the array ``member`` holds starts."""
    position = _skip(text, member.value_start + 1)
    starts: list[int] = []
    if _char(text, position) == "]":
        return starts
    while True:
        starts.append(position)
        position = _skip(text, _value_end(text, position, name))
        if _char(text, position) == "]":
            return starts
        if _char(text, position) != ",":
            raise NotebookError(f"{name}: expected ',' or ']' at character {position}.")
        position = _skip(text, position + 1)


def _no_duplicates(span: ObjectSpan, name: str, where: str) -> None:
    seen: set[str] = set()
    for member in span.members:
        if member.key in seen:
            raise NotebookError(
                f'{name}: {where} has the key "{member.key}" twice, so which one counts is '
                "unclear; fix the file before editing it as a notebook."
            )
        seen.add(member.key)

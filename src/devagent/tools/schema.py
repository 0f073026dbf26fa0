"""A small JSON-schema checker for tool inputs: required fields, types, enums, arrays.

It covers the subset tool schemas use. A missing required field is an error; no default
is ever substituted for it.
"""

from __future__ import annotations

from typing import Any

from devagent.tools.base import ToolError

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def _type_ok(value: Any, expected: str) -> bool:
    if expected in ("integer", "number") and isinstance(value, bool):
        return False
    if expected == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES.get(expected, (object,)))


def _check(value: Any, schema: dict[str, Any], where: str, problems: list[str]) -> None:
    expected = schema.get("type")
    if isinstance(expected, str) and not _type_ok(value, expected):
        problems.append(f"{where} must be {expected}, got {type(value).__name__}")
        return
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where} must be one of {schema['enum']}, got {value!r}")
    if expected == "object" and isinstance(value, dict):
        _check_object(value, schema, where, problems)
    if expected == "array" and isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _check(item, schema["items"], f"{where}[{i}]", problems)


def _check_object(
    value: dict[str, Any], schema: dict[str, Any], where: str, problems: list[str]
) -> None:
    props: dict[str, Any] = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            problems.append(f"{where}.{name} is required" if where else f"{name} is required")
    for name, sub in props.items():
        if name in value and value[name] is not None:
            _check(value[name], sub, f"{where}.{name}" if where else name, problems)


def validate_input(tool_name: str, value: Any, schema: dict[str, Any]) -> dict[str, Any]:
    """Return ``value`` if it fits ``schema``; raise ``ToolError`` naming every problem."""
    if not isinstance(value, dict):
        raise ToolError(f"{tool_name} input must be a JSON object, got {type(value).__name__}.")
    problems: list[str] = []
    _check_object(value, schema, "", problems)
    if problems:
        raise ToolError(
            f"Invalid input for {tool_name}: " + "; ".join(problems) + ". Fix the input and retry."
        )
    return value

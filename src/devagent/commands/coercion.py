"""Typer's option coercion without pydantic where pydantic has nothing to do.

Typer (0.2x and later) coerces every non-flag option through a pydantic ``TypeAdapter``, built the
first time the option is processed, even when the option was not given (value ``None``) or is a
plain ``str`` that arrived as a ``str``. Importing pydantic and building those adapters costs
~0.1 s on every `devagent -p` run. :func:`install` gives each typer parameter a coercion that
answers those two cases itself, exactly as typer would (``None``, ``()`` for a multi-value
option, the string unchanged), and hands every other value to typer's own coercion, built then.
On a typer without lazy runtime coercion (older releases, click's types) it changes nothing.
"""

from __future__ import annotations

from typing import Any

import typer.core


class _ShortCircuit:
    """Stands in for typer's runtime coercion of one parameter until a value needs it."""

    def __init__(self, descriptor: Any, build: Any) -> None:
        self._descriptor = descriptor
        self._build = build
        self._real: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:
            return () if param.multiple or param.nargs == -1 else None
        if isinstance(value, str) and _plain_str(self._descriptor):
            return value
        if self._real is None:
            self._real = self._build(self._descriptor)
        return self._real.coerce(value, param=param, ctx=ctx)


def _plain_str(descriptor: Any) -> bool:
    """``str`` or ``str | None`` with no parser, click type, choices, path or file routing."""
    info = descriptor.parameter_info
    annotation = descriptor.annotation
    if annotation is not str and annotation != (str | None):
        return False
    custom = getattr(info, "parser", None) or getattr(info, "click_type", None)
    return not (custom or descriptor.is_path or descriptor.is_file or descriptor.is_choice)


def install() -> None:
    """Route typer's parameters through :class:`_ShortCircuit` (idempotent)."""
    param_class: Any = getattr(typer.core, "_TyperParameter", None)
    build = getattr(typer.core, "build_runtime_param", None)
    if param_class is None or build is None or not hasattr(param_class, "get_runtime_param"):
        return
    if getattr(param_class.get_runtime_param, "_devagent_short_circuit", False):
        return

    def get_runtime_param(self: Any) -> Any:
        if getattr(self, "_runtime_param", None) is None:
            self._runtime_param = _ShortCircuit(self.type_descriptor, build)
        return self._runtime_param

    get_runtime_param._devagent_short_circuit = True  # type: ignore[attr-defined]
    param_class.get_runtime_param = get_runtime_param

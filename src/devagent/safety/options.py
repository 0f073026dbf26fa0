"""GNU-style option parsing as the judged programs themselves do it.

A check that looks for ``--in-place`` misses ``--in``, ``--in-pl`` and ``-ni``; one that looks
for ``-I`` misses ``-I'cmd'`` and ``-xvIcmd``. ``parse`` reads an argument list the way
``getopt_long`` does, given the program's option table:

- long options match by unique prefix (``--exp`` is ``--expression``); an exact name wins
  over longer ones; a prefix shared by several options is *ambiguous* — the program refuses
  it, but every candidate is reported so a caller can fail closed;
- a long option's value is ``--opt=value`` or the next argument (required values only;
  optional values must be attached with ``=``);
- short options cluster (``-ne``), and a short option that takes a value takes the rest of
  its cluster (``-e's/x/y/'``) or else the next argument; optional values only attach;
- ``--`` ends options; with ``permute`` (GNU's default) options may follow operands,
  otherwise the first operand ends them (``env``, ``sudo``, ``timeout``);
- an unknown option is reported as such, taking no value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Arity = Literal["none", "required", "optional"]


@dataclass(frozen=True)
class OptionSpec:
    """A program's option table.

    ``short`` maps a letter to its arity; ``long`` maps a long name (without dashes) to
    its arity. ``abbreviate`` is False for parsers that need exact long names (git's
    global options).
    """

    short: Mapping[str, Arity] = field(default_factory=dict)
    long: Mapping[str, Arity] = field(default_factory=dict)
    permute: bool = True
    abbreviate: bool = True


@dataclass(frozen=True)
class Option:
    """One option as read: its canonical name (``-x`` or ``--long``), its value, and how it was
    written. ``candidates`` holds every name an ambiguous abbreviation could mean."""

    name: str
    value: str | None
    written: str
    candidates: tuple[str, ...] = ()
    unknown: bool = False

    def is_(self, *names: str) -> bool:
        """Whether this option is (or, when ambiguous, may be) one of ``names``."""
        return self.name in names or any(c in names for c in self.candidates)


@dataclass(frozen=True)
class Parsed:
    options: tuple[Option, ...]
    operands: tuple[str, ...]
    rest_index: int | None = None
    """Index into the input where operands start when ``permute`` is False."""

    def has(self, *names: str) -> bool:
        return any(o.is_(*names) for o in self.options)

    def values(self, *names: str) -> list[str]:
        return [o.value for o in self.options if o.is_(*names) and o.value is not None]


def long_table(text: str) -> dict[str, Arity]:
    """``"name= other? flag"``: ``=`` marks a required value, ``?`` an optional one."""
    table: dict[str, Arity] = {}
    for item in text.split():
        if item.endswith("="):
            table[item[:-1]] = "required"
        elif item.endswith("?"):
            table[item[:-1]] = "optional"
        else:
            table[item] = "none"
    return table


def short_table(flags: str, required: str = "", optional: str = "") -> dict[str, Arity]:
    """Short option letters: plain flags, then letters with required and optional values."""
    table: dict[str, Arity] = dict.fromkeys(flags, "none")
    table.update(dict.fromkeys(required, "required"))
    table.update(dict.fromkeys(optional, "optional"))
    return table


def parse(args: Sequence[str], spec: OptionSpec) -> Parsed:
    """Read ``args`` (without the program name) as the program would."""
    options: list[Option] = []
    operands: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else None
        if arg == "--":
            operands.extend(args[i + 1 :])
            return Parsed(tuple(options), tuple(operands), i + 1 if not spec.permute else None)
        if arg.startswith("--"):
            opt, used = _long(arg, nxt, spec)
            options.append(opt)
            i += 1 + used
        elif arg.startswith("-") and arg != "-":
            found, used = _cluster(arg, nxt, spec)
            options.extend(found)
            i += 1 + used
        elif spec.permute:
            operands.append(arg)
            i += 1
        else:
            return Parsed(tuple(options), tuple(args[i:]), i)
    return Parsed(tuple(options), tuple(operands), len(args) if not spec.permute else None)


def resolve_long(name: str, spec: OptionSpec) -> tuple[str, ...]:
    """The long names ``name`` may mean: itself when exact, else every name it prefixes."""
    if name in spec.long:
        return (name,)
    if not spec.abbreviate:
        return ()
    return tuple(sorted(n for n in spec.long if n.startswith(name)))


def _long(arg: str, nxt: str | None, spec: OptionSpec) -> tuple[Option, int]:
    body, eq, attached = arg[2:].partition("=")
    matches = resolve_long(body, spec)
    if not matches:
        return Option(arg.split("=", 1)[0], attached if eq else None, arg, unknown=True), 0
    if len(matches) > 1:
        names = tuple(f"--{m}" for m in matches)
        return Option(names[0], attached if eq else None, arg, candidates=names), 0
    name = matches[0]
    arity = spec.long[name]
    if eq:
        return Option(f"--{name}", attached, arg), 0
    if arity == "required" and nxt is not None:
        return Option(f"--{name}", nxt, arg), 1
    return Option(f"--{name}", None, arg), 0


def _cluster(arg: str, nxt: str | None, spec: OptionSpec) -> tuple[list[Option], int]:
    found: list[Option] = []
    for j in range(1, len(arg)):
        letter = arg[j]
        arity = spec.short.get(letter)
        if arity is None:
            found.append(Option(f"-{letter}", None, arg, unknown=True))
            continue
        if arity == "none":
            found.append(Option(f"-{letter}", None, arg))
            continue
        rest = arg[j + 1 :]
        if rest:
            found.append(Option(f"-{letter}", rest, arg))
            return found, 0
        if arity == "required" and nxt is not None:
            found.append(Option(f"-{letter}", nxt, arg))
            return found, 1
        found.append(Option(f"-{letter}", None, arg))
        return found, 0
    return found, 0

"""Reading an awk program as awk's lexer does, to find what runs commands or writes files.

Substring checks miss ``system (`` with a space, ``print > var`` and gawk's indirect calls
(``f = "system"; @f("id")``). This reader tokenises the program — strings, regular
expressions told apart from division by the token before them, comments, line
continuations — and reports:

- a call of ``system``, any ``|`` pipe (``print | "cmd"``, ``"cmd" | getline``, ``|&``);
- an output redirection (``>`` or ``>>`` at the top level of a ``print``/``printf``
  statement) to anything but ``"/dev/stdout"`` or ``"/dev/stderr"``;
- a gawk ``@`` directive or indirect call (``@load``, ``@include``, ``@f()``), and gawk's
  ``/inet/`` network files.

A ``>`` inside parentheses or outside ``print`` is a comparison and is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

TokenKind = Literal["name", "number", "string", "regex", "op", "newline"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_OPERATORS = ("|&", "||", "&&", ">>", ">=", "<=", "==", "!=", "!~", "++", "--", "+=", "-=")
_OPERATORS_2 = ("*=", "/=", "%=", "^=", "**")
_KEYWORDS = frozenset(
    {"print", "printf", "return", "in", "case", "do", "else", "getline", "delete", "exit"}
)
_STD_TARGETS = frozenset({'"/dev/stdout"', '"/dev/stderr"'})


class AwkProgramError(ValueError):
    """The program cannot be tokenised (an unterminated string or regular expression)."""


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str


def awk_program_danger(program: str) -> str | None:
    """Why ``program`` runs commands, writes files or reaches the network, or None."""
    try:
        return _scan(list(tokens(program)))
    except AwkProgramError as exc:
        return f"the awk program cannot be checked ({exc})"


def tokens(program: str) -> Iterator[Token]:
    """The program's tokens; whitespace, comments and line continuations dropped."""
    pos, prev = 0, None
    while pos < len(program):
        ch = program[pos]
        if ch in " \t\r" or program.startswith("\\\n", pos):
            pos += 1 if ch != "\\" else 2
            continue
        if ch == "#":
            end = program.find("\n", pos)
            pos = len(program) if end < 0 else end
            continue
        token, pos = _token(program, pos, prev)
        prev = token
        yield token


def _token(program: str, pos: int, prev: Token | None) -> tuple[Token, int]:
    ch = program[pos]
    if ch == "\n":
        return Token("newline", ch), pos + 1
    if ch == '"':
        end = _closing(program, pos, '"')
        return Token("string", program[pos : end + 1]), end + 1
    if ch == "/" and _regex_allowed(prev):
        end = _closing(program, pos, "/")
        return Token("regex", program[pos : end + 1]), end + 1
    for pattern, kind in ((_NAME, "name"), (_NUMBER, "number")):
        match = pattern.match(program, pos)
        if match:
            return Token(kind, match.group(0)), match.end()  # type: ignore[arg-type]
    for op in (*_OPERATORS, *_OPERATORS_2):
        if program.startswith(op, pos):
            return Token("op", op), pos + len(op)
    return Token("op", ch), pos + 1


def _closing(program: str, start: int, quote: str) -> int:
    pos = start + 1
    in_bracket = False
    while pos < len(program):
        ch = program[pos]
        if ch == "\\":
            pos += 2
            continue
        if ch == "\n":
            break
        if quote == "/" and ch == "[":
            in_bracket = True
        elif quote == "/" and ch == "]":
            in_bracket = False
        elif ch == quote and not in_bracket:
            return pos
        pos += 1
    what = "string" if quote == '"' else "regular expression"
    raise AwkProgramError(f"an unterminated {what}")


def _regex_allowed(prev: Token | None) -> bool:
    """A ``/`` after an operand is division; anywhere else it starts a regular expression."""
    if prev is None or prev.kind in ("newline", "regex"):
        return True
    if prev.kind in ("number", "string"):
        return False
    if prev.kind == "name":
        return prev.text in _KEYWORDS
    return prev.text not in (")", "]", "$", "++", "--")


@dataclass
class _Statement:
    """Where a ``print``/``printf`` statement started, in parenthesis depth."""

    depth: int


def _scan(toks: list[Token]) -> str | None:
    depth = 0
    printing: _Statement | None = None
    for i, tok in enumerate(toks):
        found = _token_danger(tok, toks[i + 1] if i + 1 < len(toks) else None)
        if found is not None:
            return found
        if tok.kind == "name" and tok.text in ("print", "printf"):
            printing = _Statement(depth)
        elif tok.text in ("(", "["):
            depth += 1
        elif tok.text in (")", "]"):
            depth = max(0, depth - 1)
        elif tok.kind == "newline" or tok.text in (";", "{", "}"):
            printing = None
        elif _redirects(printing, depth, tok) and not _standard_target(toks[i + 1 : i + 3]):
            return "the awk program writes to a file (print >)"
    return None


def _redirects(printing: _Statement | None, depth: int, tok: Token) -> bool:
    return printing is not None and depth <= printing.depth and tok.text in (">", ">>")


def _standard_target(following: list[Token]) -> bool:
    """``> "/dev/stderr"`` ending the statement; ``> "/dev/stderr" x`` names another file."""
    if not following or following[0].text not in _STD_TARGETS:
        return False
    return len(following) == 1 or following[1].kind == "newline" or following[1].text in ";}"


def _token_danger(tok: Token, following: Token | None) -> str | None:
    if tok.kind == "name" and tok.text == "system":
        return "the awk program runs commands (system)"
    if tok.kind == "op" and tok.text in ("|", "|&"):
        return "the awk program runs commands (a | pipe)"
    if (
        tok.kind == "op"
        and tok.text == "@"
        and (following is None or following.text != "namespace")
    ):
        return "the awk program loads code or calls a function indirectly (@)"
    if tok.kind == "string" and tok.text.startswith('"/inet'):
        return "the awk program opens a network connection (/inet)"
    return None

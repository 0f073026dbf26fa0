"""Reading a sed script as GNU sed does, to find what runs commands or touches files.

A regular expression over the script text misses ``\\%x%e`` style addresses with a custom
delimiter, commands after ``}`` or ``;``, and ``s`` flags after an escaped delimiter. This
reader walks the script command by command (addresses, ``!``, blocks, labels, text
arguments of ``a``/``i``/``c``, ``s`` and ``y`` with any delimiter) and reports the first
command that executes (``e``, ``s///e``), writes (``w``, ``W``, ``s///w``) or reads a named
file (``r``, ``R``). Anything it cannot read is reported too: failing closed is the point.
"""

from __future__ import annotations

from dataclasses import dataclass

# GNU sed's own names for its standard streams: writing there touches no file.
_STD_FILES = frozenset({"/dev/stdout", "/dev/stderr"})
_PLAIN = frozenset("=dDgGhHnNpPxzF")
_NUMBER_ARG = frozenset("lLqQ")
_LABEL_ARG = frozenset("btTv")
_TEXT_ARG = frozenset("aic")
_FILE_ARG = {"r": "reads", "R": "reads", "w": "writes", "W": "writes"}


class SedScriptError(ValueError):
    """The script is not one GNU sed would accept as read here."""


@dataclass
class _Cursor:
    text: str
    pos: int = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        ch = self.peek()
        self.pos += 1
        return ch

    def skip(self, chars: str) -> None:
        while self.peek() and self.peek() in chars:
            self.pos += 1

    def rest_of_line(self) -> str:
        end = self.text.find("\n", self.pos)
        end = len(self.text) if end < 0 else end
        line, self.pos = self.text[self.pos : end], end
        return line

    def digits(self) -> None:
        while self.peek().isdigit():
            self.pos += 1

    def until(self, stops: str) -> str:
        start = self.pos
        while self.peek() and self.peek() not in stops:
            self.pos += 1
        return self.text[start : self.pos]

    def delimited(self, delim: str) -> str:
        """Text up to the next unescaped ``delim`` (consumed); escapes kept as written."""
        start = self.pos
        while True:
            ch = self.take()
            if ch == "":
                raise SedScriptError(f"unterminated text delimited by {delim!r}")
            if ch == "\\":
                self.take()
            elif ch == delim:
                return self.text[start : self.pos - 1]


def sed_script_danger(script: str) -> str | None:
    """Why ``script`` runs commands or touches files, or None when it does neither."""
    try:
        return _Reader(_Cursor(script)).read()
    except SedScriptError as exc:
        return f"the sed script cannot be checked ({exc})"


@dataclass
class _Reader:
    cur: _Cursor

    def read(self) -> str | None:
        while True:
            self.cur.skip(" \t\n;")
            if not self.cur.peek():
                return None
            if self.cur.peek() == "#":
                self.cur.rest_of_line()
                continue
            self._address_range()
            self.cur.skip(" \t")
            while self.cur.peek() == "!":
                self.cur.take()
                self.cur.skip(" \t")
            found = self._command(self.cur.take())
            if found is not None:
                return found

    def _address_range(self) -> None:
        if not self._address():
            return
        self.cur.skip(" \t")
        if self.cur.peek() == ",":
            self.cur.take()
            self.cur.skip(" \t")
            if self.cur.peek() in ("+", "~"):
                self.cur.take()
            if not self._address():
                raise SedScriptError("a range without a second address")

    def _address(self) -> bool:
        ch = self.cur.peek()
        if ch.isdigit():
            self.cur.digits()
            if self.cur.peek() == "~":
                self.cur.take()
                self.cur.digits()
            return True
        if ch == "$":
            self.cur.take()
            return True
        if ch in ("/", "\\"):
            self.cur.take()
            delim = "/" if ch == "/" else self.cur.take()
            if not delim or delim in "\n\\":
                raise SedScriptError("a bad address delimiter")
            self.cur.delimited(delim)
            while self.cur.peek() in ("I", "M"):
                self.cur.take()
            return True
        return False

    def _command(self, cmd: str) -> str | None:
        if cmd in _PLAIN or cmd in "{}":
            return None
        if cmd in _NUMBER_ARG:
            self.cur.skip(" \t")
            self.cur.digits()
            return None
        if cmd in _LABEL_ARG or cmd == ":":
            # GNU sed ends a label at whitespace or `;`; what follows is the next command.
            self.cur.skip(" \t")
            self.cur.until(" \t;\n")
            return None
        if cmd in _TEXT_ARG:
            self._text()
            return None
        if cmd in _FILE_ARG:
            name = self.cur.rest_of_line().strip()
            return _file_verdict(cmd, name)
        if cmd == "e":
            return "the sed script runs a command (e)"
        if cmd == "s":
            return self._substitute()
        if cmd == "y":
            delim = self.cur.take()
            self.cur.delimited(delim)
            self.cur.delimited(delim)
            return None
        raise SedScriptError(f"unknown command {cmd!r}" if cmd else "a missing command")

    def _text(self) -> None:
        """The text of a/i/c: the rest of the line, continued by a trailing backslash."""
        while True:
            line = self.cur.rest_of_line()
            if not line.endswith("\\") or not self.cur.peek():
                return
            self.cur.take()

    def _substitute(self) -> str | None:
        delim = self.cur.take()
        if not delim or delim in "\n\\":
            raise SedScriptError("a bad s delimiter")
        self.cur.delimited(delim)
        self.cur.delimited(delim)
        while True:
            flag = self.cur.peek()
            if flag == "e":
                return "the sed script runs the pattern space as a command (s///e)"
            if flag == "w":
                self.cur.take()
                return _file_verdict("w", self.cur.rest_of_line().strip())
            if flag and (flag in "gpiImM" or flag.isdigit()):
                self.cur.take()
                continue
            return None


def _file_verdict(cmd: str, name: str) -> str | None:
    if cmd in ("w", "W") and name in _STD_FILES:
        return None
    return f"the sed script {_FILE_ARG[cmd]} the file {name or '(unnamed)'} ({cmd})"

"""Bash command analysis: what a command line runs, and whether it is plain enough to trust.

A command line is parsed with tree-sitter-bash. Only a *word-only command sequence* can ever be
auto-allowed: commands made of plain words and quoted strings, joined by ``&&``, ``||``, ``;``
or ``|``. Anything else (substitution, redirection, expansion, subshells, control flow, parse
errors, control characters) is reported as a problem, so the caller asks instead of allowing.

Every command found anywhere in the tree (also inside ``$(…)`` or after ``&``) is still
extracted, with exec wrappers (``env``, ``sudo``, ``timeout``, ``flock``, ``bash -c`` …) peeled
off and the commands judged programs run (``find -exec``, ``tar --to-command``) read too, so
deny rules see ``rm`` in ``timeout 5 rm -rf x``. What cannot be read statically (``$x -rf``,
``echo … | sh``, ``printf -v 'a[$(cmd)]'``) is reported as *opaque*, with the reason. Work
is bounded: over-long or deeply nested input is refused before parsing, and every tree walk
is iterative.
"""

from __future__ import annotations

import posixpath
import re
import shlex
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING

from devagent.safety.programs import judge
from devagent.safety.wrappers import (
    BuiltinCode,
    Peel,
    ShellRun,
    builtin_code,
    peel,
    shell_invocation,
)

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

MAX_COMMAND_CHARS = 32_768
MAX_NESTING = 100
MAX_SUBCOMMANDS = 50
MAX_SHELL_DEPTH = 4
MAX_TRACKED_CWDS = 16
MAX_UNWRAP_STEPS = 16

SAFE_NODE_TYPES = frozenset(
    {
        "program",
        "list",
        "pipeline",
        "command",
        "command_name",
        "word",
        "string",
        "string_content",
        "raw_string",
        "number",
        "concatenation",
    }
)
SAFE_OPERATORS = frozenset({"&&", "||", ";", "|"})

# Variables that change formatting only; any other ``VAR=`` prefix can change what runs
# (PAGER, GIT_SSH_COMMAND, LD_PRELOAD, …).
SAFE_ENV_VARS = frozenset(
    {
        "LANG",
        "LANGUAGE",
        "TZ",
        "NO_COLOR",
        "FORCE_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "TERM",
        "COLUMNS",
        "LINES",
        "CI",
    }
)

_CONSTRUCTS = {
    "command_substitution": "command substitution $(…) or `…`",
    "process_substitution": "process substitution <(…) or >(…)",
    "file_redirect": "a redirection",
    "herestring_redirect": "a here-string <<<",
    "heredoc_redirect": "a here-document",
    "heredoc_body": "a here-document",
    "redirected_statement": "a redirection",
    "simple_expansion": "a $VAR expansion",
    "expansion": "a ${…} expansion",
    "arithmetic_expansion": "arithmetic expansion $((…)) or $[…]",
    "test_command": "a [[ … ]] or [ … ] test",
    "subshell": "a subshell ( … )",
    "compound_statement": "a { … } group",
    "function_definition": "a function definition",
    "negated_command": "a `!` negation",
    "comment": "a comment",
    "ansi_c_string": "a $'…' string",
    "translated_string": 'a $"…" string',
    "brace_expression": "brace expansion",
    "variable_assignment": "a variable assignment",
    "declaration_command": "a declaration (export/declare/local)",
    "unset_command": "unset",
}
_OPERATORS = {"&": "a background `&`", "|&": "a `|&` pipe", ";;": "a `;;` case separator"}

# Invisible or cursor-moving characters that can hide part of a command in a terminal.
_HIDDEN_CHARS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
_BRACE_EXPANSION = re.compile(r"\{[^{}]*(,|\.\.)[^{}]*\}")
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class SubCommand:
    """One simple command of a command line.

    ``written`` is the argv as written (prefix assignments excluded); ``argv`` the command
    that really runs once exec wrappers are peeled; ``forms`` every form deny and ask rules
    are checked against. ``cwds`` are the directories (relative to the start directory, ``""``
    being the start) it may run in after earlier ``cd``s; None when they cannot be known.
    ``blockers`` say why it can never be auto-allowed; ``dangerous`` names a flag that only an
    exact allow rule covers; ``indirect`` means a wrapper changes who or how it runs (``sudo``,
    ``xargs``), so the written form must be allowed as well. ``opaque`` says why what it runs
    cannot be read (a command name known only at run time, a shell reading standard input,
    an evaluated array subscript, a program running code the analysis cannot see).
    ``derived`` marks commands a judged program runs (``find -exec CMD``): rules that deny
    or ask see them, and allowing the program that runs them covers them.
    """

    written: tuple[str, ...]
    argv: tuple[str, ...]
    forms: tuple[tuple[str, ...], ...]
    wrappers: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    cwds: tuple[str, ...] | None = ("",)
    blockers: tuple[str, ...] = ()
    dangerous: str | None = None
    indirect: bool = False
    opaque: str | None = None
    derived: bool = False


@dataclass(frozen=True)
class BashAnalysis:
    """What a command line runs and why (if at all) it cannot be auto-allowed.

    ``problems`` are structural reasons the line is not a word-only sequence;
    ``unreadable`` means it could not be read reliably (parse error, control characters,
    nested shells too deep); ``over_limit`` means it is too long, too deeply nested or has
    more than ``MAX_SUBCOMMANDS`` sub-commands, which callers must deny. ``opaque`` gathers
    every reason the analysis cannot tell what runs; a caller must not let a rule grant
    such a command, nor assume a deny rule does not match it.
    """

    command: str
    subcommands: tuple[SubCommand, ...]
    problems: tuple[str, ...] = ()
    unreadable: bool = False
    over_limit: bool = False
    opaque: tuple[str, ...] = ()

    @property
    def word_only(self) -> bool:
        return not self.problems and not self.unreadable and not self.over_limit


def escape_controls(text: str) -> str:
    """``text`` with control and invisible characters shown as escapes (``\\r``, ``\\u202e``)."""

    def esc(match: re.Match[str]) -> str:
        ch = match.group(0)
        named = {"\r": "\\r", "\x00": "\\0", "\x1b": "\\e", "\t": "\\t"}
        if ch in named:
            return named[ch]
        code = ord(ch)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _HIDDEN_CHARS.sub(esc, text)


def display_argv(argv: Sequence[str]) -> str:
    """An argv as a shell-quoted line with hidden characters made visible."""
    return escape_controls(shlex.join(argv))


def analyze(command: str) -> BashAnalysis:
    """Analyse one command line. Never raises for any input string."""
    return _analyze(command, depth=0, start_cwds=("",))


# --- pre-checks -------------------------------------------------------------------------


def _max_nesting(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth = max(0, depth - 1)
    return deepest


def _limit_problem(command: str) -> str | None:
    if len(command) > MAX_COMMAND_CHARS:
        return f"the command is {len(command)} characters long (limit {MAX_COMMAND_CHARS})"
    if command.count("`") > MAX_NESTING or _max_nesting(command) > MAX_NESTING:
        return f"the command nests deeper than {MAX_NESTING} levels"
    return None


def _hidden_char_problem(command: str) -> str | None:
    found = sorted(set(_HIDDEN_CHARS.findall(command)))
    if not found:
        return None
    shown = ", ".join(escape_controls(ch) for ch in found)
    return f"the command contains control or invisible characters ({shown})"


# --- parsing ------------------------------------------------------------------------------

_PARSE_LOCK = threading.Lock()


@cache
def _parser() -> Parser:
    import tree_sitter
    import tree_sitter_bash

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _decode(data: bytes | None) -> str:
    try:
        return (data or b"").decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        # A node boundary inside a multi-byte character (only in malformed input).
        return (data or b"").decode("utf-8", "replace")


def _walk(root: Node) -> Iterator[Node]:
    """Every node under ``root`` in document order, without recursion."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def _analyze(command: str, *, depth: int, start_cwds: tuple[str, ...] | None) -> BashAnalysis:
    limit = _limit_problem(command)
    if limit is not None:
        return BashAnalysis(command, (), (limit,), unreadable=True, over_limit=True)
    problems: list[str] = []
    unreadable = False
    hidden = _hidden_char_problem(command)
    if hidden is not None:
        problems.append(hidden)
        unreadable = True
    text = command
    if "\\\n" in text:
        # tree-sitter splits `r\<newline>m` into two words where bash joins them.
        problems.append("a backslash line continuation")
        text = text.replace("\\\n", "")
    with _PARSE_LOCK:
        tree = _parser().parse(_encode(text))
    root = tree.root_node
    structure, parse_error = _structure_problems(root)
    problems.extend(structure)
    unreadable = unreadable or parse_error
    walker = _CommandWalker(depth=depth, cwds=start_cwds)
    for node in _walk(root):
        if node.type == "command":
            walker.visit(node)
    problems.extend(walker.problems)
    unreadable = unreadable or walker.unreadable
    subs = tuple(walker.subcommands)
    over = len(subs) > MAX_SUBCOMMANDS or walker.over_limit
    if len(subs) > MAX_SUBCOMMANDS:
        problems.append(f"{len(subs)} sub-commands (limit {MAX_SUBCOMMANDS})")
    opaque = [s.opaque for s in subs if s.opaque] + subscript_problems(root)
    opaque += _program_var_problems(root) + _writes_then_runs(subs, problems)
    return BashAnalysis(command, subs, _unique(problems), unreadable, over, _unique(opaque))


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


# --- structure ----------------------------------------------------------------------------


def _structure_problems(root: Node) -> tuple[list[str], bool]:
    """Why the tree is not a word-only sequence, and whether it has parse errors.

    The walk does not descend into a construct already reported, so one ``$(…)`` gives one
    problem rather than one per token inside it.
    """
    problems: list[str] = []
    parse_error = False
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_missing or node.type == "ERROR":
            parse_error = True
            continue
        problem = _node_problem(node)
        if problem is not None:
            problems.append(problem)
            parse_error = parse_error or node.has_error
            continue
        stack.extend(reversed(node.children))
    if parse_error:
        problems.insert(0, "the command could not be parsed")
    return problems, parse_error


def _node_problem(node: Node) -> str | None:
    parent = node.parent
    parent_type = parent.type if parent is not None else ""
    if not node.is_named:
        if node.type in SAFE_OPERATORS:
            return None
        if (node.type == '"' and parent_type == "string") or (
            node.type == "=" and parent_type == "variable_assignment"
        ):
            return None
        return _OPERATORS.get(node.type, f"the shell syntax `{node.type}`")
    if node.type == "variable_assignment":
        return _assignment_problem(node, parent_type)
    if node.type == "variable_name" and parent_type == "variable_assignment":
        return None
    if node.type not in SAFE_NODE_TYPES:
        return _CONSTRUCTS.get(node.type, f"the shell construct `{node.type}`")
    if node.type in ("word", "concatenation"):
        return _word_problem(node, parent_type)
    return None


def _assignment_problem(node: Node, parent_type: str) -> str | None:
    name_node = node.child_by_field_name("name")
    name = _decode(name_node.text) if name_node is not None else "a variable"
    if parent_type != "command":
        return f"a bare assignment to {name}"
    if not is_safe_env_var(name):
        return f"the environment variable prefix {name}= (only formatting variables are trusted)"
    return None


def _word_problem(node: Node, parent_type: str) -> str | None:
    raw = _decode(node.text)
    if _BRACE_EXPANSION.search(raw):
        return "brace expansion"
    if parent_type == "command_name" and _GLOB_CHARS.search(raw):
        return "a wildcard in the command name"
    return None


def is_safe_env_var(name: str) -> bool:
    """True for variables that only change formatting (``LANG``, ``LC_*``, ``TZ``, …)."""
    return name in SAFE_ENV_VARS or name.startswith("LC_")


# --- words --------------------------------------------------------------------------------

_UNQUOTED_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_DQUOTED_ESCAPE = re.compile(r'\\([$`"\\])')


def word_text(node: Node) -> str:
    """The text bash would pass for a word-like node; expansions are kept as written."""
    raw = _decode(node.text)
    kind = node.type
    if kind == "word":
        return _UNQUOTED_ESCAPE.sub(r"\1", raw)
    if kind == "raw_string":
        return raw[1:-1]
    if kind == "string":
        return _DQUOTED_ESCAPE.sub(r"\1", raw[1:-1])
    if kind in ("concatenation", "command_name"):
        return "".join(word_text(c) if c.is_named else _decode(c.text) for c in node.children)
    return raw


# --- commands -----------------------------------------------------------------------------

# Builtins that take variable names (or arithmetic) and so evaluate ``a[$(cmd)]`` subscripts,
# even when the word was single-quoted.
SUBSCRIPT_BUILTINS = frozenset(
    {
        "printf", "test", "[", "read", "mapfile", "readarray", "wait", "declare", "typeset",
        "local", "export", "readonly", "unset", "let", "getopts", "shift", "return", "exit",
    }
)  # fmt: skip
_SUBSCRIPT = re.compile(r"\[[^\]]*[$`]")
_SUBSCRIPT_NODES = frozenset(
    {
        "test_command",
        "arithmetic_expansion",
        "compound_statement",
        "variable_assignment",
        "declaration_command",
        "unset_command",
    }
)
_DYNAMIC_NAME = re.compile(r"[$`*?\[]|\{\}|^$")


@dataclass
class _CommandWalker:
    """Turns ``command`` nodes into sub-commands, tracking ``cd`` between them."""

    depth: int
    cwds: tuple[str, ...] | None
    subcommands: list[SubCommand] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unreadable: bool = False
    over_limit: bool = False

    def visit(self, node: Node) -> None:
        env, argv = _command_words(node)
        if not argv:
            return
        blockers = tuple(f"sets {name}" for name in env if not is_safe_env_var(name))
        start = SubCommand(
            written=argv, argv=argv, forms=(argv,), env=env, cwds=self.cwds, blockers=blockers
        )
        expanded = self._expand(start)
        self.subcommands.extend(expanded)
        for sub in expanded:
            if not sub.derived and not any(w.endswith(" -c") or w == "watch" for w in sub.wrappers):
                self.cwds = _after_cd(self.cwds, sub.argv)

    def _expand(self, sub: SubCommand) -> list[SubCommand]:
        """``sub`` with its wrappers peeled, shells and judged programs read."""
        current = sub
        for _ in range(MAX_UNWRAP_STEPS):
            step = self._step(current)
            if isinstance(step, list):
                return step
            current = step
        return [_opaque(current, "too many nested wrappers")]

    def _step(self, sub: SubCommand) -> SubCommand | list[SubCommand]:
        argv = sub.argv
        name = posixpath.basename(argv[0])
        shell = shell_invocation(argv)
        if shell is not None:
            return self._shell(sub, name, shell)
        if name == "eval" and len(argv) > 1:
            # eval joins its arguments with spaces and runs the result as a script.
            return self._script(_wrapped(sub, "eval", (), False), " ".join(argv[1:]))
        if name in ("parallel", "sem"):
            return [_opaque(sub, f"{name} builds the commands it runs from its input")]
        code = builtin_code(argv)
        if code is not None:
            return self._builtin(sub, code)
        peeled = peel(argv)
        if peeled is None:
            return self._judged(sub)
        return self._peeled(sub, peeled)

    def _builtin(self, sub: SubCommand, code: BuiltinCode) -> list[SubCommand]:
        finished = _finish(sub)
        if code.opaque is not None:
            return [replace(finished, opaque=finished.opaque or code.opaque)]
        name = posixpath.basename(sub.argv[0])
        derived: list[SubCommand] = []
        for script in code.scripts:
            holder = replace(sub, wrappers=(*sub.wrappers, name), derived=True)
            derived.extend(self._script(holder, script))
        return [replace(finished, dangerous=f"{name} runs code given as an argument"), *derived]

    def _shell(self, sub: SubCommand, name: str, shell: ShellRun) -> list[SubCommand]:
        if shell.kind == "script" and shell.script is not None:
            return self._script(_wrapped(sub, f"{name} -c", (), False), shell.script)
        if shell.kind == "stdin":
            return [_opaque(sub, f"{name} reads the commands it runs from standard input")]
        if shell.script is not None and _DYNAMIC_NAME.search(shell.script):
            return [_opaque(sub, f"{name} runs a script whose name is only known at run time")]
        return [_finish(sub)]

    def _peeled(self, sub: SubCommand, peeled: Peel) -> SubCommand | list[SubCommand]:
        blockers = [f"sets {v}" for v in peeled.assigned if not is_safe_env_var(v)]
        if any(_redirects_programs(v) for v in peeled.assigned):
            return [_opaque(sub, _PROGRAM_VARS_REASON)]
        if peeled.unclear is not None:
            blockers.append(f"{peeled.name} {peeled.unclear} cannot be checked")
        step = _wrapped(sub, peeled.name, peeled.inner, peeled.indirect)
        step = replace(step, env=sub.env + peeled.assigned, blockers=sub.blockers + tuple(blockers))
        if peeled.reads_stdin:
            return [_opaque(step, f"{peeled.name} starts a shell that reads standard input")]
        if peeled.script is not None:
            return self._script(replace(step, argv=sub.argv), peeled.script)
        replaced = _xargs_replaced(peeled)
        if replaced:
            return [_opaque(step, "xargs builds the command name from its input")]
        return step

    def _judged(self, sub: SubCommand) -> list[SubCommand]:
        finished = _finish(sub)
        verdict = judge(sub.argv)
        if verdict is None:
            return [finished]
        name = posixpath.basename(sub.argv[0])
        finished = replace(finished, dangerous=verdict.reason)
        if verdict.runs and not verdict.extracted:
            finished = replace(finished, opaque=verdict.reason)
        derived: list[SubCommand] = []
        for argv in verdict.commands:
            inner = SubCommand(sub.written, argv, (argv,), cwds=sub.cwds, derived=True)
            derived.extend(self._expand(replace(inner, wrappers=(*sub.wrappers, name))))
        for script in verdict.scripts:
            holder = replace(sub, wrappers=(*sub.wrappers, name), derived=True)
            derived.extend(self._script(holder, script))
        return [finished, *derived]

    def _script(self, outer: SubCommand, script: str) -> list[SubCommand]:
        if self.depth >= MAX_SHELL_DEPTH:
            self.problems.append(f"shells nested more than {MAX_SHELL_DEPTH} deep")
            self.unreadable = True
            return [_finish(outer)]
        inner = _analyze(script, depth=self.depth + 1, start_cwds=outer.cwds)
        self.problems.extend(f"inside {outer.wrappers[-1]}: {p}" for p in inner.problems)
        self.unreadable = self.unreadable or inner.unreadable
        self.over_limit = self.over_limit or inner.over_limit
        nested = [_nest(outer, sub) for sub in inner.subcommands]
        hidden = [r for r in inner.opaque if not any(s.opaque == r for s in inner.subcommands)]
        if hidden and nested:
            nested[0] = replace(nested[0], opaque=nested[0].opaque or hidden[0])
        return nested or [_finish(outer)]


def _wrapped(sub: SubCommand, wrapper: str, inner: tuple[str, ...], indirect: bool) -> SubCommand:
    forms = sub.forms + ((inner,) if inner else ())
    return replace(
        sub,
        argv=inner or sub.argv,
        forms=forms,
        wrappers=(*sub.wrappers, wrapper),
        indirect=sub.indirect or indirect,
    )


def _opaque(sub: SubCommand, reason: str) -> SubCommand:
    return replace(_finish(sub), opaque=sub.opaque or reason)


def _finish(sub: SubCommand) -> SubCommand:
    """The last checks on a sub-command whose program is known: its name and subscripts."""
    name = sub.argv[0] if sub.argv else ""
    if name not in ("[", "[[") and _DYNAMIC_NAME.search(name):
        return replace(sub, opaque=sub.opaque or "the command name is only known at run time")
    if posixpath.basename(name) in SUBSCRIPT_BUILTINS and any(
        _SUBSCRIPT.search(a) for a in sub.argv[1:]
    ):
        reason = f"bash evaluates the array subscript in {name}'s arguments (a[$(…)] runs)"
        return replace(sub, opaque=sub.opaque or reason)
    return sub


def _xargs_replaced(peeled: Peel) -> bool:
    if peeled.name != "xargs" or peeled.parsed is None:
        return False
    marks = [o.value or "{}" for o in peeled.parsed.options if o.is_("-I", "-i", "--replace")]
    return any(m in peeled.inner[0] for m in marks) if peeled.inner else False


def _nest(outer: SubCommand, inner: SubCommand) -> SubCommand:
    return SubCommand(
        written=outer.written,
        argv=inner.argv,
        forms=outer.forms + inner.forms,
        wrappers=outer.wrappers + inner.wrappers,
        env=outer.env + inner.env,
        cwds=inner.cwds,
        blockers=outer.blockers + inner.blockers,
        dangerous=inner.dangerous,
        indirect=outer.indirect or inner.indirect,
        opaque=inner.opaque,
        derived=outer.derived or inner.derived,
    )


def _command_words(node: Node) -> tuple[tuple[str, ...], tuple[str, ...]]:
    env: list[str] = []
    argv: list[str] = []
    for child in node.children:
        if child.type == "variable_assignment":
            name = child.child_by_field_name("name")
            env.append(_decode(name.text) if name is not None else "")
        elif child.type == "command_name" or (
            child.is_named and not child.type.endswith("redirect") and child.type != "comment"
        ):
            argv.append(word_text(child))
    return tuple(env), tuple(argv)


def _after_cd(cwds: tuple[str, ...] | None, argv: tuple[str, ...]) -> tuple[str, ...] | None:
    """The directories the shell may be in after ``argv`` ran (or failed)."""
    if cwds is None or not argv:
        return cwds
    name = posixpath.basename(argv[0])
    if name == "popd":
        return None
    if name not in ("cd", "pushd"):
        return cwds
    targets = [a for a in argv[1:] if not a.startswith("-") or a == "-"]
    target = targets[0] if targets else "~"
    if target == "-" or ("$" in target and not _is_home_ref(target)) or "`" in target:
        return None
    joined = target if _is_home_ref(target) else None
    moved = [joined or posixpath.join(c, target) for c in cwds]
    # A failed cd leaves the shell where it was, so both stay possible.
    merged = tuple(dict.fromkeys([*cwds, *moved]))
    return merged if len(merged) <= MAX_TRACKED_CWDS else None


def _is_home_ref(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in ("~", "$HOME", "${HOME}"))


def subscript_problems(root: Node) -> list[str]:
    """Arithmetic and test contexts where a quoted ``a[$(cmd)]`` would still run ``cmd``."""
    found: list[str] = []
    for node in _walk(root):
        if node.type in _SUBSCRIPT_NODES and _SUBSCRIPT.search(_decode(node.text)):
            found.append("bash evaluates an array subscript (a[$(…)]) in arithmetic or [[ ]]")
    return found[:1]


# Variables that change which program a later command name runs, or what bash runs first.
_PROGRAM_VARS = frozenset(
    {"PATH", "BASH_ENV", "ENV", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "SHELLOPTS",
     "BASHOPTS", "PS4", "PROMPT_COMMAND", "IFS", "EXECIGNORE"}
)  # fmt: skip
_PROGRAM_VARS_REASON = "it sets a variable (PATH, BASH_ENV, LD_PRELOAD …) that changes what runs"
# Programs that write files from content they are given or fetch.
_WRITERS = frozenset(
    {"tee", "cp", "mv", "ln", "install", "dd", "curl", "wget", "rsync", "unzip", "tar", "patch"}
)


def _redirects_programs(name: str) -> bool:
    return name in _PROGRAM_VARS or name.startswith("BASH_FUNC_")


def _program_var_problems(root: Node) -> list[str]:
    for node in _walk(root):
        if node.type != "variable_assignment":
            continue
        name = node.child_by_field_name("name")
        if name is not None and _redirects_programs(_decode(name.text)):
            return [_PROGRAM_VARS_REASON]
    return []


def _writes_then_runs(subs: Sequence[SubCommand], problems: Sequence[str]) -> list[str]:
    """A line that writes files and also runs a local file may run what it just wrote."""
    writes = any("redirection" in p or "here-" in p for p in problems) or any(
        posixpath.basename(s.argv[0]) in _WRITERS for s in subs
    )
    if not writes:
        return []
    for sub in subs:
        shell = shell_invocation(sub.argv)
        name = sub.argv[0]
        if "/" in name or (shell is not None and shell.kind == "file") or name in ("source", "."):
            return ["it writes files and runs a local file, which may be one it just wrote"]
    return []


def dangerous_flag(argv: Sequence[str]) -> str | None:
    """Why ``argv`` runs or writes more than its tool's name suggests, or None."""
    verdict = judge(argv)
    return verdict.reason if verdict is not None else None

"""Bash command analysis: what a command line runs, and whether it is plain enough to trust.

A command line is parsed with tree-sitter-bash. Only a *word-only command sequence* can ever be
auto-allowed: commands made of plain words and quoted strings, joined by ``&&``, ``||``, ``;``
or ``|``. Anything else (substitution, redirection, expansion, subshells, control flow, parse
errors, control characters) is reported as a problem, so the caller asks instead of allowing.

Every command found anywhere in the tree (also inside ``$(…)`` or after ``&``) is still
extracted, with exec wrappers (``env``, ``sudo``, ``timeout``, ``bash -c`` …) peeled off, so
deny rules see ``rm`` in ``timeout 5 rm -rf x``. Work is bounded: over-long or deeply nested
input is refused before parsing, and every tree walk is iterative.
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
    exact allow rule covers; ``opaque`` means a wrapper changes who or how it runs (``sudo``,
    ``xargs``), so the written form must be allowed as well.
    """

    written: tuple[str, ...]
    argv: tuple[str, ...]
    forms: tuple[tuple[str, ...], ...]
    wrappers: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    cwds: tuple[str, ...] | None = ("",)
    blockers: tuple[str, ...] = ()
    dangerous: str | None = None
    opaque: bool = False


@dataclass(frozen=True)
class BashAnalysis:
    """What a command line runs and why (if at all) it cannot be auto-allowed.

    ``problems`` are structural reasons the line is not a word-only sequence;
    ``unreadable`` means it could not be read reliably (parse error, control characters,
    nested shells too deep); ``over_limit`` means it is too long, too deeply nested or has
    more than ``MAX_SUBCOMMANDS`` sub-commands, which callers must deny.
    """

    command: str
    subcommands: tuple[SubCommand, ...]
    problems: tuple[str, ...] = ()
    unreadable: bool = False
    over_limit: bool = False

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
    return BashAnalysis(command, subs, _unique(problems), unreadable, over)


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
            if not any(w.endswith(" -c") or w == "watch" for w in sub.wrappers):
                self.cwds = _after_cd(self.cwds, sub.argv)

    def _expand(self, sub: SubCommand) -> list[SubCommand]:
        peeled = unwrap(sub)
        if peeled.shell_script is None:
            return [_with_dangerous(peeled.sub)]
        return self._expand_shell(peeled.sub, peeled.shell_script)

    def _expand_shell(self, outer: SubCommand, script: str) -> list[SubCommand]:
        if self.depth >= MAX_SHELL_DEPTH:
            self.problems.append(f"shells nested more than {MAX_SHELL_DEPTH} deep")
            self.unreadable = True
            return [_with_dangerous(outer)]
        inner = _analyze(script, depth=self.depth + 1, start_cwds=outer.cwds)
        self.problems.extend(f"inside {outer.wrappers[-1]}: {p}" for p in inner.problems)
        self.unreadable = self.unreadable or inner.unreadable
        self.over_limit = self.over_limit or inner.over_limit
        return [_nest(outer, sub) for sub in inner.subcommands] or [_with_dangerous(outer)]


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
        opaque=outer.opaque or inner.opaque,
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


# --- exec wrappers ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Peeled:
    sub: SubCommand
    shell_script: str | None = None


# Options that take a separate value, per wrapper.
_VALUE_OPTIONS: dict[str, frozenset[str]] = {
    "env": frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"}),
    "sudo": frozenset({"-u", "-g", "-p", "-C", "-r", "-t", "-U", "-D", "-h", "-T", "-R"}),
    "doas": frozenset({"-u", "-C"}),
    "timeout": frozenset({"-s", "--signal", "-k", "--kill-after"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "ionice": frozenset({"-c", "--class", "-n", "--classdata"}),
    "setsid": frozenset(),
    "nohup": frozenset(),
    "watch": frozenset({"-n", "--interval", "-d", "-q", "--equexit"}),
    "xargs": frozenset(
        {"-I", "-L", "-n", "-P", "-s", "-d", "-E", "-a", "--arg-file", "--delimiter"}
    ),
    "stdbuf": frozenset({"-i", "-o", "-e", "--input", "--output", "--error"}),
    "time": frozenset({"-f", "--format", "-o", "--output"}),
    "command": frozenset(),
    "builtin": frozenset(),
    "exec": frozenset({"-a"}),
}
_OPAQUE_WRAPPERS = frozenset({"sudo", "doas", "xargs", "watch", "setsid"})
_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "su"})
_UNCLEAR_OPTIONS = {
    "env": frozenset({"-S", "--split-string", "-C", "--chdir"}),
    "sudo": frozenset({"-s", "--shell", "-i", "--login", "-D", "--chdir", "-b", "--background"}),
    "command": frozenset({"-v", "-V"}),
}


def unwrap(sub: SubCommand) -> _Peeled:
    """Peel exec wrappers off ``sub.argv``; stop at a shell's ``-c`` script."""
    current = sub
    for _ in range(MAX_UNWRAP_STEPS):
        argv = current.argv
        name = posixpath.basename(argv[0]) if argv else ""
        if name in _SHELLS:
            script = _shell_script(argv)
            if script is None:
                return _Peeled(current)
            return _Peeled(_step(current, f"{name} -c", (), name == "su"), script)
        if name == "eval" and len(argv) > 1:
            # eval joins its arguments with spaces and runs the result as a script.
            return _Peeled(_step(current, "eval", (), False), " ".join(argv[1:]))
        if name not in _VALUE_OPTIONS:
            return _Peeled(current)
        step = _peel_one(current, name)
        if step is None:
            return _Peeled(current)
        current = step
        if name == "watch":
            # watch hands its arguments to `sh -c` joined by spaces.
            return _Peeled(current, " ".join(current.argv))
    return _Peeled(replace(current, blockers=(*current.blockers, "too many nested wrappers")))


def _peel_one(sub: SubCommand, name: str) -> SubCommand | None:
    rest, unclear = _skip_options(sub.argv[1:], name)
    if name == "command" and unclear:
        return None  # `command -v NAME` only looks NAME up
    assigned: list[str] = []
    if name in ("env", "sudo", "doas"):
        while rest and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", rest[0]):
            assigned.append(rest[0].split("=", 1)[0])
            rest = rest[1:]
    if name == "timeout" and rest:
        rest = rest[1:]
    if not rest:
        return None
    step = _step(sub, name, tuple(rest), name in _OPAQUE_WRAPPERS)
    blockers = [f"sets {v}" for v in assigned if not is_safe_env_var(v)]
    if unclear:
        blockers.append(f"{name} {unclear} cannot be checked")
    return replace(
        step,
        env=sub.env + tuple(assigned),
        blockers=sub.blockers + tuple(blockers),
    )


def _step(sub: SubCommand, wrapper: str, inner: tuple[str, ...], opaque: bool) -> SubCommand:
    forms = sub.forms + ((inner,) if inner else ())
    return replace(
        sub,
        argv=inner or sub.argv,
        forms=forms,
        wrappers=(*sub.wrappers, wrapper),
        opaque=sub.opaque or opaque,
    )


def _skip_options(args: Sequence[str], name: str) -> tuple[list[str], str | None]:
    """The arguments after ``name``'s own options, and an option that defeats analysis."""
    takes_value = _VALUE_OPTIONS[name]
    unclear_set = _UNCLEAR_OPTIONS.get(name, frozenset())
    unclear: str | None = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return list(args[i + 1 :]), unclear
        if not arg.startswith("-") or arg == "-":
            break
        flag = arg.split("=", 1)[0]
        if flag in unclear_set:
            unclear = flag
        i += 2 if flag in takes_value and "=" not in arg else 1
    return list(args[i:]), unclear


def _shell_script(argv: Sequence[str]) -> str | None:
    """The script of ``bash -c SCRIPT`` (also ``-lc``, ``-ec``, ``-o pipefail -c``), or None."""
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg in ("-o", "+o", "-O", "+O"):
            i += 2
            continue
        if arg == "--" or not arg.startswith(("-", "+")):
            return None
        if not arg.startswith("--") and "c" in arg[1:]:
            return argv[i + 1] if i + 1 < len(argv) else None
        i += 1
    return None


# --- dangerous flags of otherwise safe tools ----------------------------------------------


def _with_dangerous(sub: SubCommand) -> SubCommand:
    reason = dangerous_flag(sub.argv)
    extra = _exec_forms(sub.argv)
    if reason is None and not extra:
        return sub
    return replace(sub, dangerous=reason, forms=sub.forms + extra)


def _exec_forms(argv: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Commands that ``find -exec`` would run, so deny rules see them too."""
    if not argv or posixpath.basename(argv[0]) not in ("find", "fd", "fdfind"):
        return ()
    forms: list[tuple[str, ...]] = []
    for i, arg in enumerate(argv):
        if arg in ("-exec", "-execdir", "-ok", "-okdir", "-x", "--exec", "-X", "--exec-batch"):
            inner = []
            for word in argv[i + 1 :]:
                if word in (";", "+"):
                    break
                inner.append(word)
            if inner:
                forms.append(tuple(inner))
    return tuple(forms)


def dangerous_flag(argv: Sequence[str]) -> str | None:
    """Why ``argv`` runs or writes more than its tool's name suggests, or None."""
    if not argv:
        return None
    name = posixpath.basename(argv[0])
    check = _DANGER_CHECKS.get(name)
    return check(argv[1:]) if check is not None else None


def _find_danger(args: Sequence[str]) -> str | None:
    risky = ("-exec", "-execdir", "-delete", "-ok", "-okdir", "-fls")
    for arg in args:
        if arg in risky or arg.startswith("-fprint"):
            return f"find {arg} runs commands or changes files"
    return None


def _fd_danger(args: Sequence[str]) -> str | None:
    for arg in args:
        if arg.split("=", 1)[0] in ("-x", "--exec", "-X", "--exec-batch"):
            return f"fd {arg} runs commands"
    return None


def _sed_danger(args: Sequence[str]) -> str | None:
    scripts, verdict = _sed_scripts(args)
    if verdict is not None:
        return verdict
    return next((r for r in map(_sed_script_danger, scripts) if r), None)


def _sed_scripts(args: Sequence[str]) -> tuple[list[str], str | None]:
    """The scripts sed would run (``-e``, ``--expression`` or the first operand)."""
    scripts: list[str] = []
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg, following = args[i], (args[i + 1] if i + 1 < len(args) else "")
        i += 1
        if arg.startswith("--"):
            flag, eq, value = arg.partition("=")
            if flag in ("--in-place", "--file"):
                return [], f"sed {flag} changes files or reads a script that cannot be checked"
            if flag == "--expression":
                scripts.append(value if eq else following)
                i += 0 if eq else 1
        elif arg.startswith("-") and len(arg) > 1:
            verdict, script, used_next = _sed_cluster(arg, following)
            if verdict is not None:
                return [], verdict
            scripts.extend([script] if script is not None else [])
            i += 1 if used_next else 0
        else:
            positional.append(arg)
    return (scripts or positional[:1]), None


def _sed_cluster(arg: str, following: str) -> tuple[str | None, str | None, bool]:
    """Read one short-option cluster: (danger, script, whether ``following`` was used)."""
    for j, ch in enumerate(arg[1:], start=1):
        if ch == "i":
            return "sed -i edits files in place", None, False
        if ch == "f":
            return "sed -f reads a script that cannot be checked", None, False
        if ch in "el":
            rest = arg[j + 1 :]
            value = rest if rest else following
            return None, (value if ch == "e" else None), not rest
    return None, None, False


_SED_SUBST = re.compile(r"([sy])([^\w\s\\])((?:\\.|(?!\2).)*)\2((?:\\.|(?!\2).)*)\2([A-Za-z0-9]*)")


def _sed_script_danger(script: str) -> str | None:
    for match in _SED_SUBST.finditer(script):
        flags = match.group(5)
        if match.group(1) == "s" and any(f in flags for f in "weW"):
            return "sed s///w or s///e writes files or runs commands"
    rest = _SED_SUBST.sub(" ", script)
    rest = re.sub(r"/(?:\\.|[^/])*/", " ", rest)
    if re.search(r"[weW]", rest):
        return "the sed script uses w, W or e (writes files or runs commands)"
    return None


def _rg_danger(args: Sequence[str]) -> str | None:
    for arg in args:
        if arg.split("=", 1)[0] in ("--pre", "--pre-glob"):
            return f"rg {arg.split('=', 1)[0]} runs a preprocessor command"
    return None


_GIT_GLOBAL_RISKY = frozenset({"-c", "--config-env", "--exec-path", "--git-dir", "--work-tree"})
_GIT_GLOBAL_VALUED = frozenset(
    {"-C", "-c", "--config-env", "--git-dir", "--work-tree", "--namespace"}
)
_GIT_ANYWHERE_RISKY = frozenset({"--upload-pack", "--receive-pack", "--output", "--exec"})
# Config sections whose values are commands git runs.
_GIT_CONFIG_RISKY = re.compile(
    r"^(core|alias|filter|diff|merge|credential|sequence|include|includeif|gpg|ssh|pager|"
    r"uploadpack|receivepack|protocol|remote\.[^.]*\.(uploadpack|receivepack))\.",
    re.IGNORECASE,
)


def _git_danger(args: Sequence[str]) -> str | None:
    i = 0
    while i < len(args) and args[i].startswith("-"):
        flag = args[i].split("=", 1)[0]
        if flag in _GIT_GLOBAL_RISKY or (flag.startswith("-c") and not flag.startswith("--")):
            return f"git {flag} can run commands or point git elsewhere"
        i += 2 if flag in _GIT_GLOBAL_VALUED and "=" not in args[i] else 1
    rest = args[i:]
    for arg in rest:
        flag = arg.split("=", 1)[0]
        if flag in _GIT_ANYWHERE_RISKY:
            return f"git {flag} runs another program or writes files"
    if rest and rest[0] == "config" and any(_GIT_CONFIG_RISKY.match(a) for a in rest[1:]):
        return "git config on core.*, alias.* and similar keys can make git run commands"
    return None


def _awk_danger(args: Sequence[str]) -> str | None:
    for arg in args:
        if arg in ("-f", "--file", "-l", "--load", "-E", "--exec") or arg.startswith("-f"):
            return f"awk {arg} loads code that cannot be checked"
        if "system(" in arg or "|" in arg:
            return "the awk program runs commands (system() or a pipe)"
        if ">>" in arg or re.search(r'>\s*["(]', arg):
            return "the awk program writes files"
    return None


_TAR_RISKY = (
    "--to-command",
    "--checkpoint-action",
    "--use-compress-program",
    "--info-script",
    "--new-volume-script",
    "--rsh-command",
    "--rmt-command",
    "-I",
    "-F",
)


def _tar_danger(args: Sequence[str]) -> str | None:
    for arg in args:
        flag = arg.split("=", 1)[0]
        if flag in _TAR_RISKY:
            return f"tar {flag} runs another program"
    return None


def _pager_danger(args: Sequence[str]) -> str | None:
    for arg in args:
        if "!" in arg:
            return "a `!` in pager arguments can run shell commands"
        if arg.split("=", 1)[0] in ("-o", "-O", "--log-file", "--LOG-FILE"):
            return f"{arg} writes a file"
    return None


def _man_danger(args: Sequence[str]) -> str | None:
    for arg in args:
        if arg.split("=", 1)[0] in ("-P", "--pager", "-H", "--html", "-p", "--preprocessor"):
            return f"man {arg} chooses a program to run"
    return _pager_danger(args)


_DANGER_CHECKS = {
    "find": _find_danger,
    "fd": _fd_danger,
    "fdfind": _fd_danger,
    "sed": _sed_danger,
    "gsed": _sed_danger,
    "rg": _rg_danger,
    "git": _git_danger,
    "awk": _awk_danger,
    "gawk": _awk_danger,
    "mawk": _awk_danger,
    "nawk": _awk_danger,
    "tar": _tar_danger,
    "gtar": _tar_danger,
    "less": _pager_danger,
    "more": _pager_danger,
    "man": _man_danger,
}

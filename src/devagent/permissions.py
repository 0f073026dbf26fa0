"""The permission engine: mode x tool x input -> allow / ask / deny, with the rule that decided.

Pure policy: ``PermissionEngine.decide`` never prompts, prints or reads files; the only disk
access is ``os.path.realpath`` and ``os.stat`` (a file's hard-link count). Evaluation order,
in every mode:

1. deny rules (first match wins; deny always wins, also in bypassPermissions);
2. plan mode denies anything that is not read-only, except the web tools (kind
   ``network``) and MCP tools annotated ``readOnlyHint``, which change nothing here and so
   go on to ask like in default mode;
3. ask rules; a Bash command the analysis cannot read (its *opaque* parts: a command name
   known only at run time, a shell fed on stdin, an evaluated array subscript, a program
   running code it was handed) asks whenever any Bash deny or ask rule exists, and so does
   an unknown program whose arguments a deny rule would match (``chrt 10 rm -rf x``);
4. protected paths (``.git``, ``.devagent``, ``.claude``, ``.vscode``, ``.idea``, ``.mcp.json``,
   ``.gitmodules``, shell rc files, anything outside the workspace, and files with more than
   one hard link, which may be another name for a file outside it) ask, whatever allows them;
5. allow rules (first match wins);
6. the mode's default.
In dontAsk mode nobody is asked: every "ask" becomes a denial.

Rules are ``Tool`` or ``Tool(specifier)``. ``Edit``/``Write`` rules cover every tool of kind
``edit`` (Edit, MultiEdit, Write, ApplyPatch, NotebookEdit); ``Read`` rules every tool of kind
``read`` (Read, Grep, Glob, LS, NotebookRead); ``mcp__SERVER`` every tool of that MCP server
(``mcp__SERVER__TOOL`` names one). The kind comes with the request
(``devagent.toolkinds``); the engine never looks a tool up by name. Path specifiers use
gitignore syntax and are anchored as in Claude Code:

    //abs/path    from the filesystem root
    ~/path        from the user's home ($HOME/path and ${HOME}/path mean the same)
    /path         from the workspace root
    path, ./path  from the workspace root; a pattern without an inner slash (``.env``,
                  ``*.pem``) matches at any depth below it, as in .gitignore

Candidate paths are real paths (symlinks resolved, also for files that do not exist yet).
A deny rule matches if any path of the call matches; an allow rule only if all of them do.

Bash specifiers: an exact command (``git status``), a word-bounded prefix (``npm test:*``
matches ``npm test`` and ``npm test --x`` but not ``npm testing``) or a ``*`` glob
(``echo *``). A command line is allowed only if it is a plain word-only sequence and every
sub-command is allowed; an opaque sub-command, or one with a dangerous option
(``sed --in-place``, ``tar -I``), only by an exact rule; see ``devagent.bashparse``.
Read-deny rules govern devagent's own tools: a Bash command that mentions a read-denied path
is never auto-allowed, but without an OS sandbox nothing stops a command from reading it some
other way.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args
from urllib.parse import urlsplit

from devagent.approval import Behavior, Decision, PermissionRequest
from devagent.bashparse import BashAnalysis, SubCommand, analyze, display_argv
from devagent.hostnames import normalise_host
from devagent.safety.programs import is_known
from devagent.toolkinds import never_asks

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

Mode = Literal["default", "acceptEdits", "plan", "dontAsk", "bypassPermissions"]
MODES: tuple[Mode, ...] = get_args(Mode)
RuleKind = Literal["allow", "ask", "deny"]
RULE_KINDS: tuple[RuleKind, ...] = ("deny", "ask", "allow")

PROTECTED_DIRS = (".git", ".devagent", ".claude", ".vscode", ".idea")
PROTECTED_FILES = frozenset(
    {
        ".mcp.json",
        ".gitmodules",
        ".bashrc",
        ".bash_profile",
        ".bash_login",
        ".bash_logout",
        ".zshrc",
        ".zprofile",
        ".zshenv",
        ".zlogin",
        ".profile",
        ".gitconfig",
        ".ripgreprc",
    }
)
# Device files commands commonly name; they are not places a command can hide data in.
_HARMLESS_PATHS = frozenset({"/dev/null", "/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/tty"})
_PATH_INPUT_KEYS = ("file_path", "path", "notebook_path")
_RULE_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)(?:\((.*)\))?$", re.DOTALL)


class InvalidRuleError(ValueError):
    """A rule or mode string that cannot be understood; the message says why."""


@dataclass(frozen=True)
class Rule:
    """One permission rule as written, with where it came from."""

    tool: str
    specifier: str | None
    source: str

    @property
    def text(self) -> str:
        return self.tool if self.specifier is None else f"{self.tool}({self.specifier})"

    @staticmethod
    def parse(text: str, source: str) -> Rule:
        """Parse ``Tool`` or ``Tool(specifier)``; raise ``InvalidRuleError`` otherwise."""
        stripped = text.strip()
        match = _RULE_RE.match(stripped)
        if match is None:
            raise InvalidRuleError(
                f"{text!r} is not a rule: write Tool or Tool(specifier), e.g. Bash(npm test:*)"
            )
        tool, spec = match.group(1), match.group(2)
        if spec is not None and not spec.strip():
            raise InvalidRuleError(f"{text!r} has an empty specifier: drop the () or fill it in")
        spec = spec.strip() if spec is not None else None
        if spec is not None and spec.startswith("domain:") and _domain_pattern(spec) is None:
            raise InvalidRuleError(
                f"{text!r} does not name a domain: write e.g. {tool}(domain:docs.python.org) "
                f"or {tool}(domain:*.python.org)"
            )
        return Rule(tool, spec, source)


def split_rules(value: str) -> list[str]:
    """Split a flag value holding several rules at commas outside parentheses."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in value:
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        depth += 1 if ch == "(" else -1 if ch == ")" and depth > 0 else 0
        current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_mode(value: str) -> Mode:
    """The mode called ``value``; ``InvalidRuleError`` naming the valid modes otherwise."""
    for mode in MODES:
        if value == mode:
            return mode
    raise InvalidRuleError(f"{value!r} is not a permission mode: use one of {', '.join(MODES)}")


# --- matching -------------------------------------------------------------------------------


def _split_words(text: str) -> tuple[str, ...] | None:
    try:
        return tuple(shlex.split(text))
    except ValueError:
        return None


@dataclass(frozen=True)
class BashPattern:
    """A compiled Bash specifier: any, exact command, word-bounded ``prefix:*`` or ``*`` glob."""

    kind: Literal["any", "exact", "prefix", "glob"]
    text: str
    words: tuple[str, ...] | None = None
    regex: re.Pattern[str] | None = None

    @staticmethod
    def compile(spec: str | None) -> BashPattern:
        if spec is None or spec.strip() == "*":
            return BashPattern("any", "")
        if spec.endswith(":*"):
            head = spec[:-2].strip()
            return BashPattern("prefix", head, _split_words(head))
        if "*" in spec:
            if spec.endswith(" *") and spec.count("*") == 1:
                # `ls *` also matches a bare `ls`, never `lsof`.
                pattern = re.escape(spec[:-2]) + r"(?: .*)?"
            else:
                pattern = ".*".join(re.escape(part) for part in spec.split("*"))
            return BashPattern("glob", spec, None, re.compile(pattern, re.DOTALL))
        return BashPattern("exact", spec, _split_words(spec))

    def matches_argv(self, argv: Sequence[str], *, lenient: bool = False) -> bool:
        """Whether a parsed command matches; ``lenient`` also tries the unquoted join."""
        if self.kind == "any":
            return True
        if self.kind == "glob":
            assert self.regex is not None
            joined = [shlex.join(argv), *([" ".join(argv)] if lenient else [])]
            return any(self.regex.fullmatch(j) for j in joined)
        if self.words is None:
            return self.matches_raw(shlex.join(argv))
        if self.kind == "prefix":
            return bool(self.words) and tuple(argv[: len(self.words)]) == self.words
        return tuple(argv) == self.words

    def matches_raw(self, raw: str) -> bool:
        """Whether the command line as written (whitespace collapsed) matches."""
        line = " ".join(raw.split())
        text = " ".join(self.text.split())
        if self.kind == "any":
            return True
        if self.kind == "glob":
            assert self.regex is not None
            return self.regex.fullmatch(line) is not None
        if self.kind == "prefix":
            return line == text or line.startswith(text + " ")
        return line == text


@dataclass(frozen=True)
class PathPattern:
    """A compiled gitignore-style path specifier anchored at a real directory."""

    anchor: str
    spec: GitIgnoreSpec

    @staticmethod
    def compile(specifier: str, workspace: str, user_home: str) -> PathPattern:
        from pathspec import GitIgnoreSpec

        text = specifier
        for alias in ("${HOME}", "$HOME"):
            if text == alias or text.startswith(alias + "/"):
                text = "~" + text[len(alias) :]
        if text.startswith("//"):
            anchor, pattern = "/", text[1:]
        elif text == "~" or text.startswith("~/"):
            anchor, pattern = user_home, "/" + text[2:]
        elif text.startswith("./"):
            anchor, pattern = workspace, "/" + text[2:]
        else:
            anchor, pattern = workspace, text
        if pattern in ("", "/"):
            pattern = "/**"
        return PathPattern(os.path.realpath(anchor), GitIgnoreSpec.from_lines([pattern]))

    def matches(self, path: str) -> bool:
        rel = os.path.relpath(path, self.anchor)
        if rel == "." or rel == ".." or rel.startswith("../"):
            return False
        return self.spec.match_file(rel)


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    bash: BashPattern | None
    path: PathPattern | None

    @property
    def is_exact(self) -> bool:
        return self.bash is not None and self.bash.kind == "exact"


def _rule_covers(rule_tool: str, request: PermissionRequest) -> bool:
    if rule_tool == request.tool_name:
        return True
    if rule_tool.startswith("mcp__") and rule_tool.count("__") == 1:
        return request.kind == "mcp" and request.tool_name.startswith(rule_tool + "__")
    if rule_tool in ("Edit", "Write"):
        return request.kind == "edit"
    return rule_tool == "Read" and request.kind == "read"


def _plan_may_ask(request: PermissionRequest) -> bool:
    """Plan mode lets the web tools and MCP tools annotated read-only go on to the rules
    (and ask): they change nothing here."""
    return request.kind == "network" or (request.kind == "mcp" and request.read_only)


def _is_path_rule(tool: str) -> bool:
    return tool in ("Read", "Edit", "Write")


def _input_strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _input_strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _input_strings(item)


def url_host(url: object) -> str:
    """The host a URL names, as ``domain:`` rules compare it: lower case, no trailing dot,
    international names in IDNA form, IP literals canonical; '' for anything else. WebFetch
    fetches exactly this host (both use ``devagent.hostnames.normalise_host``)."""
    if not isinstance(url, str):
        return ""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or "@" in parts.netloc or not host:
        return ""
    return normalise_host(host)


def _domain_pattern(specifier: str) -> tuple[str, bool] | None:
    """``domain:HOST`` as (host, only names under it): ``*.HOST`` means the names under it."""
    domain = specifier.removeprefix("domain:").strip()
    under = domain.startswith("*.")
    host = normalise_host(domain.removeprefix("*."))
    return (host, under) if host else None


def _input_matches(specifier: str, tool_input: Mapping[str, Any]) -> bool:
    """Specifiers of other tools: ``domain:HOST`` for the host of the ``url`` input (the host
    or a name under it; ``domain:*.HOST`` only names under it), else a glob on any input
    string."""
    if specifier.startswith("domain:"):
        pattern, host = _domain_pattern(specifier), url_host(tool_input.get("url"))
        if pattern is None or not host:
            return False
        domain, under = pattern
        return host.endswith("." + domain) or (host == domain and not under)
    return any(fnmatch.fnmatchcase(s, specifier) for s in _input_strings(tool_input))


# --- the engine -----------------------------------------------------------------------------


class PermissionEngine:
    """Decides each tool call from the mode and the allow / ask / deny rules.

    Satisfies ``devagent.approval.PermissionPolicy``. ``workspace`` is the workspace root;
    ``user_home`` the user's home directory for ``~`` (defaults to ``~``).
    """

    def __init__(
        self,
        workspace: Path,
        *,
        mode: Mode = "default",
        allow: Sequence[Rule] = (),
        ask: Sequence[Rule] = (),
        deny: Sequence[Rule] = (),
        user_home: Path | None = None,
    ) -> None:
        self.workspace = os.path.realpath(workspace)
        self.user_home = os.path.realpath(user_home or os.path.expanduser("~"))
        self.mode: Mode = parse_mode(mode)
        self._rules: dict[RuleKind, list[_Compiled]] = {
            "deny": [self._compile(r) for r in deny],
            "ask": [self._compile(r) for r in ask],
            "allow": [self._compile(r) for r in allow],
        }

    # public surface ------------------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        self.mode = parse_mode(mode)

    def rules(self, kind: RuleKind) -> tuple[Rule, ...]:
        return tuple(c.rule for c in self._rules[kind])

    def allow_for_session(self, rule: str) -> None:
        """Allow ``rule`` (e.g. ``Bash(npm test:*)``) for the rest of this session."""
        self.add_session_rule("allow", rule)

    def add_session_rule(self, kind: RuleKind, rule: str) -> Rule:
        """Add an allow, ask or deny ``rule`` for the rest of this session; return it parsed.

        Precedence is unchanged (deny, then ask, then allow), so a session rule can narrow
        what settings allow but an allow rule never overrides a deny or ask rule.
        """
        parsed = Rule.parse(rule, "session")
        self._rules[kind].append(self._compile(parsed))
        return parsed

    def decide(self, request: PermissionRequest) -> Decision:
        if request.tool_name == "Bash":
            command = request.command
            if command is None:
                command = str(request.tool_input.get("command", ""))
            return self._decide_bash(command)
        return self._decide_tool(request)

    def protected_reason(self, path: str) -> str | None:
        """Why writing real path ``path`` always needs an explicit yes, or None."""
        name = os.path.basename(path)
        if name in PROTECTED_FILES:
            return f"{path} is a protected file ({name})"
        if not _within(self.workspace, path):
            return f"{path} is outside the workspace {self.workspace}"
        links = _hard_links(path)
        if links > 1:
            return (
                f"{path} has {links} hard links, so writing it in place also changes a file "
                "that may be outside the workspace"
            )
        return _protected_name(os.path.relpath(path, self.workspace), path)

    # plumbing ------------------------------------------------------------------------------

    def _compile(self, rule: Rule) -> _Compiled:
        bash = BashPattern.compile(rule.specifier) if rule.tool == "Bash" else None
        path = None
        if rule.specifier is not None and _is_path_rule(rule.tool):
            path = PathPattern.compile(rule.specifier, self.workspace, self.user_home)
        return _Compiled(rule, bash, path)

    def _decision(self, behavior: Behavior, reason: str, hit: _Compiled | None = None) -> Decision:
        rule, source = (hit.rule.text, hit.rule.source) if hit is not None else (None, "builtin")
        if behavior == "ask" and self.mode == "dontAsk":
            reason = f"{reason} (dontAsk mode denies what would need a yes)"
            return Decision("deny", reason, rule, source)
        return Decision(behavior, reason, rule, source)

    def _mode_decision(self, behavior: Behavior, reason: str) -> Decision:
        decision = self._decision(behavior, reason)
        return Decision(decision.behavior, decision.reason, None, f"mode:{self.mode}")

    # non-Bash tools --------------------------------------------------------------------------

    def _decide_tool(self, request: PermissionRequest) -> Decision:
        tool = request.tool_name
        real = self._real_paths(request)
        lexical = self._lexical_paths(request)
        hit = self._path_rule("deny", request, real + lexical, every=False)
        if hit is not None:
            return self._decision("deny", f"{tool} is denied by {hit.rule.text}", hit)
        if never_asks(request.kind, request.read_only):
            return self._decide_read_only(request, real)
        if self.mode == "plan" and not _plan_may_ask(request):
            return self._mode_decision("deny", f"plan mode: {tool} would change something")
        hit = self._path_rule("ask", request, real + lexical, every=False)
        if hit is not None:
            return self._decision("ask", f"{hit.rule.text} asks before {tool}", hit)
        protected = self._first_protected(real, lexical)
        if protected is not None:
            return self._decision("ask", f"{tool}: {protected}; protected paths need a yes")
        hit = self._path_rule("allow", request, real, every=True)
        if hit is not None:
            return self._decision("allow", f"{tool} is allowed by {hit.rule.text}", hit)
        return self._tool_mode_default(request, real)

    def _decide_read_only(self, request: PermissionRequest, real: tuple[str, ...]) -> Decision:
        tool = request.tool_name
        hit = self._path_rule("ask", request, real, every=False)
        if hit is not None:
            return self._decision("ask", f"{hit.rule.text} asks before {tool}", hit)
        hit = self._path_rule("allow", request, real, every=True)
        if hit is not None and hit.rule.specifier is not None:
            return self._decision("allow", f"{tool} is allowed by {hit.rule.text}", hit)
        outside = [p for p in real if not _within(self.workspace, p)]
        if outside:
            return self._decision(
                "deny",
                f"{tool}: {outside[0]} is outside the workspace {self.workspace}; "
                "only paths inside it can be read",
            )
        return self._decision("allow", f"{tool} is read-only")

    def _tool_mode_default(self, request: PermissionRequest, real: tuple[str, ...]) -> Decision:
        tool = request.tool_name
        if self.mode == "bypassPermissions":
            return self._mode_decision("allow", f"bypassPermissions mode allows {tool}")
        if self.mode == "acceptEdits" and request.kind == "edit" and real:
            return self._mode_decision("allow", f"acceptEdits mode allows {tool} in the workspace")
        if self.mode == "dontAsk":
            return self._mode_decision("deny", f"dontAsk mode: no allow rule covers {tool}")
        return self._mode_decision("ask", f"{tool} needs approval in {self.mode} mode")

    def _real_paths(self, request: PermissionRequest) -> tuple[str, ...]:
        if request.paths:
            return tuple(os.path.realpath(p) for p in request.paths)
        return tuple(os.path.realpath(p) for p in self._lexical_paths(request))

    def _lexical_paths(self, request: PermissionRequest) -> tuple[str, ...]:
        found: list[str] = []
        for key in _PATH_INPUT_KEYS:
            raw = request.tool_input.get(key)
            if isinstance(raw, str) and raw.strip() and "\x00" not in raw:
                found.append(self._absolute(raw.strip(), self.workspace))
        return tuple(found)

    def _absolute(self, raw: str, base: str) -> str:
        return os.path.normpath(os.path.join(base, self._expand_home(raw)))

    def _expand_home(self, raw: str) -> str:
        for alias in ("~", "$HOME", "${HOME}"):
            if raw == alias or raw.startswith(alias + "/"):
                return self.user_home + raw[len(alias) :]
        return raw

    def _first_protected(self, real: Sequence[str], lexical: Sequence[str]) -> str | None:
        for path in real:
            reason = self.protected_reason(path)
            if reason is not None:
                return reason
        for path in lexical:
            # The name as written counts too: `.devagent` may be a symlink to a plain folder.
            if _within(self.workspace, path):
                reason = _protected_name(os.path.relpath(path, self.workspace), path)
                if reason is not None:
                    return reason
        return None

    def _path_rule(
        self, kind: RuleKind, request: PermissionRequest, paths: Sequence[str], *, every: bool
    ) -> _Compiled | None:
        if not paths and request.kind == "read":
            paths = (self.workspace,)
        for compiled in self._rules[kind]:
            rule = compiled.rule
            if not _rule_covers(rule.tool, request) or rule.tool == "Bash":
                continue
            if rule.specifier is None:
                return compiled
            if compiled.path is not None:
                hits = [compiled.path.matches(p) for p in paths]
                if hits and (all(hits) if every else any(hits)):
                    return compiled
            elif _input_matches(rule.specifier, request.tool_input):
                return compiled
        return None

    # Bash ------------------------------------------------------------------------------------

    def _decide_bash(self, command: str) -> Decision:
        analysis = analyze(command)
        if analysis.over_limit:
            return self._decision("deny", f"Bash: {analysis.problems[0]}; refused unread")
        hit = self._bash_rule("deny", analysis)
        if hit is not None:
            return self._decision("deny", f"Bash is denied by {hit.rule.text}", hit)
        if self.mode == "plan":
            return self._mode_decision("deny", "plan mode: Bash commands do not run")
        unproven = self._unproven("deny", analysis) or self._unproven("ask", analysis)
        if unproven is not None:
            return unproven
        hit = self._bash_rule("ask", analysis)
        if hit is not None:
            return self._decision("ask", f"{hit.rule.text} asks before this command", hit)
        concern = self._bash_path_concern(analysis)
        if concern is not None:
            return concern
        if analysis.unreadable or not analysis.subcommands:
            why = "; ".join(analysis.problems[:3]) or "the command is empty"
            return self._decision("ask", f"Bash: it cannot be checked reliably: {why}")
        if self.mode == "bypassPermissions":
            return self._mode_decision("allow", "bypassPermissions mode allows Bash")
        if analysis.problems:
            why = "; ".join(analysis.problems[:3])
            return self._decision("ask", f"Bash: the command uses {why}, which no rule can cover")
        return self._bash_allow(analysis)

    def _bash_rule(self, kind: RuleKind, analysis: BashAnalysis) -> _Compiled | None:
        for compiled in self._rules[kind]:
            if compiled.rule.tool != "Bash" or compiled.bash is None:
                continue
            pattern = compiled.bash
            if pattern.matches_raw(analysis.command):
                return compiled
            for sub in analysis.subcommands:
                if any(pattern.matches_argv(f, lenient=True) for f in _deny_forms(sub)):
                    return compiled
        return None

    def _unproven(self, kind: RuleKind, analysis: BashAnalysis) -> Decision | None:
        """Ask when a deny (or ask) rule could match what the analysis cannot read.

        Deny wins in every mode, so a command whose program is only known at run time, or
        that hands its arguments to something unknown, is never let through on the
        assumption that the rule does not apply.
        """
        rules = [c for c in self._rules[kind] if c.rule.tool == "Bash" and c.bash is not None]
        if not rules:
            return None
        if analysis.opaque:
            hit = rules[0]
            why = f"Bash: {analysis.opaque[0]}, so {hit.rule.text} could match what it runs"
            return self._decision("ask", why, hit)
        for sub in analysis.subcommands:
            if sub.derived or is_known(sub.argv[0]):
                continue
            for hit in rules:
                assert hit.bash is not None
                if _may_run(sub.argv, hit.bash):
                    shown = display_argv(sub.argv[:1])
                    why = f"Bash: {shown} may run its arguments as a command, which {hit.rule.text}"
                    return self._decision("ask", f"{why} would match", hit)
        return None

    def _bash_allow(self, analysis: BashAnalysis) -> Decision:
        used: list[_Compiled] = []
        for sub in analysis.subcommands:
            if sub.derived:
                continue  # run by a judged program: allowed only with the program's exact rule
            hit = self._sub_allow(sub)
            if hit is None:
                shown = display_argv(sub.written)
                why = _sub_blocker(sub)
                if self.mode == "dontAsk":
                    return self._mode_decision("deny", f"dontAsk mode: {why} ({shown})")
                return self._mode_decision("ask", f"Bash: {why}: {shown}")
            if hit.rule.source != "builtin":
                used.append(hit)
        texts = list(dict.fromkeys(c.rule.text for c in used))
        sources = list(dict.fromkeys(c.rule.source for c in used))
        return Decision(
            "allow",
            f"every sub-command is allowed ({', '.join(texts) or 'cd inside the workspace'})",
            ", ".join(texts) or None,
            ", ".join(sources) or "builtin",
        )

    def _sub_allow(self, sub: SubCommand) -> _Compiled | None:
        if sub.blockers:
            return None
        if sub.argv[:1] == ("cd",) and len(sub.argv) == 2 and not sub.wrappers:
            # The path check already asked for cd into protected or outside places.
            return _Compiled(Rule("Bash", "cd:*", "builtin"), None, None)
        for compiled in self._rules["allow"]:
            if compiled.rule.tool != "Bash" or compiled.bash is None:
                continue
            exact = compiled.is_exact or compiled.bash.kind == "any"
            if (sub.dangerous is not None or sub.opaque is not None) and not exact:
                continue
            if not compiled.bash.matches_argv(sub.argv):
                continue
            if sub.indirect and not self._written_allowed(sub):
                continue
            return compiled
        return None

    def _written_allowed(self, sub: SubCommand) -> bool:
        return any(
            c.rule.tool == "Bash" and c.bash is not None and c.bash.matches_argv(sub.written)
            for c in self._rules["allow"]
        )

    def _bash_path_concern(self, analysis: BashAnalysis) -> Decision | None:
        for sub in analysis.subcommands:
            if sub.cwds is None:
                return self._decision(
                    "ask", "Bash: after `cd -`, `popd` or `cd $VAR` the directory is unknown"
                )
            for arg in _path_args(sub):
                found = self._arg_concern(arg, sub.cwds)
                if found is not None:
                    return found
        return None

    def _arg_concern(self, arg: str, cwds: Sequence[str]) -> Decision | None:
        if "\x00" in arg:
            return None  # the command is already unreadable; realpath cannot take it
        candidates = [self._arg_paths(arg, cwd) for cwd in cwds]
        for real, lexical in candidates:
            hit = self._denied_path(real, lexical)
            if hit is not None:
                return self._decision(
                    "ask",
                    f"Bash mentions {arg}, which {hit.rule.text} denies; deny rules on "
                    "Read/Edit only govern devagent's own tools and do not cover Bash",
                    hit,
                )
        for real, lexical in candidates:
            if lexical in _HARMLESS_PATHS or not _may_name_a_file(arg, lexical):
                continue
            reason = self.protected_reason(real) or self._lexical_protected(lexical)
            if reason is not None:
                return self._decision("ask", f"Bash: {reason}; protected paths need a yes")
        return None

    def _arg_paths(self, arg: str, cwd: str) -> tuple[str, str]:
        base = self._absolute(cwd, self.workspace) if cwd else self.workspace
        lexical = self._absolute(arg, base)
        return os.path.realpath(lexical), lexical

    def _lexical_protected(self, lexical: str) -> str | None:
        if not _within(self.workspace, lexical):
            return None
        return _protected_name(os.path.relpath(lexical, self.workspace), lexical)

    def _denied_path(self, real: str, lexical: str) -> _Compiled | None:
        for compiled in self._rules["deny"]:
            if compiled.path is not None and (
                compiled.path.matches(real) or compiled.path.matches(lexical)
            ):
                return compiled
        return None


# --- helpers ----------------------------------------------------------------------------------


def _hard_links(path: str) -> int:
    """How many names a regular file has (0 when it does not exist or is not a file).

    A hard link is not a symlink: ``realpath`` cannot see that ``ws/f`` and ``/etc/f`` are
    one file, and an in-place write through either changes both.
    """
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return 0
    return info.st_nlink if stat.S_ISREG(info.st_mode) else 0


def _within(root: str, path: str) -> bool:
    try:
        return os.path.commonpath([root, path]) == root
    except ValueError:
        return False


def _protected_name(rel: str, shown: str) -> str | None:
    parts = [p for p in rel.split(os.sep) if p not in ("", ".")]
    for part in parts:
        if part in PROTECTED_DIRS:
            return f"{shown} is inside {part}/, which is protected"
    if parts and parts[-1] in PROTECTED_FILES:
        return f"{shown} is a protected file ({parts[-1]})"
    return None


def _deny_forms(sub: SubCommand) -> Iterable[tuple[str, ...]]:
    for form in sub.forms:
        yield form
        if form and "/" in form[0]:
            # `/bin/rm -rf x` must meet a deny rule written for `rm`.
            yield (os.path.basename(form[0]), *form[1:])


def _path_args(sub: SubCommand) -> Iterable[str]:
    """Arguments that may name files: operands, and the values of ``--opt=value``."""
    seen: set[str] = set()
    for form in sub.forms:
        for arg in form[1:]:
            value = arg.split("=", 1)[1] if arg.startswith("-") and "=" in arg else arg
            if value and not value.startswith("-") and value not in seen:
                seen.add(value)
                yield value


def _may_name_a_file(arg: str, lexical: str) -> bool:
    """False for absolute-looking words whose first directory does not exist (``/x/p`` as a
    sed script), so they do not count as paths outside the workspace."""
    if not arg.startswith("/"):
        return True
    top = "/" + lexical.lstrip("/").split("/", 1)[0]
    try:
        os.path.realpath(top, strict=True)
    except OSError:
        return False
    return True


def _may_run(argv: Sequence[str], pattern: BashPattern) -> bool:
    """Whether an unknown program could run what ``pattern`` matches from its arguments:
    a tail of them (``chrt 10 rm -rf x``) or one argument read as a command line
    (``foo -c 'rm -rf x'``)."""
    tails = [tuple(argv[i:]) for i in range(1, len(argv))]
    for arg in argv[1:]:
        if any(ch.isspace() for ch in arg):
            tails.append(_split_words(arg) or tuple(arg.split()))
    for tail in tails:
        if not tail:
            continue
        forms = [tail, (os.path.basename(tail[0]), *tail[1:])]
        if any(pattern.matches_argv(f, lenient=True) for f in forms):
            return True
    return False


def _sub_blocker(sub: SubCommand) -> str:
    if sub.blockers:
        return sub.blockers[0]
    if sub.opaque is not None:
        return f"{sub.opaque}; no prefix rule can cover it"
    if sub.dangerous is not None:
        return f"{sub.dangerous}; only an exact Bash(...) rule covers it"
    if sub.indirect:
        return f"no allow rule covers it as written (it runs through {sub.wrappers[0]})"
    return "no allow rule matches"

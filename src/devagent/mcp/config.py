"""MCP server definitions, read in place from Claude Code's files.

Sources, lowest first (a later one wins on a name): the user's ``$DEVAGENT_HOME/mcp.json``,
the project's ``.mcp.json`` at the workspace root, then each ``--mcp-config FILE`` in order;
``--strict-mcp-config`` keeps only the flag files. Every file is
``{"mcpServers": {NAME: ENTRY}}`` where ENTRY is ``{"command", "args", "env"}`` (``"type":
"stdio"`` optional), or ``{"type": "http"|"sse", "url", "headers"}``. ``${VAR}`` and
``${VAR:-default}`` are expanded in command, args, env, url and headers.

A file that is not valid JSON, or whose shape is wrong, is a ``ConfigProblem`` naming
``file:line:col``; the other files still load. An entry whose variables cannot be expanded
keeps its place with ``problem`` set, so it shows as failed instead of vanishing.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from devagent.fsutil import JSONFileError, read_json_object, replace_file

Scope = Literal["user", "project", "flag"]
Transport = Literal["stdio", "http", "sse"]
TRANSPORTS: tuple[Transport, ...] = ("stdio", "http", "sse")
PROJECT_FILE = ".mcp.json"
USER_FILE = "mcp.json"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class ServerSpec:
    """One configured server, its variables expanded. ``raw`` is the entry as written."""

    name: str
    scope: Scope
    source: Path
    transport: Transport
    command: str = ""
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    url: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)
    problem: str | None = None

    def target(self) -> str:
        """What the server is: its exact command line, or its URL."""
        if self.transport == "stdio":
            return shlex.join([self.command, *self.args])
        return self.url

    def shown_target(self) -> str:
        """:meth:`target` for lists and logs: secrets a ``${VAR}`` may have put there (a URL's
        password, a secret-looking query value or ``--token VALUE`` argument) are masked."""
        if self.transport == "stdio":
            return shlex.join([self.command, *_masked_args(self.args)])
        return _masked_url(self.url)

    def fingerprint(self) -> str:
        """A digest of the whole definition: approval is remembered under it, so a changed
        command, argument, variable, URL or header asks again."""
        definition = [self.transport, self.command, self.args, self.env, self.url, self.headers]
        text = json.dumps(definition, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ConfigProblem:
    """A file, or an entry in one, that could not be used: ``where`` is ``file[:line:col]``."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class LoadedServers:
    """Every server in reach (by name, in definition order) and the problems found."""

    servers: dict[str, ServerSpec] = field(default_factory=dict)
    problems: list[ConfigProblem] = field(default_factory=list)


class ExpandError(ValueError):
    """A ``${VAR}`` without a default whose variable is not set."""


def expand(text: str, env: Mapping[str, str]) -> str:
    """``text`` with ``${VAR}`` and ``${VAR:-default}`` replaced from ``env``."""

    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = env.get(name)
        if value is not None and (value or default is None):
            return value
        if default is not None:
            return default
        raise ExpandError(f"${{{name}}} is not set (write ${{{name}:-default}} for a default)")

    return _VAR.sub(one, text)


def project_file(workspace: Path) -> Path:
    return workspace / PROJECT_FILE


def user_file(home: Path) -> Path:
    return home / USER_FILE


def load_servers(
    workspace: Path,
    home: Path,
    env: Mapping[str, str],
    flag_files: Sequence[Path] = (),
    *,
    strict: bool = False,
) -> LoadedServers:
    """The servers of every source (see the module docstring)."""
    loaded = LoadedServers()
    sources: list[tuple[Path, Scope]] = [(Path(p), "flag") for p in flag_files]
    if not strict:
        sources = [(user_file(home), "user"), (project_file(workspace), "project"), *sources]
    for path, scope in sources:
        for spec in _read_file(path, scope, env, loaded.problems, required=scope == "flag"):
            loaded.servers.pop(spec.name, None)
            loaded.servers[spec.name] = spec
    return loaded


def read_entries(path: Path) -> dict[str, Any]:
    """The ``mcpServers`` object of ``path`` as written ({} when there is no file).

    Raises ``ConfigError`` naming file:line:col when the file cannot be used.
    """
    problems: list[ConfigProblem] = []
    data = _read_json(path, problems, required=False) or {}
    entries = _entries(path, data, _text(path), problems)
    if problems:
        raise ConfigError(str(problems[0]))
    return dict(entries)


class ConfigError(ValueError):
    """An MCP configuration file that cannot be used; the message names file:line:col."""


def write_entries(path: Path, entries: Mapping[str, Any]) -> None:
    """Write ``entries`` as the file's ``mcpServers``, keeping its other keys."""
    problems: list[ConfigProblem] = []
    data = _read_json(path, problems, required=False) or {}
    if problems:
        raise ConfigError(str(problems[0]))
    data["mcpServers"] = dict(entries)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))


def _read_file(
    path: Path, scope: Scope, env: Mapping[str, str], problems: list[ConfigProblem], required: bool
) -> list[ServerSpec]:
    data = _read_json(path, problems, required)
    if data is None:
        return []
    text = _text(path)
    specs = []
    for name, entry in _entries(path, data, text, problems).items():
        spec = _spec(name, entry, scope, path, env, text, problems)
        if spec is not None:
            specs.append(spec)
    return specs


def _read_json(path: Path, problems: list[ConfigProblem], required: bool) -> dict[str, Any] | None:
    try:
        data = read_json_object(path)
    except JSONFileError as exc:
        # The message starts with ``path[:line:col]: ``; keep that as where it is.
        where, _, message = str(exc).partition(": ")
        problems.append(ConfigProblem(where, message))
        return None
    if data is None and required:
        problems.append(ConfigProblem(str(path), "no such file"))
    return data


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError:
        return ""


def _where(path: Path, text: str, key: str | None) -> str:
    """``path:line:col`` of the first ``"key":`` in ``text`` (``path:1:1`` without a key)."""
    if key is None or not text:
        return f"{path}:1:1"
    match = re.search(re.escape(json.dumps(key)) + r"\s*:", text)
    if match is None:
        return f"{path}:1:1"
    line = text.count("\n", 0, match.start()) + 1
    col = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
    return f"{path}:{line}:{col}"


def _entries(
    path: Path, data: Mapping[str, Any], text: str, problems: list[ConfigProblem]
) -> dict[str, Any]:
    servers = data.get("mcpServers", {})
    if not isinstance(servers, dict):
        where = _where(path, text, "mcpServers")
        problems.append(ConfigProblem(where, '"mcpServers" must be an object of servers by name'))
        return {}
    return servers


def _spec(
    name: str,
    entry: object,
    scope: Scope,
    path: Path,
    env: Mapping[str, str],
    text: str,
    problems: list[ConfigProblem],
) -> ServerSpec | None:
    where = _where(path, text, name)
    try:
        fields = _fields(entry)
    except ValueError as exc:
        problems.append(ConfigProblem(where, f"server {name!r}: {exc}"))
        return None
    base = ServerSpec(name, scope, path, fields["transport"], raw=fields["raw"])
    try:
        return _expanded(base, fields, env)
    except ExpandError as exc:
        return ServerSpec(
            name, scope, path, base.transport, raw=base.raw, problem=f"{where}: {exc}"
        )


def _fields(entry: object) -> dict[str, Any]:
    """The entry's fields, checked; ``ValueError`` says what is wrong."""
    if not isinstance(entry, dict):
        raise ValueError("an entry must be an object")
    kind = entry.get("type", "stdio" if "command" in entry else None)
    if kind not in TRANSPORTS:
        raise ValueError(
            f'"type" must be one of {", ".join(TRANSPORTS)} (got {kind!r}); '
            'a stdio server needs "command"'
        )
    fields: dict[str, Any] = {"transport": kind, "raw": dict(entry)}
    if kind == "stdio":
        fields["command"] = _string(entry, "command", required=True)
        fields["args"] = _strings(entry.get("args", []), "args")
        fields["env"] = _mapping(entry.get("env", {}), "env")
    else:
        fields["url"] = _string(entry, "url", required=True)
        fields["headers"] = _mapping(entry.get("headers", {}), "headers")
    return fields


def _string(entry: Mapping[str, Any], key: str, *, required: bool) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f'"{key}" must be a non-empty string')
    return value


def _strings(value: object, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f'"{key}" must be a list of strings')
    return list(value)


def _mapping(value: object, key: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f'"{key}" must be an object of string values')
    return dict(value)


def _expanded(base: ServerSpec, fields: Mapping[str, Any], env: Mapping[str, str]) -> ServerSpec:
    def pairs(values: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
        return tuple((k, expand(v, env)) for k, v in values.items())

    if base.transport == "stdio":
        return ServerSpec(
            base.name,
            base.scope,
            base.source,
            "stdio",
            command=expand(fields["command"], env),
            args=tuple(expand(a, env) for a in fields["args"]),
            env=pairs(fields["env"]),
            raw=base.raw,
        )
    return ServerSpec(
        base.name,
        base.scope,
        base.source,
        base.transport,
        url=expand(fields["url"], env),
        headers=pairs(fields["headers"]),
        raw=base.raw,
    )


_SECRET_NAME = re.compile(r"key|token|secret|passw|auth|sig|credential", re.IGNORECASE)
MASK = "***"


def _masked_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username or ''}:{MASK}@{netloc.rpartition('@')[2]}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = parts.query
    if any(_SECRET_NAME.search(name) for name, _ in pairs):
        masked = [(n, MASK if _SECRET_NAME.search(n) else v) for n, v in pairs]
        query = urlencode(masked, safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _masked_args(args: Sequence[str]) -> list[str]:
    shown: list[str] = []
    hide_next = False
    for arg in args:
        name, eq, _value = arg.partition("=")
        if hide_next:
            shown.append(MASK)
        elif arg.startswith("-") and eq and _SECRET_NAME.search(name):
            shown.append(f"{name}={MASK}")
        else:
            shown.append(arg)
        hide_next = arg.startswith("-") and not eq and _SECRET_NAME.search(arg) is not None
    return shown

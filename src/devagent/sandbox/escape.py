"""Which commands the sandbox would certainly break, and why: they need the network, talk to a
host service over a Unix socket (docker, tmux, systemctl), or write where the sandbox keeps
things read-only.

Such a command is never auto-allowed (``sandbox.autoAllowBash``); when it is approved (by the
user at the prompt, or by an allow rule) it runs without the sandbox, and the prompt says so
first. This is a reading of the command line, not a guarantee: a program not listed here that
needs the network fails inside the sandbox with a network error, and a redirection (``> f``)
to a read-only place fails with "Read-only file system".
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence

from devagent.bashparse import SubCommand, analyze

# Programs whose every use goes over the network.
NETWORK_PROGRAMS = frozenset(
    {
        "curl",
        "wget",
        "ssh",
        "scp",
        "sftp",
        "ftp",
        "telnet",
        "nc",
        "ncat",
        "netcat",
        "socat",
        "gh",
        "http",
        "https",
        "xh",
        "ping",
        "dig",
        "nslookup",
        "host",
    }
)
# Sub-commands that fetch or publish (first non-option word after the program).
NETWORK_SUBCOMMANDS: dict[str, frozenset[str]] = {
    "git": frozenset({"clone", "fetch", "pull", "push", "ls-remote", "submodule", "remote"}),
    "npm": frozenset({"install", "i", "ci", "add", "update", "publish", "view", "info", "exec"}),
    "npx": frozenset({"*"}),
    "pnpm": frozenset({"install", "i", "add", "update", "publish", "dlx"}),
    "yarn": frozenset({"", "install", "add", "upgrade", "publish", "dlx"}),
    "pip": frozenset({"install", "download"}),
    "pip3": frozenset({"install", "download"}),
    "pipx": frozenset({"install", "run", "upgrade"}),
    "uv": frozenset({"add", "sync", "lock", "pip", "tool", "venv", "run"}),
    "uvx": frozenset({"*"}),
    "poetry": frozenset({"install", "add", "update", "lock", "publish"}),
    "cargo": frozenset({"install", "fetch", "update", "add", "publish", "search"}),
    "go": frozenset({"get", "install", "mod"}),
    "gem": frozenset({"install", "update", "push"}),
    "bundle": frozenset({"install", "update"}),
    "composer": frozenset({"install", "require", "update"}),
    "apt": frozenset({"install", "update", "upgrade", "download"}),
    "apt-get": frozenset({"install", "update", "upgrade", "download"}),
    "rsync": frozenset({"*"}),
}
# Programs that work by talking to a host service over a Unix socket, which the sandbox's
# seccomp filter refuses (``devagent.sandbox.seccomp``).
SOCKET_PROGRAMS = frozenset(
    {"docker", "podman", "systemctl", "systemd-run", "journalctl", "tmux", "screen", "ssh-add"}
)
# Programs whose operands they create, change or remove.
WRITING_PROGRAMS = frozenset(
    {
        "cp",
        "mv",
        "rm",
        "mkdir",
        "rmdir",
        "touch",
        "tee",
        "ln",
        "install",
        "chmod",
        "chown",
        "chgrp",
        "truncate",
        "shred",
        "unlink",
    }
)

Writable = Callable[[str], bool]


def escape_reason(command: str, *, network: bool, writable: Writable, workspace: str) -> str | None:
    """Why ``command`` cannot run in the sandbox as configured, or None if it can.

    ``network``: whether the sandbox has the network; ``writable(real_path)``: whether it may
    write there; relative paths are read from ``workspace`` (and the ``cd``s before them).
    """
    analysis = analyze(command)
    for sub in analysis.subcommands:
        service = os.path.basename(sub.argv[0]) if sub.argv else ""
        if service in SOCKET_PROGRAMS:
            return (
                f"talks to a host service over a Unix socket ({service}), which the sandbox blocks"
            )
        if not network:
            program = _network_program(sub.argv)
            if program is not None:
                return f"needs the network ({program}), which the sandbox blocks"
        target = _read_only_target(sub, writable, workspace)
        if target is not None:
            return f"writes {target}, which the sandbox keeps read-only"
    return None


def _network_program(argv: Sequence[str]) -> str | None:
    if not argv:
        return None
    name = os.path.basename(argv[0])
    rest = list(argv[1:])
    if name.startswith("python") and rest[:1] == ["-m"] and len(rest) > 1:
        name, rest = rest[1], rest[2:]
    if name in NETWORK_PROGRAMS:
        return name
    verbs = NETWORK_SUBCOMMANDS.get(name)
    if verbs is None:
        return None
    verb = next((word for word in rest if not word.startswith("-")), "")
    if "*" in verbs or verb in verbs:
        return " ".join(w for w in (name, verb) if w)
    return None


def _read_only_target(sub: SubCommand, writable: Writable, workspace: str) -> str | None:
    if not sub.argv or os.path.basename(sub.argv[0]) not in WRITING_PROGRAMS:
        return None
    for cwd in sub.cwds or ("",):
        base = os.path.normpath(os.path.join(workspace, cwd))
        for arg in _operands(sub.argv[1:]):
            lexical = os.path.normpath(os.path.join(base, os.path.expanduser(arg)))
            if lexical == "/dev/null":
                continue
            if not writable(os.path.realpath(lexical)):
                return arg
    return None


def _operands(args: Iterable[str]) -> Iterable[str]:
    options_done = False
    for arg in args:
        if arg == "--" and not options_done:
            options_done = True
        elif options_done or not arg.startswith("-"):
            yield arg

"""Programs that run another command, and where in their arguments that command starts.

``peel(argv)`` reads one wrapper (``env``, ``sudo``, ``timeout``, ``flock``, ``taskset``,
``coproc`` …) with its option table and returns what it runs: an argv, or a shell script
(``flock -c``, ``su -c``, ``sudo -s``, ``watch``), or that it reads commands from standard
input (``nsenter`` or ``script`` with no command starts an interactive shell). Wrappers not
in the table are caught by the engine's fallback: a deny rule that matches the tail of an
unknown program's arguments still asks.

Shells themselves (``bash``, ``sh`` …) are read by ``shell_invocation``: ``-c`` takes the
first operand after all options (``bash -c -x 'cmd'``, ``bash -c -- 'cmd'``), ``-s``, ``-``
or no operand mean the script comes from standard input.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from devagent.safety.options import OptionSpec, Parsed, long_table, parse, short_table

_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "mksh", "ash", "fish", "rbash"})
_STDIN_FILES = frozenset({"-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"})


@dataclass(frozen=True)
class Wrapper:
    """How one wrapper reads its arguments.

    ``before`` counts operands before the command (``timeout DURATION``, ``flock FILE``);
    ``script`` names options whose value is a shell script; ``shell`` options turn the
    remaining words into a script run by a shell; ``no_command`` options mean nothing is
    run (``taskset -p PID``); ``unclear`` options change the directory or program in ways
    the analysis cannot follow; ``assigns`` reads ``NAME=value`` words before the command;
    ``indirect`` marks wrappers that change who or how the command runs.
    """

    spec: OptionSpec
    before: int = 0
    script: tuple[str, ...] = ()
    shell: tuple[str, ...] = ()
    no_command: tuple[str, ...] = ()
    unclear: tuple[str, ...] = ()
    assigns: bool = False
    indirect: bool = False
    joins: bool = False
    bare_is_shell: bool = False


def _spec(flags: str = "", required: str = "", optional: str = "", long: str = "") -> OptionSpec:
    return OptionSpec(short_table(flags, required, optional), long_table(long), permute=False)


WRAPPERS: dict[str, Wrapper] = {
    "env": Wrapper(
        _spec(
            "i0v",
            "uCS",
            long="ignore-environment null unset= chdir= split-string= debug help version "
            "block-signal? default-signal? ignore-signal? list-signal-handling",
        ),
        unclear=("-C", "--chdir"),
        assigns=True,
    ),
    "sudo": Wrapper(
        _spec(
            "AbEeHiKklnPSsVv",
            "ugpCrtUDhTR",
            long="user= group= prompt= close-from= role= type= other-user= chdir= host= "
            "command-timeout= chroot= askpass background preserve-env? edit set-home login "
            "remove-timestamp reset-timestamp list non-interactive preserve-groups stdin shell "
            "validate version help",
        ),
        shell=("-s", "--shell", "-i", "--login"),
        no_command=("-e", "--edit", "-l", "--list", "-v", "--validate", "-k", "-K"),
        unclear=("-D", "--chdir", "-R", "--chroot"),
        assigns=True,
        indirect=True,
        bare_is_shell=False,
    ),
    "doas": Wrapper(_spec("nsL", "uC"), shell=("-s",), indirect=True),
    "pkexec": Wrapper(_spec(long="user= disable-internal-agent help version"), indirect=True),
    "timeout": Wrapper(
        _spec("vf", "sk", long="signal= kill-after= preserve-status foreground verbose"),
        before=1,
    ),
    "nice": Wrapper(_spec("", "n", long="adjustment=")),
    "ionice": Wrapper(
        _spec("t", "cnpPu", long="class= classdata= pid= pgid= uid= ignore"),
        no_command=("-p", "--pid", "-P", "--pgid", "-u", "--uid"),
    ),
    "setsid": Wrapper(_spec("cfw", long="ctty fork wait"), indirect=True),
    "nohup": Wrapper(_spec()),
    "watch": Wrapper(
        _spec(
            "gtbecxpwfr",
            "nq",
            "d",
            long="interval= differences? chgexit equexit= exec errexit beep color no-color "
            "no-title no-wrap no-linewrap precise",
        ),
        indirect=True,
        joins=True,
    ),
    "xargs": Wrapper(
        _spec(
            "0oprtx",
            "adEILnPs",
            "eil",
            long="null arg-file= delimiter= eof? replace? max-lines? max-args= open-tty "
            "max-procs= interactive process-slot-var= no-run-if-empty max-chars= verbose exit "
            "show-limits",
        ),
        indirect=True,
    ),
    "stdbuf": Wrapper(_spec("", "ioe", long="input= output= error=")),
    "time": Wrapper(_spec("pvaq", "fo", long="format= output= portability verbose append quiet")),
    "command": Wrapper(_spec("pvV"), no_command=("-v", "-V")),
    "builtin": Wrapper(_spec()),
    "exec": Wrapper(_spec("cl", "a")),
    "flock": Wrapper(
        _spec(
            "sxenuoFhV",
            "Ewc",
            long="shared exclusive unlock nonblock nb close no-fork timeout= wait= "
            "conflict-exit-code= command= verbose",
        ),
        before=1,
        script=("-c", "--command"),
    ),
    "taskset": Wrapper(_spec("apchV", long="all-tasks pid cpu-list"), before=1, no_command=("-p",)),
    "chrt": Wrapper(
        _spec(
            "abdfiormRvhV",
            "TPD",
            long="all-tasks batch deadline fifo idle other rr "
            "reset-on-fork max verbose sched-runtime= sched-period= sched-deadline= pid",
        ),
        before=1,
        no_command=("-p", "--pid", "-m", "--max"),
    ),
    "nsenter": Wrapper(_spec("aFZ", "tSGwW", "muinpUCTr"), bare_is_shell=True, indirect=True),
    "unshare": Wrapper(
        _spec(
            "muinpUCTrcfl",
            "SGRw",
            long="fork mount-proc? map-root-user map-current-user "
            "kill-child? propagation= setgroups= root= wd= setuid= setgid= boottime= "
            "monotonic= map-user= map-group= map-users= map-groups= map-auto mount? uts? "
            "ipc? net? pid? user? cgroup? time?",
        ),
        bare_is_shell=True,
        indirect=True,
    ),
    "chroot": Wrapper(
        _spec(long="userspec= groups= skip-chdir"), before=1, bare_is_shell=True, indirect=True
    ),
    "runuser": Wrapper(
        _spec(
            "lmpfPhV",
            "ugGcsw",
            long="user= group= supp-group= command= session-command= "
            "shell= login preserve-environment pty whitelist-environment=",
        ),
        script=("-c", "--command", "--session-command"),
        before=1,
        bare_is_shell=True,
        indirect=True,
    ),
    "su": Wrapper(
        _spec(
            "lmpfPhV",
            "gGcsw",
            long="group= supp-group= command= session-command= shell= "
            "login preserve-environment pty whitelist-environment=",
        ),
        script=("-c", "--command", "--session-command"),
        indirect=True,
    ),
    "setpriv": Wrapper(
        _spec(
            "d",
            long="dump no-new-privs reuid= regid= ruid= rgid= euid= egid= clear-groups "
            "keep-groups init-groups groups= inh-caps= ambient-caps= bounding-set= "
            "securebits= pdeathsig= selinux-label= apparmor-profile= landlock-access= "
            "landlock-rule= reset-env",
        ),
        indirect=True,
    ),
    "prlimit": Wrapper(
        _spec(
            "hV",
            "p",
            "cdefilmnqrstuvxy",
            long="pid= output= noheadings raw verbose "
            "as? core? cpu? data? fsize? locks? memlock? msgqueue? nice? nofile? nproc? "
            "rss? rtprio? rttime? sigpending? stack?",
        ),
        no_command=("-p", "--pid"),
    ),
    "numactl": Wrapper(_spec("alsHb", "mNCipP")),
    "strace": Wrapper(_spec("cCdDfFhiknqrtTvVwxyYzZ", "abeEIoOpPsSuXU"), indirect=True),
    "ltrace": Wrapper(_spec("cCfhiLrStTV", "aAbDelnopsSuwx"), indirect=True),
    "catchsegv": Wrapper(_spec()),
    "fakeroot": Wrapper(_spec("uh", "lfsib"), unclear=("-f", "-l"), indirect=True),
    "busybox": Wrapper(_spec()),
    "toybox": Wrapper(_spec()),
    "script": Wrapper(
        _spec(
            "aefqhV",
            "cTBIOmE",
            "t",
            long="append command= echo= return flush force quiet "
            "timing? log-in= log-out= log-io= log-timing= logging-format=",
        ),
        script=("-c", "--command"),
        before=1,
        bare_is_shell=True,
    ),
    "sg": Wrapper(_spec(), before=1, joins=True, indirect=True),
}


@dataclass(frozen=True)
class Peel:
    """What one wrapper runs: ``inner`` argv, a shell ``script``, or stdin (``reads_stdin``)."""

    name: str
    inner: tuple[str, ...] = ()
    script: str | None = None
    reads_stdin: bool = False
    assigned: tuple[str, ...] = ()
    unclear: str | None = None
    indirect: bool = False
    parsed: Parsed | None = field(default=None, compare=False)


def peel(argv: Sequence[str]) -> Peel | None:
    """One wrapper peeled off ``argv``, or None when ``argv`` is not a wrapped command."""
    if not argv:
        return None
    name = posixpath.basename(argv[0])
    if name == "coproc":
        return _coproc(argv)
    wrapper = WRAPPERS.get(name)
    if wrapper is None:
        return None
    args = list(argv[1:])
    if name == "env":
        args = _env_split(args)
    parsed = parse(args, wrapper.spec)
    return _peel_parsed(name, wrapper, parsed)


def _peel_parsed(name: str, wrapper: Wrapper, parsed: Parsed) -> Peel | None:
    if any(o.is_(*wrapper.no_command) for o in parsed.options):
        return None
    rest = list(parsed.operands)
    if name == "env" and rest[:1] == ["-"]:
        rest = rest[1:]  # `env -` is `env -i`
    if name in ("su", "runuser"):
        rest = _su_operands(rest, parsed)
    assigned: list[str] = []
    while wrapper.assigns and rest and _ASSIGNMENT.match(rest[0]):
        assigned.append(rest.pop(0).split("=", 1)[0])
    rest = rest[wrapper.before :]
    unclear = next((o.written for o in parsed.options if o.is_(*wrapper.unclear)), None)
    base = Peel(name, assigned=tuple(assigned), unclear=unclear, indirect=wrapper.indirect)
    scripts = [v for o in parsed.options if o.is_(*wrapper.script) and (v := o.value)]
    if rest[:1] in (["-c"], ["--command"]) and wrapper.script and len(rest) > 1:
        scripts.append(rest[1])  # `flock FILE -c CMD`, `sg GROUP -c CMD`
        rest = []
    if name == "sg" and rest[:1] == ["-c"]:
        rest = rest[1:]
    if scripts:
        return replace(base, script=scripts[0])
    shell = any(o.is_(*wrapper.shell) for o in parsed.options)
    if (shell or wrapper.joins) and rest:
        return replace(base, script=" ".join(rest))
    if not rest:
        if shell or wrapper.bare_is_shell:
            return replace(base, reads_stdin=True)
        return None
    return replace(base, inner=tuple(rest))


def _su_operands(rest: list[str], parsed: Parsed) -> list[str]:
    """``su - USER``: the lone dash means a login shell; ``runuser -u USER CMD`` runs CMD."""
    if parsed.has("-u", "--user"):
        return ["", *rest]  # the command starts at once; the placeholder is the user slot
    return rest[1:] if rest[:1] == ["-"] else rest


def _env_split(args: list[str]) -> list[str]:
    """``env -S 'a b'`` / ``env -S'a b'`` / ``--split-string=…``: the string becomes words."""
    out: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        value: str | None = None
        if arg in ("-S", "--split-string") and i + 1 < len(args):
            value, i = args[i + 1], i + 2
        elif arg.startswith("--split-string="):
            value, i = arg.split("=", 1)[1], i + 1
        elif arg.startswith("-S") and len(arg) > 2:
            value, i = arg[2:], i + 1
        if value is None:
            out.append(arg)
            i += 1
            if not arg.startswith("-") or arg == "--":
                out.extend(args[i:])
                return out
            continue
        try:
            out.extend(shlex.split(value))
        except ValueError:
            out.extend(value.split())
    return out


def _coproc(argv: Sequence[str]) -> Peel | None:
    """``coproc cmd``, ``coproc NAME { cmd; }``, ``coproc { cmd; }``."""
    rest = list(argv[1:])
    if len(rest) >= 2 and rest[1] in ("{", "("):
        rest = rest[2:]
    elif rest[:1] in (["{"], ["("]):
        rest = rest[1:]
    return Peel("coproc", inner=tuple(rest)) if rest else None


ShellKind = Literal["script", "file", "stdin"]


@dataclass(frozen=True)
class ShellRun:
    """What a shell invocation runs: a ``-c`` script, a script file, or standard input."""

    kind: ShellKind
    script: str | None = None


def shell_invocation(argv: Sequence[str]) -> ShellRun | None:
    """How ``argv`` (a shell) gets its commands, or None when ``argv`` is not a shell."""
    if not argv or posixpath.basename(argv[0]) not in SHELLS:
        return None
    i, command_mode, stdin_mode = 1, False, False
    while i < len(argv):
        arg = argv[i]
        if arg in ("--", "-"):
            i += 1
            break
        if arg.startswith("--"):
            name, eq, value = arg.partition("=")
            if name == "--command":
                script = value if eq else (argv[i + 1] if i + 1 < len(argv) else None)
                return ShellRun("script", script) if script is not None else ShellRun("stdin")
            i += 2 if name in ("--rcfile", "--init-file") and not eq else 1
            continue
        if not arg.startswith(("-", "+")):
            break
        letters = arg[1:]
        command_mode = command_mode or "c" in letters
        stdin_mode = stdin_mode or "s" in letters
        i += 1 + sum(1 for ch in letters if ch in "oO")
    operands = argv[i:]
    if command_mode:
        return ShellRun("script", operands[0]) if operands else ShellRun("stdin")
    if stdin_mode or not operands or operands[0] in _STDIN_FILES:
        return ShellRun("stdin")
    return ShellRun("file", operands[0])


@dataclass(frozen=True)
class BuiltinCode:
    """Code a bash builtin runs from its arguments: scripts to read, or why it cannot be."""

    scripts: tuple[str, ...] = ()
    opaque: str | None = None


_MAPFILE = OptionSpec(short_table("t", "dnOsuCc"), {}, permute=True)
_COMPGEN = OptionSpec(short_table("abcdefgjksuv", "oAGWFCXPS"), {}, permute=True)


def builtin_code(argv: Sequence[str]) -> BuiltinCode | None:
    """``trap CMD SIG``, ``alias n=CMD``, ``mapfile -C CMD``, ``compgen -C CMD``, ``source``,
    ``enable -f``, ``hash -p``: builtins whose arguments become code or change what a name
    runs. None for every other command."""
    if not argv:
        return None
    name, args = argv[0], list(argv[1:])
    if name == "trap":
        operands = [a for a in args if a not in ("-p", "-l", "--")]
        if len(operands) >= 2 and operands[0] not in ("-", ""):
            return BuiltinCode(scripts=(operands[0],))
        return None
    if name == "alias":
        return BuiltinCode(scripts=tuple(a.split("=", 1)[1] for a in args if "=" in a))
    if name in ("mapfile", "readarray", "compgen", "complete"):
        spec = _MAPFILE if name in ("mapfile", "readarray") else _COMPGEN
        scripts = tuple(parse(args, spec).values("-C"))
        return BuiltinCode(scripts=scripts) if scripts else None
    return _builtin_opaque(name, args)


def _builtin_opaque(name: str, args: list[str]) -> BuiltinCode | None:
    if name in ("source", ".") and args:
        target = args[0]
        if target in _STDIN_FILES or re.search(r"[$`]|<\(", target):
            return BuiltinCode(opaque=f"{name} runs code from standard input or another command")
        return None
    if name == "enable" and any(a.startswith("-") and "f" in a for a in args):
        return BuiltinCode(opaque="enable -f loads a shared library into bash")
    if name == "hash" and any(a.startswith("-") and "p" in a for a in args):
        return BuiltinCode(opaque="hash -p changes which program a command name runs")
    return None

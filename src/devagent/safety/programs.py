"""Per-program judgements: does this argv run code or write files beyond what its name says?

A prefix rule such as ``Bash(sed:*)`` is meant to cover reading and printing, not
``sed --in s/x/y/ f`` (``--in`` abbreviates ``--in-place``) or ``tar -I'sh -c id'``. Each
judged program's arguments are read with its real option table (``safety.options``), so
abbreviations, attached values, clusters and old-style ``tar xIf`` are seen as the program
sees them; sed scripts and awk programs are read by their own readers.

``judge`` returns a ``Judgement`` or None. ``runs`` says the program would run code; the
commands and shell scripts it would run, when they can be read, are returned so deny rules
see them; when ``runs`` is set and nothing could be extracted, the caller must treat the
command as opaque.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from devagent.safety.awkscript import awk_program_danger
from devagent.safety.options import OptionSpec, Parsed, long_table, parse, short_table
from devagent.safety.sedscript import sed_script_danger


@dataclass(frozen=True)
class Judgement:
    """Why a prefix rule cannot cover the command, and what it would run."""

    reason: str
    runs: bool
    commands: tuple[tuple[str, ...], ...] = ()
    scripts: tuple[str, ...] = ()

    @property
    def extracted(self) -> bool:
        return bool(self.commands or self.scripts)


# --- sed ----------------------------------------------------------------------------------

SED = OptionSpec(
    short=short_table("nrEsuz", required="efl", optional="i"),
    long=long_table(
        "quiet silent debug expression= file= follow-symlinks in-place? line-length= "
        "null-data zero-terminated posix regexp-extended sandbox separate unbuffered help version"
    ),
)


def _sed(args: Sequence[str]) -> Judgement | None:
    parsed = parse(args, SED)
    if parsed.has("-i", "--in-place"):
        return Judgement("sed -i / --in-place edits files in place", runs=False)
    if parsed.has("-f", "--file"):
        return Judgement("sed -f / --file reads a script that cannot be checked", runs=True)
    if any(o.name == "--sandbox" and not o.candidates for o in parsed.options):
        return None  # GNU sed refuses e, r and w in sandbox mode
    # GNU sed joins every -e script with newlines and reads the result as one script.
    scripts = parsed.values("-e", "--expression") or list(parsed.operands[:1])
    reason = sed_script_danger("\n".join(scripts))
    if reason is not None:
        return Judgement(reason, runs="runs" in reason or "cannot" in reason)
    return None


# --- awk ----------------------------------------------------------------------------------

AWK = OptionSpec(
    short=short_table("bcCghIkMnNOPrsStV", required="fvFeEilW", optional="dDLop"),
    long=long_table(
        "field-separator= assign= characters-as-bytes traditional copyright dump-variables? "
        "debug? source= exec= gen-pot help include= trace csv lint? load= bignum "
        "non-decimal-data use-lc-numeric optimize no-optimize profile? pretty-print? posix "
        "re-interval sandbox lint-old version file="
    ),
)
_AWK_LOADS = ("-f", "--file", "-E", "--exec", "-i", "--include", "-l", "--load", "-D", "--debug")
_AWK_WRITES = ("-d", "--dump-variables", "-p", "--profile", "-o", "--pretty-print")


def _awk(args: Sequence[str]) -> Judgement | None:
    parsed = parse(args, AWK)
    for opt in parsed.options:
        if opt.is_(*_AWK_LOADS):
            return Judgement(f"awk {opt.written} loads code that cannot be checked", runs=True)
        if opt.is_("-W") and any(p.strip().startswith("e") for p in (opt.value or "e").split(",")):
            return Judgement(f"awk {opt.written} loads code that cannot be checked", runs=True)
        if opt.is_(*_AWK_WRITES):
            return Judgement(f"awk {opt.written} writes a file", runs=False)
    if any(o.name in ("-S", "--sandbox") and not o.candidates for o in parsed.options):
        return None  # gawk's sandbox turns off system(), redirections and extensions
    programs = parsed.values("-e", "--source") or list(parsed.operands[:1])
    for program in programs:
        reason = awk_program_danger(program)
        if reason is not None:
            return Judgement(reason, runs="writes" not in reason)
    return None


# --- tar ----------------------------------------------------------------------------------

TAR = OptionSpec(
    short=short_table("AcdrtuxGnSkUWOmpsMBiajJzZhPlRvwo", required="gCTXfFLbHVIKN"),
    long=long_table(
        "absolute-names acls add-file= after-date= anchored append atime-preserve? "
        "auto-compress backup? block-number blocking-factor= bzip2 catenate check-device "
        "check-links checkpoint-action= checkpoint? clamp-mtime compare compress concatenate "
        "confirmation create delay-directory-restore delete dereference diff directory= "
        "exclude-backups exclude-caches exclude-caches-all exclude-caches-under exclude-from= "
        "exclude-ignore-recursive= exclude-ignore= exclude-tag-all= exclude-tag-under= "
        "exclude-tag= exclude-vcs exclude-vcs-ignores exclude= extract file= files-from= "
        "force-local format= full-time get group-map= group= gunzip gzip hard-dereference help "
        "hole-detection= ignore-case ignore-command-error ignore-failed-read ignore-zeros "
        "incremental index-file= info-script= interactive keep-directory-symlink "
        "keep-newer-files keep-old-files label= level= list listed-incremental= lzip lzma lzop "
        "mode= mtime= multi-volume new-volume-script= newer-mtime= newer= no-acls no-anchored "
        "no-auto-compress no-check-device no-delay-directory-restore no-ignore-case "
        "no-ignore-command-error no-null no-overwrite-dir no-quote-chars= no-recursion "
        "no-same-owner no-same-permissions no-seek no-selinux no-unquote "
        "no-verbatim-files-from no-wildcards no-wildcards-match-slash no-xattrs null "
        "numeric-owner occurrence? old-archive one-file-system one-top-level? overwrite "
        "overwrite-dir owner-map= owner= pax-option= portability posix preserve-order "
        "preserve-permissions quote-chars= quoting-style= read-full-records record-size= "
        "recursion recursive-unlink remove-files restrict rmt-command= rsh-command= same-order "
        "same-owner same-permissions seek selinux show-defaults show-omitted-dirs "
        "show-snapshot-field-ranges show-stored-names show-transformed-names skip-old-files "
        "sort= sparse sparse-version= starting-file= strip-components= suffix= tape-length= "
        "test-label to-command= to-stdout totals? touch transform= uncompress ungzip "
        "unlink-first unquote update usage use-compress-program= utc verbatim-files-from "
        "verbose verify version volno-file= warning= wildcards wildcards-match-slash xattrs "
        "xattrs-exclude= xattrs-include= xform= xz zstd"
    ),
)
# Options whose value tar hands to the shell as a command.
_TAR_SCRIPTS = (
    "--to-command",
    "--use-compress-program",
    "-I",
    "--info-script",
    "--new-volume-script",
    "-F",
    "--rsh-command",
    "--rmt-command",
)


def _tar_old_style(args: Sequence[str]) -> list[str]:
    """``tar xIf PROG a.tar`` as ``tar -x -I PROG -f a.tar``: letters take later arguments."""
    if not args or args[0].startswith("-"):
        return list(args)
    letters, rest = args[0], list(args[1:])
    out: list[str] = []
    for letter in letters:
        out.append(f"-{letter}")
        if TAR.short.get(letter) == "required" and rest:
            out.append(rest.pop(0))
    return out + rest


def _tar(args: Sequence[str]) -> Judgement | None:
    parsed = parse(_tar_old_style(args), TAR)
    scripts: list[str] = []
    opaque: list[str] = []
    for opt in parsed.options:
        if opt.is_(*_TAR_SCRIPTS):
            (scripts if opt.value and not opt.candidates else opaque).append(opt.value or "")
        elif opt.is_("--checkpoint-action"):
            action = opt.value or "exec="
            if "exec" in action:
                command = action.split("=", 1)[1] if action.startswith("exec=") else ""
                (scripts if command and not opt.candidates else opaque).append(command)
    if _tar_remote(parsed):
        opaque.append("remote")
    if not scripts and not opaque:
        return None
    reason = "tar runs another program (--to-command, -I, --checkpoint-action=exec, …)"
    if opaque == ["remote"] and not scripts:
        reason = "tar reads a remote archive (HOST:FILE) through rsh or ssh"
    return Judgement(reason, runs=True, scripts=tuple(scripts) if not opaque else ())


def _tar_remote(parsed: Parsed) -> bool:
    if parsed.has("--force-local"):
        return False
    return any(re.match(r"^[^/]*:", v) for v in parsed.values("-f", "--file"))


# --- git ----------------------------------------------------------------------------------

GIT_GLOBAL = OptionSpec(
    short=short_table("pPvh", required="Cc"),
    long=long_table(
        "config-env= exec-path? git-dir= work-tree= namespace= super-prefix= attr-source= "
        "list-cmds= paginate no-pager bare no-replace-objects literal-pathspecs glob-pathspecs "
        "noglob-pathspecs icase-pathspecs no-optional-locks no-lazy-fetch no-advice html-path "
        "man-path info-path version help"
    ),
    permute=False,
    abbreviate=False,
)
_GIT_GLOBAL_RISKY = ("-c", "--config-env", "--exec-path", "--git-dir", "--work-tree")
# Long options of any subcommand that run a program or write where they are told
# (git's option parser accepts any unique prefix of them).
_GIT_RISKY_LONG = (
    "upload-pack",
    "receive-pack",
    "exec",
    "output",
    "open-files-in-pager",
    "extcmd",
    "template",
    "config",
    "sendmail-cmd",
    "smtp-server",
    "to-cmd",
    "cc-cmd",
    "header-cmd",
)
_GIT_RISKY_SHORT = {
    "rebase": "x",
    "clone": "uc",
    "difftool": "x",
    "grep": "O",
    "archive": "o",
}
_GIT_RISKY_SUBCOMMANDS = {
    "filter-branch": "git filter-branch runs its filters as shell commands",
    "instaweb": "git instaweb starts a web server program",
    "daemon": "git daemon starts a server",
    "shell": "git shell runs commands",
    "upload-pack": "git upload-pack runs as a server",
    "receive-pack": "git receive-pack runs hooks as a server",
    "send-email": "git send-email runs mail programs",
    "credential": "git credential runs credential helpers",
    "web--browse": "git web--browse runs a browser program",
    "filter-repo": "git filter-repo runs Python callbacks given on its command line",
}
# Config sections whose values are programs git runs, or that point it at code or elsewhere.
_GIT_CONFIG_RISKY = re.compile(
    r"^(core|alias|filter|diff|difftool|merge|mergetool|credential|sequence|include|includeif|"
    r"gpg|ssh|pager|uploadpack|uploadarchive|receive|remote|protocol|url|tar|sendemail|browser|"
    r"web|man|instaweb|guitool|interactive|hook|submodule|safe|core)(\.|$)",
    re.IGNORECASE,
)


def _git(args: Sequence[str]) -> Judgement | None:
    parsed = parse(args, GIT_GLOBAL)
    for opt in parsed.options:
        if opt.is_(*_GIT_GLOBAL_RISKY) or (opt.unknown and opt.written.startswith("-c")):
            return Judgement(f"git {opt.written} can run commands or point git elsewhere", True)
    rest = list(parsed.operands)
    if not rest:
        return None
    sub, sub_args = rest[0], _before_pathspec(rest[1:])
    found = _git_subcommand(sub, sub_args)
    if found is not None:
        return found
    for arg in sub_args:
        risky = _git_risky_long(arg) or _git_risky_short(sub, arg)
        if risky is not None:
            return Judgement(f"git {sub} {risky} runs another program or writes files", True)
    return None


def _before_pathspec(args: Sequence[str]) -> list[str]:
    return list(args[: args.index("--")]) if "--" in args else list(args)


def _git_subcommand(sub: str, args: Sequence[str]) -> Judgement | None:
    if sub in _GIT_RISKY_SUBCOMMANDS:
        return Judgement(_GIT_RISKY_SUBCOMMANDS[sub], runs=True)
    if sub == "bisect" and args[:1] == ["run"] and len(args) > 1:
        return Judgement("git bisect run runs a command", True, commands=(tuple(args[1:]),))
    if sub == "submodule" and "foreach" in args:
        script = " ".join(args[args.index("foreach") + 1 :])
        scripts = (script,) if script and not script.startswith("-") else ()
        return Judgement("git submodule foreach runs a shell command", True, scripts=scripts)
    if sub == "hook" and args[:1] == ["run"]:
        return Judgement("git hook run runs a hook", runs=True)
    if sub == "config" and _git_config_risky(args):
        return Judgement(
            "git config on core.*, alias.*, *.cmd and similar keys can make git run commands",
            runs=True,
        )
    return None


_GIT_CONFIG_VALUED = ("-f", "--file", "--blob", "--type", "--default", "--comment", "--value")
_GIT_CONFIG_WRITES = (
    "--add",
    "--replace-all",
    "--unset",
    "--unset-all",
    "--rename-section",
    "--remove-section",
    "--edit",
    "-e",
)


def _git_config_writes(args: Sequence[str]) -> bool:
    """``git config KEY`` and ``--get``/``--list`` only read; a value or a write option writes."""
    operands: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _GIT_CONFIG_VALUED:
            skip = True
        elif any(arg == w or _prefix_of(arg, w) for w in _GIT_CONFIG_WRITES):
            return True
        elif not arg.startswith("-"):
            operands.append(arg)
    if operands[:1] in (["set"], ["unset"], ["rename-section"], ["remove-section"], ["edit"]):
        return True
    return len(operands) >= 2 and operands[0] not in ("get", "list")


def _git_config_risky(args: Sequence[str]) -> bool:
    if not _git_config_writes(args):
        return False
    for arg in args:
        if arg in ("-e", "--edit", "edit") or _prefix_of(arg, "--edit"):
            return True
        value = arg.split("=", 1)[1] if arg.startswith("--") and "=" in arg else arg
        if _GIT_CONFIG_RISKY.match(value):
            return True
    return False


def _git_risky_long(arg: str) -> str | None:
    if not arg.startswith("--") or arg == "--":
        return None
    name = arg[2:].split("=", 1)[0]
    for risky in _GIT_RISKY_LONG:
        if name and risky.startswith(name):
            return f"--{risky}"
    return None


def _git_risky_short(sub: str, arg: str) -> str | None:
    letters = _GIT_RISKY_SHORT.get(sub, "")
    if not letters or not arg.startswith("-") or arg.startswith("--"):
        return None
    hit = next((ch for ch in arg[1:] if ch in letters), None)
    return f"-{hit}" if hit else None


def _prefix_of(arg: str, option: str) -> bool:
    name = arg.split("=", 1)[0]
    return len(name) > 2 and option.startswith(name)


# --- find and fd --------------------------------------------------------------------------

_FIND_EXEC = ("-exec", "-execdir", "-ok", "-okdir")
_FIND_WRITES = ("-delete", "-fls", "-fprint", "-fprint0", "-fprintf")


def _find(args: Sequence[str]) -> Judgement | None:
    commands = _exec_commands(args, _FIND_EXEC)
    for arg in args:
        if arg in _FIND_EXEC:
            return Judgement(f"find {arg} runs commands", True, commands=commands)
        if arg in _FIND_WRITES:
            return Judgement(f"find {arg} changes or writes files", runs=False)
    return None


def _fd(args: Sequence[str]) -> Judgement | None:
    for i, arg in enumerate(args):
        name = arg.split("=", 1)[0]
        short = arg.startswith("-") and not arg.startswith("--") and ("x" in arg or "X" in arg)
        if _prefix_of(arg, "--exec") or _prefix_of(arg, "--exec-batch") or short:
            inner = list(args[i + 1 :])
            if "=" in arg and name.startswith("--"):
                inner = [arg.split("=", 1)[1], *inner]
            command = tuple(_until_terminator(inner))
            return Judgement(f"fd {name} runs commands", True, (command,) if command else ())
    return None


def _exec_commands(args: Sequence[str], markers: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    found: list[tuple[str, ...]] = []
    for i, arg in enumerate(args):
        if arg in markers:
            inner = tuple(_until_terminator(args[i + 1 :]))
            if inner:
                found.append(inner)
    return tuple(found)


def _until_terminator(words: Sequence[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        if word in (";", "+", "\\;"):
            break
        out.append(word)
    return out


# --- rg, sort, pagers, man ----------------------------------------------------------------


def _rg(args: Sequence[str]) -> Judgement | None:
    for arg in args:
        name = arg.split("=", 1)[0]
        if name in ("--pre", "--pre-glob", "--hostname-bin"):
            return Judgement(f"rg {name} runs a program", runs=True)
    return None


SORT = OptionSpec(
    short=short_table("bdfghiMnRrVcCmsuz", required="ktoST"),
    long=long_table(
        "ignore-leading-blanks dictionary-order ignore-case general-numeric-sort "
        "ignore-nonprinting month-sort human-numeric-sort numeric-sort random-sort "
        "random-source= reverse sort= version-sort batch-size= check? compress-program= debug "
        "files0-from= key= merge output= stable buffer-size= field-separator= "
        "temporary-directory= parallel= unique zero-terminated help version"
    ),
)


def _sort(args: Sequence[str]) -> Judgement | None:
    parsed = parse(args, SORT)
    if parsed.has("--compress-program"):
        return Judgement("sort --compress-program runs a program", runs=True)
    if parsed.has("-o", "--output"):
        return Judgement("sort -o / --output writes a file", runs=False)
    return None


_LESS_SAFE_PLUS = re.compile(r"^\+\+?(\d+[gG%pP]?|[gGF]|[/?].*)$", re.DOTALL)
_LESS_RISKY_LONG = ("log-file", "LOG-FILE", "lesskey-file", "lesskey-src", "lesskey-content")


def _less(args: Sequence[str]) -> Judgement | None:
    for arg in args:
        if arg.startswith("+") and not _LESS_SAFE_PLUS.match(arg):
            return Judgement(f"less {arg} runs less commands (`!`, `|`, editing) at start", True)
        if arg.startswith("--") and any(_prefix_of(arg, f"--{r}") for r in _LESS_RISKY_LONG):
            return Judgement(f"less {arg} writes a file or loads key bindings", runs=True)
        if arg.startswith("-") and not arg.startswith("--") and set(arg[1:]) & set("oOk"):
            return Judgement(f"less {arg} writes a file or loads key bindings", runs=True)
    return None


def _more(args: Sequence[str]) -> Judgement | None:
    for arg in args:
        if "!" in arg:
            return Judgement("a `!` in pager arguments can run shell commands", runs=True)
    return None


_MAN_RISKY_LONG = ("pager", "html", "preprocessor", "config-file", "browser")


def _man(args: Sequence[str]) -> Judgement | None:
    for arg in args:
        if arg.startswith("--") and any(_prefix_of(arg, f"--{r}") for r in _MAN_RISKY_LONG):
            return Judgement(f"man {arg} chooses a program to run", runs=True)
        if arg.startswith("-") and not arg.startswith("--") and set(arg[1:]) & set("PHpC"):
            return Judgement(f"man {arg} chooses a program to run", runs=True)
    return _more(args)


# --- build tools and package managers -------------------------------------------------------
# A prefix rule on a build or test command (``make test:*``, ``go test:*``) already runs the
# repository's own code; these options run a program named on the command line instead.

_MAKE_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*[:+?!]?=")


def _make(args: Sequence[str]) -> Judgement | None:
    for arg in args:
        if _MAKE_ASSIGNMENT.match(arg):
            return Judgement(f"make {arg.split('=', 1)[0]}= overrides what recipes run", True)
        # `--eval` adds rules no file shows; `-f FILE` reads a makefile, which is the
        # repository's own code just like the default one.
        if _prefix_of(arg, "--eval") or (arg.startswith("-E") and not arg.startswith("--")):
            return Judgement(f"make {arg} adds rules given on the command line", runs=True)
    return None


def _flag_named(args: Sequence[str], names: Sequence[str]) -> str | None:
    for arg in args:
        name = arg.split("=", 1)[0].lstrip("-")
        if arg.startswith("-") and name in names:
            return arg.split("=", 1)[0]
    return None


def _go(args: Sequence[str]) -> Judgement | None:
    flag = _flag_named(args, ("exec", "toolexec", "vettool", "overlay", "modfile"))
    return Judgement(f"go {flag} runs another program", runs=True) if flag else None


def _cargo(args: Sequence[str]) -> Judgement | None:
    flag = _flag_named(args, ("config", "Z"))
    if flag is None and any(a.startswith("-Z") for a in args):
        flag = "-Z"
    return Judgement(f"cargo {flag} can set the program it runs", runs=True) if flag else None


def _npm(args: Sequence[str]) -> Judgement | None:
    flag = _flag_named(args, ("script-shell", "node-options", "call", "c", "userconfig"))
    return Judgement(f"{flag} runs another program", runs=True) if flag else None


def _just(args: Sequence[str]) -> Judgement | None:
    flag = _flag_named(args, ("shell", "shell-arg", "command", "c", "justfile", "f"))
    return Judgement(f"just {flag} runs another program", runs=True) if flag else None


# --- the table ----------------------------------------------------------------------------

_JUDGES: dict[str, Callable[[Sequence[str]], Judgement | None]] = {
    "find": _find,
    "fd": _fd,
    "fdfind": _fd,
    "sed": _sed,
    "gsed": _sed,
    "rg": _rg,
    "git": _git,
    "awk": _awk,
    "gawk": _awk,
    "mawk": _awk,
    "nawk": _awk,
    "tar": _tar,
    "gtar": _tar,
    "sort": _sort,
    "less": _less,
    "more": _more,
    "man": _man,
    "make": _make,
    "gmake": _make,
    "go": _go,
    "cargo": _cargo,
    "npm": _npm,
    "pnpm": _npm,
    "yarn": _npm,
    "just": _just,
}

# Programs that never run their arguments as commands; anything neither here nor judged nor
# a known wrapper may (``chrt 10 rm x``), which deny rules must take into account.
DATA_PROGRAMS = frozenset(
    {
        "echo", "printf", "cat", "tac", "head", "tail", "wc", "nl", "od", "hexdump", "xxd",
        "base64", "md5sum", "sha1sum", "sha256sum", "sha512sum", "cksum", "grep", "egrep",
        "fgrep", "ls", "dir", "tree", "touch", "mkdir", "rmdir", "rm", "cp", "mv", "ln",
        "chmod", "chown", "chgrp", "stat", "file", "du", "df", "uniq", "cut", "paste", "join",
        "tr", "fold", "fmt", "column", "comm", "diff", "cmp", "basename", "dirname",
        "realpath", "readlink", "pwd", "true", "false", "test", "[", "which", "whereis",
        "type", "date", "cal", "sleep", "seq", "yes", "expr", "jq", "tee", "truncate",
        "mktemp", "id", "whoami", "uname", "hostname", "printenv", "ps", "pgrep", "kill",
        "pkill", "curl", "wget", "cd", "pushd", "popd", "export", "unset", "read",
    }
)  # fmt: skip


def judge(argv: Sequence[str]) -> Judgement | None:
    """The judgement on ``argv`` when its program is one this module understands."""
    if not argv:
        return None
    check = _JUDGES.get(posixpath.basename(argv[0]))
    return check(argv[1:]) if check is not None else None


# Judged programs whose every way of running a command is found by their judge; build
# tools are judged for their options but can also run their arguments (``npm exec rm``).
_FULLY_JUDGED = frozenset(_JUDGES) - {"make", "gmake", "go", "cargo", "npm", "pnpm", "yarn", "just"}


def is_known(name: str) -> bool:
    """Whether ``name`` never runs its arguments as a command unless its judge says so."""
    base = posixpath.basename(name)
    return base in DATA_PROGRAMS or base in _FULLY_JUDGED

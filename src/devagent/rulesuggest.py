"""The rules that "yes, and don't ask again" offers: as narrow as still means the same kind.

For WebFetch it is the URL's domain, ``WebFetch(domain:HOST)`` (``suggest_tool_rules``), so
"don't ask again" covers that host (and names under it), not the whole web. For Bash:

``suggest_bash_rules(command)`` returns one rule per distinct sub-command (a plain ``cd`` needs
none), each either a word-bounded prefix ``Bash(WORDS:*)`` or the exact command
``Bash(COMMAND)``. The prefix is always the first words of the sub-command as it runs (exec
wrappers peeled), so the rule allows the command it was made from. The policy:

- a tool with subcommands keeps the program, its global options and the subcommand
  (``git -C repo commit:*``, ``npm run test:*``, ``docker compose up:*``, ``aws s3 ls:*``);
  subcommands that run arbitrary code or destroy things (``go run``, ``cargo run``,
  ``docker run``, ``kubectl exec``, ``git config``, ``terraform apply`` …) get the exact command;
- a runner (``npx``, ``uv run``, ``poetry run``, ``pnpm exec`` …) keeps the tool it runs, and that
  tool is judged by these same rules again (``uv run pytest:*``, ``uv run python -m pytest:*``,
  ``uv run python script.py`` exact);
- ``python -m MODULE`` keeps the module like a program (``python3 -m pip install:*``); modules
  that run code given to them, open a REPL or serve files (``http.server``, ``pdb``, ``timeit``,
  ``code`` …) get the exact command;
- an interpreter or shell given a script or code gets the exact command, and none at all when it
  would read its program from standard input (``python3``, ``bash -s``, ``psql mydb``), since
  ``… | python3`` would then be allowed; no interpreter, shell, runner or wrapper is ever the whole
  prefix;
- a program named by a path (``./run.sh``) is a script: exact, unless its name is a known tool
  (``.venv/bin/python -m pytest:*``, ``./gradlew build:*``);
- programs that delete, move, fetch or run other programs (``rm``, ``curl``, ``ssh``,
  ``strace`` …) get the exact command; plain tools (``ls``, ``grep``, ``pytest``) the program;
- any other program keeps one plain word after it (``alembic upgrade:*``), else it is exact;
- options that make a tool run code (``git -c``, ``find -exec``, ``go test -exec``) mean exact;
- an exact command containing ``*`` is not offered, because a ``*`` in a specifier is a glob.

A sub-command run through ``sudo``, ``xargs`` or ``watch`` also needs its written form allowed
(the engine checks both), so it gets a second, exact, rule for that. What the parser reports
about a sub-command decides first: one with a dangerous option (``sed -i``, ``git -c``) gets the
exact command, one it cannot read (a shell fed on stdin, ``parallel``) gets no rule, and commands
a judged program runs (``find -exec rm``) need none, as the program's exact rule covers them.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from devagent.bashparse import SubCommand, analyze, display_argv
from devagent.permissions import url_host

MAX_DEPTH = 8

# --- specs ------------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class Leaf:
    """A single-purpose tool: its rule is the program (``ls:*``) unless a risky option shows."""

    risky: frozenset[str] = frozenset()
    risky_chars: str = ""


@dataclass(frozen=True)
class Tool:
    """A program whose first non-option word names what it does (``git push``).

    ``values``/``flags`` are the options allowed before the subcommand (others make the rule
    exact, since an unknown option may swallow the next word); ``groups`` are subcommands with
    subcommands of their own, ``any_group`` applies to every other one (``aws s3 ls``);
    ``runners`` run the tool named next; ``exact`` subcommands run code or destroy things.
    """

    values: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    risky: frozenset[str] = frozenset()
    risky_globals: frozenset[str] = frozenset()
    risky_in: Mapping[str, frozenset[str]] = field(default_factory=dict)
    groups: Mapping[str, Tool] = field(default_factory=dict)
    any_group: Tool | None = None
    runners: Mapping[str, Runner] = field(default_factory=dict)
    exact: frozenset[str] = frozenset()
    repl: bool = False  # run bare, it reads a program from stdin (deno, bun)
    assignments: bool = False  # VAR=value words are options (make)
    plus: bool = False  # +toolchain words are options (cargo)


@dataclass(frozen=True)
class Runner:
    """Runs the tool named after its own options (``uv run pytest``, ``npx jest``).

    ``style`` says what that name is: a ``command``, a ``package`` (``@scope/pkg@1.2``) or the
    arguments of ``python`` itself (``coverage run -m pytest``).
    """

    values: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    risky: frozenset[str] = frozenset()
    style: Style = "command"


@dataclass(frozen=True)
class Interp:
    """An interpreter or shell. ``code`` options carry a program, ``stdin`` ones make it read one
    from stdin; operand number ``script`` is the script or code (None: operands never are)."""

    values: frozenset[str] = frozenset()
    code: frozenset[str] = frozenset()
    stdin: frozenset[str] = frozenset()
    info: frozenset[str] = frozenset()
    script: int | None = 0
    module: bool = False  # understands -m MODULE (python)


Spec = Leaf | Tool | Runner | Interp | Literal["exact", "none"]
Style = Literal["command", "package", "python"]
# How much of an argv a rule keeps: the first N words (a prefix rule), all of it, or no rule.
Verdict = int | Literal["exact", "none"]

# --- interpreters and shells ----------------------------------------------------------------

PYTHON = Interp(
    values=_words("-W -X --check-hash-based-pycs"),
    code=_words("-c"),
    stdin=_words("-i"),
    info=_words("-V -VV --version -h --help"),
    module=True,
)
_NODE_LIKE = Interp(
    values=_words(
        "-r --require --import --loader --experimental-loader -C --conditions --input-type "
        "--title --inspect-port --tsconfig --project -P"
    ),
    code=_words("-e --eval -p --print"),
    stdin=_words("-i --interactive"),
    info=_words("-v --version -h --help --test --run -c --check"),
)
_SHELL = Interp(
    values=_words("-o +o -O +O --rcfile --init-file"),
    code=_words("-c -Command -command -EncodedCommand -ec"),
    stdin=_words("-s -i"),
    info=_words("--version --help"),
)
INTERPRETERS: dict[str, Interp] = {
    "python": PYTHON,
    "pypy": PYTHON,
    "node": _NODE_LIKE,
    "nodejs": _NODE_LIKE,
    "ts-node": _NODE_LIKE,
    "ts-node-esm": _NODE_LIKE,
    "tsx": _NODE_LIKE,
    "esno": _NODE_LIKE,
    "esrun": _NODE_LIKE,
    "vite-node": _NODE_LIKE,
    "babel-node": _NODE_LIKE,
    "coffee": _NODE_LIKE,
    "ruby": Interp(_words("-I -r -C -E -F"), _words("-e"), info=_words("-v --version -h")),
    "irb": Interp(code=_words("-e")),
    "perl": Interp(_words("-I -M -m"), _words("-e -E"), info=_words("-v -V -h")),
    "php": Interp(
        _words("-c -d -S -t -z"), _words("-r -B -R -F -E -f -a"), info=_words("-v -h -m -i -l")
    ),
    "lua": Interp(_words("-l"), _words("-e"), _words("-i"), _words("-v")),
    "luajit": Interp(_words("-l"), _words("-e"), _words("-i"), _words("-v")),
    "Rscript": Interp(code=_words("-e --expr"), info=_words("--version")),
    "R": Interp(code=_words("-e"), info=_words("--version")),
    "julia": Interp(_words("-t --threads -p"), _words("-e -E --eval --print"), _words("-i")),
    "java": Interp(
        _words("-cp -classpath --class-path -p --module-path --add-modules"),
        _words("-jar -m --module"),
        info=_words("-version --version -h -help -showversion"),
    ),
    "jshell": Interp(),
    "groovy": Interp(code=_words("-e")),
    "kotlin": Interp(code=_words("-e")),
    "scala": Interp(code=_words("-e")),
    "elixir": Interp(code=_words("-e --eval")),
    "iex": Interp(),
    "erl": Interp(code=_words("-eval -s -run")),
    "escript": Interp(),
    "ghci": Interp(),
    "runghc": Interp(),
    "runhaskell": Interp(),
    "ocaml": Interp(),
    "guile": Interp(code=_words("-c -e")),
    "racket": Interp(code=_words("-e --eval")),
    "sbcl": Interp(code=_words("--eval --load --script")),
    "clojure": Interp(code=_words("-e -M -X -T")),
    "clj": Interp(code=_words("-e -M -X -T")),
    "bb": Interp(code=_words("-e --eval")),
    "tclsh": Interp(),
    "wish": Interp(),
    "expect": Interp(code=_words("-c")),
    "osascript": Interp(code=_words("-e")),
    "awk": Interp(_words("-v -F"), _words("-f --file -e --source -E --exec -i")),
    "gawk": Interp(_words("-v -F"), _words("-f --file -e --source -E --exec -i")),
    "mawk": Interp(_words("-v -F"), _words("-f -E")),
    "nawk": Interp(_words("-v -F"), _words("-f")),
    "sed": Interp(_words("-l"), _words("-e --expression -f --file")),
    "gsed": Interp(_words("-l"), _words("-e --expression -f --file")),
    # Database clients: with no command given they read statements from stdin.
    "psql": Interp(
        _words("-h -p -U -d -v --set --host --port --username --dbname"),
        _words("-c --command -f --file"),
        info=_words("-l --list -V --version"),
        script=None,
    ),
    "mysql": Interp(
        _words("-h -u -P -D --host --user --port --database"),
        _words("-e --execute"),
        script=None,
    ),
    "mariadb": Interp(_words("-h -u -P -D"), _words("-e --execute"), script=None),
    "sqlite3": Interp(_words("-cmd -init -separator"), _words("-cmd -init"), script=1),
    "duckdb": Interp(_words("-c -s"), _words("-c -s"), script=1),
    "redis-cli": Interp(_words("-h -p -a -n -u --user --pass"), _words("--eval")),
    "mongosh": Interp(_words("--host --port -u -p"), _words("--eval -f --file"), script=None),
    "mongo": Interp(_words("--host --port -u -p"), _words("--eval"), script=None),
    # Shells (``bash -c`` is already peeled by the parser; what is left is a script or stdin).
    **dict.fromkeys(
        _words("bash sh zsh dash ksh mksh ash fish csh tcsh pwsh powershell nu elvish xonsh"),
        _SHELL,
    ),
    "source": Interp(),
    ".": Interp(),
}
# Modules that execute what they are given, open a REPL or serve files: exact only.
EXACT_MODULES = _words(
    "http.server code pdb cProfile profile trace timeit runpy IPython idlelib asyncio pydoc "
    "smtpd xmlrpc.server webbrowser doctest site ensurepip"
)

# --- everything else ------------------------------------------------------------------------

LEAVES: dict[str, Leaf] = {
    **dict.fromkeys(
        _words(
            """ls dir tree exa eza lsd cat bat batcat head tail wc grep egrep fgrep ag ack du df
        stat file which whereis type pwd echo printf date cal whoami id groups uname hostname uptime
        printenv ps pgrep pidof lsof free vmstat diff cmp comm uniq cut tr paste join column
        fold fmt nl tac rev seq basename dirname realpath readlink mkdir touch jq yq xxd hexdump
        od strings md5sum sha1sum sha256sum sha512sum shasum cksum b2sum base64 base32 true
        false sleep test [ expr tput locale nproc getconf lscpu journalctl tsc eslint prettier
        jest vitest mocha ava pytest py.test mypy pyright pylint flake8 black isort autopep8
        yapf bandit pyflakes pycodestyle pydocstyle codespell shellcheck shfmt hadolint yamllint
        markdownlint stylelint gofmt goimports golint staticcheck rustfmt clang-format
        clang-tidy cppcheck ktlint swiftlint swiftformat rubocop phpcs phpstan psalm rspec
        tox nox ctest unittest venv virtualenv gzip gunzip zcat bzip2 xz zip unzip"""
        ),
        Leaf(),
    ),
    "find": Leaf(_words("-exec -execdir -ok -okdir -delete -fls -fprint -fprint0 -fprintf")),
    "fd": Leaf(_words("-x --exec -X --exec-batch")),
    "fdfind": Leaf(_words("-x --exec -X --exec-batch")),
    "rg": Leaf(_words("--pre --pre-glob")),
    "sort": Leaf(_words("--compress-program")),
    "tar": Leaf(
        _words(
            "--to-command --checkpoint-action --use-compress-program --info-script "
            "--new-volume-script --rsh-command --rmt-command -I -F"
        )
    ),
    "less": Leaf(_words("-o -O --log-file --LOG-FILE"), "!"),
    "more": Leaf(_words("-o -O --log-file --LOG-FILE"), "!"),
    "man": Leaf(_words("-P --pager -H --html -p --preprocessor -o -O"), "!"),
}
# Programs whose every use should be approved as it is: they delete or move files, talk to
# the network, change the system, compile arbitrary code or run other programs.
EXACT_PROGRAMS = _words(
    """rm rmdir unlink mv cp ln install dd shred truncate chmod chown chgrp chattr setfacl tee
    rsync scp sftp ftp ssh mosh telnet nc ncat netcat socat curl wget http https xh aria2c kill
    pkill killall reboot shutdown halt poweroff mkfs fdisk parted mount umount crontab at batch
    useradd userdel usermod passwd chpasswd visudo iptables ufw nft open xdg-open gcc g++ cc c++
    clang clang++ rustc javac kotlinc scalac ghc swiftc tcc cmake hyperfine entr nodemon
    parallel strace ltrace gdb lldb valgrind perf chroot unshare nsenter flock firejail
    systemd-run taskset chrt numactl faketime proxychains torsocks xvfb-run script busybox
    direnv env timeout nice ionice nohup time stdbuf command builtin exec eval xargs watch
    setsid"""
)
# Left unpeeled by the parser, these start a (root) shell reading stdin: no rule.
NO_RULE_PROGRAMS = _words("sudo doas su runuser pkexec login nsenter unshare chroot setpriv sg")
# Words after an unknown program that usually mean "run something else".
RUNNER_VERBS = _words("run exec x dlx shell activate eval execute repl console script do call")
SCRIPT_SUFFIXES = tuple(
    _words(
        ".py .pyw .sh .bash .zsh .fish .js .mjs .cjs .ts .mts .cts .jsx .tsx .rb .pl .pm .php .lua "
        ".r .R .jl .tcl .ps1 .bat .cmd .exe .jar .dll .exs .ex .erl .hs .ml .clj .kts .groovy "
        ".swift"
    )
)

_NPM_RISKY = _words(
    "--script-shell --userconfig --globalconfig --node-options --init-module -c --call"
)
_PACKAGE_RUN = Runner(
    _words("-p --package --cache -w --workspace"),
    _words("-y --yes --no --no-install -q --quiet --ignore-existing"),
    _NPM_RISKY,
    style="package",
)
_SCRIPTS = Tool(flags=_words("--if-present -s --silent"), values=_words("-w --workspace"))
NPM = Tool(
    values=_words("--prefix -w --workspace --registry --cache --loglevel"),
    flags=_words("-s --silent -q --quiet -g --global -ws --workspaces -y --yes -d --verbose"),
    risky=_NPM_RISKY,
    runners={"exec": _PACKAGE_RUN, "x": _PACKAGE_RUN},
    groups={
        "run": _SCRIPTS,
        "run-script": _SCRIPTS,
        "init": Tool(),
        "create": Tool(),
        "config": Tool(),
        "cache": Tool(),
    },
)
_PNPM_EXEC = Runner(_words("--filter -F -C --dir"), _words("-r --recursive --parallel"), _NPM_RISKY)
_PNPM_DLX = Runner(
    _words("--package"), _words("-s --silent"), _words("-c --shell-mode"), style="package"
)
PNPM = Tool(
    values=_words("-C --dir --filter -F"),
    flags=_words("-r --recursive -w --workspace-root -s --silent --parallel --stream"),
    risky=_NPM_RISKY | _words("--shell-mode"),
    runners={"exec": _PNPM_EXEC, "dlx": _PNPM_DLX},
    groups={"run": _SCRIPTS, "create": Tool()},
)
_YARN_DLX = Runner(_words("-p --package"), _words("-q --quiet"), style="package")
YARN = Tool(
    values=_words("--cwd"),
    flags=_words("-s --silent"),
    risky=_NPM_RISKY,
    runners={"dlx": _YARN_DLX},
    groups={"run": _SCRIPTS, "create": Tool()},
    exact=_words("exec node workspace workspaces"),
)
_BUNX = Runner(_words("-p --package"), _words("--bun"), style="package")
BUN = Tool(
    values=_words("--cwd"),
    flags=_words("--bun --silent"),
    risky=_words("-e --eval -p --print -r --preload"),
    runners={"x": _BUNX},
    groups={"run": _SCRIPTS, "create": Tool()},
    exact=_words("repl exec"),
    repl=True,
)
DENO = Tool(
    flags=_words("-q --quiet --unstable"),
    groups={"task": Tool()},
    exact=_words("run eval repl serve compile install x jupyter"),
    repl=True,
)
_UV_RUN = Runner(
    _words(
        "--with --with-editable --with-requirements --python -p --package --extra --group "
        "--only-group --env-file --directory --project --index --index-url --default-index "
        "--extra-index-url"
    ),
    _words(
        "--frozen --locked --no-sync --isolated --all-extras --all-packages --no-dev --dev -q "
        "--quiet -v --verbose --active --no-project --offline --no-env-file"
    ),
)
_UVX = Runner(
    _words(
        "--from --with --with-editable --with-requirements --python -p --index --index-url "
        "--extra-index-url"
    ),
    _words("--isolated -q --quiet --offline -n --no-cache"),
    style="package",
)
UV = Tool(
    values=_words("--directory --project --cache-dir --config-file"),
    flags=_words("-q -v --quiet --verbose --offline --no-cache --native-tls --preview"),
    runners={"run": _UV_RUN},
    groups={
        "pip": Tool(),
        "tool": Tool(runners={"run": _UVX}),
        "python": Tool(),
        "cache": Tool(),
        "self": Tool(),
    },
)
_PLAIN_RUN = Runner()
_CONDA_RUN = Runner(
    _words("-n --name -p --prefix --cwd"), _words("--live-stream --no-capture-output -v")
)
PIP = Tool(
    values=_words("--python --proxy --log --cache-dir --retries --timeout"),
    flags=_words(
        "-q -v --quiet --verbose --disable-pip-version-check --no-cache-dir --isolated "
        "--require-virtualenv --no-input --no-color"
    ),
    groups={"cache": Tool(), "config": Tool()},
)
COVERAGE = Tool(
    runners={
        "run": Runner(
            _words("--rcfile --source --include --omit --data-file --context --concurrency"),
            _words("-p --parallel-mode --branch -a --append -L --pylib"),
            style="python",
        )
    }
)
_GIT_GROUPS = {
    name: Tool()
    for name in _words("remote stash worktree notes lfs sparse-checkout maintenance reflog subtree")
}
GIT = Tool(
    values=_words("-C -c --git-dir --work-tree --namespace --config-env --super-prefix"),
    flags=_words(
        "-p --paginate -P --no-pager --bare --no-replace-objects --literal-pathspecs "
        "--glob-pathspecs --noglob-pathspecs --icase-pathspecs --no-optional-locks"
    ),
    risky=_words("--upload-pack --receive-pack --output --exec --ext-diff --textconv"),
    risky_globals=_words("-c --config-env --exec-path --git-dir --work-tree"),
    risky_in={
        "rebase": _words("-x --exec"),
        "clone": _words("-u --template -c --config"),
        "fetch": _words("--upload-pack"),
        "pull": _words("--upload-pack"),
    },
    groups={
        **_GIT_GROUPS,
        "submodule": Tool(exact=_words("foreach")),
        "bisect": Tool(exact=_words("run")),
    },
    exact=_words(
        "config filter-branch filter-repo clean daemon instaweb send-email credential hook "
        "mergetool difftool"
    ),
)
_COMPOSE = Tool(
    values=_words(
        "-f --file -p --project-name --profile --env-file --project-directory --ansi --progress"
    ),
    flags=_words("--dry-run --compatibility --all-resources"),
    exact=_words("run exec cp rm kill down create"),
)
_DOCKER_EXACT = _words("run exec cp create rm rmi kill attach debug prune")
DOCKER = Tool(
    values=_words("--context -c --host -H --config --log-level -l --tlscacert --tlscert --tlskey"),
    flags=_words("--debug -D --tls --tlsverify"),
    groups={
        "compose": _COMPOSE,
        **{
            name: Tool(exact=_DOCKER_EXACT)
            for name in _words(
                "container image volume network system buildx builder context manifest plugin "
                "swarm node service stack secret config trust scout"
            )
        },
    },
    exact=_DOCKER_EXACT,
)
KUBECTL = Tool(
    values=_words(
        "-n --namespace --context --cluster --kubeconfig -s --server --user --token --as "
        "--as-group --request-timeout -v"
    ),
    flags=_words("--insecure-skip-tls-verify -A --all-namespaces"),
    groups={
        name: Tool()
        for name in _words("config rollout auth certificate top create set apply plugin")
    },
    exact=_words(
        "exec run cp debug attach port-forward proxy delete drain replace edit patch plugin"
    ),
)
HELM = Tool(
    values=_words("-n --namespace --kube-context --kubeconfig"),
    flags=_words("--debug"),
    groups={
        **{n: Tool() for n in _words("repo dependency dep registry show get search")},
        "plugin": Tool(exact=_words("install")),
    },
    exact=_words("uninstall delete"),
)
TERRAFORM = Tool(
    groups={
        "state": Tool(exact=_words("rm mv push replace-provider")),
        "workspace": Tool(exact=_words("delete")),
        "providers": Tool(),
    },
    exact=_words("destroy apply console import"),
)
GO = Tool(
    values=_words("-C"),
    risky=_words("-exec --exec -toolexec --toolexec -vettool --vettool -overlay --overlay"),
    groups={"mod": Tool(), "work": Tool(), "tool": Tool()},
    exact=_words("run"),
)
CARGO = Tool(
    values=_words("-C --color"),
    flags=_words("-q --quiet -v -vv --verbose --frozen --locked --offline"),
    risky=_words("--config -Z"),
    exact=_words("run script"),
    plus=True,
)
MAKE = Tool(
    values=_words(
        "-C --directory -f --file --makefile -I --include-dir -o --old-file -W --what-if "
        "--new-file --assume-new -j --jobs -l --load-average"
    ),
    flags=_words(
        "-k -s -B -n -q -i -e -r -R -w --silent --quiet --no-print-directory --always-make "
        "--keep-going --dry-run --just-print --ignore-errors"
    ),
    risky=_words("--eval -E"),
    assignments=True,
)
GRADLE = Tool(
    values=_words(
        "-p --project-dir -b --build-file -c --settings-file -g --gradle-user-home -x "
        "--exclude-task -P -D --console"
    ),
    flags=_words(
        "-q --quiet -i --info -d --debug -s --stacktrace -S --full-stacktrace --no-daemon "
        "--daemon --offline --parallel --build-cache --no-build-cache --continue "
        "--refresh-dependencies --scan -w --warn"
    ),
    risky=_words("-I --init-script"),
    exact=_words("run bootRun"),
)
MAVEN = Tool(
    values=_words("-f --file -s --settings -gs -P -pl --projects -rf -T -D -t -l"),
    flags=_words(
        "-q -B --batch-mode -U -o --offline -e -X -ntp -am -amd -fae --fail-at-end -N -C -c"
    ),
    risky=_words("exec:java exec:exec antrun:run spring-boot:run jetty:run quarkus:dev"),
)
GH = Tool(
    values=_words("-R --repo --hostname"),
    groups={
        **{
            name: Tool()
            for name in _words(
                "pr issue repo release run workflow gist auth secret variable label cache "
                "project ssh-key gpg-key org ruleset attestation search config"
            )
        },
        "codespace": Tool(exact=_words("ssh cp code jupyter")),
        "extension": Tool(exact=_words("exec install")),
        "alias": Tool(exact=_words("set")),
    },
    exact=_words("api"),
)
_TASK_RUNNER = Tool(groups={"run": Tool()}, exact=_words("exec"))

TOOLS: dict[str, Tool] = {
    "git": GIT,
    "npm": NPM,
    "pnpm": PNPM,
    "yarn": YARN,
    "bun": BUN,
    "deno": DENO,
    "uv": UV,
    "pip": PIP,
    "coverage": COVERAGE,
    "docker": DOCKER,
    "podman": DOCKER,
    "docker-compose": _COMPOSE,
    "podman-compose": _COMPOSE,
    "kubectl": KUBECTL,
    "oc": KUBECTL,
    "helm": HELM,
    "terraform": TERRAFORM,
    "tofu": TERRAFORM,
    "go": GO,
    "cargo": CARGO,
    "make": MAKE,
    "gmake": MAKE,
    "gradle": GRADLE,
    "gradlew": GRADLE,
    "mvn": MAVEN,
    "mvnw": MAVEN,
    "gh": GH,
    "glab": Tool(
        groups={n: Tool() for n in _words("mr issue repo ci release")}, exact=_words("api")
    ),
    "corepack": Tool(groups={"npm": NPM, "pnpm": PNPM, "yarn": YARN}),
    "pipx": Tool(
        runners={
            "run": Runner(
                _words("--spec --python --index-url --pip-args"),
                _words("--no-cache -q --quiet --verbose"),
                style="package",
            )
        }
    ),
    "poetry": Tool(
        values=_words("-C --directory -P --project"),
        flags=_words("-q -v -n --no-interaction --no-ansi --ansi"),
        runners={"run": _PLAIN_RUN},
        groups={n: Tool() for n in _words("env self source cache debug")},
        exact=_words("shell"),
    ),
    "pipenv": Tool(runners={"run": _PLAIN_RUN}, exact=_words("shell")),
    "pdm": Tool(runners={"run": Runner(_words("-p --project"))}, exact=_words("shell")),
    "hatch": Tool(runners={"run": _PLAIN_RUN}, groups={"env": Tool()}, exact=_words("shell")),
    "rye": Tool(runners={"run": _PLAIN_RUN}, exact=_words("shell")),
    "pixi": Tool(runners={"run": _PLAIN_RUN, "exec": _PLAIN_RUN}, exact=_words("shell")),
    "conda": Tool(runners={"run": _CONDA_RUN}, groups={"env": Tool()}, exact=_words("activate")),
    "mamba": Tool(runners={"run": _CONDA_RUN}, groups={"env": Tool()}, exact=_words("activate")),
    "micromamba": Tool(runners={"run": _CONDA_RUN}, exact=_words("activate shell")),
    "bundle": Tool(runners={"exec": _PLAIN_RUN}),
    "gem": Tool(exact=_words("exec")),
    "rake": Tool(
        values=_words("-f --rakefile"),
        risky=_words("-e --execute -E --execute-continue -p --execute-print -r --require"),
    ),
    "rails": Tool(exact=_words("runner r console c dbconsole db server s")),
    "composer": Tool(runners={"exec": _PLAIN_RUN}, groups={"run-script": Tool(), "run": Tool()}),
    "mise": Tool(runners={"exec": _PLAIN_RUN, "x": _PLAIN_RUN}, groups={"run": Tool()}),
    "asdf": Tool(runners={"exec": _PLAIN_RUN}),
    "pyenv": Tool(runners={"exec": _PLAIN_RUN}),
    "rbenv": Tool(runners={"exec": _PLAIN_RUN}),
    "nodenv": Tool(runners={"exec": _PLAIN_RUN}),
    "opam": Tool(runners={"exec": _PLAIN_RUN}),
    "nvm": Tool(exact=_words("run exec")),
    "nix": Tool(exact=_words("run shell develop eval repl")),
    "stack": Tool(exact=_words("exec run repl ghci runghc runhaskell script eval")),
    "cabal": Tool(exact=_words("exec run repl")),
    "dotnet": Tool(
        groups={n: Tool() for n in _words("new nuget ef sln workload")}
        | {"tool": Tool(exact=_words("run"))},
        exact=_words("run exec fsi"),
    ),
    "rustup": Tool(
        groups={n: Tool() for n in _words("toolchain target component override self set")},
        exact=_words("run"),
    ),
    "swift": Tool(exact=_words("run repl")),
    "zig": Tool(exact=_words("run")),
    "bazel": Tool(exact=_words("run"), risky=_words("--bazelrc --run_under")),
    "bazelisk": Tool(exact=_words("run"), risky=_words("--bazelrc --run_under")),
    "meson": Tool(),
    "ninja": Tool(values=_words("-C -f -j -k -l"), flags=_words("-v -n")),
    "just": Tool(
        values=_words("-f --justfile -d --working-directory"),
        flags=_words("-q --quiet -v --verbose -n --dry-run"),
        risky=_words("--shell --shell-arg --command -c --set"),
    ),
    "turbo": _TASK_RUNNER,
    "nx": _TASK_RUNNER,
    "lerna": _TASK_RUNNER,
    "ruff": Tool(flags=_words("-q -v --quiet --verbose")),
    "biome": Tool(),
    "pre-commit": Tool(),
    "brew": Tool(groups={"services": Tool()}, exact=_words("sh ruby irb")),
    "apt": Tool(),
    "apt-get": Tool(),
    "dnf": Tool(),
    "yum": Tool(),
    "apk": Tool(),
    "zypper": Tool(),
    "snap": Tool(),
    "flatpak": Tool(exact=_words("run")),
    "systemctl": Tool(flags=_words("--user --system --no-pager -q --quiet")),
    "launchctl": Tool(),
    "service": Tool(),
    "openssl": Tool(),
    "aws": Tool(
        values=_words("--profile --region --output --endpoint-url"),
        flags=_words("--no-cli-pager --debug --no-verify-ssl"),
        any_group=Tool(),
    ),
    "az": Tool(any_group=Tool()),
    "gcloud": Tool(values=_words("--project --account"), any_group=Tool(any_group=Tool())),
    "gsutil": Tool(flags=_words("-m -q")),
    "vercel": Tool(),
    "netlify": Tool(),
    "firebase": Tool(),
    "wrangler": Tool(),
    "heroku": Tool(exact=_words("run")),
    "flyctl": Tool(exact=_words("ssh console")),
    "fly": Tool(exact=_words("ssh console")),
}
STANDALONE_RUNNERS: dict[str, Runner] = {
    "npx": _PACKAGE_RUN,
    "pnpx": _PNPM_DLX,
    "bunx": _BUNX,
    "uvx": _UVX,
}

_VERSIONED = re.compile(r"^(python|pypy|ruby|perl|php|lua|node|pip|pydoc)[0-9][0-9.]*$")
_SUBCOMMAND = re.compile(r"^[A-Za-z0-9_:@+%][A-Za-z0-9_.:@+%,-]*$")
_PLAIN_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*(:[A-Za-z0-9_-]+)*$")


# --- classification ---------------------------------------------------------------------------


def _lookup(name: str) -> Spec | None:
    name = _VERSIONED.sub(r"\1", name)
    found: Spec | None = (
        INTERPRETERS.get(name)
        or TOOLS.get(name)
        or STANDALONE_RUNNERS.get(name)
        or LEAVES.get(name)
    )
    if found is not None:
        return found
    if name in NO_RULE_PROGRAMS:
        return "none"
    return "exact" if name in EXACT_PROGRAMS else None


def _is_script(word: str) -> bool:
    return word.endswith(SCRIPT_SUFFIXES)


def _package_name(word: str) -> str:
    """``@scope/name@1.2`` and ``name@latest`` are the package ``name``."""
    base = word.rsplit("/", 1)[-1] if word.startswith("@") else word
    return base.split("@", 1)[0]


def _program_spec(word: str, style: Style) -> Spec | None:
    """The spec of the program ``word``; None for an unknown program (see ``_unknown``)."""
    if style == "package":
        if word.startswith((".", "/", "~")) or _is_script(word):
            return "exact"  # a local file, not a package
        return _lookup(_package_name(word))
    found = _lookup(posixpath.basename(word))
    if found is not None:
        return found
    # A path to something that is not a known tool, or a script file, is a script.
    return "exact" if "/" in word or _is_script(word) else None


# --- judging ----------------------------------------------------------------------------------


def narrow(argv: tuple[str, ...]) -> Verdict:
    """How much of ``argv`` (a peeled sub-command) a rule keeps."""
    return _judge(argv, 0, 0, "command") if argv else "none"


def _judge(argv: tuple[str, ...], i: int, depth: int, style: Style) -> Verdict:
    if depth > MAX_DEPTH or i >= len(argv):
        return "exact"
    spec = _program_spec(argv[i], style)
    return _apply(spec, argv, i, depth)


def _apply(spec: Spec | None, argv: tuple[str, ...], i: int, depth: int) -> Verdict:
    if spec is None:
        return _unknown(argv, i)
    if isinstance(spec, str):
        return spec
    if isinstance(spec, Leaf):
        return "exact" if _leaf_risky(argv[i + 1 :], spec) else i + 1
    if isinstance(spec, Tool):
        return _tool(argv, i, spec, depth)
    if isinstance(spec, Runner):
        return _runner(argv, i + 1, spec, depth)
    return _interp_args(argv, i + 1, spec, depth)


def _unknown(argv: tuple[str, ...], i: int) -> Verdict:
    """An unknown program keeps one plain word after it (``alembic upgrade:*``), no more."""
    rest = argv[i + 1 :]
    if rest and _PLAIN_WORD.match(rest[0]) and rest[0] not in RUNNER_VERBS:
        return i + 2
    return "exact"


def _flag(arg: str) -> str:
    return arg.split("=", 1)[0]


def _leaf_risky(args: tuple[str, ...], spec: Leaf) -> bool:
    if any(ch in arg for arg in args for ch in spec.risky_chars):
        return True
    return any(_flag(arg) in spec.risky or arg[:2] in spec.risky for arg in args)


def _any_risky(args: tuple[str, ...], risky: frozenset[str]) -> bool:
    return any(_flag(arg) in risky for arg in args)


def _option_width(arg: str, values: frozenset[str], flags: frozenset[str]) -> int | None:
    """How many words option ``arg`` takes; None when unknown (it may swallow the next word)."""
    name = _flag(arg)
    if arg in flags or (name != arg and name in flags | values):
        return 1
    if arg in values:
        return 2
    if name != arg and arg.startswith("--"):
        return 1  # --unknown=value carries its own value
    if len(arg) > 2 and not arg.startswith("--") and arg[:2] in values:
        return 1  # an attached value: -j4, -Cdir, -DskipTests
    return None


def _skip_options(
    argv: tuple[str, ...], j: int, spec: Tool | Runner, *, lenient: bool = False
) -> int | None:
    """The index of the first word after the options at ``j``; None for an unknown option
    (``lenient``: the index of that option, where another parser takes over)."""
    while j < len(argv):
        arg = argv[j]
        if isinstance(spec, Tool) and _is_tool_option_word(arg, spec):
            j += 1
            continue
        if not arg.startswith("-") or arg == "-":
            return j
        if arg == "--":
            return j + 1 if isinstance(spec, Runner) else None
        width = _option_width(arg, spec.values, spec.flags)
        if width is None:
            return j if lenient else None
        j += width
    return j


def _is_tool_option_word(arg: str, spec: Tool) -> bool:
    if spec.plus and arg.startswith("+"):
        return True
    return spec.assignments and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", arg) is not None


def _risky_global(argv: tuple[str, ...], start: int, end: int, spec: Tool) -> bool:
    for arg in argv[start:end]:
        if _flag(arg) in spec.risky_globals or arg[:2] in spec.risky_globals:
            return True
    return False


def _tool(argv: tuple[str, ...], i: int, spec: Tool, depth: int) -> Verdict:
    if depth > MAX_DEPTH or _any_risky(argv[i + 1 :], spec.risky):
        return "exact"
    j = _skip_options(argv, i + 1, spec)
    if j is None or _risky_global(argv, i + 1, j, spec):
        return "exact"
    if j >= len(argv):
        return "none" if spec.repl else "exact"
    word = argv[j]
    if word in spec.exact or not _SUBCOMMAND.match(word) or _is_script(word):
        return "exact"
    if word in spec.runners:
        return _runner(argv, j + 1, spec.runners[word], depth + 1)
    group = spec.groups.get(word, spec.any_group)
    if group is not None:
        return _tool(argv, j, group, depth + 1)
    if _any_risky(argv[j + 1 :], spec.risky_in.get(word, frozenset())):
        return "exact"
    return j + 1


def _runner(argv: tuple[str, ...], j: int, spec: Runner, depth: int) -> Verdict:
    if _any_risky(argv[j:], spec.risky):
        return "exact"
    k = _skip_options(argv, j, spec, lenient=spec.style == "python")
    if k is None or k >= len(argv):
        return "exact"
    if spec.style == "python":
        return _interp_args(argv, k, PYTHON, depth + 1)
    return _judge(argv, k, depth + 1, spec.style)


def _interp_args(argv: tuple[str, ...], j: int, spec: Interp, depth: int) -> Verdict:
    """Judge an interpreter's arguments starting at ``j``."""
    info = False
    while j < len(argv):
        arg = argv[j]
        if arg == "--":
            j += 1
            break
        if not arg.startswith(("-", "+")) or arg == "-":
            break
        found = _interp_option(arg, spec)
        if found is not None:
            return found
        if spec.module and arg == "-m":
            return _module(argv, j + 1, depth)
        info = info or _flag(arg) in spec.info
        j += _interp_width(arg, spec)
    return _interp_operands(argv[j:], spec, info)


def _interp_width(arg: str, spec: Interp) -> int:
    if arg in spec.values:
        return 2
    # `-euo pipefail`: a cluster ending in an option that takes a value swallows the next word.
    clustered = _is_cluster(arg) and arg[:2] not in spec.values
    return 2 if clustered and "-" + arg[-1] in spec.values else 1


def _interp_option(arg: str, spec: Interp) -> Verdict | None:
    """What one interpreter option decides on its own: stdin means none, code means exact."""
    # Letters of a cluster (`-ic`) count one by one, but not an attached value (`-Wignore`).
    clustered = _is_cluster(arg) and arg[:2] not in spec.values
    letters = {"-" + ch for ch in arg[1:]} if clustered else set()
    if _flag(arg) in spec.stdin or letters & spec.stdin:
        return "none"
    if _flag(arg) in spec.code or letters & spec.code or _attached(arg, spec.code):
        return "exact"
    return None


def _is_cluster(arg: str) -> bool:
    return len(arg) > 2 and arg[0] == "-" and arg[1] != "-"


def _attached(arg: str, options: frozenset[str]) -> bool:
    return _is_cluster(arg) and arg[:2] in options


def _interp_operands(rest: tuple[str, ...], spec: Interp, info: bool) -> Verdict:
    if rest and rest[0] == "-":
        return "none"  # the program comes from stdin
    if spec.script is not None and len(rest) > spec.script:
        return "exact"
    return "exact" if info else "none"


def _module(argv: tuple[str, ...], k: int, depth: int) -> Verdict:
    """``python -m MODULE …``: the module is judged like a program named MODULE."""
    if k >= len(argv):
        return "exact"
    module = argv[k]
    if module in EXACT_MODULES or module.split(".")[0] in EXACT_MODULES:
        return "exact"
    spec = _lookup(module)  # `-m pip` is pip, `-m pytest` is pytest
    if isinstance(spec, Interp) or spec == "none":
        return "exact"  # python -m some_repl: pin it
    return _apply(spec, argv, k, depth + 1)


# --- rules ------------------------------------------------------------------------------------


def _rule_text(argv: tuple[str, ...], verdict: Verdict) -> str | None:
    if verdict == "none":
        return None
    if verdict == "exact":
        return exact_rule(argv)
    return f"Bash({display_argv(argv[:verdict])}:*)"


def exact_rule(argv: tuple[str, ...]) -> str | None:
    """``Bash(<argv>)`` matching only ``argv``; None if it holds a ``*`` (that would be a glob)."""
    text = display_argv(argv)
    return None if "*" in text else f"Bash({text})"


@dataclass(frozen=True)
class Suggestion:
    """The rules to offer and the sub-commands (as shown) none of them covers."""

    rules: tuple[str, ...]
    uncovered: tuple[str, ...] = ()


def suggest_bash_rules(command: str) -> Suggestion:
    """One narrow rule per distinct sub-command of ``command`` (plain ``cd`` needs none)."""
    rules: list[str] = []
    uncovered: list[str] = []
    for sub in analyze(command).subcommands:
        if _needs_no_rule(sub):
            continue
        wanted = _rules_for_sub(sub)
        if wanted is None:
            uncovered.append(display_argv(sub.written))
            continue
        rules.extend(rule for rule in wanted if rule not in rules)
    return Suggestion(tuple(rules), tuple(dict.fromkeys(uncovered)))


def _needs_no_rule(sub: SubCommand) -> bool:
    if sub.argv[:1] == ("cd",) and len(sub.argv) <= 2 and not sub.wrappers:
        return True  # the engine allows a plain cd by itself
    # Run by a judged program (`find -exec rm`): the program's exact rule covers it.
    return sub.derived


def _rules_for_sub(sub: SubCommand) -> list[str] | None:
    """The rules one sub-command needs, or None when no safe set of rules exists."""
    dangerous = sub.dangerous is not None
    if sub.opaque is not None and not dangerous:
        # What runs comes from stdin or other input (`… | sh`, `parallel`): even an exact
        # rule would allow whatever arrives there. (A dangerous option running code the
        # parser could not read, `git -c k=v`, is pinned by an exact rule like any other.)
        return None
    verdict = narrow(sub.argv)
    if verdict != "none" and dangerous:
        verdict = "exact"  # the engine lets only an exact rule cover a dangerous option
    main = _rule_text(sub.argv, verdict)
    if main is None:
        return None
    if not _indirect(sub):
        return [main]
    written = exact_rule(sub.written)
    return None if written is None else [main, written]


def _indirect(sub: SubCommand) -> bool:
    """Whether a wrapper changes who or how the command runs (``sudo``, ``xargs``, ``watch``),
    so the engine also wants the command as written to be allowed."""
    return sub.indirect


@dataclass(frozen=True)
class ToolRules:
    """The rules "don't ask again" adds for a tool other than Bash or an edit, and what they
    cover, as the question says it ("this domain")."""

    rules: tuple[str, ...]
    scope: str


def suggest_tool_rules(tool_name: str, tool_input: Mapping[str, object]) -> ToolRules | None:
    """WebFetch's ``WebFetch(domain:HOST)`` for the URL it fetches; None for tools whose rule
    is their name. A URL without a host devagent can read gets no rule at all."""
    if tool_name != "WebFetch":
        return None
    host = url_host(tool_input.get("url"))
    return ToolRules((f"WebFetch(domain:{host})",) if host else (), "this domain")

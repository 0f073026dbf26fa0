"""The sandbox of one run: how each Bash command is launched, and how that is described.

``Sandbox`` is the Bash tool's ``Launcher``. Per command:

- mode ``off``: the command runs as it is;
- bwrap cannot run here: with ``sandbox.required`` the command is refused (the policy already
  denies it, see ``devagent.sandbox.gate``), else it runs as it is; the run said so once, at
  its start (``Sandbox.warning``);
- the command needs what the sandbox forbids (``devagent.sandbox.escape``): it was approved to
  run without the sandbox (it cannot have been auto-allowed), so it runs as it is, and the
  model is told;
- otherwise it runs under bubblewrap: the command's process group is bwrap's, the command is
  in a PID namespace of its own that dies with it (so nothing it started survives a timeout
  or a kill), and it dies with devagent (``--die-with-parent``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from devagent.sandbox.bwrap import BASE_FLAGS, Probe, probe
from devagent.sandbox.config import SandboxSettings
from devagent.sandbox.escape import escape_reason
from devagent.sandbox.layout import Layout, bwrap_args
from devagent.sandbox.seccomp import filter_program
from devagent.tools.launch import Launch


@dataclass(frozen=True)
class Placement:
    """Where one command would run: ``sandboxed``, and if not, ``why`` (for the user)."""

    sandboxed: bool
    why: str


class Sandbox:
    """The run's sandbox settings, the probe's answer and the file-system layout."""

    def __init__(self, settings: SandboxSettings, probed: Probe | None, layout: Layout) -> None:
        self.settings = settings
        self.probe = probed
        self.layout = layout

    @classmethod
    def for_run(
        cls,
        settings: SandboxSettings,
        *,
        workspace: Path,
        home: Path,
        state_dir: Path,
        env: Mapping[str, str],
    ) -> Sandbox:
        """The sandbox of a run; bwrap is probed only when the mode is not ``off``."""
        probed = None if settings.mode == "off" else probe(env)
        tmp = [os.path.realpath(p) for p in ("/tmp", env.get("TMPDIR", "")) if p]
        layout = Layout(
            mode=settings.mode,
            workspace=os.path.realpath(workspace),
            home=os.path.realpath(home),
            state_dirs=(os.path.realpath(state_dir),),
            tmp_dirs=tuple(p for p in dict.fromkeys(tmp) if os.path.isdir(p)),
        )
        return cls(settings, probed, layout)

    # what the run says about it ------------------------------------------------------------

    @property
    def active(self) -> bool:
        """Commands run under bubblewrap (unless one needs to escape it)."""
        return self.probe is not None and self.probe.works

    @property
    def refuses_bash(self) -> bool:
        """The sandbox is required but cannot run: Bash is refused."""
        return self.settings.mode != "off" and not self.active and self.settings.required

    def unavailable_reason(self) -> str | None:
        if self.settings.mode == "off" or self.active:
            return None
        return self.probe.problem if self.probe is not None else "not probed"

    def warning(self) -> str | None:
        """The one warning a run shows when the sandbox it should use cannot run."""
        problem = self.unavailable_reason()
        if problem is None:
            return None
        if self.settings.required:
            then = (
                "Bash is refused because sandbox.required is true (set it to false, or "
                "use --sandbox off, to run commands unsandboxed)"
            )
        else:
            then = "Bash commands run WITHOUT the sandbox (set sandbox.required to refuse them)"
        return f"the {self.settings.mode} sandbox cannot run here: {problem}. {then}."

    def escape(self, command: str) -> str | None:
        """Why ``command`` would have to run outside the sandbox, or None."""
        if not self.active:
            return None
        return escape_reason(
            command,
            network=self.settings.network is True,
            writable=self.layout.is_writable,
            workspace=self.layout.workspace,
        )

    def placement(self, command: str) -> Placement:
        """Whether ``command`` would run sandboxed, in words for the prompt and explain."""
        mode = self.settings.mode
        if mode == "off":
            return Placement(False, f"WITHOUT the sandbox (mode off, {self._mode_source()})")
        problem = self.unavailable_reason()
        if problem is not None:
            if self.settings.required:
                return Placement(False, f"nowhere: the required sandbox cannot run ({problem})")
            return Placement(False, f"WITHOUT the sandbox: it cannot run here ({problem})")
        escape = self.escape(command)
        if escape is not None:
            return Placement(False, f"WITHOUT the sandbox if approved: it {escape}")
        return Placement(True, f"in the {mode} sandbox{self._network_words()}")

    def _mode_source(self) -> str:
        return f"from {self.settings.source_of('mode')}"

    def _network_words(self) -> str:
        network = self.settings.network
        if network is True:
            return " (network allowed)"
        if network:
            return f" (no network: host lists ({', '.join(network)}) cannot be filtered)"
        return " (no network)"

    # the Launcher ----------------------------------------------------------------------------

    def scratch_root(self) -> Path | None:
        """Bookkeeping goes below devagent's state folder, which every sandbox sees read-only:
        under the shared /tmp a sandboxed command could rewrite the BASH_ENV script of a
        command about to run outside the sandbox (this run's, or another devagent's)."""
        return Path(self.layout.state_dirs[0]) / "run" if self.layout.state_dirs else None

    def launch(
        self, argv: Sequence[str], *, command: str, cwd: Path, scratch: Path, record: Path | None
    ) -> Launch:
        if self.settings.mode == "off":
            return Launch(tuple(argv))
        if not self.active:
            if self.settings.required:
                return Launch((), refusal=f"Bash is refused: {self.warning()}")
            return Launch(tuple(argv))
        escape = self.escape(command)
        if escape is not None:
            note = f"[This command ran without the sandbox, as approved: it {escape}.]"
            return Launch(tuple(argv), note=note)
        return Launch(self.wrap(argv, cwd=cwd, scratch=scratch, record=record))

    def wrap(
        self, argv: Sequence[str], *, cwd: Path, scratch: Path, record: Path | None
    ) -> tuple[str, ...]:
        """``argv`` under bubblewrap, starting in ``cwd``; of ``scratch`` only ``record`` is
        writable."""
        assert self.probe is not None and self.probe.binary is not None
        for path in self.layout.must_exist():
            with contextlib.suppress(OSError):
                os.makedirs(path, exist_ok=True)
        flags = list(BASE_FLAGS)
        if self.settings.network is True:
            flags.append("--share-net")
        kept = os.path.realpath(scratch), os.path.realpath(record) if record else ""
        mounts = bwrap_args(self.layout.mounts(*kept))
        chdir = ["--chdir", os.path.realpath(cwd)]
        command = (self.probe.binary, *flags, *mounts, *chdir, "--", *argv)
        return _with_filter(command, scratch)


# bwrap reads the filter from a descriptor; the Bash tool's process runner passes none, so a
# shell opens the file on descriptor 3 and becomes bwrap (same pid, same process group).
_OPEN_FD3 = 'exec 3<"$1" && shift && exec "$@"'


def _with_filter(command: tuple[str, ...], scratch: Path) -> tuple[str, ...]:
    program = filter_program()
    if program is None:
        return command
    path = scratch / "seccomp.bpf"
    if not path.is_file():
        path.write_bytes(program)
    binary, rest = command[0], command[1:]
    return ("/bin/sh", "-c", _OPEN_FD3, "sh", os.fspath(path), binary, "--seccomp", "3", *rest)

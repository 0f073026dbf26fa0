"""The seam between the Bash tool and whatever confines its commands (the sandbox).

A ``Launcher`` turns the argv the Bash tool would run (``bash -c COMMAND``) into the argv
that really runs, e.g. the same command under bubblewrap. The tool keeps everything else:
the process group, timeouts, the kill, the output cap, the ``cd`` bookkeeping. Without a
launcher (``ToolContext.launcher`` is None) commands run as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Launch:
    """How one command runs.

    ``argv`` is what to start; ``note`` a line for the model (e.g. that the command ran
    without the sandbox, and why); ``refusal``, when set, means the command must not run at
    all, and says why and what the user can do.
    """

    argv: tuple[str, ...]
    note: str | None = None
    refusal: str | None = None


class Launcher(Protocol):
    def scratch_root(self) -> Path | None:
        """Where the run's bookkeeping folder is made: a place no command can write (so no
        command can change another's BASH_ENV script), or None for the system temp dir."""
        ...

    def launch(
        self, argv: Sequence[str], *, command: str, cwd: Path, scratch: Path, record: Path | None
    ) -> Launch:
        """The way to run ``argv`` (which runs the shell ``command``) in ``cwd``.

        ``scratch`` is the run's bookkeeping directory (the command's BASH_ENV script lives
        there); ``record`` an existing file in it the command must be able to write (it
        records its final directory there), or None. Nothing else in ``scratch`` should be
        writable by the command: another command's script must not be changed under it.
        Must not prompt or print.
        """
        ...

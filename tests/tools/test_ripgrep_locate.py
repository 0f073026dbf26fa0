"""Locating rg: pip --target and venv layouts, PATH fallback, and executability checks."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from devagent.tools.ripgrep import candidates_under, default_rg, is_executable_file, locate_rg


def fake_rg(path: Path, *, executable: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\necho 'ripgrep 0.0.0-fake'\n")
    mode = 0o755 if executable else 0o644
    path.chmod(mode)
    return path


def test_pip_target_layout_is_found(tmp_path: Path) -> None:
    target = tmp_path / "target"
    rg = fake_rg(target / "bin" / "rg")
    assert locate_rg([target], path_env="") == rg


def test_venv_layout_three_levels_above_site_packages(tmp_path: Path) -> None:
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    rg = fake_rg(tmp_path / "venv" / "bin" / "rg")
    assert locate_rg([site], path_env="") == rg


def test_found_binary_actually_runs(tmp_path: Path) -> None:
    rg = fake_rg(tmp_path / "t" / "bin" / "rg")
    found = locate_rg([tmp_path / "t"], path_env="")
    assert found is not None
    out = subprocess.run([found, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("ripgrep") and found == rg


def test_non_executable_candidate_is_skipped(tmp_path: Path) -> None:
    fake_rg(tmp_path / "first" / "bin" / "rg", executable=False)
    second = fake_rg(tmp_path / "second" / "bin" / "rg")
    assert locate_rg([tmp_path / "first", tmp_path / "second"], path_env="") == second


def test_directory_named_rg_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "first" / "bin" / "rg").mkdir(parents=True)
    assert not is_executable_file(tmp_path / "first" / "bin" / "rg")
    assert locate_rg([tmp_path / "first"], path_env="") is None


def test_earlier_root_wins(tmp_path: Path) -> None:
    first = fake_rg(tmp_path / "a" / "bin" / "rg")
    fake_rg(tmp_path / "b" / "bin" / "rg")
    assert locate_rg([tmp_path / "a", tmp_path / "b"], path_env="") == first


def test_path_lookup_is_the_last_resort(tmp_path: Path) -> None:
    on_path = fake_rg(tmp_path / "pathdir" / "rg")
    assert locate_rg([tmp_path / "empty"], path_env=str(tmp_path / "pathdir")) == on_path
    assert locate_rg([tmp_path / "empty"], path_env="") is None


def test_candidates_cover_both_layouts(tmp_path: Path) -> None:
    root = tmp_path / "lib" / "python3.11" / "site-packages"
    found = list(candidates_under([root, ""]))
    assert found == [root / "bin" / "rg", tmp_path / "bin" / "rg"]


def test_non_executable_file_is_not_executable_even_for_root(tmp_path: Path) -> None:
    rg = fake_rg(tmp_path / "rg", executable=False)
    assert not rg.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    assert not is_executable_file(rg)


def test_default_is_cached_and_executable() -> None:
    first = default_rg()
    if first is None:
        pytest.skip("rg is not installed in this environment")
    assert default_rg() is first
    assert os.access(first, os.X_OK)
    out = subprocess.run([first, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("ripgrep")

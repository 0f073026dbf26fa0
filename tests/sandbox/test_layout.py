"""The sandbox's file-system layout and which commands must leave the sandbox, on real folders."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from devagent.sandbox.escape import escape_reason
from devagent.sandbox.layout import Layout, Mount, bwrap_args


@pytest.fixture
def places(tmp_path: Path) -> tuple[Path, Path, Path]:
    ws, home, state = tmp_path / "ws", tmp_path / "home", tmp_path / "state"
    for folder in (ws / ".git" / "hooks", home / ".ssh", home / ".cache", state):
        folder.mkdir(parents=True)
    (ws / ".git" / "config").write_text("[core]\n")
    (home / ".netrc").write_text("machine x password y\n")
    (home / ".bashrc").write_text("# rc\n")
    return ws, home, state


def layout(places: tuple[Path, Path, Path], mode: str = "workspace-write") -> Layout:
    ws, home, state = places
    return Layout(mode, str(ws), str(home), (str(state),), ("/tmp",))  # type: ignore[arg-type]


def test_workspace_write_mounts_deeper_rules_last(places: tuple[Path, Path, Path]) -> None:
    ws, home, state = places
    scratch = state / "run" / "devagent-bash-x"
    mounts = layout(places).mounts(str(scratch), str(scratch / "cwd.txt"))
    order = [(m.op, m.path) for m in mounts]
    ro_scratch = order.index(("ro-bind", str(scratch)))
    assert order.index(("bind", str(scratch / "cwd.txt"))) > ro_scratch
    assert order[0] == ("bind", "/tmp")
    assert ("bind", str(ws)) in order and ("bind", str(home / ".cache")) in order
    for guarded in (".git/hooks", ".git/config", ".devagent", ".claude"):
        path = str(ws / guarded)
        if Path(path).exists():
            assert order.index(("ro-bind", path)) > order.index(("bind", str(ws)))
    assert order.index(("ro-bind", str(home))) < order.index(("bind", str(home / ".cache")))
    assert ("mask", str(home / ".ssh")) in order and ("mask", str(home / ".netrc")) in order
    assert ("ro-bind", str(home / ".bashrc")) in order and ("ro-bind", str(state)) in order


def test_what_is_writable(places: tuple[Path, Path, Path]) -> None:
    ws, home, state = places
    writable = layout(places).is_writable
    assert writable(str(ws / "src" / "a.py")) and writable("/tmp/x")
    assert writable(str(home / ".cache" / "pip" / "x"))
    assert not writable(str(ws / ".git" / "hooks" / "pre-commit"))
    assert not writable(str(ws / ".git" / "config"))
    assert not writable(str(home / ".bashrc")) and not writable(str(home / "notes"))
    assert not writable(str(state / "settings.json")) and not writable("/etc/passwd")
    assert writable(str(ws / ".git" / "index"))
    (ws / ".git" / "config.worktree").write_text("")
    assert not layout(places).is_writable(str(ws / ".git" / "config.worktree"))


def test_read_only_mode_has_a_private_tmp_and_nothing_else(places: tuple[Path, Path, Path]) -> None:
    ws, home, _ = places
    ro = layout(places, "read-only")
    assert ro.writable_roots() == [] and ro.must_exist() == []
    assert not ro.is_writable(str(ws / "a.py"))
    mounts = ro.mounts("")
    assert mounts[0] == Mount("tmpfs", "/tmp")
    assert Mount("ro-bind", str(ws)) in mounts and Mount("mask", str(home / ".ssh")) in mounts


def test_missing_guarded_folders_are_made_first(places: tuple[Path, Path, Path]) -> None:
    ws, _, _ = places
    assert not layout(places).is_writable(str(ws / ".devagent" / "settings.json"))
    assert layout(places).must_exist() == [
        str(ws / ".devagent"),
        str(ws / ".claude"),
        str(ws / ".git" / "hooks"),
    ]


def test_a_linked_worktree_can_commit_but_not_change_hooks(tmp_path: Path) -> None:
    main = tmp_path / "main"
    subprocess.run(["git", "init", "-q", str(main)], check=True)
    subprocess.run(
        ["git", "-C", str(main), "commit", "-q", "--allow-empty", "-m", "x"],
        check=True,
        env={
            "GIT_AUTHOR_NAME": "a",
            "GIT_AUTHOR_EMAIL": "a@b",
            "GIT_COMMITTER_NAME": "a",
            "GIT_COMMITTER_EMAIL": "a@b",
            "PATH": "/usr/bin:/bin",
        },
    )
    wt = tmp_path / "wt"
    subprocess.run(["git", "-C", str(main), "worktree", "add", "-q", str(wt)], check=True)
    home = tmp_path / "home"
    home.mkdir()
    lay = Layout("workspace-write", str(wt), str(home))
    common = main / ".git"
    assert lay.is_writable(str(common / "objects" / "ab"))
    assert lay.is_writable(str(common / "worktrees" / "wt" / "index"))
    assert not lay.is_writable(str(common / "hooks" / "pre-commit"))
    assert not lay.is_writable(str(common / "config"))


def test_masks_become_empty_read_only_folders_or_dev_null(places: tuple[Path, Path, Path]) -> None:
    _, home, _ = places
    args = bwrap_args([Mount("mask", str(home / ".ssh")), Mount("mask", str(home / ".netrc"))])
    assert args[:7] == ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    assert args[7:] == [
        "--tmpfs",
        str(home / ".ssh"),
        "--remount-ro",
        str(home / ".ssh"),
        "--ro-bind",
        "/dev/null",
        str(home / ".netrc"),
    ]


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("curl -s https://example.com", "needs the network (curl)"),
        ("cd sub && git push origin main", "needs the network (git push)"),
        ("python3 -m pip install requests", "needs the network (pip install)"),
        ("npm ci", "needs the network (npm ci)"),
        ("env X=1 wget x", "needs the network (wget)"),
        ("touch ~/.bashrc", "writes ~/.bashrc"),
        ("docker ps", "talks to a host service over a Unix socket (docker)"),
        ("tmux new-window make", "talks to a host service over a Unix socket (tmux)"),
        ("cp a.txt /etc/x", "writes /etc/x"),
        ("rm -rf .git/hooks/pre-commit", "writes .git/hooks/pre-commit"),
    ],
)
def test_commands_that_must_leave_the_sandbox(
    places: tuple[Path, Path, Path], command: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, home, _ = places
    monkeypatch.setenv("HOME", str(home))
    lay = layout(places)
    found = escape_reason(command, network=False, writable=lay.is_writable, workspace=str(ws))
    assert found is not None and reason in found


@pytest.mark.parametrize(
    "command",
    [
        "pytest -q",
        "git status && git commit -m x",
        "npm test",
        "touch a.txt /tmp/b && rm -f /dev/null",
        "cp a.txt sub/b.txt",
        "chmod 755 run.sh",
    ],
)
def test_commands_that_fit_the_sandbox(places: tuple[Path, Path, Path], command: str) -> None:
    ws, _, _ = places
    lay = layout(places)
    assert (
        escape_reason(command, network=False, writable=lay.is_writable, workspace=str(ws)) is None
    )


def test_with_the_network_allowed_only_writes_escape(places: tuple[Path, Path, Path]) -> None:
    ws, _, _ = places
    writable = layout(places).is_writable
    assert escape_reason("curl x", network=True, writable=writable, workspace=str(ws)) is None
    found = escape_reason(
        "curl x > /dev/null; touch /etc/x", network=True, writable=writable, workspace=str(ws)
    )
    assert found == "writes /etc/x, which the sandbox keeps read-only"


def test_the_seccomp_filter_is_whole_instructions_and_known_arches_only() -> None:
    from devagent.sandbox.seccomp import filter_program

    for machine in ("x86_64", "aarch64"):
        program = filter_program(machine)
        assert program is not None and len(program) % 8 == 0 and len(program) // 8 < 40
    assert filter_program("sparc64") is None

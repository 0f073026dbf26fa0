"""Benchmark: what skills cost a run, in one process.

Every run (one-shot and chat) discovers skills before its first request, and every tool call
is decided by the permission policy, which asks the active skills for grants. Prints medians:

- discovery with no skill folders, with the ten fixture skills of ``tests/skills/fixtures``,
  and with 200 generated skills, against persona discovery of the bundled personas (a cost every
  run already pays);
- a Bash decision by the engine alone, through the skill policy with no skill active, and with
  a granting skill active (the first decision builds the granting copy, later ones reuse it);
- the size of the Skill tool's description (what the listing adds to each request).

    .venv/bin/python bench/bench_skills.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.fspath(ROOT / "src"))

from devagent.approval import PermissionRequest  # noqa: E402
from devagent.permissions import PermissionEngine  # noqa: E402
from devagent.personas import discover as discover_personas  # noqa: E402
from devagent.skills import SkillSet, discover  # noqa: E402

FIXTURES = ROOT / "tests" / "skills" / "fixtures" / "openai"
GENERATED = 200


def median_s(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def make_workspace(root: Path, skills: int, fixtures: bool) -> Path:
    ws = root / f"ws-{skills}-{fixtures}"
    folder = ws / ".claude" / "skills"
    folder.mkdir(parents=True)
    if fixtures:
        shutil.copytree(FIXTURES, folder, dirs_exist_ok=True)
    for n in range(skills):
        skill = folder / f"skill-{n:03d}"
        skill.mkdir()
        (skill / "SKILL.md").write_text(
            f"---\nname: skill-{n:03d}\ndescription: Does task {n}. Use when asked for {n}.\n"
            f"allowed-tools: Bash(make t{n}:*)\n---\n" + "Step.\n" * 40
        )
    return ws


def bash(command: str) -> PermissionRequest:
    return PermissionRequest("Bash", {"command": command}, command=command, kind="execute")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home, user_home = root / "dhome", root / "home"
        home.mkdir()
        user_home.mkdir()
        empty = make_workspace(root, 0, fixtures=False)
        ten = make_workspace(root, 0, fixtures=True)
        many = make_workspace(root, GENERATED, fixtures=False)
        personas = median_s(runs, lambda: discover_personas(empty, empty, home, user_home))
        timings = {
            "no skills": median_s(runs, lambda: discover(empty, empty, home, user_home)),
            "10 fixture skills": median_s(runs, lambda: discover(ten, ten, home, user_home)),
            f"{GENERATED} skills": median_s(runs, lambda: discover(many, many, home, user_home)),
        }
        print(f"persona discovery (bundled personas, baseline): {personas * 1e3:8.2f} ms")
        for label, seconds in timings.items():
            ratio = seconds / personas
            print(f"skill discovery, {label:>17}: {seconds * 1e3:8.2f} ms  ({ratio:.2f}x baseline)")
        catalog = discover(many, many, home, user_home)
        engine = PermissionEngine(many)
        skills = SkillSet(catalog, trusted=True)
        policy = skills.policy(engine)
        request = bash("make t7 all")
        alone = median_s(runs * 10, lambda: engine.decide(request))
        idle = median_s(runs * 10, lambda: policy.decide(request))
        skills.load("skill-007")
        assert policy.decide(request).behavior == "allow"
        active = median_s(runs * 10, lambda: policy.decide(request))
        print(f"Bash decision, engine alone:          {alone * 1e6:8.1f} us")
        print(f"Bash decision, no skill active:       {idle * 1e6:8.1f} us  ({idle / alone:.2f}x)")
        print(
            f"Bash decision, granting skill active: {active * 1e6:8.1f} us  ({active / alone:.2f}x)"
        )
        tool = SkillSet(discover(ten, ten, home, user_home)).tool()
        assert tool is not None
        print(f"Skill tool description, 10 fixture skills: {len(tool.describe())} characters")


if __name__ == "__main__":
    main()

"""Helpers for the chat tests: a scripted line input, a recording view and approver, a REPL
built around a scripted model, and a tmux driver for the real `devagent chat` in a terminal."""

from __future__ import annotations

import contextlib
import shlex
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devagent.agent import Agent, Limits
from devagent.approval import ApprovalAnswer, ApprovalRequest, PlanAnswer, PlanApproval
from devagent.assembly import AgentOptions
from devagent.checkpoints import CheckpointStore
from devagent.events import Event, TextDelta, ToolFinished
from devagent.llm.base import Model
from devagent.permissions import PermissionEngine
from devagent.personas import Catalog
from devagent.session import SessionStore, sessions_dir
from devagent.tools.base import ToolContext
from devagent.tools.catalog import default_registry
from devagent.ui.prompt_input import PromptHost
from devagent.ui.repl import ChatDeps, Repl

# --- in-process pieces ----------------------------------------------------------------------


class ScriptedInput:
    """Lines (or exceptions to raise) in order; EOFError when they run out."""

    def __init__(self, lines: Iterable[str | BaseException], answers: Iterable[str] = ()) -> None:
        self.lines = list(lines)
        self.answers = list(answers)
        self.asked: list[str] = []
        self.busy_turns = 0
        self.host: PromptHost | None = None

    def attach(self, host: PromptHost) -> None:
        self.host = host

    def read(self) -> str:
        if not self.lines:
            raise EOFError
        item = self.lines.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    def ask(self, message: str) -> str:
        self.asked.append(message)
        return self.answers.pop(0) if self.answers else ""

    def busy(self) -> contextlib.AbstractContextManager[None]:
        self.busy_turns += 1
        return contextlib.nullcontext()


@dataclass
class RecordingView:
    events: list[Event] = field(default_factory=list)
    turns_ended: int = 0

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def waiting(self, on: bool) -> None:
        pass

    def pause(self) -> None:
        pass

    def end_turn(self) -> None:
        self.turns_ended += 1

    def last_tool_details(self, n: int = 1) -> list[str]:
        done = [e.content for e in self.events if isinstance(e, ToolFinished)]
        return done[-n:]

    def text(self) -> str:
        return "".join(e.text for e in self.events if isinstance(e, TextDelta))


@dataclass
class ScriptedApprover:
    """Answers approvals in order: True, False, or a feedback string (a denial with it); plans
    from ``plan_answers`` (keep planning when they run out)."""

    answers: list[bool | str | BaseException] = field(default_factory=list)
    requests: list[ApprovalRequest] = field(default_factory=list)
    plan_answers: list[PlanAnswer] = field(default_factory=list)
    plans: list[PlanApproval] = field(default_factory=list)

    def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else False
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, str):
            return ApprovalAnswer(False, feedback=answer)
        return ApprovalAnswer(answer)

    def review_plan(self, request: PlanApproval) -> PlanAnswer:
        self.plans.append(request)
        return self.plan_answers.pop(0) if self.plan_answers else PlanAnswer("keep_planning")


@dataclass
class ModelBuilder:
    """Builds agents around models taken from ``models`` by name (or the fallback), with the
    built-in tools and the persona's body (or a fixed line) as the whole system prompt."""

    model: Model
    models: dict[str, Model] = field(default_factory=dict)

    def make_model(self, name: str) -> Model:
        return self.models.get(name, self.model)

    def __call__(self, options: AgentOptions) -> Agent:
        persona = options.persona
        assert options.ctx is not None and options.spend is not None  # the conversation's
        return Agent(
            model=self.make_model(options.model_name),
            tools=default_registry(),
            ctx=options.ctx,
            policy=options.policy,
            approver=options.approver,
            system=persona.body if persona else "You are a test agent.",
            emit=options.emit,
            limits=Limits(),
            transcript=options.transcript,
            history=options.history or [],
            spend=options.spend,
            before_request=options.before_request,
        )


@dataclass
class Chat:
    repl: Repl
    view: RecordingView
    input: ScriptedInput
    approver: ScriptedApprover
    out: Any
    home: Path

    def output(self) -> str:
        return str(self.out.getvalue())


def make_chat(
    workspace: Path,
    home: Path,
    model: Model,
    lines: Iterable[str | BaseException] = (),
    *,
    approvals: Iterable[bool | str | BaseException] = (),
    answers: Iterable[str] = (),
    catalog: Catalog | None = None,
    custom: dict[str, Any] | None = None,
    mode: str = "default",
) -> Chat:
    import io

    from devagent.ui.console import make_console

    out = io.StringIO()
    console = make_console(file=out, env={"NO_COLOR": "1"}, width=100)
    view = RecordingView()
    engine = PermissionEngine(workspace, mode=mode)  # type: ignore[arg-type]
    approver = ScriptedApprover(list(approvals))
    builder = ModelBuilder(model)
    options = AgentOptions(
        workspace=workspace,
        cwd=workspace,
        home=home,
        model_name=getattr(model, "name", "m"),
        make_model=builder.make_model,
        policy=engine,
        approver=approver,
        ctx=ToolContext(workspace=workspace, cwd=workspace),
    )
    deps = ChatDeps(
        console=console,
        view=view,
        options=options,
        engine=engine,
        catalog=catalog or Catalog(),
        sessions=SessionStore(sessions_dir(home, workspace), {"workspace": str(workspace)}),
        checkpoints=CheckpointStore(workspace, home),
        custom_commands=custom or {},
        builder=builder,
    )
    line_input = ScriptedInput(lines, answers)
    repl = Repl(deps, line_input)
    return Chat(repl, view, line_input, approver, out, home)


# --- a real terminal through tmux -----------------------------------------------------------


class Tmux:
    """One program in a private tmux server (its own socket), driven with send-keys."""

    def __init__(self, workdir: Path, width: int = 110, height: int = 40) -> None:
        self.workdir = workdir
        self.socket = workdir / "tmux.sock"
        self.width, self.height = width, height
        self.rc_file = workdir / "rc.txt"
        self.stty_before = workdir / "stty-before.txt"
        self.stty_after = workdir / "stty-after.txt"

    def _tmux(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["tmux", "-S", str(self.socket), *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=20,
        )
        return done.stdout

    def start(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        """Run ``argv`` in a fresh terminal; its exit code lands in ``rc_file``."""
        script = self.workdir / "run.sh"
        exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items() if _ok(k))
        script.write_text(
            "#!/bin/sh\n"
            # A trap (not an ignore) so the program gets the default SIGINT, while the
            # script survives the Ctrl-C the test sends to the program and records its exit.
            f"{exports}export TERM=screen\ntrap : INT\ncd {shlex.quote(str(cwd))}\n"
            f"stty -g > {shlex.quote(str(self.stty_before))}\n"
            f"{shlex.join(argv)}\n"
            f"echo $? > {shlex.quote(str(self.rc_file))}.tmp\n"
            f"stty -g > {shlex.quote(str(self.stty_after))}\n"
            f"mv {shlex.quote(str(self.rc_file))}.tmp {shlex.quote(str(self.rc_file))}\n"
            "exec sleep 600\n"
        )
        script.chmod(0o755)
        self._tmux(
            "-f", "/dev/null", "new-session", "-d", "-s", "chat",
            "-x", str(self.width), "-y", str(self.height), str(script),
        )  # fmt: skip

    def screen(self) -> str:
        """The visible screen plus scrollback, wrapped lines joined."""
        return self._tmux("capture-pane", "-p", "-J", "-t", "chat", "-S", "-2000")

    def send(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "chat", *keys)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", "chat", "-l", text)

    def paste(self, text: str) -> None:
        """Paste ``text`` the way a terminal does (bracketed, when the program asked for it)."""
        subprocess.run(
            ["tmux", "-S", str(self.socket), "load-buffer", "-b", "paste", "-"],
            input=text,
            text=True,
            check=True,
            timeout=20,
        )
        self._tmux("paste-buffer", "-p", "-d", "-b", "paste", "-t", "chat")

    def line(self, text: str) -> None:
        self.type(text)
        self.send("Enter")

    def wait_for(
        self, predicate: Callable[[str], bool] | str, timeout: float = 30.0, what: str = ""
    ) -> str:
        check = (lambda s: predicate in s) if isinstance(predicate, str) else predicate
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if check(screen):
                return screen
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what or predicate!r}; screen:\n{screen}")

    def wait_exit(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.rc_file.exists():
                return int(self.rc_file.read_text().strip())
            time.sleep(0.05)
        raise AssertionError(f"the program did not exit; screen:\n{self.screen()}")

    def pane_pid(self) -> int:
        return int(self._tmux("display-message", "-p", "-t", "chat", "#{pane_pid}").strip())

    def kill(self) -> None:
        self._tmux("kill-server", check=False)


def _ok(name: str) -> bool:
    # COLUMNS/LINES from the test runner would override the terminal's real size.
    return name.isidentifier() and name not in ("COLUMNS", "LINES", "TMUX", "TERM")


def prompt_ready(screen: str) -> bool:
    """The last non-empty line above the toolbar is an empty prompt."""
    lines = [line for line in screen.splitlines() if line.strip()]
    return any(line.rstrip() == ">" for line in lines[-3:])


def at_prompt(screen: str) -> bool:
    """The latest prompt line on the screen is empty (the REPL waits for input)."""
    prompts = [
        line.rstrip() for line in screen.splitlines() if line.rstrip() == ">" or line[:2] == "> "
    ]
    return bool(prompts) and prompts[-1] == ">"

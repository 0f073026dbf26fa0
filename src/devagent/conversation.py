"""One conversation with the model: the agent carrying it, its history, transcript and spend.

UI-free: the chat and one-shot runs both drive a ``Conversation`` and see it through events
(``CompactionNotice`` among them); the UI renders those and answers the approver's questions.
Everything that happens to a conversation between requests and turns happens here:

- what the model is told with a prompt: notes (a ``!command``'s output, an earlier request
  that got no reply) and, in plan mode, that plan mode is on;
- history rewrites: compaction (``devagent.compactor``) before a request once the last one
  filled ``AUTO_RATIO`` of the window, and once more (then the run resumes) when the API
  refuses a request as too long; ``/compact``; closing tool calls an interrupt or a killed
  process left without a result; switching session (``/clear``, ``/resume``);
- usage and cost: one ``Spend`` for every agent of the conversation, its sub-agents and the
  summaries it asked for;
- the transcript: each message as it joins the history, compactions as records, and the folder
  beside it where sub-agents write theirs;
- session hooks (``devagent.hooks.session``): SessionStart (``begin``, ``/clear``, ``/resume``,
  after a compaction), UserPromptSubmit before each prompt, PreCompact, SessionEnd on close.

The agent is rebuilt (``/agent``, ``/model``) by ``devagent.assembly.build_agent`` from the
conversation's options; the new one carries on the same history, transcript and spend.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from devagent import session
from devagent.agent import Agent, RunResult, Spend
from devagent.assembly import AgentOptions, build_agent
from devagent.compactor import Compactor
from devagent.errors import ModelError
from devagent.events import AssistantMessageDone, CompactionNotice, Event, TurnUsage
from devagent.hooks.session import (
    pre_compact,
    prompt_text,
    session_end,
    session_start,
    submit_prompt,
)
from devagent.messages import Block, Message, Usage, text_block, tool_result_block
from devagent.personas import Persona
from devagent.prompt import PLAN_MODE_NOTE
from devagent.tools.base import ToolContext
from devagent.tools.bash import shutdown_all
from devagent.tools.plan import ended_with_plan

STILL_TOO_LONG = (
    "The conversation is still too long for the context window after summarising older "
    "messages (this turn alone may not fit). Use /clear to start afresh, or ask for smaller steps."
)
NO_REPLY = "[The previous request got no reply: it was interrupted or failed.]"
Build = Callable[[AgentOptions], Agent]


class Conversation:
    """A session's conversation (see the module docstring).

    ``options`` describe the agent; ``emit`` there is where the conversation's events go. Open
    one with ``start`` (a new session) or ``resume_at`` (a stored one).
    """

    def __init__(
        self,
        options: AgentOptions,
        sessions: session.SessionStore,
        session_id: str,
        transcript: session.Transcript,
        history: list[Message] | None = None,
        *,
        build: Build = build_agent,
    ) -> None:
        self.sessions = sessions
        self.session_id = session_id
        self.transcript = transcript
        self.spend = options.spend if options.spend is not None else Spend()
        self._sink = options.emit
        self.hooks = options.hooks
        self._compactor = Compactor(
            self, self.spend, self._emit, lambda t, f: pre_compact(self.hooks, t, f, self._emit)
        )
        self._usage_log = session.UsageLog()
        self._build = build
        self._notes: list[str] = []
        self._hook_context: list[str] = []  # SessionStart's, sent with the next prompt
        self._typed: str | None = None  # the words of the composed prompt, for hooks
        self._replies = 0
        ctx = options.ctx or ToolContext(
            workspace=options.workspace, cwd=options.workspace, launcher=options.launcher
        )
        self.hooks.bind(lambda: (self.session_id, str(self.transcript.path)), _mode_of(options))
        self._options = replace(
            options,
            emit=self._emit,
            ctx=ctx,
            spend=self.spend,
            before_request=self._compactor.before_request,
            subagent_folder=self._subagent_folder,
        )
        self.agent = self._agent_for(self._options, history or [])

    @classmethod
    def start(
        cls,
        options: AgentOptions,
        sessions: session.SessionStore,
        session_id: str,
        *,
        lazy: bool = True,
        build: Build = build_agent,
    ) -> Conversation:
        """A new session; ``lazy``: its file is made only once a message is recorded."""
        transcript = sessions.open(session_id) if lazy else sessions.create(session_id)
        return cls(options, sessions, session_id, transcript, build=build)

    @classmethod
    def resume_at(
        cls,
        options: AgentOptions,
        sessions: session.SessionStore,
        path: Path,
        *,
        build: Build = build_agent,
    ) -> Conversation:
        """The session stored at ``path``, locked before it is read (``SessionLockedError``
        when another devagent process has it open)."""
        transcript, loaded = sessions.continue_at(path)
        history = repair_history(loaded.messages)
        return cls(options, sessions, path.stem, transcript, history, build=build)

    # -- what it is --------------------------------------------------------------------------

    @property
    def history(self) -> list[Message]:
        return self.agent.history

    @property
    def options(self) -> AgentOptions:
        """What the current agent was built from."""
        return self._options

    @property
    def persona(self) -> Persona | None:
        return self._options.persona

    @property
    def model_name(self) -> str:
        return self.agent.model.name

    @property
    def last_usage(self) -> Usage:
        """The context the last request held: what decides when to compact."""
        return self._compactor.last_usage

    def _agent_for(self, options: AgentOptions, history: list[Message]) -> Agent:
        return self._build(replace(options, transcript=self.transcript, history=history))

    def begin(self, source: str) -> None:
        """Fire SessionStart (``startup``, ``resume``, ``clear``, ``compact``); what its hooks
        add goes with the next prompt."""
        context = session_start(self.hooks, source, self.agent.ctx.cancel, self._emit)
        if context:
            self._hook_context.append(context)

    def _subagent_folder(self) -> Path:
        return self.transcript.path.with_suffix(".subagents")

    def _emit(self, event: Event) -> None:
        if isinstance(event, TurnUsage):
            self._compactor.last_usage = event.usage
            self._log_usage()
        elif isinstance(event, AssistantMessageDone):
            self._replies += 1
        self._sink(event)
        if isinstance(event, CompactionNotice) and event.stage == "done":
            self.begin("compact")

    # -- turns -------------------------------------------------------------------------------

    def note(self, text: str) -> None:
        """Something the model should know with the next prompt (a shell command's output,
        files an undo restored)."""
        self._notes.append(text)

    def compose(
        self, text: str, attachments: Sequence[Block] = (), read: Sequence[Path] = ()
    ) -> str | list[Block]:
        """The next prompt: pending notes, ``text``, then ``attachments`` (files the user
        named, which count as read, so the model may edit them without reading them again)."""
        for path in read:
            with contextlib.suppress(OSError):
                self.agent.ctx.ledger.record(path, path.read_bytes())
        notes = list(self._notes)
        self._notes.clear()
        self._typed = text
        if _awaiting_reply(self.history) and not ended_with_plan(self.history):
            notes.insert(0, NO_REPLY)
        if not notes and not attachments:
            return text
        return [*(text_block(n) for n in notes), text_block(text), *attachments]

    def run(self, prompt: str | list[Block]) -> RunResult:
        """Run one prompt; when the API says the prompt is too long, compact once and resume.

        That may happen on any request of the turn: the first one (the history ends with the
        prompt) or a later one (it ends with tool results). Either way the history is valid
        and ends with the user message still waiting for a reply. Compaction cuts only before
        a user message holding text, and this turn's prompt is the latest such message, so
        only older messages are summarised: the turn so far stays verbatim, every tool_use
        beside its tool_result, and the loop resumes from it without repeating the prompt.
        """
        started, agent = time.monotonic(), self.agent
        self._replies = 0
        typed = self._typed if self._typed is not None else prompt_text(prompt)
        pending, self._typed = self._hook_context, None
        prompt = submit_prompt(self.hooks, prompt, typed, pending, agent.ctx.cancel, self._emit)
        self._hook_context = []
        modes = self._options.modes
        if modes is not None and modes.mode == "plan":
            prompt = _with_note(PLAN_MODE_NOTE, prompt)
        try:
            return agent.run(prompt)
        except ModelError as exc:
            if not _too_long(exc) or not _awaiting_reply(agent.history):
                raise
        self._compactor.to_fit()
        try:
            result = agent.resume(turns_done=self._replies)
        except ModelError as exc:
            if not _too_long(exc):
                raise
            raise ModelError(STILL_TOO_LONG) from exc
        return replace(result, duration_ms=int((time.monotonic() - started) * 1000))

    def close_dangling(self, text: str) -> None:
        """Answer every tool call of the last reply left without a result (an interrupt)."""
        blocks = _dangling_results(self.history, text)
        if blocks:
            message: Message = {"role": "user", "content": blocks}
            self.history.append(message)
            self.transcript.message(message)

    def compact(self, focus: str | None) -> bool:
        """Summarise the whole conversation (``/compact``); False when there is nothing to.
        On an error (or Ctrl-C) the history is left as it was."""
        return self._compactor.manual(focus)

    # -- agent and session -------------------------------------------------------------------

    def switch(self, persona: Persona | None, model_name: str) -> None:
        """Carry on with another persona or model: same history, transcript and spend."""
        options = replace(self._options, persona=persona, model_name=model_name)
        self.agent, self._options = self._agent_for(options, self.history), options  # or neither

    def new_session(self) -> None:
        """Start afresh in a new session (``/clear``); files are not touched."""
        session_end(self.hooks, "clear", self._emit)
        new_id = session.new_session_id()
        self._switch(new_id, self.sessions.open(new_id), [])
        self.begin("clear")

    def resume(self, path: Path) -> session.LoadedSession:
        """Continue the session stored at ``path`` instead, with its tokens, cost and context
        restored. Its transcript is locked before it is read; ``SessionLockedError`` leaves
        the current session as it was."""
        transcript, loaded = self.sessions.continue_at(path)
        self._switch(path.stem, transcript, repair_history(loaded.messages))
        found = session.spent(loaded.records) or session.Spent(Usage(), 0.0, Usage())
        self.spend.restore(found)
        self._compactor.last_usage = found.context
        self._usage_log.mark(self.spend.usage, self.spend.cost_usd)
        self.begin("resume")
        return loaded

    def _log_usage(self) -> None:
        """Record in the transcript what was spent since the last record (sub-agents and
        summaries included)."""
        s = self.spend
        self._usage_log.record(self.transcript, s.usage, s.cost_usd, self.last_usage, s.unpriced)

    def _switch(
        self, session_id: str, transcript: session.Transcript, history: list[Message]
    ) -> None:
        """Make ``transcript`` the current one; the previous is closed, releasing its lock."""
        self._log_usage()
        self.transcript.close()
        self.session_id = session_id
        self.transcript = transcript
        self.agent.transcript = transcript
        self.agent.history = history
        self._compactor.last_usage = Usage()
        self._usage_log.mark(self.spend.usage, self.spend.cost_usd)
        self._notes.clear()
        self._hook_context.clear()

    def close(self, reason: str = "other") -> None:
        """Fire SessionEnd (``reason``), stop what the tools left running and close the
        transcript (its lock goes too)."""
        try:
            session_end(self.hooks, reason, self._emit)
        finally:
            shutdown_all(self.agent.ctx)
        self._log_usage()
        self.transcript.close()


def _mode_of(options: AgentOptions) -> Callable[[], str]:
    modes = options.modes
    return (lambda: modes.mode) if modes is not None else (lambda: "default")


def repair_history(messages: list[Message]) -> list[Message]:
    """Close every tool_use left without a result (a crash mid-turn) with an error result."""
    messages = [dict(m) for m in messages]  # results may be appended; leave the caller's intact
    repaired: list[Message] = []
    for i, message in enumerate(messages):
        repaired.append(message)
        content = message.get("content")
        if message.get("role") != "assistant" or not isinstance(content, list):
            continue
        ids = [b["id"] for b in content if isinstance(b, dict) and b.get("type") == "tool_use"]
        following = messages[i + 1] if i + 1 < len(messages) else None
        answered = _result_ids(following)
        missing = [tid for tid in ids if tid not in answered]
        if not missing:
            continue
        closing = [
            tool_result_block(t, "No result: the session ended first.", True) for t in missing
        ]
        if following is not None and following.get("role") == "user" and answered:
            following["content"] = [*following["content"], *closing]
        else:
            repaired.append({"role": "user", "content": closing})
    return repaired


def _result_ids(message: Message | None) -> set[str]:
    if message is None or message.get("role") != "user":
        return set()
    content = message.get("content")
    if not isinstance(content, list):
        return set()
    return {b["tool_use_id"] for b in content if isinstance(b, dict) and "tool_use_id" in b}


def _dangling_results(history: list[Message], text: str) -> list[Block]:
    """Answer every ``tool_use`` of a trailing assistant message that has no result yet."""
    if not history or history[-1].get("role") != "assistant":
        return []
    content = history[-1].get("content")
    if not isinstance(content, list):
        return []
    return [
        tool_result_block(b["id"], text, True)
        for b in content
        if isinstance(b, dict) and b.get("type") == "tool_use"
    ]


def _with_note(note: str, prompt: str | list[Block]) -> list[Block]:
    """``prompt`` with ``note`` in a text block before it."""
    blocks = [text_block(prompt)] if isinstance(prompt, str) else prompt
    return [text_block(note), *blocks]


def _too_long(exc: ModelError) -> bool:
    """The API refused the request because its context exceeds the model's window."""
    return "prompt is too long" in str(exc)


def _awaiting_reply(history: list[Message]) -> bool:
    """The failed request was sent: the history ends with the user message it carried."""
    return bool(history) and history[-1].get("role") == "user"

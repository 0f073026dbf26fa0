"""The agent loop: ask the model, run the tools it asks for, repeat until it answers.

UI-free: it emits events and never prints. Collaborators arrive through the constructor
(model, tools, permission policy, approver, transcript), so behaviour changes by passing a
different collaborator, not by adding branches here.

Invariants:
- every ``tool_use`` in history is followed by exactly one ``tool_result`` in the next user
  message, also when a call is denied, invalid, fails or is interrupted;
- tools run only from a complete reply whose ``stop_reason`` is ``tool_use``;
- each message is written to the transcript as soon as it joins the history;
- a tool may end the run (``ToolResult.final``: a plan nobody here can approve); the run then
  succeeds with that text as its result, and later calls of the same reply are not run.

Every call is authorised by ``Agent.authorise`` (the policy, then the approver where the policy
asks; see ``devagent.authorisation``); the chat's own ``!command`` lines go through the same
check. Tokens, dollars and denials
add up in a ``Spend``, which the agents of one conversation share (its sub-agents add theirs).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from devagent.approval import Approver, PermissionPolicy, PermissionRequest
from devagent.authorisation import Verdict, authorise, denial_record, denial_text
from devagent.config import cost_text
from devagent.events import (
    AssistantMessageDone,
    EventSink,
    PermissionDenied,
    ToolFinished,
    ToolResultsSent,
    ToolStarted,
    TurnUsage,
)
from devagent.hooks.calls import Gate, HookStopped, after_tool, before_tool, stop_feedback
from devagent.hooks.dispatch import Hooks
from devagent.llm.base import Model, reply_cost, window_of
from devagent.messages import (
    AssistantReply,
    Block,
    Message,
    ModelRequest,
    Usage,
    text_block,
    tool_result_block,
)
from devagent.session import Spent, Transcript
from devagent.toolkinds import ToolKind
from devagent.tools.base import (
    FileChange,
    PreparedCall,
    ToolContext,
    ToolError,
    ToolInterrupted,
)
from devagent.tools.registry import ToolRegistry
from devagent.tools.schema import validate_input

Subtype = Literal["success", "error_max_turns", "error_max_budget", "error_during_execution"]
REPEAT_LIMIT = 3
MAX_PARALLEL_READS = 8


T = TypeVar("T")


def timed(call: Callable[[], T]) -> tuple[T, int]:
    """What ``call`` returns, and how many milliseconds it took."""
    started = time.monotonic()
    result = call()
    return result, int((time.monotonic() - started) * 1000)


class RunInterrupted(Exception):
    """The user interrupted a tool; history is already valid for the next request."""


@dataclass(frozen=True)
class Limits:
    max_turns: int | None = None
    max_budget_usd: float | None = None
    max_tokens: int = 16000


@dataclass
class Spend:
    """What a conversation has used so far: tokens, dollars, and the calls that were denied.

    One ``Spend`` is shared by every agent that carries a conversation on (after a model or
    persona switch) and checked against ``--max-budget-usd``; a sub-agent keeps its own and adds
    it to its parent's when it ends.
    """

    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    denials: list[dict[str, Any]] = field(default_factory=list)
    # Some usage had no known price: ``cost_usd`` then counts only the priced part.
    unpriced: bool = False
    # Per model (when the caller names it), and the time spent waiting for the API.
    by_model: dict[str, ModelSpend] = field(default_factory=dict)
    api_ms: int = 0

    def charge(
        self,
        usage: Usage,
        cost_usd: float | None,
        model: str | None = None,
        api_ms: int = 0,
        window: int | None = None,
    ) -> None:
        """Add ``usage``; ``cost_usd`` None: what it cost is unknown. A named ``model`` also
        counts it per model (with its context ``window`` from settings, if any); ``api_ms`` is
        the time spent waiting for the API."""
        self.usage.add(usage)
        self.api_ms += api_ms
        if model:
            spent = self.by_model.setdefault(model, ModelSpend())
            spent.add(usage, cost_usd)
            spent.context_window = window or spent.context_window
        if cost_usd is None:
            self.unpriced = True
        else:
            self.cost_usd += cost_usd

    def charge_reply(self, reply: AssistantReply, model: Model, api_ms: int) -> None:
        """Charge what ``reply`` of ``model`` cost, under the model that answered."""
        name = reply.model or model.name
        self.charge(reply.usage, reply_cost(model, reply), name, api_ms, window_of(model))

    def absorb(self, other: Spend) -> None:
        """Add a sub-agent's spend to this one."""
        self.charge(other.usage, None if other.unpriced else other.cost_usd, api_ms=other.api_ms)
        if other.unpriced:
            self.cost_usd += other.cost_usd
        for model, spent in other.by_model.items():
            self.by_model.setdefault(model, ModelSpend()).merge(spent)
        self.denials.extend(other.denials)

    def restore(self, found: Spent) -> None:
        """Take the totals a resumed session's transcript recorded."""
        self.usage, self.cost_usd, self.unpriced = found.usage, found.cost_usd, found.unpriced

    @property
    def cost_text(self) -> str:
        return cost_text(self.cost_usd, self.unpriced)


@dataclass
class ModelSpend:
    """What one model has used in a conversation; ``unpriced``: part of it had no known price."""

    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    unpriced: bool = False
    # The window settings gave the model's profile; None: the default for its name.
    context_window: int | None = None

    def add(self, usage: Usage, cost_usd: float | None) -> None:
        self.usage.add(usage)
        if cost_usd is None:
            self.unpriced = True
        else:
            self.cost_usd += cost_usd

    def merge(self, other: ModelSpend) -> None:
        self.add(other.usage, other.cost_usd)
        self.unpriced = self.unpriced or other.unpriced
        self.context_window = other.context_window or self.context_window


@dataclass
class RunResult:
    subtype: Subtype
    result: str
    num_turns: int
    usage: Usage
    cost_usd: float
    permission_denials: list[dict[str, Any]]
    duration_ms: int = 0
    unpriced: bool = False  # some usage had no known price: the cost is unknown

    @property
    def is_error(self) -> bool:
        return self.subtype != "success"


@dataclass
class _Call:
    """One tool_use on its way to a tool_result."""

    block: Block
    prepared: PreparedCall | None = None
    read_only: bool = False
    kind: ToolKind = "other"
    result: Block | None = None
    gate: Gate | None = None  # what PreToolUse hooks left: the input that runs

    @property
    def input(self) -> dict[str, Any]:
        return self.gate.args if self.gate is not None else self.block["input"]


@dataclass
class Agent:
    model: Model
    tools: ToolRegistry
    ctx: ToolContext
    policy: PermissionPolicy
    approver: Approver
    system: str
    emit: EventSink
    limits: Limits = field(default_factory=Limits)
    transcript: Transcript | None = None
    history: list[Message] = field(default_factory=list)
    spend: Spend = field(default_factory=Spend)
    # Called with the history before each request; may return a shorter one (compaction).
    before_request: Callable[[list[Message]], list[Message]] | None = None
    hooks: Hooks = field(default_factory=Hooks)
    _failures: dict[str, int] = field(default_factory=dict)
    _stop_blocks: int = 0  # Stop hooks that blocked this run's answers in a row
    _stop: str | None = None
    _final: str | None = None  # a tool ended the run (ToolResult.final): its result

    @property
    def usage(self) -> Usage:
        return self.spend.usage

    @property
    def cost_usd(self) -> float:
        return self.spend.cost_usd

    @property
    def denials(self) -> list[dict[str, Any]]:
        return self.spend.denials

    def run(self, prompt: str | list[Block]) -> RunResult:
        """Run one user prompt to completion (or to a limit)."""
        started = time.monotonic()
        # A new prompt starts afresh: an earlier turn's stop and failure counts do not carry.
        self._stop, self._final, self._failures, self._stop_blocks = None, None, {}, 0
        self._append({"role": "user", "content": prompt})
        return self._run_from(started)

    def resume(self, *, turns_done: int = 0) -> RunResult:
        """Continue from the history as it stands, adding no prompt (or to a limit).

        For retrying a request that failed, e.g. after compacting the history: it must end
        with the user message that request carried (a prompt or tool results). ``turns_done``
        are the replies the failed run already got; they count towards ``--max-turns``.
        """
        if not self.history or self.history[-1].get("role") != "user":
            raise ValueError("resume() needs a history that ends with a user message")
        self._stop = self._final = None
        return self._run_from(time.monotonic(), turns_done)

    def _run_from(self, started: float, turns_done: int = 0) -> RunResult:
        subtype, turns, last_text = self._loop(turns_done)
        return RunResult(
            subtype,
            self._stop or last_text,
            turns,
            self.usage,
            self.cost_usd,
            self.denials,
            int((time.monotonic() - started) * 1000),
            self.spend.unpriced,
        )

    def _loop(self, turns: int) -> tuple[Subtype, int, str]:
        last_text = ""
        while True:
            limit = limit_reached(self.limits, turns, self.cost_usd)
            if limit is not None:
                self._stop = limit[1]
                return limit[0], turns, last_text
            reply = self._ask_model()
            turns += 1
            last_text = reply.text() or last_text
            if reply.stop_reason == "tool_use" and reply.tool_uses():
                self._run_tools(reply)
                if self._stop is not None:
                    return "error_during_execution", turns, last_text
                if self._final is not None:
                    return "success", turns, self._final
            elif reply.stop_reason == "max_tokens" and reply.tool_uses():
                self._send_results(cut_call_results(reply))  # run nothing; let it retry
            elif reply.stop_reason != "pause_turn" and not self._stop_hook_blocks():
                return "success", turns, last_text

    def _ask_model(self) -> AssistantReply:
        if self.before_request is not None:
            self.history = self.before_request(self.history)
        request = ModelRequest(
            self.system, list(self.history), self.tools.specs(), self.limits.max_tokens
        )
        reply, api_ms = timed(lambda: self.model.stream(request, self.emit))
        self.spend.charge_reply(reply, self.model, api_ms)
        self.emit(TurnUsage(reply.usage, self.usage, self.cost_usd))
        self._append(reply.as_message())
        self.emit(AssistantMessageDone(reply))
        return reply

    def _stop_hook_blocks(self) -> bool:
        """Stop hooks blocked the answer: their feedback is sent and the loop goes on."""
        feedback = stop_feedback(self.hooks, self._stop_blocks, self.ctx.cancel, self.emit)
        self._stop_blocks = 0 if feedback is None else self._stop_blocks + 1
        if feedback is not None:
            self._append({"role": "user", "content": [text_block(feedback)]})
        return feedback is not None

    def _run_tools(self, reply: AssistantReply) -> None:
        calls = [_Call(block) for block in reply.tool_uses()]
        try:
            self._process(calls, reply.input_errors)
        except (KeyboardInterrupt, ToolInterrupted) as exc:
            self._close(calls, "Interrupted by user before this call finished.")
            raise RunInterrupted(str(exc) or "interrupted by user") from exc
        except BaseException:
            self._close(calls, "Not run: devagent stopped before this call.")
            raise
        self._close(calls, "Not run: the run stopped before this call.")

    def _close(self, calls: list[_Call], text: str) -> None:
        """Give every call a result (unfinished ones get ``text``) and send them at once."""
        for call in calls:
            if call.result is None:
                call.result = tool_result_block(call.block["id"], text, True)
        self._send_results([c.result for c in calls if c.result is not None])

    def _process(self, calls: list[_Call], input_errors: dict[str, str]) -> None:
        """Prepare and authorise each call in order; run read-only batches concurrently."""
        batch: list[_Call] = []
        for call in calls:
            self._authorise(call, input_errors.get(call.block["id"]))
            if self._stop is not None:
                return  # e.g. a PreToolUse hook said continue: false
            if call.result is not None:
                continue
            if call.read_only:
                batch.append(call)
                continue
            self._execute_batch(batch)
            batch = []
            self._execute(call)
            if self._stop is not None or self._final is not None:
                return
        self._execute_batch(batch)

    def _authorise(self, call: _Call, input_error: str | None) -> None:
        block = call.block
        try:
            if input_error is not None:
                raise ToolError(f"The call could not be used: {input_error}.")
            tool = self.tools.get(block["name"])
            call.kind = tool.kind
            args = validate_input(tool.name, block.get("input"), tool.input_schema)
            call.gate = before_tool(self.hooks, tool, block["id"], args, self.ctx.cancel, self.emit)
            call.prepared, call.read_only = tool.prepare(call.gate.args, self.ctx), tool.read_only
        except ToolError as exc:
            if isinstance(exc, HookStopped):
                self._stop = self._stop or exc.reason
            self._finish(call, str(exc), True)
            return
        self._check_permission(call)

    def _check_permission(self, call: _Call) -> None:
        block, prepared = call.block, call.prepared
        assert prepared is not None
        request = PermissionRequest(
            block["name"], call.input, prepared.paths, prepared.command, call.read_only, call.kind
        )
        verdict = self.authorise(request, block["id"], prepared.changes, call.gate)
        if not verdict.allowed:
            self._deny(call, verdict.reason, verdict.feedback)

    def authorise(
        self,
        request: PermissionRequest,
        tool_use_id: str,
        changes: tuple[FileChange, ...] = (),
        gate: Gate | None = None,
    ) -> Verdict:
        """Decide one call: the policy, PreToolUse hooks' say (``gate``), then the approver when
        that asks (shown the diff of ``changes``). Records nothing: refusals are the caller's."""
        ws = self.ctx.workspace
        return authorise(self.policy, self.approver, ws, request, tool_use_id, changes, gate)

    def _deny(self, call: _Call, reason: str, feedback: str | None) -> None:
        block = call.block
        self.denials.append(denial_record(block, reason))
        self.emit(PermissionDenied(block["id"], block["name"], block["input"], reason, call.kind))
        text = denial_text(reason, feedback)
        call.result = tool_result_block(block["id"], text, True)
        self.emit(ToolFinished(block["id"], block["name"], text, True, call.kind))

    def _execute_batch(self, batch: list[_Call]) -> None:
        if len(batch) <= 1:
            for call in batch:
                self._execute(call)
            return
        with ThreadPoolExecutor(max_workers=min(len(batch), MAX_PARALLEL_READS)) as pool:
            list(pool.map(self._execute, batch))

    def _execute(self, call: _Call) -> None:
        block, prepared = call.block, call.prepared
        assert prepared is not None
        self.emit(ToolStarted(block["id"], block["name"], call.input, call.kind))
        try:
            result = prepared.execute()
        except ToolError as exc:
            self._finish(call, str(exc), True)
            return
        except ToolInterrupted as exc:
            text = "Interrupted by user."
            if exc.partial_output:
                text += f" Output so far:\n{exc.partial_output}"
            self._finish(call, text, True)
            raise
        content, stop = result.content, None
        if not result.is_error:
            hooked = (self.hooks, block["name"], block["id"], call.input, content)
            content, stop = after_tool(*hooked, self.ctx.cancel, self.emit)
        self._stop = self._stop or stop
        self._finish(call, content, result.is_error, result.attachments)
        if result.final is not None:
            self._final = result.final

    def _finish(
        self, call: _Call, content: str, is_error: bool, attachments: tuple[Block, ...] = ()
    ) -> None:
        block = call.block
        call.result = tool_result_block(block["id"], content, is_error, attachments)
        self.emit(ToolFinished(block["id"], block["name"], content, is_error, call.kind))
        if is_error:
            self._count_failure(block, content)

    def _count_failure(self, block: Block, content: str) -> None:
        key = f"{block['name']}:{json.dumps(block.get('input'), sort_keys=True, default=str)}"
        self._failures[key] = self._failures.get(key, 0) + 1
        if self._failures[key] >= REPEAT_LIMIT and self._stop is None:
            self._stop = (
                f"Stopped: the model repeated the same failing {block['name']} call "
                f"{REPEAT_LIMIT} times. Last error: {content[:300]}"
            )

    def _send_results(self, blocks: list[Block]) -> None:
        self._append({"role": "user", "content": blocks})
        self.emit(ToolResultsSent(blocks))

    def _append(self, message: Message) -> None:
        self.history.append(message)
        if self.transcript is not None:
            self.transcript.message(message)


def limit_reached(limits: Limits, turns: int, cost_usd: float) -> tuple[Subtype, str] | None:
    """The limit a run has reached before its next request, and the text saying so."""
    if limits.max_turns is not None and turns >= limits.max_turns:
        return "error_max_turns", f"Stopped after {turns} turns (--max-turns {limits.max_turns})."
    if limits.max_budget_usd is not None and cost_usd >= limits.max_budget_usd:
        return "error_max_budget", (
            f"Stopped: spent ${cost_usd:.4f}, at or over --max-budget-usd {limits.max_budget_usd}."
        )
    return None


def cut_call_results(reply: AssistantReply) -> list[Block]:
    """max_tokens cut a tool call short: the results telling the model to retry smaller."""
    note = "Not run: your reply hit max_tokens before this tool call was complete. "
    note += "Retry with smaller input (e.g. split a large Write into several Edits)."
    return [tool_result_block(b["id"], note, True) for b in reply.tool_uses()]

"""The small model's nested request for WebFetch: the user's prompt applied to a page.

``Ask`` sends one Messages request and returns the complete reply; whoever builds it (the
assembly) picks the model (the ``haiku`` alias unless settings map it elsewhere) and charges
the reply's tokens and cost to the run. The page text is trimmed to ``PAGE_BUDGET``
characters (100,000, roughly 25,000 tokens), and the model is told when it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from devagent.messages import AssistantReply, ModelRequest

Ask = Callable[[ModelRequest], AssistantReply]

PAGE_BUDGET = 100_000
PAGE_START = "[page start]"
PAGE_END = "[page end]"
ANSWER_TOKENS = 4096
FETCH_SYSTEM = (
    "You read one web page for another assistant and answer its request about the page. "
    "Use only the page's content. Be concise and specific; keep exact names, numbers, code "
    "and links the answer needs. Quote sparingly, in short quotes. If the page does not hold "
    "what is asked, say so plainly."
)


@dataclass(frozen=True)
class PageAnswer:
    """What the small model said about a page, the model that said it, and whether the page
    was longer than the budget (``shown`` of ``length`` characters were sent)."""

    text: str
    model: str
    shown: int
    length: int

    @property
    def trimmed(self) -> bool:
        return self.shown < self.length


def page_request(url: str, page: str, prompt: str, budget: int = PAGE_BUDGET) -> ModelRequest:
    """The nested request: the page (trimmed to ``budget`` characters), then the prompt."""
    shown = page[:budget]
    note = ""
    if len(shown) < len(page):
        note = f"\n[The page was cut here: its first {budget:,} of {len(page):,} characters.]"
    content = (
        f"The web page {url}, as Markdown:\n{PAGE_START}\n{shown}\n{PAGE_END}{note}\n\n{prompt}"
    )
    message = {"role": "user", "content": content}
    return ModelRequest(FETCH_SYSTEM, [message], max_tokens=ANSWER_TOKENS, cache=False)


def apply_prompt(ask: Ask, url: str, page: str, prompt: str) -> PageAnswer:
    """Ask the small model ``prompt`` about ``page``."""
    reply = ask(page_request(url, page, prompt))
    text = reply.text().strip() or "(the model gave no answer)"
    return PageAnswer(text, reply.model, min(len(page), PAGE_BUDGET), len(page))

"""The conversation a browser keeps across reloads: its workspace, the chat as shown, the turns
a follow-up reads, and each turn's sources, as JSON for gr.BrowserState.

What comes back from the browser is the user's to change, so it is validated like any input:
anything malformed restores nothing, and the workspace it names is checked again on use.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict

from qa_bot.answers import Source
from qa_bot.condense import Turn
from qa_bot.config import Settings

STORAGE_KEY = "qa_bot_chat"
# Older turns keep their text but not their passages: a browser holds about 5 MB per site, and
# a turn's passages are most of its size.
KEEP_SOURCES = 30


class Message(TypedDict):
    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class SavedChat:
    workspace: str
    chat: list[Message]
    turns: list[Turn]
    sources: list[list[Source]]  # one list per turn, as gr.State holds them

    @classmethod
    def of(
        cls, workspace: str, chat: list[dict], turns: list[Turn], sources: list[list[Source]]
    ) -> SavedChat:
        """From the widgets' values: the Chatbot hands back each message's text in parts."""
        messages = [
            Message(role=m["role"], content=_text(m.get("content")))
            for m in chat
            if m.get("role") in ("user", "assistant")
        ]
        return cls(workspace, messages, list(turns), [list(s) for s in sources])

    def to_json(self) -> Any:
        old = len(self.sources) - KEEP_SOURCES
        kept = replace(self, sources=[[] if i < old else s for i, s in enumerate(self.sources)])
        return _ADAPTER.dump_python(kept, mode="json")

    @classmethod
    def from_json(cls, value: Any) -> SavedChat | None:
        """The chat `value` holds, or None when it is not one this module wrote."""
        try:
            saved = _ADAPTER.validate_python(value)
        except ValidationError:
            return None
        return saved if len(saved.sources) == len(saved.turns) else None


_ADAPTER = TypeAdapter(SavedChat)


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content or "")


def secret_for(settings: Settings) -> str:
    """The key the browser's copy is scrambled with: the same for every process serving one
    store (a restart or another replica reads it), another for another store on the same address.
    It is sent to the page, so it keeps other apps out, not the browser's own user."""
    where = settings.chroma_url or str(settings.persist_dir.resolve())
    return hashlib.sha256(f"qa_bot chat {where}".encode()).hexdigest()[:32]


def saved_for(value: Any, user: str) -> SavedChat | None:
    """The chat saved for `user` ("" without sign-in) in the browser's store `value`."""
    return SavedChat.from_json(value.get(user)) if isinstance(value, dict) else None


def save_for(user: str, chat: SavedChat | None) -> dict[str, Any]:
    """The browser's store holding `user`'s chat alone: on a computer two users share, the
    next one to sign in leaves nothing of the last one's conversation there."""
    return {user: chat.to_json()} if chat is not None else {}

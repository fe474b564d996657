"""The prompts a chat model sees, loaded once from editable files in prompts/.

Each file is an f-string template ({variable}; write {{ and }} for literal braces). A file that
leaves out a variable its step fills, or uses one no step fills, is an error at load time, so an
edited prompt never reaches the model with a silently empty slot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate

from qa_bot.errors import ConfigError

BUNDLED_PROMPTS = Path(__file__).resolve().parents[1] / "prompts"

# File name -> the variables it must use (and the only ones it may use).
SYSTEM_FILE = "system.txt"
ANSWER_FILE = "answer.txt"
CONDENSE_FILE = "condense.txt"
_TAG = re.compile(r"<(/?)document", re.IGNORECASE)
_VARIABLES = {
    SYSTEM_FILE: frozenset(),
    ANSWER_FILE: frozenset({"context", "question"}),
    CONDENSE_FILE: frozenset({"history", "question"}),
}


@dataclass(frozen=True)
class Prompts:
    answer: ChatPromptTemplate  # system + answer-with-citations: {context}, {question}
    condense: ChatPromptTemplate  # condense-follow-up: {history}, {question}


def load_prompts(folder: Path | None = None) -> Prompts:
    folder = folder or BUNDLED_PROMPTS
    system = _read(folder, SYSTEM_FILE)
    answer = ChatPromptTemplate.from_messages(
        [("system", system), ("human", _read(folder, ANSWER_FILE))]
    )
    condense = ChatPromptTemplate.from_messages([("human", _read(folder, CONDENSE_FILE))])
    return Prompts(answer=answer, condense=condense)


def _read(folder: Path, name: str) -> str:
    path = folder / name
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"cannot read prompt {path}: {exc.strerror or exc}") from exc
    try:
        used = set(PromptTemplate.from_template(text).input_variables)
    except ValueError as exc:  # an unbalanced brace
        raise ConfigError(
            f"prompt {path} is not a valid template ({exc}); write {{{{ for a literal {{"
        ) from exc
    expected = _VARIABLES[name]
    if missing := sorted(expected - used):
        raise ConfigError(f"prompt {path} must use {_braced(missing)}")
    if unknown := sorted(used - expected):
        allowed = _braced(sorted(expected)) if expected else "no variables"
        raise ConfigError(f"prompt {path} uses {_braced(unknown)}; it may use {allowed}")
    return text


def _braced(names: list[str]) -> str:
    return ", ".join("{" + name + "}" for name in names)


def format_context(docs: list[Document]) -> str:
    """The retrieved chunks as numbered, delimited data; a chunk cannot close its own tag."""
    blocks = []
    for number, doc in enumerate(docs, start=1):
        meta = doc.metadata
        where = str(meta.get("file_name") or meta.get("source") or "unknown")
        if meta.get("page") is not None:
            where += f", page {meta['page']}"
            if meta.get("last_page") is not None:
                where += f"-{meta['last_page']}"
        text = _TAG.sub("‹\\1document", doc.page_content)
        source = _TAG.sub("‹\\1document", where).replace('"', "'")
        blocks.append(f'<document number="{number}" source="{source}">\n{text}\n</document>')
    return "\n\n".join(blocks)

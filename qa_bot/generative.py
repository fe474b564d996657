"""Generative answers from the user's chat model, with every citation checked before it is shown.

The answer streams as the model writes it; the final Answer keeps only sentences that a retrieved
chunk supports, each with that chunk's marker, and lists the rest as unsupported. When nothing is
supported, or the model fails, times out or returns nothing usable, the user gets the extractive
answer with a notice saying why: a clear message, never a trace or a hung chat.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from langchain_core.documents import Document
from langchain_core.exceptions import (
    ModelAuthenticationError,
    ModelConnectionError,
    ModelNotFoundError,
    ModelTimeoutError,
)
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda

from qa_bot.answering import ExtractiveAnswerer
from qa_bot.answers import Answer, CitationCheck, Source
from qa_bot.citations import CheckResult, CitationChecker, SentenceCheck, clean_markers
from qa_bot.condense import Turn, condense
from qa_bot.llm import ChatBackend, NoReplyError
from qa_bot.prompts import Prompts, format_context

log = logging.getLogger(__name__)

# A runaway model (repeating itself) is cut here rather than streamed forever.
MAX_ANSWER_CHARS = 6000
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)
_OPEN_MARKER = re.compile(r"\s*\[[^\]]{0,20}$")
# The model was asked but gave nothing to check (error, timeout, empty reply).
_NOT_ANSWERED = CitationCheck(
    sentences=0, unsupported=0, markers=0, invalid_markers=0, fell_back=True
)


class GenerativeAnswerer(Runnable[dict[str, Any], Answer]):
    """{"question", "standalone", "docs"} -> Answer, written by the chat model and checked."""

    name = "generative_answerer"

    def __init__(
        self,
        backend: ChatBackend,
        prompts: Prompts,
        extractive: ExtractiveAnswerer,
        checker: CitationChecker,
    ) -> None:
        self.backend = backend
        self.prompts = prompts
        self.extractive = extractive
        self.checker = checker

    def invoke(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> Answer:
        answer = None
        for snapshot in self.stream(input, config):
            answer = snapshot
        assert answer is not None
        return answer

    def stream(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[Answer]:
        docs: list[Document] = list(input.get("docs") or [])
        # The extractive answer decides abstention (calibrated on retrieval signals) and is the
        # fallback; it costs milliseconds next to the model.
        extractive = self.extractive.invoke(input, config)
        if extractive.abstained:
            yield extractive
            return
        question: str = input["question"]
        standalone: str = input.get("standalone") or question
        messages = self.prompts.answer.invoke(
            {"context": format_context(docs), "question": standalone}
        )
        sources = tuple(Source.from_document(i + 1, doc) for i, doc in enumerate(docs))
        draft = Answer(question, standalone, "", sources, extractive.confidence, final=False)
        raw, shown = "", ""
        try:
            for piece in self.backend.stream(messages, config):
                raw += piece
                if len(raw) > MAX_ANSWER_CHARS:
                    break
                visible = _visible(raw, len(docs))
                if visible != shown:
                    shown = visible
                    yield draft.partial(shown)
        except Exception as exc:  # any failure of the model server ends in the fallback
            log.warning("%s failed: %s", self.backend.label, _failure_log(exc))
            notice = f"{_failure_message(exc, self.backend.label)}."
            yield replace(extractive, notice=notice, check=_NOT_ANSWERED)
            return
        yield self._checked(raw, docs, draft, extractive)

    def _checked(self, raw: str, docs: list[Document], draft: Answer, extractive: Answer) -> Answer:
        text = _THINK.sub("", raw[:MAX_ANSWER_CHARS]).strip()
        if not text:
            return replace(
                extractive,
                notice=f"The model ({self.backend.label}) returned no text, "
                "so this is the extractive answer.",
                check=_NOT_ANSWERED,
            )
        result = self.checker.check(text, docs, draft.standalone_query)
        supported = result.supported
        check = CitationCheck(
            sentences=len(result.sentences),
            unsupported=len(result.unsupported),
            markers=result.markers,
            invalid_markers=result.invalid_markers,
            fell_back=not supported,
        )
        flagged = tuple(sentence.text for sentence in result.unsupported)
        if not supported:
            return replace(
                extractive,
                notice="No sentence of the model's answer was found in the source it cited, "
                "so this is the extractive answer." + _invalid_note(result),
                unsupported=flagged,
                check=check,
            )
        highlights: dict[int, list[tuple[int, int]]] = {}
        for sentence in supported:
            assert sentence.supported_by is not None
            highlights.setdefault(sentence.supported_by, []).append(sentence.highlight or (0, 0))
        sources = tuple(
            replace(s, highlight=lit[0], more=tuple(lit[1:]))
            if (lit := highlights.get(s.number))
            else replace(s, highlight=None)
            for s in draft.sources
        )
        notes = []
        if flagged:
            notes.append(
                f"{len(flagged)} sentence(s) of the model's answer were not found in the cited "
                "source; they are listed below, not part of the answer."
            )
        if result.invalid_markers:
            notes.append(_invalid_note(result).strip())
        return replace(
            draft,
            text=" ".join(_with_marker(sentence) for sentence in supported),
            sources=sources,
            final=True,
            notice=" ".join(notes) or None,
            unsupported=flagged,
            check=check,
        )


def make_llm_condenser(backend: ChatBackend, prompts: Prompts) -> Runnable[dict[str, Any], str]:
    """The history-aware step: the model rewrites a follow-up into a standalone query.

    Without history the question is used as it is; if the model fails or answers with something
    that is not a question, the heuristic rewrite is used instead.
    """

    def _run(inputs: dict[str, Any], config: RunnableConfig) -> str:
        question: str = inputs["question"].strip()
        history: list[Turn] = list(inputs.get("history") or [])
        if not history:
            return question
        messages = prompts.condense.invoke(
            {"history": format_history(history), "question": question}
        )
        try:
            reply = "".join(backend.stream(messages, config))
        except Exception as exc:  # the heuristic rewrite is a fine fallback
            log.warning("condense step: %s failed: %s", backend.label, _failure_log(exc))
            return condense(question, history)
        return _standalone(reply, question) or condense(question, history)

    return RunnableLambda(_run, name="condense_question_llm")


def format_history(history: list[Turn], turns: int = 4, answer_chars: int = 400) -> str:
    lines = []
    for turn in history[-turns:]:
        answer = re.sub(r"\s*\[\d+\]", "", turn.answer)
        if len(answer) > answer_chars:
            answer = answer[:answer_chars].rsplit(" ", 1)[0] + " …"
        lines.append(f"User: {turn.question}\nAssistant: {answer}")
    return "\n".join(lines)


def _standalone(reply: str, question: str) -> str:
    text = _THINK.sub("", reply).strip()
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    line = re.sub(r"^(standalone question|question)\s*:\s*", "", line, flags=re.IGNORECASE)
    line = line.strip(" \"'“”")
    if not 3 <= len(line) <= max(300, 3 * len(question)):
        return ""
    return line


def _visible(raw: str, count: int) -> str:
    """What to stream: no hidden reasoning, no invalid or half-written markers."""
    text = _THINK.sub("", raw).lstrip()
    text = _OPEN_MARKER.sub("", text)
    return clean_markers(text, count)[0]


def _with_marker(sentence: SentenceCheck) -> str:
    """The sentence with the marker of the chunk that supports it, before its full stop."""
    claim = sentence.claim
    end = len(claim.rstrip(".!?…"))
    return f"{claim[:end]} [{sentence.supported_by}]{claim[end:]}"


def _invalid_note(result: CheckResult) -> str:
    if not result.invalid_markers:
        return ""
    return (
        f" Removed {result.invalid_markers} citation(s) of sources that were not retrieved "
        "for this question."
    )


def _failure_message(exc: BaseException, label: str) -> str:
    """One line for the user; the extractive answer follows it."""
    status = getattr(exc, "status_code", None)
    if isinstance(exc, (ModelTimeoutError, TimeoutError)) or "Timeout" in type(exc).__name__:
        detail = f" ({exc})" if isinstance(exc, NoReplyError) else ""
        what = f"did not answer in time{detail}"
    elif (
        isinstance(exc, (ModelConnectionError, ConnectionError)) or "Connect" in type(exc).__name__
    ):
        what = "could not be reached - is the server running?"
    elif isinstance(exc, ModelAuthenticationError) or status in (401, 403):
        what = "refused the API key - check QA_BOT_LLM_API_KEY"
    elif isinstance(exc, ModelNotFoundError) or status == 404:
        what = "does not know that model - check QA_BOT_LLM_MODEL"
    elif status is not None:
        what = f"answered with an error (HTTP {status})"
    else:
        what = f"failed ({type(exc).__name__})"
    return f"The model ({label}) {what}; showing the extractive answer instead"


def _failure_log(exc: BaseException) -> str:
    # Type and status only: provider messages can echo part of the API key.
    status = getattr(exc, "status_code", None)
    return f"{type(exc).__name__}" + (f" (HTTP {status})" if status is not None else "")

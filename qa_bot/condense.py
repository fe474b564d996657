"""Follow-up questions: turn "When was he born?" into a query that stands on its own.

Offline there is no model to rewrite the question, so this carries the subject of the
conversation forward: a pronoun is replaced by the last named subject, and an elliptic
question ("Where will the next round be held?") gets the earlier topic appended.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import RunnableLambda

from qa_bot.overview import find_overview
from qa_bot.references import find_reference

# "And the FAQ?" after "Summarize the handbook": the same request, of another document.
_ANOTHER = re.compile(r"(?:and|what\s+about|how\s+about)\s+(?P<subject>[^?]+?)[\s?.]*", re.I)
_WORD = re.compile(r"[A-Za-z][\w'’-]*|\d[\d,.]*")
_SUBJECT_PRONOUNS = {"he", "she", "it", "they", "him", "them"}
_POSSESSIVES = {"his", "her", "its", "their"}
_OTHER_REFERENCES = {"this", "that", "these", "those", "there", "then", "hers", "theirs"}
# Words that lean on an earlier turn: "the next round", "what else", "the same year".
_ELLIPSIS = {"next", "previous", "last", "same", "another", "else", "too", "also", "instead"}
_QUESTION_WORDS = (
    {
        "what",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "which",
        "did",
        "does",
        "do",
        "is",
        "are",
        "was",
        "were",
        "can",
        "could",
        "will",
        "would",
        "should",
        "has",
        "have",
        "had",
        "in",
        "on",
        "at",
        "according",
        "during",
        "after",
        "before",
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "for",
        "by",
        "with",
        "from",
        "about",
        "as",
        "be",
        "been",
        "i",
        "you",
        "we",
        "me",
        "my",
        "your",
        "our",
        "tell",
        "more",
        "also",
        "other",
        "else",
        "what's",
        "who's",
        "where's",
        "when's",
        "how's",
    }
    | _SUBJECT_PRONOUNS
    | _POSSESSIVES
    | _OTHER_REFERENCES
)


@dataclass(frozen=True)
class Turn:
    """One exchange of the conversation, as the condenser and the prompts see it."""

    question: str
    standalone: str
    answer: str


def condense(question: str, history: list[Turn]) -> str:
    question = question.strip()
    if not history:
        return question
    previous = history[-1].standalone
    if find_overview(previous) is not None and (other := _ANOTHER.fullmatch(question)):
        return f"Summarize {other.group('subject')}"
    earlier = find_reference(previous) if find_reference(question) is not None else None
    if earlier is not None:  # "And clause 3.3?" after clause 3.2: the old number must not stay
        previous = earlier.rest
    subject = _subject(previous)
    if not subject or subject.lower() in question.lower():
        return question
    words = [w.lower() for w in _WORD.findall(question)]
    if any(w in _SUBJECT_PRONOUNS | _POSSESSIVES for w in words):
        replaced = _replace_pronoun(question, subject)
        return replaced if replaced != question else f"{question} ({subject})"
    if any(w in _OTHER_REFERENCES | _ELLIPSIS for w in words) or len(_content(words)) <= 1:
        return f"{question} ({subject})"
    return question


def in_context(question: str, history: list[Turn]) -> str | None:
    """The question with the conversation's subject added: the search for a follow-up that
    names nothing earlier ("Which models can I choose from?" after "How do I request a new
    laptop?") when the documents do not answer it as asked. None without a subject to add."""
    if not history:
        return None
    subject = _subject(history[-1].standalone)
    question = question.strip()
    if not subject or subject.lower() in question.lower():
        return None
    return f"{question} ({subject})"


def make_condenser() -> RunnableLambda:
    """The chain step: {"question", "history"} -> standalone query."""

    def _run(inputs: dict[str, Any]) -> str:
        return condense(inputs["question"], list(inputs.get("history") or []))

    return RunnableLambda(_run, name="condense_question")


def _subject(query: str) -> str:
    names = _names(query)
    if names:
        return max(names, key=len)
    content = _content([w for w in _WORD.findall(query)])
    return " ".join(content[-4:])


def _names(text: str) -> list[str]:
    """Runs of capitalised words, not counting a capitalised first word that is a question word."""
    tokens = _WORD.findall(text)
    names, run = [], []
    for index, token in enumerate(tokens):
        capital = token[0].isupper() and not (index == 0 and token.lower() in _QUESTION_WORDS)
        if (
            capital
            and token.lower() not in _SUBJECT_PRONOUNS | _POSSESSIVES | {"i"}
            or (
                run
                and token.lower() in {"of", "de", "the"}
                and index + 1 < len(tokens)
                and tokens[index + 1][0].isupper()
            )
        ):
            run.append(token)
        else:
            if run:
                names.append(" ".join(run))
            run = []
    if run:
        names.append(" ".join(run))
    return names


def _content(words: list[str]) -> list[str]:
    return [w for w in words if w.lower() not in _QUESTION_WORDS and len(w) > 2]


def _replace_pronoun(question: str, subject: str) -> str:
    if not _names(subject) and not subject[:1].isupper():
        return question  # only a named subject reads naturally in place of a pronoun

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        lower = word.lower()
        if lower in _POSSESSIVES:
            return f"{subject}'s"
        return subject

    pattern = r"\b(he|she|it|they|him|them|his|her|its|their)\b"
    return re.sub(pattern, swap, question, count=1, flags=re.IGNORECASE)

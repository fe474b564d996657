"""Answers as the UI shows them: Markdown for the chat, HTML for the sources panel, a dict for
the API. Nothing a document contains can become markup, a link or a script here."""

from __future__ import annotations

import html
import re
from typing import Any

from qa_bot.answers import Answer, Source
from qa_bot.chunking import one_line

# A marker [n] as it stands after escape_md: \[n\].
_ESCAPED_MARKER = re.compile(r"\\\[(\d+)\\\]")
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-!|~>])")


def answer_to_dict(answer: Answer) -> dict:
    return {
        "question": answer.question,
        "standalone_query": answer.standalone_query,
        "text": answer.text,
        "confidence": answer.confidence,
        "abstained": answer.abstained,
        "notice": answer.notice,
        "citations": [
            {
                "number": s.number,
                "file_name": s.file_name,
                "source": s.source,
                "page": s.page,
                "last_page": s.last_page,
                "start": s.start,
                "end": s.end,
                "chunk_id": s.chunk_id,
                "text": s.text,
                "supporting_sentence": s.supporting_sentence,
                "score": s.score,
            }
            for s in answer.citations
        ],
    }


def answer_markdown(answer: Answer, turn: int) -> str:
    text = escape_md(answer.text)
    numbers = {source.number for source in answer.sources}

    def link(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number not in numbers:
            return match.group(0)
        return f"<a href='#qa-src-{turn}-{number}' class='qa-cite'>[{number}]</a>"

    text = _ESCAPED_MARKER.sub(link, text)
    if not answer.final:
        return text
    meta = []
    if answer.standalone_query != answer.question:
        meta.append(f"searched for: “{escape_md(answer.standalone_query)}”")
    meta.append(f"confidence {answer.confidence:.0%}")
    if answer.notice:
        meta.append(escape_md(answer.notice))
    notes = "".join(
        f"\n\n⚠️ not found in the cited source: {escape_md(s)}" for s in answer.unsupported
    )
    return f"{text}{notes}\n\n<span class='qa-meta'>{' · '.join(meta)}</span>"


def sources_html(sources: Any, turn: int, answer: Answer | None = None) -> str:
    sources = list(sources)
    if not sources:
        return "<p class='qa-meta'>Sources for the answer appear here.</p>"
    cited = set(answer.cited_numbers) if answer else {s.number for s in sources if s.highlight}
    ordered = sorted(sources, key=lambda s: (s.number not in cited, s.number))
    blocks, others = [], []
    for source in ordered:
        is_cited = source.number in cited
        quote = (
            f"<div class='qa-quote'>“{html.escape(one_line(source.supporting_sentence))}”</div>"
            if source.supporting_sentence
            else ""
        )
        label = "cited" if is_cited else "also retrieved"
        where = f"{source.title} — {source.location}" if source.title else source.location
        (blocks if is_cited else others).append(
            f"<details class='qa-source' id='qa-src-{turn}-{source.number}'"
            f" data-cited='{str(is_cited).lower()}'>"
            f"<summary title='{html.escape(where, quote=True)}'>[{source.number}] "
            f"{html.escape(source.label)}"
            f" <span class='qa-meta'>({label})</span>{quote}</summary>"
            f"<div class='qa-chunk'>{_highlighted(source)}</div></details>"
        )
    if others:
        # What was found but not cited, folded away: the cited passages are what to check, and
        # a declined answer's passages are what it searched, none of which answered.
        plural = "" if len(others) == 1 else "s"
        count = (
            f"{len(others)} other passage{plural} found"
            if blocks
            else f"{len(others)} passage{plural} found; none answers the question"
        )
        blocks.append(
            f"<details class='qa-others'><summary class='qa-meta'>{count}</summary>"
            + "\n".join(others)
            + "</details>"
        )
    return "\n".join(blocks)


def _highlighted(source: Source) -> str:
    parts, done = [], 0
    for start, end in source.marked:
        parts.append(html.escape(source.text[done:start]))
        parts.append(f"<mark>{html.escape(source.text[start:end])}</mark>")
        done = end
    return "".join([*parts, html.escape(source.text[done:])])


def escape_md(text: str) -> str:
    """Document text shown as Markdown: no markup, links or images may come from a document."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(text, quote=False))

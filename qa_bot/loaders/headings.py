"""Headings that a document repeats, which say which one they are only with the one above."""

from __future__ import annotations


def qualifiers(headings: list[tuple[int, str]]) -> list[str | None]:
    """For each (level, text) heading, in document order, the text of the heading it sits under
    when the document repeats its headings of that level, else None.

    A changelog's "Added" reads as "Added (2.3.0 - 2025-04-01)", and its "Removed" too; a
    guide's "Email" as "Email (Notifications)". Alone, such a heading says nothing of which one
    it is, to a search or to a reader of the answer.
    """
    seen: set[tuple[int, str]] = set()
    repeating: set[int] = set()
    for level, text in headings:
        if text and (level, text.lower()) in seen:
            repeating.add(level)
        seen.add((level, text.lower()))
    found: list[str | None] = []
    above: list[tuple[int, str]] = []  # the open headings, outermost first
    for level, text in headings:
        while above and above[-1][0] >= level:
            above.pop()
        found.append(above[-1][1] if level in repeating and above and text else None)
        above.append((level, text))
    return found

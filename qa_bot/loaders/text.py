"""Plain text files, and the decoding every text-based format shares."""

from __future__ import annotations

import re
from pathlib import Path

from qa_bot.errors import CorruptDocumentError
from qa_bot.loaders.document import Extracted
from qa_bot.loaders.notes import without_note_marks


def decode_text(path: Path, data: bytes) -> str:
    head = data[:8192]
    if b"\x00" in head or _control_ratio(head) > 0.1:
        raise CorruptDocumentError(str(path), "binary data, not text")
    try:
        return normalise_newlines(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        raise CorruptDocumentError(str(path), "cannot decode text (unknown encoding)")
    # Short texts fit several legacy code pages equally well; Western European ones are by far
    # the most common, so prefer them whenever they fit at all.
    western = [m for m in matches if m.encoding in _WESTERN_ENCODINGS]
    chosen = western[0] if western else matches[0]
    encoding = "cp1252" if western else chosen.encoding
    return normalise_newlines(data.decode(encoding, errors="replace"))


_WESTERN_ENCODINGS = {"cp1252", "latin_1", "iso8859_15", "ascii"}


def _control_ratio(data: bytes) -> float:
    if not data:
        return 0.0
    controls = sum(1 for byte in data if byte < 32 and byte not in (9, 10, 12, 13))
    return controls / len(data)


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def extract_txt(path: Path, data: bytes) -> Extracted:
    text = decode_text(path, data)
    text = _RULE.sub("", without_breadcrumb(text))
    return without_note_marks(unquote_email(text)), email_subject(text), ()


# A line drawn with one character: a heading's underline ("Steps" over "-----", as Markdown's
# setext headings and plain-text files write them) or a rule between parts. It says nothing, and
# left in, it stood between a heading and its list as a "sentence" of its own.
_RULE = re.compile(r"^[ \t]*([-=_*~#])\1{2,}[ \t]*$", re.MULTILINE)


# A wiki page's trail of where it sits: "Home > IT > VPN setup", "Docs › Guides › Install".
_BREADCRUMB = re.compile(
    r"[^\S\n]*[A-Z0-9][^>›»\n.!?:;,]{0,30}"
    r"(?:[^\S\n]+[>›»][^\S\n]+[A-Z0-9][^>›»\n.!?:;,]{0,30}){1,6}[^\S\n]*"
)


def without_breadcrumb(text: str) -> str:
    """The text without a breadcrumb among its first lines: it is where the page sat in its
    wiki, not what it says, and as a first line it would be taken for the title."""
    for count, match in enumerate(re.finditer(r"^.*$", text, re.MULTILINE)):
        if count == 3:
            break
        if _BREADCRUMB.fullmatch(match.group(0)):
            return text[: match.start()] + text[match.end() :].lstrip("\n")
    return text


# An email's quoting: ">" or "> >" before each line of an earlier message.
_QUOTE_MARKS = re.compile(r"^(?:>[ \t]?)+", re.MULTILINE)
# A message's header lines, as a saved or pasted email opens, within its first characters.
_HEAD_CHARS = 2000
_HEADER = re.compile(r"(?:From|To|Cc|Bcc|Sent|Date|Subject|Reply-To):[ \t]", re.IGNORECASE)
_SUBJECT = re.compile(
    r"^Subject:[ \t]*(?:(?:re|fw|fwd|aw|wg|sv|vs)[ \t]*:[ \t]*)*(.*)$", re.I | re.M
)


def unquote_email(text: str) -> str:
    """A reply's quoted messages without their ">" marks: quoted or not, they are the thread's
    text, and the marks would stand in answers ("Budget is EUR 14k. >>") and cut sentences at
    each line. Only where several lines are quoted, as a thread's are."""
    if len(_QUOTE_MARKS.findall(text)) < 2:
        return text
    return _QUOTE_MARKS.sub("", text)


def email_subject(text: str) -> str | None:
    """An email's subject, without "RE:" and "FW:": its title, where the first line would be
    "From: Hannah Okafor <hannah@example.com>"."""
    lines = [line for line in text.lstrip()[:_HEAD_CHARS].splitlines()[:8] if line.strip()]
    if len(lines) < 2 or not all(_HEADER.match(line) for line in lines[:2]):
        return None
    found = _SUBJECT.search("\n".join(lines))
    subject = found.group(1).strip() if found else ""
    return subject or None

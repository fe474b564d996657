"""Plain text files, and the decoding every text-based format shares."""

from __future__ import annotations

from pathlib import Path

from qa_bot.errors import CorruptDocumentError
from qa_bot.loaders.document import Extracted


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
    return decode_text(path, data), None, ()

"""List numbers as a reader sees them ("3.", "b.", "IV."): HTML and Word keep them as rules."""

from __future__ import annotations

# What an unordered list's item opens with, as a browser or Word shows it.
BULLET = "•"


def list_number(number: int, style: str) -> str:
    """`number` written in a list's style: "decimal", "lowerLetter", "upperLetter",
    "lowerRoman" or "upperRoman" (Word's names; anything else reads as decimal). Roman
    numerals stop at 3999, as in browsers: a file's start of 10**9 would be a billion Ms."""
    if number < 1 or style not in _WRITERS or (style.endswith("Roman") and number > 3999):
        return str(number)
    return _WRITERS[style](number)


def integer_or(value: object, default: int) -> int:
    """A count written in a file, which may be missing or not a number at all."""
    try:
        return int(str(value))
    except ValueError:
        return default


def _letters(number: int) -> str:
    """a ... z, aa, ab ...: the letters of a list counted past z."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def _roman(number: int) -> str:
    numeral = ""
    for value, letters in _ROMAN:
        count, number = divmod(number, value)
        numeral += letters * count
    return numeral.lower()


_ROMAN = [
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
]  # fmt: skip
_WRITERS = {
    "lowerLetter": _letters,
    "upperLetter": lambda number: _letters(number).upper(),
    "lowerRoman": _roman,
    "upperRoman": lambda number: _roman(number).upper(),
}

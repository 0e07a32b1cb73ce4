"""Puzzle text as every domain's ``parse`` receives it: ``str`` or UTF-8 ``bytes``, of a sane length.

One check for all domains, so that each ``parse`` starts from a ``str``
and bad input (not text, not UTF-8, megabytes long) fails the same way
everywhere, with an :class:`~solvers.errors.InvalidPuzzleError`.

>>> as_text(b"1 2")
'1 2'
>>> as_text(12)
Traceback (most recent call last):
...
solvers.errors.InvalidPuzzleError: a puzzle must be text, got int
"""

from __future__ import annotations

from typing import Any

from solvers.errors import InvalidPuzzleError

#: The longest puzzle text accepted, in characters.
MAX_TEXT = 100_000


def as_text(text: Any, what: str = "puzzle", max_length: int = MAX_TEXT) -> str:
    """The puzzle as ``str`` (UTF-8 bytes accepted), or :class:`~solvers.errors.InvalidPuzzleError`.

    ``what`` names the thing in the messages (``"maze"``); ``max_length`` bounds it.

    >>> as_text(b"\\xff")
    Traceback (most recent call last):
    ...
    solvers.errors.InvalidPuzzleError: puzzle is not UTF-8 text
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidPuzzleError(f"{what} is not UTF-8 text") from None
    if not isinstance(text, str):
        raise InvalidPuzzleError(f"a {what} must be text, got {type(text).__name__}")
    if len(text) > max_length:
        raise InvalidPuzzleError(f"{what} text too long ({len(text)} characters)")
    return text


__all__ = ["MAX_TEXT", "as_text"]

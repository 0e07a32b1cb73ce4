"""Reading puzzle files: plain, gzip or standard input (``-``), UTF-8 with or without a BOM, lazily.

Every domain reads its files through :func:`open_puzzle_file`, so a file
that is missing, not UTF-8 or truncated fails the same way everywhere, with
an :class:`~solvers.errors.InvalidPuzzleError` naming the file.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "p.txt"
>>> _ = path.write_bytes("\\ufeff# two puzzles\\n1...\\n\\n..2.\\n".encode())
>>> list(iter_numbered_lines(path))
[(2, '1...'), (4, '..2.')]
"""

from __future__ import annotations

import contextlib
import gzip
import io
import sys
from pathlib import Path
from typing import IO, Iterable, Iterator

from solvers.errors import InvalidPuzzleError

#: The path that means standard input.
STDIN = "-"


@contextlib.contextmanager
def open_puzzle_file(path: str | Path, newline: str | None = None) -> Iterator[IO[str]]:
    """A text stream of a puzzle file (``.gz`` decompressed, ``-`` for standard input, a BOM dropped)."""
    if str(path) == STDIN:
        stream = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="strict", newline=newline)
        try:
            yield stream
        finally:
            stream.detach()  # leave sys.stdin open
        return
    path = Path(path)
    if not path.is_file():
        raise InvalidPuzzleError(f"no such puzzle file: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", errors="strict", newline=newline) as handle:
        yield handle


def read_errors(path: str | Path) -> contextlib.AbstractContextManager[None]:
    """Turn a decoding or I/O failure while reading ``path`` into an :class:`InvalidPuzzleError`."""
    return _ReadErrors(path)


class _ReadErrors(contextlib.AbstractContextManager):
    def __init__(self, path: str | Path) -> None:
        self.path = path

    def __exit__(self, kind, exc, tb) -> bool:
        if isinstance(exc, (UnicodeDecodeError, OSError, EOFError)):
            name = "standard input" if str(self.path) == STDIN else self.path
            raise InvalidPuzzleError(f"cannot read puzzle file {name}: {exc}") from None
        return False


def iter_numbered_lines(path: str | Path, limit: int | None = None) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of the non-empty, non-comment (``#``) lines of a puzzle file, lazily."""
    if limit is not None and limit <= 0:
        return
    count = 0
    with read_errors(path), open_puzzle_file(path) as handle:
        for number, line in enumerate(handle, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            yield number, line
            count += 1
            if limit is not None and count >= limit:
                return


def iter_puzzle_lines(path: str | Path, limit: int | None = None) -> Iterable[str]:
    """The non-empty, non-comment lines of a puzzle file (plain or gzip)."""
    return (text for _line, text in iter_numbered_lines(path, limit))


__all__ = ["STDIN", "iter_numbered_lines", "iter_puzzle_lines", "open_puzzle_file", "read_errors"]

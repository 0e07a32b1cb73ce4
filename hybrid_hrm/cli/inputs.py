"""The puzzles a command names (arguments, a file or standard input, a collection), lazily, with where each is.

``where`` is what an error message points at: ``argument 2``,
``puzzles.txt line 7`` (the line a puzzle starts on), ``top1465 puzzle 12``.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass
from typing import Iterator

from domains.base import Domain, Instance
from domains.collections import collection_lines
from solvers.errors import HybridHRMError, InvalidPuzzleError


@dataclass(frozen=True)
class PuzzleText:
    """One puzzle as given, and where it was given."""

    where: str
    text: str


def iter_puzzle_texts(domain: Domain, args: argparse.Namespace) -> Iterator[PuzzleText]:
    """Arguments first, then the file's puzzles, then the collection's; at most ``--limit``, read lazily."""
    items = itertools.chain(
        (PuzzleText(f"argument {i + 1}", t) for i, t in enumerate(args.puzzles)),
        _from_file(domain, args.file),
        _from_collection(args.collection),
    )
    return itertools.islice(items, args.limit)


def _from_file(domain: Domain, path: str | None) -> Iterator[PuzzleText]:
    if path:
        name = "standard input" if path == "-" else path
        for record in domain.read_records(path):
            yield PuzzleText(f"{name} line {record.line}", record.text)


def _from_collection(name: str | None) -> Iterator[PuzzleText]:
    if name:
        for i, text in enumerate(collection_lines(name)):
            yield PuzzleText(f"{name} puzzle {i + 1}", text)


def parse_at(domain: Domain, item: PuzzleText) -> Instance:
    """Parse one puzzle; the error says where it was."""
    try:
        return domain.parse(item.text)
    except InvalidPuzzleError as exc:
        raise InvalidPuzzleError(f"{item.where}: {exc.reason}", exc.position) from None


def read_instances(domain: Domain, args: argparse.Namespace) -> list[Instance]:
    """Every puzzle the command names, parsed (the first bad one is an error that says where)."""
    instances = [parse_at(domain, item) for item in iter_puzzle_texts(domain, args)]
    if not instances:
        raise NoPuzzlesError()
    return instances


class NoPuzzlesError(HybridHRMError):
    """The command named no puzzle at all."""

    def __init__(self) -> None:
        super().__init__(
            "no puzzles given: pass them as arguments, --file F (or - for standard input) or --collection NAME"
        )

"""The text format of declared domains: one token per variable, or ``name=value`` pairs.

:class:`~domains.csp_domain.CSPDomain` reads and writes its instances with
these functions (subclasses with structure, KenKen's cages say, add their
own fields around them):

* one token per variable in declaration order, the value as ``str``
  writes it, ``.`` for unknown: ``"1 . 3"``; when every value is a single
  character the tokens may run together: ``"1.3"``;
* or ``name=value`` pairs in any order, separated by spaces, commas or
  semicolons: ``"a=1, c=3"``; variables not named are unknown.

:func:`check_tokens` makes sure, when a layer is built, that every name
and value survives that round trip.

>>> layer = CSPLayer.from_spec({"a": [1, 2], "b": [1, 2]})
>>> write_values(read_values("b=2", layer), layer)
'.2'
"""

from __future__ import annotations

import re

import numpy as np

from solvers.base import UNASSIGNED
from solvers.csp import CSPLayer
from solvers.errors import ConfigError, InvalidPuzzleError

from .text import MAX_TEXT, as_text

_SEPARATORS = re.compile(r"[\s,;]+")
_BAD_TOKEN = re.compile(r"[\s=,;]")


def _single_chars(layer: CSPLayer) -> bool:
    return all(len(str(x)) == 1 for dom in layer.domain_values for x in dom)


def _value_index(layer: CSPLayer, v: int, token: str) -> int:
    names = [str(x) for x in layer.domain_values[v]]
    try:
        return names.index(token)
    except ValueError:
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        raise InvalidPuzzleError(
            f"{layer.variable_names[v]}: {token!r} is not one of its values ({shown})", position=v
        ) from None


def read_values(text: str, layer: CSPLayer) -> np.ndarray:
    """Value indices ``[V]`` (``UNASSIGNED`` for unknown) from the declared text format.

    >>> layer = CSPLayer.from_spec({"x": [1, 2], "y": [1, 2], "z": ["p", "q"]})
    >>> read_values("x=2; z=q", layer).tolist(), read_values("1 . p", layer).tolist()
    ([1, -1, 1], [0, -1, 0])
    >>> read_values("1.p", layer).tolist()
    [0, -1, 0]
    >>> read_values("w=1", layer)
    Traceback (most recent call last):
    ...
    solvers.errors.InvalidPuzzleError: unknown variable 'w' (variables: x, y, z) (at position 0)
    """
    body = as_text(text).strip()
    return _read_pairs(body, layer) if "=" in body else _read_tokens(body, layer)


def _read_pairs(body: str, layer: CSPLayer) -> np.ndarray:
    """``name=value`` pairs in any order; variables not named are unknown."""
    V = layer.num_variables
    out = np.full(V, UNASSIGNED, dtype=np.int64)
    index = {name: v for v, name in enumerate(layer.variable_names)}
    for i, pair in enumerate(t for t in _SEPARATORS.split(body) if t):
        name, sep, token = pair.partition("=")
        if not sep or not name or not token:
            raise InvalidPuzzleError(f"expected name=value, got {pair!r}", position=i)
        v = index.get(name)
        if v is None:
            shown = ", ".join(layer.variable_names[:12]) + (", ..." if V > 12 else "")
            raise InvalidPuzzleError(f"unknown variable {name!r} (variables: {shown})", position=i)
        if out[v] != UNASSIGNED:
            raise InvalidPuzzleError(f"{name} is given twice", position=v)
        out[v] = UNASSIGNED if token == "." else _value_index(layer, v, token)
    return out


def _read_tokens(body: str, layer: CSPLayer) -> np.ndarray:
    """One token per variable in order (run together when every value is one character)."""
    V = layer.num_variables
    tokens = body.split()
    if len(tokens) == 1 and V > 1 and len(tokens[0]) == V and _single_chars(layer):
        tokens = list(tokens[0])
    if len(tokens) != V:
        raise InvalidPuzzleError(
            f"expected {V} values (one per variable, '.' for unknown) or name=value pairs, got {len(tokens)} tokens"
        )
    out = np.full(V, UNASSIGNED, dtype=np.int64)
    for v, token in enumerate(tokens):
        out[v] = UNASSIGNED if token == "." else _value_index(layer, v, token)
    return out


def write_values(values: np.ndarray, layer: CSPLayer) -> str:
    """The token line of value indices (``.`` for unknown); run together when every value is one character.

    >>> layer = CSPLayer.from_spec({"x": [1, 2], "y": [10, 20]})
    >>> write_values(np.array([1, -1]), layer)
    '2 .'
    """
    tokens = ["." if k < 0 else str(layer.domain_values[v][k]) for v, k in enumerate(np.asarray(values).tolist())]
    return ("" if _single_chars(layer) else " ").join(tokens)


def check_tokens(layer: CSPLayer, domain: str) -> None:
    """A :class:`~solvers.errors.ConfigError` unless every variable and value name survives the text format.

    >>> check_tokens(CSPLayer.from_spec({"a b": [1]}), "demo")
    Traceback (most recent call last):
    ...
    solvers.errors.ConfigError: domain 'demo': variable name 'a b' is empty, repeated or has a space, '=', ',' or ';'
    """
    seen: set[str] = set()
    for v, name in enumerate(layer.variable_names):
        if not name or _BAD_TOKEN.search(name) or name in seen:
            raise ConfigError(f"domain {domain!r}: variable name {name!r} is empty, repeated or has a space, "
                              "'=', ',' or ';'")
        seen.add(name)
        tokens = [str(x) for x in layer.domain_values[v]]
        for token in tokens:
            if not token or token == "." or _BAD_TOKEN.search(token):
                raise ConfigError(f"domain {domain!r}: value {token!r} of {name} cannot be written as a token")
        if len(set(tokens)) < len(tokens):
            raise ConfigError(f"domain {domain!r}: two values of {name} print the same")


__all__ = ["MAX_TEXT", "as_text", "check_tokens", "read_values", "write_values"]

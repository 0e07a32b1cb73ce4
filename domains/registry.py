"""The domain registry: built-ins and plugins, all by name.

Built-in domains are registered here; third-party packages add theirs
through the entry-point group ``hybrid_hrm.domains`` (loaded lazily, the
first time a name is looked up or listed).  Set the environment variable
``HYBRID_HRM_NO_PLUGINS=1`` to skip entry points.

Examples
--------
>>> import domains
>>> "sudoku" in domains.available()
True
>>> domains.get("no-such-domain")
Traceback (most recent call last):
...
solvers.errors.UnknownDomainError: unknown domain 'no-such-domain'; available: ...
"""

from __future__ import annotations

import os
import re
import warnings
from importlib import metadata
from typing import Callable

from solvers.errors import UnknownDomainError

from .base import Domain

ENTRY_POINT_GROUP = "hybrid_hrm.domains"
_NAME = re.compile(r"^[a-z][a-z0-9_\-]{0,39}$")

_factories: dict[str, Callable[[], Domain]] = {}
_instances: dict[str, Domain] = {}
_plugins_loaded = False


def register(name: str, factory: Callable[[], Domain], *, replace: bool = False) -> None:
    """Register a domain factory (a class or a function returning a Domain).

    Names are lowercase (``[a-z][a-z0-9_-]*``); registering a taken name
    warns and keeps the first unless ``replace=True``.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"invalid domain name {name!r}: use lowercase letters, digits, '_' or '-'")
    if not callable(factory):
        raise TypeError(f"domain factory for {name!r} is not callable")
    if name in _factories and not replace:
        warnings.warn(f"domain {name!r} is already registered; keeping the first", stacklevel=2)
        return
    _factories[name] = factory
    _instances.pop(name, None)


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    if os.environ.get("HYBRID_HRM_NO_PLUGINS", "").strip() not in ("", "0"):
        return
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if not _NAME.match(entry.name):
            warnings.warn(f"ignoring domain plugin with invalid name {entry.name!r}", stacklevel=2)
            continue
        if entry.name in _factories:
            warnings.warn(
                f"domain plugin {entry.name!r} ({entry.value}) shadows a registered name; ignored", stacklevel=2
            )
            continue
        _factories[entry.name] = _lazy(entry)


def _lazy(entry: metadata.EntryPoint) -> Callable[[], Domain]:
    def factory() -> Domain:
        loaded = entry.load()
        return loaded() if isinstance(loaded, type) or callable(loaded) else loaded

    return factory


def available() -> list[str]:
    """Sorted names of every registered domain (plugins included)."""
    _load_plugins()
    return sorted(_factories)


def get(name: str) -> Domain:
    """The domain registered under ``name`` (one shared object per name)."""
    _load_plugins()
    if name not in _factories:
        raise UnknownDomainError(name, available())
    if name not in _instances:
        domain = _factories[name]()
        if not isinstance(domain, Domain):
            raise UnknownDomainError(f"{name} (its factory did not return a Domain)", available())
        _instances[name] = domain
    return _instances[name]

"""The domain registry: built-ins and plugins, all by name.

Built-in domains are registered here; third-party packages add theirs
through the entry-point group ``hybrid_hrm.domains`` (loaded lazily, the
first time a name is looked up or listed).  Set the environment variable
``HYBRID_HRM_NO_PLUGINS=1`` to skip entry points.

A plugin that fails to load (its module does not import, or its factory
raises or returns something else than a Domain) never breaks the others:
:func:`available` skips it with a warning naming it and the error,
:func:`get` raises :class:`BrokenPluginError` (an ``UnknownDomainError``)
saying why, and :func:`describe` / :func:`describe_all` show it as
``(broken plugin: ImportError: ...)``.

Examples
--------
>>> import domains
>>> "sudoku" in domains.available()
True
>>> describe("sudoku")
'The Sudoku domain, registered as ``"sudoku"``.'
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
from typing import Callable, NoReturn

from solvers.errors import UnknownDomainError

from .base import Domain

ENTRY_POINT_GROUP = "hybrid_hrm.domains"
_NAME = re.compile(r"^[a-z][a-z0-9_\-]{0,39}$")

_factories: dict[str, Callable[[], Domain]] = {}
_instances: dict[str, Domain] = {}
_plugins_loaded = False
#: Names that came from entry points -> the entry point ("module:attr"); their failures
#: are caught, a built-in's are bugs.
_plugins: dict[str, str] = {}
#: Plugins that failed to load -> why ("ImportError: No module named 'x'").
_broken: dict[str, str] = {}


class BrokenPluginError(UnknownDomainError):
    """A domain plugin whose entry point failed to load: the name is known, the domain is not usable."""

    def __init__(self, name: str, reason: str, available: list[str] | tuple[str, ...] = (), origin: str = "") -> None:
        super().__init__(name, available)
        self.reason = reason
        self.origin = origin
        where = f" ({origin})" if origin else ""
        self.args = (f"domain plugin {name!r}{where} failed to load: {reason}",)


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
    _broken.pop(name, None)
    _plugins.pop(name, None)


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
        _plugins[entry.name] = entry.value


def _lazy(entry: metadata.EntryPoint) -> Callable[[], Domain]:
    def factory() -> Domain:
        loaded = entry.load()
        return loaded() if isinstance(loaded, type) or callable(loaded) else loaded

    return factory


def available() -> list[str]:
    """Sorted names of every usable domain (plugins included; a plugin that fails to load is
    skipped with a warning naming it and its error, so one broken package hides only itself)."""
    _load_plugins()
    for name in sorted(set(_plugins) - set(_instances) - set(_broken)):
        try:
            _instantiate(name)
        except BrokenPluginError:
            pass  # recorded in _broken and warned about
    return sorted(n for n in _factories if n not in _broken)


def broken() -> dict[str, str]:
    """The plugins that failed to load, name -> why (``"ImportError: No module named 'x'"``)."""
    available()
    return dict(sorted(_broken.items()))


def get(name: str) -> Domain:
    """The domain registered under ``name`` (one shared object per name).

    An unknown name, or a plugin that failed to load, is an :class:`UnknownDomainError`
    (:class:`BrokenPluginError` for the latter, naming the plugin and its error).
    """
    _load_plugins()
    if name not in _factories:
        raise UnknownDomainError(name, available())
    if name in _broken:
        raise BrokenPluginError(name, _broken[name], available(), _plugins.get(name, ""))
    if name not in _instances:
        _instantiate(name)
    return _instances[name]


def describe(name: str) -> str:
    """One line about a registered domain: its docstring's first line, or, for a plugin that
    failed to load, ``(broken plugin: <error>)``; what ``hybrid-hrm domains`` prints."""
    try:
        domain = get(name)
    except BrokenPluginError as exc:
        return f"(broken plugin: {exc.reason})"
    doc = (type(domain).__doc__ or "").strip().splitlines()
    return doc[0] if doc else ""


def describe_all() -> list[tuple[str, str]]:
    """``(name, description)`` of every registered domain, broken plugins included, sorted by name."""
    usable = available()
    return [(name, describe(name)) for name in sorted([*usable, *_broken])]


def _instantiate(name: str) -> None:
    """Build and cache the domain of ``name``; a plugin's failure is recorded, warned and raised typed."""
    try:
        domain = _factories[name]()
    except Exception as exc:  # a plugin may fail any way; it must not take the others down
        if name not in _plugins:
            raise  # a built-in's failure is a bug: let it show
        _mark_broken(name, f"{type(exc).__name__}: {exc}")
    if not isinstance(domain, Domain):
        if name in _plugins:
            _mark_broken(name, f"TypeError: its factory returned a value of type {type(domain).__name__}, not a Domain")
        raise UnknownDomainError(f"{name} (its factory did not return a Domain)", available())
    _instances[name] = domain


def _mark_broken(name: str, reason: str) -> NoReturn:
    """Record plugin ``name`` as broken for ``reason``, warn once, raise :class:`BrokenPluginError`."""
    _broken[name] = reason
    error = BrokenPluginError(name, reason, sorted(n for n in _factories if n not in _broken), _plugins[name])
    warnings.warn(f"{error}; it is skipped", stacklevel=4)
    raise error

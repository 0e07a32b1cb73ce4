"""Names a package exports but loads on first use (PEP 562), so importing it stays cheap (no torch).

>>> getattr_ = lazy_exports({"sqrt": "math"})
>>> getattr_("sqrt")(9.0)
3.0
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping


def lazy_exports(exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``exports[name]`` (a module path) when ``name`` is first read."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"no attribute {name!r}")
        return getattr(importlib.import_module(exports[name]), name)

    return __getattr__

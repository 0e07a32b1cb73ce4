"""A hybrid_hrm domain plugin: the 3x3 Latin square, found through the entry-point group.

``pyproject.toml`` declares ``latin3 = "hhrm_test_plugin:Latin3"`` under
``[project.entry-points."hybrid_hrm.domains"]``; once the package is
installed, ``hybrid-hrm domains`` lists ``latin3`` and ``hybrid-hrm solve
latin3 "12.3....."`` solves it.  Puzzles are the 9 cells row by row, ``1``-``3``
or ``.``.
"""

from __future__ import annotations

from constraint import AllDifferentConstraint

from domains.csp_domain import CSPDomain


class Latin3(CSPDomain):
    """3x3 Latin square: 1, 2 and 3 once in every row and column (test plugin)."""

    name = "latin3"

    def variables(self, shape):
        return {f"r{r}c{c}": range(1, 4) for r in range(1, 4) for c in range(1, 4)}

    def constraints(self, shape, structure):
        rows = [[f"r{r}c{c}" for c in range(1, 4)] for r in range(1, 4)]
        columns = [list(column) for column in zip(*rows)]
        return [(AllDifferentConstraint(), group) for group in rows + columns]

    def default_shape(self, **options):
        return (9,)

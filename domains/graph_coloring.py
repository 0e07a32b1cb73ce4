"""Graph colouring completion: colour every node so that no edge joins two nodes of one colour.

How this domain is built (a tutorial for a :class:`~domains.csp_domain.CSPDomain`
whose constraints differ from puzzle to puzzle):

1. **Variables**: one per node, ``v0`` ... ``v{N-1}``, each taking a colour
   ``1..K``; the *shape* is ``(N, K)``.
2. **Structure**: the graph, per puzzle, a :mod:`networkx` graph kept in
   ``instance.meta["structure"]`` as its sorted edge tuple (hashable, so
   layers are cached per graph).  Each edge is the sympy relation
   ``Ne(u, v)``, compiled once by :mod:`solvers.algebra` and moved onto
   every edge with :func:`~solvers.algebra.rescope`.
   A batch of puzzles with different graphs needs each puzzle's own layer
   (``domain.layer(instance)``); ``domain.shape_layer(instance)`` has no
   edges and is sound for all of them.
3. **Generator**: a *planted* colouring.
   :meth:`GraphColoringDomain.random_solution` deals the colours out evenly
   at random (an uneven colouring, one that leaves a colour out say, makes
   weak puzzles), :meth:`GraphColoringDomain.random_structure` draws a
   connected random graph whose edges only join nodes of different
   colours, so the dealt colouring is a solution, and the base class
   removes givens while it stays the only one.
4. **Symmetry**: renaming the colours maps a solution to a solution of the
   same graph, so :meth:`GraphColoringDomain.random_symmetry` permutes the
   values (the nodes keep their names: the graph is per puzzle).

Text format, whitespace-separated fields: ``N:K`` (nodes and colours), one
``u-v`` field per edge (nodes numbered from 0), and optionally the colours,
one character per node (``1``-``K``, ``.`` for uncoloured).  A networkx
graph becomes a puzzle with :meth:`GraphColoringDomain.from_graph`.

Examples
--------
>>> import networkx as nx
>>> coloring = GraphColoringDomain()
>>> inst = coloring.from_graph(nx.cycle_graph(5), colors=3, givens={0: 1, 1: 2, 3: 3})
>>> coloring.format(inst)
'5:3 0-1 0-4 1-2 2-3 3-4 12.3.'
>>> result = coloring.solve(inst, max_solutions=2)
>>> result.status.value, coloring.format(inst, result.values).split()[-1]
('solved', '12132')
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import networkx as nx
import numpy as np
import sympy

from solvers.algebra import CompiledRelation, compile_relation, rescope
from solvers.errors import ConfigError, InvalidPuzzleError

from .base import Instance
from .csp_domain import CSPDomain, Shape
from .text import as_text

MAX_NODES = 60
MAX_COLORS = 9
_HEADER = re.compile(r"^(\d{1,3}):(\d)$")
_EDGE = re.compile(r"^(\d{1,3})-(\d{1,3})$")
Edges = tuple[tuple[int, int], ...]


@functools.lru_cache(maxsize=None)
def _different(colors: int) -> CompiledRelation:
    """``Ne(a, b)`` compiled once per number of colours."""
    a, b = sympy.symbols("a b")
    [compiled] = compile_relation(sympy.Ne(a, b), {"a": range(1, colors + 1), "b": range(1, colors + 1)})
    return compiled


class GraphColoringDomain(CSPDomain):
    """Graph colouring completion (networkx graphs, 60 nodes, 9 colours), registered as ``"graph_coloring"``."""

    name = "graph_coloring"

    def variables(self, shape: Shape) -> dict[str, range]:
        nodes, colors = shape
        return {f"v{i}": range(1, colors + 1) for i in range(nodes)}

    def constraints(self, shape: Shape, structure: Edges | None) -> list:
        return [rescope(_different(shape[1]), [f"v{u}", f"v{v}"], f"v{u} != v{v}") for u, v in structure or ()]

    def default_shape(self, size: int = 10, colors: int = 3, **_: Any) -> Shape:
        """``(size, colors)``: nodes 2 to 60, colours 2 to 9."""
        if not 2 <= size <= MAX_NODES or not 2 <= colors <= MAX_COLORS:
            raise ConfigError(f"graph colouring needs 2-{MAX_NODES} nodes and 2-{MAX_COLORS} colours, "
                              f"got {size} and {colors}")
        return (size, colors)

    # ------------------------------------------------------------------- networkx
    def from_graph(self, graph: nx.Graph, colors: int, givens: Mapping[int, int] | None = None) -> Instance:
        """A puzzle from a networkx graph with nodes ``0..N-1`` and colours ``{node: 1..colors}``."""
        if not isinstance(graph, nx.Graph) or graph.is_directed() or graph.is_multigraph():
            raise ConfigError("from_graph takes an undirected networkx.Graph")
        n = graph.number_of_nodes()
        if sorted(graph.nodes) != list(range(n)):
            raise ConfigError("the graph's nodes must be 0..N-1 (use networkx.convert_node_labels_to_integers)")
        shape = self.default_shape(size=n, colors=colors)
        values = np.full(n, -1, dtype=np.int64)
        for node, color in (givens or {}).items():
            if node not in graph or not 1 <= color <= colors:
                raise InvalidPuzzleError(f"given colour {color!r} of node {node!r} is not 1..{colors} on a node",
                                         position=node if isinstance(node, int) else None)
            values[node] = color - 1
        return self.make_instance(values, shape, self._edges(graph.edges))

    def to_graph(self, instance: Instance) -> nx.Graph:
        """The puzzle's graph as a networkx graph (colours as the ``color`` node attribute, 0 = none)."""
        graph = nx.Graph()
        graph.add_nodes_from((i, {"color": int(k) + 1}) for i, k in enumerate(instance.givens.tolist()))
        graph.add_edges_from(instance.meta.get("structure") or ())
        return graph

    @staticmethod
    def _edges(pairs) -> Edges:
        edges = set()
        for u, v in pairs:
            if u == v:
                raise InvalidPuzzleError(f"edge {u}-{v} is a loop: a node cannot differ from itself", position=u)
            edges.add((min(u, v), max(u, v)))
        return tuple(sorted(edges))

    # ----------------------------------------------------------------------- text
    def parse(self, text: str) -> Instance:
        """One puzzle in the format of the module docstring."""
        text = as_text(text)
        tokens = [(m.start(), m.group()) for m in re.finditer(r"\S+", text)]
        header = _HEADER.match(tokens[0][1]) if tokens else None
        if not header:
            raise InvalidPuzzleError("a graph colouring puzzle starts with NODES:COLOURS, e.g. 6:3", position=0)
        n, k = int(header.group(1)), int(header.group(2))
        if not 2 <= n <= MAX_NODES or not 2 <= k <= MAX_COLORS:
            raise InvalidPuzzleError(f"need 2-{MAX_NODES} nodes and 2-{MAX_COLORS} colours, got {n}:{k}", position=0)
        pairs, values = [], np.full(n, -1, dtype=np.int64)
        for i, (pos, token) in enumerate(tokens[1:], start=1):
            edge = _EDGE.match(token)
            if edge:
                u, v = int(edge.group(1)), int(edge.group(2))
                if max(u, v) >= n:
                    raise InvalidPuzzleError(f"edge {token} names a node beyond {n - 1}", position=pos)
                if u == v:
                    raise InvalidPuzzleError(f"edge {token} is a loop", position=pos)
                pairs.append((u, v))
            elif i == len(tokens) - 1 and len(token) == n:
                for j, ch in enumerate(token):
                    if ch == ".":
                        continue
                    if not ch.isdigit() or not 1 <= int(ch) <= k:
                        raise InvalidPuzzleError(f"bad colour {ch!r} (use 1-{k} or '.')", position=pos + j)
                    values[j] = int(ch) - 1
            else:
                raise InvalidPuzzleError(f"bad field {token!r}: expected an edge u-v or {n} colours", position=pos)
        return self.make_instance(values, (n, k), self._edges(pairs))

    def format(self, instance: Instance, values: np.ndarray | None = None) -> str:
        """Header, edges, and the colours when any are known."""
        n, k = instance.shape
        fields = [f"{n}:{k}", *(f"{u}-{v}" for u, v in instance.meta.get("structure") or ())]
        vals = instance.givens if values is None else np.asarray(values)
        if (vals >= 0).any():
            fields.append("".join("." if c < 0 else str(c + 1) for c in vals.tolist()))
        return " ".join(fields)

    # ------------------------------------------------------------------ generator
    def random_solution(self, rng: np.random.Generator, shape: Shape, structure: Edges | None = None,
                        budget: Any = None) -> np.ndarray | None:
        """Colours dealt out evenly in random order (on a given graph: the base class's search)."""
        if structure is not None:
            return super().random_solution(rng, shape, structure, budget)
        nodes, colors = shape
        return rng.permutation(np.arange(nodes) % colors).astype(np.int64)

    def random_structure(self, rng: np.random.Generator, shape: Shape, solution: np.ndarray,
                         density: float = 0.75) -> Edges:
        """A connected random graph whose edges join nodes of different colours in ``solution``."""
        n = shape[0]
        for _ in range(100):
            graph = nx.Graph()
            graph.add_nodes_from(range(n))
            graph.add_edges_from((u, v) for u in range(n) for v in range(u + 1, n)
                                 if solution[u] != solution[v] and rng.random() < density)
            if nx.is_connected(graph):
                return self._edges(graph.edges)
        # Colours too unbalanced for a connected graph at this density: a spanning tree of bichromatic edges.
        graph = nx.Graph((u, v) for u in range(n) for v in range(u + 1, n) if solution[u] != solution[v])
        graph.add_nodes_from(range(n))
        return self._edges(nx.minimum_spanning_tree(graph).edges if nx.is_connected(graph) else graph.edges)

    def random_symmetry(self, instance: Instance, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The nodes stay, the colours are renamed at random."""
        return np.arange(instance.num_variables), rng.permutation(instance.num_values)

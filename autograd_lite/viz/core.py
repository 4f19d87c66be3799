"""The graph as plain data: one iterative walk back from the outputs gives nodes and edges.

``describe`` is what every drawing reads (``fold`` groups it by module, ``render`` turns it into
Graphviz DOT). A node has an ``id`` (``t3`` is the fourth tensor in creation order, ``op3`` the op
that made it, ``c3_1`` a constant argument of that op), a ``kind`` ("tensor", "op", "constant",
"module" or "note"), a ``scope`` (the module path it sits in, outermost first, as recorded by
``ag.name_scope`` and module calls, see ``_scopes``) and label ``fields``. An edge goes the way
the data flows and names the tensor node whose value it carries, so that it can be coloured by
that tensor's gradient.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..grad_mode import STATE
from ..tensor import Tensor

Scope = tuple[tuple[str, str], ...]  # (qualified name, class name) per enclosing module


@dataclass(slots=True)
class Node:
    """One box of the drawing; see the module docstring for ``id``, ``kind`` and ``scope``.

    ``fields`` of a tensor or constant: role ("output", "param", "leaf", "input", "constant" or
    "" for a computed tensor), name, shape (None for a Python number), dtype, data, grad and
    grad_norm (None without a gradient), uses (how many op arguments it is), requires_grad and
    size. Of an op: op (its name), params (its keyword arguments) and inputs_freed.
    """

    id: str
    kind: str
    scope: Scope
    fields: dict[str, Any]


@dataclass(slots=True)
class Edge:
    """Data flowing from node ``tail`` to node ``head``; ``carries`` is a tensor node id or None."""

    tail: str
    head: str
    carries: str | None = None


@dataclass
class Description:
    """The nodes (in drawing order) and edges of a graph; see the module docstring."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    _linked: set[tuple[str, str]] = field(default_factory=set, repr=False)

    def connect(self, tail: str, head: str, carries: str | None = None, once: bool = False
                ) -> None:
        """Add an edge; with ``once``, only if no edge from ``tail`` to ``head`` was added once.

        Edges between two tensors and ops are all kept (``x * x`` has two); an edge from a note
        or into a folded module stands for a fact, which is drawn once.
        """
        if once:
            if (tail, head) in self._linked:
                return
            self._linked.add((tail, head))
        self.edges.append(Edge(tail, head, carries))


def describe(outputs: Sequence[Tensor], param_names: Mapping[int, str],
             max_nodes: int | None = None) -> Description:
    """The graph that computed ``outputs``: its tensors, ops and constants, and the data flow.

    ``param_names`` maps ``id(tensor)`` to a parameter name: those leaves have the role
    "param" (a tensor is a parameter because a module registered it, which only the caller of
    ``draw_graph`` knows; autograd_lite never imports nn). ``max_nodes`` keeps the tensors
    nearest the outputs and adds a "truncated" note; inputs freed by ``backward()`` add a
    "freed" note. A leaf that requires grad sits in the innermost scope shared by the ops
    that use it; other leaves sit at the top level. Iterative: any depth of graph works.

        >>> import autograd_lite as ag
        >>> x = ag.tensor(2.0, requires_grad=True, name="x")
        >>> graph = describe([x * x], {})
        >>> [(node.id, node.kind, node.fields.get("role")) for node in graph.nodes]
        [('t0', 'tensor', 'leaf'), ('t1', 'tensor', 'output'), ('op1', 'op', None)]
        >>> [(edge.tail, edge.head) for edge in graph.edges]  # x * x: two edges from x
        [('op1', 't1'), ('t0', 'op1'), ('t0', 'op1')]
    """
    drawn, cut = _collect(outputs, max_nodes)
    index = {id(t): i for i, t in enumerate(drawn)}
    output_ids = {id(t) for t in outputs}
    scopes = _scopes(drawn)
    uses: dict[int, int] = {}
    consumer_scopes: dict[int, list[Scope]] = {}
    for tensor, tensor_scope in zip(drawn, scopes):
        for x in tensor._inputs or ():
            if isinstance(x, Tensor):
                uses[id(x)] = uses.get(id(x), 0) + 1
                consumer_scopes.setdefault(id(x), []).append(tensor_scope)
    graph = Description()
    for i, tensor in enumerate(drawn):
        if tensor._op is not None:
            scope, role = scopes[i], ""
        elif id(tensor) in param_names or tensor.is_parameter:
            scope, role = (), "param"
        else:
            scope, role = (), "leaf" if tensor.requires_grad else "input"
        if id(tensor) in output_ids:
            role = "output"
        elif tensor._op is None and tensor.requires_grad and id(tensor) in consumer_scopes:
            scope = _common_prefix(consumer_scopes[id(tensor)])
        fields = _value_fields(tensor, role, param_names.get(id(tensor)) or tensor.name or "")
        fields["uses"] = uses.get(id(tensor), 0)
        graph.nodes.append(Node(f"t{i}", "tensor", scope, fields))
        if tensor._op is not None:
            _describe_op(graph, i, tensor, index, scope)
    if any(node.fields.get("inputs_freed") for node in graph.nodes):
        graph.nodes.append(Node("freed", "note", (), {}))
    if cut:
        graph.nodes.append(Node("truncated", "note", (), {"max_nodes": max_nodes,
                                                          "left_out": len(cut)}))
    return graph


def _describe_op(graph: Description, i: int, tensor: Tensor, index: Mapping[int, int],
                 scope: Scope) -> None:
    """The op node that made tensor ``t{i}``, its constant arguments, and its edges."""
    op_id = f"op{i}"
    graph.nodes.append(Node(op_id, "op", scope, {"op": tensor._op.name,
                                                 "params": tensor._params or {},
                                                 "inputs_freed": tensor._inputs is None}))
    graph.connect(op_id, f"t{i}", carries=f"t{i}")
    if tensor._inputs is None:
        graph.connect("freed", op_id, once=True)
    for argnum, x in enumerate(tensor._inputs or ()):
        if not isinstance(x, Tensor):
            constant_id = f"c{i}_{argnum}"
            graph.nodes.append(Node(constant_id, "constant", scope,
                                    _value_fields(x, "constant", "")))
            graph.connect(constant_id, op_id)
        elif id(x) in index:
            graph.connect(f"t{index[id(x)]}", op_id, carries=f"t{index[id(x)]}")
        else:
            graph.connect("truncated", op_id, once=True)


def _scopes(drawn: Sequence[Tensor]) -> list[Scope]:
    """The scope of each drawn tensor (in creation order, as ``_collect`` gives them).

    Module calls record their scope once per call, on the tensors they return
    (``ag.call_in_scope``); ``name_scope`` tags every op in its block. Each such scope knows
    its enclosing ones, its thread and the interval of ticks it was open between, so the
    scopes found on the drawn tensors, their parents and this thread's open scopes (a drawing
    made inside a forward) give every op output the innermost interval that holds its
    ``_seq``. The intervals of one thread nest, but the clock is shared by all threads: a
    tensor takes only a scope of its thread, which is the thread of the scope it carries, or
    else of the tensors it flows into. Leaves get ``()`` here (``describe`` places them).
    """
    found: dict[int, Any] = {}
    for start in itertools.chain((t._scope for t in drawn), (STATE.scope,)):
        while start and id(start) not in found:
            found[id(start)] = start
            start = start.parent
    pending = sorted(found.values(), key=lambda s: s.first)
    threads: dict[int, int] = {}
    for tensor in reversed(drawn):  # consumers before their inputs
        thread = tensor._scope.thread if tensor._scope else threads.get(id(tensor))
        if thread is not None:
            threads[id(tensor)] = thread
            for x in tensor._inputs or ():
                threads.setdefault(id(x), thread)
    opened: list[Any] = []  # scopes opened before the current tensor, in opening order
    result: list[Scope] = []
    next_scope = 0
    for tensor in drawn:
        seq = tensor._seq
        while next_scope < len(pending) and pending[next_scope].first < seq:
            opened.append(pending[next_scope])
            next_scope += 1
        while opened and opened[-1].last is not None and opened[-1].last < seq:
            opened.pop()  # closed for good: tensors come in increasing _seq
        thread = threads.get(id(tensor))
        inner = () if tensor._op is None else next(
            (s for s in reversed(opened) if (s.last is None or seq < s.last)
             and (thread is None or s.thread == thread)), ())
        result.append(tuple(inner))
    return result


def _value_fields(value: Any, role: str, name: str) -> dict[str, Any]:
    """The label fields of a tensor or of a constant argument (a number or an array)."""
    is_tensor = isinstance(value, Tensor)
    data = value.data if is_tensor else np.asarray(value)
    grad = value.grad.data if is_tensor and value.grad is not None else None
    norm = None if grad is None else float(np.sqrt(np.sum(np.square(grad, dtype=np.float64))))
    return {"role": role, "name": name,
            "shape": None if isinstance(value, (bool, int, float)) else tuple(data.shape),
            "dtype": str(data.dtype), "data": data, "grad": grad, "grad_norm": norm,
            "uses": 0, "requires_grad": is_tensor and value.requires_grad, "size": data.size}


def _collect(outputs: Sequence[Tensor], max_nodes: int | None
             ) -> tuple[list[Tensor], list[Tensor]]:
    """The tensors to draw in creation order, and those left out by ``max_nodes``.

    Walks back from the outputs in decreasing creation order (a max-heap, no recursion), so a
    cut keeps the tensors nearest the outputs.
    """
    tiebreak = itertools.count()
    heap: list = []
    seen: set[int] = set()
    for out in outputs:
        if id(out) not in seen:
            seen.add(id(out))
            heapq.heappush(heap, (-out._seq, next(tiebreak), out))
    drawn = []
    while heap and (max_nodes is None or len(drawn) < max_nodes):
        tensor = heapq.heappop(heap)[2]
        drawn.append(tensor)
        for x in tensor._inputs or ():
            if isinstance(x, Tensor) and id(x) not in seen:
                seen.add(id(x))
                heapq.heappush(heap, (-x._seq, next(tiebreak), x))
    drawn.reverse()
    return drawn, [entry[2] for entry in heap]


def _common_prefix(paths: Sequence[Scope]) -> Scope:
    first = paths[0]
    length = len(first)
    for path in paths[1:]:
        length = min(length, len(path))
        while path[:length] != first[:length]:
            length -= 1
    return first[:length]

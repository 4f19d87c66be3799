"""Module folding: a pass over a graph description that draws deep modules as one box each.

``fold(graph, depth)`` replaces everything recorded inside a module nested deeper than ``depth``
by one "module" node, which says what goes in and out (shapes), how many parameters the module
holds and the norm of their gradient. Parameters used only inside one box fold into it; any
other leaf (an input image that requires grad) stays drawn and feeds the box, so the box shows
the shape the module was called with.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

from .core import Description, Edge, Node, Scope


def fold(graph: Description, depth: int | None, unfolded: Collection[Scope] = ()
         ) -> Description:
    """``graph`` with each module nested deeper than ``depth`` folded into a box.

    ``depth`` None returns ``graph`` unchanged; 0 folds every top-level module. ``unfolded``
    lists module paths (a box's ``scope`` plus its ``module``) drawn open, in full, anyway.
    Drawn nodes keep their order, then come the boxes (ids ``m0``, ``m1``, ... in order of their
    first op), then the notes. Each box keeps the nodes it hides in ``fields["inner"]``.
    """
    if depth is None:
        return graph
    nodes = {node.id: node for node in graph.nodes}
    boxes: dict[Scope, Node] = {}
    for node in graph.nodes:
        path = node.scope[:depth + 1]
        if (node.kind == "op" and len(node.scope) > depth and path not in boxes
                and path not in unfolded):
            boxes[path] = Node(f"m{len(boxes)}", "module", path[:-1], {
                "module": path[-1], "inputs": [], "outputs": [], "params": {}, "inner": []})
    home = _homes(graph, nodes, depth, {path: box.id for path, box in boxes.items()})
    by_id = {box.id: box for box in boxes.values()}
    folded = Description()
    for node in graph.nodes:
        if home[node.id] == node.id:
            if node.kind != "note":
                open_path = node.scope[:depth + 1] in unfolded
                folded.nodes.append(Node(node.id, node.kind,
                                         node.scope if open_path else node.scope[:depth],
                                         node.fields))
        else:
            by_id[home[node.id]].fields["inner"].append(node)
    for edge in graph.edges:
        _fold_edge(folded, edge, home, nodes, by_id)
    for box in boxes.values():
        _summarise(box.fields)
    folded.nodes += boxes.values()
    folded.nodes += [node for node in graph.nodes if node.kind == "note"]
    return folded


def _summarise(fields: dict) -> None:
    """A box's facts once every edge is folded: parameter count and gradient norm, and its
    input and output (shape, dtype) pairs each listed once."""
    leaves = fields.pop("params").values()
    norms = [leaf.fields["grad_norm"] for leaf in leaves if leaf.fields["grad_norm"] is not None]
    fields["parameters"] = sum(leaf.fields["size"] for leaf in leaves)
    fields["grad_norm"] = math.sqrt(sum(n * n for n in norms)) if norms else None
    fields["inputs"] = list(dict.fromkeys(fields["inputs"]))
    fields["outputs"] = list(dict.fromkeys(fields["outputs"]))


def _homes(graph: Description, nodes: Mapping[str, Node], depth: int,
           box_ids: Mapping[Scope, str]) -> dict[str, str]:
    """Each node id -> the id it is drawn as: its own, or that of the box that hides it.

    A box hides its ops and their constants, the tensors they make that only its own ops use
    (not the outputs), and the parameters only its own ops use.
    """
    home = {node.id: box_ids.get(node.scope[:depth + 1], node.id) if node.kind == "op"
            else node.id for node in graph.nodes}
    made_by: dict[str, str] = {}
    used_in: dict[str, set[str]] = {}
    for edge in graph.edges:
        if nodes[edge.tail].kind == "op":
            made_by[edge.head] = edge.tail
        else:
            used_in.setdefault(edge.tail, set()).add(home[edge.head])
    boxes = set(box_ids.values())
    for node in graph.nodes:
        users = used_in.get(node.id, set())
        if node.kind == "constant" and users <= boxes:
            (home[node.id],) = users
        elif node.kind != "tensor" or node.fields["role"] == "output":
            continue
        elif node.id in made_by:
            box = home[made_by[node.id]]
            if box in boxes and users <= {box}:
                home[node.id] = box
        elif (node.fields["role"] == "param" and node.fields["requires_grad"] and len(users) == 1
              and users <= boxes):
            (home[node.id],) = users
    return home


def _fold_edge(folded: Description, edge: Edge, home: Mapping[str, str],
               nodes: Mapping[str, Node], boxes: Mapping[str, Node]) -> None:
    """Redirect ``edge`` to the nodes drawn; drop it inside a box; record what a box holds."""
    tail, head = home[edge.tail], home[edge.head]
    if tail == head:
        if tail in boxes and nodes[edge.tail].fields.get("role") == "param":
            boxes[tail].fields["params"][edge.tail] = nodes[edge.tail]
        return
    carried = nodes[edge.carries].fields if edge.carries else None
    if head in boxes and carried is not None:
        boxes[head].fields["inputs"].append((carried["shape"], carried["dtype"]))
    if tail in boxes and carried is not None:
        boxes[tail].fields["outputs"].append((carried["shape"], carried["dtype"]))
    touches_a_box = tail in boxes or head in boxes
    folded.connect(tail, head, edge.carries, once=touches_a_box or nodes[tail].kind == "note")

"""autograd_lite's modules import each other one way: no module imports one that imports it.

A cycle is what forced the bottom-of-file imports in ``tensor.py``; Tensor now reaches the
modules built on it through references that the package face binds (``tensor.bind_dependents``).
The check reads the module-level imports of every file (not those under ``TYPE_CHECKING``, nor
imports inside functions) and looks for a cycle among them.
"""

import ast
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "autograd_lite"
ROOT = "autograd_lite"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    return (PACKAGE_DIR.parent / relative).with_suffix(".py").exists() or (
        PACKAGE_DIR.parent / relative / "__init__.py").exists()


def imported_modules(path: Path) -> set[str]:
    """The package's modules that ``path`` imports at module level (with their packages)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            parts = target.split(".")
            # Importing a.b.c runs a.b first, unless the importer is inside a.b (a sibling).
            for depth in range(2, len(parts) + 1):
                candidate = ".".join(parts[:depth])
                if is_module(candidate) and candidate != name and not (
                        name.startswith(candidate + ".") or (depth < len(parts)
                                                             and package == candidate)):
                    found.add(candidate)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports; the package face (which imports all) is left
    out, since every submodule runs it first by construction."""
    return {module_name(path): imported_modules(path) for path in PACKAGE_DIR.rglob("*.py")
            if module_name(path) != ROOT}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A list of modules that import each other in a ring, or None (iterative DFS)."""
    state = {}  # module -> "open" while on the DFS path, "done" after
    for start in sorted(graph):
        if start in state:
            continue
        path, stack = [], [(start, iter(sorted(graph.get(start, ()))))]
        state[start] = "open"
        path.append(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = "done"
            elif state.get(child) == "open":
                return path[path.index(child):] + [child]
            elif child not in state:
                state[child] = "open"
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return None


def test_the_checker_sees_the_engine_imports():
    graph = import_graph()
    assert "autograd_lite.tensor" in graph["autograd_lite.primitive"]
    assert "autograd_lite.primitive" in graph["autograd_lite.ops.elementwise"]
    assert graph["autograd_lite.tensor"] == {
        "autograd_lite.clock", "autograd_lite.grad_mode", "autograd_lite.random",
        "autograd_lite.spellings"}


def test_the_checker_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_module_of_the_package_imports_one_that_imports_it():
    assert find_cycle(import_graph()) is None

"""nn/ is built only from differentiable primitives: an AST check over every file in nn/.

A file in nn/ must not define a backward or VJP, call a VJP rule or register a primitive,
import the engine's modules, or touch the graph internals of tensors. Calling ``loss.backward()`` is
running backprop, not writing a derivative: only the training loop may do it.
"""

import ast
from pathlib import Path

import pytest

NN_DIR = Path(__file__).resolve().parent.parent / "nn"
MAY_RUN_BACKPROP = {"training.py"}  # the fit loop calls loss.backward()

DERIVATIVE_NAMES = {"backward", "vjp", "defvjp", "jvp", "grad_fn"}
FORBIDDEN_CALLS = {"vjp", "defvjp", "primitive", "run_backward", "Primitive"}
# The modules of autograd_lite's engine; nn reaches what it needs through the package face (ag.*).
ENGINE_MODULES = {"primitive", "backward", "grad_mode", "clock", "anomaly"}
ENGINE_INTERNALS = {
    "_op", "_inputs", "_params", "_pending", "_hooks", "_seq", "_from_op", "_trace", "_scope",
    "_requires_grad", "_retains_grad", "PRIMITIVES", "NUMPY", "TENSORS", "STATE",
    *(ENGINE_MODULES - {"backward"}),  # ag.grad_mode.STATE; .backward is also loss.backward()
}


def _is_derivative_name(name: str) -> bool:
    return name in DERIVATIVE_NAMES or name.endswith("_vjp") or name.startswith("vjp_")


def violations(source: str, filename: str) -> list[str]:
    """Every place in ``source`` that writes or reaches a derivative, as 'file:line: what'."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            name = getattr(node, "name", "")
            if _is_derivative_name(name):
                found.append(f"{where}: defines {name}()")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in FORBIDDEN_CALLS or (_is_derivative_name(name) and name != "backward"):
                found.append(f"{where}: calls {name}()")
            elif name == "backward" and Path(filename).name not in MAY_RUN_BACKPROP:
                found.append(f"{where}: calls backward()")
        elif isinstance(node, ast.Attribute) and node.attr in ENGINE_INTERNALS:
            found.append(f"{where}: reaches into .{node.attr}")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = {alias.name for alias in node.names}
            if ENGINE_MODULES & set(module.split(".")) or names & (
                    ENGINE_INTERNALS | ENGINE_MODULES | FORBIDDEN_CALLS):
                found.append(f"{where}: imports from the engine ({module}: {sorted(names)})")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if ENGINE_MODULES & set(alias.name.split(".")):
                    found.append(f"{where}: imports {alias.name}")
    return found


NN_FILES = sorted(NN_DIR.glob("**/*.py"))


def test_nn_has_files_to_check():
    assert {"module.py", "layers.py", "functional.py", "losses.py"} <= {p.name for p in NN_FILES}


@pytest.mark.parametrize("path", NN_FILES, ids=[p.name for p in NN_FILES])
def test_nn_file_writes_no_derivative(path):
    assert violations(path.read_text(), path.name) == []


@pytest.mark.parametrize("snippet", [
    "def backward(self, g):\n    return g",
    "class Square:\n    def vjp(self, g):\n        return g",
    "def relu_vjp(F, g, ans, x):\n    return g",
    "from autograd_lite.primitive import primitive",
    "from autograd_lite.grad_mode import STATE",
    "from autograd_lite import clock",
    "import autograd_lite.backward",
    "import autograd_lite as ag\nag.grad_mode.STATE.scope = ()",
    "y = x._inputs[0]",
    "prim.vjp(0)(F, g, ans, x)",
    "@primitive('mine')\ndef mine(x):\n    return x",
    "loss.backward()",
])
def test_checker_catches_each_kind_of_derivative(snippet):
    assert violations(snippet, "layers.py")


def test_training_loop_may_run_backprop():
    assert violations("loss.backward()", "training.py") == []

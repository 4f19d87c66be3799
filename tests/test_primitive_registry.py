"""The registry of primitives: one place, with NUMPY and TENSORS as views derived from it."""

import re
from pathlib import Path

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite.primitive import NUMPY, PRIMITIVES, TENSORS, primitive

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "autograd_lite"


@pytest.fixture
def registered():
    """A throwaway primitive ``test_registry_twice`` (2 x), deleted from the registry after."""

    def twice(x):
        return 2 * x

    prim = primitive("test_registry_twice", lambda F, g, ans, x: F.mul(g, 2.0))(twice)
    yield prim
    if "test_registry_twice" in PRIMITIVES:
        del PRIMITIVES["test_registry_twice"]


def test_registering_a_primitive_shows_it_in_both_namespaces(registered):
    assert PRIMITIVES["test_registry_twice"] is registered
    assert NUMPY.test_registry_twice is registered.forward
    assert TENSORS.test_registry_twice is registered
    x = ag.tensor([1.0, 3.0], requires_grad=True)
    registered(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_deleting_from_the_registry_removes_it_from_both_namespaces(registered):
    del PRIMITIVES["test_registry_twice"]
    assert "test_registry_twice" not in PRIMITIVES
    assert not hasattr(NUMPY, "test_registry_twice")
    assert not hasattr(TENSORS, "test_registry_twice")


def test_a_name_is_registered_once(registered):
    with pytest.raises(ValueError, match="primitive 'test_registry_twice' is already registered"):
        primitive("test_registry_twice")(lambda x: x)


def test_the_namespaces_are_read_only():
    with pytest.raises(AttributeError, match="register 'mine' with @primitive"):
        NUMPY.mine = np.negative
    with pytest.raises(AttributeError, match="register 'mul' with @primitive"):
        del TENSORS.mul
    assert TENSORS.mul is PRIMITIVES["mul"]


def test_every_name_a_vjp_rule_takes_from_F_is_a_registered_primitive():
    used = set()
    for path in PACKAGE_DIR.rglob("*.py"):
        used |= set(re.findall(r"\bF\.([a-z_][a-z0-9_]*)", path.read_text()))
    assert {"mul", "sum_to", "astype"} <= used  # the scan sees the rules and the walk
    assert sorted(used - set(PRIMITIVES)) == []
    for name in used:
        assert getattr(NUMPY, name) is PRIMITIVES[name].forward
        assert getattr(TENSORS, name) is PRIMITIVES[name]

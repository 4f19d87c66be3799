"""Hostile and odd input: every public op and factory either gives a correct result or raises a
ValueError/TypeError whose message names a function; never an internal error."""

import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_registry import INDEXING_OPS

import autograd_lite as ag

NAMES = tuple(ag.PUBLIC_OPS) + ("tensor",)
NAMED_MESSAGE = re.compile(r"^({}): ".format("|".join(map(re.escape, NAMES))))
PYTHON_ARITY = re.compile(
    r"(missing \d+ required|takes (from \d+ to )?\d+ positional|unexpected keyword)")

odd_values = st.one_of(
    st.sampled_from(["abc", None, {}, object(), [[1, 2], [3]], (0, 1), [], Ellipsis]),
    st.sampled_from([float("nan"), float("inf"), -5, 0, 10**6, True, np.float32(2.5)]),
    st.sampled_from([np.zeros((0, 3)), np.zeros(()), np.array(["a"]),
                     np.array([1, 2], dtype=object)]),
    st.builds(lambda shape: ag.tensor(np.ones(shape)),
              st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple)),
)


def _call_and_classify(function, args, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NaN/Inf data may warn; here only the errors matter
        try:
            result = function(*args)
        except (ValueError, TypeError) as error:
            message = str(error)
            assert NAMED_MESSAGE.match(message) or PYTHON_ARITY.search(message), (
                f"{name}{args!r:.120} raised an unnamed {type(error).__name__}: {message}")
            return
        except IndexError as error:
            assert name in INDEXING_OPS and str(error).startswith(f"{name}:"), (
                f"{name} raised IndexError: {error}")
            return
        except MemoryError:
            return  # a huge but valid request (e.g. pad by a million) is honest to refuse
    results = result if isinstance(result, (list, tuple)) else [result]  # split, nonzero, topk
    assert all(isinstance(r, ag.Tensor) for r in results)


@pytest.mark.parametrize("name", sorted(ag.PUBLIC_OPS))
@settings(max_examples=25)
@given(first=odd_values, second=odd_values, arity=st.integers(1, 3))
def test_public_op_with_odd_arguments_fails_clearly_or_succeeds(name, first, second, arity):
    function = getattr(ag, name)
    base = ag.tensor(np.arange(6.0).reshape(2, 3))
    candidates = [(first,), (base, first), (first, base), (first, second), (base, first, second)]
    for args in candidates[: arity + 2]:
        _call_and_classify(function, args, name)


@pytest.mark.parametrize("factory", [ag.zeros, ag.ones, ag.rand, ag.randn])
@pytest.mark.parametrize("shape", [(-1,), ("3",), (2.5,), (None,), ((2, -3),)])
def test_factories_reject_bad_sizes_naming_the_factory(factory, shape):
    with pytest.raises((ValueError, TypeError), match=rf"^{factory.__name__}: sizes must be"):
        factory(*shape)


@pytest.mark.parametrize("data", ["text", None, {"a": 1}, [[1, 2], [3]], [object()]])
def test_tensor_rejects_non_numeric_data(data):
    with pytest.raises((ValueError, TypeError), match=r"^tensor: "):
        ag.tensor(data)


def test_zero_size_tensors_flow_through_ops_and_backward():
    x = ag.tensor(np.zeros((0, 3)), requires_grad=True)
    y = (ag.tanh(x) * 2 + 1).sum(axis=0)
    assert y.shape == (3,)
    y.sum().backward()
    assert x.grad.shape == (0, 3)


def test_zero_dimensional_tensors_support_arithmetic_and_backward():
    x = ag.tensor(3.0, requires_grad=True)
    (x * x + ag.exp(x)).backward()
    assert x.grad.item() == pytest.approx(6.0 + np.exp(3.0), rel=1e-6)


def test_nan_data_propagates_without_an_error():
    x = ag.tensor([np.nan, 1.0], requires_grad=True)
    y = (x * 2).sum()
    y.backward()
    assert np.isnan(y.item())
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


@pytest.mark.parametrize("name", ["max", "min", "argmax", "logsumexp"])
def test_reducing_an_empty_tensor_names_the_op(name):
    with pytest.raises(ValueError, match=rf"^{name}: "):
        getattr(ag, name)(ag.zeros(0))


def test_huge_axis_is_reported_with_the_tensor_rank():
    with pytest.raises(ValueError, match=r"^sum: axis 1000000 is out of range for a tensor with 2"):
        ag.sum(ag.ones(2, 3), axis=10**6)

"""PyTorch's argument names (dim=, keepdim=, start_dim=, correction=, unbiased=) beside NumPy's.

One mechanism, ``autograd_lite.spellings.torch_spellings``, gives them to every function and
Tensor method that takes NumPy's names; the enumeration tests fail for one that does not.
"""

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_registry import METHODS_OF_FUNCTIONS, REGISTRY, method_call

import autograd_lite as ag
import nn
from autograd_lite.spellings import (
    TORCH_TO_NUMPY,
    accepts_torch_spellings,
    takes_numpy_axis_names,
    torch_spellings,
)
from nn import functional as F

NUMPY_TO_TORCH = {"axis": "dim", "keepdims": "keepdim", "start_axis": "start_dim",
                  "end_axis": "end_dim", "ddof": "correction"}


def _public_functions() -> dict[str, object]:
    found = {f"ag.{name}": getattr(ag, name) for name in ag.__all__}
    found.update({f"ag.linalg.{name}": getattr(ag.linalg, name) for name in ag.linalg.__all__})
    found.update({f"F.{name}": getattr(F, name) for name in dir(F) if not name.startswith("_")})
    found.update({f"nn.{name}": getattr(nn, name).__init__ for name in dir(nn)
                  if inspect.isclass(getattr(nn, name))})
    found.update({f"Tensor.{name}": member for name, member in vars(ag.Tensor).items()
                  if callable(member)})
    return {name: f for name, f in found.items() if callable(f)}


def _decorated() -> dict[str, object]:
    return {name: f for name, f in _public_functions().items() if accepts_torch_spellings(f)}


def test_every_function_taking_numpy_axis_names_accepts_pytorchs():
    missing = [name for name, f in _public_functions().items()
               if takes_numpy_axis_names(f) and not accepts_torch_spellings(f)]
    assert not missing, (f"these take axis=/keepdims=/ddof=/start_axis=/end_axis= but not "
                         f"PyTorch's dim=/keepdim=/...: decorate them with "
                         f"@torch_spellings (autograd_lite/spellings.py): {missing}")


def test_the_enumeration_sees_the_reductions_shapes_methods_and_nn():
    decorated = _decorated()
    for name in ("ag.sum", "ag.var", "ag.argmax", "ag.softmax", "ag.cat", "ag.concatenate",
                 "ag.stack", "ag.squeeze", "ag.unsqueeze", "ag.flatten", "ag.split",
                 "ag.chunk", "ag.any", "Tensor.sum", "Tensor.prod", "Tensor.flatten",
                 "Tensor.chunk", "Tensor.split", "F.softmax", "F.log_softmax",
                 "nn.Flatten", "nn.Softmax"):
        assert name in decorated, name


def _renamed(kwargs: dict) -> dict:
    return {NUMPY_TO_TORCH.get(key, key): value for key, value in kwargs.items()}


def _as_arrays(result) -> list:
    if hasattr(result, "indices"):  # PyTorch's (values, indices) of max/min with dim=
        result = result.values
    results = result if isinstance(result, (tuple, list)) else (result,)
    return [np.asarray(r.data) for r in results]


SPELLED_ENTRIES = [name for name, entry in REGISTRY.items()
                   if getattr(ag, name, None) is entry.op and accepts_torch_spellings(entry.op)]


def test_the_registry_check_covers_the_axis_ops():
    assert {"sum", "mean", "max", "var", "std", "argmin", "softmax", "squeeze", "flatten",
            "chunk", "unbind", "any"} <= set(SPELLED_ENTRIES)


@pytest.mark.parametrize("name", SPELLED_ENTRIES)
@settings(max_examples=10)
@given(data=st.data())
def test_pytorch_names_compute_what_numpy_names_compute(name, data):
    entry = REGISTRY[name]
    sample = data.draw(entry.samples)
    tensors = [ag.tensor(a) for a in sample.arrays]
    numpy_spelled = entry.op(*tensors, **sample.kwargs)
    torch_spelled = entry.op(*tensors, **_renamed(sample.kwargs))
    for got, want in zip(_as_arrays(torch_spelled), _as_arrays(numpy_spelled), strict=True):
        np.testing.assert_array_equal(got, want)


SPELLED_METHODS = [name for name in METHODS_OF_FUNCTIONS
                   if takes_numpy_axis_names(REGISTRY[name].op)
                   or name in ("max", "min", "var", "std")]


@pytest.mark.parametrize("name", SPELLED_METHODS)
@settings(max_examples=10)
@given(data=st.data())
def test_methods_take_pytorch_names_too(name, data):
    sample = data.draw(REGISTRY[name].samples)
    tensors = [ag.tensor(a) for a in sample.arrays]
    torch_spelled = method_call(name)(*tensors, **_renamed(sample.kwargs))
    numpy_spelled = REGISTRY[name].op(*tensors, **sample.kwargs)
    for got, want in zip(_as_arrays(torch_spelled), _as_arrays(numpy_spelled), strict=True):
        np.testing.assert_array_equal(got, want)


def _both_spellings_calls():
    x = ag.ones(2, 2)
    for name, f in sorted(_decorated().items()):
        for torch_name, numpy_name in f.torch_spellings.items():
            value = {"axis": 0, "keepdims": True, "ddof": 1, "start_axis": 0,
                     "end_axis": 1}[numpy_name]
            value_torch = True if torch_name == "unbiased" else value
            if name.startswith("Tensor."):
                def call(f=f, n=numpy_name, t=torch_name, v=value, w=value_torch):
                    return f(x, **{n: v, t: w})
            elif name.startswith("nn."):
                def call(f=f, n=numpy_name, t=torch_name, v=value, w=value_torch):
                    return f(object.__new__(nn.Module), **{n: v, t: w})
            else:
                def call(f=f, n=numpy_name, t=torch_name, v=value, w=value_torch):
                    return f(x, **{n: v, t: w})
            yield pytest.param(call, f.__wrapped__.__qualname__.removesuffix(".__init__"),
                               torch_name, id=f"{name}-{torch_name}")


@pytest.mark.parametrize("call, qualname, torch_name", list(_both_spellings_calls()))
def test_giving_both_spellings_raises_type_error_naming_the_function(call, qualname,
                                                                     torch_name):
    with pytest.raises(TypeError, match=rf"^{qualname}: got .*{torch_name}=.*which are the "
                                        rf"same argument"):
        call()


def test_a_positional_axis_and_dim_raise_naming_both():
    x = ag.ones(2, 3)
    with pytest.raises(TypeError, match=r"^sum: got dim= and axis \(positional argument 2\), "
                                        r"which are the same argument \(axis, called dim in "
                                        r"PyTorch\); pass it once"):
        ag.sum(x, 0, dim=1)
    with pytest.raises(TypeError, match=r"^Tensor.sum: got dim= and axis \(positional"):
        x.sum(0, dim=1)


def test_correction_and_unbiased_are_ddof():
    x = ag.tensor([1.0, 2.0, 4.0], dtype="float64")
    # mean 7/3; squared deviations add up to 14/3
    assert ag.var(x, unbiased=True).item() == pytest.approx(7 / 3)
    assert ag.var(x, unbiased=False).item() == pytest.approx(14 / 9)
    assert ag.var(x, correction=0).item() == pytest.approx(14 / 9)
    assert x.std(dim=0, correction=1).item() == pytest.approx(np.sqrt(7 / 3))
    assert x.std(unbiased=False).item() == pytest.approx(1.2472191289)  # torch.std


def test_a_pytorch_spelled_var_or_std_gets_pytorchs_correction():
    x = ag.tensor([[1.0, 2.0, 4.0]], dtype="float64")
    assert x.var(dim=1).item() == pytest.approx(7 / 3)  # torch: divides by N - 1
    assert ag.std(x, dim=1, keepdim=True).item() == pytest.approx(np.sqrt(7 / 3))
    assert x.var(axis=1).item() == pytest.approx(14 / 9)  # NumPy's spelling: divides by N
    assert x.var(1).item() == pytest.approx(14 / 9) and x.var().item() == pytest.approx(14 / 9)
    assert x.var(dim=1, correction=0).item() == pytest.approx(14 / 9)


def test_correction_and_unbiased_together_raise():
    with pytest.raises(TypeError, match=r"^var: got correction= and unbiased=, which are the "
                                        r"same argument \(ddof, called correction/unbiased"):
        ag.var(ag.ones(3), correction=1, unbiased=True)


def test_unbiased_must_be_a_bool():
    with pytest.raises(TypeError, match=r"^std: unbiased must be True or False, got 1; for "
                                        r"another correction pass correction=<number>"):
        ag.std(ag.ones(3), unbiased=1)


def test_max_and_min_with_dim_give_pytorchs_values_and_indices():
    x = ag.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 6.0] and indices.tolist() == [1, 2]
    assert indices.dtype == np.int64
    result = ag.min(x, dim=0, keepdim=True)
    assert result.values.tolist() == [[1.0, 2.0, 3.0]] and result.indices.tolist() == [[0, 1, 0]]
    values.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


def test_max_with_numpys_axis_gives_the_values_as_before():
    x = ag.tensor([[1.0, 5.0], [4.0, 2.0]])
    assert x.max(axis=1).tolist() == [5.0, 4.0] and x.max(1).tolist() == [5.0, 4.0]
    assert ag.max(x).item() == 5.0


def test_nn_takes_pytorchs_names():
    x = ag.tensor(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_allclose(F.softmax(x, dim=1).data, ag.softmax(x, axis=1).data)
    np.testing.assert_allclose(F.log_softmax(x, dim=0).data, ag.log_softmax(x, axis=0).data)
    assert nn.Flatten(start_dim=0, end_dim=1)(x).shape == (6, 4)
    assert nn.Softmax(dim=0).axis == 0 and nn.LogSoftmax(dim=1).axis == 1
    with pytest.raises(TypeError, match=r"^_AlongAxis: got dim= and axis="):
        nn.Softmax(axis=0, dim=1)


def test_common_pytorch_calls():
    x = ag.tensor(np.arange(6.0).reshape(2, 3))
    assert x.sum(dim=1, keepdim=True).shape == (2, 1)
    assert x.mean(dim=(0, 1)).item() == 2.5
    assert x.argmax(dim=1).tolist() == [2, 2]
    assert ag.cat([x, x], dim=1).shape == (2, 6)
    assert ag.stack([x, x], dim=2).shape == (2, 3, 2)
    assert [piece.shape for piece in ag.split(x, 3, dim=1)] == [(2, 1)] * 3
    assert x.unsqueeze(dim=0).shape == (1, 2, 3)
    assert x.unsqueeze(0).squeeze(dim=0).shape == (2, 3)
    assert x.flatten(start_dim=0).shape == (6,)
    assert x.softmax(dim=0).sum(dim=0).tolist() == pytest.approx([1.0, 1.0, 1.0])


def test_the_docstring_says_which_names_are_accepted():
    assert "``dim=`` for ``axis=``, ``keepdim=`` for ``keepdims=``" in ag.sum.__doc__
    assert inspect.signature(ag.sum).parameters.keys() == {"x", "axis", "keepdims"}


def test_decorating_a_function_without_numpy_names_is_refused():
    def relu_like(x):
        return x

    with pytest.raises(TypeError, match=r"^torch_spellings: .*relu_like has none of the "
                                        r"parameters"):
        torch_spellings(relu_like)


def test_the_alias_table_is_pytorchs():
    assert TORCH_TO_NUMPY == {"dim": "axis", "keepdim": "keepdims", "start_dim": "start_axis",
                              "end_dim": "end_axis", "correction": "ddof", "unbiased": "ddof"}


@torch_spellings
def _user_reduction(x, axis=None, keepdims=False):
    return ag.sum(x, axis, keepdims)


def test_the_decorator_serves_functions_written_elsewhere():
    assert _user_reduction(ag.ones(2, 3), dim=0, keepdim=True).shape == (1, 3)

"""The dtype rule (README, "Dtypes"), one rule for every op, seen from the user's side.

Tensors promote among themselves as in NumPy; anything else (a Python number, a list, a NumPy
array) is a constant that takes the tensors' float dtype; without a float tensor, lists and
numbers become the default float dtype and NumPy arrays keep theirs, as ``ag.tensor`` does;
integer and bool operands never widen a float result. Layers compute in their parameters'
dtype: a NumPy array is converted, a float tensor of another dtype is refused.
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_registry import REGISTRY

import autograd_lite as ag
import nn
from autograd_lite import grad_mode, primitive

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)

# (name, op on a tensor and a constant): every way an op can meet a non-tensor operand.
BINARY_FORMS = [
    ("add", lambda t, c: t + c), ("radd", lambda t, c: c + t), ("sub", lambda t, c: t - c),
    ("mul", lambda t, c: t * c), ("div", lambda t, c: c / t), ("pow", lambda t, c: t ** c),
    ("maximum", ag.maximum), ("minimum", ag.minimum),
    ("where", lambda t, c: ag.where(t > 0.5, t, c)),
    ("matmul", lambda t, c: t @ c), ("rmatmul", lambda t, c: ag.matmul(c, t)),
    ("dot", lambda t, c: ag.dot(t[0], c[0])), ("outer", lambda t, c: ag.outer(t[0], c[0])),
    ("concatenate", lambda t, c: ag.concatenate([t, c])),
    ("stack", lambda t, c: ag.stack([c, t], axis=1)),
]
IDS = [name for name, _ in BINARY_FORMS]
VALUES = np.array([[0.25, 0.5], [1.5, 2.0]])


def _tensor(dtype):
    return ag.tensor(VALUES.astype(dtype), requires_grad=True)


@pytest.mark.parametrize("form", [f for _, f in BINARY_FORMS], ids=IDS)
def test_a_float64_array_operand_takes_the_float32_tensors_dtype(form):
    out = form(_tensor(F32), VALUES + 1.0)
    assert out.dtype == F32
    want = form(_tensor(F64), VALUES + 1.0)  # the same op, all in float64
    np.testing.assert_allclose(out.data, want.data, rtol=1e-6)


@pytest.mark.parametrize("form", [f for _, f in BINARY_FORMS], ids=IDS)
def test_a_float32_array_operand_takes_the_float64_tensors_dtype(form):
    assert form(_tensor(F64), (VALUES + 1.0).astype(F32)).dtype == F64


@pytest.mark.parametrize("form", [f for _, f in BINARY_FORMS], ids=IDS)
def test_a_list_operand_is_a_constant_too(form):
    assert form(_tensor(F32), (VALUES + 1.0).tolist()).dtype == F32


@pytest.mark.parametrize("op", [ag.add, ag.mul, ag.pow, ag.maximum, ag.div])
def test_a_numpy_float64_scalar_is_a_constant(op):
    assert op(_tensor(F32), np.float64(2.0)).dtype == F32
    assert op(np.float64(2.0), _tensor(F32)).dtype == F32


@pytest.mark.parametrize("form", [f for _, f in BINARY_FORMS], ids=IDS)
def test_float32_and_float64_tensors_promote_to_float64(form):
    assert form(_tensor(F32), ag.tensor(VALUES + 1.0)).dtype == F64
    assert form(_tensor(F64), ag.tensor((VALUES + 1.0).astype(F32))).dtype == F64


def test_the_reported_cases_are_all_float32():
    x = ag.ones(2)
    assert (x + np.ones(2)).dtype == F32
    assert (x @ np.ones(2)).dtype == F32
    assert ag.concatenate([x, np.ones(2)]).dtype == F32
    assert nn.MSELoss()(x, np.ones(2)).dtype == F32
    assert nn.Linear(2, 1)(np.ones((3, 2))).dtype == F32
    assert ag.exp([1.0]).dtype == ag.tensor([1.0]).dtype == F32


@pytest.mark.parametrize("data", [[1.0, 2.0], [1, 2], 2.5, 3, np.array([1.0]),
                                  np.array([1.0], np.float32), np.float64(0.5)],
                         ids=["float list", "int list", "float", "int", "float64 array",
                              "float32 array", "np.float64"])
def test_without_a_tensor_constants_get_the_dtype_ag_tensor_gives(data):
    assert ag.exp(data).dtype == ag.tensor(data).dtype
    assert ag.add(data, data).dtype == ag.tensor(data).dtype
    assert ag.sum(data).dtype == ag.tensor(data).dtype


def test_without_a_tensor_numpy_arrays_promote_among_themselves():
    assert ag.add(np.ones(2, np.float32), np.ones(2)).dtype == F64
    assert ag.matmul(np.ones((2, 2)), [[1.0, 2.0], [3.0, 4.0]]).dtype == F64
    assert ag.stack([np.ones(2, np.float32), [1.0, 2.0]]).dtype == F32


def test_the_default_dtype_decides_for_lists_and_numbers():
    ag.set_default_dtype("float64")
    try:
        assert ag.exp([1.0]).dtype == F64
        assert ag.exp(1.0).dtype == F64
        assert (ag.arange(3) * 0.5).dtype == F64
    finally:
        ag.set_default_dtype("float32")


@pytest.mark.parametrize("integers", [np.arange(4).reshape(2, 2), ag.arange(4).reshape(2, 2),
                                      [[1, 2], [3, 4]], 3, np.int64(3)],
                         ids=["int64 array", "int64 tensor", "int list", "int", "np.int64"])
def test_integer_operands_never_widen_a_float_result(integers):
    x = _tensor(F32)
    for out in (x * integers, integers - x, x @ integers if np.ndim(integers) else x ** integers,
                ag.where(x > 1, x, integers)):
        assert out.dtype == F32


def test_integer_tensors_with_a_number_or_a_float64_array():
    assert (ag.arange(3) * 0.5).dtype == F32  # the default dtype, as in PyTorch
    assert (ag.arange(3) / 2).dtype == F32
    assert (ag.arange(3) * np.ones(3)).dtype == F64  # the array keeps its dtype, as ag.tensor
    assert (ag.arange(3) + 1).dtype == np.int64
    assert (ag.arange(3) + np.arange(3)).dtype == np.int64


def test_bool_masks_stay_masks():
    x = _tensor(F32)
    mask = np.array([[True, False], [False, True]])
    assert (x * mask).dtype == F32
    np.testing.assert_array_equal((x * mask).data, VALUES.astype(F32) * mask)
    assert ag.where(mask, x, 0.0).dtype == F32


# --- backward stays in the tensors' dtype ---------------------------------------------------


def _recorded(function):
    """The outputs of every op recorded while ``function`` runs."""
    recorded = []
    with grad_mode.observe_recorded_ops(recorded.append):
        function()
    return recorded


def test_a_float32_graph_with_float64_constants_records_only_float32_values():
    x = _tensor(F32)
    outputs = _recorded(lambda: ((x @ (VALUES + 1.0)) * np.float64(3.0) - VALUES
                                 + ag.concatenate([x, VALUES])[:2]).sum().backward())
    assert outputs and {out.dtype for out in outputs} == {F32}
    assert x.grad.dtype == F32


def _vjp_dtypes(output):
    """(input dtype, VJP result dtype) for each differentiable input of ``output``'s op, the
    VJP run on arrays as a plain backward() runs it."""
    args = [x.data if isinstance(x, ag.Tensor) else x for x in output._inputs]
    cotangent = np.ones_like(output.data)
    return [(x.dtype, np.asarray(output._op.vjp(i)(primitive.NUMPY, cotangent, output.data, *args,
                                                   **output._params)).dtype)
            for i, x in enumerate(output._inputs) if isinstance(x, ag.Tensor) and x.requires_grad]


@pytest.mark.parametrize("name", sorted(n for n in REGISTRY if REGISTRY[n].differentiable))
@settings(max_examples=5)
@given(data=st.data())
def test_every_vjp_computes_float32_gradients_in_float32(name, data):
    # The engine casts each gradient back to its input's dtype; this checks that no VJP needs
    # that cast, i.e. none computes in float64 (twice the time) behind the cast.
    entry = REGISTRY[name]
    sample = data.draw(entry.samples)
    tensors = [ag.tensor(a.astype(F32), requires_grad=True) if a.dtype.kind == "f"
               else ag.tensor(a) for a in sample.arrays]
    outputs = _recorded(lambda: entry.op(*tensors, **sample.kwargs))
    for output in outputs:
        assert output.dtype == F32 or output.op_name == "astype", output.op_name
        for input_dtype, gradient_dtype in _vjp_dtypes(output):
            assert gradient_dtype == input_dtype, output.op_name


# --- layers compute in their parameters' dtype --------------------------------------------


def test_linear_converts_a_float64_numpy_array_to_its_float32_weight():
    layer = nn.Linear(3, 2)
    data = np.linspace(-1.0, 1.0, 12).reshape(4, 3)
    out = layer(data)
    assert out.dtype == F32
    np.testing.assert_allclose(out.data, data @ layer.weight.data.T.astype(F64)
                               + layer.bias.data, rtol=1e-6, atol=1e-6)
    out.sum().backward()
    assert layer.weight.grad.dtype == F32


def test_conv2d_converts_a_float64_numpy_array_to_its_float32_weight():
    layer = nn.Conv2d(1, 2, 3)
    image = np.linspace(0.0, 1.0, 25).reshape(1, 1, 5, 5)
    out = layer(image)
    assert out.dtype == F32
    np.testing.assert_allclose(out.data, layer(image.astype(F32)).data)


def test_linear_refuses_a_float64_tensor_naming_the_layer_both_dtypes_and_the_fixes():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    message = ("linear: the input is float64 but the weight of Linear '0' is float32; they "
               "must match, as in PyTorch. Convert the input once (x.astype('float32'); a NumPy "
               "array given directly is converted for you), or the model (model.to('float64'))")
    with pytest.raises(TypeError, match=re.escape(message)):
        model(ag.ones(4, 2, dtype="float64"))


def test_conv2d_refuses_a_float64_tensor():
    with pytest.raises(TypeError, match=r"conv2d: the input is float64 but the weight of "
                                        r"Conv2d is float32"):
        nn.Conv2d(1, 2, 3)(ag.ones(1, 1, 5, 5, dtype="float64"))


def test_functional_linear_without_a_module_names_only_the_function():
    with pytest.raises(TypeError, match=r"^linear: the input is float32 but the weight is "
                                        r"float64;"):
        nn.functional.linear(ag.ones(1, 2), ag.ones(3, 2, dtype="float64"))


def test_a_float64_model_takes_float64_tensors_after_model_to():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).to("float64")
    x = ag.tensor(np.array([[0.5, -1.0]]), requires_grad=True)
    out = model(x)
    assert out.dtype == F64
    assert ag.gradcheck(lambda t: model(t), [x])


def test_an_integer_tensor_feeds_a_float32_layer_as_float32():
    assert nn.Linear(2, 1)(ag.arange(4).reshape(2, 2)).dtype == F32


def test_losses_take_a_float64_numpy_target_in_the_inputs_dtype():
    prediction = ag.tensor([[0.2, 0.8], [0.6, 0.4]], requires_grad=True)
    target = np.array([[0.0, 1.0], [1.0, 0.0]])
    for loss in (nn.MSELoss(), nn.L1Loss(), nn.BCELoss(), nn.BCEWithLogitsLoss(),
                 nn.CrossEntropyLoss(), nn.HuberLoss()):
        value = loss(prediction, target)
        assert value.dtype == F32, type(loss).__name__
        want = loss(ag.tensor(prediction.data.astype(F64)), target)
        np.testing.assert_allclose(value.item(), want.item(), rtol=1e-6)

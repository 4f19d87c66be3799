"""Generic checks run on every entry of the op registry (tests/op_registry.py).

Each test draws arguments from the entry's own strategy (inside its domain, off kinks and
ties), so one test body specifies one behaviour for every public op.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_registry import (
    GRADCHECK_TOLERANCE,
    METHODS_OF_FUNCTIONS,
    NOT_LINALG_OPS,
    NOT_OPS,
    NOT_TENSOR_OPS,
    REGISTRY,
    OpEntry,
    Sample,
    method_call,
)

import autograd_lite as ag
from autograd_lite import grad_mode, testing

ALL = sorted(REGISTRY)
DIFFERENTIABLE = [name for name in ALL if REGISTRY[name].differentiable]
NON_DIFFERENTIABLE = [name for name in ALL if not REGISTRY[name].differentiable]


def _tensors(sample: Sample, dtype: type, requires_grad: bool = True) -> list:
    """Float arrays become tensors of ``dtype`` (requiring grad); others (masks) stay as is."""
    return [ag.tensor(a.astype(dtype), requires_grad=requires_grad) if a.dtype.kind == "f"
            else ag.tensor(a) for a in sample.arrays]


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def _call(entry: OpEntry, sample: Sample, tensors: list) -> tuple:
    return _as_tuple(entry.op(*tensors, **sample.kwargs))


def _function_of_tensors(entry: OpEntry, sample: Sample):
    return lambda *tensors: entry.op(*tensors, **sample.kwargs)


# --- coverage ---------------------------------------------------------------------------------


def _computing_tensor_members() -> list[str]:
    return [name for name, member in vars(ag.Tensor).items()
            if (callable(member) or isinstance(member, property))
            and (not name.startswith("_") or (name.startswith("__") and name.endswith("__")))]


def test_every_public_op_has_a_registry_entry():
    missing = [name for name in ag.__all__ if name not in REGISTRY and name not in NOT_OPS]
    assert not missing, (f"public names with no entry in tests/op_registry.py and no reason in "
                         f"NOT_OPS there: {missing}")


def test_every_linalg_function_has_a_registry_entry():
    missing = [name for name in ag.linalg.__all__
               if f"linalg.{name}" not in REGISTRY and name not in NOT_LINALG_OPS]
    assert not missing, (f"ag.linalg names with no 'linalg.<name>' entry in tests/op_registry.py "
                         f"and no reason in NOT_LINALG_OPS there: {missing}")


def test_every_tensor_method_and_operator_has_a_registry_entry():
    missing = [name for name in _computing_tensor_members()
               if f"Tensor.{name}" not in REGISTRY and name not in METHODS_OF_FUNCTIONS
               and name not in NOT_TENSOR_OPS]
    assert not missing, (f"Tensor members with no 'Tensor.<name>' entry in tests/op_registry.py, "
                         f"not in METHODS_OF_FUNCTIONS and no reason in NOT_TENSOR_OPS there: "
                         f"{missing}")


def test_registry_and_ignore_lists_name_only_existing_things():
    members = set(_computing_tensor_members())
    stale = [name for name in REGISTRY if name.startswith("Tensor.")
             and name.removeprefix("Tensor.") not in members]
    stale += [name for name in REGISTRY if not name.startswith(("Tensor.", "linalg."))
              and name not in ag.__all__]
    stale += [name for name in REGISTRY if name.startswith("linalg.")
              and name.removeprefix("linalg.") not in ag.linalg.__all__]
    stale += [f"linalg.{name}" for name in NOT_LINALG_OPS if name not in ag.linalg.__all__]
    stale += [name for name in NOT_OPS if name not in ag.__all__]
    stale += [f"Tensor.{name}" for name in NOT_TENSOR_OPS if name not in members]
    stale += [f"Tensor.{name}" for name in METHODS_OF_FUNCTIONS
              if name not in members or name not in REGISTRY]
    assert not stale, f"registry names that no longer exist: {stale}"


def test_a_method_is_either_derived_from_its_function_or_has_its_own_entry():
    both = [name for name in METHODS_OF_FUNCTIONS if f"Tensor.{name}" in REGISTRY]
    assert not both and len(set(METHODS_OF_FUNCTIONS)) == len(METHODS_OF_FUNCTIONS), both


# --- forward ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype, tolerance", [
    (np.float64, {"rtol": 1e-12, "atol": 1e-12}),
    (np.float32, {"rtol": 1e-5, "atol": 1e-6}),
], ids=["float64", "float32"])
@pytest.mark.parametrize("name", ALL)
@settings(max_examples=10)
@given(data=st.data())
def test_forward_matches_numpy(name, dtype, tolerance, data):
    entry = REGISTRY[name]
    sample = data.draw(entry.samples)
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in sample.arrays]
    outputs = _call(entry, sample, _tensors(sample, dtype, requires_grad=False))
    expected = _as_tuple(entry.reference(*arrays, **sample.kwargs))
    for out, want in zip(outputs, expected, strict=True):
        want = np.asarray(want)
        assert out.shape == want.shape and out.dtype == want.dtype
        np.testing.assert_allclose(out.data, want, **tolerance)


# --- gradients ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DIFFERENTIABLE)
@settings(max_examples=10)
@given(data=st.data())
def test_gradcheck_in_float64(name, data):
    entry = REGISTRY[name]
    sample = data.draw(entry.samples)
    assert ag.gradcheck(_function_of_tensors(entry, sample), _tensors(sample, np.float64),
                        **GRADCHECK_TOLERANCE)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
@settings(max_examples=5)
@given(data=st.data())
def test_gradgradcheck_in_float64(name, data):
    entry = REGISTRY[name]
    sample = data.draw(entry.samples)
    assert ag.gradgradcheck(_function_of_tensors(entry, sample), _tensors(sample, np.float64),
                            **GRADCHECK_TOLERANCE)


def _cotangents(outputs: list) -> list:
    return [np.cos(np.arange(out.size)).reshape(out.shape) for out in outputs]


def _gradients(entry: OpEntry, sample: Sample, inputs: list) -> list:
    outputs = [out for out in _call(entry, sample, inputs) if out.requires_grad]
    differentiable = [x for x in inputs if x.requires_grad]
    return list(ag.grad(outputs, differentiable, grad_outputs=_cotangents(outputs),
                        allow_unused=True))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", DIFFERENTIABLE)
@settings(max_examples=5)
@given(data=st.data())
def test_gradients_have_the_shape_and_dtype_of_their_inputs(name, dtype, data):
    entry = REGISTRY[name]
    sample = data.draw(entry.samples)
    inputs = [x for x in _tensors(sample, dtype) if x.requires_grad]
    for x, g in zip(inputs, _gradients(entry, sample, _tensors(sample, dtype)), strict=True):
        assert g is not None
        assert g.shape == x.shape
        assert g.dtype == x.dtype == dtype


@pytest.mark.parametrize("name", DIFFERENTIABLE)
@settings(max_examples=5)
@given(data=st.data())
def test_float32_gradients_match_float64_gradients(name, data):
    entry = REGISTRY[name]
    sample = data.draw(entry.samples)
    rounded = Sample(tuple(a.astype(np.float32).astype(np.float64) if a.dtype.kind == "f" else a
                           for a in sample.arrays), sample.kwargs)
    grads32 = _gradients(entry, rounded, _tensors(rounded, np.float32))
    grads64 = _gradients(entry, rounded, _tensors(rounded, np.float64))
    for g32, g64 in zip(grads32, grads64, strict=True):
        np.testing.assert_allclose(g32.data, g64.data, rtol=1e-4, atol=1e-5)


# --- Tensor methods derived from their functions ----------------------------------------------


def _what_it_computes(op, sample: Sample, dtype: type) -> list:
    """Everything ``op`` computes on ``sample``: the ops it records, each output (value, dtype,
    whether it requires grad; and whether it is a leaf under no_grad), the first derivatives
    (a cotangent pulled back) and the derivatives of those that carry a graph."""
    recorded, inputs = [], _tensors(sample, dtype)
    with grad_mode.observe_recorded_ops(recorded.append):
        outputs = _as_tuple(op(*inputs, **sample.kwargs))
    with ag.no_grad():
        untracked = _as_tuple(op(*_tensors(sample, dtype), **sample.kwargs))
    facts = [[out.op_name for out in recorded]]
    facts += [(out.data, out.dtype, out.requires_grad) for out in outputs]
    facts += [(out.data, out.requires_grad, out.is_leaf) for out in untracked]
    tracked = [out for out in outputs if out.requires_grad]
    differentiable = [x for x in inputs if x.requires_grad]
    if not tracked:
        return facts
    grads = ag.grad(tracked, differentiable, grad_outputs=_cotangents(tracked),
                    create_graph=True)
    facts += [(g.data, g.dtype, g.requires_grad) for g in grads]
    curved = [g for g in grads if g.requires_grad]
    if curved:  # a gradient of a linear op is a constant; an input may drop out of the rest
        facts += [None if g is None else (g.data, g.dtype) for g in ag.grad(
            curved, differentiable, grad_outputs=_cotangents(curved), allow_unused=True)]
    return facts


def _assert_identical(got, want, where: str) -> None:
    if isinstance(want, (np.ndarray, np.generic)):  # a full reduction may give a NumPy scalar
        got, want = np.asarray(got), np.asarray(want)
        assert got.dtype == want.dtype and got.shape == want.shape, (where, got, want)
        np.testing.assert_array_equal(got, want, err_msg=where)
    elif isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want), (where, got, want)
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_identical(g, w, f"{where}[{i}]")
    else:
        assert got == want, (where, got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", METHODS_OF_FUNCTIONS)
@settings(max_examples=20)
@given(data=st.data())
def test_method_computes_what_its_function_computes(name, dtype, data):
    # Every check on the function entry then holds for the method too, without re-running it.
    function = REGISTRY[name]
    sample = data.draw(function.samples)
    _assert_identical(_what_it_computes(method_call(name), sample, dtype),
                      _what_it_computes(function.op, sample, dtype), f"Tensor.{name}")


# --- graph recording ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
@settings(max_examples=5)
@given(data=st.data())
def test_no_graph_is_recorded_under_no_grad(name, data):
    entry = REGISTRY[name]
    sample = data.draw(entry.samples)
    inputs = _tensors(sample, np.float64)
    with ag.no_grad():
        outputs = _call(entry, sample, inputs)
    for out in outputs:
        if any(out is x for x in inputs):  # identity ops (+x) return their input, a leaf
            continue
        assert not out.requires_grad and out.is_leaf


@pytest.mark.parametrize("name", NON_DIFFERENTIABLE)
@settings(max_examples=5)
@given(data=st.data())
def test_non_differentiable_op_output_does_not_require_grad(name, data):
    entry = REGISTRY[name]
    sample = data.draw(entry.samples)
    for out in _call(entry, sample, _tensors(sample, np.float64)):
        assert not out.requires_grad and out.is_leaf


# --- the strategies behind the registry (autograd_lite.testing) ---------------------------------


@settings(max_examples=20)
@given(data=st.data())
def test_domain_arrays_stay_inside_their_intervals_and_off_the_kinks(data):
    domain = testing.away_from((-0.5, 0.5), low=-2.0, high=2.0, gap=0.1)
    values = data.draw(testing.shapes().flatmap(domain.arrays))
    assert np.all((values >= -2.0) & (values <= 2.0))
    assert np.all(np.abs(np.abs(values) - 0.5) >= 0.1 - 1e-12)


def test_away_from_stays_inside_low_and_high_when_a_kink_lies_beyond_them():
    assert testing.away_from((5.0,), low=-3.0, high=3.0).intervals == ((-3.0, 3.0),)
    assert testing.away_from((-5.0, 0.0), low=-3.0, high=3.0).intervals == (
        (-3.0, -0.1), (0.1, 3.0))


@settings(max_examples=20)
@given(data=st.data())
def test_distinct_arrays_never_tie(data):
    shape = data.draw(testing.shapes())
    values = data.draw(testing.distinct(-1.0, 1.0).arrays(shape)).ravel()
    gaps = np.diff(np.sort(values))
    assert values.size < 2 or gaps.min() >= 2.0 / (4 * max(values.size, 4)) - 1e-12


@settings(max_examples=20)
@given(data=st.data())
def test_well_conditioned_matrices_have_condition_number_at_most_3(data):
    shape = data.draw(testing.shapes(min_dims=2))
    singular_values = np.linalg.svd(data.draw(testing.well_conditioned_matrices(shape)),
                                    compute_uv=False)
    assert np.all(singular_values.max(axis=-1) <= 3 * singular_values.min(axis=-1) + 1e-9)


@settings(max_examples=20)
@given(data=st.data())
def test_shape_strategies_broadcast_as_promised(data):
    first, second = data.draw(testing.broadcastable_shapes(2))
    np.broadcast_shapes(first, second)
    target = data.draw(testing.shapes())
    assert np.broadcast_shapes(data.draw(testing.shapes_broadcasting_to(target)), target) == target
    axis = data.draw(testing.axes(len(target)))
    assert np.sum(np.zeros(target), axis=axis).size * testing.reduced_size(target, axis) == (
        np.zeros(target).size)

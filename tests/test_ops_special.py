"""erf and erfc: values against the standard library's math.erf/math.erfc, and their gradients.

The registry (tests/op_registry.py) checks both on [-3, 3] like every op; these tests cover the
whole real line, the tails where erfc must not cancel, and the edges (0, +-inf, NaN).
"""

import math

import numpy as np
import pytest

import autograd_lite as ag

# Dense on [-30, 30], geometric towards 0 and into the tails, and the branch points of the
# approximation (0.46875 and 4).
POINTS = np.unique(np.concatenate([
    np.linspace(-30.0, 30.0, 60001),
    np.geomspace(1e-300, 30.0, 3001), -np.geomspace(1e-300, 30.0, 3001),
    np.nextafter(0.46875, [-1.0, 2.0]), [0.46875, -0.46875, 4.0, -4.0],
    np.nextafter(4.0, [0.0, 8.0]),
]))


def _ulps_apart(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    return np.abs(got - want) / np.spacing(np.abs(want).astype(want.dtype))


def _reference(function, x: np.ndarray) -> np.ndarray:
    return np.array([function(float(v)) for v in x.ravel()]).reshape(x.shape)


@pytest.mark.parametrize("op, reference, ulps", [
    (ag.erf, math.erf, 4), (ag.erfc, math.erfc, 8),
], ids=["erf", "erfc"])
def test_float64_values_are_within_a_few_ulp_of_the_standard_library(op, reference, ulps):
    # math.erf/erfc are themselves within about 2 ulp of the exact values (checked with mpmath
    # while writing this test); ours are within 3 (erf) and 5 (erfc) ulp of those.
    got = op(ag.tensor(POINTS)).numpy()
    want = _reference(reference, POINTS)
    normal = np.abs(want) >= np.finfo(np.float64).tiny
    assert _ulps_apart(got[normal], want[normal]).max() <= ulps
    # Below the smallest normal number (erfc beyond 26.5) the absolute error is what counts.
    assert np.abs(got[~normal] - want[~normal]).max() <= 2 * np.finfo(np.float64).smallest_subnormal


@pytest.mark.parametrize("op, reference", [(ag.erf, math.erf), (ag.erfc, math.erfc)],
                         ids=["erf", "erfc"])
def test_float32_values_are_correctly_rounded_standard_library_values(op, reference):
    x = POINTS.astype(np.float32)
    got = op(ag.tensor(x)).numpy()
    assert got.dtype == np.float32
    want = _reference(reference, x).astype(np.float32)
    normal = np.abs(want) >= np.finfo(np.float32).tiny
    assert _ulps_apart(got[normal], want[normal]).max() <= 1


def test_erfc_keeps_its_relative_precision_in_the_tail():
    x = np.array([5.0, 10.0, 20.0, 26.0])
    got = ag.erfc(ag.tensor(x)).numpy()
    # The exact values, rounded to float64 (mpmath with 50 digits)
    np.testing.assert_allclose(got, [1.537459794428035e-12, 2.088487583762545e-45,
                                     5.395865611607901e-176, 5.663192408856143e-296],
                               rtol=1e-15)


def test_edges_zero_infinities_and_nan():
    x = ag.tensor([0.0, -0.0, np.inf, -np.inf, np.nan, 30.0, -30.0])
    erf = ag.erf(x).numpy()
    assert erf[:4].tolist() == [0.0, 0.0, 1.0, -1.0] and np.signbit(erf[1])
    assert np.isnan(erf[4]) and erf[5:].tolist() == [1.0, -1.0]
    erfc = ag.erfc(x).numpy()
    assert erfc[:4].tolist() == [1.0, 1.0, 0.0, 2.0]
    assert np.isnan(erfc[4]) and erfc[5:].tolist() == [0.0, 2.0]


def test_zero_dimensional_and_integer_inputs():
    assert ag.erf(ag.tensor(np.float64(0.5))).shape == ()
    assert ag.erf(0.5).item() == pytest.approx(math.erf(0.5), rel=1e-7)  # float32 default
    integers = ag.erfc(ag.tensor(np.array([0, 1])))
    assert integers.dtype == np.float32
    np.testing.assert_allclose(integers.numpy(), [1.0, math.erfc(1.0)], rtol=1e-7)


def test_gradients_are_the_gaussian_density_times_two_over_sqrt_pi():
    # PyTorch: torch.erf's gradient at [0, 1, -30, inf] is [1.1283791670955126,
    # 0.4151074974205947, 0, 0]; erfc's is the negative.
    x = ag.tensor(np.array([0.0, 1.0, -30.0, np.inf]), requires_grad=True)
    ag.erf(x).sum().backward()
    assert x.grad.numpy().tolist() == [1.1283791670955126, 0.4151074974205947, 0.0, 0.0]
    y = ag.tensor(np.array([0.0, 1.0, 30.0, -np.inf]), requires_grad=True)
    ag.erfc(y).sum().backward()
    assert y.grad.numpy().tolist() == [-1.1283791670955126, -0.4151074974205947, 0.0, 0.0]


def test_second_derivative_of_erf_is_minus_two_x_times_the_first():
    x = ag.tensor(np.array([0.3, -1.2]), requires_grad=True)
    (first,) = ag.grad(ag.erf(x).sum(), [x], create_graph=True)
    (second,) = ag.grad(first.sum(), [x])
    np.testing.assert_allclose(second.numpy(), -2 * x.numpy() * first.numpy(), rtol=1e-15)


def test_erf_and_erfc_are_tensor_methods():
    x = ag.tensor([0.25, -2.0])
    assert x.erf().numpy().tolist() == ag.erf(x).numpy().tolist()
    assert x.erfc().numpy().tolist() == ag.erfc(x).numpy().tolist()

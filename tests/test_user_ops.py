"""ag.custom_op and ag.Function: user ops through the library's own primitive mechanism."""

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import func
from autograd_lite.primitive import NUMPY, PRIMITIVES

X = np.array([0.3, -0.7, 1.1])


def legendre(x):
    return 0.5 * (5 * x ** 3 - 3 * x)


def legendre_derivative(x):
    return 1.5 * (5 * x ** 2 - 1)


@pytest.fixture
def legendre3():
    op = ag.custom_op("test.legendre3", lambda F, g, ans, x: g * 1.5 * (5 * x ** 2 - 1))(
        legendre)
    yield op
    del PRIMITIVES["test.legendre3"]


def x64():
    return ag.tensor(X, requires_grad=True)


def test_custom_op_computes_its_forward_and_its_vjp(legendre3):
    x = x64()
    y = legendre3(x)
    np.testing.assert_allclose(y.numpy(), legendre(X), rtol=1e-15)
    assert y.op_name == "test.legendre3"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), legendre_derivative(X), rtol=1e-15)


def test_custom_op_passes_gradcheck_and_gradgradcheck_unchanged(legendre3):
    assert ag.gradcheck(legendre3, [x64()]) and ag.gradgradcheck(legendre3, [x64()])


def test_custom_op_is_a_registered_primitive_with_forward_mode_and_second_order(legendre3):
    assert PRIMITIVES["test.legendre3"] is legendre3
    assert getattr(NUMPY, "test.legendre3") is legendre
    _, jv = func.jvp(legendre3, (ag.tensor(X),), (ag.tensor(np.ones(3)),))
    np.testing.assert_allclose(jv.numpy(), legendre_derivative(X), rtol=1e-12)
    second = func.grad(func.grad(lambda t: legendre3(t)))(ag.tensor(0.4, dtype="float64"))
    assert second.item() == pytest.approx(15 * 0.4)


def test_custom_op_redefinition_replaces_it_and_library_names_are_refused(legendre3):
    again = ag.custom_op("test.legendre3", lambda F, g, ans, x: g * 2)(lambda x: x * 2)
    assert PRIMITIVES["test.legendre3"] is again
    with pytest.raises(ValueError, match="custom_op: 'mul' is the name of one of "
                                         "autograd_lite's own ops; choose another name"):
        ag.custom_op("mul", lambda F, g, ans, x: g)(lambda x: x)
    with pytest.raises(TypeError, match="custom_op: 'nothing' needs a VJP rule per input"):
        ag.custom_op("nothing")


def test_a_non_differentiable_custom_op_needs_no_rules():
    op = ag.custom_op("test.parity", differentiable=False)(lambda x: (x % 2 == 0))
    try:
        out = op(ag.tensor([1.0, 2.0], requires_grad=True))
        assert out.numpy().tolist() == [False, True] and not out.requires_grad
    finally:
        del PRIMITIVES["test.parity"]


class LegendrePolynomial3(ag.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


def test_function_apply_gives_forward_and_backward():
    x = x64()
    y = LegendrePolynomial3.apply(x)
    np.testing.assert_allclose(y.numpy(), legendre(X), rtol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), legendre_derivative(X), rtol=1e-15)
    assert ag.gradcheck(LegendrePolynomial3.apply, [x64()])


def test_function_supports_double_backward_through_saved_inputs():
    assert ag.gradgradcheck(LegendrePolynomial3.apply, [x64()])
    hessian = func.hessian(lambda t: LegendrePolynomial3.apply(t).sum())(ag.tensor(X))
    np.testing.assert_allclose(hessian.numpy(), np.diag(15 * X), rtol=1e-12)


class ScaledSquare(ag.Function):
    """x, scale -> scale * x^2, with a static Python number and needs_input_grad."""

    @staticmethod
    def forward(ctx, x, scale, w):
        ctx.save_for_backward(x, w)
        ctx.scale = scale
        ctx.seen = ctx.needs_input_grad
        return scale * x * x * w

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g * 2 * ctx.scale * x * w, None, g * ctx.scale * x * x


def test_function_takes_static_arguments_and_reports_needs_input_grad():
    x, w = ag.tensor([2.0], requires_grad=True), ag.tensor([3.0])
    y = ScaledSquare.apply(x, 5.0, w)
    assert y.numpy().tolist() == [60.0]
    y.sum().backward()
    assert x.grad.numpy().tolist() == [60.0]


def test_function_backward_with_numpy_works_first_order_and_refuses_double_backward():
    class NumpyBackward(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x.numpy() * g.numpy()

    x = ag.tensor([3.0], requires_grad=True)
    NumpyBackward.apply(x).sum().backward()
    assert x.grad.numpy().tolist() == [6.0]
    with pytest.raises(RuntimeError, match=r"NumpyBackward.backward returned a ndarray \(not a "
                                           r"Tensor\) during a create_graph=True backward"):
        ag.grad(NumpyBackward.apply(x).sum(), x, create_graph=True)


def test_function_forward_must_return_one_tensor():
    class TwoOutputs(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x, x

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match="TwoOutputs.forward must return one Tensor, got tuple"):
        TwoOutputs.apply(ag.tensor([1.0], requires_grad=True))

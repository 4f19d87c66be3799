"""RNN, LSTM, GRU and their cells against PyTorch's documented equations, names and shapes.

The expected state_dict keys and shapes are the ones PyTorch lists for the same constructor
calls (written out). The expected outputs come from a NumPy implementation of PyTorch's
equations written here step by step, run on the module's own weights.
"""

from __future__ import annotations

import numpy as np
import pytest
from nn_registry import call_with_parameters
from op_registry import GRADCHECK_TOLERANCE

import autograd_lite as ag
import nn

# --- an independent NumPy reference: PyTorch's equations, one time step at a time -------------


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def numpy_step(kind, x, state, w_ih, w_hh, b_ih, b_hh):
    """One step of PyTorch's cell equations for x (N, I) and the state (N, H)."""
    H = w_hh.shape[1]
    b_ih = np.zeros(w_ih.shape[0]) if b_ih is None else b_ih
    b_hh = np.zeros(w_hh.shape[0]) if b_hh is None else b_hh
    if kind in ("tanh", "relu"):
        pre = x @ w_ih.T + b_ih + state @ w_hh.T + b_hh
        return np.tanh(pre) if kind == "tanh" else np.maximum(pre, 0)
    if kind == "lstm":
        h, c = state
        gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i = sigmoid(gates[:, :H])
        f = sigmoid(gates[:, H:2 * H])
        g = np.tanh(gates[:, 2 * H:3 * H])
        o = sigmoid(gates[:, 3 * H:])
        c = f * c + i * g
        return o * np.tanh(c), c
    h = state
    W_ir, W_iz, W_in = w_ih[:H], w_ih[H:2 * H], w_ih[2 * H:]
    W_hr, W_hz, W_hn = w_hh[:H], w_hh[H:2 * H], w_hh[2 * H:]
    b_ir, b_iz, b_in = b_ih[:H], b_ih[H:2 * H], b_ih[2 * H:]
    b_hr, b_hz, b_hn = b_hh[:H], b_hh[H:2 * H], b_hh[2 * H:]
    r = sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
    z = sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
    n = np.tanh(x @ W_in.T + b_in + r * (h @ W_hn.T + b_hn))
    return (1 - z) * n + z * h


def numpy_rnn(kind, module, x, h0=None, c0=None, dropout_masks=()):
    """PyTorch's multi-layer (bidirectional) recurrence on time-major x (L, N, I).

    Returns the output (L, N, D * H) and the final states (D * layers, N, H) (h, and c for an
    LSTM). ``dropout_masks[k]`` multiplies the input of layer k + 1.
    """
    weights = {name: p.data for name, p in module.named_parameters()}
    D = 2 if module.bidirectional else 1
    L, N, _ = x.shape
    H = module.hidden_size
    h0 = np.zeros((D * module.num_layers, N, H)) if h0 is None else h0
    c0 = np.zeros_like(h0) if c0 is None else c0
    finals_h, finals_c = [], []
    layer_input = x
    for layer in range(module.num_layers):
        if layer > 0 and dropout_masks:
            layer_input = layer_input * dropout_masks[layer - 1]
        outputs = []
        for direction, suffix in enumerate(["", "_reverse"][:D]):
            key = f"_l{layer}{suffix}"
            params = [weights.get(f"{kind_}{key}") for kind_ in
                      ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            index = layer * D + direction
            state = (h0[index], c0[index]) if kind == "lstm" else h0[index]
            out = np.zeros((L, N, H))
            times = range(L - 1, -1, -1) if direction == 1 else range(L)
            for t in times:
                state = numpy_step(kind, layer_input[t], state, *params)
                out[t] = state[0] if kind == "lstm" else state
            outputs.append(out)
            finals_h.append(state[0] if kind == "lstm" else state)
            finals_c.append(state[1] if kind == "lstm" else None)
        layer_input = np.concatenate(outputs, axis=-1)
    if kind == "lstm":
        return layer_input, (np.stack(finals_h), np.stack(finals_c))
    return layer_input, np.stack(finals_h)


def float64(module):
    """The module in float64 with weights drawn from a seeded U(-0.6, 0.6)."""
    module.to(np.float64)
    rng = np.random.default_rng(7)
    for p in module.parameters():
        p.data[...] = rng.uniform(-0.6, 0.6, p.shape)
    return module


KINDS = {"tanh": lambda *a, **k: nn.RNN(*a, **k),
         "relu": lambda *a, **k: nn.RNN(*a, nonlinearity="relu", **k),
         "lstm": nn.LSTM, "gru": nn.GRU}


def assert_close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-12, atol=1e-12)


# --- names, shapes, init ---------------------------------------------------------------------


def test_lstm_state_dict_keys_and_shapes_equal_pytorchs():
    module = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    assert [(k, v.shape) for k, v in module.state_dict().items()] == [
        ("weight_ih_l0", (16, 3)), ("weight_hh_l0", (16, 4)), ("bias_ih_l0", (16,)),
        ("bias_hh_l0", (16,)), ("weight_ih_l0_reverse", (16, 3)),
        ("weight_hh_l0_reverse", (16, 4)), ("bias_ih_l0_reverse", (16,)),
        ("bias_hh_l0_reverse", (16,)), ("weight_ih_l1", (16, 8)), ("weight_hh_l1", (16, 4)),
        ("bias_ih_l1", (16,)), ("bias_hh_l1", (16,)), ("weight_ih_l1_reverse", (16, 8)),
        ("weight_hh_l1_reverse", (16, 4)), ("bias_ih_l1_reverse", (16,)),
        ("bias_hh_l1_reverse", (16,))]


def test_gru_without_bias_and_rnn_state_dicts_equal_pytorchs():
    assert [(k, v.shape) for k, v in nn.GRU(3, 4, bias=False).state_dict().items()] == [
        ("weight_ih_l0", (12, 3)), ("weight_hh_l0", (12, 4))]
    assert [(k, v.shape) for k, v in nn.RNN(3, 4).state_dict().items()] == [
        ("weight_ih_l0", (4, 3)), ("weight_hh_l0", (4, 4)), ("bias_ih_l0", (4,)),
        ("bias_hh_l0", (4,))]


@pytest.mark.parametrize("cell, rows", [(nn.RNNCell, 4), (nn.LSTMCell, 16), (nn.GRUCell, 12)])
def test_cell_state_dicts_equal_pytorchs(cell, rows):
    assert [(k, v.shape) for k, v in cell(3, 4).state_dict().items()] == [
        ("weight_ih", (rows, 3)), ("weight_hh", (rows, 4)), ("bias_ih", (rows,)),
        ("bias_hh", (rows,))]


def test_every_weight_starts_uniform_within_one_over_sqrt_hidden():
    ag.manual_seed(0)
    values = np.concatenate([p.data.ravel() for p in nn.LSTM(10, 25, num_layers=2)
                             .parameters()])
    assert values.dtype == np.float32
    assert np.abs(values).max() <= 0.2 and np.abs(values).max() > 0.199
    assert abs(values.mean()) < 0.005 and abs(values.std() - 0.2 / np.sqrt(3)) < 0.002


def test_repr_lists_the_options_like_pytorch():
    assert repr(nn.LSTM(3, 4, 2, dropout=0.3, bidirectional=True, batch_first=True)) == (
        "LSTM(3, 4, num_layers=2, batch_first=True, dropout=0.3, bidirectional=True)")
    assert repr(nn.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"


# --- outputs against the NumPy equations -------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("options", [{}, {"num_layers": 2, "bidirectional": True},
                                     {"batch_first": True, "bias": False}])
def test_sequence_outputs_and_final_states_follow_pytorchs_equations(kind, options):
    module = float64(KINDS[kind](3, 4, **options))
    x = np.random.default_rng(0).normal(size=(5, 2, 3))  # (L, N, I)
    given = x.swapaxes(0, 1) if options.get("batch_first") else x
    output, final = module(ag.tensor(given))
    expected_output, expected_final = numpy_rnn(kind, module, x)
    D = 2 if options.get("bidirectional") else 1
    layers = options.get("num_layers", 1)
    assert output.shape == ((2, 5, 4 * D) if options.get("batch_first") else (5, 2, 4 * D))
    assert_close(output.data.swapaxes(0, 1) if options.get("batch_first") else output.data,
                 expected_output)
    if kind == "lstm":
        assert final[0].shape == final[1].shape == (D * layers, 2, 4)
        assert_close(final[0].data, expected_final[0])
        assert_close(final[1].data, expected_final[1])
    else:
        assert final.shape == (D * layers, 2, 4)
        assert_close(final.data, expected_final)


@pytest.mark.parametrize("kind", ["tanh", "lstm", "gru"])
def test_given_initial_states_start_the_recurrence(kind):
    module = float64(KINDS[kind](3, 4, num_layers=2, bidirectional=True))
    rng = np.random.default_rng(1)
    x, h0, c0 = rng.normal(size=(4, 3, 3)), rng.normal(size=(4, 3, 4)), rng.normal(size=(4, 3, 4))
    hx = (ag.tensor(h0), ag.tensor(c0)) if kind == "lstm" else ag.tensor(h0)
    output, final = module(ag.tensor(x), hx)
    expected_output, expected_final = numpy_rnn(kind, module, x, h0, c0)
    assert_close(output.data, expected_output)
    assert_close((final[1] if kind == "lstm" else final).data,
                 expected_final[1] if kind == "lstm" else expected_final)


@pytest.mark.parametrize("kind", ["relu", "lstm", "gru"])
def test_unbatched_input_gives_unbatched_output_and_state(kind):
    module = float64(KINDS[kind](3, 4, num_layers=2))
    rng = np.random.default_rng(2)
    x, h0 = rng.normal(size=(5, 3)), rng.normal(size=(2, 4))
    hx = (ag.tensor(h0), ag.tensor(h0 * 0.5)) if kind == "lstm" else ag.tensor(h0)
    output, final = module(ag.tensor(x), hx)
    expected_output, expected_final = numpy_rnn(kind, module, x[:, None], h0[:, None],
                                                 h0[:, None] * 0.5)
    assert output.shape == (5, 4)
    assert_close(output.data, expected_output[:, 0])
    h_n = final[0] if kind == "lstm" else final
    assert h_n.shape == (2, 4)
    assert_close(h_n.data, (expected_final[0] if kind == "lstm" else expected_final)[:, 0])


def test_dropout_masks_the_input_of_every_layer_but_the_first_in_training_only():
    module = float64(nn.GRU(3, 4, num_layers=3, dropout=0.4))
    x = np.random.default_rng(3).normal(size=(6, 2, 3))
    ag.manual_seed(0)
    output, _ = module(ag.tensor(x))
    draw = np.random.default_rng(0)  # the masks ag.manual_seed(0) draws, in layer order
    masks = [(draw.random((6, 2, 4)) >= 0.4) / 0.6 for _ in range(2)]
    assert_close(output.data, numpy_rnn("gru", module, x, dropout_masks=masks)[0])
    module.eval()
    assert_close(module(ag.tensor(x))[0].data, numpy_rnn("gru", module, x)[0])


def test_a_long_sequence_is_sliced_correctly():
    """Beyond 9 steps the time steps are sliced through chunks; every step must still appear
    once, in order."""
    module = float64(nn.LSTM(2, 3, bidirectional=True))
    x = np.random.default_rng(4).normal(size=(23, 1, 2))
    output, (h_n, _) = module(ag.tensor(x))
    expected_output, (expected_h, _) = numpy_rnn("lstm", module, x)
    assert_close(output.data, expected_output)
    assert_close(h_n.data, expected_h)


@pytest.mark.parametrize("kind, cell", [("tanh", nn.RNNCell), ("lstm", nn.LSTMCell),
                                        ("gru", nn.GRUCell)])
def test_cells_take_one_step_batched_or_not(kind, cell):
    module = float64(cell(3, 4))
    rng = np.random.default_rng(5)
    x, h, c = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    weights = [module.weight_ih.data, module.weight_hh.data, module.bias_ih.data,
               module.bias_hh.data]
    state = (h, c) if kind == "lstm" else h
    expected = numpy_step(kind, x, state, *weights)
    given = (ag.tensor(h), ag.tensor(c)) if kind == "lstm" else ag.tensor(h)
    out = module(ag.tensor(x), given)
    single = module(ag.tensor(x[0]), tuple(g[0] for g in given) if kind == "lstm" else given[0])
    if kind == "lstm":
        assert_close(out[0].data, expected[0])
        assert_close(out[1].data, expected[1])
        assert single[0].shape == (4,)
        assert_close(single[1].data, expected[1][0])
    else:
        assert_close(out.data, expected)
        assert single.shape == (4,)
        assert_close(single.data, expected[0])
    zero_state = module(ag.tensor(x))
    expected_zero = numpy_step(kind, x, (np.zeros((2, 4)),) * 2 if kind == "lstm"
                               else np.zeros((2, 4)), *weights)
    assert_close((zero_state[0] if kind == "lstm" else zero_state).data,
                 expected_zero[0] if kind == "lstm" else expected_zero)


def test_rnn_keeps_float32_and_converts_numpy_states_to_it():
    output, (h_n, c_n) = nn.LSTM(3, 4)(np.zeros((2, 1, 3)), (np.zeros((1, 1, 4)),) * 2)
    assert output.dtype == h_n.dtype == c_n.dtype == np.float32


def test_a_state_tensor_of_another_float_dtype_is_refused():
    with pytest.raises(TypeError, match="GRU h_0: the input is float64 but the weight"):
        nn.GRU(3, 4)(np.zeros((2, 1, 3)), ag.zeros(1, 1, 4, dtype=np.float64))


# --- gradients -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_gradients_match_finite_differences(kind):
    module = float64(KINDS[kind](2, 3, num_layers=2, bidirectional=True))
    rng = np.random.default_rng(6)
    x = ag.tensor(rng.normal(size=(4, 2, 2)), requires_grad=True)
    h0 = ag.tensor(rng.normal(size=(4, 2, 3)), requires_grad=True)
    hx_inputs = [h0, ag.tensor(rng.normal(size=(4, 2, 3)), requires_grad=True)] if (
        kind == "lstm") else [h0]
    parameters = [ag.tensor(p.data, requires_grad=True) for p in module.parameters()]
    count = 1 + len(hx_inputs)

    def loss(*args):
        hx = tuple(args[1:count]) if kind == "lstm" else args[1]
        output, final = call_with_parameters(module, list(args[count:]), args[0], hx)
        h_n = final[0] * final[1] if kind == "lstm" else final
        return output.sum() + (h_n * h_n).sum()

    assert ag.gradcheck(loss, [x, *hx_inputs, *parameters], **GRADCHECK_TOLERANCE)


def test_cell_gradients_of_first_and_second_order_match_finite_differences():
    module = float64(nn.GRUCell(2, 3))
    x = ag.tensor(np.random.default_rng(8).normal(size=(2, 2)), requires_grad=True)
    parameters = [ag.tensor(p.data, requires_grad=True) for p in module.parameters()]
    assert ag.gradcheck(lambda x, *ps: call_with_parameters(module, list(ps), x),
                        [x, *parameters], **GRADCHECK_TOLERANCE)
    assert ag.gradgradcheck(lambda x, *ps: call_with_parameters(module, list(ps), x),
                            [x, *parameters], **GRADCHECK_TOLERANCE)


# --- errors --------------------------------------------------------------------------------


def test_wrong_feature_size_names_the_expected_shape():
    with pytest.raises(ValueError, match=r"LSTM: expected an input of shape \(N, L, 3\) or "
                                         r"\(L, 3\) unbatched, got \(2, 5, 4\)"):
        nn.LSTM(3, 4, batch_first=True)(np.zeros((2, 5, 4)))


def test_wrong_initial_state_shape_is_named():
    with pytest.raises(ValueError,
                       match=r"GRU: expected h_0 of shape \(2, 3, 4\), got \(1, 3, 4\)"):
        nn.GRU(2, 4, bidirectional=True)(np.zeros((5, 3, 2)), ag.zeros(1, 3, 4))


def test_lstm_state_must_be_a_pair():
    with pytest.raises(TypeError, match=r"LSTM: the initial state must be a pair \(h_0, c_0\)"):
        nn.LSTM(2, 4)(np.zeros((5, 3, 2)), ag.zeros(1, 3, 4))


def test_constructor_options_are_checked():
    with pytest.raises(ValueError, match="RNN: unknown nonlinearity 'sigmoid'"):
        nn.RNN(2, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"GRU: dropout must be a number in \[0, 1\], got 1.5"):
        nn.GRU(2, 3, num_layers=2, dropout=1.5)
    with pytest.warns(UserWarning, match="with num_layers=1 it does nothing"):
        nn.LSTM(2, 3, dropout=0.5)

"""Recurrent layers: RNN, LSTM and GRU over whole sequences, and their one-step cells.

PyTorch's equations, gate order, parameter names and shapes, so that a ``state_dict`` moves
between the two libraries key for key. With x the input, h the hidden state (and c the LSTM's
cell state) at one time step, and ``W_i* x + b_i*``, ``W_h* h + b_h*`` the rows of
``weight_ih``/``bias_ih`` and ``weight_hh``/``bias_hh`` belonging to one gate:

    RNN:  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)            (or relu)
    LSTM: i, f, g, o = sigma(.), sigma(.), tanh(.), sigma(.)   (gates in that order)
          c' = f * c + i * g,   h' = o * tanh(c')
    GRU:  r, z = sigma(W_ir x + b_ir + W_hr h + b_hr), sigma(W_iz x + b_iz + W_hz h + b_hz)
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),   h' = (1 - z) * n + z * h

Every weight and bias starts uniform in [-1/sqrt(hidden_size), 1/sqrt(hidden_size)]. The input
projection of a whole layer is one matrix product over all time steps; only the recurrence
loops in Python. No derivative is written here: the engine differentiates the loop.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import autograd_lite as ag
from autograd_lite import Tensor

from . import functional as F
from . import init
from .inputs import layer_input
from .module import Module, Parameter

State = Any  # a Tensor (RNN, GRU) or a pair of Tensors (LSTM's h and c)


# --- one time step: the input's projection ``gx`` (N, gates * H) is already computed -----------


def _tanh_step(gx: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None) -> Tensor:
    return ag.tanh(gx + F.linear(h, weight_hh, bias_hh))


def _relu_step(gx: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None) -> Tensor:
    return ag.relu(gx + F.linear(h, weight_hh, bias_hh))


def _lstm_step(gx: Tensor, state: tuple[Tensor, Tensor], weight_hh: Tensor,
               bias_hh: Tensor | None) -> tuple[Tensor, Tensor]:
    h, c = state
    i, f, g, o = ag.split(gx + F.linear(h, weight_hh, bias_hh), 4, axis=-1)
    c = ag.sigmoid(f) * c + ag.sigmoid(i) * ag.tanh(g)
    return ag.sigmoid(o) * ag.tanh(c), c


def _gru_step(gx: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None) -> Tensor:
    x_r, x_z, x_n = ag.split(gx, 3, axis=-1)
    h_r, h_z, h_n = ag.split(F.linear(h, weight_hh, bias_hh), 3, axis=-1)
    r = ag.sigmoid(x_r + h_r)
    z = ag.sigmoid(x_z + h_z)
    n = ag.tanh(x_n + r * h_n)
    return n + z * (h - n)  # (1 - z) * n + z * h, one op fewer


class _Mode:
    """What distinguishes RNN (tanh or relu), LSTM and GRU: gate count, step, state shape."""

    def __init__(self, name: str, gates: int, step: Callable[..., State], pairs: bool) -> None:
        self.name = name
        self.gates = gates
        self.step = step
        self.pairs = pairs  # the state is (h, c)

    def output(self, state: State) -> Tensor:
        """The hidden state h that a step emits."""
        return state[0] if self.pairs else state


RNN_TANH = _Mode("RNN", 1, _tanh_step, False)
RNN_RELU = _Mode("RNN", 1, _relu_step, False)
LSTM_MODE = _Mode("LSTM", 4, _lstm_step, True)
GRU_MODE = _Mode("GRU", 3, _gru_step, False)


def _rnn_mode(nonlinearity: str, where: str) -> _Mode:
    modes = {"tanh": RNN_TANH, "relu": RNN_RELU}
    if nonlinearity not in modes:
        raise ValueError(f"{where}: unknown nonlinearity {nonlinearity!r}; select 'tanh' or "
                         f"'relu'")
    return modes[nonlinearity]


def _reset_uniform(module: Module, hidden_size: int) -> None:
    """PyTorch's init of every recurrent weight and bias: U(-1/sqrt(H), 1/sqrt(H))."""
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    for param in module.parameters():
        init.uniform_(param, -bound, bound)


def _check_state(state: Any, expected: tuple[int, ...], what: str, weight: Tensor, where: str
                 ) -> Tensor:
    state = layer_input(state, weight, f"{where} {what}")  # the dtype rule of the input
    if state.shape != expected:
        layout = ("(num_layers * num_directions, N, hidden_size)" if len(expected) == 3
                  else "(batch size, hidden_size) or, unbatched, (hidden_size,) for a cell and "
                       "(num_layers * num_directions, hidden_size) for a sequence")
        raise ValueError(f"{where}: expected {what} of shape {expected}, got {state.shape}; "
                         f"the layout is {layout}")
    return state


def _initial_states(hx: Any, mode: _Mode, shape: tuple[int, ...], weight: Tensor, where: str
                    ) -> list[Tensor]:
    """The initial state(s) as checked tensors (zeros when ``hx`` is None): [h] or [h, c]."""
    names = ("h_0", "c_0") if mode.pairs else ("h_0",)
    if hx is None:
        return [ag.zeros(shape, dtype=weight.dtype) for _ in names]
    if mode.pairs and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
        raise TypeError(f"{where}: the initial state must be a pair (h_0, c_0), got "
                        f"{type(hx).__name__}")
    given = hx if mode.pairs else (hx,)
    return [_check_state(state, shape, name, weight, where) for state, name in zip(given, names)]


# --- cells ------------------------------------------------------------------------------------


class _CellBase(Module):
    """Shared body of RNNCell, LSTMCell and GRUCell: the parameters and the call."""

    def __init__(self, mode: _Mode, input_size: int, hidden_size: int, bias: bool) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        rows = mode.gates * hidden_size
        self.weight_ih = Parameter(ag.zeros(rows, input_size))
        self.weight_hh = Parameter(ag.zeros(rows, hidden_size))
        self.register_parameter("bias_ih", Parameter(ag.zeros(rows)) if bias else None)
        self.register_parameter("bias_hh", Parameter(ag.zeros(rows)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        _reset_uniform(self, self.hidden_size)

    def forward(self, input: Any, hx: Any = None) -> State:
        where = type(self).__name__
        x = layer_input(input, self.weight_ih, where)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{where}: expected an input of shape (N, {self.input_size}) or "
                             f"({self.input_size},), got {x.shape}")
        batched = x.ndim == 2
        shape = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        states = _initial_states(hx, self.mode, shape, self.weight_ih, where)
        if not batched:
            x, states = x.unsqueeze(0), [s.unsqueeze(0) for s in states]
        gx = F.linear(x, self.weight_ih, self.bias_ih)
        state = self.mode.step(gx, tuple(states) if self.mode.pairs else states[0],
                               self.weight_hh, self.bias_hh)
        if batched:
            return state
        return tuple(s.squeeze(0) for s in state) if self.mode.pairs else state.squeeze(0)

    def extra_repr(self) -> str:
        bias = "" if self.bias else ", bias=False"
        return f"{self.input_size}, {self.hidden_size}{bias}"


class RNNCell(_CellBase):
    """One step of an Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).

    ``cell(input, hx=None)``: input (N, input_size) or (input_size,), hx of shape (N,
    hidden_size) or (hidden_size,) (zeros when None); returns h' of hx's shape. Parameters
    weight_ih (hidden, input), weight_hh (hidden, hidden), bias_ih and bias_hh (hidden,).
    Raises ValueError for an unknown nonlinearity or mis-shaped input or state.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh") -> None:
        super().__init__(_rnn_mode(nonlinearity, "RNNCell"), input_size, hidden_size, bias)
        self.nonlinearity = nonlinearity

    def extra_repr(self) -> str:
        relu = ", nonlinearity='relu'" if self.nonlinearity == "relu" else ""
        return super().extra_repr() + relu


class LSTMCell(_CellBase):
    """One LSTM step (gates i, f, g, o in PyTorch's order); see the module docstring.

    ``cell(input, hx=None)``: input (N, input_size) or (input_size,), hx a pair (h, c) of
    shape (N, hidden_size) or (hidden_size,) (zeros when None); returns the pair (h', c').
    weight_ih is (4 * hidden, input), weight_hh (4 * hidden, hidden), the biases (4 * hidden,).
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__(LSTM_MODE, input_size, hidden_size, bias)


class GRUCell(_CellBase):
    """One GRU step (gates r, z, n; n = tanh(W_in x + b_in + r * (W_hn h + b_hn))).

    ``cell(input, hx=None)``: input (N, input_size) or (input_size,), hx (N, hidden_size) or
    (hidden_size,) (zeros when None); returns h'. weight_ih is (3 * hidden, input), weight_hh
    (3 * hidden, hidden), the biases (3 * hidden,).
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__(GRU_MODE, input_size, hidden_size, bias)


# --- whole sequences --------------------------------------------------------------------------


def _time_steps(gx: Tensor) -> list[Tensor]:
    """``[gx[0], gx[1], ...]``, sliced in two stages: chunks of about sqrt(L) steps, then steps.

    The gradient of each slice is scattered into a zero array of the sliced tensor's shape, so
    L slices of gx itself would make backward cost O(L**2) in the length; through the chunks it
    is O(L**1.5) (4x less at L = 64).
    """
    length = gx.shape[0]
    size = max(1, math.isqrt(length))
    if size < 3:
        return [gx[t] for t in range(length)]
    chunks = [gx[start:start + size] for start in range(0, length, size)]
    return [chunk[t] for chunk in chunks for t in range(chunk.shape[0])]


def _run_direction(mode: _Mode, gx: Tensor, state: State, weight_hh: Tensor,
                   bias_hh: Tensor | None, reverse: bool) -> tuple[Tensor, State]:
    """Run the recurrence over the projected inputs ``gx`` (L, N, G); return the outputs
    (L, N, H) in time order and the final state."""
    steps = _time_steps(gx)
    if reverse:
        steps.reverse()
    outputs = []
    for step in steps:
        state = mode.step(step, state, weight_hh, bias_hh)
        outputs.append(mode.output(state))
    if reverse:
        outputs.reverse()
    return ag.stack(outputs, axis=0), state


class _RNNBase(Module):
    """Shared body of RNN, LSTM and GRU: per layer and direction, PyTorch's parameters."""

    def __init__(self, mode: _Mode, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False) -> None:
        super().__init__()
        where = mode.name
        if not 0.0 <= dropout <= 1.0 or isinstance(dropout, bool):
            raise ValueError(f"{where}: dropout must be a number in [0, 1], got {dropout!r}")
        if num_layers < 1 or hidden_size < 1:
            raise ValueError(f"{where}: num_layers and hidden_size must be at least 1, got "
                             f"num_layers={num_layers}, hidden_size={hidden_size}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{where}: dropout={dropout} acts between layers, so with "
                          f"num_layers=1 it does nothing; use num_layers > 1 or dropout=0",
                          UserWarning, stacklevel=3)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        directions = 2 if bidirectional else 1
        rows = mode.gates * hidden_size
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size * directions
            for suffix in self._suffixes(layer):
                self.register_parameter(f"weight_ih{suffix}", Parameter(ag.zeros(rows, width)))
                self.register_parameter(f"weight_hh{suffix}",
                                        Parameter(ag.zeros(rows, hidden_size)))
                if bias:
                    self.register_parameter(f"bias_ih{suffix}", Parameter(ag.zeros(rows)))
                    self.register_parameter(f"bias_hh{suffix}", Parameter(ag.zeros(rows)))
        self.reset_parameters()

    def _suffixes(self, layer: int) -> list[str]:
        forward = f"_l{layer}"
        return [forward, forward + "_reverse"] if self.bidirectional else [forward]

    def _weights(self, suffix: str) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        names = [f"{kind}{suffix}" for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        return tuple(self._parameters.get(name) for name in names)

    def reset_parameters(self) -> None:
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        _reset_uniform(self, self.hidden_size)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, State]:
        """Run every layer over the sequence; return ``(output, h_n)`` (LSTM: ``(output,
        (h_n, c_n))``).

        Shapes, with D = 2 if bidirectional else 1: input (L, N, input_size), or (N, L,
        input_size) with batch_first, or unbatched (L, input_size); hx (and c_0) of shape
        (D * num_layers, N, hidden_size) ((D * num_layers, hidden_size) unbatched), zeros when
        None; output (L, N, D * hidden_size) (batch_first: (N, L, ...)); h_n (and c_n) like hx.
        Raises ValueError naming the shapes when input or state do not fit.
        """
        where = self.mode.name
        x = layer_input(input, self.weight_ih_l0, where)
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            layout = "(N, L, {0})" if self.batch_first else "(L, N, {0})"
            raise ValueError(f"{where}: expected an input of shape "
                             f"{layout.format(self.input_size)} or (L, {self.input_size}) "
                             f"unbatched, got {x.shape}")
        batched = x.ndim == 3
        if not batched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.swapaxes(0, 1)
        directions = 2 if self.bidirectional else 1
        state_shape = (directions * self.num_layers, x.shape[1], self.hidden_size)
        given_shape = state_shape if batched else (state_shape[0], self.hidden_size)
        states = _initial_states(hx, self.mode, given_shape, self.weight_ih_l0, where)
        if not batched:
            states = [s.unsqueeze(1) for s in states]
        finals: list[State] = []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                x = F.dropout(x, self.dropout, True)
            outputs = []
            for direction, suffix in enumerate(self._suffixes(layer)):
                weight_ih, weight_hh, bias_ih, bias_hh = self._weights(suffix)
                index = layer * directions + direction
                state = tuple(s[index] for s in states) if self.mode.pairs else states[0][index]
                output, final = _run_direction(self.mode, F.linear(x, weight_ih, bias_ih),
                                               state, weight_hh, bias_hh, direction == 1)
                outputs.append(output)
                finals.append(final)
            x = outputs[0] if directions == 1 else ag.concatenate(outputs, axis=-1)
        return self._shaped_results(x, finals, batched)

    def _shaped_results(self, output: Tensor, finals: Sequence[State], batched: bool
                        ) -> tuple[Tensor, State]:
        """(L, N, ...) time-major results in the caller's layout."""
        def stacked(parts: Sequence[Tensor]) -> Tensor:
            final = ag.stack(parts, axis=0)
            return final if batched else final.squeeze(1)

        if not batched:
            output = output.squeeze(1)
        elif self.batch_first:
            output = output.swapaxes(0, 1)
        if self.mode.pairs:
            return output, (stacked([f[0] for f in finals]), stacked([f[1] for f in finals]))
        return output, stacked(finals)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(_RNNBase):
    """A multi-layer Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh) (or relu).

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; ``rnn(input, hx=None)`` returns
    ``(output, h_n)`` with PyTorch's shapes (see ``_RNNBase.forward``). Parameters per layer k:
    weight_ih_l{k} (hidden, input or D * hidden), weight_hh_l{k} (hidden, hidden), bias_ih_l{k},
    bias_hh_l{k} (hidden,), and the same with ``_reverse`` for the backward direction.
    ``dropout`` is applied to the outputs of every layer but the last, in training mode.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False) -> None:
        super().__init__(_rnn_mode(nonlinearity, "RNN"), input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional)
        self.nonlinearity = nonlinearity

    def extra_repr(self) -> str:
        relu = ", nonlinearity='relu'" if self.nonlinearity == "relu" else ""
        return super().extra_repr() + relu


class LSTM(_RNNBase):
    """A multi-layer LSTM (gates i, f, g, o; see the module docstring for the equations).

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``; ``lstm(input, hx=None)`` with hx a pair (h_0, c_0) returns
    ``(output, (h_n, c_n))`` with PyTorch's shapes. Parameters as RNN's with 4 * hidden rows.
    PyTorch's ``proj_size`` is not supported.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False) -> None:
        super().__init__(LSTM_MODE, input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional)


class GRU(_RNNBase):
    """A multi-layer GRU (gates r, z, n; see the module docstring for the equations).

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``; ``gru(input, hx=None)`` returns ``(output, h_n)`` with PyTorch's
    shapes. Parameters as RNN's with 3 * hidden rows.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False) -> None:
        super().__init__(GRU_MODE, input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional)

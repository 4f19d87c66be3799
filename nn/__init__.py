"""nn: neural-network building blocks composed only from autograd_lite's differentiable ops.

No derivative is written anywhere in this package (a test checks): layers, activations and
losses are compositions of primitives, so their gradients (of any order) come from the engine.
"""

from . import data, datasets, functional, init, lr_scheduler, optim, utils
from .attention import MultiheadAttention  # sequence models (issue 13)
from .conv import AvgPool2d, Conv2d, MaxPool2d
from .layers import (
    ELU,
    GELU,
    BatchNorm1d,
    BatchNorm2d,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .module import Module, ModuleDict, ModuleList, Parameter, Sequential
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell  # sequence models (issue 13)
from .serialization import load, save
from .training import Callback, EarlyStopping, History, evaluate, fit, predict
from .transformer import TransformerEncoderLayer  # sequence models (issue 13)

__all__ = [
    "data", "datasets", "functional", "init", "lr_scheduler", "optim", "utils",
    "AvgPool2d", "Conv2d", "MaxPool2d",
    "ELU", "GELU", "BatchNorm1d", "BatchNorm2d", "Dropout", "Embedding", "Flatten", "Identity",
    "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "ReLU", "Sigmoid", "SiLU", "Softmax",
    "Softplus", "Tanh",
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HuberLoss", "L1Loss", "MSELoss",
    "NLLLoss", "SmoothL1Loss",
    "Module", "ModuleDict", "ModuleList", "Parameter", "Sequential",
    "load", "save",
    "Callback", "EarlyStopping", "History", "evaluate", "fit", "predict",
    "GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNCell",  # sequence models (issue 13)
    "MultiheadAttention", "TransformerEncoderLayer",  # sequence models (issue 13)
]

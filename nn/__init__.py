"""nn: neural-network building blocks composed only from autograd_lite's differentiable ops.

No derivative is written anywhere in this package (a test checks): layers, activations and
losses are compositions of primitives, so their gradients (of any order) come from the engine.
"""

from . import data, datasets, functional, init, lr_scheduler, npz_io, optim, utils
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
from .live import LiveView  # live view (issue 15)
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
from .serialization import load, save
from .training import Callback, EarlyStopping, History, NonFiniteLossError, evaluate, fit, predict

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
    "Callback", "EarlyStopping", "History", "NonFiniteLossError", "evaluate", "fit", "predict",
    "live", "LiveView",  # live view (issue 15)
]

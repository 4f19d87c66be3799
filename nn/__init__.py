"""nn: neural-network building blocks composed only from autograd_lite's differentiable ops.

No derivative is written anywhere in this package (a test checks): layers, activations and
losses are compositions of primitives, so their gradients (of any order) come from the engine.
"""

from . import data, datasets, functional, init, lr_scheduler, npz_io, optim, utils
from .activations import Hardtanh, Mish, PReLU
from .attention import MultiheadAttention  # sequence models (issue 13)
from .conv import AvgPool2d, Conv1d, Conv2d, ConvTranspose2d, MaxPool2d
from .distance import CosineSimilarity, PairwiseDistance
from .dropout import AlphaDropout, Dropout1d, Dropout2d
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
    Unflatten,
)
from .live import LiveView  # live view (issue 15)
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
    SmoothL1Loss,
    TripletMarginLoss,
)
from .module import Module, ModuleDict, ModuleList, Parameter, Sequential
from .normalization import GroupNorm, InstanceNorm2d
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell  # sequence models (issue 13)
from .resampling import AdaptiveAvgPool2d, Upsample
from .serialization import load, save
from .training import Callback, EarlyStopping, History, NonFiniteLossError, evaluate, fit, predict
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
    "Callback", "EarlyStopping", "History", "NonFiniteLossError", "evaluate", "fit", "predict",
    # nn.functional breadth (issue 13)
    "Hardtanh", "Mish", "PReLU", "Conv1d", "ConvTranspose2d", "AlphaDropout", "Dropout1d",
    "Dropout2d", "Unflatten", "KLDivLoss", "MarginRankingLoss", "MultiMarginLoss",
    "TripletMarginLoss", "GroupNorm", "InstanceNorm2d", "AdaptiveAvgPool2d", "Upsample",
    "CosineSimilarity", "PairwiseDistance",
    "GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNCell",  # sequence models (issue 13)
    "MultiheadAttention", "TransformerEncoderLayer",  # sequence models (issue 13)
    "live", "LiveView",  # live view (issue 15)
]

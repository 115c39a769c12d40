"""The layers: ``Module`` and everything built on it."""

from .activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .container import ModuleList, Sequential
from .dropout import Dropout
from .linear import Identity, Linear
from .loss import CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module

__all__ = [
    "Module", "Linear", "Identity", "Sequential", "ModuleList", "ReLU", "Tanh", "Sigmoid",
    "Softmax", "LogSoftmax", "Dropout", "MSELoss", "NLLLoss", "CrossEntropyLoss",
]

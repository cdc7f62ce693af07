"""Hand-written NumPy back-propagation MLP implementing the (corrected) formulas of the notes."""

from mlp.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from mlp.costs import COSTS
from mlp.deltas import VALID_PAIRS
from mlp.init import INITS
from mlp.network import MLP
from mlp.schedules import SCHEDULES
from mlp.training import History

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "HIDDEN_ACTIVATIONS",
    "INITS",
    "MLP",
    "OUTPUT_ACTIVATIONS",
    "SCHEDULES",
    "VALID_PAIRS",
    "History",
]

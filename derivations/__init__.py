"""SymPy re-derivations of every closed-form claim in the backprop notes, with verdicts."""

from derivations.claims import Claim, Method, NumericSpec, Step, Verdict

__all__ = ["Claim", "Method", "NumericSpec", "Step", "Verdict"]

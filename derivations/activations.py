"""Scalar activations and their derivatives, eq. (13), (14), (17)–(22)."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derivations.claims import Claim, Method, NumericSpec, Verdict
from derivations.definitions import sigmoid
from derivations.equivalence import Sampler, decide
from derivations.judge import Judgement, define, judge, judge_chain, make_claim
from derivations.sampling import kink_sampler, logit_sampler

__all__ = ["activation_claims", "relu"]

z = sp.Symbol("z", real=True)
_p = sp.Symbol("p", positive=True)
_n = sp.Symbol("n", negative=True)
_t = sp.Symbol("t", positive=True)


def relu(x: sp.Expr) -> sp.Expr:
    """Relu as printed, eq. (19)."""
    return sp.Piecewise((x, x >= 0), (0, True))


def heaviside(x: sp.Expr) -> sp.Expr:
    """Heaviside step as printed, eq. (21) (value 1 at 0)."""
    return sp.Piecewise((1, x >= 0), (0, True))


def _reader(value: sp.Expr) -> str:
    """A limit in reader notation: ∞ and −∞, not SymPy's ``oo``."""
    if value == sp.oo:
        return "+∞"
    if value == -sp.oo:
        return "−∞"
    return str(value)


def _pointwise(expr: sp.Expr) -> sp.Expr:
    """Replace distributions and undefined kink values by pointwise values (``nan`` on the kink).

    ``DiracDelta(x)`` -> 0 off 0, ``nan`` at 0; ``Heaviside(x, nan)`` -> 0 / 1 / ``nan``; this
    keeps NumericSpec expressions printable by the numpy, jax and mpmath lambdify printers.
    """
    expr = expr.replace(
        lambda e: isinstance(e, sp.DiracDelta),
        lambda e: sp.Piecewise((0, sp.Ne(e.args[0], 0)), (sp.nan, True)),
    )
    return expr.replace(
        lambda e: isinstance(e, sp.Heaviside),
        lambda e: sp.Piecewise((0, e.args[0] < 0), (1, e.args[0] > 0), (sp.nan, True)),
    )


def _spec(
    definition: sp.Expr,
    paper: sp.Expr,
    truth: sp.Expr,
    sample: Sampler,
    kinks: tuple[dict[sp.Symbol, float], ...] = (),
) -> NumericSpec:
    return NumericSpec(
        variables=(z,),
        definition=_pointwise(definition),
        wrt=(z,),
        paper=_pointwise(paper),
        truth=_pointwise(truth),
        sample=sample,
        kinks=kinks,
    )


@dataclass(frozen=True)
class KinkAnalysis:
    """Derivative of a piecewise function at its kink, from one-sided difference quotients."""

    agrees_left: bool
    agrees_right: bool
    continuous: bool
    left: sp.Expr
    right: sp.Expr
    paper_at_kink: sp.Expr


def _kink_analysis(f: sp.Expr, paper: sp.Expr, truth: sp.Expr, at: int = 0) -> KinkAnalysis:
    """Compare ``paper`` and ``truth`` on each side of ``at`` and take one-sided limits there."""
    left_ok = decide(paper.subs(z, at + _n), truth.subs(z, at + _n), [_n]).equal
    right_ok = decide(paper.subs(z, at + _p), truth.subs(z, at + _p), [_p]).equal
    f0 = f.subs(z, sp.Integer(at))
    # h = -t and h = +t with t > 0, so that Piecewise branches resolve before the limit.
    left = sp.limit((f.subs(z, at - _t) - f0) / (-_t), _t, 0, "+")
    right = sp.limit((f.subs(z, at + _t) - f0) / _t, _t, 0, "+")
    continuous = bool(
        sp.limit(f.subs(z, at - _t), _t, 0, "+") == f0 == sp.limit(f.subs(z, at + _t), _t, 0, "+")
    )
    return KinkAnalysis(left_ok, right_ok, continuous, left, right, paper.subs(z, sp.Integer(at)))


def _kink_judgement(k: KinkAnalysis, residual: sp.Expr) -> Judgement:
    """Verdict at a kink: ``convention`` or ``holds_almost_everywhere``.

    ``convention`` if the function is continuous with finite one-sided derivatives and the
    paper's kink value lies between them; ``holds_almost_everywhere`` if only the kink is off.
    """
    if not (k.agrees_left and k.agrees_right):
        return Judgement(
            Verdict.WRONG, Method.SYMBOLIC, residual, {"z": 1.0}, None, "differs away from the kink"
        )
    finite = k.left.is_finite and k.right.is_finite
    lo, hi = (sp.Min(k.left, k.right), sp.Max(k.left, k.right)) if finite else (None, None)
    if k.continuous and finite and lo is not None and bool(lo <= k.paper_at_kink <= hi):
        return Judgement(
            Verdict.CONVENTION,
            Method.SYMBOLIC,
            None,
            None,
            f"z = 0: not differentiable; one-sided derivatives {k.left} (left) and {k.right} "
            f"(right); the paper picks {k.paper_at_kink}",
            "agrees for z < 0 and z > 0",
        )
    return Judgement(
        Verdict.HOLDS_ALMOST_EVERYWHERE,
        Method.SYMBOLIC,
        None,
        None,
        f"z = 0 excluded: discontinuous there (one-sided difference quotients tend to "
        f"{_reader(k.left)} and {_reader(k.right)}), so not differentiable; the paper's value "
        f"{k.paper_at_kink} is not a derivative",
        "agrees for z < 0 and z > 0",
    )


def _sigmoid_claims() -> list[Claim]:
    s = sigmoid(z)
    truth = sp.diff(s, z)
    sample = logit_sampler([z])
    paper14 = s * (1 - s)
    lines = [
        sp.Derivative(1 / (1 + sp.exp(-z)), z),
        (-sp.exp(-z)) * (-1) / (1 + sp.exp(-z)) ** 2,
        s * ((1 - 1 + sp.exp(-z)) / (1 + sp.exp(-z))),
        s * (1 - 1 / (1 + sp.exp(-z))),
        s * (1 - s),
    ]
    steps, chain = judge_chain(lines, truth, [z], sample)
    return [
        make_claim(
            id="activations.sigmoid.definition",
            ref="eq. 13",
            family="activations",
            title="Sigmoid activation",
            printed=r"\sigma_{\text{sig}}(z) = \frac{1}{1 + e^{-z}}",
            expected=Verdict.DEFINITION,
            judgement=define(s, [z]),
            paper=s,
        ),
        make_claim(
            id="activations.sigmoid.derivation",
            ref="sec. 4.1.1",
            family="activations",
            title="Five-line derivation of the sigmoid derivative",
            printed=r"\frac{\partial}{\partial z}\sigma_{\text{sig}} = \dots = "
            r"\sigma_{\text{sig}}(z)(1 - \sigma_{\text{sig}}(z))",
            expected=Verdict.HOLDS,
            judgement=chain,
            paper=lines[-1],
            truth=truth,
            steps=steps,
            numeric=_spec(s, paper14, truth, sample),
        ),
        make_claim(
            id="activations.sigmoid.derivative",
            ref="eq. 14",
            family="activations",
            title="Sigmoid derivative σ' = σ(1 − σ)",
            printed=r"\sigma'_{\text{sig}}(z) = \sigma_{\text{sig}}(z)(1 - \sigma_{\text{sig}}(z))",
            expected=Verdict.HOLDS,
            judgement=judge(paper14, truth, [z], sample),
            paper=paper14,
            truth=truth,
            numeric=_spec(s, paper14, truth, sample),
        ),
    ]


def _tanh_claims() -> list[Claim]:
    t = sp.tanh(z)
    truth = sp.diff(t, z)
    paper = 1 - sp.tanh(z) ** 2
    sample = logit_sampler([z])
    return [
        make_claim(
            id="activations.tanh.definition",
            ref="eq. 17",
            family="activations",
            title="Hyperbolic tangent activation",
            printed=r"\sigma_{\tanh}(z) = \tanh(z)",
            expected=Verdict.DEFINITION,
            judgement=define(t, [z]),
            paper=t,
        ),
        make_claim(
            id="activations.tanh.derivative",
            ref="eq. 18",
            family="activations",
            title="tanh derivative 1 − tanh²",
            printed=r"\sigma'_{\tanh}(z) = 1 - \tanh^2(z)",
            expected=Verdict.HOLDS,
            judgement=judge(paper, truth, [z], sample),
            paper=paper,
            truth=truth,
            numeric=_spec(t, paper, truth, sample),
        ),
    ]


def _relu_claims() -> list[Claim]:
    f = relu(z)
    # Truth: SymPy's derivative of max(z, 0) is Heaviside(z); its value at the kink is left
    # undefined (H0 = nan) on purpose. (SymPy differentiates the printed Piecewise branchwise and
    # would return 1 at z = 0, inheriting the branch condition z >= 0: not a derivative.)
    truth = sp.diff(sp.Max(z, 0), z).subs(sp.Heaviside(z), sp.Heaviside(z, sp.nan))
    paper = sp.Piecewise((1, z >= 0), (0, True))
    kink = _kink_analysis(f, paper, truth)
    j = _kink_judgement(kink, paper - truth)
    return [
        make_claim(
            id="activations.relu.definition",
            ref="eq. 19",
            family="activations",
            title="Relu activation",
            printed=r"\sigma_{\text{relu}}(z) = z \text{ if } z \geq 0, "
            r"0 \text{ if } z < 0",
            expected=Verdict.DEFINITION,
            judgement=define(f, [z]),
            paper=f,
            note="Equal to max(z, 0); at 0 both are 0.",
        ),
        make_claim(
            id="activations.relu.derivative",
            ref="eq. 20",
            family="activations",
            title="Relu derivative, value 1 chosen at z = 0",
            printed=r"\sigma'_{\text{relu}}(z) = 1 \text{ if } z \geq 0, 0 \text{ if } z < 0",
            expected=Verdict.CONVENTION,
            judgement=j,
            paper=paper,
            truth=truth,
            note="relu is not differentiable at 0 (one-sided derivatives 0 and 1; any value in "
            "[0, 1] is a subgradient). JAX: jax.grad(jax.nn.relu)(0.0) = 0 (checked in "
            "tests/test_derivations_conventions.py); PyTorch: relu backward gives 0 at 0. "
            "SymPy: Heaviside(0) is 1/2 unless H0 is passed.",
            numeric=_spec(f, paper, truth, kink_sampler(z), kinks=({z: 0.0},)),
            extra={
                "one_sided": (float(kink.left), float(kink.right)),
                "jax_at_0": 0.0,
                "pytorch_at_0": 0.0,
                "paper_at_0": float(kink.paper_at_kink),
            },
        ),
    ]


def _heaviside_claims() -> list[Claim]:
    f = heaviside(z)
    truth = sp.diff(sp.Heaviside(z, 1), z)  # DiracDelta(z): 0 off the jump, a distribution on it
    paper = sp.Integer(0)
    kink = _kink_analysis(f, paper, _pointwise(truth))
    j = _kink_judgement(kink, paper - truth)
    return [
        make_claim(
            id="activations.heaviside.definition",
            ref="eq. 21",
            family="activations",
            title="Heaviside step activation",
            printed=r"\sigma_{\text{Heaviside}}(z) = 1 \text{ if } z \geq 0, 0 \text{ if } z < 0",
            expected=Verdict.DEFINITION,
            judgement=define(f, [z]),
            paper=f,
        ),
        make_claim(
            id="activations.heaviside.derivative",
            ref="eq. 22",
            family="activations",
            title="Heaviside derivative is 0",
            printed=r"\sigma'_{\text{Heaviside}}(z) = 0",
            expected=Verdict.HOLDS_ALMOST_EVERYWHERE,
            judgement=j,
            paper=paper,
            truth=truth,
            note="0 for z != 0; at z = 0 the step jumps, so there is no derivative (the "
            "distributional derivative is the Dirac delta δ(z)). With a zero derivative almost "
            "everywhere no gradient flows through a Heaviside layer: backprop cannot train the "
            "weights below it.",
            numeric=_spec(f, paper, truth, kink_sampler(z), kinks=({z: 0.0},)),
        ),
    ]


def activation_claims() -> list[Claim]:
    """Claims of sec. 4.1.1 and 4.2 (eq. 13, 14, 17–22), in paper order."""
    return [*_sigmoid_claims(), *_tanh_claims(), *_relu_claims(), *_heaviside_claims()]

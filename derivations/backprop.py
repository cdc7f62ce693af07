"""Backprop summary equations (32)–(37), judged as printed against sympy.diff of eq. (6)."""

from __future__ import annotations

from typing import Any

import sympy as sp

from derivations.claims import Claim, Method, Verdict
from derivations.definitions import mse, softmax
from derivations.equivalence import ShapeError, decide
from derivations.judge import make_claim
from derivations.network import CONCRETE, Network, network, product, sigma_f, sigma_prime
from derivations.sec631 import judge_net, net_spec

__all__ = ["backprop_claims", "net_widths"]


def _softmax_delta_checked() -> str:
    """Check δ^L = J_sm(z)^T ∇_a C against sympy.diff (K = 3, MSE); say what the Hadamard gives."""
    z = sp.Matrix(sp.symbols("z1:4", real=True))
    y = sp.Matrix(sp.symbols("y1:4", real=True))
    a = softmax(z)
    grad = a - y  # ∇_a C for MSE (eq. 29)
    jac = a.jacobian(list(z))
    truth = sp.Matrix([sp.diff(mse(a, y), q) for q in z])
    if not decide(jac.T * grad, truth, [*z, *y]).equal:
        raise RuntimeError("δ^L = J^T ∇_a C does not match sympy.diff for softmax")
    diagonal = grad.multiply_elementwise(sp.Matrix([jac[r, r] for r in range(3)]))
    if decide(diagonal, truth, [*z, *y]).equal:
        raise RuntimeError("the Hadamard form with the Jacobian diagonal should fail for softmax")
    return "; the Hadamard product with the Jacobian diagonal is wrong there"


def _eq32(net: Network) -> Claim:
    """Eq. (32): δ^L = ∇_a C ⊙ σ'(a^L), judged against ∂C/∂b^L."""
    L, y, a, db = net.L, net.y, net.a, net.db
    paper32 = (a[L] - y).multiply_elementwise(a[L].applyfunc(lambda e: sigma_prime(sigma_f, e)))
    corrected32 = (a[L] - y).multiply_elementwise(net.sigma_prime(L))
    _require(net, corrected32, db[L], "eq. 32 corrected")
    return make_claim(
        id="backprop.delta_output",
        ref="eq. 32",
        family="backprop",
        title="δ^L = ∇_a C ⊙ σ'(a^L)",
        printed=r"\delta^L = \nabla_{\mathbf{a}}^L \mathcal{C} \odot \sigma'(\mathbf{a}^L)",
        expected=Verdict.WRONG,
        judgement=judge_net(net, paper32, db[L]),
        paper=paper32,
        truth=db[L],
        corrected=corrected32,
        corrected_printed=r"\delta^L = \nabla_{\mathbf{a}}\mathcal{C} \odot "
        r"\sigma'(\mathbf{z}^L) \text{ for an elementwise output activation; for softmax "
        r"} \delta^L = J_{\text{sm}}(\mathbf{z}^L)^T \nabla_{\mathbf{a}}\mathcal{C}",
        note="Two corrections. σ' must be evaluated at z^L, not at a^L = σ(z^L) (sec. 6.3.1 "
        "and eq. 35 use z); counterexample with σ_f = sigmoid, σ = tanh. And the Hadamard "
        "form needs an elementwise output activation, a condition the text states for eq. "
        "35 only: for softmax ∂a/∂z is the full Jacobian J_sm and δ^L = J_sm^T ∇_a C "
        f"(checked against sympy.diff at K = 3 with MSE{_softmax_delta_checked()}).",
        numeric=net_spec(net, paper32, db[L], net.b[L]),
        extra={"corrected_checked": True},
    )


def _eq33(net: Network) -> Claim:
    """Eq. (33): ∂C/∂W^L = δ^L (a^{L−1})^T."""
    L, W, a, dW, db = net.L, net.W, net.a, net.dW, net.db
    paper33 = db[L] * a[L - 1].T
    return make_claim(
        id="backprop.dW_output",
        ref="eq. 33",
        family="backprop",
        title="∂C/∂W^L = δ^L (a^{L−1})^T",
        printed=r"\frac{\partial \mathcal{C}_{\text{MSE}}}{\partial W^L} = \delta^L "
        r"(\mathbf{a}^{L-1})^T",
        expected=Verdict.HOLDS,
        judgement=judge_net(net, paper33, dW[L]),
        paper=paper33,
        truth=dW[L],
        note="δ^L taken as the true ∂C/∂b^L, so eq. 32's slip is not counted twice.",
        numeric=net_spec(net, paper33, dW[L], W[L]),
    )


def _eq34_37(net: Network) -> list[Claim]:
    """Eq. (34) and (37): a bias gradient printed under ∂C/∂W."""
    L, dW, db = net.L, net.dW, net.db
    out: list[Claim] = []
    # eq. 34 and 37: a bias gradient printed under ∂C/∂W.
    for ref, cid, l_paper, title, printed, fixed in (
        (
            "eq. 34",
            "backprop.db_output",
            L,
            "∂C/∂W^l = δ^L (printed W^l for b^L)",
            r"\frac{\partial \mathcal{C}_{\text{MSE}}}{\partial W^l} = \delta^L",
            r"\frac{\partial \mathcal{C}_{\text{MSE}}}{\partial \mathbf{b}^L} = \delta^L",
        ),
        (
            "eq. 37",
            "backprop.db_layer",
            L - 1,
            "∂C/∂W^l = δ^l (printed W for b)",
            r"\frac{\partial \mathcal{C}_{\text{MSE}}}{\partial W^l} = \delta^l",
            r"\frac{\partial \mathcal{C}_{\text{MSE}}}{\partial \mathbf{b}^l} = \delta^l",
        ),
    ):
        j = judge_net(net, db[l_paper], dW[l_paper])
        out.append(
            make_claim(
                id=cid,
                ref=ref,
                family="backprop",
                title=title,
                printed=printed,
                expected=Verdict.WRONG,
                judgement=j,
                paper=db[l_paper],
                truth=dW[l_paper],
                corrected=sp.Eq(sp.Symbol(f"dC/db{l_paper}"), sp.Symbol(f"delta{l_paper}")),
                corrected_printed=fixed,
                note=f"Left-hand side as printed is ∂C/∂W (shape {dW[l_paper].shape}); δ has shape "
                f"{db[l_paper].shape}. δ^l is ∂C/∂b^l: the checker's δ is sympy.diff of the cost "
                f"with respect to b^{l_paper}. Corrected: ∂C/∂b^l = δ^l"
                + (" (and the printed l/L mix-up: ∂C/∂b^L = δ^L)." if ref == "eq. 34" else "."),
                extra={"judged_at_layer": l_paper},
            )
        )
    return out


def _eq35(net: Network) -> Claim:
    """Eq. (35): the recurrence δ^{l−1} = ((W^l)^T δ^l) ⊙ σ'(z^{l−1}), at l = L and L − 1."""
    L, W, db = net.L, net.W, net.db
    # eq. 35, for l = L and l = L − 1 (δ^l taken as the true ∂C/∂b^l).
    rec = sp.Matrix.vstack(
        *[
            (W[layer].T * db[layer]).multiply_elementwise(net.sigma_prime(layer - 1))
            for layer in range(L, 1, -1)
        ]
    )
    truth35 = sp.Matrix.vstack(*[db[layer - 1] for layer in range(L, 1, -1)])
    wrt35 = sp.Matrix.vstack(*[net.b[layer - 1] for layer in range(L, 1, -1)])
    return make_claim(
        id="backprop.delta_recurrence",
        ref="eq. 35",
        family="backprop",
        title="δ^{l−1} = ((W^l)^T δ^l) ⊙ σ'(z^{l−1})",
        printed=r"\delta^{l-1} = \left((W^l)^T\delta^l\right) \odot \sigma'(\mathbf{z}^{l-1})",
        expected=Verdict.HOLDS,
        judgement=judge_net(net, rec, truth35),
        paper=rec,
        truth=truth35,
        note=f"Checked for l = L and l = L − 1 (stacked), widths {net_widths(net)}, abstract σ "
        "and σ_f. Requires an elementwise σ (not softmax: see footnote 1's claim).",
        numeric=net_spec(net, rec, truth35, wrt35),
    )


def _eq36(net: Network) -> Claim:
    """Eq. (36): ∂C/∂W^l = δ^l a^{l−1}, shape-invalid at every layer."""
    L, a, dW, db = net.L, net.a, net.dW, net.db
    # eq. 36: δ^l a^{l−1} without transpose — shape-invalid at every layer.
    invalid = [
        product((f"δ^{layer}", db[layer]), (f"a^{layer - 1}", a[layer - 1]))
        for layer in range(L, 0, -1)
    ]
    if not all(isinstance(p, ShapeError) for p in invalid):
        raise RuntimeError("eq. 36 unexpectedly conforms: widths must make it a shape error")
    for layer in range(1, L + 1):
        _require(net, db[layer] * a[layer - 1].T, dW[layer], f"eq. 36 corrected at l = {layer}")
    return make_claim(
        id="backprop.dW_layer",
        ref="eq. 36",
        family="backprop",
        title="∂C/∂W^l = δ^l a^{l−1} (no transpose)",
        printed=r"\frac{\partial \mathcal{C}_{\text{MSE}}}{\partial W^l} = "
        r"\delta^l\mathbf{a}^{l-1}",
        expected=Verdict.WRONG,
        judgement=judge_net(net, invalid[0], dW[L]),
        paper=invalid[0],
        truth=dW[L],
        corrected=db[L] * a[L - 1].T,
        corrected_printed=r"\frac{\partial \mathcal{C}_{\text{MSE}}}{\partial W^l} = "
        r"\delta^l (\mathbf{a}^{l-1})^T",
        note="With column vectors δ^l a^{l−1} is undefined at every layer "
        f"({'; '.join(p.words() for p in invalid if isinstance(p, ShapeError))}); "
        "eq. 33 has the transpose. Corrected "
        "δ^l (a^{l−1})^T checked against sympy.diff at every layer.",
        extra={"corrected_checked": True},
    )


def backprop_claims() -> list[Claim]:
    """Eq. (32)–(37): the summary equations, judged as printed with column vectors."""
    net = network()
    return [_eq32(net), _eq33(net), *_eq34_37(net), _eq35(net), _eq36(net)]


def net_widths(net: Network) -> tuple[int, ...]:
    """Widths n_0..n_L of ``net``."""
    return (net.x.rows, *[net.W[layer].rows for layer in range(1, net.L + 1)])


def _require(net: Network, expr: Any, truth: Any, what: str) -> None:
    d = decide(expr, truth, net.z_variables, net.sample_z, functions=CONCRETE)
    if not d.equal:
        raise RuntimeError(f"{what} does not match sympy.diff: {d.detail}")
    if d.method is not Method.SYMBOLIC:
        raise RuntimeError(f"{what} matched only numerically")

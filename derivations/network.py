"""A concrete symbolic network, eq. (1)–(6): forward pass, cost and its sympy.diff gradients."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from derivations.claims import Claim, NumericSpec, Verdict
from derivations.definitions import sigmoid
from derivations.equivalence import ShapeError
from derivations.judge import define, judge, make_claim
from derivations.sampling import weight_sampler

__all__ = [
    "WIDTHS",
    "Network",
    "as_subs",
    "network",
    "network_claims",
    "product",
    "sigma",
    "sigma_f",
    "sigma_prime",
]

WIDTHS = (3, 4, 2, 3)
"""n_0 (input), n_1, n_2, n_L: L = 3 layers; adjacent widths differ, so every W^l is
non-square and a dropped transpose is a shape error rather than a silently accepted product."""

sigma = sp.Function("sigma")
"""Hidden-layer activation, abstract (any elementwise differentiable function)."""
sigma_f = sp.Function("sigma_f")
"""Output activation (eq. 2), abstract; specialised to the sigmoid where the paper does."""

_xi = sp.Dummy("xi")
_t = sp.Dummy("t")
SIGMOID = sp.Lambda(_t, sigmoid(_t))
"""Eq. (13), to specialise ``sigma_f`` (sec. 6.3.1) or to make counterexamples concrete."""
CONCRETE = {sigma: sp.Lambda(_t, sp.tanh(_t)), sigma_f: SIGMOID}
"""Concrete activations for numeric evaluation: tanh hidden, sigmoid output."""


def sigma_prime(f: sp.FunctionClass, at: sp.Expr) -> sp.Expr:
    """``f'(at)`` in the form ``sympy.diff`` produces for a composed argument (a ``Subs``).

    Kept as ``Subs`` even when ``at`` is a symbol, so that z-form expressions can be mapped
    back to the primitive variables by ``xreplace``.
    """
    return sp.Subs(sp.Derivative(f(_xi), _xi), _xi, at)


def as_subs(expr: Any) -> Any:
    """Rewrite ``Derivative(f(Z), Z)`` (Z a symbol) as ``f'`` at Z in ``Subs`` form (exact)."""

    def is_plain(e: Any) -> bool:
        return (
            isinstance(e, sp.Derivative)
            and len(e.variables) == 1
            and not isinstance(e.variables[0], sp.Dummy)
            and isinstance(e.expr, AppliedUndef)
            and e.expr.args == e.variables
        )

    return expr.replace(is_plain, lambda e: sigma_prime(e.expr.func, e.variables[0]))


def product(*factors: tuple[str, sp.Matrix]) -> sp.Matrix | ShapeError:
    """Multiply named factors as printed; a ``ShapeError`` if the shapes do not conform."""
    name, out = factors[0]
    described = f"{name} {out.shape[0]}x{out.shape[1]}"
    for name, m in factors[1:]:
        described += f" · {name} {m.shape[0]}x{m.shape[1]}"
        if out.shape[1] != m.shape[0]:
            return ShapeError(f"ShapeError({described})")
        out = out * m
    return out


def _concrete(e: Any) -> Any:
    """``e`` with sigma and sigma_f replaced by their CONCRETE activations, evaluated."""
    return e.replace(sigma, CONCRETE[sigma]).replace(sigma_f, CONCRETE[sigma_f]).doit()


@dataclass(frozen=True)
class Network:
    """The L = 3 network of eq. (4)–(6) with MSE cost (eq. 8) and its sympy.diff gradients.

    Expressions are kept in "z-form": each pre-activation z^l_k is the symbol ``Z{l}_{k}``.
    The map (x, W, b) -> (x, W, Z) is a bijection (b^l = Z^l − W^l a^{l−1}), so identities in
    z-form are identities of the composed network, and any z-form point is a network point.
    """

    L: int
    x: sp.Matrix
    y: sp.Matrix
    W: dict[int, sp.Matrix]
    b: dict[int, sp.Matrix]
    Z: dict[int, sp.Matrix]
    a: dict[int, sp.Matrix]
    """a^l in z-form: sigma(Z^l) (sigma_f for l = L); a^0 = x."""
    z_form: dict[int, sp.Matrix]
    """z^l = W^l a^{l-1} + b^l in terms of the previous layer's Z (what each Z^l stands for)."""
    cost: sp.Expr
    """Eq. (8) of the composed network (eq. 6), in the primitive variables x, W, b, y."""
    dW: dict[int, sp.Matrix]  # noqa: N815 (the paper's symbol)
    """∂C/∂W^l by sympy.diff of ``cost``, rewritten in z-form."""
    db: dict[int, sp.Matrix]
    """∂C/∂b^l = δ^l by sympy.diff of ``cost``, rewritten in z-form."""

    @property
    def parameters(self) -> list[sp.Symbol]:
        """Input, weights, biases and labels: the primitive variables."""
        out = list(self.x)
        for layer in range(1, self.L + 1):
            out += list(self.W[layer]) + list(self.b[layer])
        return out + list(self.y)

    @property
    def z_variables(self) -> list[sp.Symbol]:
        """Variables of z-form expressions: x, W, Z, y."""
        out = list(self.x)
        for layer in range(1, self.L + 1):
            out += list(self.W[layer]) + list(self.Z[layer])
        return out + list(self.y)

    def sigma_prime(self, layer: int) -> sp.Matrix:
        """σ'(z^l) in z-form (σ_f' for the output layer)."""
        f = sigma_f if layer == self.L else sigma
        return self.Z[layer].applyfunc(lambda e: sigma_prime(f, e))

    def to_z(self, expr: sp.Expr | sp.Matrix) -> sp.Expr | sp.Matrix:
        """Rewrite a primitive-variable expression in z-form (innermost layer first)."""
        for layer in range(1, self.L + 1):
            expr = expr.xreplace(dict(zip(self.z_form[layer], self.Z[layer], strict=True)))
        return expr

    def to_primitive(self, expr: sp.Expr | sp.Matrix) -> sp.Expr | sp.Matrix:
        """Rewrite a z-form expression in the primitive variables (outermost layer first)."""
        for layer in range(self.L, 0, -1):
            expr = expr.xreplace(dict(zip(self.Z[layer], self.z_form[layer], strict=True)))
        return expr

    def z_to_bias(self, point: dict[str, float]) -> dict[str, float]:
        """Map a z-form point to the network point: b^l = Z^l − W^l a^{l−1} (σ = tanh)."""
        out = {str(v): point[str(v)] for v in [*self.x, *self.y] if str(v) in point}
        prev = [point[str(v)] for v in self.x]
        for layer in range(1, self.L + 1):
            Wl, Zl = self.W[layer], [point[str(v)] for v in self.Z[layer]]
            for w in Wl:
                out[str(w)] = point[str(w)]
            for r, bl in enumerate(self.b[layer]):
                wa = sum(point[str(Wl[r, c])] * prev[c] for c in range(Wl.cols))
                out[str(bl)] = Zl[r] - wa
            prev = [math.tanh(v) for v in Zl]  # hidden activation of CONCRETE
        return out

    @functools.cached_property
    def _concrete_z_form(self) -> dict[int, dict[sp.Symbol, sp.Expr]]:
        """Each ``Z^l`` -> what it stands for, with CONCRETE activations (worked out once)."""
        return {
            layer: dict(zip(self.Z[layer], _concrete(self.z_form[layer]), strict=True))
            for layer in range(1, self.L + 1)
        }

    def concrete(self, expr: Any) -> Any:
        """A z-form expression with CONCRETE activations, in the primitive variables."""
        expr = _concrete(expr)
        for layer in range(self.L, 0, -1):
            expr = expr.xreplace(self._concrete_z_form[layer])
        return expr

    def sample_primitive(self, rng: np.random.Generator) -> dict[sp.Symbol, float]:
        """A random network point (x, W, b, y) with entries in (−1.5, 1.5)."""
        return weight_sampler(self.parameters)(rng)

    def sample_z(self, rng: np.random.Generator) -> dict[sp.Symbol, float]:
        """A random z-form point (x, W, Z, y) with entries in (−1.5, 1.5)."""
        return weight_sampler(self.z_variables)(rng)


def _matrix(name: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda r, c: sp.Symbol(f"{name}_{r + 1}_{c + 1}", real=True))


def _column(name: str, rows: int) -> sp.Matrix:
    return sp.Matrix(rows, 1, lambda r, _c: sp.Symbol(f"{name}_{r + 1}", real=True))


@functools.cache
def network() -> Network:
    """Build the network once per process: forward pass, cost, gradients by sympy.diff."""
    n = WIDTHS
    L = len(n) - 1
    x = sp.Matrix(sp.symbols(f"x1:{n[0] + 1}", real=True))
    y = sp.Matrix(sp.symbols(f"y1:{n[L] + 1}", real=True))
    W = {layer: _matrix(f"W{layer}", n[layer], n[layer - 1]) for layer in range(1, L + 1)}
    b = {layer: _column(f"b{layer}", n[layer]) for layer in range(1, L + 1)}
    Z = {layer: _column(f"Z{layer}", n[layer]) for layer in range(1, L + 1)}
    # Eq. (6) as printed: the nested composition, in primitive variables.
    a_prim: sp.Matrix = x
    z_prim: dict[int, sp.Matrix] = {}
    for layer in range(1, L + 1):
        f = sigma_f if layer == L else sigma
        z_prim[layer] = W[layer] * a_prim + b[layer]
        a_prim = z_prim[layer].applyfunc(f)
    cost = sp.Rational(1, 2) * sp.Add(*[(a_prim[r] - y[r]) ** 2 for r in range(n[L])])
    a = {0: x}
    z_form = {}
    for layer in range(1, L + 1):
        f = sigma_f if layer == L else sigma
        z_form[layer] = W[layer] * a[layer - 1] + b[layer]
        a[layer] = Z[layer].applyfunc(f)
    proto = Network(L, x, y, W, b, Z, a, z_form, cost, {}, {})
    dW = {
        layer: proto.to_z(W[layer].applyfunc(lambda w: sp.diff(cost, w)))
        for layer in range(1, L + 1)
    }
    db = {
        layer: proto.to_z(b[layer].applyfunc(lambda v: sp.diff(cost, v)))
        for layer in range(1, L + 1)
    }
    net = Network(L, x, y, W, b, Z, a, z_form, cost, dW, db)
    leftover = set().union(*[m.free_symbols for m in [*dW.values(), *db.values()]])
    if leftover & set().union(*[m.free_symbols for m in b.values()]):
        raise RuntimeError("z-form rewrite left biases inside the gradients")
    return net


def _composed_claim(net: Network) -> Claim:
    """Eq. (6) as printed (nested) against eq. (4) iterated from a^0 = x."""
    L = net.L
    x, W, b = net.x, net.W, net.b
    printed6 = (
        W[3] * (W[2] * (W[1] * x + b[1]).applyfunc(sigma) + b[2]).applyfunc(sigma) + b[3]
    ).applyfunc(sigma)
    iterated: sp.Matrix = x
    for layer in range(1, L + 1):
        iterated = (W[layer] * iterated + b[layer]).applyfunc(sigma)
    j6 = judge(printed6, iterated, net.parameters[: -len(net.y)], functions=CONCRETE)
    tanh = sp.Lambda(_t, sp.tanh(_t))
    concrete6 = printed6.subs(sigma, tanh).doit()
    spec6 = NumericSpec(
        variables=tuple(net.parameters[: -len(net.y)]),
        definition=concrete6,
        wrt=(),
        paper=concrete6,
        truth=iterated.subs(sigma, tanh).doit(),
        sample=weight_sampler(net.parameters[: -len(net.y)]),
    )
    return make_claim(
        id="network.composed",
        ref="eq. 6",
        family="network",
        title="Full forward pass as nested composition = eq. 4 iterated",
        printed=r"\mathbf{a}^L = \sigma(W^L\sigma(W^{L-1}\sigma(\dots\sigma(W^1\mathbf{x} + "
        r"\mathbf{b}^1)\dots) + \mathbf{b}^{L-1}) + \mathbf{b}^L)",
        expected=Verdict.HOLDS,
        judgement=j6,
        paper=printed6,
        truth=iterated,
        note=f"Checked for L = 3 with widths {WIDTHS} and abstract σ; the numerical "
        "check uses σ = tanh.",
        numeric=spec6,
    )


def network_claims() -> list[Claim]:
    """Claims of sec. 2 (eq. 1–6), in paper order."""
    net = network()
    L = net.L
    x, W, b = net.x, net.W, net.b
    a1 = (W[1] * x + b[1]).applyfunc(sigma)
    yhat = (W[2] * sp.Matrix(sp.symbols(f"a1_1:{WIDTHS[1] + 1}", real=True)) + b[2]).applyfunc(
        sigma_f
    )
    a_prev = sp.Matrix(sp.symbols(f"a2_1:{WIDTHS[2] + 1}", real=True))
    eq5 = (W[3] * a_prev + b[3]).applyfunc(sigma)
    return [
        make_claim(
            id="network.hidden_layer",
            ref="eq. 1",
            family="network",
            title="Hidden layer a^1 = σ(W^1 x + b^1)",
            printed=r"\mathbf{a}^1 = \sigma(\mathbf{z}^1) = \sigma(W^1\mathbf{x} + \mathbf{b}^1)",
            expected=Verdict.DEFINITION,
            judgement=define(a1, [*x, *W[1], *b[1]]),
            paper=a1,
        ),
        make_claim(
            id="network.output_layer",
            ref="eq. 2",
            family="network",
            title="Output ŷ = σ_f(W^2 a^1 + b^2)",
            printed=r"\hat{\mathbf{y}} = \sigma_f(\mathbf{z}^2) = \sigma_f(W^2\mathbf{a}^1 + "
            r"\mathbf{b}^2)",
            expected=Verdict.DEFINITION,
            judgement=define(yhat, list(yhat.free_symbols)),
            paper=yhat,
            note="Eq. 5 and 6 later write σ for the output activation too.",
        ),
        make_claim(
            id="network.preactivation",
            ref="eq. 3",
            family="network",
            title="Pre-activation z = W x + b",
            printed=r"\mathbf{z} = W\mathbf{x} + \mathbf{b}",
            expected=Verdict.DEFINITION,
            judgement=define(W[1] * x + b[1], [*x, *W[1], *b[1]]),
            paper=W[1] * x + b[1],
        ),
        make_claim(
            id="network.layer",
            ref="eq. 4",
            family="network",
            title="Forward pass of layer l: a^l = σ(W^l a^{l−1} + b^l)",
            printed=r"\mathbf{a}^l = \sigma(\mathbf{z}^l) = \sigma(W^l\mathbf{a}^{l-1} + "
            r"\mathbf{b}^l)",
            expected=Verdict.DEFINITION,
            judgement=define(eq5, list(eq5.free_symbols)),
            paper=eq5,
            note=f"W^l has shape (n_l, n_(l-1)); checked instance widths {WIDTHS}.",
        ),
        make_claim(
            id="network.last_layer",
            ref="eq. 5",
            family="network",
            title="Final layer a^L = σ(W^L a^{L−1} + b^L): eq. 4 at l = L",
            printed=r"\mathbf{a}^L = \sigma(W^L\mathbf{a}^{L-1} + \mathbf{b}^L)",
            expected=Verdict.HOLDS,
            judgement=judge(
                eq5,
                (W[L] * a_prev + b[L]).applyfunc(sigma),
                list(eq5.free_symbols),
                functions=CONCRETE,
            ),
            paper=eq5,
        ),
        _composed_claim(net),
    ]

"""Training claims: Algorithm 1, the learning-rate schedule eq. (23), initialisation, eq. (24)."""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy.stats import Normal, std, variance

from derivations.claims import Claim, Method, NumericSpec, Verdict
from derivations.judge import Judgement, define, judge, make_claim
from derivations.sampling import integer_sampler

__all__ = ["MINI_BATCH_EXAMPLE", "training_claims"]

MINI_BATCH_EXAMPLE = (6, 3)
"""(N, K_mb): six samples split into three mini-batches of two, for Algorithm 1."""

N = sp.Symbol("N", integer=True, positive=True)
K_mb = sp.Symbol("K_mb", integer=True, positive=True)
eta0 = sp.Symbol("eta_0", positive=True)
i_epoch = sp.Symbol("i_epoch", integer=True, positive=True)
N_epochs = sp.Symbol("N_epochs", integer=True, positive=True)


def _reader(expr: sp.Expr) -> str:
    """A short SymPy expression in reader notation (η_0, not eta_0; − for a minus)."""
    return str(expr).replace("eta_0", "η_0").replace("-", "−")


def eta(i: sp.Expr, total: sp.Expr = N_epochs) -> sp.Expr:
    """Learning-rate schedule, eq. (23)."""
    return eta0 * (1 - i / (1 + total))


def _schedule_sample(rng: np.random.Generator) -> dict[sp.Symbol, float]:
    total = int(rng.integers(5, 200))
    return {
        eta0: float(rng.uniform(0.01, 1.0)),
        N_epochs: float(total),
        i_epoch: float(rng.integers(1, total + 1)),
    }


def _algorithm_claims() -> list[Claim]:
    def loop_sample(rng: np.random.Generator) -> dict[sp.Symbol, float]:
        k = int(rng.integers(2, 12))
        return {K_mb: float(k), N: float(k * int(rng.integers(2, 50)))}

    j_loop = judge(N / K_mb, K_mb, [N, K_mb], loop_sample)
    n, k = MINI_BATCH_EXAMPLE
    g = list(sp.symbols(f"g1:{n + 1}", real=True))  # per-sample gradients, shuffled order
    size = n // k
    batches = [g[b * size : (b + 1) * size] for b in range(k)]
    batch_means = [sp.Add(*batch) / size for batch in batches]
    printed_step = sp.Add(*batch_means) / k  # step 10: average over batches, one update
    full_batch = sp.Add(*g) / n
    sgd_first = batch_means[0]  # mini-batch SGD: update after batch 1 with its own mean

    def g_sample(rng: np.random.Generator) -> dict[sp.Symbol, float]:
        return {v: float(rng.normal()) for v in g}

    is_full_batch = judge(printed_step, full_batch, g, g_sample).verdict is Verdict.HOLDS
    j_sgd = judge(printed_step, sgd_first, g, g_sample)
    return [
        make_claim(
            id="training.algorithm.batch_loop",
            ref="Algorithm 1",
            family="training",
            title="Step 5 splits into K_mb mini-batches; step 6 loops i_mb = 1 : N/K_mb",
            printed=r"\text{5: Split data into } K_{\text{mb}} \text{ mini batches; 6: for } "
            r"i_{\text{mb}} = 1 : N/K_{\text{mb}}",
            expected=Verdict.WRONG,
            judgement=j_loop,
            method=Method.INSPECTION,
            paper=N / K_mb,
            truth=K_mb,
            corrected=K_mb,
            corrected_printed=r"\text{5: Split data into } K_{\text{mb}} \text{ mini batches; "
            r"6: for } i_{\text{mb}} = 1 : K_{\text{mb}}",
            note="With K_mb batches the loop must run K_mb times (or, if K_mb is the batch size, "
            "step 5 must say N/K_mb batches); the two agree only when N = K_mb².",
        ),
        make_claim(
            id="training.algorithm.sgd",
            ref="Algorithm 1",
            family="training",
            title="Algorithm 1 is SGD with mini-batches (sec. 5)",
            printed=r"\text{10: Average the } \nabla W^l_{i_{\text{mb}}}, "
            r"\nabla b^l_{i_{\text{mb}}}\text{ and update } W^l, b^l \text{ (after the loop)}",
            expected=Verdict.WRONG,
            judgement=j_sgd,
            method=Method.INSPECTION,
            paper=printed_step,
            truth=sgd_first,
            corrected=sp.Symbol("update W^l, b^l inside the batch loop, once per mini-batch"),
            corrected_printed="Move step 10 inside the loop of step 6: after the back "
            "propagation of each mini-batch, update W^l and b^l with that batch's mean "
            "gradients (K_mb updates per epoch). That is mini-batch SGD.",
            corrected_prose=True,
            note=f"Step 10 sits outside the loop: one update per epoch with the average of the "
            f"batch-mean gradients, which for equal batches is exactly the full-batch mean "
            f"gradient (checked symbolically for N = {n}, K_mb = {k}: "
            f"{'holds' if is_full_batch else 'does not hold'}). That is "
            "full-batch gradient descent: the shuffle in step 4 and the split in step 5 have no "
            "effect on the update. Mini-batch SGD updates after every batch (K_mb updates per "
            "epoch); paper vs truth here is the first update's direction.",
            extra={"printed_update_is_full_batch": is_full_batch},
        ),
    ]


def _eq23_claim() -> Claim:
    """Eq. (23): the linear learning-rate schedule, a definition (with its slope)."""
    schedule = eta(i_epoch)
    variables = [eta0, i_epoch, N_epochs]
    slope = sp.diff(schedule, i_epoch)
    return make_claim(
        id="training.lr_schedule",
        ref="eq. 23",
        family="training",
        title="η(i) = η_0 (1 − i/(1 + N_epochs))",
        printed=r"\eta(i_{\text{epoch}}) = \eta_0\left(1 - \frac{i_{\text{epoch}}}"
        r"{1 + N_{\text{epochs}}}\right)",
        expected=Verdict.DEFINITION,
        judgement=define(schedule, variables),
        paper=schedule,
        note=f"Slope ∂η/∂i_epoch = {_reader(slope)} (< 0: decreasing). With i_epoch "
        "starting at 1 (Algorithm 1) the first epoch already uses η_0 N/(N + 1), not η_0.",
        numeric=NumericSpec(
            variables=tuple(variables),
            definition=schedule,
            wrt=(),
            paper=schedule,
            truth=schedule,
            sample=_schedule_sample,
        ),
    )


def _inverse_claim() -> Claim:
    """Sec. 5.1: 'inversely decreasing', read as η_0/(1 + i), against eq. (23)."""
    schedule = eta(i_epoch)
    variables = [eta0, i_epoch, N_epochs]
    inverse = eta0 / (1 + i_epoch)  # an inverse-time decay with the same η at i = 0
    j_inverse = judge(inverse, schedule, variables, _schedule_sample)
    curvature = sp.diff(schedule, i_epoch, 2)
    return make_claim(
        id="training.lr_schedule.inverse",
        ref="sec. 5.1",
        family="training",
        title="'Inversely decreasing as a function of the epochs'",
        printed=r"\text{inversely decreasing as a function of the epochs}",
        expected=Verdict.WRONG,
        judgement=j_inverse,
        paper=inverse,
        truth=schedule,
        corrected=schedule,
        corrected_printed=r"\eta(i_{\text{epoch}}) = \eta_0\left(1 - "
        r"\frac{i_{\text{epoch}}}{1 + N_{\text{epochs}}}\right) \text{ decreases linearly "
        r"in } i_{\text{epoch}} \text{ (not inversely)}",
        corrected_instance="eq. 23, symbolic in all its symbols",
        note=f"Eq. 23 is linear in i_epoch (second derivative {curvature}); an inverse decay "
        "η_0/(1 + i) is not. Corrected wording: 'linearly decreasing'.",
        extra={
            "checker_reading": "the paper says 'inversely decreasing' in words; the checker "
            "reads "
            "it as an inverse decay η_0/(1 + i_epoch) and compares it with eq. 23"
        },
        numeric=NumericSpec(
            variables=tuple(variables),
            definition=schedule,
            wrt=(),
            paper=inverse,
            truth=schedule,
            sample=_schedule_sample,
        ),
    )


def _endpoint_claim() -> Claim:
    """Sec. 5.1: 'decrease toward 0 as we close in on N_epochs', against eq. (23) at i = N."""
    schedule = eta(i_epoch)
    end = schedule.subs(i_epoch, N_epochs)
    limit = sp.limit(end / eta0, N_epochs, sp.oo)
    j_end = judge(
        sp.Integer(0),
        end,
        [eta0, N_epochs],
        _schedule_sample,
        conditional=(sp.Integer(0), eta0 * limit),
        condition="only as N_epochs → ∞: at the last epoch η = η_0/(N_epochs + 1) > 0 "
        "(η = 0 would need i_epoch = N_epochs + 1)",
    )
    return make_claim(
        id="training.lr_schedule.endpoint",
        ref="sec. 5.1",
        family="training",
        title="'Decrease toward 0 as we close in on N_epochs'",
        printed=r"\text{force the step size to decrease toward 0 as we close in on } "
        r"N_{\text{epochs}}",
        expected=Verdict.HOLDS_IF,
        judgement=j_end,
        paper=sp.Integer(0),
        truth=end,
        note=f"η(N_epochs) = {_reader(sp.simplify(end))}; η(N_epochs)/η_0 → {limit} as "
        "N_epochs → ∞.",
    )


def _schedule_claims() -> list[Claim]:
    """Eq. (23) and sec. 5.1's words about it."""
    return [_eq23_claim(), _inverse_claim(), _endpoint_claim()]


_X = Normal("X", 0, 1)
"""A standard normal draw (sec. 5.2)."""
n_train = sp.Symbol("N_train", integer=True, positive=True)
"""N_train, the number of training samples (sec. 5.2)."""
n_in = sp.Symbol("n_in", integer=True, positive=True)
"""n_in, a layer's fan-in."""


def _init_scale_claim() -> Claim:
    """Sec. 5.2: 'a Gaussian divided by N_train' vs '(0, 1/N_train)', under both readings."""
    X = _X
    divided = sp.simplify(variance(X / n_train))  # 'Gaussian divided by N_train'
    printed_var = 1 / n_train  # '(0, 1/N_train)' read as N(mean, variance)

    def n_sample(rng: np.random.Generator) -> dict[sp.Symbol, float]:
        return {n_train: float(rng.integers(2, 5000))}

    divided_std = sp.simplify(std(X / n_train))
    printed_std = 1 / n_train  # '(0, 1/N_train)' read as (mean, standard deviation)
    scale_condition = (
        "(0, 1/N_train) read as (mean, standard deviation), the convention of "
        "numpy.random.normal(loc, scale): a standard normal divided by N_train has standard "
        "deviation 1/N_train; read as (mean, variance) the two descriptions disagree"
    )
    j_scale = judge(
        divided,
        printed_var,
        [n_train],
        n_sample,
        conditional=(divided_std, printed_std),
        condition=scale_condition,
    )
    return make_claim(
        id="training.init.scale",
        ref="sec. 5.2",
        family="training",
        title="'Gaussian divided by N_train' vs '(0, 1/N_train)': ambiguous notation",
        printed=r"\text{a Gaussian distribution but divided by the number of training "
        r"samples, } (0, 1/N_{\text{train}})",
        expected=Verdict.HOLDS_IF,
        judgement=j_scale,
        paper=divided,
        truth=printed_var,
        corrected=sp.Eq(sp.Symbol("sigma_W"), printed_std),
        note="The notation (0, s) does not say whether s is a variance or a standard "
        "deviation. Dividing a standard normal by N_train gives standard deviation "
        "1/N_train (variance 1/N_train², sympy.stats), which is (0, 1/N_train) as "
        "numpy.random.normal(0, 1/N_train) reads it; as N(mean, variance) it would be "
        "1/√N_train. The finding that matters is not the notation but what sets the scale: "
        "the number of training samples, not the number of inputs of the layer (see the entry "
        "'Initial weight scale set by the number of training samples, not the fan-in').",
        numeric=NumericSpec(
            variables=(n_train,),
            definition=printed_std,
            wrt=(),
            paper=divided_std,
            truth=printed_std,
            sample=integer_sampler(n_train, 2, 5000),
        ),
    )


def _init_fan_in_claim() -> Claim:
    """Sec. 5.2: the initial scale is set by N_train, not by the layer's fan-in."""
    printed_var = 1 / n_train  # '(0, 1/N_train)' read as N(mean, variance)
    printed_std = 1 / n_train  # '(0, 1/N_train)' read as (mean, standard deviation)
    var_z = sp.simplify(n_in * printed_var)  # Var(Σ_k W_k x_k), unit-variance independent x_k
    digits = var_z.subs({n_in: 64, n_train: 1437})
    var_z_std = sp.simplify(n_in * printed_std**2)
    digits_std = var_z_std.subs({n_in: 64, n_train: 1437})
    j_conv = Judgement(
        Verdict.CONVENTION,
        Method.INSPECTION,
        None,
        None,
        "a choice: the text does not claim any variance preservation",
        "inspection",
    )
    return make_claim(
        id="training.init.fan_in",
        ref="sec. 5.2",
        family="training",
        title="Initial weight scale set by the number of training samples, not the fan-in",
        printed=r"(0, 1/N_{\text{train}}) \text{ ... by default use in our neural network}",
        expected=Verdict.CONVENTION,
        judgement=j_conv,
        paper=printed_var,
        truth=1 / n_in,
        note=f"Under either reading of (0, 1/N_train) the scale depends on the data-set "
        f"size, not on the layer: with unit-variance inputs Var(z) = {var_z} if 1/N_train is "
        f"the variance, {var_z_std} if it is the standard deviation (for 64 inputs and 1437 "
        f"training digits {float(digits):.3f} or {float(digits_std):.1e}). Fan-in scaling "
        "(LeCun, Var(W) = 1/n_in, shown as the derived truth) keeps Var(z) = 1; Glorot uses "
        "2/(n_in + n_out).",
    )


def _init_claims() -> list[Claim]:
    """Sec. 5.2: the initial weight distribution."""
    return [_init_scale_claim(), _init_fan_in_claim()]


def _accuracy_claim() -> Claim:
    n = 4
    t = list(sp.symbols(f"t1:{n + 1}", integer=True))
    yv = list(sp.symbols(f"y1:{n + 1}", integer=True))
    accuracy = (
        sp.Add(*[sp.Piecewise((1, sp.Eq(p, q)), (0, True)) for p, q in zip(t, yv, strict=True)]) / n
    )
    return make_claim(
        id="training.accuracy",
        ref="eq. 24",
        family="training",
        title="Accuracy = Σ I(t_i = y_i) / n",
        printed=r"\text{Accuracy} = \frac{\sum_{i=1}^n I(t_i = y_i)}{n}",
        expected=Verdict.DEFINITION,
        judgement=define(accuracy, [*t, *yv]),
        paper=accuracy,
        note="The fraction of correct predictions, in [0, 1]; the sum runs i = 1..n (n terms).",
    )


def training_claims() -> list[Claim]:
    """Claims of sec. 5 (Algorithm 1, eq. 23, sec. 5.1, 5.2, eq. 24), in paper order."""
    return [*_algorithm_claims(), *_schedule_claims(), *_init_claims(), _accuracy_claim()]

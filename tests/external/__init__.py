"""External-code corpus: backprop written the way other codebases write it, correct and bugged.

Own re-implementations in the style of Nielsen's network.py/network2.py, micrograd, CS231n's
two-layer net and min-char-rnn, plus scikit-learn's installed MLP gradients, float32 models behind
float64 interfaces and relu exactly at its kink. Each :class:`~tests.external.adapt.Case` gives
``params`` in the codebase's native structure, ``f``, ``grad`` and ``value_and_grad``.
"""

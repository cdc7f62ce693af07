"""The paper's harness: every check the gate runs, each module one group of checks.

``claims`` (printed forms vs derived truth, JAX, finite differences, mpmath), ``network`` (the
NumPy MLP against the JAX reference, block by block), ``kinks`` (one-sided derivatives at the
kinks), ``training`` (SGD semantics), ``experiments`` (the paper's training claims on real
data) and ``jax_reference`` (the float64 JAX implementation, independent of ``mlp/``).
"""

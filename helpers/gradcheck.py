"""Gradient checking by finite differences (notebook 06_numerics)."""
import numpy as onp


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference gradient of a scalar function (notebook 06_numerics).

    f: function of a float64 NumPy array returning a number; x: array of any shape.
    Returns an array of x's shape: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for each i.
    """
    x = onp.array(x, dtype=onp.float64)
    grad = onp.zeros_like(x)
    for i in onp.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        f_plus = float(f(x))
        x[i] = old - eps
        f_minus = float(f(x))
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def check_gradient(f, x, grad, eps=1e-6, rtol=1e-5, atol=1e-7):
    """Assert that `grad` is the gradient of f at x, by central differences (notebook 06_numerics).

    x, grad: arrays of the same shape. Raises AssertionError naming the worst entry.
    Returns the largest relative error.
    """
    grad = onp.asarray(grad, dtype=onp.float64)
    expected = numerical_gradient(f, x, eps)
    if grad.shape != expected.shape:
        raise AssertionError(f"gradient has shape {grad.shape}, x has shape {expected.shape}")
    error = onp.abs(grad - expected) / onp.maximum(onp.abs(expected), atol / rtol)
    worst = onp.unravel_index(onp.argmax(error), error.shape) if error.size else ()
    if error.size and error[worst] > rtol:
        raise AssertionError(
            f"gradient differs from finite differences at index {tuple(int(i) for i in worst)}: "
            f"got {grad[worst]:.6g}, numerically {expected[worst]:.6g} "
            f"(relative error {error[worst]:.2g} > {rtol:g})")
    return float(error.max()) if error.size else 0.0

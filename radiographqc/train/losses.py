"""Heatmap losses: mean squared error and the adaptive wing loss (Wang et al., ICCV 2019)."""

from __future__ import annotations

import torch


def mse_loss(pred, target):
    return torch.mean((pred - target) ** 2)


def adaptive_wing_loss(pred, target, omega=14.0, theta=0.5, epsilon=1.0, alpha=2.1):
    """Adaptive wing loss: near-L1 gradient for small errors on the peak, MSE-like on background.

    The exponent alpha - y makes the loss sharper where the target is high (on the peak), which
    keeps the gradient from vanishing on the few foreground pixels.
    """
    delta = (target - pred).abs()
    power = alpha - target
    ratio = theta / epsilon
    a = omega * (1.0 / (1.0 + ratio ** power)) * power * ratio ** (power - 1.0) / epsilon
    c = theta * a - omega * torch.log1p(ratio ** power)
    small = omega * torch.log1p((delta / epsilon) ** power)
    large = a * delta - c
    return torch.where(delta < theta, small, large).mean()


LOSSES = {"mse": mse_loss, "awing": adaptive_wing_loss}

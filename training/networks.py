"""The emotion network: a small TDNN with valid (unpadded) dilated convolutions over time,
attentive statistics pooling, an emotion head and a speech/non-speech head.

Valid convolutions make each pooled frame depend only on its own receptive field, so a
stream can compute only the frames that new audio adds and keep the rest in a ring
(issue 14); the input normalisation (normalize.py) never rewrites past frames either.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

# (out channels, kernel, dilation) per layer.
LAYERS = [(32, 5, 1), (48, 3, 2), (48, 3, 3), (64, 3, 4), (96, 1, 1)]


def receptive_field(layers=LAYERS) -> int:
    return 1 + sum((k - 1) * d for _, k, d in layers)


class AttentivePooling(nn.Module):
    """Attention-weighted mean and standard deviation over time (x-vector style)."""

    def __init__(self, channels: int, hidden: int = 32):
        super().__init__()
        self.score = nn.Sequential(nn.Conv1d(channels, hidden, 1), nn.Tanh(), nn.Conv1d(hidden, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [batch, channels, frames]
        w = torch.softmax(self.score(x), dim=2)
        mean = (w * x).sum(dim=2)
        var = (w * x * x).sum(dim=2) - mean * mean
        return torch.cat([mean, torch.sqrt(var.clamp(min=1e-6))], dim=1)


class EmotionTdnn(nn.Module):
    """Input [batch, frames, coefficients] (normalised); output [batch, n_labels + 1]:
    emotion logits, then the speech logit."""

    def __init__(self, n_in: int, n_labels: int, layers=LAYERS, dropout: float = 0.3):
        super().__init__()
        body, c_in = [], n_in
        for c_out, k, d in layers:
            body += [nn.Conv1d(c_in, c_out, k, dilation=d, bias=False), nn.BatchNorm1d(c_out), nn.ReLU()]
            c_in = c_out
        self.body = nn.Sequential(*body)
        self.pool = AttentivePooling(c_in)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(2 * c_in, n_labels + 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.pool(self.body(x.transpose(1, 2)))))


def count_mflops(model: nn.Module, shape: list[int]) -> float:
    """Multiply-adds x2 of one forward pass over Conv and Linear layers (the rest is noise)."""
    total = 0

    def hook(layer, _inputs, output):
        nonlocal total
        if isinstance(layer, nn.Conv1d):
            total += 2 * output.numel() * layer.in_channels // layer.groups * int(np.prod(layer.kernel_size))
        elif isinstance(layer, nn.Linear):
            total += 2 * output.numel() * layer.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Linear))]
    with torch.no_grad():
        model.eval()(torch.zeros(*shape))
    for h in handles:
        h.remove()
    return total / 1e6

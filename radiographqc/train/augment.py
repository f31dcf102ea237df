"""Random geometric and intensity augmentation of letterboxed images, and Gaussian heatmaps.

Everything runs on whole batches with torch, on the GPU when training has one. The geometric
transform maps a source canvas (the letterboxed image) to the network input; points follow the
same matrix, and a point that leaves the input becomes absent (all-zero heatmap), which is how a
model learns to say "not in the image".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class AugmentConfig:
    rotate_deg: float = 10.0         # uniform in ±rotate_deg
    scale: tuple = (0.9, 1.1)        # zoom factor range (>1 enlarges)
    shift: float = 0.05              # uniform shift, as a fraction of the input size
    focus_prob: float = 0.0          # chance to centre the zoom on the `focus` landmarks
    gamma: tuple = (0.7, 1.4)
    contrast: tuple = (0.8, 1.2)
    brightness: float = 0.08
    noise_sd: float = 0.02


def random_matrices(batch, source_size, size, config, generator, focus_xy=None, device="cpu"):
    """(batch, 3, 3) matrices from source-canvas pixels to input pixels.

    `focus_xy` (batch, 2): source-pixel centres of interest (NaN = none) that the zoom is centred on
    with probability `config.focus_prob`, at a random point between them and the canvas centre.
    """
    def uniform(low, high):
        return low + (high - low) * torch.rand(batch, generator=generator, device=device)

    angle = uniform(-config.rotate_deg, config.rotate_deg) * math.pi / 180.0
    zoom = uniform(*config.scale) * size / source_size
    centre = torch.full((batch, 2), (source_size - 1) / 2.0, device=device)
    if focus_xy is not None and config.focus_prob > 0:
        use = (torch.rand(batch, generator=generator, device=device) < config.focus_prob)
        use &= torch.isfinite(focus_xy).all(dim=1)
        towards = uniform(0.0, 1.0)[:, None]
        focused = centre + towards * (torch.nan_to_num(focus_xy) - centre)
        centre = torch.where(use[:, None], focused, centre)
    offset = (uniform(-config.shift, config.shift), uniform(-config.shift, config.shift))
    target = torch.stack(offset, dim=1) * size + (size - 1) / 2.0
    cos, sin = torch.cos(angle) * zoom, torch.sin(angle) * zoom
    matrix = torch.zeros(batch, 3, 3, device=device)
    matrix[:, 0, 0], matrix[:, 0, 1] = cos, -sin
    matrix[:, 1, 0], matrix[:, 1, 1] = sin, cos
    matrix[:, :2, 2] = target - torch.einsum("bij,bj->bi", matrix[:, :2, :2], centre)
    matrix[:, 2, 2] = 1.0
    return matrix


def warp_images(images, matrices, size):
    """Resample (B, 1, S_src, S_src) images to (B, 1, size, size) under source->input matrices."""
    source_size = images.shape[-1]
    coords = torch.arange(size, device=images.device, dtype=images.dtype)
    grid_y, grid_x = torch.meshgrid(coords, coords, indexing="ij")
    pixels = torch.stack([grid_x, grid_y, torch.ones_like(grid_x)], dim=-1).reshape(-1, 3)
    source = torch.einsum("bij,pj->bpi", torch.linalg.inv(matrices), pixels)[..., :2]
    normalised = (2.0 * source + 1.0) / source_size - 1.0      # align_corners=False convention
    grid = normalised.reshape(-1, size, size, 2)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def warp_points(points, matrices, size):
    """Move (B, K, 2) source points (NaN = absent) by the matrices; points off the input -> NaN."""
    ones = torch.ones_like(points[..., :1])
    moved = torch.einsum("bij,bkj->bki", matrices, torch.cat([points, ones], dim=-1))[..., :2]
    inside = ((moved >= -0.5) & (moved <= size - 0.5)).all(dim=-1, keepdim=True)
    return torch.where(inside, moved, torch.full_like(moved, float("nan")))


def jitter_intensity(images, config, generator):
    """Random gamma, contrast, brightness and Gaussian noise on 0..1 images, clipped to 0..1."""
    batch = images.shape[0]
    device = images.device

    def uniform(low, high):
        return (low + (high - low) * torch.rand(batch, 1, 1, 1, generator=generator,
                                                device=device))

    out = images.clamp(0.0, 1.0) ** uniform(*config.gamma)
    out = (out - 0.5) * uniform(*config.contrast) + 0.5
    out = out + uniform(-config.brightness, config.brightness)
    noise = torch.randn(images.shape, generator=generator, device=device)
    out = out + noise * uniform(0.0, config.noise_sd)
    return out.clamp(0.0, 1.0)


def render_heatmaps(points, size, sigma):
    """(B, K, size, size) Gaussians of peak 1 at (B, K, 2) points; zero maps for NaN points."""
    coords = torch.arange(size, device=points.device, dtype=points.dtype)
    present = torch.isfinite(points).all(dim=-1)
    safe = torch.nan_to_num(points, nan=-1e4)
    gx = torch.exp(-((coords - safe[..., 0:1]) ** 2) / (2 * sigma ** 2))      # (B, K, W)
    gy = torch.exp(-((coords - safe[..., 1:2]) ** 2) / (2 * sigma ** 2))      # (B, K, H)
    maps = gy[..., :, None] * gx[..., None, :]
    return maps * present[..., None, None].to(maps.dtype)

"""Global-local heatmap network built from MONAI's BasicUNet (after GU2Net, Zhu et al. 2021).

A local U-Net sees the full-resolution input and locates landmarks precisely; a global U-Net sees
a downsampled copy whose receptive field covers the whole image, and tells which finger or bone a
peak belongs to. The output is the product of both sigmoid maps: a peak survives only where both
agree, and lies in 0..1 like the Gaussian targets. The global maps get their own loss against
wider Gaussians (deep supervision, TrainConfig.aux_global_weight, on by default): through the product
alone, a landmark whose local map is near zero gives the global branch almost no gradient, and 12 of
the 37 hand landmarks (wrist, carpals, thumb) were never learnt that way.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from monai.networks.nets import BasicUNet
from torch import nn


class GlobalLocalNet(nn.Module):
    def __init__(self, landmarks, local_features=(16, 24, 48, 64, 96, 16),
                 global_features=(16, 32, 48, 64, 96, 16), global_factor=4):
        super().__init__()
        self.global_factor = int(global_factor)
        self.local_net = BasicUNet(spatial_dims=2, in_channels=1, out_channels=landmarks,
                                   features=tuple(local_features))
        self.global_net = BasicUNet(spatial_dims=2, in_channels=1, out_channels=landmarks,
                                    features=tuple(global_features))

    def forward(self, image):
        return self.forward_parts(image)[0]

    def forward_parts(self, image):
        """(output heatmaps, global heatmaps) at input size; the latter for an auxiliary loss."""
        coarse = F.avg_pool2d(image, self.global_factor)
        global_maps = torch.sigmoid(F.interpolate(self.global_net(coarse), size=image.shape[-2:],
                                                  mode="bilinear", align_corners=False))
        return torch.sigmoid(self.local_net(image)) * global_maps, global_maps


def build_network(config, landmarks):
    return GlobalLocalNet(landmarks, config.local_features, config.global_features,
                          config.global_factor)


def parameter_count(network):
    return sum(p.numel() for p in network.parameters())

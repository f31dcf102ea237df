"""U-Net with spatial-and-channel squeeze-and-excitation (scSE) blocks, from MONAI components.

scSE after Roy, Navab & Wachinger (MICCAI 2018): the channel branch (MONAI's ChannelSELayer)
re-weights feature maps by a gate computed from their global average; the spatial branch re-weights
pixels by a 1x1 convolution and a sigmoid. The two recalibrated maps are added. Each encoder and
decoder stage is a MONAI ResidualUnit (two 3x3 conv + instance norm + PReLU) followed by scSE;
downsampling is the stride-2 first convolution of a stage, upsampling a stride-2 transposed conv.
"""

from __future__ import annotations

import torch
from monai.networks.blocks import ChannelSELayer, Convolution, ResidualUnit
from torch import nn


class SpatialSE(nn.Module):
    """x * sigmoid(1x1 conv(x)): one gate per pixel, shared by all channels."""

    def __init__(self, channels):
        super().__init__()
        self.gate = nn.Conv2d(channels, 1, kernel_size=1)

    def forward(self, x):
        return x * torch.sigmoid(self.gate(x))


class SCSE(nn.Module):
    def __init__(self, channels, reduction=2):
        super().__init__()
        self.channel = ChannelSELayer(2, channels, r=reduction)
        self.spatial = SpatialSE(channels)

    def forward(self, x):
        return self.channel(x) + self.spatial(x)


def _stage(in_channels, out_channels, stride):
    return nn.Sequential(ResidualUnit(2, in_channels, out_channels, strides=stride, subunits=2),
                         SCSE(out_channels))


class SCSEUNet(nn.Module):
    """Encoder-decoder with skip connections; returns one logit map per output channel."""

    def __init__(self, out_channels, features=(16, 32, 48, 64, 96, 128), in_channels=1):
        super().__init__()
        features = tuple(int(f) for f in features)
        self.down = nn.ModuleList(
            [_stage(in_channels, features[0], 1)]
            + [_stage(features[i - 1], features[i], 2) for i in range(1, len(features))])
        self.up = nn.ModuleList(
            [Convolution(2, features[i], features[i - 1], strides=2, kernel_size=3,
                         is_transposed=True) for i in range(len(features) - 1, 0, -1)])
        self.merge = nn.ModuleList(
            [_stage(2 * features[i - 1], features[i - 1], 1)
             for i in range(len(features) - 1, 0, -1)])
        self.head = nn.Conv2d(features[0], out_channels, kernel_size=1)

    def forward(self, x):
        skips = []
        for stage in self.down:
            x = stage(x)
            skips.append(x)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips[:-1])):
            x = merge(torch.cat([up(x), skip], dim=1))
        return self.head(x)


class Probabilities(nn.Module):
    """The exported graph: sigmoid of the logits (channels overlap: L3 lies inside the bodies)."""

    def __init__(self, network):
        super().__init__()
        self.network = network

    def forward(self, x):
        return torch.sigmoid(self.network(x))


def parameter_count(network):
    return sum(p.numel() for p in network.parameters())

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

    def features(self, x):
        """The last decoder stage's maps (features[0] channels, full resolution)."""
        skips = []
        for stage in self.down:
            x = stage(x)
            skips.append(x)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips[:-1])):
            x = merge(torch.cat([up(x), skip], dim=1))
        return x

    def forward(self, x):
        return self.head(self.features(x))


class ChannelHead(nn.Module):
    """One channel's own head: dilated 3x3 convolutions on the U-Net's last features and the image
    (receptive field 2 * sum(dilations) + 1 pixels), so that it can follow a thin structure beside
    what the features locate (the rims of L3's endplates, the gaps between bodies)."""

    def __init__(self, feature_channels, width=16, dilations=(1, 2, 4, 8)):
        super().__init__()
        layers, channels = [], feature_channels + 1
        for dilation in dilations:
            layers += [nn.Conv2d(channels, width, 3, padding=dilation, dilation=dilation),
                       nn.PReLU(width)]
            channels = width
        self.layers = nn.Sequential(*layers, nn.Conv2d(width, 1, kernel_size=1))

    def forward(self, features, image):
        return self.layers(torch.cat([features, image], dim=1))


class OwnHeads(nn.Module):
    """A U-Net some of whose channels come from their own ChannelHead instead of the shared 1x1
    head; the heads are trained on the frozen U-Net (seg_refine), so every other channel is the
    U-Net's unchanged."""

    def __init__(self, unet, heads):
        super().__init__()
        self.unet = unet
        self.indices = [int(index) for index in heads]      # {channel index: ChannelHead}
        self.heads = nn.ModuleList(heads.values())

    def forward(self, x):
        features = self.unet.features(x)
        logits = list(self.unet.head(features).split(1, dim=1))
        for index, head in zip(self.indices, self.heads):
            logits[index] = head(features, x)
        return torch.cat(logits, dim=1)


class Probabilities(nn.Module):
    """The exported graph: sigmoid of the logits (channels overlap: L3 lies inside the bodies)."""

    def __init__(self, network):
        super().__init__()
        self.network = network

    def forward(self, x):
        return torch.sigmoid(self.network(x))


def parameter_count(network):
    return sum(p.numel() for p in network.parameters())

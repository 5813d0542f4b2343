"""Networks for the NEAT pipeline: VGG11, ResNet18 (CIFAR-style) and a small CNN.

All take ``(N, C, H, W)`` images (28×28×1 Fashion-MNIST or 32×32×3 CIFAR; any
size >= 8) and return logits ``(N, num_classes)``.  ``width`` multiplies every
channel count (rounded, at least 4) for CPU runs.  Every convolution and the
classifier are plain ``nn.Conv2d``/``nn.Linear`` layers (they become crossbar
layers under :func:`neat.convert`); batch norm, ReLU, pooling and the residual
additions are digital.

CIFAR-style adaptations: 3×3 first convolution with stride 1 and no stem
max-pool (ResNet18), a single linear classifier after global average pooling
(VGG11).  VGG11 pools 2×2 after the conv blocks only while the feature map is
at least 2×2 (28×28 inputs: 28→14→7→3→1, the fifth pool is skipped).
"""
from __future__ import annotations

import torch
import torch.nn as nn

__all__ = ["MODELS", "build_model", "VGG11", "ResNet18", "SmallCNN", "BasicBlock"]

MODELS = ("vgg11", "resnet18", "small_cnn")
_VGG11 = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


def _ch(c: int, width: float) -> int:
    return max(4, int(round(c * width)))


class VGG11(nn.Module):
    """VGG11 with batch norm (CIFAR-style: 3×3 convs, one linear classifier)."""

    def __init__(self, in_channels: int = 3, num_classes: int = 10, width: float = 1.0, image_size: int = 32):
        super().__init__()
        layers, c, size = [], in_channels, image_size
        for v in _VGG11:
            if v == "M":
                if size >= 2:
                    layers.append(nn.MaxPool2d(2))
                    size //= 2
                continue
            out = _ch(v, width)
            layers += [nn.Conv2d(c, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True)]
            c = out
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


class BasicBlock(nn.Module):
    """ResNet basic block (two 3×3 convs, identity or 1×1 projection shortcut)."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class ResNet18(nn.Module):
    """ResNet18 for small images (3×3 stem, stride 1, no stem pool; stages 64-128-256-512 × width)."""

    def __init__(self, in_channels: int = 3, num_classes: int = 10, width: float = 1.0, image_size: int = 32):
        super().__init__()
        c = _ch(64, width)
        self.conv1 = nn.Conv2d(in_channels, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.relu = nn.ReLU(inplace=True)
        stages = []
        for i, base in enumerate((64, 128, 256, 512)):
            out = _ch(base, width)
            stride = 1 if i == 0 else 2
            stages.append(nn.Sequential(BasicBlock(c, out, stride), BasicBlock(out, out, 1)))
            c = out
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


class SmallCNN(nn.Module):
    """Two conv blocks (32, 64 channels × width) and a linear classifier: quick runs and tests."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, width: float = 1.0, image_size: int = 28):
        super().__init__()
        c1, c2 = _ch(32, width), _ch(64, width)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, 3, padding=1, bias=False), nn.BatchNorm2d(c1), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1, bias=False), nn.BatchNorm2d(c2), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(2))
        self.classifier = nn.Linear(c2 * 4, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def build_model(name: str, in_channels: int, num_classes: int, width: float = 1.0, image_size: int = 32) -> nn.Module:
    """``name`` in :data:`MODELS`; ``width`` > 0 multiplies the channel counts."""
    if name not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {name!r}")
    if not (isinstance(width, (int, float)) and width > 0):
        raise ValueError(f"width must be a positive number, got {width!r}")
    if image_size < 8:
        raise ValueError(f"image_size must be >= 8, got {image_size}")
    cls = {"vgg11": VGG11, "resnet18": ResNet18, "small_cnn": SmallCNN}[name]
    return cls(in_channels=in_channels, num_classes=num_classes, width=float(width), image_size=image_size)

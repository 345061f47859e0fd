"""Image classifiers of the high-dimensional experiments, adapted to any input shape.

Every network returns logits; training uses cross-entropy on them (the sources' NLL of
log(softmax), computed stably) and the spectra use the softmax probabilities.

Every random draw of an initialisation comes from the generator passed in (the run's own, seeded).

- ``dnn``: flatten + fully connected tanh MLP (by default 784-400-200-10 on MNIST), PyTorch init.
- ``cnn``: the chapter's ``My_CNN``: Conv(C,32,3)–act–Conv(32,64,3)–act–MaxPool(2)–Linear(·,400)–act–
  Linear(400,10), xavier-uniform weights, default biases.
- ``vgg16``: the CIFAR VGG16 with BatchNorm of the authors' ``vgg.py`` (docs/experiments.md#sources): 3×3 convs + BN + ReLU, max-pools with
  ceil_mode, head Linear(512·h·w, 512)+BN1d+ReLU+Linear(512,10); kaiming-normal convs, N(0, 1e-3²)
  linears. A pool is left out once the feature map is 1×1, so 28×28 and 8×8 inputs work too.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from fpengine.models import activation, mlp, reset_parameters_

CLASSIFIERS = ("dnn", "cnn", "vgg16")
CNN_MIN_SIDE = 6
"""The chapter's CNN: two unpadded 3×3 convolutions and a 2×2 pool need images at least this wide."""
VGG16_LAYOUT: tuple[int | str, ...] = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


def dnn(input_shape: Sequence[int], n_classes: int, widths: Sequence[int] = (400, 200), activation_name: str = "tanh") -> nn.Module:
    features = int(torch.Size(input_shape).numel())
    return nn.Sequential(nn.Flatten(), mlp(features, widths, n_classes, activation_name))


def _pooled(size: int) -> int:
    """Side of a feature map after MaxPool2d(2, 2) without ceil_mode."""
    return size // 2


def chapter_cnn(input_shape: Sequence[int], n_classes: int, activation_name: str, generator: torch.Generator) -> nn.Module:
    channels, height, width = input_shape
    if min(height, width) < CNN_MIN_SIDE:
        raise ValueError(f"the chapter's CNN needs images of at least {CNN_MIN_SIDE}×{CNN_MIN_SIDE} pixels, got {height}×{width}")
    flat = 64 * _pooled(height - 4) * _pooled(width - 4)
    model = nn.Sequential(
        nn.Conv2d(channels, 32, 3),
        activation(activation_name),
        nn.Conv2d(32, 64, 3),
        activation(activation_name),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(flat, 400),
        activation(activation_name),
        nn.Linear(400, n_classes),
    )
    reset_parameters_(model, generator)
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(module.weight, generator=generator)
    return model


def vgg16(input_shape: Sequence[int], n_classes: int, generator: torch.Generator) -> nn.Module:
    channels, height, width = input_shape
    layers: list[nn.Module] = []
    for item in VGG16_LAYOUT:
        if item == "M":
            if height > 1 or width > 1:
                layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
                height, width = -(-height // 2), -(-width // 2)
            continue
        layers += [nn.Conv2d(channels, int(item), 3, padding=1), nn.BatchNorm2d(int(item)), nn.ReLU(inplace=True)]
        channels = int(item)
    model = nn.Sequential(
        *layers,
        nn.Flatten(),
        nn.Linear(channels * height * width, 512),
        nn.BatchNorm1d(512),
        nn.ReLU(inplace=True),
        nn.Linear(512, n_classes),
    )
    reset_parameters_(model, generator)
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_in", generator=generator)
            nn.init.zeros_(module.bias)
        elif isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, 0.0, 1e-3, generator=generator)
            nn.init.zeros_(module.bias)
    return model


def build_classifier(
    name: str,
    input_shape: Sequence[int],
    n_classes: int,
    activation_name: str = "tanh",
    widths: Sequence[int] = (400, 200),
    generator: torch.Generator | None = None,
) -> nn.Module:
    """``dnn`` | ``cnn`` | ``vgg16`` for images of ``input_shape`` = (channels, height, width),
    initialised from ``generator`` (None: a fresh one, with torch's default seed). ``activation_name``
    applies to dnn and cnn (VGG16 uses ReLU, as in its source)."""
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (channels, height, width), got {tuple(input_shape)}")
    generator = torch.Generator() if generator is None else generator
    if name == "dnn":
        model = dnn(input_shape, n_classes, widths, activation_name)
        reset_parameters_(model, generator)
        return model
    if name == "cnn":
        return chapter_cnn(input_shape, n_classes, activation_name, generator)
    if name == "vgg16":
        return vgg16(input_shape, n_classes, generator)
    raise ValueError(f"unknown model {name!r} (choose from {', '.join(CLASSIFIERS)})")

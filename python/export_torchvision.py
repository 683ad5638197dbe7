#!/usr/bin/python3
"""Build torchvision models with a fixed seed and no download (weights=None), and write their
state_dict (beyond uses torchvision's names, so no renaming) plus reference outputs on fixed inputs.

    /usr/bin/python3 python/export_torchvision.py resnet50_fpn --out DIR [--seed 0] [--size 1x3x224x320]

writes DIR/<model>.weights.safetensors, DIR/<model>.inputs.safetensors ("images") and
DIR/<model>.reference.safetensors (the feature maps: "0".."3","pool" for FPN backbones, "c2".."c5"
for a bare ResNet, "0" for VGG-16 conv5_3). Models:

    fasterrcnn_resnet50_fpn  the whole detector's state_dict; reference = its backbone's maps
    resnet50_fpn             fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None).backbone
                             (plain BatchNorm2d, all layers trainable, as torchvision builds it then)
    resnet18_fpn_frozen      resnet_fpn_backbone('resnet18', FrozenBatchNorm2d, trainable_layers=3)
    resnet18, resnet34       the ResNet body (conv1..layer4, no fc), FrozenBatchNorm2d
    vgg16                    vgg16().features up to conv5_3 + ReLU (the last max-pool dropped)

Norm statistics and affine parameters are set to seeded random values (weight U(0.3, 0.7), bias and
running_mean N(0, 0.1), running_var U(0.5, 1.5)), so parity exercises them rather than an identity.
"""
import argparse
import os
import sys
from collections import OrderedDict

import torch
import torchvision
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
from torchvision.ops.misc import FrozenBatchNorm2d

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from beyond_safetensors import save  # noqa: E402

MODELS = ("fasterrcnn_resnet50_fpn", "resnet50_fpn", "resnet18_fpn_frozen", "resnet18", "resnet34", "vgg16")


class ResNetBody(torch.nn.Module):
    """torchvision's resnetNN up to layer4, returning C2..C5 (the module keeps the names conv1...)."""

    def __init__(self, net):
        super().__init__()
        for name in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"):
            setattr(self, name, getattr(net, name))

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        out = OrderedDict()
        for i, name in enumerate(("layer1", "layer2", "layer3", "layer4")):
            x = getattr(self, name)(x)
            out[f"c{i + 2}"] = x
        return out


class VggConv5(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torchvision.models.vgg16(weights=None).features[:30]

    def forward(self, x):
        return OrderedDict([("0", self.features(x))])


def randomise_norms(model, gen):
    """Seeded random norm parameters and statistics (see the module docstring); the same ranges as
    tests/parity/backbone_forward.cpp uses for weights made in beyond."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.BatchNorm2d, FrozenBatchNorm2d)):
                m.weight.copy_(torch.empty_like(m.weight).uniform_(0.3, 0.7, generator=gen))
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
                m.running_var.copy_(torch.empty_like(m.running_var).uniform_(0.5, 1.5, generator=gen))


def build(name, seed=0):
    """The torchvision module for `name` in eval mode, the module whose state_dict is exported, and
    the function that maps images to the reference feature maps."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    if name in ("fasterrcnn_resnet50_fpn", "resnet50_fpn"):
        det = torchvision.models.detection.fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None)
        randomise_norms(det, gen)
        det.eval()
        return (det if name.startswith("faster") else det.backbone), det.backbone
    if name == "resnet18_fpn_frozen":
        net = resnet_fpn_backbone(backbone_name="resnet18", weights=None, norm_layer=FrozenBatchNorm2d,
                                  trainable_layers=3)
    elif name in ("resnet18", "resnet34"):
        net = ResNetBody(getattr(torchvision.models, name)(weights=None, norm_layer=FrozenBatchNorm2d))
    elif name == "vgg16":
        net = VggConv5()
    else:
        raise SystemExit(f"unknown model {name!r}; one of {', '.join(MODELS)}")
    randomise_norms(net, gen)
    net.eval()
    return net, net


def fixed_images(size, seed=0):
    """Images in the value range a detector's backbone sees after normalisation."""
    gen = torch.Generator().manual_seed(1000 + seed)
    return torch.randn(size, generator=gen)


def export(name, out_dir, seed=0, size=(1, 3, 224, 320)):
    """Writes the three files and returns their paths {"weights", "inputs", "reference"}."""
    exported, forward = build(name, seed)
    images = fixed_images(size, seed)
    with torch.no_grad():
        ref = forward(images)
    paths = {k: os.path.join(out_dir, f"{name}.{k}.safetensors") for k in ("weights", "inputs", "reference")}
    save(exported.state_dict(), paths["weights"], {"model": name, "seed": seed, "torchvision": torchvision.__version__})
    save({"images": images}, paths["inputs"])
    save({k: v.contiguous() for k, v in ref.items()}, paths["reference"])
    return paths


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", choices=MODELS)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", default="1x3x224x320", help="input batch NxCxHxW")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for k, v in export(a.model, a.out, a.seed, tuple(int(s) for s in a.size.split("x"))).items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()

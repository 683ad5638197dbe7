#!/usr/bin/python3
"""How well can the classes of `scenes` be named when the boxes are perfect?

Trains a classifier on square crops around the ground-truth boxes of a `scenes` training split (the
object centred, its longer side plus context), then scores the validation split as a detector whose
boxes are exactly the ground truth: every ground-truth box is emitted once per class, scored with the
classifier's probability. The AP of those detections (a COCO results file) bounds what a detector
can reach unless its own classifier names objects better than this one: with exact boxes every IoU
threshold passes (AP50 = AP75 = AP), so all that is lost is lost to naming.

Usage: /usr/bin/python3 python/scenes_classification_ceiling.py --data data/scenes --out runs/ceiling
Then:  beyond eval detection --results runs/ceiling/val_results.json --data data/scenes --split val
"""
import argparse
import json
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.io
import torchvision.ops

CONTEXT = 1.25  # crop side / longer box side: what the detector's RoI sees of the surroundings, roughly
STORED = 64     # stored crop size; training draws a jittered window of it, the classifier sees INPUT
INPUT = 32


def load_split(root, split):
    with open(os.path.join(root, "annotations", f"instances_{split}.json")) as f:
        coco = json.load(f)
    by_image = {}
    for a in coco["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    crops, labels, anns = [], [], []
    for image in coco["images"]:
        objects = by_image.get(image["id"], [])
        if not objects:
            continue
        path = os.path.join(root, split, "images", image["file_name"])
        pixels = torchvision.io.read_image(path, torchvision.io.ImageReadMode.RGB).float()[None]
        squares = []
        for a in objects:
            x, y, w, h = a["bbox"]
            cx, cy, half = x + w / 2, y + h / 2, CONTEXT * max(w, h) / 2
            squares.append([cx - half, cy - half, cx + half, cy + half])
        boxes = torch.tensor(squares, dtype=torch.float32)
        # aligned RoI Align samples the square like a bilinear resize; outside the image reads as 0
        crops.append(torchvision.ops.roi_align(pixels, [boxes], STORED, 1.0, 2, True).round().clamp(0, 255).byte())
        labels += [a["category_id"] for a in objects]
        anns += objects
    return torch.cat(crops), torch.tensor(labels), anns, coco


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a, self.b = conv_bn(cin, cout, stride), conv_bn(cout, cout)
        self.skip = None if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.b(F.relu(self.a(x)))
        return F.relu(y + (x if self.skip is None else self.skip(x)))


def classifier(num_classes, widths=(32, 64, 128, 256), blocks=(1, 2, 2, 2)):
    layers, cin = [conv_bn(3, widths[0]), nn.ReLU()], widths[0]
    for i, (w, n) in enumerate(zip(widths, blocks)):
        for j in range(n):
            layers.append(Block(cin, w, 2 if i > 0 and j == 0 else 1))
            cin = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(cin, num_classes)]
    return nn.Sequential(*layers)


MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1) * 255
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1) * 255


def centre_view(crops):
    side = round(STORED / 1.125)  # a box of CONTEXT / 1.125 ~ 1.1 times the object's longer side
    o = (STORED - side) // 2
    x = crops[:, :, o:o + side, o:o + side].float()
    return (F.interpolate(x, size=INPUT, mode="bilinear", align_corners=False) - MEAN) / STD


def jittered_view(crops, generator):
    """A random window (side 0.75-1 of the stored crop, anywhere inside it) and a random flip: the
    scale and position errors a detector's boxes make."""
    n = crops.shape[0]
    side = (STORED * (0.75 + 0.25 * torch.rand(n, generator=generator))).round()
    ox = ((STORED - side) * torch.rand(n, generator=generator)).round()
    oy = ((STORED - side) * torch.rand(n, generator=generator)).round()
    boxes = torch.stack([torch.arange(n).float(), ox, oy, ox + side, oy + side], 1)
    x = torchvision.ops.roi_align(crops.float(), boxes, INPUT, 1.0, 2, True)
    flip = torch.rand(n, generator=generator) < 0.5
    x[flip] = x[flip].flip(-1)
    return (x - MEAN) / STD


def train(model, crops, labels, epochs, batch, generator):
    steps = epochs * math.ceil(len(labels) / batch)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=steps, pct_start=0.15)
    step, start = 0, time.time()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(labels), generator=generator)
        total, right, loss_sum = 0, 0, 0.0
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            x = jittered_view(crops[idx], generator).contiguous(memory_format=torch.channels_last)
            out = model(x)
            loss = F.cross_entropy(out, labels[idx], label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            total += len(idx)
            right += (out.argmax(1) == labels[idx]).sum().item()
            loss_sum += loss.item() * len(idx)
        print(f"epoch {epoch + 1}/{epochs}: loss {loss_sum / total:.4f}, train accuracy {right / total:.4f}, "
              f"{time.time() - start:.0f} s", flush=True)


@torch.no_grad()
def probabilities(model, crops, batch=512):
    model.eval()
    out = []
    for i in range(0, len(crops), batch):
        x = centre_view(crops[i:i + batch]).contiguous(memory_format=torch.channels_last)
        out.append(F.softmax(model(x), 1))
    return torch.cat(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="folder written by `beyond data scenes`")
    p.add_argument("--out", required=True)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--widths", default="32,64,128,256", help="channels of the four ResNet stages")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    start = time.time()
    train_crops, train_labels, _, _ = load_split(args.data, "train")
    val_crops, val_labels, val_anns, val_coco = load_split(args.data, "val")
    categories = sorted(c["id"] for c in val_coco["categories"])
    assert categories == list(range(1, len(categories) + 1)), "expects category ids 1..K"
    print(f"crops: {len(train_labels)} train, {len(val_labels)} val ({time.time() - start:.0f} s)", flush=True)

    widths = tuple(int(w) for w in args.widths.split(","))
    model = classifier(len(categories) + 1, widths).to(memory_format=torch.channels_last)  # index 0 unused
    train(model, train_crops, train_labels, args.epochs, args.batch, generator)

    prob = probabilities(model, val_crops)
    predicted = prob[:, 1:].argmax(1) + 1
    names = {c["id"]: c["name"] for c in val_coco["categories"]}
    summary = {"epochs": args.epochs, "widths": widths, "train_objects": len(train_labels), "val_objects": len(val_labels),
               "val_accuracy": (predicted == val_labels).float().mean().item(), "per_class_accuracy": {}}
    for c in categories:
        mask = val_labels == c
        summary["per_class_accuracy"][names[c]] = (predicted[mask] == c).float().mean().item()
    print(json.dumps(summary, indent=1))
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)

    results = [{"image_id": a["image_id"], "category_id": c, "bbox": a["bbox"], "score": prob[i, c].item()}
               for i, a in enumerate(val_anns) for c in categories]
    with open(os.path.join(args.out, "val_results.json"), "w") as f:
        json.dump(results, f)
    torch.save(model.state_dict(), os.path.join(args.out, "classifier.pt"))


if __name__ == "__main__":
    main()

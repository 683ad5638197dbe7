#!/usr/bin/python3
"""Parity of beyond's RoIHeads with torchvision 0.14's on the same weights and inputs.

Run by CTest as: /usr/bin/python3 roi_heads_parity_test.py <path to roi_heads_parity_driver>
Two configurations, each built with a fixed seed: `fpn` = the RoI heads of fasterrcnn_resnet50_fpn
(MultiScaleRoIAlign 7x7 over "0".."3", sampling ratio 2, TwoMLPHead 1024, 91 classes) and `fast` = Fast
R-CNN's (RoI max pooling 7x7 of one stride-16 map, 512 channels, 21 classes). Random FPN feature maps and
fixed proposals for 2 images of different sizes; the script writes weights and inputs as safetensors,
the driver runs beyond and writes its outputs, and the script compares:
  eval:  raw class logits and box deltas (atol 1e-4), final boxes (atol 1e-3 px) / scores (1e-5) /
         labels (exact) per image, and the boxes mapped back to the original image sizes;
  train: the seeded proposal sampling (same torch.randperm stream: identical proposals, labels, matches,
         regression targets), the full training loss with that seed, and fastrcnn_loss + gradients of
         every parameter on torchvision's sampled RoIs (rtol 1e-4).
"""
import os
import subprocess
import sys
import tempfile
import unittest

import torch
from torch import nn
import torchvision
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.roi_heads import RoIHeads, fastrcnn_loss
from torchvision.models.detection.transform import resize_boxes
from torchvision.ops import MultiScaleRoIAlign

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from beyond_safetensors import load, save  # noqa: E402

DRIVER = sys.argv.pop(1) if len(sys.argv) > 1 else "build/tests/roi_heads_parity_driver"
IMAGE_SIZES = [(320, 427), (288, 384)]  # padded batch: 320 x 448
ORIGINAL_SIZES = [(480, 640), (432, 576)]
SEED = 1234


class SingleMapRoIPool(nn.Module):
    """Fast R-CNN's pooler in RoIHeads' calling convention: max RoI pooling of one named map."""

    def __init__(self, name, scale):
        super().__init__()
        self.name, self.scale = name, scale

    def forward(self, features, proposals, image_shapes):
        return torchvision.ops.roi_pool(features[self.name], proposals, (7, 7), self.scale)


def random_boxes(n, height, width, gen, min_size=8.0, max_size=300.0):
    size = min_size + torch.rand(n, 2, generator=gen) * (max_size - min_size)
    centre = torch.rand(n, 2, generator=gen) * torch.tensor([width, height])
    wh = torch.minimum(size, torch.tensor([width, height], dtype=torch.float32))
    xy = (centre - wh / 2).clamp(min=0)
    x2y2 = torch.minimum(xy + wh, torch.tensor([width, height], dtype=torch.float32))
    return torch.cat([xy, x2y2], 1)


def jitter(boxes, k, gen, amount=0.15):
    """k noisy copies of each box: proposals around the ground truth, so training has positives."""
    b = boxes.repeat_interleave(k, 0)
    wh = (b[:, 2:] - b[:, :2]).repeat(1, 2)
    return b + (torch.rand(b.shape, generator=gen) * 2 - 1) * amount * wh


def build(mode):
    torch.manual_seed(0)
    if mode == "fpn":
        pool, channels, classes = MultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2), 256, 91
    else:
        pool, channels, classes = SingleMapRoIPool("0", 1.0 / 16), 512, 21
    head = TwoMLPHead(channels * 7 * 7, 1024)
    predictor = FastRCNNPredictor(1024, classes)
    with torch.no_grad():  # spread the class scores so that detections pass the 0.05 threshold
        # (fpn: more than 100 per image survive NMS, so the cut to detections_per_img is tested; fast: fewer)
        predictor.cls_score.weight.mul_(40.0 if mode == "fpn" else 6.0)
        if mode == "fast":
            predictor.cls_score.bias[0] += 4.5  # most RoIs are background
        predictor.bbox_pred.weight.mul_(10.0)
    heads = RoIHeads(pool, head, predictor, 0.5, 0.5, 512, 0.25, None, 0.05, 0.5, 100)
    return heads, channels, classes


def make_inputs(mode, channels, classes):
    gen = torch.Generator().manual_seed(7 if mode == "fpn" else 8)
    padded = (320, 448)
    if mode == "fpn":
        features = {str(k): torch.randn(2, channels, padded[0] >> (k + 2), padded[1] >> (k + 2), generator=gen)
                    for k in range(4)}
        features["pool"] = torch.randn(2, channels, 5, 7, generator=gen)  # present in an FPN, unused by the pooler
    else:
        features = {"0": torch.randn(2, channels, padded[0] // 16, padded[1] // 16, generator=gen)}
    gt_counts = [4, 0] if mode == "fpn" else [3, 2]  # fpn: the second image has no objects
    gt_boxes, gt_labels, proposals = [], [], []
    for (h, w), g in zip(IMAGE_SIZES, gt_counts):
        gt = random_boxes(g, h, w, gen, min_size=24.0, max_size=200.0)
        gt_boxes.append(gt)
        gt_labels.append(torch.randint(1, classes, (g,), generator=gen))
        proposals.append(torch.cat([random_boxes(200, h, w, gen), jitter(gt, 8, gen)]).clamp(min=0))
    return features, proposals, gt_boxes, gt_labels


def reference(mode):
    heads, channels, classes = build(mode)
    features, proposals, gt_boxes, gt_labels = make_inputs(mode, channels, classes)
    ref = {}
    heads.eval()
    with torch.no_grad():
        pooled = heads.box_roi_pool(features, proposals, IMAGE_SIZES)
        ref["class_logits"], ref["box_regression"] = heads.box_predictor(heads.box_head(pooled))
        det, _ = heads(features, proposals, IMAGE_SIZES)
    for i, d in enumerate(det):
        for key in ("boxes", "scores", "labels"):
            ref[f"det.{key}.{i}"] = d[key]
        ref[f"det_original.boxes.{i}"] = resize_boxes(d["boxes"], IMAGE_SIZES[i], ORIGINAL_SIZES[i])

    heads.train()
    targets = [{"boxes": b, "labels": l} for b, l in zip(gt_boxes, gt_labels)]
    torch.manual_seed(SEED)
    s_props, s_matched, s_labels, s_targets = heads.select_training_samples([p.clone() for p in proposals], targets)
    for i in range(2):
        ref[f"samples.proposals.{i}"], ref[f"samples.labels.{i}"] = s_props[i], s_labels[i]
        ref[f"samples.matched_idxs.{i}"], ref[f"samples.regression_targets.{i}"] = s_matched[i], s_targets[i]
    torch.manual_seed(SEED)
    _, losses = heads(features, proposals, IMAGE_SIZES, targets)
    ref["train.loss_classifier"], ref["train.loss_box_reg"] = losses["loss_classifier"], losses["loss_box_reg"]

    pooled = heads.box_roi_pool(features, s_props, IMAGE_SIZES)
    logits, deltas = heads.box_predictor(heads.box_head(pooled))
    loss_cls, loss_box = fastrcnn_loss(logits, deltas, s_labels, s_targets)
    ref["fixed.loss_classifier"], ref["fixed.loss_box_reg"] = loss_cls, loss_box
    heads.zero_grad()
    (loss_cls + loss_box).backward()
    for name, p in heads.named_parameters():
        ref[f"grad.{name}"] = p.grad

    inputs = {f"roi_heads.{k}": v for k, v in heads.state_dict().items()}
    inputs.update({f"features.{k}": v for k, v in features.items()})
    for i in range(2):
        inputs[f"proposals.{i}"], inputs[f"gt_boxes.{i}"], inputs[f"gt_labels.{i}"] = proposals[i], gt_boxes[i], gt_labels[i]
        inputs[f"fixed.proposals.{i}"], inputs[f"fixed.labels.{i}"] = s_props[i], s_labels[i]
        inputs[f"fixed.regression_targets.{i}"] = s_targets[i]
    inputs["image_sizes"] = torch.tensor(IMAGE_SIZES)
    inputs["original_sizes"] = torch.tensor(ORIGINAL_SIZES)
    inputs["seed"] = torch.tensor(SEED)
    return {k: v.detach() for k, v in ref.items()}, inputs


_CACHE = {}


def outputs(mode):
    if mode not in _CACHE:
        ref, inputs = reference(mode)
        with tempfile.TemporaryDirectory() as tmp:
            src, dst = os.path.join(tmp, "in.safetensors"), os.path.join(tmp, "out.safetensors")
            save(inputs, src)
            subprocess.run([DRIVER, mode, src, dst], check=True)
            _CACHE[mode] = (ref, load(dst))
    return _CACHE[mode]


def max_diff(a, b):
    if a.numel() == 0:
        return 0.0
    finite = torch.isfinite(a) & torch.isfinite(b)
    return float((a[finite].double() - b[finite].double()).abs().max()) if finite.any() else 0.0


class Parity:
    mode = None

    def setUp(self):
        self.ref, self.ours = outputs(self.mode)

    def close(self, key, atol, rtol=0.0):
        ref, ours = self.ref[key], self.ours[key]
        self.assertEqual(tuple(ref.shape), tuple(ours.shape), key)
        torch.testing.assert_close(ours, ref.to(ours.dtype), atol=atol, rtol=rtol, msg=lambda m: f"{key}: {m}")
        print(f"  [{self.mode}] {key}: max |diff| = {max_diff(ref, ours):.3g}", file=sys.stderr)

    def test_raw_head_outputs(self):
        self.close("class_logits", 1e-4)
        self.close("box_regression", 1e-4)

    def test_detections(self):
        total = 0
        for i in range(2):
            n = self.ref[f"det.scores.{i}"].numel()
            self.assertTrue(0 < n <= 100, f"image {i}: {n} detections; the test needs some, and at most 100")
            total += n
            self.close(f"det.boxes.{i}", 1e-3)
            self.close(f"det.scores.{i}", 1e-5)
            self.assertTrue(torch.equal(self.ours[f"det.labels.{i}"], self.ref[f"det.labels.{i}"]))
            self.close(f"det_original.boxes.{i}", 1e-3)
        print(f"  [{self.mode}] {total} detections in 2 images", file=sys.stderr)

    def test_seeded_training_samples(self):
        for i in range(2):
            self.close(f"samples.proposals.{i}", 0.0)
            self.assertTrue(torch.equal(self.ours[f"samples.labels.{i}"], self.ref[f"samples.labels.{i}"]))
            self.assertTrue(torch.equal(self.ours[f"samples.matched_idxs.{i}"], self.ref[f"samples.matched_idxs.{i}"]))
            self.close(f"samples.regression_targets.{i}", 1e-5)
        self.assertGreater(int((self.ref["samples.labels.0"] > 0).sum()), 0)  # positives were sampled

    def test_training_losses(self):
        for key in ("train.loss_classifier", "train.loss_box_reg", "fixed.loss_classifier", "fixed.loss_box_reg"):
            self.assertGreater(self.ref[key].item(), 0.0, key)
            self.close(key, 1e-6, rtol=1e-4)

    def test_gradients(self):
        names = [k for k in self.ref if k.startswith("grad.")]
        self.assertEqual(len(names), 8)  # fc6, fc7, cls_score, bbox_pred: weight and bias each
        for key in names:
            scale = self.ref[key].abs().max().item()
            self.assertGreater(scale, 0.0, key)
            self.close(key, 1e-4 * scale, rtol=1e-4)


class FasterRcnnFpnRoIHeads(Parity, unittest.TestCase):
    mode = "fpn"


class FastRcnnRoIPoolHeads(Parity, unittest.TestCase):
    mode = "fast"


if __name__ == "__main__":
    torch.set_num_threads(2)
    unittest.main(verbosity=2)

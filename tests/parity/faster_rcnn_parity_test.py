#!/usr/bin/python3
"""End-to-end parity of beyond's GeneralizedRCNN with torchvision 0.14's
fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None), in eval mode, weights moved both ways.

Run by CTest as: /usr/bin/python3 faster_rcnn_parity_test.py <path to faster_rcnn_parity_driver>

Both models are the same R50-FPN Faster R-CNN: configs/faster_rcnn_r50_fpn.yaml is torchvision's
build with weights=None (every default, plain BatchNorm2d, all stages trainable), except that, to keep
the test short on 2 cores, both resize to a shorter side of 256 and a longer side of at most 352 (instead
of 800 / 1333) and keep 300 proposals per image after the RPN's NMS (instead of 1000). Two smooth
random images of different sizes and aspect ratios (250x330 landscape, 330x150 portrait limited by
the longer side) make a padded batch of two (352x352).

torchvision -> beyond: torchvision's model (seed 0, random norm statistics and affine parameters, so
that folding is exercised) exports its state_dict, which beyond loads unchanged. Compared: the
transformed batch (padded size, image sizes, pixels), the RPN proposals, the raw RoI-head outputs
(class logits, box deltas) on torchvision's proposals and the detections of the heads on those
proposals, and the end-to-end detections of model->forward (boxes on the original images, scores,
labels).
beyond -> torchvision: beyond initialises the model from a seed (random norm statistics), takes one SGD
step on random targets in training mode (which moves the BatchNorm running statistics too) and saves
its state_dict; torchvision loads it with strict=True and must give beyond's proposals and detections.
torchvision's weights also load into the config with model.norm=frozen, model.trainable_layers=3 (as for
fine-tuning: FrozenBatchNorm2d, which has no num_batches_tracked) and give the same detections in eval mode.
The same comparisons run on beyond after optimize_for_inference() (norms folded into the
convolutions, channels-last), through the parts with one backbone pass, with TOL_OPTIMIZED.

Random weights: cls_score is scaled by CLS_SCALE (TRAINED_CLS_SCALE) so that detections pass the 0.05 score threshold
(each image must have some; up to detections_per_img = 100), and the RPN's cls_logits by RPN_SCALE so
that objectness is not ~0.5 everywhere. Where scores still tie to float rounding the two sides may
order boxes differently (the count "out of order" is printed), so proposals and detections are paired
by value, one to one (same label), rather than by position; scores are compared on the pairs.
"""
import os
import subprocess
import sys
import tempfile
import time
import unittest

import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import export_torchvision as tv  # noqa: E402
from beyond_safetensors import load, save  # noqa: E402

DRIVER = sys.argv.pop(1) if len(sys.argv) > 1 else "build/tests/faster_rcnn_parity_driver"
MIN_SIZE, MAX_SIZE, POST_NMS_TOP_N = 256, 352, 300
ORIGINAL_SIZES = [(250, 330), (330, 150)]  # resized to 256 x 337 and 351 x 159 (max_size binds; torchvision's float32 scale); batch 352 x 352
# model.transform.min_size is only used by the training step of beyond -> torchvision (kept small for time).
SETTINGS = ["model.transform.min_size=[160]", f"model.transform.test_min_size={MIN_SIZE}",
            f"model.transform.max_size={MAX_SIZE}", f"model.rpn.post_nms_top_n_test={POST_NMS_TOP_N}"]
CLS_SCALE = 20.0  # cls_score weights: detections above the 0.05 threshold
TRAINED_CLS_SCALE = 30.0  # the same after beyond's SGD step, which raised the background class
RPN_SCALE = 10.0  # the RPN's cls_logits weights: objectness spread out rather than all ~0.5
LR = 0.003  # beyond -> torchvision: the SGD step (larger ones let the background class swamp cls_score)
# Tolerances. Same kernels underneath, so the plain path agrees to float rounding; folding the norms and
# channels-last change the order of the arithmetic. "rel" is relative to the largest magnitude of the
# reference tensor; boxes are in pixels, scores absolute.
TOL_PLAIN = {"pixels": 1e-5, "rel": 1e-5, "box": 1e-3, "score": 1e-5}
TOL_OPTIMIZED = {"pixels": 1e-5, "rel": 1e-4, "box": 1e-2, "score": 1e-4}


def fixed_images(seed):
    """Smooth random RGB images in [0, 1] with a few flat rectangles, of ORIGINAL_SIZES."""
    gen = torch.Generator().manual_seed(seed)
    images = []
    for h, w in ORIGINAL_SIZES:
        low = torch.rand(1, 3, h // 16, w // 16, generator=gen)
        img = torch.nn.functional.interpolate(low, size=(h, w), mode="bilinear", align_corners=False)[0]
        for _ in range(4):
            y, x = int(torch.randint(0, h // 2, (1,), generator=gen)), int(torch.randint(0, w // 2, (1,), generator=gen))
            img[:, y:y + h // 3, x:x + w // 3] = torch.rand(3, 1, 1, generator=gen)
        images.append(img.contiguous())
    return images


def build_torchvision(seed):
    """fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None) with python/export_torchvision.py's
    seeded init and random norms, resizing to MIN_SIZE / MAX_SIZE, in eval mode."""
    model, _ = tv.build("fasterrcnn_resnet50_fpn", seed=seed)
    assert isinstance(model.backbone.body.bn1, torch.nn.BatchNorm2d), "weights=None should give plain BatchNorm2d"
    model.transform.min_size, model.transform.max_size = (MIN_SIZE,), MAX_SIZE
    model.rpn._post_nms_top_n["testing"] = POST_NMS_TOP_N
    return model.eval()


def torchvision_outputs(model, images):
    """GeneralizedRCNN.forward of torchvision in eval mode, step by step, keeping what it drops."""
    out = {}
    with torch.no_grad():
        originals = [tuple(img.shape[-2:]) for img in images]
        batch, _ = model.transform(images)
        features = model.backbone(batch.tensors)
        proposals, _ = model.rpn(batch, features)
        heads = model.roi_heads
        logits, deltas = heads.box_predictor(heads.box_head(heads.box_roi_pool(features, proposals, batch.image_sizes)))
        boxes, scores, labels = heads.postprocess_detections(logits, deltas, proposals, batch.image_sizes)
        dets = [{"boxes": b, "scores": s, "labels": l} for b, s, l in zip(boxes, scores, labels)]
        dets = model.transform.postprocess(dets, batch.image_sizes, originals)
    out["batch.images"], out["batch.image_sizes"] = batch.tensors, torch.tensor(batch.image_sizes)
    out["head.class_logits"], out["head.box_regression"] = logits, deltas
    for i, d in enumerate(dets):
        out[f"proposals.{i}"] = proposals[i]
        for key in ("boxes", "scores", "labels"):
            out[f"det.{key}.{i}"] = d[key]
    return out


def run_driver(*args):
    t0 = time.time()
    p = subprocess.run([DRIVER, *args, *[a for s in SETTINGS for a in ("--set", s)]], capture_output=True, text=True)
    assert p.returncode == 0, f"driver {' '.join(args)} failed ({p.returncode}):\n{p.stdout}{p.stderr}"
    return time.time() - t0


def max_diff(a, b):
    return float((a.double() - b.double()).abs().max()) if a.numel() else 0.0


class Parity:
    """Comparisons shared by both directions; subclasses set up cls.ref (torchvision), cls.ours (beyond)
    and cls.diffs (measured differences, printed at the end)."""

    @classmethod
    def tearDownClass(cls):
        print(f"\n{cls.__name__}: seconds {cls.seconds}", file=sys.stderr)
        for k, v in sorted(cls.diffs.items()):
            print(f"  {k}: {v:.3g}" if isinstance(v, float) else f"  {k}: {v}", file=sys.stderr)

    def close(self, key, ours_key, atol, label):
        ref, ours = self.ref[key], self.ours[ours_key]
        self.assertEqual(tuple(ours.shape), tuple(ref.shape), f"{label} {key}: shape")
        d = max_diff(ours, ref.to(ours.dtype))
        self.diffs[f"{label} {key}"] = d
        self.assertLessEqual(d, atol, f"{label} {key}: max |beyond - torchvision| = {d:.3g} > {atol:.3g}")

    def close_rel(self, key, ours_key, rel, label):
        scale = float(self.ref[key].abs().max())
        self.assertGreater(scale, 0.0, key)
        self.close(key, ours_key, rel * scale, label)

    def check_batch(self, prefix, tol):
        self.assertTrue(torch.equal(self.ours[prefix + "batch.image_sizes"], self.ref["batch.image_sizes"]),
                        f"{self.ours[prefix + 'batch.image_sizes']} vs {self.ref['batch.image_sizes']}")
        self.close("batch.images", prefix + "batch.images", tol["pixels"], prefix)

    def match(self, label, ref_boxes, our_boxes, tol, ref_labels=None, our_labels=None):
        """Index of beyond's box (of the same label) for each of torchvision's: the order may differ
        where scores tie to float rounding, so boxes are paired by value, one to one, within tol px."""
        self.assertEqual(tuple(our_boxes.shape), tuple(ref_boxes.shape), f"{label}: shape")
        cost = (ref_boxes[:, None, :].double() - our_boxes[None, :, :].double()).abs().amax(2)
        if ref_labels is not None:
            cost[ref_labels[:, None] != our_labels[None, :]] = float("inf")
        best, index = cost.min(1)
        worst = float(best.max())
        self.diffs[f"{label} boxes"] = worst
        self.diffs[f"{label} out of order"] = int((index != torch.arange(len(index))).sum())
        self.assertLessEqual(worst, tol, f"{label}: a torchvision box has no beyond box within {tol} px ({worst:.3g})")
        self.assertEqual(len(set(index.tolist())), len(index), f"{label}: boxes do not pair one to one")
        return index

    def check_proposals(self, prefix, tol):
        for i in range(len(ORIGINAL_SIZES)):
            ref = self.ref[f"proposals.{i}"]
            self.assertGreater(ref.shape[0], 100)
            self.match(f"{prefix}proposals.{i}", ref, self.ours[f"{prefix}proposals.{i}"], tol["box"])

    def check_detections(self, ours_stem, tol, label):
        total = 0
        for i in range(len(ORIGINAL_SIZES)):
            ref_scores = self.ref[f"det.scores.{i}"]
            self.assertGreater(ref_scores.numel(), 0, f"image {i}: no detections; the comparison would be empty")
            total += ref_scores.numel()
            ours_labels = self.ours[f"{ours_stem}labels.{i}"]
            index = self.match(f"{label} det.{i}", self.ref[f"det.boxes.{i}"], self.ours[f"{ours_stem}boxes.{i}"],
                               tol["box"], self.ref[f"det.labels.{i}"], ours_labels)
            d = max_diff(self.ours[f"{ours_stem}scores.{i}"][index], ref_scores)
            self.diffs[f"{label} det.{i} scores"] = d
            self.assertLessEqual(d, tol["score"], f"{label} image {i}: scores differ by {d:.3g}")
        self.diffs[f"{label} detections compared"] = total


class TorchvisionToBeyond(Parity, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.diffs = {}
        model = build_torchvision(seed=0)
        with torch.no_grad():
            model.roi_heads.box_predictor.cls_score.weight.mul_(CLS_SCALE)
            model.rpn.head.cls_logits.weight.mul_(RPN_SCALE)
        images = fixed_images(seed=3)
        t0 = time.time()
        cls.ref = torchvision_outputs(model, images)
        cls.seconds = {"torchvision": time.time() - t0}
        with tempfile.TemporaryDirectory() as tmp:
            weights, inputs, out = (os.path.join(tmp, f) for f in ("w.safetensors", "in.safetensors", "out.safetensors"))
            save(model.state_dict(), weights)
            tensors = {f"images.{i}": img for i, img in enumerate(images)}
            tensors.update({f"tv_proposals.{i}": cls.ref[f"proposals.{i}"] for i in range(len(images))})
            save(tensors, inputs)
            cls.seconds["beyond (plain + optimized)"] = run_driver(inputs, out, "--weights", weights, "--optimized")
            cls.ours = load(out)
            # The fine-tuning variant of the config (FrozenBatchNorm2d, 3 trainable stages) loads the same
            # weights (num_batches_tracked is not needed) and must give the same detections in eval mode.
            save({f"images.{i}": img for i, img in enumerate(images)}, inputs)
            run_driver(inputs, out, "--weights", weights, "--set", "model.norm=frozen", "--set", "model.trainable_layers=3")
            cls.ours.update({"frozen." + k: v for k, v in load(out).items()})

    def test_transformed_batch(self):
        self.assertEqual(tuple(self.ref["batch.images"].shape), (2, 3, 352, 352))
        self.assertEqual(self.ref["batch.image_sizes"].tolist(), [[256, 337], [351, 159]])
        self.check_batch("plain.", TOL_PLAIN)

    def test_proposals(self):
        self.check_proposals("plain.", TOL_PLAIN)

    def test_raw_head_outputs_on_the_same_proposals(self):
        for key in ("head.class_logits", "head.box_regression"):
            self.close_rel(key, "plain." + key, TOL_PLAIN["rel"], "plain.")

    def test_detections_on_the_same_proposals(self):
        self.check_detections("plain.same_proposals.det.", TOL_PLAIN, "plain. same proposals")

    def test_detections_end_to_end(self):
        self.check_detections("plain.det.", TOL_PLAIN, "plain.")

    def test_frozen_norm_config(self):
        self.check_batch("frozen.plain.", TOL_PLAIN)
        self.check_proposals("frozen.plain.", TOL_PLAIN)
        self.check_detections("frozen.plain.det.", TOL_PLAIN, "frozen norm")

    def test_optimized_for_inference(self):
        self.check_batch("optimized.", TOL_OPTIMIZED)
        for key in ("head.class_logits", "head.box_regression"):
            self.close_rel(key, "optimized." + key, TOL_OPTIMIZED["rel"], "optimized.")
        self.check_detections("optimized.same_proposals.det.", TOL_OPTIMIZED, "optimized. same proposals")
        self.check_proposals("optimized.", TOL_OPTIMIZED)
        self.check_detections("optimized.det.", TOL_OPTIMIZED, "optimized.")


class BeyondToTorchvision(Parity, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.diffs = {}
        images = fixed_images(seed=4)
        with tempfile.TemporaryDirectory() as tmp:
            weights, inputs, out = (os.path.join(tmp, f) for f in ("w.safetensors", "in.safetensors", "out.safetensors"))
            tensors = {f"images.{i}": img for i, img in enumerate(images)}
            tensors.update({"seed": torch.tensor(11), "lr": torch.tensor(LR), "cls_scale": torch.tensor(TRAINED_CLS_SCALE),
                            "rpn_scale": torch.tensor(RPN_SCALE)})
            save(tensors, inputs)
            cls.seconds = {"beyond (train step + plain)": run_driver(inputs, out, "--train-save", weights)}
            cls.ours = load(out)
            model = build_torchvision(seed=1)  # another seed: every tensor must come from the file
            before = model.state_dict()["roi_heads.box_predictor.cls_score.weight"].clone()
            cls.load_result = model.load_state_dict(load(weights), strict=True)
            cls.changed = not torch.equal(before, model.state_dict()["roi_heads.box_predictor.cls_score.weight"])
        t0 = time.time()
        cls.ref = torchvision_outputs(model.eval(), images)
        cls.seconds["torchvision"] = time.time() - t0

    def test_weights_load_strictly(self):
        self.assertFalse(self.load_result.missing_keys or self.load_result.unexpected_keys)
        self.assertTrue(self.changed)

    def test_transformed_batch(self):
        self.check_batch("plain.", TOL_PLAIN)

    def test_proposals(self):
        self.check_proposals("plain.", TOL_PLAIN)

    def test_detections(self):
        self.check_detections("plain.det.", TOL_PLAIN, "beyond->torchvision")


if __name__ == "__main__":
    torch.set_num_threads(2)
    unittest.main(verbosity=2)

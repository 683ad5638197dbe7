#!/usr/bin/python3
"""Parity of beyond's ops with torchvision 0.14 on the same inputs, and gradcheck of their backward.

Run by CTest (tests/CMakeLists.txt) as: /usr/bin/python3 ops_parity_test.py <path to libbeyond_ops.so>
Tolerances: float64 results must agree to 1e-12 (the arithmetic is the same, only summation order may
differ); float32 to 1e-5; kept NMS indices exactly.
"""
import math
import sys
import unittest

import torch
import torchvision
from torch.autograd import gradcheck

LIB = sys.argv.pop(1) if len(sys.argv) > 1 else "build/src/beyond/libbeyond_ops.so"
torch.ops.load_library(LIB)
ops = torch.ops.beyond


def boxes_in(n, width, height, gen, dtype=torch.float64, spill=0.2):
    """Random boxes, some partly or wholly outside [0, width] x [0, height]."""
    lo = torch.tensor([-spill * width, -spill * height])
    span = torch.tensor([width, height]) * (1 + 2 * spill)
    xy = lo + torch.rand(n, 2, generator=gen) * span
    wh = torch.rand(n, 2, generator=gen) * torch.tensor([width, height]) * 0.5
    return torch.cat([xy, xy + wh], 1).to(dtype)


def rois_for(boxes, batch, gen):
    return torch.cat([torch.randint(0, batch, (len(boxes), 1), generator=gen).to(boxes.dtype), boxes], 1)


def edge_rois(dtype):
    """One box inside, one wholly outside, a zero-area box, a box covering everything, a 1-pixel box."""
    return torch.tensor([[0, 2, 3, 20, 15], [1, 200, 200, 260, 240], [0, 5, 5, 5, 5], [1, -10, -10, 500, 500],
                         [0, 7.3, 9.1, 8.1, 9.9]], dtype=dtype)


class RoiAlignParity(unittest.TestCase):
    def setUp(self):
        self.gen = torch.Generator().manual_seed(0)
        self.x = torch.randn(2, 5, 24, 30, dtype=torch.float64, generator=self.gen)
        self.rois = torch.cat([rois_for(boxes_in(40, 120, 96, self.gen), 2, self.gen), edge_rois(torch.float64)])

    def test_forward_and_backward_match_torchvision(self):
        for aligned in (False, True):
            for sampling_ratio in (-1, 0, 1, 2, 3):
                for out in ((7, 7), (3, 5)):
                    xa = self.x.clone().requires_grad_()
                    xb = self.x.clone().requires_grad_()
                    ours = ops.roi_align(xa, self.rois, 0.25, out[0], out[1], sampling_ratio, aligned)
                    theirs = torchvision.ops.roi_align(xb, self.rois, out, 0.25, sampling_ratio, aligned)
                    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-12)
                    g = torch.randn(ours.shape, dtype=torch.float64, generator=self.gen)
                    ours.backward(g)
                    theirs.backward(g)
                    torch.testing.assert_close(xa.grad, xb.grad, rtol=0, atol=1e-12)

    def test_float32(self):
        x = self.x.float()
        rois = self.rois.float()
        torch.testing.assert_close(ops.roi_align(x, rois, 0.25, 7, 7, 2, True),
                                   torchvision.ops.roi_align(x, rois, 7, 0.25, 2, True), rtol=1e-5, atol=1e-5)

    def test_gradcheck(self):
        x = torch.randn(2, 2, 9, 11, dtype=torch.float64, generator=self.gen, requires_grad=True)
        rois = torch.cat([rois_for(boxes_in(6, 44, 36, self.gen), 2, self.gen), edge_rois(torch.float64)[:3]])
        for aligned in (False, True):
            for sampling_ratio in (-1, 1, 2):
                self.assertTrue(gradcheck(lambda t: ops.roi_align(t, rois, 0.25, 3, 2, sampling_ratio, aligned), (x,)))

    def test_empty_and_single(self):
        empty = torch.zeros(0, 5, dtype=torch.float64)
        self.assertEqual(ops.roi_align(self.x, empty, 1.0, 7, 7, 2, True).shape, (0, 5, 7, 7))
        one = self.rois[:1]
        torch.testing.assert_close(ops.roi_align(self.x, one, 0.25, 7, 7, 2, False),
                                   torchvision.ops.roi_align(self.x, one, 7, 0.25, 2, False), rtol=0, atol=1e-12)

    def test_large_k(self):
        gen = torch.Generator().manual_seed(1)
        x = torch.randn(2, 16, 50, 60, generator=gen)
        rois = rois_for(boxes_in(3000, 400, 300, gen, torch.float32), 2, gen)
        torch.testing.assert_close(ops.roi_align(x, rois, 0.125, 7, 7, 2, True),
                                   torchvision.ops.roi_align(x, rois, 7, 0.125, 2, True), rtol=1e-5, atol=1e-5)

    def test_errors_name_the_argument(self):
        with self.assertRaisesRegex(RuntimeError, r"rois must be a \[K, 5\] tensor"):
            ops.roi_align(self.x, self.rois[:, :4], 1.0, 7, 7, 2, True)
        with self.assertRaisesRegex(RuntimeError, "batch indices"):
            bad = self.rois.clone()
            bad[0, 0] = 5
            ops.roi_align(self.x, bad, 1.0, 7, 7, 2, True)
        with self.assertRaisesRegex(RuntimeError, "input must be float32 or float64"):
            ops.roi_align(self.x.int(), self.rois, 1.0, 7, 7, 2, True)

    def test_torchscript(self):
        @torch.jit.script
        def pooled(x: torch.Tensor, rois: torch.Tensor) -> torch.Tensor:
            return torch.ops.beyond.roi_align(x, rois, 0.25, 7, 7, 2, True)

        torch.testing.assert_close(pooled(self.x, self.rois), ops.roi_align(self.x, self.rois, 0.25, 7, 7, 2, True))


class WideMapParity(unittest.TestCase):
    """Channel counts that fill several vector blocks plus a tail (the kernels work on blocks of 64
    channels and vectors of 8 or 16 lanes), in NCHW and channels-last layouts, both dtypes."""

    def setUp(self):
        self.gen = torch.Generator().manual_seed(5)
        self.rois = torch.cat([rois_for(boxes_in(60, 128, 96, self.gen), 2, self.gen), edge_rois(torch.float64)])

    def inputs(self):
        for channels in (150, 64, 17):
            for dtype, tol in ((torch.float64, 1e-12), (torch.float32, 1e-5)):
                x = torch.randn(2, channels, 24, 32, dtype=dtype, generator=self.gen)
                for layout in (torch.contiguous_format, torch.channels_last):
                    yield x.contiguous(memory_format=layout), self.rois.to(dtype), tol

    def test_roi_align(self):
        for x, rois, tol in self.inputs():
            for sampling_ratio, aligned in ((2, True), (0, False)):
                xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
                ours = ops.roi_align(xa, rois, 0.25, 7, 7, sampling_ratio, aligned)
                theirs = torchvision.ops.roi_align(xb, rois, 7, 0.25, sampling_ratio, aligned)
                torch.testing.assert_close(ours, theirs, rtol=tol, atol=tol)
                g = torch.randn(ours.shape, dtype=x.dtype, generator=self.gen)
                ours.backward(g)
                theirs.backward(g)
                torch.testing.assert_close(xa.grad, xb.grad, rtol=tol, atol=tol)

    def test_roi_pool(self):
        for x, rois, _ in self.inputs():
            xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
            ours, _ = ops.roi_pool(xa, rois, 0.25, 7, 7)
            theirs = torchvision.ops.roi_pool(xb, rois, 7, 0.25)
            torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
            g = torch.randn(ours.shape, dtype=x.dtype, generator=self.gen)
            ours.backward(g)
            theirs.backward(g)
            torch.testing.assert_close(xa.grad, xb.grad, rtol=0, atol=1e-12 if x.dtype == torch.float64 else 1e-5)


class RoiPoolParity(unittest.TestCase):
    def setUp(self):
        self.gen = torch.Generator().manual_seed(2)
        self.x = torch.randn(2, 4, 20, 26, dtype=torch.float64, generator=self.gen)
        self.rois = torch.cat([rois_for(boxes_in(40, 104, 80, self.gen), 2, self.gen), edge_rois(torch.float64)])

    def test_forward_and_backward_match_torchvision(self):
        for out in ((7, 7), (2, 3), (1, 1)):
            xa = self.x.clone().requires_grad_()
            xb = self.x.clone().requires_grad_()
            ours, argmax = ops.roi_pool(xa, self.rois, 0.25, out[0], out[1])
            theirs = torchvision.ops.roi_pool(xb, self.rois, out, 0.25)
            torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
            self.assertEqual(argmax.dtype, torch.int64)
            g = torch.randn(ours.shape, dtype=torch.float64, generator=self.gen)
            ours.backward(g)
            theirs.backward(g)
            torch.testing.assert_close(xa.grad, xb.grad, rtol=0, atol=1e-12)

    def test_gradcheck(self):
        # Distinct values keep each bin's maximum unique, so the function is differentiable there.
        x = torch.randperm(2 * 2 * 9 * 11, generator=self.gen).double().reshape(2, 2, 9, 11).requires_grad_()
        rois = torch.cat([rois_for(boxes_in(6, 44, 36, self.gen), 2, self.gen), edge_rois(torch.float64)[:3]])
        self.assertTrue(gradcheck(lambda t: ops.roi_pool(t, rois, 0.25, 3, 2)[0], (x,), eps=1e-3))

    def test_always_t_by_t(self):
        for box in ([0, 0, 0, 1, 1], [0, 0, 0, 100, 60], [1, 3, 4, 5, 90]):
            out, _ = ops.roi_pool(self.x, torch.tensor([box], dtype=torch.float64), 0.25, 4, 4)
            self.assertEqual(out.shape, (1, 4, 4, 4))


class NmsParity(unittest.TestCase):
    def setUp(self):
        self.gen = torch.Generator().manual_seed(3)

    def check(self, boxes, scores, threshold=0.5):
        ours = ops.nms(boxes, scores, threshold)
        self.assertTrue(torch.equal(ours, torchvision.ops.nms(boxes, scores, threshold)))
        return ours

    def test_random_thresholds_and_dtypes(self):
        for dtype in (torch.float32, torch.float64):
            boxes = boxes_in(800, 300, 300, self.gen, dtype)
            scores = torch.rand(800, generator=self.gen).to(dtype)
            for threshold in (0.0, 0.3, 0.5, 0.7, 1.0):
                self.check(boxes, scores, threshold)

    def test_ties_zero_area_empty_and_one(self):
        boxes = torch.tensor([[0, 0, 10, 10], [0, 0, 10, 10], [1, 1, 11, 11], [5, 5, 5, 5], [5, 5, 5, 5]],
                             dtype=torch.float32)
        kept = self.check(boxes, torch.tensor([0.5, 0.5, 0.5, 0.9, 0.9]))
        self.assertEqual(kept.tolist(), [3, 4, 0])  # equal scores: lower index first
        self.assertEqual(self.check(torch.zeros(0, 4), torch.zeros(0)).numel(), 0)
        self.assertEqual(self.check(boxes[:1], torch.ones(1)).tolist(), [0])

    def test_large(self):
        boxes = boxes_in(20000, 1000, 1000, self.gen, torch.float32)
        self.check(boxes, torch.rand(20000, generator=self.gen))

    def test_batched(self):
        boxes = boxes_in(3000, 500, 500, self.gen, torch.float32)
        scores = torch.rand(3000, generator=self.gen)
        classes = torch.randint(0, 20, (3000,), generator=self.gen)
        self.assertTrue(torch.equal(ops.batched_nms(boxes, scores, classes, 0.5),
                                    torchvision.ops.batched_nms(boxes, scores, classes, 0.5)))
        # Identical boxes of different classes never suppress each other.
        same = torch.tensor([[0, 0, 10, 10]] * 3, dtype=torch.float32)
        self.assertEqual(ops.batched_nms(same, torch.tensor([0.3, 0.2, 0.1]), torch.tensor([0, 1, 0]), 0.5).tolist(),
                         [0, 1])

    def test_soft_nms(self):
        boxes = boxes_in(300, 200, 200, self.gen, torch.float64)
        scores = torch.rand(300, generator=self.gen, dtype=torch.float64)
        # "hard" with a vanishing score threshold is plain NMS.
        keep, kept_scores = ops.soft_nms(boxes, scores, 0.5, 0.5, 1e-12, "hard")
        self.assertTrue(torch.equal(keep, torchvision.ops.nms(boxes, scores, 0.5)))
        torch.testing.assert_close(kept_scores, scores[keep])
        # Decays only lower scores, keep every box above the threshold, and select in decreasing order.
        for method in ("linear", "gaussian"):
            keep, kept_scores = ops.soft_nms(boxes, scores, 0.3, 0.5, 1e-3, method)
            self.assertTrue(bool((kept_scores <= scores[keep] + 1e-12).all()))
            self.assertGreater(len(keep), len(torchvision.ops.nms(boxes, scores, 0.3)))
            self.assertEqual(len(set(keep.tolist())), len(keep))
        # Two identical boxes: linear decay with IoU 1 removes the second, Gaussian decays it by exp(-1/sigma).
        same = torch.tensor([[0, 0, 10, 10], [0, 0, 10, 10]], dtype=torch.float64)
        two = torch.tensor([0.9, 0.8], dtype=torch.float64)
        self.assertEqual(ops.soft_nms(same, two, 0.5, 0.5, 1e-3, "linear")[0].tolist(), [0])
        torch.testing.assert_close(ops.soft_nms(same, two, 0.5, 0.5, 1e-3, "gaussian")[1],
                                   torch.tensor([0.9, 0.8 * math.exp(-2.0)], dtype=torch.float64))
        with self.assertRaisesRegex(RuntimeError, "method must be"):
            ops.soft_nms(same, two, 0.5, 0.5, 1e-3, "cubic")

    def test_errors(self):
        with self.assertRaisesRegex(RuntimeError, r"scores must be a \[N\] tensor"):
            ops.nms(torch.zeros(3, 4), torch.zeros(2), 0.5)
        with self.assertRaisesRegex(RuntimeError, r"boxes must be a \[N, 4\] tensor"):
            ops.nms(torch.zeros(3, 5), torch.zeros(3), 0.5)


class BoxIouParity(unittest.TestCase):
    def test_matches_torchvision(self):
        gen = torch.Generator().manual_seed(4)
        a, b = boxes_in(300, 100, 100, gen), boxes_in(200, 100, 100, gen)
        torch.testing.assert_close(ops.box_iou(a, b), torchvision.ops.box_iou(a, b), rtol=0, atol=1e-12)
        self.assertEqual(ops.box_iou(a[:0], b).shape, (0, 200))


class MultiScaleRoIAlignParity(unittest.TestCase):
    def setUp(self):
        gen = torch.Generator().manual_seed(6)
        self.image_sizes = [(200, 240), (180, 256)]
        self.features = [torch.randn(2, 3, 200 // s, 256 // s, dtype=torch.float64, generator=gen)
                         for s in (4, 8, 16, 32)]
        # Sizes from a few pixels to the whole image, so every level gets boxes.
        self.boxes = [boxes_in(40, 240, 200, gen, spill=0.0), boxes_in(25, 256, 180, gen, spill=0.0)]
        self.boxes[0][:5, 2:] = self.boxes[0][:5, :2] + 3                       # tiny: clamped to P2
        self.boxes[0][5] = torch.tensor([0, 0, 150, 150], dtype=torch.float64)  # P3
        self.boxes[1][0] = torch.tensor([0, 0, 256, 200], dtype=torch.float64)  # P4
        self.boxes[1][1] = torch.tensor([0, 0, 600, 500], dtype=torch.float64)  # P5

    def test_matches_torchvision(self):
        from collections import OrderedDict
        pooler = torchvision.ops.MultiScaleRoIAlign(["p2", "p3", "p4", "p5"], 7, 2)
        theirs = pooler(OrderedDict(zip(["p2", "p3", "p4", "p5"], self.features)), self.boxes, self.image_sizes)
        rois = torch.cat([torch.cat([torch.full((len(b), 1), float(i), dtype=b.dtype), b], 1)
                          for i, b in enumerate(self.boxes)])
        ours = ops.multiscale_roi_align(self.features, rois, [200, 256], [7, 7], 2, 224, 4)
        torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-12)
        levels = ops.roi_levels(rois, 2, 5, 224, 4)
        self.assertEqual(levels.unique().tolist(), [0, 1, 2, 3])

    def test_gradcheck(self):
        feats = [f[:, :1, :12, :12].clone().requires_grad_() for f in self.features[:2]]
        rois = torch.tensor([[0, 2, 3, 20, 30], [1, 5, 5, 60, 50], [0, 1, 1, 8, 8]], dtype=torch.float64)
        self.assertTrue(gradcheck(lambda a, b: ops.multiscale_roi_align([a, b], rois, [48, 48], [2, 2], 2, 32, 3),
                                  tuple(feats)))


class AdversarialInputs(unittest.TestCase):
    """Degenerate shapes and values: each op returns or raises a clear error, never crashes. The suite
    also runs under AddressSanitizer and UndefinedBehaviorSanitizer (see docs/architecture.md)."""

    def test_degenerate_boxes_and_maps(self):
        x = torch.randn(1, 3, 1, 1)
        with self.assertRaisesRegex(RuntimeError, "clip the boxes"):
            ops.roi_align(x, torch.tensor([[0., -1e6, -1e6, 1e6, 1e6]]), 1.0, 3, 3, -1, True)
        with self.assertRaisesRegex(RuntimeError, "must be finite"):
            ops.roi_pool(x, torch.tensor([[0., float("nan"), 0, 1, 1]]), 1.0, 3, 3)
        for rois in ([[0., -1e6, -1e6, 1e6, 1e6]], [[0., 5, 5, -5, -5]], [[0., -1e6, -1e6, -2e6, -3e6]]):
            rois = torch.tensor(rois)
            for aligned in (False, True):
                xr = x.clone().requires_grad_()
                ops.roi_align(xr, rois, 1.0, 3, 3, 2, aligned).sum().backward()
                torch.testing.assert_close(ops.roi_align(x, rois, 1.0, 3, 3, 2, aligned),
                                           torchvision.ops.roi_align(x, rois, 3, 1.0, 2, aligned))
            xr = x.clone().requires_grad_()
            ops.roi_pool(xr, rois, 1.0, 2, 2)[0].sum().backward()
            torch.testing.assert_close(ops.roi_pool(x, rois, 1.0, 2, 2)[0], torchvision.ops.roi_pool(x, rois, 2, 1.0))

    def test_nan_boxes_and_scores_in_nms(self):
        b = torch.tensor([[0., 0, 0, 0], [1, 1, 0, 0], [float("nan"), 0, 1, 1]])
        s = torch.tensor([1., float("nan"), 0.5])
        self.assertEqual(ops.nms(b, s, 0.5).numel(), 3)
        ops.batched_nms(b, s, torch.tensor([0, 0, 1]), 0.5)
        ops.box_iou(b, b)
        ops.soft_nms(b, torch.tensor([1., 0.5, 0.2]), 0.5, 0.5, 0.0, "gaussian")


class BoxUtilitiesParity(unittest.TestCase):
    def setUp(self):
        gen = torch.Generator().manual_seed(5)
        self.a, self.b = boxes_in(50, 100, 80, gen), boxes_in(30, 100, 80, gen)

    def test_area_giou_clip_small(self):
        torch.testing.assert_close(ops.box_area(self.a), torchvision.ops.box_area(self.a), rtol=0, atol=1e-12)
        torch.testing.assert_close(ops.generalized_box_iou(self.a, self.b),
                                   torchvision.ops.generalized_box_iou(self.a, self.b), rtol=0, atol=1e-12)
        torch.testing.assert_close(ops.clip_boxes_to_image(self.a, [80, 100]),
                                   torchvision.ops.clip_boxes_to_image(self.a, (80, 100)), rtol=0, atol=0)
        for min_size in (0.0, 5.0, 30.0):
            self.assertTrue(torch.equal(ops.remove_small_boxes(self.a, min_size),
                                        torchvision.ops.remove_small_boxes(self.a, min_size)))

    def test_generalized_iou_is_differentiable(self):
        a = self.a[:5].clone().requires_grad_()
        self.assertTrue(gradcheck(lambda t: ops.generalized_box_iou(t, self.b[:4]), (a,)))

    def test_box_coder(self):
        from torchvision.models.detection._utils import BoxCoder
        import math
        for weights in ((1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)):
            coder = BoxCoder(weights)
            proposals = torchvision.ops.clip_boxes_to_image(self.a, (80, 100)) + torch.tensor([0, 0, 1, 1])
            gt = torchvision.ops.clip_boxes_to_image(self.a.flip(0), (80, 100)) + torch.tensor([0, 0, 1, 1])
            codes = ops.encode_boxes(gt, proposals, list(weights))
            torch.testing.assert_close(codes, coder.encode_single(gt, proposals), rtol=1e-12, atol=1e-12)
            wild = torch.cat([codes, codes * 50], 1)  # the second class exercises the exp clamp
            torch.testing.assert_close(ops.decode_boxes(wild, proposals, list(weights), math.log(1000.0 / 16)),
                                       coder.decode_single(wild, proposals), rtol=1e-12, atol=1e-9)
            torch.testing.assert_close(ops.decode_boxes(codes, proposals, list(weights), math.log(1000.0 / 16)), gt,
                                       rtol=1e-9, atol=1e-9)

    def test_anchor_generator(self):
        from torchvision.models.detection.anchor_utils import AnchorGenerator
        from torchvision.models.detection.image_list import ImageList
        sizes = ((32,), (64,), (128,), (256,), (512,))
        ratios = ((0.5, 1.0, 2.0),) * 5
        gen = AnchorGenerator(sizes, ratios)
        image_size, feature_sizes = (800, 1088), [(200, 272), (100, 136), (50, 68), (25, 34), (13, 17)]
        features = [torch.zeros(1, 1, h, w) for h, w in feature_sizes]
        theirs = gen(ImageList(torch.zeros(1, 3, *image_size), [image_size]), features)[0]
        ours = []
        for (h, w), size, ratio in zip(feature_sizes, sizes, ratios):
            cell = ops.cell_anchors(list(size), list(ratio))
            ours.append(ops.grid_anchors(cell, [h, w], [image_size[0] // h, image_size[1] // w]))
        torch.testing.assert_close(torch.cat(ours), theirs, rtol=0, atol=0)


class ConvTranspose2dParity(unittest.TestCase):
    """torch.ops.beyond.conv_transpose2d (phase conv2d) against torch.nn.functional.conv_transpose2d."""

    def test_forward_and_backward_match_aten(self):
        gen = torch.Generator().manual_seed(3)
        # (C_in, C_out, size, kernel, stride, padding, output_padding, groups, dilation)
        for c_in, c_out, size, k, s, p, op, groups, d in [(6, 4, 5, 2, 2, 0, 0, 1, 1), (3, 3, 6, 4, 2, 1, 1, 1, 1),
                                                          (2, 2, 3, 16, 8, 4, 0, 1, 1), (4, 6, 4, 3, 2, 1, 1, 2, 1),
                                                          (4, 4, 5, 3, 1, 2, 1, 4, 2), (2, 3, 4, 3, 2, 1, 0, 1, 2)]:
            x = torch.randn(2, c_in, size, size + 1, dtype=torch.float64, generator=gen)
            w = torch.randn(c_in, c_out // groups, k, k, dtype=torch.float64, generator=gen)
            b = torch.randn(c_out, dtype=torch.float64, generator=gen)
            args = ([s, s], [p, p], [op, op], groups, [d, d])
            ours = [t.clone().requires_grad_() for t in (x, w, b)]
            ref = [t.clone().requires_grad_() for t in (x, w, b)]
            out = ops.conv_transpose2d(*ours, *args)
            expected = torch.nn.functional.conv_transpose2d(*ref, stride=s, padding=p, output_padding=op,
                                                            groups=groups, dilation=d)
            torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)
            seed = torch.randn(expected.shape, dtype=torch.float64, generator=gen)
            (out * seed).sum().backward()
            (expected * seed).sum().backward()
            for a, e in zip(ours, ref):
                torch.testing.assert_close(a.grad, e.grad, rtol=1e-12, atol=1e-12)

    def test_gradcheck_and_gradgradcheck(self):
        gen = torch.Generator().manual_seed(4)
        x = torch.randn(1, 2, 3, 3, dtype=torch.float64, generator=gen, requires_grad=True)
        w = torch.randn(2, 2, 4, 4, dtype=torch.float64, generator=gen, requires_grad=True)
        b = torch.randn(2, dtype=torch.float64, generator=gen, requires_grad=True)
        fn = lambda x, w, b: ops.conv_transpose2d(x, w, b, [2, 2], [1, 1], [1, 0], 1, [1, 1])
        self.assertTrue(gradcheck(fn, (x, w, b)))
        self.assertTrue(torch.autograd.gradgradcheck(fn, (x, w, b)))


if __name__ == "__main__":
    torch.set_num_threads(2)
    unittest.main(verbosity=2)

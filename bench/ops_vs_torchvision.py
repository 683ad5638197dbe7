#!/usr/bin/python3
"""beyond's RoI and NMS ops vs. torchvision's, on identical inputs, same thread count, one process.

    /usr/bin/python3 bench/ops_vs_torchvision.py --threads 2 [--lib build/src/beyond/libbeyond_ops.so]

Prints a Markdown table: median time of each op in both libraries, the speed-up, and whether the
outputs agree (max abs difference for pooled features and gradients, equality for kept indices).
"""
import argparse
import statistics
import time

import torch
import torchvision


def timed(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def random_boxes(n, width, height, gen):
    xy = torch.rand(n, 2, generator=gen) * torch.tensor([width, height])
    wh = torch.rand(n, 2, generator=gen) * torch.tensor([width, height]) * 0.3 + 2
    return torch.cat([xy, xy + wh], 1)


def roi_cases(gen):
    # A Faster R-CNN-sized feature map: 800x1088 image at stride 4, 256 channels, 1000 proposals.
    x = torch.randn(2, 256, 200, 272, generator=gen)
    boxes = random_boxes(1000, 1088, 800, gen)
    rois = torch.cat([torch.randint(0, 2, (1000, 1), generator=gen).float(), boxes], 1)
    return x, rois


def same_up_to_ties(ours, theirs, scores):
    """torchvision's batched_nms orders equal scores by an unstable sort; beyond puts the lower index first."""
    if torch.equal(ours, theirs):
        return "equal"
    if set(ours.tolist()) == set(theirs.tolist()) and torch.equal(scores[ours], scores[theirs]):
        return "equal up to the order of tied scores"
    return "DIFFER"


def compare(name, ours, theirs, check, repeats):
    t_ours, t_theirs = timed(ours, repeats), timed(theirs, repeats)
    print(f"| {name} | {t_theirs * 1000:.1f} | {t_ours * 1000:.1f} | {t_theirs / t_ours:.2f}x | {check()} |", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lib", default="build/src/beyond/libbeyond_ops.so")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.ops.load_library(args.lib)
    ops = torch.ops.beyond
    gen = torch.Generator().manual_seed(0)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, {args.threads} threads, "
          f"median of {args.repeats}")
    print("| op | torchvision (ms) | beyond (ms) | speed-up | outputs |")
    print("| --- | --- | --- | --- | --- |")

    x, rois = roi_cases(gen)
    s = 0.25
    compare("roi_align fwd, [2,256,200,272], 1000 boxes, 7x7, sr 2, aligned",
            lambda: ops.roi_align(x, rois, s, 7, 7, 2, True),
            lambda: torchvision.ops.roi_align(x, rois, 7, s, 2, True),
            lambda: f"max diff {(ops.roi_align(x, rois, s, 7, 7, 2, True) - torchvision.ops.roi_align(x, rois, 7, s, 2, True)).abs().max().item():.1e}",
            args.repeats)

    def fwd_bwd(fn):
        def run():
            xi = x.detach().requires_grad_()
            fn(xi).sum().backward()
            return xi.grad
        return run

    ours_fb = fwd_bwd(lambda xi: ops.roi_align(xi, rois, s, 7, 7, 2, True))
    theirs_fb = fwd_bwd(lambda xi: torchvision.ops.roi_align(xi, rois, 7, s, 2, True))
    compare("roi_align fwd+bwd, same case", ours_fb, theirs_fb,
            lambda: f"grad max diff {(ours_fb() - theirs_fb()).abs().max().item():.1e}", args.repeats)

    compare("roi_pool fwd, same map and boxes, 7x7",
            lambda: ops.roi_pool(x, rois, s, 7, 7),
            lambda: torchvision.ops.roi_pool(x, rois, 7, s),
            lambda: f"max diff {(ops.roi_pool(x, rois, s, 7, 7)[0] - torchvision.ops.roi_pool(x, rois, 7, s)).abs().max().item():.1e}",
            args.repeats)
    ours_pb = fwd_bwd(lambda xi: ops.roi_pool(xi, rois, s, 7, 7)[0])
    theirs_pb = fwd_bwd(lambda xi: torchvision.ops.roi_pool(xi, rois, 7, s))
    compare("roi_pool fwd+bwd", ours_pb, theirs_pb,
            lambda: f"grad max diff {(ours_pb() - theirs_pb()).abs().max().item():.1e}", args.repeats)

    for n in (1000, 5000, 20000):
        boxes = random_boxes(n, 1000, 1000, gen)
        scores = torch.rand(n, generator=gen)
        compare(f"nms, {n} boxes, IoU 0.5",
                lambda: ops.nms(boxes, scores, 0.5),
                lambda: torchvision.ops.nms(boxes, scores, 0.5),
                lambda: "equal" if torch.equal(ops.nms(boxes, scores, 0.5), torchvision.ops.nms(boxes, scores, 0.5)) else "DIFFER",
                args.repeats)
    boxes = random_boxes(20000, 1000, 1000, gen)
    scores = torch.rand(20000, generator=gen)
    classes = torch.randint(0, 80, (20000,), generator=gen)
    compare("batched_nms, 20000 boxes, 80 classes",
            lambda: ops.batched_nms(boxes, scores, classes, 0.5),
            lambda: torchvision.ops.batched_nms(boxes, scores, classes, 0.5),
            lambda: same_up_to_ties(ops.batched_nms(boxes, scores, classes, 0.5),
                                    torchvision.ops.batched_nms(boxes, scores, classes, 0.5), scores),
            args.repeats)
    a, b = random_boxes(2000, 1000, 1000, gen), random_boxes(3000, 1000, 1000, gen)
    compare("box_iou, 2000 x 3000", lambda: ops.box_iou(a, b), lambda: torchvision.ops.box_iou(a, b),
            lambda: f"max diff {(ops.box_iou(a, b) - torchvision.ops.box_iou(a, b)).abs().max().item():.1e}",
            args.repeats)


if __name__ == "__main__":
    main()

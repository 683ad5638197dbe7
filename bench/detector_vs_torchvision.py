#!/usr/bin/python3
"""Faster R-CNN R50-FPN, the whole detector: beyond (C++) vs torchvision (Python), identical weights
(fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None) with a fixed seed, exported as safetensors),
the same images and thread count.

    /usr/bin/python3 bench/detector_vs_torchvision.py --tool build/bench/detector_inference
        [--threads 2] [--repeat 3] [--size 800x1067] [--images 1] [--train-repeat 3] [--finetune]

Inference: eval mode, one batch of --images images of --size (so the transform keeps them at 800 x
1067 and pads to 800 x 1088); beyond plain and with optimize_for_inference() (norms folded into the
convolutions, channels-last). Outputs are compared (boxes, scores, labels). Training: one iteration
(forward with targets, backward, SGD step) on the same batch and targets. Also the time per stage
(transform, backbone, RPN, RoI heads, post-processing) of both, measured by calling the stages in turn.

--finetune adds a training comparison in the set-up torchvision builds for fine-tuning (what
`fasterrcnn_resnet50_fpn(weights_backbone=...)` makes: FrozenBatchNorm2d, trainable_backbone_layers=3),
the way detectors are trained in practice; beyond runs it contiguous and channels-last.

So that the RoI heads and NMS do real work with random weights, the class-score layer is scaled by 20
(peaked class probabilities, so about as many boxes pass the 0.05 score threshold as a trained model's).
Prints a table and a JSON line.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from beyond_safetensors import load, save  # noqa: E402
import export_torchvision as tv  # noqa: E402


def build(seed):
    model, _ = tv.build("fasterrcnn_resnet50_fpn", seed=seed)
    with torch.no_grad():
        model.roi_heads.box_predictor.cls_score.weight.mul_(20)
    return model


def build_finetune(seed):
    """fasterrcnn_resnet50_fpn as torchvision builds it around pretrained weights (frozen norms, the
    stem and layer1 frozen), with seeded random weights in place of the download."""
    torch.manual_seed(seed)
    body = tv.resnet_fpn_backbone(backbone_name="resnet50", weights=None, norm_layer=tv.FrozenBatchNorm2d,
                                  trainable_layers=3)
    model = torchvision.models.detection.FasterRCNN(body, num_classes=91)
    tv.randomise_norms(model, torch.Generator().manual_seed(seed + 1))
    with torch.no_grad():
        model.roi_heads.box_predictor.cls_score.weight.mul_(20)
    return model


def finetune_rows(a, images, targets, inputs, train, tmp):
    model = build_finetune(a.seed)
    weights = os.path.join(tmp, "finetune.safetensors")
    save({k: v.contiguous() for k, v in model.state_dict().items()}, weights)
    best, mean = torchvision_training(model, images, targets, a.train_repeat)
    rows = {"torchvision": {"train_best_s": best, "train_mean_s": mean}}
    sets = ["--set", "model.norm=frozen", "--set", "model.trainable_layers=3"]
    for label, extra in [("beyond", []), ("beyond channels-last", ["--set", "model.channels_last=true"])]:
        r = subprocess.run([a.tool, "faster_rcnn_r50_fpn", inputs, weights, os.path.join(tmp, "o.safetensors"),
                            "--threads", str(a.threads), "--train", train, "--train-repeat", str(a.train_repeat),
                            "--train-only", *sets, *extra], capture_output=True, text=True)
        if r.returncode:
            sys.exit(f"{a.tool} failed:\n{r.stderr}")
        rows[label] = json.loads(r.stdout.strip().splitlines()[-1])
    return rows


def fixed_batch(n, h, w, seed):
    g = torch.Generator().manual_seed(seed)
    images = [torch.rand(3, h, w, generator=g) for _ in range(n)]
    targets = []
    for _ in range(n):
        xy = torch.rand(8, 2, generator=g) * torch.tensor([w * 0.7, h * 0.7])
        wh = 20 + torch.rand(8, 2, generator=g) * torch.tensor([w * 0.3, h * 0.3])
        targets.append({"boxes": torch.cat([xy, xy + wh], 1), "labels": torch.randint(1, 91, (8,), generator=g)})
    return images, targets


def timed_stages(model, images, stages):
    t = time.perf_counter()
    il, _ = model.transform(images)
    stages["transform"] += time.perf_counter() - t
    t = time.perf_counter()
    feats = model.backbone(il.tensors)
    stages["backbone"] += time.perf_counter() - t
    t = time.perf_counter()
    props, _ = model.rpn(il, feats)
    stages["rpn"] += time.perf_counter() - t
    t = time.perf_counter()
    dets, _ = model.roi_heads(feats, props, il.image_sizes)
    stages["roi_heads"] += time.perf_counter() - t
    t = time.perf_counter()
    dets = model.transform.postprocess(dets, il.image_sizes, [im.shape[-2:] for im in images])
    stages["postprocess"] += time.perf_counter() - t
    return dets


def torchvision_inference(model, images, repeat):
    model.eval()
    stages = {k: 0.0 for k in ("transform", "backbone", "rpn", "roi_heads", "postprocess")}
    with torch.no_grad():
        dets = timed_stages(model, images, dict(stages))  # warm-up
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            dets = timed_stages(model, images, stages)
            times.append(time.perf_counter() - t0)
    return min(times), sum(times) / len(times), {k: v / repeat for k, v in stages.items()}, dets


def torchvision_training(model, images, targets, repeat):
    model.train()
    sgd = torch.optim.SGD(model.parameters(), lr=1e-5, momentum=0.9)
    times = []
    for r in range(repeat + 1):
        t0 = time.perf_counter()
        loss = sum(model(images, targets).values())
        sgd.zero_grad()
        loss.backward()
        sgd.step()
        if r:
            times.append(time.perf_counter() - t0)
    return min(times), sum(times) / len(times)


def max_diff(ours, ref):
    worst = {"boxes": 0.0, "scores": 0.0, "labels_equal": True, "counts": []}
    for i, d in enumerate(ref):
        b, s, l = ours[f"boxes.{i}"], ours[f"scores.{i}"], ours[f"labels.{i}"]
        worst["counts"].append([len(d["boxes"]), len(b)])
        if len(b) != len(d["boxes"]):
            worst["labels_equal"] = False
            continue
        if len(b):
            worst["boxes"] = max(worst["boxes"], float((b - d["boxes"]).abs().max()))
            worst["scores"] = max(worst["scores"], float((s - d["scores"]).abs().max()))
            worst["labels_equal"] &= bool(torch.equal(l, d["labels"]))
    return worst


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tool", default="build/bench/detector_inference")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--train-repeat", type=int, default=3)
    p.add_argument("--size", default="800x1067")
    p.add_argument("--images", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--finetune", action="store_true", help="also compare training in the fine-tuning set-up")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    h, w = (int(s) for s in a.size.split("x"))
    images, targets = fixed_batch(a.images, h, w, a.seed)
    model = build(a.seed)
    with tempfile.TemporaryDirectory() as tmp:
        weights, inputs, train = (os.path.join(tmp, f) for f in ("w.safetensors", "in.safetensors", "t.safetensors"))
        save({k: v.contiguous() for k, v in model.state_dict().items()}, weights)
        save({f"image.{i}": im for i, im in enumerate(images)}, inputs)
        save({**{f"boxes.{i}": t["boxes"] for i, t in enumerate(targets)},
                     **{f"labels.{i}": t["labels"] for i, t in enumerate(targets)}}, train)
        tv_best, tv_mean, tv_stages, ref = torchvision_inference(model, images, a.repeat)
        tv_train_best, tv_train_mean = torchvision_training(build(a.seed), images, targets, a.train_repeat)
        rows = {"torchvision": {"best_s": tv_best, "mean_s": tv_mean, "stages": tv_stages,
                                "train_best_s": tv_train_best, "train_mean_s": tv_train_mean}}
        for label, flags in [("beyond", ["--train", train, "--train-repeat", str(a.train_repeat)]),
                             ("beyond optimized", ["--optimize"])]:
            out = os.path.join(tmp, "out.safetensors")
            r = subprocess.run([a.tool, "faster_rcnn_r50_fpn", inputs, weights, out, "--repeat", str(a.repeat),
                                "--threads", str(a.threads), *flags], capture_output=True, text=True)
            if r.returncode:
                sys.exit(f"{a.tool} failed:\n{r.stderr}")
            rows[label] = json.loads(r.stdout.strip().splitlines()[-1])
            rows[label]["diff"] = max_diff(load(out), ref)
        finetune = finetune_rows(a, images, targets, inputs, train, tmp) if a.finetune else None
    tv_row = rows["torchvision"]
    print(f"Faster R-CNN R50-FPN, {a.images} image(s) {a.size}, {a.threads} threads, best of {a.repeat}")
    for label, r in rows.items():
        line = f"  {label:18s} inference best {r['best_s']:7.3f} s  speed-up {tv_row['best_s'] / r['best_s']:5.2f}x"
        if "train_best_s" in r:
            line += f"  | training iteration best {r['train_best_s']:7.3f} s" \
                    f"  speed-up {tv_row['train_best_s'] / r['train_best_s']:5.2f}x"
        print(line)
        print("    stages (s): " + ", ".join(f"{k} {v:.3f}" for k, v in r["stages"].items()))
        if "diff" in r:
            print(f"    vs torchvision: detections (torchvision, ours) {r['diff']['counts']}, max |box diff| "
                  f"{r['diff']['boxes']:.2e}, max |score diff| {r['diff']['scores']:.2e}, labels equal {r['diff']['labels_equal']}")
    if finetune:
        print(f"Training iteration, fine-tuning set-up (frozen norms, trainable_backbone_layers=3), best of {a.train_repeat}")
        for label, r in finetune.items():
            print(f"  {label:22s} {r['train_best_s']:7.3f} s  speed-up "
                  f"{finetune['torchvision']['train_best_s'] / r['train_best_s']:5.2f}x")
    print(json.dumps({"threads": a.threads, "size": a.size, "images": a.images, "results": rows,
                      "finetune_training": finetune}))


if __name__ == "__main__":
    main()

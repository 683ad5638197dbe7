#!/usr/bin/python3
"""FCN-8s inference and training throughput (images/s): beyond (bench/fcn_throughput.cpp) vs. the same
network written here in PyTorch Python, on the same weights, with the same thread count (issue 6 target:
>= 1.3x).

The network is beyond's models/segmentation/fcn.{h,cpp} (VGG-style body of fcn_vgg_body.cpp, 1x1 score
layers, BilinearUpsample transposed convolutions, crops) in two configurations: configs/fcn8s_small.yaml
(the narrow VGG with BatchNorm trained on `scenes`) and configs/fcn8s_vgg16.yaml (FCN-8s on the full
VGG-16), both with --classes outputs. The mirror below uses nn.Conv2d / nn.BatchNorm2d / nn.MaxPool2d
(ceil mode) / nn.ConvTranspose2d under beyond's parameter names, and computes the crop offsets from the
grid geometry itself (cell j of a stride-s map of the VGG body is centred on pixel s*j + (s-1)/2).

Before any timing, the script proves it is the same network: the C++ bench randomises every parameter
and running statistic (score layers and upsamplings included, which start at zero / bilinear), saves
them, and saves logits and parameter gradients of a cross-entropy loss in eval mode and in train mode
(BatchNorm on batch statistics, dropout off) for a batch of odd-sized images; the mirror loads the
weights and must reproduce them within --tol (logits, loss) and --grad-tol (gradients), relative
to the largest magnitude of each tensor; gradients that are zero up to rounding (the conv biases before
a training-mode BatchNorm) are measured against 1e-2 of the network's largest gradient instead.

Timing: inference is eval mode without gradients at batch 1; a training step is forward, pixel-wise
cross-entropy (ignore label 255), backward and an Adam step (beyond: its fused Adam, as `beyond train`;
PyTorch: torch.optim.Adam's defaults). Runs alternate between beyond and PyTorch so that machine noise
hits both; medians are reported. beyond runs with the CLI's allocator setting (core/allocator.h: freed
memory stays in the process); for PyTorch with the same setting, run this script with
MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=536870912 MALLOC_TOP_PAD_=67108864 set.
"beyond, optimized" is, for inference, beyond after Fcn::optimize_for_inference() (norms folded into
the convolutions, channels-last) and, for training, beyond with channels-last convolutions
(Fcn::set_channels_last, `model.channels_last: true` in the configs). --profile adds where the time
goes (the same phases timed on both sides; for training, the forward's layers, then loss, backward and
optimizer).

What makes the difference (--profile):
- Upsampling: beyond's transposed convolution (ops/conv_transpose.h: one ordinary convolution plus a
  pixel shuffle) against ATen's slow_conv_transpose2d (GEMM + col2im): 5 vs 40 ms per 500x375 image for
  the small net's 12 classes, and a faster backward. See docs/results.md ("Transposed convolution").
- Max-pooling: LibTorch 1.13's NCHW max_pool2d kernel is slow (13 ms for the first pool of the small net
  at 500x375); without gradients beyond's VGG body pools as three elementwise maxima (same values), and
  channels-last uses ATen's vectorised kernel (also in training, where it gives most of the 1.3x).
- fc6 of VGG-16 (7x7, 512 -> 4096 on a small map): oneDNN's direct convolution runs at ~28-40 GFLOP/s;
  beyond runs it as im2col + one BLAS product (1.8x, forward and backward).
- Adam: beyond's fused Adam is one pass per parameter (VGG-16's 134M parameters: 0.11 s vs 0.7 s).
- The allocator: PyTorch with glibc's defaults pays page faults for its large activations (BatchNorm's
  output, for one); the MALLOC_ settings above remove most of the small net's training gap.
The body's 3x3 convolutions are the same oneDNN calls on both sides.

Run with Debian's python3 (python3-torch) after building the bench (cmake -DBEYOND_BUILD_BENCH=ON,
target fcn_throughput):

    /usr/bin/python3 bench/fcn_throughput.py --threads 1 [--build build] [--repeats 3]
        [--configs small,vgg16] [--modes infer,train] [--profile]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from beyond_safetensors import load  # noqa: E402
from generative_throughput import match_beyond_blas_threads  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = {"small": os.path.join(HERE, "..", "configs", "fcn8s_small.yaml"),
           "vgg16": os.path.join(HERE, "..", "configs", "fcn8s_vgg16.yaml")}
# (batch, height, width, steps, warmup) per configuration and mode.
SETTINGS = {("small", "infer"): (1, 375, 500, 20, 3), ("small", "train"): (8, 160, 160, 8, 2),
            ("vgg16", "infer"): (1, 240, 320, 4, 1), ("vgg16", "train"): (2, 160, 160, 3, 1)}
MAX_SAVED = 1 << 22  # fcn_throughput.cpp's kMaxSaved: larger gradients are saved as every k-th value


def grid_origin(stride):
    """Pixel of cell 0 of a stride-`stride` map of the VGG body (2x2 pooling); the image is stride 1, origin 0."""
    return (stride - 1) / 2


def crop_offset(source, target, kernel):
    """Rows / columns to drop from a transposed convolution (stride source / target, kernel `kernel`) of the
    source grid so that its output index t is target cell t: input cell i sits at pixel source*i + O_s
    and lands on output index f*i + (K - 1) / 2; target cell t sits at pixel target*t + O_t."""
    offset = (kernel - 1) / 2 + (grid_origin(target) - grid_origin(source)) / target
    assert offset == int(offset), (source, target, kernel)
    return int(offset)


class VggBody(nn.Module):
    """fcn_vgg_body.cpp: features.N in torchvision's order (conv, [BatchNorm], ReLU, ..., ceil-mode max-pool),
    fc6 (k x k, padded k // 2) and fc7 (1x1), each followed by ReLU and dropout; returns pool3, pool4, fc7."""

    def __init__(self, arch):
        super().__init__()
        layers, c, self.pools = [], 3, []
        for width, convs in zip(arch["widths"], arch["convs"]):
            for _ in range(convs):
                layers.append(nn.Conv2d(c, width, 3, padding=1))
                if arch["batch_norm"]:
                    layers.append(nn.BatchNorm2d(width))
                layers.append(nn.ReLU(inplace=True))
                c = width
            self.pools.append(len(layers))
            layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
        self.features = nn.Sequential(*layers)
        k, fc = arch["fc6_kernel"], arch["fc_channels"]
        self.fc6, self.fc7 = nn.Conv2d(c, fc, k, padding=k // 2), nn.Conv2d(fc, fc, 1)
        self.drop6, self.drop7 = nn.Dropout(arch["dropout"]), nn.Dropout(arch["dropout"])

    def forward(self, x):
        maps = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.pools[2:4]:
                maps.append(x)
        x = self.drop6(F.relu(self.fc6(x)))
        return maps[0], maps[1], self.drop7(F.relu(self.fc7(x)))


class Fcn(nn.Module):
    """fcn.cpp with the VGG body: score_fr on fc7; for each skip, upscore2 / upscore_pool4 (x2, K = 4, no
    bias) cropped onto score_pool4 / score_pool3 and added; upscore (x8 for FCN-8s, K = 16) cropped onto
    the image. The final upsampling is frozen unless learn_final_upsampling."""

    def __init__(self, arch):
        super().__init__()
        k, widths, self.skips = arch["num_classes"], arch["widths"], arch["skips"]
        self.backbone = VggBody(arch)
        self.score_fr = nn.Conv2d(arch["fc_channels"], k, 1)
        if self.skips >= 1:
            self.score_pool4 = nn.Conv2d(widths[3], k, 1)
            self.upscore2 = nn.ConvTranspose2d(k, k, 4, stride=2, bias=False)
        if self.skips >= 2:
            self.score_pool3 = nn.Conv2d(widths[2], k, 1)
            self.upscore_pool4 = nn.ConvTranspose2d(k, k, 4, stride=2, bias=False)
        f = 32 >> self.skips
        self.upscore = nn.ConvTranspose2d(k, k, 2 * f, stride=f, bias=False)
        self.upscore.weight.requires_grad_(arch["learn_final_upsampling"])

    @staticmethod
    def crop(x, offset, height, width):
        return x[:, :, offset:offset + height, offset:offset + width]

    def forward(self, images):
        pool3, pool4, fc7 = self.backbone(images)
        scores, stride = self.score_fr(fc7), 32
        for up, score, fine in [(getattr(self, "upscore2", None), getattr(self, "score_pool4", None), pool4),
                                (getattr(self, "upscore_pool4", None), getattr(self, "score_pool3", None), pool3)][:self.skips]:
            fine = score(fine)
            scores = self.crop(up(scores), crop_offset(stride, stride // 2, up.kernel_size[0]), fine.size(2),
                               fine.size(3)) + fine
            stride //= 2
        return self.crop(self.upscore(scores), crop_offset(stride, 1, self.upscore.kernel_size[0]), images.size(2),
                         images.size(3))

    def profiled_forward(self, images, phases):
        """forward with the time of each kind of layer added to `phases`, as fcn_throughput.cpp's."""
        def timed(phase, fn, *args):
            t0 = time.perf_counter()
            y = fn(*args)
            phases[phase] = phases.get(phase, 0.0) + time.perf_counter() - t0
            return y

        kinds = {nn.Conv2d: "conv", nn.BatchNorm2d: "batchnorm", nn.ReLU: "relu", nn.MaxPool2d: "pool"}
        body, x, maps = self.backbone, images, []
        for i, layer in enumerate(body.features):
            x = timed(kinds.get(type(layer), "other"), layer, x)
            if i in body.pools[2:4]:
                maps.append(x)
        x = timed("fc6/fc7", lambda t: body.drop6(F.relu(body.fc6(t))), x)
        maps.append(timed("fc6/fc7", lambda t: body.drop7(F.relu(body.fc7(t))), x))
        scores, stride = timed("score", self.score_fr, maps[2]), 32
        for up, score, fine in [(getattr(self, "upscore2", None), getattr(self, "score_pool4", None), maps[1]),
                                (getattr(self, "upscore_pool4", None), getattr(self, "score_pool3", None), maps[0])][:self.skips]:
            fine = timed("score", score, fine)
            big = timed("upsample", up, scores)
            offset = crop_offset(stride, stride // 2, up.kernel_size[0])
            scores = timed("crop+add", lambda: self.crop(big, offset, fine.size(2), fine.size(3)) + fine)
            stride //= 2
        big = timed("upsample", self.upscore, scores)
        offset = crop_offset(stride, 1, self.upscore.kernel_size[0])
        return timed("crop+add", self.crop, big, offset, images.size(2), images.size(3))


def weights_of(path):
    return {k[len("model."):]: v for k, v in load(path).items() if k.startswith("model.")}


def beyond(a, config, mode, weights, extra=()):
    exe = os.path.join(a.build, "bench", "fcn_throughput")
    cmd = [exe, "--mode", mode, "--config", CONFIGS[config], "--classes", str(a.classes), "--weights", weights,
           "--threads", str(a.threads), *map(str, extra)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def max_rel(ours, ref):
    return float((ours - ref).abs().max() / ref.abs().max().clamp_min(1e-30))


def check(a, config, weights, tmp):
    """Runs beyond's check mode and compares the mirror's logits and gradients; returns (mirror, report)."""
    path = os.path.join(tmp, f"{config}_check.safetensors")
    arch = beyond(a, config, "check", weights, ["--out", path, "--batch", 2, "--height", 67, "--width", 93])
    ref = load(path)
    model = Fcn(arch)
    model.load_state_dict(weights_of(weights), strict=True)
    worst = {}
    for phase in ("eval", "train"):
        if phase == "train":
            for m in model.modules():
                if isinstance(m, nn.Dropout):
                    m.p = 0.0
        model.train(phase == "train")
        model.zero_grad(set_to_none=True)
        logits = model(ref["input"])
        loss = F.cross_entropy(logits, ref["labels"], ignore_index=255)
        loss.backward()
        worst[f"{phase} logits"] = max_rel(logits.detach(), ref[f"{phase}.logits"])
        worst[f"{phase} loss"] = max_rel(loss.detach(), ref[f"{phase}.loss"])
        grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
        theirs = {k[len(f"{phase}.grad."):] for k in ref if k.startswith(f"{phase}.grad.")}
        assert set(grads) == theirs, f"{config} {phase}: gradients of different parameters: {set(grads) ^ theirs}"
        # A conv bias before a training-mode BatchNorm has a gradient that is zero up to rounding: such
        # tensors are measured against 1e-2 of the largest gradient of the network instead of their own.
        floor = 1e-2 * max(float(g.abs().max()) for g in grads.values())
        worst[f"{phase} gradients"] = 0.0
        for n, g in grads.items():
            k = -(-g.numel() // MAX_SAVED)
            mine, theirs = (g.flatten()[::k] if k > 1 else g), ref[f"{phase}.grad.{n}"]
            err = float((mine - theirs).abs().max()) / max(float(theirs.abs().max()), floor)
            worst[f"{phase} gradients"] = max(worst[f"{phase} gradients"], err)
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = arch["dropout"]
    for what, err in worst.items():
        assert err <= (a.grad_tol if "gradients" in what else a.tol), f"{config}: the PyTorch mirror differs from beyond's FCN ({what}: {err:.2e} > {a.tol})"
    return model, arch, worst


def pytorch_run(model, state, arch, mode, setting, lr, profile):
    batch, height, width, steps, warmup = setting
    model.load_state_dict(state)
    images = torch.randn(batch, 3, height, width)
    phases = {}
    if mode == "infer":
        model.eval()

        def step():
            with torch.no_grad():
                logits = model.profiled_forward(images, phases) if profile else model(images)
            assert logits.size(1) == arch["num_classes"]
    else:
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        labels = torch.randint(0, arch["num_classes"], (batch, height, width))

        def step():
            forward = {}
            t0 = time.perf_counter()
            logits = model.profiled_forward(images, forward) if profile else model(images)
            t1 = time.perf_counter()
            loss = F.cross_entropy(logits, labels, ignore_index=255)
            t2 = time.perf_counter()
            opt.zero_grad()
            loss.backward()
            t3 = time.perf_counter()
            opt.step()
            t4 = time.perf_counter()
            if profile:
                for k, dt in [*((f"forward: {k}", v) for k, v in forward.items()), ("loss", t2 - t1),
                              ("backward", t3 - t2), ("optimizer", t4 - t3)]:
                    phases[k] = phases.get(k, 0.0) + dt
            assert torch.isfinite(loss).item()
    for _ in range(warmup):
        step()
    phases.clear()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    secs = time.perf_counter() - t0
    return {"images_per_s": steps * batch / secs, "step_s": secs / steps, "phases": {k: v / steps for k, v in phases.items()}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--build", default="build")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--classes", type=int, default=12)
    ap.add_argument("--configs", default="small,vgg16")
    ap.add_argument("--modes", default="infer,train")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--tol", type=float, default=1e-4, help="largest relative difference of logits and loss accepted")
    ap.add_argument("--grad-tol", type=float, default=1e-3, help="largest relative difference of gradients accepted")
    ap.add_argument("--profile", action="store_true", help="also time the phases (one extra run per side)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    torch.zeros(2, 2) @ torch.zeros(2, 2)  # loads the BLAS
    blas = match_beyond_blas_threads()
    malloc = {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")}
    print(f"torch {torch.__version__}, {a.threads} threads, BLAS {blas}, {a.classes} classes, median of {a.repeats} "
          f"alternating runs; PyTorch's glibc settings: {malloc or 'defaults'}", flush=True)
    rows, profiles = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for config in a.configs.split(","):
            weights = os.path.join(tmp, f"{config}_weights.safetensors")
            model, arch, worst = check(a, config, weights, tmp)
            print(f"{config}: mirror == beyond (max relative difference, limits {a.tol:g} / gradients {a.grad_tol:g}): "
                  + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()), flush=True)
            state = weights_of(weights)  # as saved: the check's train-mode pass moved the running statistics
            for mode in a.modes.split(","):
                s = SETTINGS[(config, mode)]
                extra = ["--mode", mode, "--batch", s[0], "--height", s[1], "--width", s[2], "--steps", s[3],
                         "--warmup", s[4], "--lr", a.lr]
                variants = {"beyond": extra}
                if mode == "infer":
                    variants["beyond, optimized"] = extra + ["--optimize", 1]
                else:
                    variants["beyond, optimized"] = extra + ["--channels-last", 1]
                rates = {k: [] for k in [*variants, "pytorch"]}
                for _ in range(a.repeats):
                    for name, args in variants.items():
                        rates[name].append(beyond(a, config, mode, weights, args[2:])["images_per_s"])
                    rates["pytorch"].append(pytorch_run(model, state, arch, mode, s, a.lr, False)["images_per_s"])
                med = {k: statistics.median(v) for k, v in rates.items()}
                rows.append((config, mode, s, med))
                print(f"  {config} {mode}: " + ", ".join(f"{k} {v:.3f} images/s" for k, v in med.items()), flush=True)
                if a.profile:
                    ours = beyond(a, config, mode, weights, extra[2:] + ["--profile", 1])["phases"]
                    opt = beyond(a, config, mode, weights, extra[2:] + ["--profile", 1] +
                                 (["--optimize", 1] if mode == "infer" else ["--channels-last", 1]))["phases"]
                    theirs = pytorch_run(model, state, arch, mode, s, a.lr, True)["phases"]
                    profiles.append((config, mode, ours, opt, theirs))
    print()
    print("| network | mode | batch x H x W | beyond (images/s) | beyond, optimized (inference) / channels-last (training) | PyTorch (images/s) | beyond / PyTorch | optimized / PyTorch |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for config, mode, s, med in rows:
        o, p = med["beyond"], med["pytorch"]
        opt = med.get("beyond, optimized")
        print(f"| FCN-8s {config} | {'inference' if mode == 'infer' else 'training step'} | {s[0]} x {s[1]} x {s[2]} | "
              f"{o:.3f} | {f'{opt:.3f}' if opt else ''} | {p:.3f} | **{o / p:.2f}x** | "
              f"{f'{opt / p:.2f}x' if opt else ''} |")
    for config, mode, ours, opt, theirs in profiles:
        print(f"\nwhere the time goes, FCN-8s {config} {mode} (ms per step):")
        print("| phase | beyond | beyond, optimized | PyTorch |")
        print("| --- | --- | --- | --- |")
        for k in sorted(set(ours) | set(opt) | set(theirs), key=lambda k: -theirs.get(k, 0)):
            cells = [f"{d[k] * 1e3:.1f}" if k in d else "" for d in (ours, opt, theirs)]
            print(f"| {k} | " + " | ".join(cells) + " |")
        print("| total | " + " | ".join(f"{sum(d.values()) * 1e3:.1f}" if d else "" for d in (ours, opt, theirs)) + " |")


if __name__ == "__main__":
    main()

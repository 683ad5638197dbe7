#!/usr/bin/python3
"""Character language model training throughput (characters/s): beyond's fused path (LibTorch's
torch::nn::LSTM kernels; and with model.sequence_kernel, the default of configs/char_lm.yaml,
beyond's whole-sequence LSTM with a hand-written backward and the embedding folded into the first
layer's input projection, models/sequence/lstm_sequence.h), beyond's own cells (written from the
equations), and the same model in PyTorch Python (nn.LSTM), all with the same step: embedding 64 -> 1-layer LSTM -> linear over 73 symbols
(KJV's vocabulary), batch 64, truncated BPTT 100 with the state carried and detached, cross-entropy,
clip by global norm 5, Adam 2e-3, the same thread count. beyond runs with the CLI's allocator setting
(core/allocator.h: freed memory stays in the process); PyTorch with its defaults. Runs alternate between the three so that
machine noise hits all of them; the median is reported. Targets (issue 8): fused >= 1.2x PyTorch,
own cells within 2x of fused. Run with Debian's python3 (python3-torch) after building the bench:

    /usr/bin/python3 bench/char_lm_throughput.py --threads 2 [--build build] [--repeats 3] [--hidden 256]

The last line projects the characters seen in one hour of training at each rate.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from char_lm_reference import CharLM, train_step  # noqa: E402  the reference script's model and step
from generative_throughput import match_beyond_blas_threads  # noqa: E402


def pytorch_rate(a):
    torch.manual_seed(0)
    model = CharLM(a.vocab, a.hidden)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    ids = torch.randint(0, a.vocab, (a.seq + 1, a.batch))
    x, y, state = ids[:-1].contiguous(), ids[1:].contiguous(), None
    for _ in range(a.warmup):
        _, state = train_step(model, opt, x, y, state)
    t0 = time.perf_counter()
    for _ in range(a.steps):
        _, state = train_step(model, opt, x, y, state)
    secs = time.perf_counter() - t0
    return a.steps * a.batch * a.seq / secs


def beyond_rate(a, fused, kernel=False):
    exe = os.path.join(a.build, "bench", "char_lm_throughput")
    out = subprocess.run([exe, "--fused", "1" if fused else "0", "--kernel", "1" if kernel else "0", "--batch", str(a.batch), "--seq", str(a.seq),
                          "--hidden", str(a.hidden), "--vocab", str(a.vocab), "--steps", str(a.steps), "--warmup",
                          str(a.warmup), "--threads", str(a.threads)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["chars_per_s"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--build", default="build")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seq", type=int, default=100)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--vocab", type=int, default=73)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.zeros(2, 2) @ torch.zeros(2, 2)  # loads the BLAS
    blas = match_beyond_blas_threads()
    rates = {"beyond fused kernel": [], "beyond fused": [], "beyond cells": [], "pytorch": []}
    for _ in range(a.repeats):
        rates["beyond fused kernel"].append(beyond_rate(a, True, kernel=True))
        rates["beyond fused"].append(beyond_rate(a, True))
        rates["beyond cells"].append(beyond_rate(a, False))
        rates["pytorch"].append(pytorch_rate(a))
    med = {k: statistics.median(v) for k, v in rates.items()}
    print(f"torch {torch.__version__}, {a.threads} threads, BLAS {blas}, batch {a.batch}, seq {a.seq}, "
          f"hidden {a.hidden}, median of {a.repeats} alternating runs of {a.steps} steps")
    print("| implementation | chars/s | step (s) | vs PyTorch | chars in 1 h |")
    print("| --- | --- | --- | --- | --- |")
    for k, r in med.items():
        print(f"| {k} | {r:.0f} | {a.batch * a.seq / r:.3f} | {r / med['pytorch']:.2f}x | {r * 3600 / 1e6:.0f}M |")
    print(f"fused kernel / pytorch = {med['beyond fused kernel'] / med['pytorch']:.2f}, "
          f"fused / pytorch = {med['beyond fused'] / med['pytorch']:.2f} (target >= 1.2); "
          f"fused / cells = {med['beyond fused'] / med['beyond cells']:.2f} (target <= 2)")


if __name__ == "__main__":
    main()

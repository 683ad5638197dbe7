#!/usr/bin/python3
"""Parity of beyond's Recurrent (own cells and fused path) with PyTorch's nn.RNN / nn.LSTM / nn.GRU.

Run by CTest as: /usr/bin/python3 recurrent_parity_test.py <path to recurrent_parity_driver>
For each cell and 1 or 2 layers: a PyTorch module built with a fixed seed, random input [T, N, in],
initial state and output gradients are written as safetensors (the module's state_dict under "rnn.");
the driver loads them into beyond's Recurrent by name, runs forward and backward, and the script
compares outputs, final states and the gradients of input, initial state and every parameter
(float32, atol 1e-5 / rtol 1e-4).
"""
import os
import subprocess
import sys
import tempfile
import unittest

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from beyond_safetensors import load, save  # noqa: E402

DRIVER = sys.argv.pop(1) if len(sys.argv) > 1 else "build/tests/recurrent_parity_driver"
MODULES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
T, N, IN, H = 12, 3, 5, 7


def reference(cell, layers):
    gen = torch.Generator().manual_seed(100 * layers + len(cell))
    torch.manual_seed(100 * layers + len(cell))
    module = MODULES[cell](IN, H, num_layers=layers)
    inputs = {"rnn." + k: v.detach().clone() for k, v in module.state_dict().items()}
    x = torch.randn(T, N, IN, generator=gen).requires_grad_(True)
    h0 = torch.randn(layers, N, H, generator=gen).requires_grad_(True)
    c0 = torch.randn(layers, N, H, generator=gen).requires_grad_(True)
    g_out, g_h, g_c = (torch.randn(*s, generator=gen) for s in [(T, N, H), (layers, N, H), (layers, N, H)])
    if cell == "lstm":
        out, (h, c) = module(x, (h0, c0))
        loss = (out * g_out).sum() + (h * g_h).sum() + (c * g_c).sum()
    else:
        out, h = module(x, h0)
        loss = (out * g_out).sum() + (h * g_h).sum()
    loss.backward()
    inputs.update({"input": x.detach(), "h0": h0.detach(), "g_out": g_out, "g_h": g_h})
    ref = {"out": out.detach(), "h": h.detach(), "grad.input": x.grad, "grad.h0": h0.grad}
    if cell == "lstm":
        inputs.update({"c0": c0.detach(), "g_c": g_c})
        ref.update({"c": c.detach(), "grad.c0": c0.grad})
    for name, p in module.named_parameters():
        ref["grad." + name] = p.grad
    return inputs, ref


class RecurrentParity(unittest.TestCase):
    def check(self, cell, layers, path):
        inputs, ref = reference(cell, layers)
        with tempfile.TemporaryDirectory() as tmp:
            src, dst = os.path.join(tmp, "in.safetensors"), os.path.join(tmp, "out.safetensors")
            save(inputs, src)
            subprocess.run([DRIVER, cell, str(layers), path, src, dst], check=True)
            ours = load(dst)
        self.assertEqual(sorted(ours), sorted(ref))
        for key, value in ref.items():
            torch.testing.assert_close(ours[key], value, atol=1e-5, rtol=1e-4,
                                       msg=lambda m: f"{cell} layers={layers} {path} {key}: {m}")
        worst = max(float((ours[k] - v).abs().max()) for k, v in ref.items())
        print(f"  {cell} layers={layers} {path}: max |diff| = {worst:.3g}", file=sys.stderr)

    def test_all(self):
        for cell in MODULES:
            for layers in (1, 2):
                for path in ("own", "fused"):
                    with self.subTest(cell=cell, layers=layers, path=path):
                        self.check(cell, layers, path)


if __name__ == "__main__":
    unittest.main()

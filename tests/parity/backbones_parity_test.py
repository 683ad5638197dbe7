#!/usr/bin/python3
"""Backbones of beyond against torchvision 0.14, same weights both ways, in eval mode (float32).

    /usr/bin/python3 backbones_parity_test.py PATH/TO/backbone_forward

torchvision -> beyond: python/export_torchvision.py builds the torchvision model (weights=None,
fixed seed, random norm statistics) and writes its state_dict, inputs and feature maps; beyond loads
the state_dict unchanged and must give the same maps. beyond -> torchvision: beyond initialises the
model from a seed and saves it; torchvision loads it with strict=True (so the names match exactly,
both ways) and must give beyond's maps. Tolerance: max |beyond - torchvision| <= 1e-5 * max |torchvision|
per map (the same ATen kernels run underneath); with norms folded into the convolutions or in
channels-last layout the arithmetic changes, so 1e-4.
"""
import os
import subprocess
import sys
import tempfile
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import export_torchvision as tv  # noqa: E402
from beyond_safetensors import load  # noqa: E402

TOOL = sys.argv.pop(1) if len(sys.argv) > 1 else "build/tests/backbone_forward"
EXACT, REWRITTEN = 1e-5, 1e-4
# Small odd sizes: the FPN's top-down path must upsample to sizes that are not exact doubles.
CASES = {"resnet50_fpn": (1, 3, 97, 130), "resnet18_fpn_frozen": (2, 3, 70, 90), "resnet18": (1, 3, 80, 112),
         "vgg16": (1, 3, 64, 82)}
KEYS = {"resnet50_fpn": ["0", "1", "2", "3", "pool"], "resnet18_fpn_frozen": ["0", "1", "2", "3", "pool"],
        "resnet18": ["c2", "c3", "c4", "c5"], "vgg16": ["0"]}


def run_tool(*args):
    p = subprocess.run([TOOL, *args], capture_output=True, text=True)
    assert p.returncode == 0, f"backbone_forward {' '.join(args)} failed ({p.returncode}):\n{p.stdout}{p.stderr}"


def relative_error(ours, ref):
    return float((ours - ref).abs().max() / ref.abs().max().clamp_min(1e-12))


class BackbonesParity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.errors = {}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()
        for k, v in sorted(cls.errors.items()):
            print(f"max relative error {k}: {v:.2e}")

    def compare(self, label, ours, ref, keys, tol):
        self.assertEqual(sorted(ours), sorted(keys), f"{label}: output levels")
        worst = 0.0
        for k in keys:
            self.assertEqual(ours[k].shape, ref[k].shape, f"{label}: level {k}")
            self.assertGreater(float(ref[k].abs().max()), 0.0, f"{label}: level {k} is all zero")
            worst = max(worst, relative_error(ours[k], ref[k]))
        self.errors[label] = worst
        self.assertLessEqual(worst, tol, f"{label}: max relative error {worst:.3g} > {tol}")

    def test_torchvision_weights_in_beyond(self):
        for name, size in CASES.items():
            with self.subTest(name=name):
                paths = tv.export(name, self.tmp.name, seed=0, size=size)
                ref = load(paths["reference"])
                out = os.path.join(self.tmp.name, f"{name}.beyond.safetensors")
                variants = [("", [], EXACT)]
                if name != "resnet18":
                    variants += [(" folded", ["--fold"], REWRITTEN), (" channels-last", ["--channels-last"], REWRITTEN)]
                if name == "resnet50_fpn":
                    variants.append((" folded+channels-last", ["--fold", "--channels-last"], REWRITTEN))
                for label, flags, tol in variants:
                    run_tool(name, paths["inputs"], out, "--weights", paths["weights"], *flags)
                    self.compare(f"torchvision->beyond {name}{label}", load(out), ref, KEYS[name], tol)

    def test_beyond_weights_in_torchvision(self):
        for name, size in CASES.items():
            with self.subTest(name=name):
                inputs = os.path.join(self.tmp.name, f"{name}.b2t.inputs.safetensors")
                weights = os.path.join(self.tmp.name, f"{name}.b2t.weights.safetensors")
                out = os.path.join(self.tmp.name, f"{name}.b2t.out.safetensors")
                from beyond_safetensors import save
                save({"images": tv.fixed_images(size, seed=5)}, inputs)
                run_tool(name, inputs, out, "--seed", "7", "--save-weights", weights)
                module, forward = tv.build(name, seed=1)  # other seed: every tensor must come from the file
                result = module.load_state_dict(load(weights), strict=True)
                self.assertFalse(result.missing_keys or result.unexpected_keys)
                with torch.no_grad():
                    ref = forward(load(inputs)["images"])
                self.compare(f"beyond->torchvision {name}", load(out), ref, KEYS[name], EXACT)

    def test_wrong_architecture_names_the_tensor(self):
        paths = tv.export("resnet18", self.tmp.name, seed=0, size=(1, 3, 32, 32))
        p = subprocess.run([TOOL, "resnet34", paths["inputs"], os.path.join(self.tmp.name, "x.safetensors"),
                            "--weights", paths["weights"]], capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn("missing tensor 'layer1.2.conv1.weight'", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)

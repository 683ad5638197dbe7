#!/usr/bin/python3
"""Stores a beyond weights file with float16 tensors (half the size, for weights committed to the
repository), keeping its metadata (config, categories). beyond loads float16 files into float32 models
(load_state_dict converts), so only the rounding of each weight to 11 significant bits changes; say
what that costs by evaluating the converted file.

    /usr/bin/python3 python/half_precision_weights.py runs/frcnn/model.safetensors weights/faster_rcnn_scenes.safetensors
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from beyond_safetensors import load, metadata, save  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input")
    p.add_argument("output")
    a = p.parse_args()
    tensors = {k: (v.half() if v.dtype == torch.float32 else v) for k, v in load(a.input).items()}
    save(tensors, a.output, metadata(a.input))
    print(f"{a.output}: {len(tensors)} tensors, {os.path.getsize(a.output) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()

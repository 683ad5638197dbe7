"""Fashion-MNIST images for the Python side of the benchmarks, read from Debian's dataset-fashion-mnist."""
import gzip

import numpy as np
import torch

ROOT = "/usr/share/datasets/fashion-mnist"


def images(split):
    """float32 [N, 1, 28, 28] in [0, 1]; split is "train" (60,000) or "test" (10,000)."""
    name = "train" if split == "train" else "t10k"
    with gzip.open(f"{ROOT}/{name}-images-idx3-ubyte.gz", "rb") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return torch.from_numpy(raw.reshape(-1, 1, 28, 28).astype(np.float32) / 255.0)

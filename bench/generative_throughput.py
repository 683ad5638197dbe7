#!/usr/bin/python3
"""Training throughput (images/s) of the VAE and the DCGAN: beyond vs. the same models in PyTorch Python.

Both sides train the same architecture with the same loss, optimizer, batch size and thread count on
Fashion-MNIST held in memory; repetitions alternate between the two so that machine noise hits both.
Both get the same BLAS threading: with the pthread build of OpenBLAS, beyond's start-up limits
OpenBLAS to one thread (its own pool would fight LibTorch's OpenMP threads), and this script does the
same for PyTorch, so the ratio measures the implementations, not the thread set-up.
Run with Debian's python3 (python3-torch):

    /usr/bin/python3 bench/generative_throughput.py --threads 2 [--build build] [--repeats 3]
"""
import ctypes
import argparse
import json
import statistics
import subprocess
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from fashion_mnist import images as load_fashion


class Vae(nn.Module):
    """784-400-20 MLP, Bernoulli decoder returning logits (as beyond's models::Vae)."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def forward(self, x):
        h = F.relu(self.fc1(x.reshape(x.size(0), 784)))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.fc4(F.relu(self.fc3(z))).reshape(x.shape), mu, logvar


def vae_loss(logits, x, mu, logvar):
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    return bce + (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).sum()


class Generator(nn.Module):
    def __init__(self, latent=100, b=64):
        super().__init__()
        self.b = b
        self.fc = nn.Linear(latent, 2 * b * 49, bias=False)
        self.bn0 = nn.BatchNorm2d(2 * b)
        self.deconv1 = nn.ConvTranspose2d(2 * b, b, 4, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(b)
        self.deconv2 = nn.ConvTranspose2d(b, 1, 4, 2, 1)

    def forward(self, z):
        h = F.relu(self.bn0(self.fc(z).view(z.size(0), 2 * self.b, 7, 7)))
        h = F.relu(self.bn1(self.deconv1(h)))
        return torch.tanh(self.deconv2(h))


class Discriminator(nn.Module):
    def __init__(self, b=64):
        super().__init__()
        self.conv1 = nn.Conv2d(1, b, 4, 2, 1)
        self.conv2 = nn.Conv2d(b, 2 * b, 4, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(2 * b)
        self.fc = nn.Linear(2 * b * 49, 1)

    def forward(self, x):
        h = F.leaky_relu(self.conv1(x), 0.2)
        h = F.leaky_relu(self.bn2(self.conv2(h)), 0.2)
        return self.fc(h.flatten(1)).squeeze(1)


def batches(images, batch):
    """Shuffled in-memory batches, drop-last, epoch after epoch."""
    while True:
        perm = torch.randperm(images.size(0))
        for i in range(0, images.size(0) - batch + 1, batch):
            yield images[perm[i:i + batch]]


def measure(step, batch, steps, warmup):
    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch / (time.perf_counter() - t0)


def loaded_blas():
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "libblas" in path or "libopenblas" in path:
                return path
    return ""


def match_beyond_blas_threads():
    blas = loaded_blas()
    if "openblas-pthread" in blas:
        ctypes.CDLL(blas).openblas_set_num_threads(1)
    return blas


def pytorch_rate(model, images, batch, steps, warmup):
    stream = batches(images, batch)
    if model == "vae":
        vae = Vae()
        opt = torch.optim.Adam(vae.parameters(), lr=1e-3)

        def step():
            x = next(stream)
            logits, mu, logvar = vae(x)
            loss = vae_loss(logits, x, mu, logvar)
            opt.zero_grad()
            loss.backward()
            opt.step()
    else:
        g, d = Generator(), Discriminator()
        opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))

        def step():
            real = next(stream) * 2 - 1
            fake = g(torch.randn(real.size(0), 100))
            d_loss = F.softplus(-d(real)).mean() + F.softplus(d(fake.detach())).mean()
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            g_loss = F.softplus(-d(fake)).mean()
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
    return measure(step, batch, steps, warmup)


def beyond_rate(exe, model, batch, steps, warmup, threads):
    out = subprocess.run([exe, "--model", model, "--batch", str(batch), "--steps", str(steps), "--warmup",
                          str(warmup), "--threads", str(threads)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["images_per_s"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--build", default="build")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--models", default="vae,dcgan")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    exe = f"{args.build}/bench/generative_throughput"
    images = load_fashion("train")
    torch.zeros(2, 2) @ torch.zeros(2, 2)  # loads the BLAS
    blas = match_beyond_blas_threads()
    settings = {"vae": dict(batch=128, steps=400, warmup=20), "dcgan": dict(batch=64, steps=60, warmup=5)}
    print(f"torch {torch.__version__}, {args.threads} threads, BLAS {blas}, median of {args.repeats} alternating runs")
    print("| model | batch | beyond (images/s) | PyTorch (images/s) | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for model in args.models.split(","):
        s = settings[model]
        ours, theirs = [], []
        for _ in range(args.repeats):
            ours.append(beyond_rate(exe, model, s["batch"], s["steps"], s["warmup"], args.threads))
            theirs.append(pytorch_rate(model, images, s["batch"], s["steps"], s["warmup"]))
        o, t = statistics.median(ours), statistics.median(theirs)
        print(f"| {model} | {s['batch']} | {o:.0f} | {t:.0f} | {o / t:.2f}x |", flush=True)


if __name__ == "__main__":
    main()

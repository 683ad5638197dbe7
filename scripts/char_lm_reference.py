#!/usr/bin/python3
"""The issue's PyTorch reference for the character language model, for wall-clock comparisons.

A 1-layer, 256-unit LSTM in PyTorch Python (embedding 64 -> nn.LSTM -> linear), Adam 2e-3, clip 5
(global norm), truncated BPTT 100 with the state carried across windows, batch 64, 2 threads;
trained for a wall-clock budget, then scored in bits per character on the validation and test
splits exactly as beyond's char_lm task scores them (vocabulary = the sorted code points of all
splits; 8 parallel streams, windows of 1000, state carried from zeros, every character after each
stream's first scored). Run with Debian's python3 (python3-torch):

    build/beyond data kjv --out data/kjv
    /usr/bin/python3 scripts/char_lm_reference.py --data data/kjv --minutes 60 [--threads 2]

prints progress lines and, at the end, one JSON line with steps, characters seen, seconds, val_bpc and
test_bpc. --eval-every-min M also scores the validation split every M minutes (time not counted).
"""
import argparse
import json
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_splits(path, val_fraction=0.05, test_fraction=0.05):
    """train/val/test strings: a folder of train.txt, val.txt, test.txt, or one file split positionally
    (last test_fraction test, the val_fraction before it val), as beyond's data/text/text_corpus.h."""
    if os.path.isdir(path):
        return [open(os.path.join(path, f"{s}.txt"), encoding="utf-8").read() for s in ("train", "val", "test")]
    text = open(path, encoding="utf-8").read()
    n = len(text)
    test, val = math.floor(n * test_fraction), math.floor(n * val_fraction)
    return [text[:n - val - test], text[n - val - test:n - test], text[n - test:]]


class CharLM(nn.Module):
    def __init__(self, vocab, hidden=256, embedding=64, layers=1):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding)
        self.rnn = nn.LSTM(embedding, hidden, layers)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, ids, state=None):  # ids [T, N]
        out, state = self.rnn(self.embedding(ids), state)
        return self.decoder(out), state


def streams(ids, n):
    """Inputs and targets as [n, L]: n consecutive pieces of the sequence."""
    length = (ids.numel() - 1) // n
    return ids[:n * length].view(n, length), ids[1:n * length + 1].view(n, length)


def train_step(model, opt, x, y, state, clip=5.0):
    """One truncated-BPTT step (x, y [T, N]); returns the loss (nats) and the detached state."""
    logits, state = model(x, state)
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
    value = loss.item()
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    return value, tuple(s.detach() for s in state)


@torch.no_grad()
def bits_per_character(model, ids, n_streams=8, seq_len=1000):
    model.eval()
    n_streams = max(1, min(n_streams, (ids.numel() - 1) // seq_len))
    seq_len = min(seq_len, (ids.numel() - 1) // n_streams)
    x, y = streams(ids, n_streams)
    state, bits = None, 0.0
    for start in range(0, x.size(1), seq_len):
        logits, state = model(x[:, start:start + seq_len].t().contiguous(), state)
        logp = torch.log_softmax(logits.double(), -1)
        bits -= logp.gather(-1, y[:, start:start + seq_len].t().unsqueeze(-1)).sum().item() / math.log(2)
    model.train()
    return bits / y.numel()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder of `beyond data kjv`, or a UTF-8 text file")
    ap.add_argument("--minutes", type=float, default=60.0, help="wall-clock training budget")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seq", type=int, default=100)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--eval-every-min", type=float, default=0.0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    splits = read_splits(args.data)
    vocab = sorted(set("".join(splits)))
    index = {c: i for i, c in enumerate(vocab)}
    train, val, test = (torch.tensor([index[c] for c in s], dtype=torch.long) for s in splits)
    model = CharLM(len(vocab), args.hidden)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    x, y = streams(train, args.batch)
    windows = x.size(1) // args.seq
    print(f"vocab {len(vocab)}, train {train.numel()} chars, {windows} windows/epoch, {args.threads} threads",
          flush=True)
    budget, trained, eval_time, step, state = args.minutes * 60, 0.0, 0.0, 0, None
    next_eval = args.eval_every_min * 60
    start = time.perf_counter()
    while trained < budget:
        w = step % windows
        if w == 0:
            state = None  # a new epoch: streams start over
        sl = slice(w * args.seq, (w + 1) * args.seq)
        loss, state = train_step(model, opt, x[:, sl].t().contiguous(), y[:, sl].t().contiguous(), state)
        step += 1
        trained = time.perf_counter() - start - eval_time
        if step % 100 == 0:
            print(f"step {step} ({trained / 60:.1f} min): train bpc {loss / math.log(2):.3f}", flush=True)
        if args.eval_every_min > 0 and trained >= next_eval:
            t0 = time.perf_counter()
            print(f"step {step} ({trained / 60:.1f} min): val bpc {bits_per_character(model, val):.4f}", flush=True)
            eval_time += time.perf_counter() - t0
            next_eval += args.eval_every_min * 60
    result = {"impl": "pytorch", "steps": step, "chars": step * args.batch * args.seq, "train_s": round(trained, 1),
              "val_bpc": bits_per_character(model, val), "test_bpc": bits_per_character(model, test)}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

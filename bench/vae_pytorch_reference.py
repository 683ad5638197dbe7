#!/usr/bin/python3
"""The reference for beyond's VAE number: PyTorch's examples/vae schedule on Fashion-MNIST, in Python.

Same model (784-400-20 MLP, sigmoid Bernoulli decoder), same loss (summed binary cross-entropy + KL),
Adam(1e-3), batch 128, 10 epochs, shuffled training set; the test loss is the example's: the mean over
the 10,000 test images of the single-sample negative ELBO, in nats per image.

    /usr/bin/python3 bench/vae_pytorch_reference.py --threads 2 [--seed 1] [--epochs 10]
"""
import argparse
import torch
import torch.nn as nn
import torch.nn.functional as F
from fashion_mnist import images


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def loss_function(recon, x, mu, logvar):
    bce = F.binary_cross_entropy(recon, x, reduction="sum")
    return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train, test = images("train").reshape(-1, 784), images("test").reshape(-1, 784)
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = torch.randperm(train.size(0))
        total = 0.0
        for i in range(0, train.size(0), 128):  # the example's DataLoader keeps the last partial batch
            x = train[perm[i:i + 128]]
            recon, mu, logvar = model(x)
            loss = loss_function(recon, x, mu, logvar)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        model.eval()
        with torch.no_grad():
            test_loss = 0.0
            for i in range(0, test.size(0), 128):
                x = test[i:i + 128]
                recon, mu, logvar = model(x)
                test_loss += loss_function(recon, x, mu, logvar).item()
            test_loss /= test.size(0)
        print(f"epoch {epoch}: train loss {total / train.size(0):.2f}, test loss {test_loss:.2f} nats/image",
              flush=True)


if __name__ == "__main__":
    main()

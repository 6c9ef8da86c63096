"""Peer for `nabla bench gan`: DCGAN training throughput on Fashion-MNIST in PyTorch, 2 threads, exactly
the issue's setting: generator z(100) -> Linear -> 128x7x7 -> BN/ReLU -> ConvTranspose(128->64, 4, 2, 1)
-> BN/ReLU -> ConvTranspose(64->1, 4, 2, 1) -> tanh; discriminator Conv(1->64, 4, 2, 1) -> LeakyReLU 0.2
-> Conv(64->128, 4, 2, 1) -> BN -> LeakyReLU 0.2 -> Linear(128*7*7 -> 1); batch 64, Adam(2e-4, (0.5, 0.999)),
one discriminator and one generator step per batch, non-saturating loss, images in [-1, 1].

  python torch_dcgan.py [--batches N] [--batch B] [--quick]     one JSON line: images_per_s, seconds
"""
import argparse, gzip, json, os, time
import numpy as np
import torch
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument("--batches", type=int, default=None)
parser.add_argument("--batch", type=int, default=64)
parser.add_argument("--quick", action="store_true")
parser.add_argument("--data", default=os.environ.get("NABLA_FASHION_MNIST", "/usr/share/datasets/fashion-mnist"))
options = parser.parse_args()
torch.set_num_threads(2)
torch.manual_seed(0)

path = os.path.join(options.data, "train-images-idx3-ubyte")
opener = (lambda: gzip.open(path + ".gz", "rb")) if os.path.exists(path + ".gz") else (lambda: open(path, "rb"))
with opener() as file:
    images = np.frombuffer(file.read(), dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28)
images = torch.from_numpy(images.astype(np.float32) / 255 * 2 - 1)


class Reshape(nn.Module):
    def forward(self, x):
        return x.view(x.shape[0], 128, 7, 7)


generator = nn.Sequential(nn.Linear(100, 128 * 7 * 7), Reshape(), nn.BatchNorm2d(128), nn.ReLU(),
                          nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
                          nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())
discriminator = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, 2, 1),
                              nn.BatchNorm2d(128), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(128 * 7 * 7, 1))
optimizer_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
loss = nn.BCEWithLogitsLoss()
batch = options.batch
timed = options.batches or (10 if options.quick else 200)
warm_up = 3
order = torch.randperm(images.shape[0])
ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
for index in range(warm_up + timed):
    if index == warm_up:
        start = time.perf_counter()
    first = (index * batch) % (images.shape[0] - batch)
    real = images[order[first:first + batch]]
    fake = generator(torch.randn(batch, 100)).detach()
    optimizer_d.zero_grad()
    d_loss = loss(discriminator(real), ones) + loss(discriminator(fake), zeros)
    d_loss.backward()
    optimizer_d.step()
    optimizer_g.zero_grad()
    g_loss = loss(discriminator(generator(torch.randn(batch, 100))), ones)
    g_loss.backward()
    optimizer_g.step()
seconds = time.perf_counter() - start
print(json.dumps({"images_per_s": timed * batch / seconds, "seconds": seconds, "batches": timed, "batch_size": batch,
                  "torch": torch.__version__, "discriminator_loss": d_loss.item(), "generator_loss": g_loss.item()}))

"""Peer for `nabla bench step`: one training step of the fashion-cnn lab's residual network in PyTorch,
2 threads, on seeded random images: Conv(1->32) BN ReLU, MaxPool 2, residual block(32), Conv(32->64) BN
ReLU, MaxPool 2, residual block(64), Flatten, Dropout 0.3, Linear(3136, 128), ReLU, Linear(128, 10);
a residual block is relu(x + bn(conv(relu(bn(conv(x)))))) with 3x3 convolutions without bias. Batch 64,
Adam(1e-3), cross-entropy. Times forward, backward and the optimiser step separately, then whole steps.

  python torch_step.py [--steps N] [--batch-size B] [--quick]     JSON lines: part, ms (per step)
"""
import argparse, json, time
import torch
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=20)
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--quick", action="store_true")
options = parser.parse_args()
steps = 3 if options.quick else options.steps
torch.set_num_threads(2)
torch.manual_seed(0)


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        return torch.relu(x + self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))))


model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                      ResidualBlock(32),
                      nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                      ResidualBlock(64),
                      nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
images = torch.randn(options.batch_size, 1, 28, 28)
labels = torch.randint(0, 10, (options.batch_size,))
loss_function = nn.CrossEntropyLoss()

parts = {"forward (with loss)": 0.0, "backward": 0.0, "optimizer step": 0.0}
for step in range(steps + 2):
    if step == 2:
        parts = {key: 0.0 for key in parts}
    start = time.perf_counter()
    optimizer.zero_grad()
    loss = loss_function(model(images), labels)
    forward_end = time.perf_counter()
    loss.backward()
    backward_end = time.perf_counter()
    optimizer.step()
    end = time.perf_counter()
    parts["forward (with loss)"] += forward_end - start
    parts["backward"] += backward_end - forward_end
    parts["optimizer step"] += end - backward_end
for part, seconds in parts.items():
    print(json.dumps({"benchmark": "step", "model": "residual", "part": part, "ms": round(seconds * 1000 / steps, 3)}))

start = time.perf_counter()
for _ in range(steps):
    optimizer.zero_grad()
    loss_function(model(images), labels).backward()
    optimizer.step()
milliseconds = (time.perf_counter() - start) * 1000 / steps
print(json.dumps({"benchmark": "step", "model": "residual", "part": "whole step", "ms": round(milliseconds, 3),
                  "batch_size": options.batch_size, "images_per_s": round(options.batch_size / milliseconds * 1000, 1),
                  "torch": torch.__version__}))

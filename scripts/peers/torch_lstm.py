"""Peer for `nabla bench lstm`: LSTM training throughput on sequential Fashion-MNIST in PyTorch, 2 threads:
each image read row by row (28 steps of 28 features), nn.LSTM(28, 128) (1 layer), a linear classifier on the
last hidden state, cross-entropy, batch 64, Adam(1e-3), pixels in [0, 1].

  python torch_lstm.py [--batches N] [--batch B] [--quick]     one JSON line: samples_per_s, seconds
"""
import argparse, gzip, json, os, time
import numpy as np
import torch
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument("--batches", type=int, default=None)
parser.add_argument("--batch", type=int, default=64)
parser.add_argument("--hidden", type=int, default=128)
parser.add_argument("--quick", action="store_true")
parser.add_argument("--data", default=os.environ.get("NABLA_FASHION_MNIST", "/usr/share/datasets/fashion-mnist"))
options = parser.parse_args()
torch.set_num_threads(2)
torch.manual_seed(0)


def read(name, offset):
    path = os.path.join(options.data, name)
    opener = (lambda: gzip.open(path + ".gz", "rb")) if os.path.exists(path + ".gz") else (lambda: open(path, "rb"))
    with opener() as file:
        return np.frombuffer(file.read(), dtype=np.uint8, offset=offset)


images = torch.from_numpy(read("train-images-idx3-ubyte", 16).reshape(-1, 28, 28).astype(np.float32) / 255)
labels = torch.from_numpy(read("train-labels-idx1-ubyte", 8).astype(np.int64))


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(28, options.hidden, batch_first=True)
        self.head = nn.Linear(options.hidden, 10)

    def forward(self, x):
        _, (hidden, _) = self.lstm(x)
        return self.head(hidden[-1])


model = Classifier()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_function = nn.CrossEntropyLoss()
batch = options.batch
timed = options.batches or (10 if options.quick else 300)
warm_up = 3
order = torch.randperm(images.shape[0])
for index in range(warm_up + timed):
    if index == warm_up:
        start = time.perf_counter()
    first = (index * batch) % (images.shape[0] - batch)
    chosen = order[first:first + batch]
    optimizer.zero_grad()
    loss = loss_function(model(images[chosen]), labels[chosen])
    loss.backward()
    optimizer.step()
seconds = time.perf_counter() - start
print(json.dumps({"samples_per_s": timed * batch / seconds, "seconds": seconds, "batches": timed, "batch_size": batch,
                  "torch": torch.__version__, "loss": loss.item()}))

"""Peer for NablaTrust: torchattacks on the same weights as Nabla (a fashion-cnn / fashion-mlp
model.safetensors, read with the format's own layout: an 8-byte header length, a JSON header, raw
little-endian tensors), the model's input normalisation in front, pixels in [0, 1], 2 threads.

  python torch_trust.py accuracy --weights M --arch cnn|mlp --mean m --std s [--count N] [--epsilons 0.05,0.1]
      FGSM(ε) and BIM(ε, α = ε/4, 10 steps) adversarial accuracy on the first N test images, one JSON line each.
  python torch_trust.py bench --weights M --arch cnn [--count N] [--batch B]
      PGD (ε 0.1, α 0.01, 20 steps, random start) over the first N test images: images/s, one JSON line.
  python torch_trust.py fixture --weights OUT.safetensors --arch small [--count N]
      Trains a small CNN (seed 0, 2 epochs on 10,000 training images, normalised inputs), writes its
      weights to OUT, then runs `accuracy` on it: the fixture of Nabla's torchattacks comparison test.
  python torch_trust.py ig --weights M --arch cnn|mlp --mean m --std s --indices 0,1 --steps S
      captum IntegratedGradients (zero baseline, Riemann trapezoid) of the true class, as JSON.
"""
import argparse, gzip, json, os, struct, sys, time
import numpy as np
import torch
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument("mode", choices=["accuracy", "bench", "ig", "fixture"])
parser.add_argument("--weights", required=True)
parser.add_argument("--arch", choices=["cnn", "mlp", "small", "tiny-mlp"], default="cnn")
parser.add_argument("--mean", type=float, default=0.0)
parser.add_argument("--std", type=float, default=1.0)
parser.add_argument("--count", type=int, default=10000)
parser.add_argument("--batch", type=int, default=250)
parser.add_argument("--epsilons", default="0.05,0.1")
parser.add_argument("--indices", default="0")
parser.add_argument("--steps", type=int, default=50)
parser.add_argument("--data", default=os.environ.get("NABLA_FASHION_MNIST", "/usr/share/datasets/fashion-mnist"))
options = parser.parse_args()
torch.set_num_threads(2)


def read_safetensors(path):
    with open(path, "rb") as file:
        length = struct.unpack("<Q", file.read(8))[0]
        header = json.loads(file.read(length))
        payload = file.read()
    types = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        array = np.frombuffer(payload[start:end], dtype=types[entry["dtype"]]).reshape(entry["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors


def write_safetensors(tensors, path):
    header, offset, blobs = {}, 0, []
    for name, tensor in tensors.items():
        data = tensor.detach().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def make_model(arch):
    if arch == "tiny-mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    if arch == "small":
        return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    if arch == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


class Normalized(nn.Module):
    def __init__(self, model, mean, std):
        super().__init__()
        self.model, self.mean, self.std = model, mean, std

    def forward(self, x):
        return self.model((x - self.mean) / self.std)


def test_images(count, prefix="t10k"):
    with gzip.open(os.path.join(options.data, prefix + "-images-idx3-ubyte.gz")) as file:
        images = np.frombuffer(file.read(), dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(os.path.join(options.data, prefix + "-labels-idx1-ubyte.gz")) as file:
        labels = np.frombuffer(file.read(), dtype=np.uint8, offset=8)
    return torch.from_numpy(images[:count].astype(np.float32) / 255), torch.from_numpy(labels[:count].astype(np.int64))


inner = make_model(options.arch)
if options.mode == "fixture":
    torch.manual_seed(0)
    inner = make_model(options.arch)
    train_x, train_y = test_images(10000, prefix="train")
    optimizer = torch.optim.Adam(inner.parameters(), lr=1e-3)
    for epoch in range(2):
        order = torch.randperm(len(train_y))
        for start in range(0, len(order), 64):
            chosen = order[start:start + 64]
            optimizer.zero_grad()
            nn.functional.cross_entropy(inner((train_x[chosen] - options.mean) / options.std), train_y[chosen]).backward()
            optimizer.step()
    write_safetensors(inner.state_dict(), options.weights)
    options.mode = "accuracy"
else:
    inner.load_state_dict(read_safetensors(options.weights))
model = Normalized(inner, options.mean, options.std).eval()
images, labels = test_images(options.count)


def accuracy(x):
    with torch.no_grad():
        return sum((model(b).argmax(1) == l).sum().item() for b, l in zip(x.split(500), labels.split(500))) / len(labels)


def attack_all(attack):
    return torch.cat([attack(b, l) for b, l in zip(images.split(options.batch), labels.split(options.batch))])


if options.mode == "accuracy":
    import torchattacks
    clean = accuracy(images)
    for epsilon in [float(e) for e in options.epsilons.split(",")]:
        for name, attack in (("fgsm", torchattacks.FGSM(model, eps=epsilon)),
                             ("bim", torchattacks.BIM(model, eps=epsilon, alpha=epsilon / 4, steps=10))):
            print(json.dumps({"attack": name, "epsilon": epsilon, "count": len(labels), "clean_accuracy": clean,
                              "adversarial_accuracy": accuracy(attack_all(attack))}), flush=True)
elif options.mode == "bench":
    import torchattacks
    attack = torchattacks.PGD(model, eps=0.1, alpha=0.01, steps=20, random_start=True)
    attack_all(torchattacks.PGD(model, eps=0.1, alpha=0.01, steps=1, random_start=True))  # warm-up
    start = time.perf_counter()
    adversarial = attack_all(attack)
    seconds = time.perf_counter() - start
    print(json.dumps({"workload": "pgd20", "count": len(labels), "seconds": seconds, "images_per_s": len(labels) / seconds,
                      "adversarial_accuracy": accuracy(adversarial), "torchattacks": torchattacks.__version__}), flush=True)
else:
    from captum.attr import IntegratedGradients
    indices = [int(i) for i in options.indices.split(",")]
    x, y = images[indices], labels[indices]
    attributions, delta = IntegratedGradients(model).attribute(x, baselines=torch.zeros_like(x), target=y, n_steps=options.steps,
                                                               method="riemann_trapezoid", return_convergence_delta=True)
    print(json.dumps({"attributions": attributions.detach().reshape(len(indices), -1).tolist(),
                      "delta": delta.detach().tolist()}), flush=True)

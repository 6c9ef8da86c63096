"""Peer for `nabla bench quantization`: PyTorch's eager-mode static int8 quantisation (torch.ao, x86 /
fbgemm backend: per-channel weights, per-tensor affine activations with min/max observers, conv+ReLU and
linear+ReLU fused) of the plain fashion-cnn, on the same weights, calibrated on the first training images,
timed over the test set in batches, best of three passes, 2 threads. One JSON line per precision.

  python torch_int8.py --weights M [--mean m --std s] [--count N] [--batch B] [--calibration C] [--data DIR]
"""
import argparse, gzip, json, os, time
import numpy as np
import torch
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument("--weights", required=True)
parser.add_argument("--mean", type=float, default=0.286)
parser.add_argument("--std", type=float, default=0.353)
parser.add_argument("--count", type=int, default=10000)
parser.add_argument("--batch", type=int, default=256)
parser.add_argument("--calibration", type=int, default=512)
parser.add_argument("--data", default=os.environ.get("NABLA_FASHION_MNIST", "/usr/share/datasets/fashion-mnist"))
options = parser.parse_args()
torch.set_num_threads(2)
torch.backends.quantized.engine = "x86"



def read_safetensors(path):
    """The format's own layout: an 8-byte header length, a JSON header, raw little-endian float32 tensors."""
    with open(path, "rb") as file:
        length = int.from_bytes(file.read(8), "little")
        header = json.loads(file.read(length))
        payload = file.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(payload[start:end], dtype="<f4").reshape(entry["shape"]).copy())
    return tensors


def images(prefix, count):
    with gzip.open(os.path.join(options.data, prefix + "-images-idx3-ubyte.gz")) as file:
        pixels = np.frombuffer(file.read(), dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28)[:count]
    with gzip.open(os.path.join(options.data, prefix + "-labels-idx1-ubyte.gz")) as file:
        labels = np.frombuffer(file.read(), dtype=np.uint8, offset=8)[:count]
    x = (torch.from_numpy(pixels.astype(np.float32) / 255) - options.mean) / options.std
    return x, torch.from_numpy(labels.astype(np.int64))


class Quantizable(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.body = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
        self.dequant = torch.ao.quantization.DeQuantStub()

    def forward(self, x):
        return self.dequant(self.body(self.quant(x)))


float_model = Quantizable()
float_model.body.load_state_dict(read_safetensors(options.weights))
float_model.eval()
test_x, test_y = images("t10k", options.count)
calibration_x, _ = images("train", options.calibration)

quantized = Quantizable()
quantized.load_state_dict(float_model.state_dict())
quantized.eval()
quantized = torch.ao.quantization.fuse_modules(quantized, [["body.0", "body.1"], ["body.3", "body.4"], ["body.7", "body.8"]])
quantized.qconfig = torch.ao.quantization.get_default_qconfig("x86")
torch.ao.quantization.prepare(quantized, inplace=True)
with torch.no_grad():
    for start in range(0, options.calibration, options.batch):
        quantized(calibration_x[start:start + options.batch])
torch.ao.quantization.convert(quantized, inplace=True)


def measure(model):
    with torch.no_grad():
        model(test_x[:options.batch])
        best, correct = float("inf"), 0
        for _ in range(3):
            start, right = time.perf_counter(), 0
            for first in range(0, options.count, options.batch):
                right += (model(test_x[first:first + options.batch]).argmax(1) == test_y[first:first + options.batch]).sum().item()
            best, correct = min(best, time.perf_counter() - start), right
    return best, correct / options.count


for precision, model in [("float32", float_model), ("int8", quantized)]:
    seconds, accuracy = measure(model)
    print(json.dumps({"peer": "torch", "torch": torch.__version__, "precision": precision, "count": options.count,
                      "batch_size": options.batch, "seconds": seconds, "images_per_s": options.count / seconds,
                      "test_acc": accuracy}), flush=True)

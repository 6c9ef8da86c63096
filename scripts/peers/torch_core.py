"""Peer for `nabla bench core`: PyTorch on the CPU doing what the Nabla side does, timed the same way
(batches of at least 0.05 s, the median of 7 repetitions). Prints one JSON object per workload.
Usage: python torch_core.py [--quick]"""
import json, os, sys, time
import torch

quick = "--quick" in sys.argv[1:]
torch.set_num_threads(os.cpu_count() or 1)
suffix = "-quick" if quick else ""
minimum_batch, repetitions = (0.002, 3) if quick else (0.05, 7)

def seconds_per_call(body):
    body()  # warm-up: caches, thread pool
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls): body()
        elapsed = time.perf_counter() - start
        if elapsed >= minimum_batch: break
        calls = max(calls + 1, min(calls * 100, int(calls * minimum_batch * 1.1 / max(elapsed, 1e-9)) + 1))
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        for _ in range(calls): body()
        times.append((time.perf_counter() - start) / calls)
    return sorted(times)[len(times) // 2]

generator = torch.Generator().manual_seed(0)
for n in ((32, 64) if quick else (256, 512, 1024)):
    a, b = torch.randn(n, n, generator=generator), torch.randn(n, n, generator=generator)
    s = seconds_per_call(lambda: torch.mm(a, b))
    print(json.dumps({"workload": f"matmul_{n}{suffix}", "gflops": 2 * n ** 3 / s * 1e-9}), flush=True)
elements = 100_000 if quick else 10_000_000
x = torch.rand(elements, generator=generator) * 2 - 1
y = torch.rand(elements, generator=generator) * 2 - 1
for name, bytes_per_element, body in (("add", 12, lambda: x + y), ("mul", 12, lambda: x * y), ("exp", 8, lambda: x.exp())):
    s = seconds_per_call(body)
    print(json.dumps({"workload": name + suffix, "gb_per_s": bytes_per_element * elements / s * 1e-9}), flush=True)
u = torch.rand(elements, generator=generator)
s = seconds_per_call(lambda: u.sum())
print(json.dumps({"workload": "sum" + suffix, "gb_per_s": 4 * elements / s * 1e-9}), flush=True)

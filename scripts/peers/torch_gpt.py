"""Peer for `nabla bench language`: GPT training on character-level fortunes in PyTorch, 2 threads, with
nanoGPT's model (pre-norm blocks, causal self-attention, GELU MLP, tied embedding and output weights, its
initialisation) and its CPU configuration: 4 layers, 4 heads, embedding 128, context 64, batch 12,
dropout 0, AdamW(lr 1e-3, PyTorch's other defaults). The token streams come from Nabla
(`nabla bench language --export-data tokens.npz`), so both sides train on the same split.

  python torch_gpt.py --data tokens.npz [--iterations N] [--quick]
      one JSON line: iterations_per_s, seconds, train_loss, validation_loss, peak_rss_mb
"""
import argparse, json, math, resource, time
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--iterations", type=int, default=None)
parser.add_argument("--quick", action="store_true")
options = parser.parse_args()
torch.set_num_threads(2)
torch.manual_seed(0)

archive = np.load(options.data)
train = torch.from_numpy(archive["train"].astype(np.int64))
validation = torch.from_numpy(archive["validation"].astype(np.int64))
vocabulary = int(archive["vocabulary_size"][0])
layers, heads, embedding, context, batch = 4, 4, 128, 64, 12


class CausalSelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_attn = nn.Linear(embedding, 3 * embedding)
        self.c_proj = nn.Linear(embedding, embedding)

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(embedding, dim=2)
        q, k, v = (t.view(B, T, heads, C // heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.attn = nn.LayerNorm(embedding), CausalSelfAttention()
        self.ln_2 = nn.LayerNorm(embedding)
        self.mlp = nn.Sequential(nn.Linear(embedding, 4 * embedding), nn.GELU(), nn.Linear(4 * embedding, embedding))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocabulary, embedding), nn.Embedding(context, embedding)
        self.h = nn.ModuleList(Block() for _ in range(layers))
        self.ln_f = nn.LayerNorm(embedding)
        self.lm_head = nn.Linear(embedding, vocabulary, bias=False)
        self.lm_head.weight = self.wte.weight
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, 0.0, 0.02)
                if getattr(module, "bias", None) is not None:
                    nn.init.zeros_(module.bias)
        for name, parameter in self.named_parameters():
            if name.endswith("c_proj.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(parameter, 0.0, 0.02 / math.sqrt(2 * layers))

    def forward(self, tokens, targets):
        x = self.wte(tokens) + self.wpe(torch.arange(tokens.shape[1]))
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        return F.cross_entropy(logits.view(-1, vocabulary), targets.view(-1))


def windows(stream, offsets):
    return (torch.stack([stream[i:i + context] for i in offsets]), torch.stack([stream[i + 1:i + 1 + context] for i in offsets]))


model = GPT()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
timed = options.iterations or (20 if options.quick else 2000)
warm_up = 3
for index in range(warm_up + timed):
    if index == warm_up:
        start = time.perf_counter()
    inputs, targets = windows(train, torch.randint(len(train) - context, (batch,)).tolist())
    optimizer.zero_grad(set_to_none=True)
    loss = model(inputs, targets)
    loss.backward()
    optimizer.step()
seconds = time.perf_counter() - start

# The same 240 evenly spread validation windows as Nabla: offset i is floor(i * windows / 240).
model.eval()
count = len(validation) - context
offsets = [i * count // 240 for i in range(240)]
with torch.no_grad():
    losses = [model(*windows(validation, offsets[i:i + batch])).item() * len(offsets[i:i + batch]) for i in range(0, 240, batch)]
print(json.dumps({"iterations_per_s": timed / seconds, "seconds": seconds, "iterations": timed, "train_loss": loss.item(),
                  "validation_loss": sum(losses) / 240, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "threads": torch.get_num_threads()}), flush=True)

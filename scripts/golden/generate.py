#!/usr/bin/env python3
"""Writes the PyTorch reference values that Nabla's tests compare against.

    python scripts/golden/generate.py                  # writes Tests/Golden/{ops,second_order,modules,optim}.json
    python scripts/golden/generate.py --output DIR     # somewhere else
    python scripts/golden/generate.py --compare DIR    # also compares with another copy (same format)

Needs PyTorch (CPU is enough; the files were made with 2.15). Everything is computed in float64 from one
random stream seeded with 0, case after case, file after file, so adding a case changes the inputs of every
case after it: add new cases at the end of their list. Tensors are written as {"shape", "data"} with 9
significant digits, row-major; integer tensors carry "dtype": "int". Tests/Golden/README.md describes the
fields of each file. A maintainer runs this and commits its output; the tests never run it.
"""
import argparse
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPE = torch.float64


def randn(*shape):
    return torch.randn(shape, dtype=DTYPE)


def rand(*shape):
    return torch.rand(shape, dtype=DTYPE)


def encode(value):
    """A tensor as {shape, data} (integers and booleans with "dtype": "int"), lists and dicts recursively."""
    if isinstance(value, torch.Tensor):
        value = value.detach()
        if value.dtype in (torch.int64, torch.int32, torch.bool):
            return {"shape": list(value.shape), "data": [int(v) for v in value.reshape(-1).tolist()], "dtype": "int"}
        return {"shape": list(value.shape), "data": [float("%.9g" % v) for v in value.reshape(-1).tolist()]}
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    return value


# MARK: - ops.json

def operation(name, text, function, inputs):
    """One case: `inputs` (name → tensor, drawn in order), the output, a random upstream gradient and the
    gradients of every float input."""
    leaves = {}
    for key, tensor in inputs.items():
        if tensor.is_floating_point():
            tensor = tensor.clone().requires_grad_(True)
        leaves[key] = tensor
    output = function(*leaves.values())
    grad_output = torch.randn_like(output)
    differentiable = [key for key, tensor in leaves.items() if tensor.is_floating_point()]
    grads = torch.autograd.grad(output, [leaves[key] for key in differentiable], grad_output)
    return {"name": name, "torch": text, "inputs": encode(inputs), "output": encode(output),
            "grad_output": encode(grad_output), "grads": {key: encode(g) for key, g in zip(differentiable, grads)}}


def positive(*shape):
    return randn(*shape).abs() + 0.1


def ops_cases():
    cases = []

    def add(name, text, function, **draws):
        inputs = {key: draw() for key, draw in draws.items()}
        cases.append(operation(name, text, function, inputs))

    add("add_broadcast", "x + y", lambda x, y: x + y, x=lambda: randn(2, 3, 4), y=lambda: randn(3, 1))
    add("sub_broadcast", "x - y", lambda x, y: x - y, x=lambda: randn(4, 1), y=lambda: randn(1, 5))
    add("mul_broadcast", "x * y", lambda x, y: x * y, x=lambda: randn(2, 1, 4), y=lambda: randn(3, 4))
    add("div", "x / y", lambda x, y: x / y, x=lambda: randn(3, 4), y=lambda: randn(3, 4).abs() + 0.5)
    add("neg", "-x", lambda x: -x, x=lambda: randn(5))
    add("exp", "torch.exp(x)", torch.exp, x=lambda: randn(3, 3))
    add("log", "torch.log(x)", torch.log, x=lambda: positive(3, 3))
    add("sqrt", "torch.sqrt(x)", torch.sqrt, x=lambda: positive(3, 3))
    add("pow_scalar", "x ** 3", lambda x: x ** 3, x=lambda: randn(4))
    add("abs", "torch.abs(x)", torch.abs, x=lambda: randn(6))
    add("relu", "F.relu(x)", F.relu, x=lambda: randn(2, 5))
    add("leaky_relu", "F.leaky_relu(x, 0.1)", lambda x: F.leaky_relu(x, 0.1), x=lambda: randn(2, 5))
    add("sigmoid", "torch.sigmoid(x)", torch.sigmoid, x=lambda: randn(2, 5))
    add("tanh", "torch.tanh(x)", torch.tanh, x=lambda: randn(2, 5))
    add("gelu", "F.gelu(x)  (exact, erf form)", F.gelu, x=lambda: randn(2, 5))
    add("gelu_tanh", "F.gelu(x, approximate='tanh')", lambda x: F.gelu(x, approximate="tanh"), x=lambda: randn(2, 5))
    add("silu", "F.silu(x)", F.silu, x=lambda: randn(2, 5))
    add("softplus", "F.softplus(x)", F.softplus, x=lambda: randn(2, 5))
    add("hardsigmoid", "F.hardsigmoid(x)", F.hardsigmoid, x=lambda: randn(2, 5) * 4)
    add("clamp", "torch.clamp(x, -0.5, 0.5)", lambda x: torch.clamp(x, -0.5, 0.5), x=lambda: randn(8))
    add("maximum", "torch.maximum(x, y)", torch.maximum, x=lambda: randn(3, 4), y=lambda: randn(3, 4))
    add("where", "torch.where(x > 0, x, y * 2)", lambda x, y: torch.where(x > 0, x, y * 2),
        x=lambda: randn(3, 4), y=lambda: randn(3, 4))
    add("sum_all", "x.sum()", lambda x: x.sum(), x=lambda: randn(3, 4))
    add("sum_dim_keepdim", "x.sum(dim=1, keepdim=True)", lambda x: x.sum(dim=1, keepdim=True), x=lambda: randn(2, 3, 4))
    add("mean_dims", "x.mean(dim=(0, 2))", lambda x: x.mean(dim=(0, 2)), x=lambda: randn(2, 3, 4))
    add("max_dim", "x.max(dim=1).values", lambda x: x.max(dim=1).values, x=lambda: randn(3, 5))
    add("var_dim", "x.var(dim=1, unbiased=False)", lambda x: x.var(dim=1, unbiased=False), x=lambda: randn(3, 5))
    add("logsumexp", "torch.logsumexp(x, dim=-1)", lambda x: torch.logsumexp(x, dim=-1), x=lambda: randn(3, 5) * 3)
    add("softmax", "F.softmax(x, dim=-1)", lambda x: F.softmax(x, dim=-1), x=lambda: randn(3, 5))
    add("log_softmax", "F.log_softmax(x, dim=1)", lambda x: F.log_softmax(x, dim=1), x=lambda: randn(2, 4, 3))
    add("norm_l2", "torch.linalg.vector_norm(x)", torch.linalg.vector_norm, x=lambda: randn(3, 4))
    add("reshape", "x.reshape(4, 6)", lambda x: x.reshape(4, 6), x=lambda: randn(2, 3, 4))
    add("permute", "x.permute(2, 0, 1)", lambda x: x.permute(2, 0, 1), x=lambda: randn(2, 3, 4))
    add("transpose_matmul", "x.transpose(0, 1) @ y", lambda x, y: x.transpose(0, 1) @ y,
        x=lambda: randn(4, 3), y=lambda: randn(4, 2))
    add("slice", "x[:, 1:4:2]", lambda x: x[:, 1:4:2], x=lambda: randn(3, 5))
    add("cat", "torch.cat([x, y], dim=1)", lambda x, y: torch.cat([x, y], dim=1), x=lambda: randn(2, 3), y=lambda: randn(2, 2))
    add("stack", "torch.stack([x, y], dim=0)", lambda x, y: torch.stack([x, y], dim=0),
        x=lambda: randn(2, 3), y=lambda: randn(2, 3))
    add("expand", "x.expand(3, 4)", lambda x: x.expand(3, 4), x=lambda: randn(3, 1))
    add("pad", "F.pad(x, (1, 2, 0, 1))", lambda x: F.pad(x, (1, 2, 0, 1)), x=lambda: randn(1, 2, 3, 3))
    add("gather", "torch.gather(x, 1, idx)", lambda x, idx: torch.gather(x, 1, idx),
        x=lambda: randn(3, 5), idx=lambda: torch.tensor([[0, 4], [2, 2], [1, 3]]))
    add("index_select", "x[idx]  (rows)", lambda x, idx: x[idx], x=lambda: randn(5, 3), idx=lambda: torch.tensor([4, 0, 0, 2]))
    add("embedding", "F.embedding(idx, w)", lambda idx, w: F.embedding(idx, w),
        idx=lambda: torch.tensor([[1, 3], [3, 0]]), w=lambda: randn(5, 4))
    add("matmul", "x @ y", lambda x, y: x @ y, x=lambda: randn(3, 4), y=lambda: randn(4, 5))
    add("bmm_broadcast", "x @ y  (batched, broadcast)", lambda x, y: x @ y, x=lambda: randn(2, 1, 3, 4), y=lambda: randn(3, 4, 2))
    add("linear", "F.linear(x, w, b)", F.linear, x=lambda: randn(2, 3, 4), w=lambda: randn(5, 4), b=lambda: randn(5))
    add("conv1d", "F.conv1d(x, w, b, stride=1, padding=1)", lambda x, w, b: F.conv1d(x, w, b, stride=1, padding=1),
        x=lambda: randn(2, 3, 7), w=lambda: randn(4, 3, 3), b=lambda: randn(4))
    add("conv2d", "F.conv2d(x, w, b, padding=1)", lambda x, w, b: F.conv2d(x, w, b, padding=1),
        x=lambda: randn(2, 3, 6, 6), w=lambda: randn(4, 3, 3, 3), b=lambda: randn(4))
    add("conv2d_stride2", "F.conv2d(x, w, b, stride=2, padding=1)", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
        x=lambda: randn(1, 2, 7, 7), w=lambda: randn(3, 2, 3, 3), b=lambda: randn(3))
    add("conv2d_dilation", "F.conv2d(x, w, None, dilation=2)", lambda x, w: F.conv2d(x, w, None, dilation=2),
        x=lambda: randn(1, 2, 7, 7), w=lambda: randn(3, 2, 3, 3))
    add("conv2d_depthwise", "F.conv2d(x, w, b, padding=1, groups=4)", lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=4),
        x=lambda: randn(2, 4, 5, 5), w=lambda: randn(4, 1, 3, 3), b=lambda: randn(4))
    add("conv2d_groups2", "F.conv2d(x, w, None, groups=2)", lambda x, w: F.conv2d(x, w, None, groups=2),
        x=lambda: randn(1, 4, 5, 5), w=lambda: randn(6, 2, 3, 3))
    add("conv_transpose2d", "F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1)",
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        x=lambda: randn(2, 3, 4, 4), w=lambda: randn(3, 2, 3, 3), b=lambda: randn(2))
    add("max_pool2d", "F.max_pool2d(x, 2)", lambda x: F.max_pool2d(x, 2), x=lambda: randn(2, 3, 6, 6))
    add("max_pool2d_stride1_pad", "F.max_pool2d(x, 3, stride=1, padding=1)",
        lambda x: F.max_pool2d(x, 3, stride=1, padding=1), x=lambda: randn(1, 2, 5, 5))
    add("avg_pool2d", "F.avg_pool2d(x, 2)", lambda x: F.avg_pool2d(x, 2), x=lambda: randn(2, 3, 6, 6))
    add("adaptive_avg_pool2d_1", "F.adaptive_avg_pool2d(x, 1)", lambda x: F.adaptive_avg_pool2d(x, 1), x=lambda: randn(2, 3, 5, 5))
    add("upsample_nearest", "F.interpolate(x, scale_factor=2, mode='nearest')",
        lambda x: F.interpolate(x, scale_factor=2, mode="nearest"), x=lambda: randn(1, 2, 3, 3))
    add("batch_norm_train", "F.batch_norm(x, None, None, w, b, training=True, eps=1e-5)",
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, eps=1e-5),
        x=lambda: randn(4, 3, 2, 2), w=lambda: randn(3), b=lambda: randn(3))
    add("batch_norm1d_train", "F.batch_norm(x, None, None, w, b, training=True, eps=1e-5)  (N, C)",
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, eps=1e-5),
        x=lambda: randn(6, 3), w=lambda: randn(3), b=lambda: randn(3))
    add("layer_norm", "F.layer_norm(x, (4,), w, b, eps=1e-5)", lambda x, w, b: F.layer_norm(x, (4,), w, b, eps=1e-5),
        x=lambda: randn(2, 3, 4), w=lambda: randn(4), b=lambda: randn(4))
    add("group_norm", "F.group_norm(x, 2, w, b, eps=1e-5)", lambda x, w, b: F.group_norm(x, 2, w, b, eps=1e-5),
        x=lambda: randn(2, 4, 3, 3), w=lambda: randn(4), b=lambda: randn(4))
    add("mse_loss", "F.mse_loss(x, y)", F.mse_loss, x=lambda: randn(3, 4), y=lambda: randn(3, 4))
    add("l1_loss", "F.l1_loss(x, y)", F.l1_loss, x=lambda: randn(3, 4), y=lambda: randn(3, 4))
    add("huber_loss", "F.huber_loss(x, y, delta=1.0)", lambda x, y: F.huber_loss(x, y, delta=1.0),
        x=lambda: randn(3, 4) * 2, y=lambda: randn(3, 4))
    targets = lambda: torch.tensor([1, 0, 4, 2])
    add("cross_entropy", "F.cross_entropy(x, t)", F.cross_entropy, x=lambda: randn(4, 5), t=targets)
    add("cross_entropy_smooth", "F.cross_entropy(x, t, label_smoothing=0.1)",
        lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), x=lambda: randn(4, 5), t=targets)
    add("cross_entropy_ignore", "F.cross_entropy(x, t, ignore_index=-100)",
        lambda x, t: F.cross_entropy(x, t, ignore_index=-100), x=lambda: randn(4, 5), t=lambda: torch.tensor([1, -100, 4, 2]))
    add("cross_entropy_seq", "F.cross_entropy(x, t)  (N, C, L)", F.cross_entropy,
        x=lambda: randn(2, 5, 3), t=lambda: torch.tensor([[1, 0, 4], [2, 2, 3]]))
    add("cross_entropy_soft", "F.cross_entropy(x, p)  (p: class probabilities)", F.cross_entropy,
        x=lambda: randn(3, 4), p=lambda: F.softmax(randn(3, 4), dim=1))
    add("nll_loss", "F.nll_loss(x, t)", F.nll_loss, x=lambda: F.log_softmax(randn(4, 5), dim=1), t=targets)
    add("bce_with_logits", "F.binary_cross_entropy_with_logits(x, y)", F.binary_cross_entropy_with_logits,
        x=lambda: randn(3, 4), y=lambda: rand(3, 4))
    add("kl_div", "F.kl_div(x, y, reduction='batchmean')", lambda x, y: F.kl_div(x, y, reduction="batchmean"),
        x=lambda: F.log_softmax(randn(3, 4), dim=1), y=lambda: F.softmax(randn(3, 4), dim=1))
    add("cosine_similarity", "F.cosine_similarity(x, y, dim=1)", lambda x, y: F.cosine_similarity(x, y, dim=1),
        x=lambda: randn(3, 4), y=lambda: randn(3, 4))
    add("sdpa_causal", "F.scaled_dot_product_attention(q, k, v, is_causal=True)",
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
        q=lambda: randn(2, 2, 4, 3), k=lambda: randn(2, 2, 4, 3), v=lambda: randn(2, 2, 4, 3))
    add("sdpa_mask", "F.scaled_dot_product_attention(q, k, v, attn_mask=m)  (m: bool, True = attend)",
        lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m.bool()),
        q=lambda: randn(1, 3, 2), k=lambda: randn(1, 4, 2), v=lambda: randn(1, 4, 3),
        m=lambda: torch.ones(3, 4, dtype=torch.int64).tril(1))
    return cases


# MARK: - second_order.json

def in_float64(make):
    """A module built in float64 from the start, so that its default initialisation draws float64 values."""
    torch.set_default_dtype(DTYPE)
    try:
        return make()
    finally:
        torch.set_default_dtype(torch.float32)


def second_order_cases():
    cases = []
    x, w, v = randn(3, 4).requires_grad_(True), randn(4, 2).requires_grad_(True), randn(3, 4)
    (g,) = torch.autograd.grad((torch.tanh(x @ w) ** 2).sum(), x, create_graph=True)
    grads = torch.autograd.grad((g * v).sum(), [x, w])
    cases.append({"name": "hvp_tanh_matmul",
                  "torch": "g = grad(sum(tanh(x @ w)**2), x, create_graph=True); then grad(sum(g * v), [x, w])",
                  "inputs": encode({"x": x, "w": w, "v": v}), "g": encode(g),
                  "grads": encode({"x": grads[0], "w": grads[1]})})

    x = randn(5)
    function = lambda x: (x ** 2).sum() * torch.sigmoid(x).sum() + torch.exp(0.3 * x).prod()
    hessian = torch.autograd.functional.hessian(function, x)
    cases.append({"name": "hessian_small",
                  "torch": "torch.autograd.functional.hessian(lambda x: (x**2).sum() * torch.sigmoid(x).sum() "
                           "+ torch.exp(0.3*x).prod(), x)",
                  "inputs": encode({"x": x}), "hessian": encode(hessian),
                  "eigenvalues": encode(torch.linalg.eigvalsh(hessian))})

    real, fake = randn(4, 3), randn(4, 3)
    critic = in_float64(lambda: nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1)))
    state = {key: value.clone() for key, value in critic.state_dict().items()}
    mix = rand(4, 1)
    x_hat = (mix * real + (1 - mix) * fake).requires_grad_(True)
    (slopes,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    penalty = ((slopes.norm(2, dim=1) - 1) ** 2).mean()
    parameters = dict(critic.named_parameters())
    grads = torch.autograd.grad(penalty, list(parameters.values()), allow_unused=True, materialize_grads=True)
    cases.append({"name": "wgan_gp_penalty",
                  "torch": "x_hat = eps*x_real + (1-eps)*x_fake; gp = ((grad(D(x_hat).sum(), x_hat, create_graph=True)"
                           ".norm(2, dim=1) - 1)**2).mean(); grads of gp wrt D's parameters. "
                           "D = Sequential(Linear(3,8), Tanh(), Linear(8,1))",
                  "state_dict": encode(state), "inputs": encode({"x_hat": x_hat}), "penalty": penalty.item(),
                  "grads": encode(dict(zip(parameters, grads)))})
    return cases


# MARK: - modules.json

class SelfAttention(nn.Module):
    """nn.MultiheadAttention called as self-attention, returning the output only (state_dict keys attn.*)."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(self, x):
        return self.attn(x, x, x)[0]


def first_output(module):
    return lambda x: module(x)[0]


def floats(state):
    return {key: value.detach().clone().to(DTYPE) for key, value in state.items()}


def module_case(name, text, make, input_shape, train=True, prepare=None, call=None):
    module = in_float64(make)
    module.train(train)
    if prepare is not None:
        prepare(module)
    state = floats(module.state_dict())
    x = randn(*input_shape).requires_grad_(True)
    output = (call(module) if call is not None else module)(x)
    grad_output = torch.randn_like(output)
    parameters = dict(module.named_parameters())
    grads = torch.autograd.grad(output, [x] + list(parameters.values()), grad_output)
    buffers = floats(dict(module.named_buffers())) if any(True for _ in module.buffers()) else {}
    return {"name": name, "torch": text, "train": train, "state_dict": encode(state), "input": encode(x),
            "output": encode(output), "grad_output": encode(grad_output), "grad_input": encode(grads[0]),
            "grads": encode(dict(zip(parameters, grads[1:]))), "buffers_after": encode(buffers)}


def set_running_statistics(module):
    with torch.no_grad():
        module.running_mean.copy_(randn(3))
        module.running_var.copy_(randn(3).abs() + 0.5)


def module_cases():
    return [
        module_case("linear", "nn.Linear(4, 3)", lambda: nn.Linear(4, 3), (2, 4)),
        module_case("conv2d", "nn.Conv2d(2, 3, 3, padding=1)", lambda: nn.Conv2d(2, 3, 3, padding=1), (2, 2, 5, 5)),
        module_case("batchnorm2d_train", "nn.BatchNorm2d(3) in train mode (running stats updated, momentum 0.1)",
                    lambda: nn.BatchNorm2d(3), (4, 3, 2, 2)),
        module_case("batchnorm2d_eval", "nn.BatchNorm2d(3) in eval mode (uses running stats)", lambda: nn.BatchNorm2d(3),
                    (4, 3, 2, 2), train=False, prepare=set_running_statistics),
        module_case("layernorm", "nn.LayerNorm(4)", lambda: nn.LayerNorm(4), (2, 3, 4)),
        module_case("lstm", "nn.LSTM(3, 4, batch_first=True)  (output sequence)", lambda: nn.LSTM(3, 4, batch_first=True),
                    (2, 5, 3), call=first_output),
        module_case("lstm_bidir_2layer", "nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)",
                    lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True), (2, 4, 3), call=first_output),
        module_case("gru", "nn.GRU(3, 4, batch_first=True)", lambda: nn.GRU(3, 4, batch_first=True), (2, 5, 3), call=first_output),
        module_case("rnn_tanh", "nn.RNN(3, 4, batch_first=True)", lambda: nn.RNN(3, 4, batch_first=True), (2, 5, 3),
                    call=first_output),
        module_case("multihead_self_attention", "nn.MultiheadAttention(8, 2, batch_first=True)(x, x, x)",
                    lambda: SelfAttention(), (2, 5, 8)),
        module_case("transformer_encoder_layer",
                    "nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)",
                    lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True), (2, 5, 8)),
        module_case("conv_transpose2d", "nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1)",
                    lambda: nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1), (1, 3, 4, 4)),
    ]


# MARK: - optim.json

def optimizer_case(name, text, make, steps=12, transform=lambda step, grad: grad):
    param = randn(3, 4)
    start = param.clone()
    param.requires_grad_(True)
    optimizer = make([param])
    grads, after = [], []
    for step in range(steps):
        grad = transform(step, randn(3, 4))
        grads.append(grad)
        param.grad = grad.clone()
        optimizer.step()
        after.append(param.detach().clone())
    return {"name": name, "torch": text, "param0": encode(start), "grads": encode(grads),
            "params_after_each_step": encode(after)}


def schedule_case(name, text, make, steps=20):
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=0.1)
    schedule = make(optimizer)
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    return {"name": name, "torch": text + "  (base lr 0.1; lr read before each step)", "lrs": rates}


def optimizer_cases():
    optim = torch.optim
    return [
        optimizer_case("sgd", "SGD(lr=0.1)", lambda p: optim.SGD(p, lr=0.1)),
        optimizer_case("sgd_momentum", "SGD(lr=0.1, momentum=0.9)", lambda p: optim.SGD(p, lr=0.1, momentum=0.9)),
        optimizer_case("sgd_nesterov_wd", "SGD(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)",
                       lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
        optimizer_case("adagrad", "Adagrad(lr=0.1)", lambda p: optim.Adagrad(p, lr=0.1)),
        optimizer_case("rmsprop", "RMSprop(lr=0.01, alpha=0.99, eps=1e-8)",
                       lambda p: optim.RMSprop(p, lr=0.01, alpha=0.99, eps=1e-8)),
        optimizer_case("rmsprop_momentum", "RMSprop(lr=0.01, momentum=0.9)", lambda p: optim.RMSprop(p, lr=0.01, momentum=0.9)),
        optimizer_case("adam", "Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-8)",
                       lambda p: optim.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=1e-8)),
        optimizer_case("adam_l2", "Adam(lr=0.01, weight_decay=0.1)", lambda p: optim.Adam(p, lr=0.01, weight_decay=0.1)),
        optimizer_case("adam_amsgrad", "Adam(lr=0.01, amsgrad=True)", lambda p: optim.Adam(p, lr=0.01, amsgrad=True)),
        optimizer_case("adamw", "AdamW(lr=0.01, weight_decay=0.1)", lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.1)),
        optimizer_case("radam", "RAdam(lr=0.01)", lambda p: optim.RAdam(p, lr=0.01), steps=8),
    ]


def schedule_cases():
    scheduler = torch.optim.lr_scheduler
    return [
        schedule_case("step", "StepLR(step_size=5, gamma=0.5)", lambda o: scheduler.StepLR(o, step_size=5, gamma=0.5)),
        schedule_case("exponential", "ExponentialLR(gamma=0.9)", lambda o: scheduler.ExponentialLR(o, gamma=0.9)),
        schedule_case("cosine", "CosineAnnealingLR(T_max=10, eta_min=0.001)",
                      lambda o: scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001)),
        schedule_case("linear_warmup", "LinearLR(start_factor=0.1, total_iters=5)",
                      lambda o: scheduler.LinearLR(o, start_factor=0.1, total_iters=5)),
        schedule_case("noam", "LambdaLR(lambda s: 64**-0.5 * min((s+1)**-0.5, (s+1) * 4**-1.5))",
                      lambda o: scheduler.LambdaLR(o, lambda s: 64 ** -0.5 * min((s + 1) ** -0.5, (s + 1) * 4 ** -1.5))),
        schedule_case("onecycle", "OneCycleLR(max_lr=0.1, total_steps=20)",
                      lambda o: scheduler.OneCycleLR(o, max_lr=0.1, total_steps=20)),
    ]


def later_optimizer_cases():
    """Cases added after the first release of the file; they draw from their own stream (seed 1000)."""
    optim = torch.optim
    shrinking = lambda step, grad: grad * 0.6 ** step
    return [
        optimizer_case("adam_amsgrad_shrinking", "Adam(lr=0.01, amsgrad=True), gradients scaled by 0.6**t",
                       lambda p: optim.Adam(p, lr=0.01, amsgrad=True), transform=shrinking),
        optimizer_case("adam_beta2_0_99_shrinking", "Adam(lr=0.01, betas=(0.9, 0.99)), gradients scaled by 0.6**t",
                       lambda p: optim.Adam(p, lr=0.01, betas=(0.9, 0.99)), transform=shrinking),
        optimizer_case("rmsprop_centered", "RMSprop(lr=0.01, centered=True), gradients offset by +1",
                       lambda p: optim.RMSprop(p, lr=0.01, centered=True), transform=lambda step, grad: grad + 1),
    ]


# MARK: - Writing and comparing

GENERATOR = "PyTorch %s, float64, seed 0" % torch.__version__


def build():
    """All four files, drawn from one stream in this order (the order the values were first made in)."""
    torch.manual_seed(0)
    ops = ops_cases()
    modules = module_cases()
    optimizers = optimizer_cases()
    schedules = schedule_cases()
    second_order = second_order_cases()
    torch.manual_seed(1000)
    optimizers += later_optimizer_cases()
    return {
        "ops.json": {"generator": GENERATOR, "cases": ops},
        "modules.json": {"generator": GENERATOR, "modules": modules},
        "optim.json": {"generator": GENERATOR, "optimizers": optimizers, "schedules": schedules},
        "second_order.json": {"generator": GENERATOR, "cases": second_order},
    }


def numbers(value, path, out):
    """Flattens a golden entry into path → list of numbers (or a literal for strings and booleans)."""
    if isinstance(value, dict) and "shape" in value and "data" in value:
        out[path] = (tuple(value["shape"]), value["data"])
    elif isinstance(value, dict):
        for key, item in value.items():
            numbers(item, path + "." + key, out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            numbers(item, "%s[%d]" % (path, index), out)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out[path] = ((), [value])
    else:
        out[path] = ("literal", value)


def compare(made, folder, absolute=1e-7, relative=1e-6):
    """Compares the values made here with another copy; returns the number of disagreements."""
    problems = 0
    for file_name, content in made.items():
        path = os.path.join(folder, file_name)
        if not os.path.exists(path):
            print("%s: not in %s" % (file_name, folder))
            problems += 1
            continue
        with open(path) as handle:
            other = json.load(handle)
        for list_name, entries in other.items():
            if not isinstance(entries, list):
                continue
            ours = {entry["name"]: entry for entry in content.get(list_name, [])}
            largest, compared = 0.0, 0
            for entry in entries:
                if entry["name"] not in ours:
                    print("%s: %s %s is missing here" % (file_name, list_name, entry["name"]))
                    problems += 1
                    continue
                mine, theirs = {}, {}
                numbers(ours[entry["name"]], "", mine)
                numbers(entry, "", theirs)
                for key, (shape, data) in theirs.items():
                    if key not in mine or mine[key][0] != shape or (shape == "literal" and mine[key][1] != data):
                        print("%s: %s%s differs in shape or text" % (file_name, entry["name"], key))
                        problems += 1
                        continue
                    if shape == "literal":
                        continue
                    for a, b in zip(mine[key][1], data):
                        compared += 1
                        largest = max(largest, abs(a - b))
                        if abs(a - b) > absolute + relative * abs(b):
                            print("%s: %s%s: %r here, %r there" % (file_name, entry["name"], key, a, b))
                            problems += 1
                            break
            print("%s %s: %d entries, %d numbers compared, largest difference %.3g"
                  % (file_name, list_name, len(entries), compared, largest))
    return problems


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default=os.path.join(root, "Tests", "Golden"), help="folder to write (default Tests/Golden)")
    parser.add_argument("--compare", metavar="DIR", help="a folder of golden files to compare the new values with")
    parser.add_argument("--no-write", action="store_true", help="compute (and compare) without writing")
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    made = build()
    if not arguments.no_write:
        os.makedirs(arguments.output, exist_ok=True)
        for file_name, content in made.items():
            path = os.path.join(arguments.output, file_name)
            temporary = path + ".tmp"
            with open(temporary, "w") as handle:
                json.dump(content, handle)
            os.replace(temporary, path)
            print("wrote %s" % path)
    if arguments.compare:
        problems = compare(made, arguments.compare)
        if problems:
            print("%d disagreements with %s" % (problems, arguments.compare))
            return 1
        print("all values agree with %s" % arguments.compare)
    return 0


if __name__ == "__main__":
    sys.exit(main())

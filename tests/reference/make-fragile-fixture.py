#!/usr/bin/python3
# make-fragile-fixture.py — writes tests/fixtures/fragile/: two small networks
# of the same architecture, one whose float32 gradient is rounding noise and
# one whose gradient is sound, for the fragility check (core/rel-fragility.h).
#
#     /usr/bin/python3 tests/reference/make-fragile-fixture.py [OUTDIR]
#
# Architecture (GoogLeNet's ingredients): 3×16×16 input, a 3×3 Conv to 8
# channels, then 8 blocks of Conv 3×3 (no bias), BatchNorm (random
# statistics and shifts β ~ 0.2·N(0, 1)), ReLU and MaxPool 3×3 stride 1 pad 1,
# global average pool, Linear to 10 classes.
#   vanishing.onnx  Conv weights N(0, 0.01²), as torchvision's GoogLeNet: each
#                   block shrinks the input's share of the activations ~10×,
#                   so after 8 blocks it is far below float32's resolution and
#                   the max-pools choose by rounding.
#   healthy.onnx    the same with He-initialised weights.
# Each NAME has NAME-logits_f64.npy and NAME-gradient_f64.npy: PyTorch's
# float64 logits and d logits[target] / d input for input.npy, target the
# arg-max of the float64 logits (in meta.json), and NAME-gradient_f32.npy,
# PyTorch's own float32 gradient (its cosine to float64 is in meta.json).
#
# Copyright 2026 The Relevance authors
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import os
import sys

import numpy as np
import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'fixtures', 'fragile')


def build(seed, std):
    gen = torch.Generator().manual_seed(seed)
    layers = [torch.nn.Conv2d(3, 8, 3, padding=1, bias=False)]
    for _ in range(8):
        layers += [torch.nn.Conv2d(8, 8, 3, padding=1, bias=False), torch.nn.BatchNorm2d(8),
                   torch.nn.ReLU(), torch.nn.MaxPool2d(3, stride=1, padding=1)]
    layers += [torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 10)]
    model = torch.nn.Sequential(*layers)
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            fan_in = m.weight[0].numel()
            s = std if std is not None else (2.0 / fan_in) ** 0.5
            m.weight.data = torch.randn(m.weight.shape, generator=gen) * s
        elif isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = 0.5 + torch.rand(c, generator=gen)
            m.bias.data = 0.2 * torch.randn(c, generator=gen)
            m.running_mean.data = 0.1 * torch.randn(c, generator=gen)
            m.running_var.data = 0.5 + torch.rand(c, generator=gen)
        elif isinstance(m, torch.nn.Linear):
            m.weight.data = torch.randn(m.weight.shape, generator=gen) / m.in_features ** 0.5
            m.bias.data = 0.1 * torch.randn(m.bias.shape, generator=gen)
    return model.eval()


def gradient(model, x, target, dtype):
    model.to(dtype)
    xx = x.to(dtype).clone().requires_grad_(True)
    model(xx)[0, target].backward()
    g = xx.grad.numpy().astype(np.float64)
    model.float()
    return g


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else OUT)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    x = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(99))
    np.save(os.path.join(out, 'input.npy'), x.numpy())
    meta = {'torch': torch.__version__}
    cos = lambda a, b: float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))
    for name, std in (('vanishing', 0.01), ('healthy', None)):
        model = build(7, std)
        path = os.path.join(out, name + '.onnx')
        with torch.no_grad():
            torch.onnx.export(model, x, path, opset_version=13, input_names=['input'], output_names=['logits'],
                              do_constant_folding=True)
        onnx.checker.check_model(onnx.load(path))
        with torch.no_grad():
            logits = model.double()(x.double()).numpy()
        model.float()
        target = int(logits.argmax())
        g64 = gradient(model, x, target, torch.float64)
        g32 = gradient(model, x, target, torch.float32)
        np.save(os.path.join(out, name + '-logits_f64.npy'), logits)
        np.save(os.path.join(out, name + '-gradient_f64.npy'), g64)
        np.save(os.path.join(out, name + '-gradient_f32.npy'), g32.astype(np.float32))
        meta[name] = {'target': target, 'pytorch_f32_vs_f64_cosine': cos(g32, g64)}
    with open(os.path.join(out, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta, indent=1))


if __name__ == '__main__':
    main()

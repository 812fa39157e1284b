#!/usr/bin/python3
# make-wino-fixture.py — a small network whose 3×3 convolutions (16 and 32
# channels on 8×8 and 6×6 planes) take the Winograd paths with few tiles, and
# PyTorch's input gradient for it: tests/fixtures/wino/{model.onnx,input.npy,
# gradient.npy}. Run with Debian's PyTorch: /usr/bin/python3 tests/reference/make-wino-fixture.py
#
# Copyright 2026 The Relevance authors
# SPDX-License-Identifier: GPL-3.0-or-later
import os
import numpy as np
import torch

torch.manual_seed(7)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'wino')
os.makedirs(out, exist_ok=True)
net = torch.nn.Sequential(
    torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(),
    torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(),
    torch.nn.Conv2d(32, 32, 3, padding=0), torch.nn.ReLU(),
    torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(32, 4)).eval()
x = torch.rand(1, 3, 8, 8)
torch.onnx.export(net, x, os.path.join(out, 'model.onnx'), opset_version=13,
                  input_names=['input'], output_names=['logits'],
                  dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
x.requires_grad_(True)
net(x)[0, 1].backward()
np.save(os.path.join(out, 'input.npy'), x.detach().numpy().astype(np.float32))
np.save(os.path.join(out, 'gradient.npy'), x.grad.numpy().astype(np.float32))
print('wrote', out)

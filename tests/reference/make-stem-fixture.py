#!/usr/bin/python3
"""A small seeded network whose affine stem is expensive per output value
(a 7×7 stride-2 convolution on 3 channels, 147 multiply-adds per output, as
ResNet's conv1), so the sampling methods take the affine-stem path on it:
tests/test-affine-stem.c. Writes tests/fixtures/stem/{model.onnx,input.npy}."""
import os
import numpy as np
import torch

torch.manual_seed(3)
out = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'stem')
net = torch.nn.Sequential(
    torch.nn.Conv2d(3, 8, 7, stride=2, padding=3),
    torch.nn.BatchNorm2d(8),
    torch.nn.ReLU(),
    torch.nn.MaxPool2d(3, stride=2, padding=1),
    torch.nn.Conv2d(8, 16, 3, padding=1),
    torch.nn.ReLU(),
    torch.nn.AdaptiveAvgPool2d(1),
    torch.nn.Flatten(),
    torch.nn.Linear(16, 10),
)
with torch.no_grad():
    bn = net[1]
    bn.running_mean.uniform_(-0.2, 0.2)
    bn.running_var.uniform_(0.5, 2.0)
    bn.weight.uniform_(0.5, 1.5)
    bn.bias.uniform_(-0.2, 0.2)
net.eval()
x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(5))
# keep the BatchNormalization node: the stem is then Conv → BN
torch.onnx.export(net, x, os.path.join(out, 'model.onnx'), opset_version=13,
                  input_names=['input'], output_names=['logits'],
                  dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}},
                  training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
np.save(os.path.join(out, 'input.npy'), x.numpy().astype(np.float32))
print(net(x))

#!/usr/bin/python3
"""A small seeded network that routes through Split (torch.split on the
channels, as ShuffleNet-style blocks do): one part is dropped, one goes
through a Conv, one passes straight to the Concat. Its gradient exercises
the backward of a node with several outputs, output 0 among the unread.
Writes tests/fixtures/split/{model.onnx,input.npy,gradient.npy} (the
gradient of logits[target] from PyTorch's autograd, target in meta.json)."""
import json
import os
import numpy as np
import torch

torch.manual_seed(11)
out = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'split')


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 10, 3, padding=1)
        self.branch = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.fc = torch.nn.Linear(9, 5)

    def forward(self, x):
        y = torch.relu(self.stem(x))
        _, a, b = torch.split(y, [2, 3, 5], dim=1)
        z = torch.cat([torch.relu(self.branch(a)), b], dim=1)
        return self.fc(z.mean(dim=(2, 3)))


net = Net().eval()
x = torch.rand(1, 3, 12, 12, generator=torch.Generator().manual_seed(2))
target = 3
torch.onnx.export(net, x, os.path.join(out, 'model.onnx'), opset_version=13,
                  input_names=['input'], output_names=['logits'],
                  dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
xg = x.clone().requires_grad_(True)
net(xg)[0, target].backward()
np.save(os.path.join(out, 'input.npy'), x.numpy().astype(np.float32))
np.save(os.path.join(out, 'gradient.npy'), xg.grad.numpy().astype(np.float32))
with open(os.path.join(out, 'meta.json'), 'w') as f:
    json.dump({'target': target}, f)

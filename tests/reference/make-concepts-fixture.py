#!/usr/bin/python3
"""References for Concept Relevance Propagation (core/rel-concepts.c) with
zennit-crp's semantics, computed by this script's own implementation of
Zennit's rules (Zennit and zennit-crp are not Debian packages).

A seeded 3×16×16 network: Conv 3→6 (3×3, pad 1), ReLU, Conv 6→8, ReLU,
MaxPool 2, Conv 8→10, ReLU, AveragePool 2, Flatten, Linear 160→5.
EpsilonPlusFlat as Zennit 0.5 composes it: the first Conv flat, the other
Convs z⁺ (x⁺W⁺ + x⁻W⁻, b⁺ kept), the Linear ε = 1e-6, ReLU passes relevance,
MaxPool takes the gradient, AveragePool the Norm rule (x ⊙ VJP(R / stab(z)),
stabiliser 1e-6); stab(z) = z + ε·sign(z) with sign(0) = +1.
zennit-crp's CondAttribution: the relevance starts as the target's logit
(its default init_rel: the prediction at the target), and a condition
{layer: [c]} multiplies the relevance at the layer's output by a one-hot
channel mask before the pass goes on down.

Writes tests/fixtures/concepts/:
  model.onnx, input.npy, meta.json (target, the conditioned layers: the
  2nd and 3rd Conv in graph order);
  heatmap.npy             the unconditional map (1×3×16×16);
  crp_conv2.npy, crp_conv3.npy   one map per channel (C×3×16×16);
  relevance_conv2.npy, relevance_conv3.npy   per channel, Σ of the relevance
  at the layer's output (C).
All computed in float64 on the float32 weights and stored as float32."""
import json
import os
import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(19)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'concepts')
os.makedirs(out, exist_ok=True)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 6, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(6, 8, 3, padding=1)
        self.conv3 = torch.nn.Conv2d(8, 10, 3, padding=1)
        self.fc = torch.nn.Linear(160, 5)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        x = torch.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = torch.relu(self.conv3(x))
        x = F.avg_pool2d(x, 2)
        return self.fc(torch.flatten(x, 1))


net = Net().eval()
with torch.no_grad():
    # biases of both signs, so b⁺ and the ε stabiliser matter
    for m in (net.conv1, net.conv2, net.conv3, net.fc):
        m.bias.uniform_(-0.2, 0.2)
x = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(5))
torch.onnx.export(net, x, os.path.join(out, 'model.onnx'), opset_version=13,
                  input_names=['input'], output_names=['logits'],
                  dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})

D = torch.float64
W = {n: (getattr(net, n).weight.detach().to(D), getattr(net, n).bias.detach().to(D))
     for n in ('conv1', 'conv2', 'conv3', 'fc')}


def stab(z, eps):
    return z + eps * ((z == 0).to(D) + z.sign())


def vjp(f, x, s):
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad((f(x) * s).sum(), x)
    return g


def conv(name, w=None, b=None):
    w0, b0 = W[name]
    w = w0 if w is None else w
    return lambda t: F.conv2d(t, w, b, padding=1)


def rule_flat(name, x, R):
    w0, _ = W[name]
    f = conv(name, torch.ones_like(w0), None)
    ones = torch.ones_like(x)
    z = f(ones)
    return vjp(f, ones, R / stab(z, 1e-6))


def rule_zplus(name, x, R):
    w0, b0 = W[name]
    xp, xn = x.clamp(min=0), x.clamp(max=0)
    fp = lambda t: F.conv2d(t, w0.clamp(min=0), None, padding=1)
    fn = lambda t: F.conv2d(t, w0.clamp(max=0), None, padding=1)
    z = fp(xp) + fn(xn) + b0.clamp(min=0)[None, :, None, None]
    s = R / stab(z, 1e-6)
    return xp * vjp(fp, xp, s) + xn * vjp(fn, xn, s)


def rule_epsilon_fc(x, R, eps=1e-6):
    w0, b0 = W['fc']
    f = lambda t: t @ w0.t()
    z = f(x) + b0
    return x * vjp(f, x, R / stab(z, eps))


def forward(x):
    a = {'in': x}
    a['c1'] = F.conv2d(x, *W['conv1'], padding=1)
    a['r1'] = torch.relu(a['c1'])
    a['c2'] = F.conv2d(a['r1'], *W['conv2'], padding=1)
    a['r2'] = torch.relu(a['c2'])
    a['p2'] = F.max_pool2d(a['r2'], 2)
    a['c3'] = F.conv2d(a['p2'], *W['conv3'], padding=1)
    a['r3'] = torch.relu(a['c3'])
    a['p3'] = F.avg_pool2d(a['r3'], 2)
    a['f'] = torch.flatten(a['p3'], 1)
    a['out'] = a['f'] @ W['fc'][0].t() + W['fc'][1]
    return a


def backward(a, R_out, stop_mask=None):
    """Relevance at each value, from the output down. @stop_mask: (layer, mask)
    multiplies the relevance at that layer's output."""
    R = {}
    cur = R_out

    def cond(key, r):
        if stop_mask is not None and stop_mask[0] == key:
            return r * stop_mask[1]
        return r

    R['f'] = rule_epsilon_fc(a['f'], cur)
    R['p3'] = R['f'].reshape(a['p3'].shape)
    s = R['p3'] / stab(a['p3'], 1e-6)
    R['r3'] = a['r3'] * vjp(lambda t: F.avg_pool2d(t, 2), a['r3'], s)
    R['c3'] = cond('conv3', R['r3'])
    R['p2'] = rule_zplus('conv3', a['p2'], R['c3'])
    R['r2'] = vjp(lambda t: F.max_pool2d(t, 2), a['r2'], R['p2'])
    R['c2'] = cond('conv2', R['r2'])
    R['r1'] = rule_zplus('conv2', a['r1'], R['c2'])
    R['c1'] = R['r1']
    R['in'] = rule_flat('conv1', a['in'], R['c1'])
    return R


xd = x.to(D)
a = forward(xd)
with torch.no_grad():
    logits32 = net(x)
target = int(logits32[0].argmax())
R_out = torch.zeros_like(a['out'])
R_out[0, target] = a['out'][0, target]
full = backward(a, R_out)
np.save(os.path.join(out, 'input.npy'), x.numpy().astype(np.float32))
np.save(os.path.join(out, 'heatmap.npy'), full['in'].numpy().astype(np.float32))
meta = {'target': target, 'logit': float(a['out'][0, target]),
        'layers': {'conv2': 'the 2nd Conv in graph order', 'conv3': 'the 3rd Conv in graph order'},
        'heatmap_sum': float(full['in'].sum())}
for layer, key in (('conv2', 'c2'), ('conv3', 'c3')):
    C = a[key].shape[1]
    maps = []
    for c in range(C):
        mask = torch.zeros(1, C, 1, 1, dtype=D)
        mask[0, c] = 1
        maps.append(backward(a, R_out, (layer, mask))['in'][0])
    maps = torch.stack(maps)
    rel = full[key][0].sum(dim=(1, 2))
    np.save(os.path.join(out, 'crp_%s.npy' % layer), maps.numpy().astype(np.float32))
    np.save(os.path.join(out, 'relevance_%s.npy' % layer), rel.numpy().astype(np.float32))
    meta['relevance_%s_sum' % layer] = float(rel.sum())
    meta['crp_%s_sum_vs_heatmap_maxabs' % layer] = float((maps.sum(0) - full['in'][0]).abs().max())
with open(os.path.join(out, 'meta.json'), 'w') as f:
    json.dump(meta, f, indent=1)
print(json.dumps(meta, indent=1))

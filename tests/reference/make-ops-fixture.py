#!/usr/bin/python3
# make-ops-fixture.py — writes tests/fixtures/ops/: PyTorch's float64 results
# for Einsum and GroupNormalization, the references tests/test-ops-linear.c
# and tests/test-ops-elementwise.c hold the kernels to.
#
#     /usr/bin/python3 tests/reference/make-ops-fixture.py [OUTDIR]
#
# Every case NAME has float32 operands NAME-in0.npy (NAME-in1.npy, …), a
# float32 cotangent NAME-gy.npy, and, computed by PyTorch in float64 from those
# float32 values, NAME-y.npy (the output) and NAME-g0.npy, NAME-g1.npy, … (the
# vector–Jacobian products Σ gy·∂y/∂in_i, autograd's). The tests list the
# cases with the same names and attributes as EINSUM and GROUPNORM below.
#
# Two ONNX files exercise the loader:
#   einsum-attention.onnx  exported by torch.onnx (opset 13) from a one-head
#       attention over 4 tokens written with torch.einsum: Q·Kᵀ and A·V (two
#       computed operands), constant-weight projections, a token sum (one
#       operand); einsum-attention-{input,logits,gradient}.npy: the input,
#       the logits and d logits[target] / d input in float64.
#   einsum-mlp.onnx  an Einsum-only MLP without biases (projection, ReLU,
#       token sum, head), with einsum-mlp-lrp.npy: LRP-ε (ε = 1e-6, initial
#       relevance 1 at logits[target]) computed here in float64 by the rule's
#       definition (R_in = x ⊙ Wᵀ(R / (z + ε·sign z)); the one-operand sum
#       shares by contribution).
#   groupnorm-opset18.onnx  one GroupNormalization node (opset 18: a scale and
#       bias per group), written with onnx.helper (ONNX 1.12 has no schema for
#       it, so it is not checked), input gn18-in0.npy, output gn18-y.npy.
#
# Copyright 2026 The Relevance authors
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'fixtures', 'ops')

# (name, equation, operand shapes)
EINSUM = [
    ('ein-scores', 'bhqd,bhkd->bhqk', [(2, 3, 5, 4), (2, 3, 6, 4)]),
    ('ein-attnv', 'bhqk,bhkd->bhqd', [(2, 3, 5, 6), (2, 3, 6, 4)]),
    ('ein-bmm', 'bij,bjk->bik', [(3, 4, 5), (3, 5, 2)]),
    ('ein-transpose', 'ij->ji', [(4, 7)]),
    ('ein-rowsum', 'ij->i', [(4, 7)]),
    ('ein-weight', '...ij,jk->...ik', [(2, 3, 4, 5), (5, 6)]),
    ('ein-broadcast', '...ij,...jk->...ik', [(2, 1, 3, 4), (5, 4, 2)]),
    ('ein-conv1x1', 'bchw,kc->bkhw', [(2, 3, 4, 5), (6, 3)]),
    ('ein-implicit', 'ij,jk', [(3, 4), (4, 5)]),
    ('ein-outer', 'i,j->ij', [(4,), (5,)]),
    ('ein-diagonal', 'ii->i', [(5, 5)]),
    ('ein-trace-dot', 'bii,bj->bj', [(2, 4, 4), (2, 3)]),
    ('ein-upper', 'bIJ,bJK->bKI', [(2, 3, 4), (2, 4, 5)]),
]

# (name, num_groups, x shape, per_channel affine (opset 21) or per group (18))
GROUPNORM = [
    ('gn18', 3, (2, 6, 4, 5), False),
    ('gn21', 3, (2, 6, 4, 5), True),
    ('gn-one-group', 1, (2, 4, 3, 3), True),
    ('gn-instance', 4, (2, 4, 7), False),
]
GN_EPS = 1e-5


def save(d, name, arr):
    np.save(os.path.join(d, name + '.npy'), np.ascontiguousarray(arr))


def vjp(d, name, fn, ins, gen):
    xs = [torch.from_numpy(a.astype(np.float64)).requires_grad_(True) for a in ins]
    y = fn(*xs)
    gy = torch.randn(y.shape, generator=gen, dtype=torch.float64).float()
    (y * gy.double()).sum().backward()
    for i, a in enumerate(ins):
        save(d, f'{name}-in{i}', a)
        save(d, f'{name}-g{i}', xs[i].grad.numpy())
    save(d, f'{name}-y', y.detach().numpy())
    save(d, f'{name}-gy', gy.numpy())


def rand32(gen, shape, lo=-1.0, hi=1.0):
    return (lo + (hi - lo) * torch.rand(shape, generator=gen, dtype=torch.float64)).float().numpy()


class Attention(torch.nn.Module):
    def __init__(self, gen, d=6, classes=3):
        super().__init__()
        r = lambda *s: torch.nn.Parameter((torch.randn(*s, generator=gen) / s[0] ** 0.5))
        self.wq, self.wk, self.wv, self.head = r(d, d), r(d, d), r(d, d), r(d, classes)

    def forward(self, x):
        q = torch.einsum('btd,de->bte', x, self.wq)
        k = torch.einsum('btd,de->bte', x, self.wk)
        v = torch.einsum('btd,de->bte', x, self.wv)
        a = torch.softmax(torch.einsum('bqd,bkd->bqk', q, k) / q.shape[-1] ** 0.5, dim=-1)
        o = torch.einsum('bqk,bkd->bqd', a, v)
        return torch.einsum('btd->bd', o) @ self.head


class EinsumMLP(torch.nn.Module):
    def __init__(self, gen, d=5, h=8, classes=4):
        super().__init__()
        self.w1 = torch.nn.Parameter(torch.randn(d, h, generator=gen) / d ** 0.5)
        self.w2 = torch.nn.Parameter(torch.randn(h, classes, generator=gen) / h ** 0.5)

    def forward(self, x):
        h = torch.relu(torch.einsum('bti,io->bto', x, self.w1))
        return torch.einsum('bo,oc->bc', torch.einsum('bto->bo', h), self.w2)


def export(model, x, path):
    torch.onnx.export(model, x, path, opset_version=13, input_names=['input'], output_names=['logits'],
                      do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return sorted({n.op_type for n in m.graph.node})


def lrp_mlp(model, x, target, eps=1e-6):
    """LRP-ε of EinsumMLP in float64 by the rule's definition."""
    w1 = model.w1.detach().double().numpy()
    w2 = model.w2.detach().double().numpy()
    x = x.astype(np.float64)
    stab = lambda z: z + eps * np.where(z >= 0, 1.0, -1.0)
    z1 = np.einsum('bti,io->bto', x, w1)
    h = np.maximum(z1, 0)
    h2 = h.sum(axis=1)
    z2 = h2 @ w2
    r2 = np.zeros_like(z2)
    r2[0, target] = 1.0
    r_h2 = h2 * ((r2 / stab(z2)) @ w2.T)
    r_h = h * (r_h2 / stab(h2))[:, None, :]           # the sum: shares by contribution
    return x * np.einsum('bto,io->bti', r_h / stab(z1), w1)


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else OUT)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(15)
    meta = {'torch': torch.__version__, 'onnx': onnx.__version__, 'einsum': {}, 'groupnorm': {}}
    for name, eq, shapes in EINSUM:
        ins = [rand32(gen, s) for s in shapes]
        vjp(out, name, lambda *xs, eq=eq: torch.einsum(eq, *xs), ins, gen)
        meta['einsum'][name] = {'equation': eq, 'shapes': shapes}
    for name, groups, shape, per_channel in GROUPNORM:
        c = shape[1]
        n_aff = c if per_channel else groups
        ins = [rand32(gen, shape, -2, 3), rand32(gen, (n_aff,), 0.5, 1.5), rand32(gen, (n_aff,), -0.5, 0.5)]

        def gn(x, scale, bias, groups=groups, per_channel=per_channel, c=c):
            if not per_channel:   # opset 18: one scale per group, for each of its channels
                scale = scale.repeat_interleave(c // groups)
                bias = bias.repeat_interleave(c // groups)
            return torch.nn.functional.group_norm(x, groups, scale, bias, GN_EPS)
        vjp(out, name, gn, ins, gen)
        meta['groupnorm'][name] = {'num_groups': groups, 'shape': shape, 'per_channel': per_channel,
                                   'epsilon': GN_EPS}

    # the loader's view: attention written with einsum
    torch.manual_seed(15)
    att = Attention(gen).eval()
    x = torch.from_numpy(rand32(gen, (1, 4, 6)))
    meta['einsum-attention.onnx'] = export(att, x, os.path.join(out, 'einsum-attention.onnx'))
    att.double()
    x64 = x.double().requires_grad_(True)
    logits = att(x64)
    target = int(logits.argmax())
    logits[0, target].backward()
    save(out, 'einsum-attention-input', x.numpy())
    save(out, 'einsum-attention-logits', logits.detach().numpy())
    save(out, 'einsum-attention-gradient', x64.grad.numpy())
    meta['einsum-attention-target'] = target

    mlp = EinsumMLP(gen).eval()
    x = torch.from_numpy(rand32(gen, (1, 3, 5)))
    meta['einsum-mlp.onnx'] = export(mlp, x, os.path.join(out, 'einsum-mlp.onnx'))
    mlp.double()
    with torch.no_grad():
        logits = mlp(x.double()).numpy()
    target = int(logits.argmax())
    save(out, 'einsum-mlp-input', x.numpy())
    save(out, 'einsum-mlp-lrp', lrp_mlp(mlp, x.numpy(), target))
    meta['einsum-mlp-target'] = target
    meta['einsum-mlp-logit'] = float(logits[0, target])

    # GroupNormalization at opset 18, by hand
    scale = np.load(os.path.join(out, 'gn18-in1.npy'))
    bias = np.load(os.path.join(out, 'gn18-in2.npy'))
    node = helper.make_node('GroupNormalization', ['X', 'scale', 'bias'], ['Y'], num_groups=3, epsilon=GN_EPS)
    graph = helper.make_graph([node], 'gn', [helper.make_tensor_value_info('X', TensorProto.FLOAT, [2, 6, 4, 5])],
                              [helper.make_tensor_value_info('Y', TensorProto.FLOAT, [2, 6, 4, 5])],
                              [numpy_helper.from_array(scale, 'scale'), numpy_helper.from_array(bias, 'bias')])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 18)])
    model.ir_version = 8
    onnx.save(model, os.path.join(out, 'groupnorm-opset18.onnx'))

    with open(os.path.join(out, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta, indent=1))


if __name__ == '__main__':
    main()

#!/usr/bin/python3
"""References for tests/test-eval.c, computed from the papers' formulas with
NumPy and PyTorch (float64), independently of the C core.

Writes tests/fixtures/eval/:
  linear.onnx, linear-input.npy   f(x) = wᵀx (class 0; class 1 is −wᵀx), 1×3×8×8, no bias
  tiny-morf.npy, tiny-lerf.npy     pixel-flipping curves (logit of class 4) on tiny-cnn's
                                   input with its input_x_gradient.npy map, 4×4 patches, fill 0
  tiny-deletion.npy                MoRF curve, fill 0, softmax probability of class 4
  tiny-insertion-mean.npy          insertion into the per-channel mean image, probability
  tiny-scalars.npy                 float64, in this order:
     0 AOPC MoRF   1 AOPC LeRF   2 ABPC   3 deletion AUC   4 insertion AUC (mean fill)
     5 Gini of |R| 6 entropy of |R|/Σ|R|   7 Spearman(|grad|, |R|)   8 SSIM(|grad|/max, |R|/max)
     9 relevance mass accuracy   10 rank accuracy   11 pointing game
(R = tiny-cnn/input_x_gradient.npy summed over channels, grad = tiny-cnn/gradient.npy.)

Definitions (as in core/rel-eval.c and the README):
  AOPC = 1/(L+1) Σ_{k=0..L} (f(x_0) − f(x_k))            Samek et al. 2017, eq. 12
  ABPC = 1/(L+1) Σ_{k=0..L} (f(x_k^LeRF) − f(x_k^MoRF))
  AUC  = 1/L Σ_{k=1..L} (s_{k−1} + s_k)/2                 Petsiuk et al. 2018 (trapezoid)
  SSIM: Gaussian window σ 1.5, 11×11, valid positions, sample covariances, L = 1
Run: /usr/bin/python3 tests/reference/make-eval-fixture.py
"""
import json, os
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, '..', 'fixtures')
OUT = os.path.join(FIX, 'eval')
os.makedirs(OUT, exist_ok=True)

# ---- the linear model ----
rng = np.random.default_rng(16)
w = rng.normal(size=(3 * 8 * 8,)).astype(np.float32)
W = np.stack([w, -w]).astype(np.float32)
g = helper.make_graph(
    [helper.make_node('Flatten', ['input'], ['flat'], axis=1),
     helper.make_node('Gemm', ['flat', 'W'], ['logits'], transB=1)],
    'linear',
    [helper.make_tensor_value_info('input', TensorProto.FLOAT, [1, 3, 8, 8])],
    [helper.make_tensor_value_info('logits', TensorProto.FLOAT, [1, 2])],
    [numpy_helper.from_array(W, 'W')])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)])
m.ir_version = 7
onnx.save(m, os.path.join(OUT, 'linear.onnx'))
np.save(os.path.join(OUT, 'linear-input.npy'), rng.uniform(0, 1, size=(1, 3, 8, 8)).astype(np.float32))

# ---- tiny-cnn in PyTorch from its ONNX file ----
model = onnx.load(os.path.join(FIX, 'tiny-cnn', 'model.onnx'))
inits = {i.name: torch.from_numpy(numpy_helper.to_array(i).astype(np.float64)) for i in model.graph.initializer}

def attrs(n):
    return {a.name: helper.get_attribute_value(a) for a in n.attribute}

def forward(x):
    env = dict(inits)
    env[model.graph.input[0].name] = x
    for n in model.graph.node:
        a = attrs(n)
        i = [env.get(k) for k in n.input]
        if n.op_type == 'Conv':
            p = a['pads']
            y = F.conv2d(i[0], i[1], i[2], stride=a['strides'], padding=(p[0], p[1]))
        elif n.op_type == 'Relu':
            y = F.relu(i[0])
        elif n.op_type == 'MaxPool':
            y = F.max_pool2d(i[0], a['kernel_shape'], a['strides'])
        elif n.op_type == 'AveragePool':
            y = F.avg_pool2d(i[0], a['kernel_shape'], a['strides'])
        elif n.op_type == 'Constant':
            y = torch.from_numpy(numpy_helper.to_array(a['value']).copy())
        elif n.op_type == 'Pad':
            p = [int(v) for v in i[1]]
            y = F.pad(i[0], (p[3], p[7], p[2], p[6]))
        elif n.op_type == 'Flatten':
            y = i[0].flatten(1)
        elif n.op_type == 'Gemm':
            y = i[0] @ i[1].T + i[2]
        else:
            raise SystemExit('unsupported ' + n.op_type)
        env[n.output[0]] = y
    return env[model.graph.output[0].name]

x = np.load(os.path.join(FIX, 'tiny-cnn', 'input.npy')).astype(np.float64)
R = np.load(os.path.join(FIX, 'tiny-cnn', 'input_x_gradient.npy')).astype(np.float64)
G = np.load(os.path.join(FIX, 'tiny-cnn', 'gradient.npy')).astype(np.float64)
target = json.load(open(os.path.join(FIX, 'tiny-cnn', 'meta.json')))['target']
C, H, Wd = x.shape[1:]
P = 4
m = R.sum(1)[0]
ny, nx = H // P, Wd // P
s = np.array([m[py*P:(py+1)*P, px*P:(px+1)*P].sum() for py in range(ny) for px in range(nx)])
morf = np.argsort(-s, kind='stable')
lerf = np.argsort(s, kind='stable')

def curve(order, start, source, prob):
    cur = start.copy()
    xs = [cur.copy()]
    for idx in order:
        py, px = divmod(int(idx), nx)
        cur[:, :, py*P:(py+1)*P, px*P:(px+1)*P] = source[:, :, py*P:(py+1)*P, px*P:(px+1)*P]
        xs.append(cur.copy())
    with torch.no_grad():
        z = forward(torch.from_numpy(np.concatenate(xs)))
        if prob:
            z = torch.softmax(z, 1)
    return z[:, target].numpy()

zero = np.zeros_like(x)
mean = np.broadcast_to(x.mean(axis=(2, 3), keepdims=True), x.shape).copy()
c_morf = curve(morf, x, zero, False)
c_lerf = curve(lerf, x, zero, False)
c_del = curve(morf, x, zero, True)
c_ins = curve(morf, mean, x, True)
L = len(s)
aopc = lambda c: np.mean(c[0] - c)
auc = lambda c: np.sum((c[:-1] + c[1:]) / 2) / L

a = np.abs(m).ravel()
srt = np.sort(a)
n = a.size
gini = np.sum((2 * np.arange(1, n + 1) - n - 1) * srt) / (n * srt.sum())
p = a / a.sum()
entropy = -np.sum(p[p > 0] * np.log(p[p > 0]))

def rankdata(v):
    order = np.argsort(v, kind='stable')
    r = np.empty(len(v))
    sv = v[order]
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and sv[j + 1] == sv[i]:
            j += 1
        r[order[i:j+1]] = (i + j) / 2 + 1
        i = j + 1
    return r

gm = np.abs(G.sum(1)[0])
ra, rb = rankdata(gm.ravel()), rankdata(a)
spearman = np.corrcoef(ra, rb)[0, 1]

def ssim(A, B):
    k = np.exp(-np.arange(-5, 6) ** 2 / (2 * 1.5 ** 2)); k /= k.sum()
    K = np.outer(k, k)
    vals = []
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    f = 121 / 120
    for y in range(5, A.shape[0] - 5):
        for xx in range(5, A.shape[1] - 5):
            wa, wb = A[y-5:y+6, xx-5:xx+6], B[y-5:y+6, xx-5:xx+6]
            mx, my = (K * wa).sum(), (K * wb).sum()
            vx = f * ((K * wa * wa).sum() - mx * mx)
            vy = f * ((K * wb * wb).sum() - my * my)
            cxy = f * ((K * wa * wb).sum() - mx * my)
            vals.append(((2*mx*my + c1) * (2*cxy + c2)) / ((mx*mx + my*my + c1) * (vx + vy + c2)))
    return np.mean(vals)

ss = ssim(gm / gm.max(), np.abs(m) / np.abs(m).max())

box = np.zeros((H, Wd), np.uint8)
box[8:20, 10:22] = 1
pos = np.maximum(m, 0)
mass = pos[box == 1].sum() / pos.sum()
K = int(box.sum())
top = np.argsort(-m.ravel(), kind='stable')[:K]
rank = box.ravel()[top].mean()
pointing = float(box.ravel()[np.argmax(m.ravel())])

np.save(os.path.join(OUT, 'tiny-morf.npy'), c_morf)
np.save(os.path.join(OUT, 'tiny-lerf.npy'), c_lerf)
np.save(os.path.join(OUT, 'tiny-deletion.npy'), c_del)
np.save(os.path.join(OUT, 'tiny-insertion-mean.npy'), c_ins)
sc = np.array([aopc(c_morf), aopc(c_lerf), np.mean(c_lerf - c_morf), auc(c_del), auc(c_ins),
               gini, entropy, spearman, ss, mass, rank, pointing])
np.save(os.path.join(OUT, 'tiny-scalars.npy'), sc)
print(sc)

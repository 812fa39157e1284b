#!/usr/bin/python3
"""A small seeded network whose metadata normalises like ImageNet (mean/std
per channel), so its input range is about 4.76, not 1, and whose 3x13x18
input is tiled unevenly by the occlusion windows; with the references that
hold the quadrature rules, the noise scale and the clipped last window:

- ig16_<rule>.npy: Integrated Gradients, 16 points, baseline zeros, with
  Captum 0.8's approximation_methods (riemann_left/right/middle/trapezoid,
  gausslegendre): alphas and step sizes as Captum builds them, except that
  the trapezoid map is scaled by n/(n - 1): Captum's trapezoid step sizes
  sum to (n - 1)/n, the project's (the trapezoid rule's) to 1.
- ig16_uniform_riemann_middle.npy: the same with the project's
  baseline=uniform (uniform noise over the model's input range).
- smoothgrad.npy, smoothgrad_sq.npy, vargrad.npy: Captum's NoiseTunnel
  (mean, mean of squares, mean of squares minus squared mean) of the
  gradient, with stdevs = sigma x the model's input range (the project's
  unit for sigma). expected_gradients.npy: Captum's GradientShap with
  stdevs 0 over baselines drawn uniformly from the input range.
- occlusion_w5_s3.npy: Captum's Occlusion, baseline 0, window 3x5x5 stride
  3: ceil((size - window)/stride) + 1 positions per axis, the last window
  clipped at the border (4 x 6 windows on 13 x 18).

The noise is the core's own stream, reproduced here (xoshiro256** seeded by
splitmix64, one stream per sample, Marsaglia-Tsang ziggurat normals), so the
comparison is deterministic; noise0.npy holds sample 0's normals, which the
C test checks first. Gradients are computed in float64 on the float32
inputs the core would form. Writes tests/fixtures/normalised/."""
import json
import math
import os

import numpy as np
import onnx
import torch

torch.manual_seed(18)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'normalised')
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
SHAPE = (1, 3, 13, 18)
TARGET = 2
STEPS = 16
SAMPLES = 32
SIGMA = 0.15
SEED = 7
WINDOW, STRIDE = 5, 3

M64 = (1 << 64) - 1


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 8, 3, stride=2, padding=1)
        self.fc = torch.nn.Linear(8, 4)

    def forward(self, x):
        # smooth activations: the gradient changes smoothly along a path, so
        # every quadrature rule gives its own, float32-stable map
        h = torch.tanh(self.conv1(x))
        h = torch.nn.functional.softplus(self.conv2(h))
        return self.fc(h.mean(dim=(2, 3)))


# ---- the core's random numbers (core/rel-gradient.c) ----

def splitmix64(state):
    state[0] = (state[0] + 0x9e3779b97f4a7c15) & M64
    z = state[0]
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class Rng:
    def __init__(self, seed):
        st = [seed & M64]
        self.s = [splitmix64(st) for _ in range(4)]

    @classmethod
    def stream(cls, seed, stream):
        mix = [(seed ^ (((stream + 1) * 0xd1b54a32d192ed03) & M64)) & M64]
        return cls(splitmix64(mix))

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53

    def zig_uni(self):
        return ((self.next() >> 11) + 0.5) * 2.0 ** -53


ZIG_R = 3.442619855899


def zig_tables():
    m1, v = 2147483648.0, 9.91256303526217e-3
    dn = tn = ZIG_R
    q = v / math.exp(-0.5 * dn * dn)
    kn, wn, fn = [0] * 128, [0.0] * 128, [0.0] * 128
    kn[0] = int((dn / q) * m1)
    kn[1] = 0
    wn[0] = q / m1
    wn[127] = dn / m1
    fn[0] = 1.0
    fn[127] = math.exp(-0.5 * dn * dn)
    for i in range(126, 0, -1):
        dn = math.sqrt(-2.0 * math.log(v / dn + math.exp(-0.5 * dn * dn)))
        kn[i + 1] = int((dn / tn) * m1)
        tn = dn
        fn[i] = math.exp(-0.5 * dn * dn)
        wn[i] = dn / m1
    return kn, wn, fn


KN, WN, FN = zig_tables()


def split_bits(bits):
    hz = (bits >> 32) & 0xffffffff
    if hz >= 1 << 31:
        hz -= 1 << 32
    return hz, bits & 127


def zig_fix(rng, hz, iz):
    while True:
        x = hz * WN[iz]
        if iz == 0:
            while True:
                x = -math.log(rng.zig_uni()) / ZIG_R
                y = -math.log(rng.zig_uni())
                if not y + y < x * x:
                    break
            return ZIG_R + x if hz > 0 else -ZIG_R - x
        if FN[iz] + rng.zig_uni() * (FN[iz - 1] - FN[iz]) < math.exp(-0.5 * x * x):
            return x
        hz, iz = split_bits(rng.next())
        if abs(hz) < KN[iz]:
            return hz * WN[iz]


def fill_normal(rng, n):
    out = np.empty(n, dtype=np.float32)
    for i in range(n):
        hz, iz = split_bits(rng.next())
        out[i] = hz * WN[iz] if abs(hz) < KN[iz] else zig_fix(rng, hz, iz)
    return out


# ---- helpers ----

def input_range():
    """The README's input_range default: the pixel range [0, 255*scale]
    through mean/std, low and high over the channels, stored as float32."""
    scale = float(np.float32(1.0 / 255.0))
    lo, hi = math.inf, -math.inf
    for m, s in zip(MEAN, STD):
        m, s = float(np.float32(m)), float(np.float32(s))
        a, b = (0.0 - m) / s, (255.0 * scale - m) / s
        lo, hi = min(lo, a, b), max(hi, a, b)
    lo, hi = float(np.float32(lo)), float(np.float32(hi))
    return lo, hi - lo


def grads(net, points):
    """d logits[TARGET] / d input for a batch of float32 points, in float64."""
    x = torch.from_numpy(np.asarray(points, dtype=np.float32).astype(np.float64)).requires_grad_(True)
    net(x)[:, TARGET].sum().backward()
    return x.grad.numpy()


def captum_alphas_steps(method, n):
    """captum.attr._utils.approximation_methods, transcribed."""
    if method == 'gausslegendre':
        t, w = np.polynomial.legendre.leggauss(n)
        return list(0.5 * (1 + t)), list(0.5 * w)
    deltas = [1 / n] * n
    if method == 'riemann_trapezoid':
        deltas[0] /= 2
        deltas[-1] /= 2
        alphas = np.linspace(0, 1, n)
    elif method == 'riemann_left':
        alphas = np.linspace(0, 1 - 1 / n, n)
    elif method == 'riemann_middle':
        alphas = np.linspace(1 / (2 * n), 1 - 1 / (2 * n), n)
    elif method == 'riemann_right':
        alphas = np.linspace(1 / n, 1, n)
    else:
        raise ValueError(method)
    return list(alphas), deltas


def integrated_gradients(net, x, baseline, method, n):
    alphas, steps = captum_alphas_steps(method, n)
    diff = x - baseline
    pts = [baseline + np.float32(a) * diff for a in alphas]
    g = grads(net, np.concatenate(pts))
    total = sum(s * g[k:k + 1] for k, s in enumerate(steps))
    return total * diff.astype(np.float64)


def captum_occlusion(net, x, window, strides):
    """Captum's Occlusion (baseline 0): shift counts ceil((size - window) /
    stride) + 1, each window's mask the window of ones padded to the input
    (negative padding clips the last one), attributions averaged over the
    windows covering each element."""
    inp = torch.from_numpy(x.astype(np.float64))
    shape = tuple(inp.shape)
    counts = [int(np.ceil((s - w) / st)) + 1 for s, w, st in zip(shape, window, strides)]
    ones = torch.ones(window, dtype=torch.float64)
    with torch.no_grad():
        f0 = net(inp.unsqueeze(0))[0, TARGET].item()
        total = torch.zeros(shape, dtype=torch.float64)
        weight = torch.zeros(shape, dtype=torch.float64)
        for j in range(int(np.prod(counts))):
            rem, index = j, []
            for c, st in zip(counts, strides):
                index.append((rem % c) * st)
                rem //= c
            after = np.subtract(shape, np.add(index, window))
            pads = [int(v) for pair in zip(after, index) for v in pair]
            pads.reverse()
            mask = torch.nn.functional.pad(ones, tuple(pads))
            d = f0 - net((inp * (1 - mask)).unsqueeze(0))[0, TARGET].item()
            total += d * mask
            weight += mask
    assert (weight > 0).all()
    return (total / weight).unsqueeze(0).numpy(), counts


def rel_err(got, ref):
    return np.abs(got - ref).max() / np.abs(ref).max()


def main():
    os.makedirs(OUT, exist_ok=True)
    net = Net().eval()
    pixels = torch.rand(SHAPE, generator=torch.Generator().manual_seed(3))
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    x = ((pixels - mean) / std).numpy().astype(np.float32)

    path = os.path.join(OUT, 'model.onnx')
    torch.onnx.export(net, torch.from_numpy(x), path, opset_version=13,
                      input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
    model = onnx.load(path)
    for key, value in (('relevance.mean', ','.join(map(str, MEAN))),
                       ('relevance.std', ','.join(map(str, STD))),
                       ('relevance.labels', 'north,east,south,west')):
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, path)
    np.save(os.path.join(OUT, 'input.npy'), x)

    net64 = Net().eval()
    net64.load_state_dict(net.state_dict())
    net64 = net64.double()
    lo, rng_range = input_range()
    refs = {}

    for method in ('riemann_left', 'riemann_right', 'riemann_middle', 'riemann_trapezoid', 'gausslegendre'):
        name = 'ig16_' + method.replace('riemann_trapezoid', 'trapezoid')
        refs[name] = integrated_gradients(net64, x, np.zeros_like(x), method, STEPS)
    # Captum's trapezoid steps are 1/n (halved at the ends) on nodes 1/(n - 1)
    # apart: they sum to (n - 1)/n. The project integrates with the trapezoid
    # rule itself (weights sum to 1, completeness holds): n/(n - 1) times Captum's.
    refs['ig16_trapezoid'] *= STEPS / (STEPS - 1)

    # baseline=uniform: lo + range x U[0,1) from the core's stream (rel_rng_init(seed))
    r = Rng(SEED)
    ubase = np.array([lo + rng_range * r.uniform() for _ in range(x.size)], dtype=np.float32).reshape(x.shape)
    refs['ig16_uniform_riemann_middle'] = integrated_gradients(net64, x, ubase, 'riemann_middle', STEPS)

    # NoiseTunnel: sample k's normals from stream (SEED, k)
    sigma = SIGMA * rng_range
    noisy, noise0 = [], None
    for k in range(SAMPLES):
        z = fill_normal(Rng.stream(SEED, k), x.size).reshape(x.shape)
        if k == 0:
            noise0 = z
        noisy.append((x.astype(np.float64) + sigma * z.astype(np.float64)).astype(np.float32))
    g = grads(net64, np.concatenate(noisy))
    m1, m2 = g.mean(axis=0, keepdims=True), (g * g).mean(axis=0, keepdims=True)
    refs['smoothgrad'] = m1
    refs['smoothgrad_sq'] = m2
    refs['vargrad'] = m2 - m1 * m1
    np.save(os.path.join(OUT, 'noise0.npy'), noise0)

    # GradientShap (stdevs 0): per sample α ~ U, then a fresh uniform baseline,
    # drawn in that order from one stream (rel_rng_init(seed))
    r = Rng(SEED)
    pts, diffs = [], []
    for k in range(SAMPLES):
        a = np.float32(r.uniform())
        b = np.array([lo + rng_range * r.uniform() for _ in range(x.size)], dtype=np.float32).reshape(x.shape)
        d = (x - b).astype(np.float32)
        pts.append((b + a * d).astype(np.float32))
        diffs.append(d.astype(np.float64))
    g = grads(net64, np.concatenate(pts))
    refs['expected_gradients'] = (g * np.concatenate(diffs)).mean(axis=0, keepdims=True)

    occ, counts = captum_occlusion(net64, x[0], (3, WINDOW, WINDOW), (3, STRIDE, STRIDE))
    refs['occlusion_w%d_s%d' % (WINDOW, STRIDE)] = occ

    for name, ref in refs.items():
        np.save(os.path.join(OUT, name + '.npy'), ref.astype(np.float32))

    # how far the bugs this fixture is for move the maps (the C test's
    # tolerance is 1e-3 x max|ref|)
    alphas, _ = captum_alphas_steps('riemann_trapezoid', STEPS)
    diff = x.astype(np.float64)
    g = grads(net64, np.concatenate([np.float32(a) * x for a in alphas]))
    bug_trap = g.sum(axis=0, keepdims=True) / (STEPS - 1) * diff
    alphas, _ = captum_alphas_steps('riemann_left', STEPS)
    g = grads(net64, np.concatenate([np.float32(a) * x for a in alphas]))
    bug_mid = g.mean(axis=0, keepdims=True) * diff
    noisy = [(x.astype(np.float64) + SIGMA * fill_normal(Rng.stream(SEED, k), x.size).reshape(x.shape)
              .astype(np.float64)).astype(np.float32) for k in range(SAMPLES)]
    bug_sg = grads(net64, np.concatenate(noisy)).mean(axis=0, keepdims=True)
    bugs = {
        'trapezoid end weights 1': rel_err(bug_trap, refs['ig16_trapezoid']),
        'riemann-middle at left ends': rel_err(bug_mid, refs['ig16_riemann_middle']),
        'smoothgrad sigma unscaled': rel_err(bug_sg, refs['smoothgrad']),
    }
    for k, v in bugs.items():
        print('%-30s max err %.3g x max|ref|' % (k, v))

    # float32 network on the same points: how much is rounding
    gap = {}
    net32 = net
    x32 = torch.from_numpy(x).requires_grad_(True)
    net32(x32)[0, TARGET].backward()
    gap['gradient_f32_vs_f64'] = rel_err(x32.grad.numpy(), grads(net64, x))
    with torch.no_grad():
        logits = net64(torch.from_numpy(x.astype(np.float64)))[0].numpy()
    meta = {
        'target': TARGET,
        'input_shape': list(SHAPE),
        'mean': MEAN, 'std': STD,
        'input_range': [lo, lo + rng_range],
        'steps': STEPS, 'samples': SAMPLES, 'sigma': SIGMA, 'seed': SEED,
        'occlusion': {'window': WINDOW, 'stride': STRIDE, 'windows': counts[1:]},
        'logits': [float(v) for v in logits],
        'onnx_ops': {}, 'relevance_sums': {k: float(v.sum()) for k, v in refs.items()},
        'bug_distances': {k: float(v) for k, v in bugs.items()},
        'f32_vs_f64': gap,
    }
    for n in onnx.load(path).graph.node:
        meta['onnx_ops'][n.op_type] = meta['onnx_ops'].get(n.op_type, 0) + 1
    with open(os.path.join(OUT, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta, indent=1))


if __name__ == '__main__':
    main()

#!/usr/bin/python3
# make-torchvision.py — regenerates tests/fixtures/large/: full-size torchvision
# networks with seeded random weights, exported to ONNX, with PyTorch's logits.
#
# Run from anywhere with Debian's PyTorch 1.13 / torchvision 0.14:
#     nice /usr/bin/python3 tests/reference/make-torchvision.py [OUTDIR]
# It takes a few minutes of CPU and writes ~700 MB (VGG-16 alone is 528 MB), so
# the output folder is gitignored and the tests that use it skip when it is
# absent. Re-run meson afterwards so tests/bench picks the models up.
#
#     /usr/bin/python3 tests/reference/make-torchvision.py --small [OUTDIR]
# writes the committed tests/fixtures/torchvision-small/ instead (~2 MB): the
# same torchvision classes, operators and topology (ResNet-18's BasicBlocks and
# strided downsamples, MobileNetV2's inverted residuals with depthwise Convs
# and ReLU6, VGG-16's 13 Convs, 5 MaxPools, AdaptiveAvgPool and 3 Linears)
# with every width divided (ResNet-18 by 8, MobileNetV2 width_mult 0.25,
# VGG-16's features by 16, its classifier 4096 → 64), 10 classes, and inputs of
# 64×64 (ResNet, MobileNet: the five stride-2 stages end at 2×2) and 224×224
# (VGG, whose AdaptiveAvgPool(7×7) needs a 7×7 map). Each folder also holds
# gradient.npy, PyTorch's d logits[argmax] / d input, so the suite checks the
# torchvision checks on every run without the large files.
#
# Layout (one folder per network, like the tiny fixtures):
#     NAME/model.onnx     opset 13, dynamic batch, input "input", output "logits",
#                         constants folded (eval-mode BatchNorm fused into Conv)
#     NAME/input.npy      float32 1×3×224×224: seeded uniform [0,1) image,
#                         normalised with the ImageNet mean/std
#     NAME/logits.npy     float32 1×1000: PyTorch's output for input.npy
#     NAME/logits_f64.npy the same computed in float64 (how much is rounding)
#     NAME/meta.json      operator counts, arg-max, float32-vs-float64 gap
#     NAME/gradient.npy   (--small only) d logits[argmax] / d input, float32
#     resnet18/model-bn.onnx  the same function with BatchNormalization nodes kept
#
# Copyright 2026 The Relevance authors
# SPDX-License-Identifier: GPL-3.0-or-later

import collections
import json
import os
import sys

import numpy as np
import onnx
import torch
import torchvision

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
OPSET = 13

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, '..', 'fixtures', 'large')
SMALL_OUT = os.path.join(HERE, '..', 'fixtures', 'torchvision-small')


def randomise_batchnorm(model, gen):
    """torchvision initialises BN as the identity (γ=1, β=0, μ=0, σ²=1), which
    would make a BN bug invisible; give every BN layer distinct statistics in a
    range that keeps activations from exploding or dying through 50 layers."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = 0.5 + torch.rand(c, generator=gen)
            m.bias.data = 0.2 * torch.randn(c, generator=gen)
            m.running_mean.data = 0.1 * torch.randn(c, generator=gen)
            m.running_var.data = 0.5 + torch.rand(c, generator=gen)


def randomise_biases(model, gen):
    """VGG and the classifiers start with zero biases, which would hide a bias
    bug (and makes the exporter deduplicate them into Identity nodes); use
    PyTorch's default Linear/Conv bias init, U(±1/sqrt(fan_in)), instead."""
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and m.bias is not None:
            fan_in = m.weight[0].numel()
            bound = 1.0 / fan_in ** 0.5
            m.bias.data = (torch.rand(m.bias.shape, generator=gen) * 2 - 1) * bound


def build(name, seed):
    torch.manual_seed(seed)
    ctor = getattr(torchvision.models, name)
    model = ctor(weights=None)
    gen = torch.Generator().manual_seed(seed + 1000)
    randomise_batchnorm(model, gen)
    randomise_biases(model, gen)
    return model.eval()


def narrow(model, div, keep_out=()):
    """Divides every Conv/BatchNorm/Linear width of @model by @div in place,
    keeping the 3 input channels and the Linear outputs named in @keep_out:
    the modules keep their classes, kernels, strides, paddings and groups
    (depthwise stays depthwise), so the forward code and the exported graph
    keep their topology."""
    def w(n):
        return n if n == 3 else max(1, n // div)
    for parent in list(model.modules()):
        for name, m in list(parent.named_children()):
            if isinstance(m, torch.nn.Conv2d):
                depthwise = m.groups == m.in_channels and m.groups > 1
                new = torch.nn.Conv2d(w(m.in_channels), w(m.out_channels), m.kernel_size, m.stride,
                                      m.padding, m.dilation, w(m.in_channels) if depthwise else m.groups,
                                      m.bias is not None)
            elif isinstance(m, torch.nn.BatchNorm2d):
                new = torch.nn.BatchNorm2d(w(m.num_features), m.eps, m.momentum)
            elif isinstance(m, torch.nn.Linear):
                new = torch.nn.Linear(w(m.in_features) if m.in_features % div == 0 else m.in_features,
                                      m.out_features if name in keep_out else w(m.out_features),
                                      m.bias is not None)
            else:
                continue
            setattr(parent, name, new)
    return model


def build_small(name, seed):
    torch.manual_seed(seed)
    if name == 'resnet18':
        model = narrow(torchvision.models.resnet18(weights=None, num_classes=10), 8, keep_out=('fc',))
    elif name == 'mobilenet_v2':
        model = torchvision.models.mobilenet_v2(weights=None, num_classes=10, width_mult=0.25)
    elif name == 'vgg16':
        model = torchvision.models.vgg16(weights=None, num_classes=10)
        narrow(model.features, 16)
        # classifier: Linear(C·7·7, 4096), ReLU, Dropout, Linear(4096, 4096), ReLU, Dropout, Linear(4096, 10)
        c = model.features[-3].out_channels
        model.classifier[0] = torch.nn.Linear(c * 7 * 7, 64)
        model.classifier[3] = torch.nn.Linear(64, 64)
        model.classifier[6] = torch.nn.Linear(64, 10)
    else:
        raise ValueError(name)
    gen = torch.Generator().manual_seed(seed + 1000)
    randomise_batchnorm(model, gen)
    randomise_biases(model, gen)
    return model.eval()


def make_input(seed, size=224):
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(1, 3, size, size, generator=gen)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return ((x - mean) / std).float().contiguous()


def export(model, x, path, keep_batchnorm=False):
    kwargs = dict(
        opset_version=OPSET,
        input_names=['input'],
        output_names=['logits'],
        dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}},
        do_constant_folding=True,
    )
    if keep_batchnorm:
        # In EVAL mode torch 1.13 runs _jit_pass_onnx_eval_peephole, which fuses
        # Conv+BatchNorm whatever do_constant_folding says. PRESERVE on a model
        # in eval mode skips that pass and exports BN with its running stats.
        kwargs['training'] = torch.onnx.TrainingMode.PRESERVE
    with torch.no_grad():
        torch.onnx.export(model, x, path, **kwargs)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return dict(sorted(collections.Counter(n.op_type for n in m.graph.node).items()))


def save_npy(path, arr, written):
    np.save(path, arr)
    written.append((path, arr.shape, arr.dtype))


# The architectures users bring (issue 15): (folder, constructor, seed). Each
# is exported at opsets 13 (model.onnx) and 17 (model-opset17.onnx, where
# LayerNorm becomes LayerNormalization), with PyTorch's float64 logits and
# float64 input gradient (gradient_f64.npy): float64 is the reference, so
# PyTorch's float32 rounding is not measured as ours.
MORE = [('densenet121', 'densenet121', 3), ('googlenet', 'googlenet', 4),
        ('efficientnet_b0', 'efficientnet_b0', 5), ('convnext_tiny', 'convnext_tiny', 6),
        ('vit_b_16', 'vit_b_16', 7), ('swin_t', 'swin_t', 8)]
# Narrow committed variants of the two whose operators only these graphs
# exercise: DenseNet's many-input Concats and Swin's shifted windows
# (torch.roll, the attention mask's index assignments exported as ScatterND).
MORE_SMALL = [('densenet121', 'densenet121', 3), ('swin_t', 'swin_t', 8)]
OPSETS = (13, 17)


def randomise_layernorm(model, gen):
    """LayerNorm starts as γ=1, β=0 too; give it distinct values."""
    for m in model.modules():
        if isinstance(m, torch.nn.LayerNorm) and m.elementwise_affine:
            m.weight.data = 0.5 + torch.rand(m.weight.shape, generator=gen)
            m.bias.data = 0.2 * torch.randn(m.bias.shape, generator=gen)


def build_more(name, seed, small):
    torch.manual_seed(seed)
    tvm = torchvision.models
    if not small:
        kwargs = {'aux_logits': False, 'init_weights': True} if name == 'googlenet' else {}
        model = getattr(tvm, name)(weights=None, **kwargs)
    elif name == 'densenet121':
        # DenseNet-121's block configuration (6, 12, 24, 16): Concats of up to
        # 24 inputs, with growth 4 instead of 32
        model = tvm.DenseNet(growth_rate=4, block_config=(6, 12, 24, 16), num_init_features=8,
                             bn_size=2, num_classes=10)
    elif name == 'swin_t':
        # Swin-T's classes with two stages of two blocks: 32×32 input, 4×4
        # patches → 8×8 tokens in 4×4 windows shifted by 2 (roll + mask),
        # then PatchMerging to 4×4 (one window: no shift)
        model = torchvision.models.SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2],
                                                   num_heads=[2, 4], window_size=[4, 4],
                                                   stochastic_depth_prob=0.0, num_classes=10)
    else:
        raise ValueError(name)
    for m in model.modules():
        # ViT's head starts as zeros, which makes the logits constant and the
        # gradient zero: give such a layer PyTorch's default init
        if isinstance(m, torch.nn.Linear) and not m.weight.detach().any():
            m.reset_parameters()
    gen = torch.Generator().manual_seed(seed + 1000)
    randomise_batchnorm(model, gen)
    randomise_biases(model, gen)
    randomise_layernorm(model, gen)
    if name == 'googlenet' and not small:
        he_initialise(model, seed)
    return model.eval()


def he_initialise(model, seed):
    """torchvision draws GoogLeNet's weights from N(0, 0.01²) (truncated): a
    gain of ~0.17 per Conv that eval-mode BatchNorm does not undo, so the
    input's share of the activations falls ~10× per inception block, to 1e-9
    of them by inception4e (measured in float64), below float32's resolution.
    The max-pools then pick their winners by rounding, and any float32 gradient
    (PyTorch's own) is at cosine 0.81 to the float64 one: noise, not a
    reference. He initialisation keeps the signal's scale, as training does.
    The draw is repeated until no max-pool window of the test input has its
    two largest values within 1e-7 of each other (relative), float32's own
    resolution: no float32 computation can tell such a winner, and a flipped
    winner moves part of the gradient (a draw with one window within 1e-6
    put PyTorch's float32 gradient at cosine 0.99985 to float64's, ours at
    0.999997). Windows within 1e-6 remain (a handful among ~1.2 M): an
    implementation whose forward is as accurate as float32 allows decides
    them as float64 does."""
    x = make_input(seed=1234)
    for attempt in range(20):
        gen = torch.Generator().manual_seed(seed + 2000 + attempt)
        for m in model.modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                fan_in = m.weight[0].numel()
                gain = 2.0 if isinstance(m, torch.nn.Conv2d) else 1.0
                m.weight.data = torch.randn(m.weight.shape, generator=gen) * (gain / fan_in) ** 0.5
        if maxpool_near_ties(model.eval(), x.double(), 1e-7) == 0:
            return
    raise RuntimeError('no draw without max-pool near-ties')


def maxpool_near_ties(model, x, rel):
    """Windows of @model's MaxPool2d layers, on input @x in float64, whose two
    largest values differ by less than @rel relative (exact ties, which are
    one upstream value read twice through overlapping windows, excepted)."""
    count = [0]

    def hook(m, inputs, output):
        k, s, p = m.kernel_size, m.stride, m.padding
        u = torch.nn.functional.pad(inputs[0], (p, p + 1, p, p + 1), value=-float('inf'))
        pats = torch.nn.functional.unfold(u, k, stride=s)
        top = pats.view(u.shape[0], u.shape[1], k * k, -1).topk(2, dim=2).values
        gap = (top[:, :, 0] - top[:, :, 1]) / top[:, :, 0].abs().clamp_min(1e-30)
        count[0] += int(((gap > 0) & (gap < rel)).sum())
    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, torch.nn.MaxPool2d)]
    model.double()
    with torch.no_grad():
        model(x)
    model.float()
    for h in hooks:
        h.remove()
    return count[0]


def export_at(model, x, path, opset):
    kwargs = dict(
        opset_version=opset,
        input_names=['input'],
        output_names=['logits'],
        dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}},
        do_constant_folding=True,
    )
    # No torch.no_grad() here: nn.MultiheadAttention (ViT) takes its fused
    # fast path, which the exporter cannot write, when grad mode is off.
    torch.onnx.export(model, x, path, **kwargs)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return dict(sorted(collections.Counter(n.op_type for n in m.graph.node).items()))


def make_more(out, folder, ctor, seed, small, written):
    d = os.path.join(out, folder)
    os.makedirs(d, exist_ok=True)
    model = build_more(ctor, seed, small)
    size = (32 if ctor == 'swin_t' else 64) if small else 224
    x = make_input(seed=1234, size=size)
    with torch.no_grad():
        logits = model(x).float().numpy()
    target = int(np.argmax(logits[0]))
    model.double()
    x64 = x.double().requires_grad_(True)
    logits64 = model(x64)
    logits64[0, target].backward()
    grad64 = x64.grad.numpy().astype(np.float64)
    logits64 = logits64.detach().numpy()
    model.float()
    for p in model.parameters():
        p.grad = None
    ops = {}
    # the committed narrow copies keep to opset 13 (size); the large set has both
    for opset in (OPSETS[:1] if small else OPSETS):
        name = 'model.onnx' if opset == 13 else f'model-opset{opset}.onnx'
        ops[name] = export_at(model, x, os.path.join(d, name), opset)
        written.append((os.path.join(d, name), None, None))
    save_npy(os.path.join(d, 'input.npy'), x.numpy(), written)
    save_npy(os.path.join(d, 'logits.npy'), logits.astype(np.float32), written)
    save_npy(os.path.join(d, 'logits_f64.npy'), logits64, written)
    save_npy(os.path.join(d, 'gradient_f64.npy'), grad64, written)
    top = np.argsort(-logits[0])[:2]
    meta = {
        'torch': torch.__version__,
        'torchvision': torchvision.__version__,
        'opsets': list(OPSETS[:1] if small else OPSETS),
        'seed': seed,
        'input_seed': 1234,
        'input_shape': list(x.shape),
        'classes': int(logits.shape[1]),
        'argmax': target,
        'top2_margin': float(logits[0, top[0]] - logits[0, top[1]]),
        'max_abs_logit': float(np.abs(logits).max()),
        'f32_vs_f64_rel': float(np.abs(logits - logits64).max() / np.abs(logits64).max()),
        'ops': ops,
    }
    with open(os.path.join(d, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=2)
    written.append((os.path.join(d, 'meta.json'), None, None))
    print(f'{folder}: argmax {target} (margin {meta["top2_margin"]:.4g}, '
          f'max|logit| {meta["max_abs_logit"]:.4g}, f32/f64 gap {meta["f32_vs_f64_rel"]:.2e}); '
          f'ops {ops}', flush=True)


def main():
    args = sys.argv[1:]
    small = '--small' in args
    args = [a for a in args if a != '--small']
    only = None
    if args and args[0].startswith('--only='):
        only = set(args.pop(0)[len('--only='):].split(','))
    out = os.path.abspath(args[0] if args else SMALL_OUT if small else DEFAULT_OUT)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    written = []
    nets = [('resnet18', 'resnet18', 0), ('vgg16', 'vgg16', 1), ('mobilenet_v2', 'mobilenet_v2', 2)]
    for folder, ctor, seed in nets:
        if only is not None and folder not in only:
            continue
        d = os.path.join(out, folder)
        os.makedirs(d, exist_ok=True)
        if small:
            model = build_small(ctor, seed)
            x = make_input(seed=1234, size=224 if ctor == 'vgg16' else 64)
        else:
            model = build(ctor, seed)
            x = make_input(seed=1234)
        with torch.no_grad():
            logits = model(x).float().numpy()
            logits64 = model.double()(x.double()).numpy()
            model.float()
        if small:
            xg = x.clone().requires_grad_(True)
            model(xg)[0, int(np.argmax(logits[0]))].backward()
            save_npy(os.path.join(d, 'gradient.npy'), xg.grad.numpy().astype(np.float32), written)
        ops = {'model.onnx': export(model, x, os.path.join(d, 'model.onnx'))}
        written.append((os.path.join(d, 'model.onnx'), None, None))
        if folder == 'resnet18':
            ops['model-bn.onnx'] = export(model, x, os.path.join(d, 'model-bn.onnx'),
                                          keep_batchnorm=True)
            assert ops['model-bn.onnx'].get('BatchNormalization', 0) > 0, \
                'model-bn.onnx lost its BatchNormalization nodes'
            assert ops['model.onnx'].get('BatchNormalization', 0) == 0
            written.append((os.path.join(d, 'model-bn.onnx'), None, None))
        save_npy(os.path.join(d, 'input.npy'), x.numpy(), written)
        save_npy(os.path.join(d, 'logits.npy'), logits.astype(np.float32), written)
        save_npy(os.path.join(d, 'logits_f64.npy'), logits64.astype(np.float64), written)
        top = np.argsort(-logits[0])[:2]
        meta = {
            'torch': torch.__version__,
            'torchvision': torchvision.__version__,
            'opset': OPSET,
            'seed': seed,
            'input_seed': 1234,
            'input_shape': list(x.shape),
            'classes': int(logits.shape[1]),
            'argmax': int(top[0]),
            'top2_margin': float(logits[0, top[0]] - logits[0, top[1]]),
            'max_abs_logit': float(np.abs(logits).max()),
            'f32_vs_f64_rel': float(np.abs(logits - logits64).max() / np.abs(logits64).max()),
            'ops': ops,
        }
        with open(os.path.join(d, 'meta.json'), 'w') as f:
            json.dump(meta, f, indent=2)
        written.append((os.path.join(d, 'meta.json'), None, None))
        print(f'{folder}: argmax {meta["argmax"]} (margin {meta["top2_margin"]:.4g}, '
              f'max|logit| {meta["max_abs_logit"]:.4g}, f32/f64 gap {meta["f32_vs_f64_rel"]:.2e}); '
              f'ops {ops["model.onnx"]}', flush=True)
        del model
    for folder, ctor, seed in (MORE_SMALL if small else MORE):
        if only is None or folder in only:
            make_more(out, folder, ctor, seed, small, written)
    print('wrote:')
    for path, shape, dtype in written:
        size = os.path.getsize(path)
        extra = f' {dtype} {tuple(shape)}' if shape is not None else ''
        print(f'  {os.path.relpath(path)}  {size / 1e6:.1f} MB{extra}')


if __name__ == '__main__':
    main()

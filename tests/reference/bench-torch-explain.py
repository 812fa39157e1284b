#!/usr/bin/python3
# bench-torch-explain.py — what the peers' gradient, SmoothGrad and IG cost in
# PyTorch itself on this machine right now, to state next to
# `relevance-cli bench` (the explainer issue's peer figures were taken once;
# this machine's speed drifts by ±10 % over the day). Plain autograd as
# Captum runs it: Saliency = one forward + backward at batch 1; NoiseTunnel
# (nt_samples=50, no batch size) = one pass over the 50 noisy copies;
# IntegratedGradients (n_steps=64, internal_batch_size None) = one pass over
# the 64 path points.
#
#     /usr/bin/python3 tests/reference/bench-torch-explain.py [--repeat 5] [resnet18|vgg16]
#
# Copyright 2026 The Relevance authors
# SPDX-License-Identifier: GPL-3.0-or-later
import argparse
import statistics
import time

import torch
import torchvision


def timed(fn, repeat, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--repeat', type=int, default=5)
    ap.add_argument('name', nargs='?', default='resnet18')
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = getattr(torchvision.models, args.name)(weights=None).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    x = torch.rand(1, 3, 224, 224)
    target = int(model(x).argmax())

    def gradient():
        xi = x.clone().requires_grad_(True)
        model(xi)[:, target].sum().backward()

    def smoothgrad():
        xi = (x.repeat(50, 1, 1, 1) + 0.15 * torch.randn(50, 3, 224, 224)).requires_grad_(True)
        model(xi)[:, target].sum().backward()
        xi.grad.mean(0)

    def ig():
        alphas = torch.linspace(1 / 64, 1, 64).view(64, 1, 1, 1)
        xi = (alphas * x).requires_grad_(True)
        model(xi)[:, target].sum().backward()
        (xi.grad.mean(0) * x)

    print(f'{args.name} torch gradient_ms={timed(gradient, args.repeat * 6, 3):.1f}')
    print(f'{args.name} torch smoothgrad50_ms={timed(smoothgrad, args.repeat):.1f}')
    print(f'{args.name} torch ig64_ms={timed(ig, args.repeat):.1f}')


if __name__ == '__main__':
    main()

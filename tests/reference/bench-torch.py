#!/usr/bin/python3
# bench-torch.py — PyTorch's own forward latency on this machine, to state next
# to tests/bench/bench-forward's figures for the same networks.
#
#     nice /usr/bin/python3 tests/reference/bench-torch.py [--threads 2] [--repeat 20] [--batch 1] [NAME ...]
#
# NAME is a torchvision constructor (default: resnet18 vgg16). Random weights:
# latency does not depend on their values. Prints one line per network in the
# same key=value form as bench-forward.
#
# Copyright 2026 The Relevance authors
# SPDX-License-Identifier: GPL-3.0-or-later

import argparse
import statistics
import time

import torch
import torchvision


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--repeat', type=int, default=20)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--batch', type=int, default=1)
    ap.add_argument('names', nargs='*', default=['resnet18', 'vgg16'])
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.rand(args.batch, 3, 224, 224)
    for name in args.names:
        model = getattr(torchvision.models, name)(weights=None).eval()
        times = []
        with torch.inference_mode():
            for _ in range(args.warmup):
                model(x)
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                model(x)
                times.append((time.perf_counter() - t0) * 1e3)
        print(f'{name} torch={torch.__version__} threads={args.threads} batch={args.batch} '
              f'repeat={args.repeat} median_ms={statistics.median(times):.2f} '
              f'min_ms={min(times):.2f} max_ms={max(times):.2f}', flush=True)
        del model


if __name__ == '__main__':
    main()

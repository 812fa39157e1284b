#!/usr/bin/python3
"""Reads back the HDF5 files `relevance-cli spray` writes and checks
ViRelAy's layout: dataset names, shapes, dtypes and attributes.

  check-spray-h5.py ANALYSIS.h5 ATTRIBUTION.h5 [N_IMAGES CLASS MAX_K]
  check-spray-h5.py --run RELEVANCE_CLI MODEL

With --run it first builds a small image folder (two classes, PNGs written
with zlib alone), runs `RELEVANCE_CLI spray MODEL DIR --out …` and then
checks. Exits 77 (skip) when h5py is missing. Output is TAP.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

try:
    import h5py
    import numpy as np
except ImportError:
    # ./run installs python3-h5py: under CI=true its absence is a failure
    if os.environ.get('CI') == 'true':
        print('Bail out! h5py (python3-h5py) is not installed (CI=true: a missing fixture fails)')
        sys.exit(1)
    print('1..0 # SKIP h5py (python3-h5py) is not installed')
    sys.exit(77)

checks = []


def check(ok, what):
    checks.append((bool(ok), what))


def write_png(path, pixels):
    """8-bit greyscale PNG of a list of rows."""
    h, w = len(pixels), len(pixels[0])
    raw = b''.join(b'\0' + bytes(row) for row in pixels)

    def chunk(tag, data):
        return struct.pack('>I', len(data)) + tag + data + struct.pack('>I', zlib.crc32(tag + data) & 0xffffffff)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


def make_dataset(root, per_class=24, side=28):
    rng = np.random.default_rng(4)
    for c, name in enumerate(('alpha', 'beta')):
        os.makedirs(os.path.join(root, name))
        for i in range(per_class):
            img = rng.integers(0, 60, size=(side, side))
            if i % 2:   # a bright corner patch on half the images: two strategies
                img[side - 8:side - 2, side - 8:side - 2] = 255
            else:
                img[8 + c:20, 10:18] = 200
            write_png(os.path.join(root, name, f'{i:03d}.png'), img.astype(np.uint8).tolist())


def check_files(analysis, attribution, n_images, category, max_k, n_total=None):
    with h5py.File(attribution, 'r') as f:
        check(set(f.keys()) >= {'attribution', 'prediction', 'label', 'index'}, 'attribution file datasets')
        a = f['attribution']
        check(a.ndim == 4 and a.shape[1] == 1 and a.dtype == np.float32, f'attribution N×1×H×W float32 {a.shape}')
        n = a.shape[0]
        if n_total is not None:
            check(n == n_total, f'attribution rows {n} == {n_total}')
        check(f['prediction'].shape[0] == n and f['prediction'].ndim == 2, 'prediction N×classes')
        p = f['prediction'][()]
        check(np.allclose(p.sum(axis=1), 1, atol=1e-4), 'prediction rows are probabilities')
        check(f['label'].shape == (n,), 'label N')
        check(f['index'].shape == (n,) and f['index'].dtype == np.uint32, 'index N uint32')
        check(np.isfinite(a[()]).all(), 'attribution finite')
        att_index = set(f['index'][()].tolist())
    with h5py.File(analysis, 'r') as f:
        check(category in f, f'category group {category}')
        g = f[category]
        idx = g['index'][()]
        check(idx.shape == (n_images,) and g['index'].dtype == np.uint32, f'index shape {idx.shape}')
        check(set(idx.tolist()) <= att_index, 'analysis indices are attribution indices')
        spec = g['embedding/spectral']
        check(spec.ndim == 2 and spec.shape[0] == n_images, f'embedding/spectral N×E {spec.shape}')
        ev = spec.attrs.get('eigenvalue')
        check(ev is not None and ev.shape == (spec.shape[1],), 'eigenvalue attribute, one per column')
        if ev is not None:
            check(np.all(np.diff(ev) >= -1e-6) and ev[0] > -1e-4 and ev[-1] <= 2 + 1e-4,
                  'eigenvalues ascending within [0, 2]')
            v = spec[()]
            check(np.allclose(np.linalg.norm(v, axis=0), 1, atol=1e-3), 'eigenvectors have unit norm')
        tsne = g['embedding/tsne']
        check(tsne.shape == (n_images, 2), f'embedding/tsne N×2 {tsne.shape}')
        check(tsne.attrs.get('embedding') in ('spectral', b'spectral'), 'tsne based on spectral')
        for k in range(2, max_k + 1):
            name = f'cluster/kmeans-{k:02d}'
            check(name in g, name)
            if name in g:
                lab = g[name][()]
                check(lab.shape == (n_images,) and lab.min() >= 0 and lab.max() < k
                      and len(set(lab.tolist())) == k, f'{name}: N labels in 0..{k - 1}, all used')
                check(int(g[name].attrs.get('k')) == k, f'{name} k attribute')


def main():
    if sys.argv[1] == '--run':
        cli, model = sys.argv[2], sys.argv[3]
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, 'data')
            make_dataset(data)
            out = os.path.join(tmp, 'spray.analysis.h5')
            r = subprocess.run([cli, 'spray', model, data, '--class-level', '1', '--all', '--method', 'gradient', '--set', 'pool=14',
                                '--set', 'max-k=4', '--set', 'iterations=300', '--cache-dir', os.path.join(tmp, 'cache'),
                                '--out', out, '--json'], capture_output=True, text=True)
            check(r.returncode == 0, f'relevance-cli spray exits 0 ({r.stderr.strip()[-300:]})')
            if r.returncode == 0:
                doc = json.loads(r.stdout)
                classes = doc['classes']
                check(len(classes) == 2 and all(len(c['images']) == 24 for c in classes), 'JSON: 2 classes of 24 images')
                check(all(sum(cl['size'] for cl in c['clusters']) == 24 for c in classes), 'JSON: cluster sizes add up')
                for name in ('alpha', 'beta'):
                    check_files(out, os.path.join(tmp, 'spray.attribution.h5'), 24, name, 4, n_total=48)
    else:
        check_files(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
    print(f'1..{len(checks)}')
    for i, (ok, what) in enumerate(checks, 1):
        # one line per result; anything longer goes into '# ' diagnostics,
        # since other lines are unknown TAP
        head, *rest = what.splitlines() or ['']
        print(f'{"ok" if ok else "not ok"} {i} {head}')
        for line in rest:
            print(f'# {line}')
    sys.exit(0 if all(ok for ok, _ in checks) else 1)


if __name__ == '__main__':
    main()

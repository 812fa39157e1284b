#!/usr/bin/python3
"""Reference values for tests/test-spray.c, computed with Debian's
scikit-learn and SciPy (python3-sklearn, python3-scipy).

  /usr/bin/python3 tests/reference/spray-sklearn.py tests/fixtures/spray

writes
  laplacian.txt  a fixed point cloud, its kNN graph's normalised-Laplacian
                 eigenvalues (sklearn's kneighbors_graph, W = (A + Aᵀ)/2,
                 scipy's csgraph.laplacian(normed=True), dense eigh)
  kmeans.txt     well-separated blobs and sklearn's KMeans partition

Text format (easy to read from C without a parser): a header line
"n d k m", n lines of d coordinates, then one line of m results.
"""
import sys
import os
import numpy as np
from scipy.sparse import csgraph
from scipy.linalg import eigh
from sklearn.neighbors import kneighbors_graph
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs


def write(path, x, k, results, fmt):
    n, d = x.shape
    with open(path, 'w') as f:
        f.write(f'{n} {d} {k} {len(results)}\n')
        for row in x:
            f.write(' '.join(f'{v:.9g}' for v in row) + '\n')
        f.write(' '.join(fmt % v for v in results) + '\n')


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/spray'
    os.makedirs(out, exist_ok=True)

    # 1. Laplacian eigenvalues: 3 overlapping clouds (one connected graph), float32 coordinates.
    rng = np.random.default_rng(6)
    x = np.concatenate([rng.normal(c, 1.0, size=(40, 8)) for c in (0.0, 1.5, 3.0)]).astype(np.float32)
    k = 7
    a = kneighbors_graph(x.astype(np.float64), k, mode='connectivity', include_self=False)
    w = 0.5 * (a + a.T)
    lap = csgraph.laplacian(w.toarray(), normed=True)
    evals = eigh(lap, eigvals_only=True)[:12]
    write(os.path.join(out, 'laplacian.txt'), x, k, evals, '%.10g')

    # 2. k-means on well-separated blobs.
    xb, _ = make_blobs(n_samples=200, centers=4, n_features=5, cluster_std=0.6, random_state=3)
    xb = xb.astype(np.float32)
    km = KMeans(n_clusters=4, n_init=10, random_state=0).fit(xb.astype(np.float64))
    write(os.path.join(out, 'kmeans.txt'), xb, 4, km.labels_, '%d')


if __name__ == '__main__':
    main()

#!/usr/bin/python3
"""scikit-learn's equivalent of tests/bench/bench-spray.c on the same data:
kneighbors_graph → W = (A + Aᵀ)/2 → normalised Laplacian and its smallest
eigenpairs (sklearn.manifold.spectral_embedding: csgraph laplacian + ARPACK
eigsh in shift-invert mode, or LOBPCG) → eigengap → KMeans(n_init=10) on the
row-normalised eigenvectors. Prints each stage's time and the peak RSS.

  bench-spray --n 20000 --save /tmp/spray.npy
  /usr/bin/python3 tests/reference/bench-spray-sklearn.py /tmp/spray.npy [arpack|lobpcg]
"""
import resource
import sys
import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.manifold import spectral_embedding
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import kneighbors_graph


def main():
    path = sys.argv[1]
    solver = sys.argv[2] if len(sys.argv) > 2 else 'arpack'
    x = np.load(path)
    try:
        truth = np.loadtxt(path + '.labels', dtype=int)
    except OSError:
        truth = None
    neighbors, n_eig = 10, 16
    t0 = time.perf_counter()
    a = kneighbors_graph(x, neighbors, mode='connectivity', include_self=False)
    w = 0.5 * (a + a.T)
    t1 = time.perf_counter()
    # drop_first=False, norm_laplacian=True: the eigenvectors of L_sym (scaled by D^-1/2 as sklearn does)
    emb = spectral_embedding(w, n_components=n_eig, eigen_solver=solver, random_state=0,
                             drop_first=False, norm_laplacian=True)
    t2 = time.perf_counter()
    # eigenvalues for the eigengap: Rayleigh quotients of L_sym on the (rescaled) vectors
    from scipy.sparse import csgraph
    lap, dd = csgraph.laplacian(w, normed=True, return_diag=True)
    v = emb * dd[:, None]
    v /= np.linalg.norm(v, axis=0)
    ev = np.sort(np.einsum('ij,ij->j', v, lap @ v))
    gaps = np.diff(ev[:11])
    k = int(np.argmax(gaps[1:]) + 2)
    e = v[:, :k] / np.linalg.norm(v[:, :k], axis=1, keepdims=True)
    labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(e)
    t3 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ari = adjusted_rand_score(truth, labels) if truth is not None else float('nan')
    print(f'sklearn n={x.shape[0]} d={x.shape[1]} solver={solver}: kneighbors_graph {t1 - t0:.2f} s, '
          f'spectral_embedding {t2 - t1:.2f} s, kmeans {t3 - t2:.2f} s, total {t3 - t0:.2f} s; '
          f'peak {peak:.0f} MiB; suggested k {k}, ARI {ari:.4f}')


if __name__ == '__main__':
    main()

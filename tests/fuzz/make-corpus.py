#!/usr/bin/python3
"""Writes the fuzz targets' seed corpora into tests/fuzz/corpus/NAME/.

Run once with Debian's Python (python3-numpy and python3-pil for the images);
the suite only reads the files it wrote, which are committed. Seeds named ok-*
must be accepted by their target and bad-* refused (the corpus tests check
both); others only must not crash. Each is a few KB at most. The corpora also
hold the fuzzers' findings as regression cases, which this script does not
write (npy/bad-non-utf8-key.npy, preprocess/bad-non-utf8-override,
idx/bad-side-product-overflow).

Copyright 2026 The Relevance authors
SPDX-License-Identifier: GPL-3.0-or-later
"""
import gzip
import io
import os
import struct
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def npy_bytes(a, version=None):
    from numpy.lib import format as fmt
    b = io.BytesIO()
    if version is None:
        np.save(b, a)
    else:
        fmt.write_array(b, a, version=version)
    return b.getvalue()


def npy_header(header, data=b"", version=1):
    """A hand-made .npy: header text padded as numpy pads it."""
    h = header.encode("latin1")
    prefix = 10 if version == 1 else 12
    total = (prefix + len(h) + 1 + 63) // 64 * 64
    h = h + b" " * (total - prefix - len(h) - 1) + b"\n"
    if version == 1:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + data
    return b"\x93NUMPY\x02\x00" + struct.pack("<I", len(h)) + h + data


def npy():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 28, 28)).astype("<f4")
    put("npy", "ok-input-chw.npy", npy_bytes(x))
    put("npy", "ok-nchw.npy", npy_bytes(rng.standard_normal((2, 1, 28, 28)).astype("<f4")[:, :, :6, :6]))
    put("npy", "ok-f8.npy", npy_bytes(rng.standard_normal((3, 4)).astype("<f8")))
    put("npy", "ok-v2.npy", npy_bytes(np.arange(6, dtype="<f4").reshape(2, 3), version=(2, 0)))
    put("npy", "ok-1d.npy", npy_bytes(np.arange(5, dtype="<f4")))
    put("npy", "ok-double-quotes.npy",
        npy_header('{"descr": "<f4", "fortran_order": False, "shape": (2,), }', struct.pack("<2f", 1, 2)))
    put("npy", "ok-reordered.npy",
        npy_header("{'shape': (1, 2), 'fortran_order': False, 'descr': '<f4'}", struct.pack("<2f", 1, 2)))
    put("npy", "ok-scalar.npy", npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
                                        struct.pack("<f", 3)))
    put("npy", "ok-empty.npy", npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }"))
    put("npy", "bad-fortran.npy", npy_header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
                                             b"\0" * 16))
    put("npy", "bad-int32.npy", npy_bytes(np.arange(4, dtype="<i4")))
    put("npy", "bad-big-endian.npy", npy_bytes(np.arange(4, dtype=">f4")))
    put("npy", "bad-truncated.npy", npy_bytes(x)[:-7])
    put("npy", "bad-huge-shape.npy",
        npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536, 65536), }", b"\0" * 64))
    put("npy", "bad-overflow-shape.npy",
        npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 3), }", b"\0" * 64))
    put("npy", "bad-negative.npy", npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }",
                                              b"\0" * 4))
    put("npy", "bad-header-length.npy", b"\x93NUMPY\x01\x00\xff\xff{'descr': '<f4'")
    put("npy", "bad-unterminated.npy", npy_header("{'descr': '<f4, 'fortran_order': False, 'shape': (1,), }",
                                                  b"\0" * 4))
    put("npy", "bad-nine-dims.npy",
        npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", b"\0" * 4))
    put("npy", "bad-not-npy.npy", b"PK\x03\x04 not an array")
    put("npy", "bad-empty.npy", b"")


def image():
    y, x = np.mgrid[0:12, 0:10]
    rgb = np.stack([x * 25, y * 20, (x + y) * 12], axis=-1).astype(np.uint8)
    grey = Image.fromarray(rgb[:, :, 0])
    col = Image.fromarray(rgb)

    def enc(img, fmt, **kw):
        b = io.BytesIO()
        img.save(b, fmt, **kw)
        return b.getvalue()

    put("image", "ok-grey.png", enc(grey, "PNG"))
    put("image", "ok-rgb.png", enc(col, "PNG"))
    put("image", "ok-rgba.png", enc(col.convert("RGBA"), "PNG"))
    put("image", "ok-palette.png", enc(col.convert("P"), "PNG"))
    put("image", "ok-16bit.png", enc(Image.fromarray((rgb[:, :, 0].astype(np.uint16) * 257)), "PNG"))
    put("image", "ok-rgb.jpg", enc(col, "JPEG", quality=80))
    put("image", "ok-progressive.jpg", enc(col, "JPEG", quality=80, progressive=True))
    put("image", "ok-grey.jpg", enc(grey, "JPEG"))
    put("image", "ok-rgb.bmp", enc(col, "BMP"))
    put("image", "ok-grey.bmp", enc(grey, "BMP"))
    put("image", "ok-rgb.gif", enc(col.convert("P"), "GIF"))
    put("image", "ok-rgb.tiff", enc(col, "TIFF"))
    put("image", "ok-rgb.ppm", enc(col, "PPM"))
    put("image", "ok-grey.pgm", enc(grey, "PPM"))
    put("image", "ok-ascii.pgm", b"P2\n3 2\n255\n0 128 255\n255 128 0\n")
    jpg = enc(col, "JPEG", quality=80)
    put("image", "bad-truncated.jpg", jpg[: len(jpg) // 2])
    bmp = enc(col, "BMP")
    put("image", "bad-truncated.bmp", bmp[: len(bmp) - 40])
    png = enc(col, "PNG")
    put("image", "bad-truncated.png", png[: len(png) // 2])
    # a PNG whose header claims 100000×100000 pixels (the data is the 10×12 image's)
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    import zlib
    huge = png[:8] + struct.pack(">I", 13) + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + png[33:]
    put("image", "bad-huge-header.png", huge)
    # a PNM claiming 20000×20000 (beyond the side limit) with 3 bytes of data
    put("image", "bad-huge.ppm", b"P6\n20000 20000\n255\n\x01\x02\x03")
    put("image", "bad-zero-size.ppm", b"P6\n0 0\n255\n")
    put("image", "bad-svg.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    put("image", "bad-text.txt", b"not an image at all\n")
    put("image", "bad-empty", b"")


def idx_images(n, h, w, seed=2):
    rng = np.random.default_rng(seed)
    return struct.pack(">BBBBIII", 0, 0, 8, 3, n, h, w) + rng.integers(0, 256, n * h * w, dtype=np.uint8).tobytes()


def idx_labels(labels):
    return struct.pack(">BBBBI", 0, 0, 8, 1, len(labels)) + bytes(labels)


def idx_input(images, labels, flags=0):
    return bytes([flags]) + struct.pack(">H", len(images)) + images + labels


def idx():
    im = idx_images(3, 4, 5)
    lb = idx_labels([0, 9, 3])
    put("idx", "ok-plain", idx_input(im, lb))
    put("idx", "ok-gzip-by-harness", idx_input(im, lb, flags=3))
    put("idx", "ok-gzip-bytes", idx_input(gzip.compress(im, mtime=0), gzip.compress(lb, mtime=0)))
    put("idx", "ok-one-28x28", idx_input(idx_images(1, 28, 28), idx_labels([7])))
    put("idx", "ok-many-classes", idx_input(idx_images(2, 2, 2), idx_labels([0, 200])))
    put("idx", "bad-count-mismatch", idx_input(im, idx_labels([1, 2])))
    put("idx", "bad-image-magic", idx_input(b"\0\0\x09\x03" + im[4:], lb))
    put("idx", "bad-label-magic", idx_input(im, b"\0\0\x08\x03" + lb[4:]))
    put("idx", "bad-truncated-images", idx_input(im[:-3], lb))
    put("idx", "bad-truncated-labels", idx_input(im, lb[:-1]))
    put("idx", "bad-truncated-gzip", idx_input(gzip.compress(im, mtime=0)[:-12], lb))
    put("idx", "bad-huge-count", idx_input(struct.pack(">BBBBIII", 0, 0, 8, 3, 0x7fffffff, 28, 28) + b"\1" * 16, lb))
    put("idx", "bad-huge-side", idx_input(struct.pack(">BBBBIII", 0, 0, 8, 3, 1, 70000, 70000) + b"\1" * 16, lb))
    put("idx", "bad-zero-images", idx_input(struct.pack(">BBBBIII", 0, 0, 8, 3, 0, 4, 4), idx_labels([])))
    put("idx", "bad-empty", b"")


def preprocess():
    labels10 = ",".join("class %d" % i for i in range(10))
    def meta(*kv):
        return b"\0" + b"\0".join(s.encode() for s in kv)

    put("preprocess", "ok-nothing", b"")
    put("preprocess", "ok-sidecar.ini",
        b"[relevance]\nmean=0.5\nstd=0.25\nscale=0.00392156862745098\nresize=32\nchannel_order=rgb\n"
        b"labels=" + labels10.encode() + b"\n")
    put("preprocess", "ok-sidecar-labels-file.ini", b"# comment\n[relevance]\nlabels_file=labels.txt\ninput_range=-1,1\n")
    put("preprocess", "ok-sidecar-multiline-labels.ini",
        b"[relevance]\nlabels=" + "\\n".join("l%d" % i for i in range(10)).encode() + b"\\n\nchannel_order=BGR\n")
    put("preprocess", "ok-metadata", meta("relevance.mean", "0.1307", "relevance.std", "0.3081",
                                         "relevance.labels", labels10, "author", "someone"))
    put("preprocess", "ok-both",
        b"[relevance]\nmean=0.2\nresize=0\n" + meta("relevance.mean", "0.3", "relevance.labels_file", "labels.txt"))
    put("preprocess", "ok-overrides",
        b"[relevance]\nmean=0.2\n" + meta("--mean", "0.4", "--std", "2", "--resize", "40", "--labels", labels10,
                                          "--channel_order", "bgr", "--input_range", "0,1"))
    put("preprocess", "bad-unknown-key.ini", b"[relevance]\nmeen=0.5\n")
    put("preprocess", "bad-no-group.ini", b"[other]\nmean=0.5\n")
    put("preprocess", "bad-not-keyfile.ini", b"mean=0.5\n\x00")
    put("preprocess", "bad-std-zero", meta("relevance.std", "0"))
    put("preprocess", "bad-mean-channels", meta("relevance.mean", "0.1,0.2,0.3"))
    put("preprocess", "bad-mean-many", meta("relevance.mean", ",".join(["0.5"] * 500)))
    put("preprocess", "bad-mean-nan", meta("relevance.mean", "nan"))
    put("preprocess", "bad-labels-count", meta("relevance.labels", "a,b,c"))
    put("preprocess", "bad-labels-both.ini", b"[relevance]\nlabels=" + labels10.encode() + b"\nlabels_file=labels.txt\n")
    put("preprocess", "bad-labels-utf8", meta("relevance.labels", "a,b,c,d,e,f,g,h,i,\xff").replace(b"\xc3\xbf", b"\xff"))
    put("preprocess", "bad-labels-file-missing", meta("relevance.labels_file", "nonexistent.txt"))
    put("preprocess", "bad-labels-file-dir", meta("relevance.labels_file", "."))
    put("preprocess", "bad-resize-huge", meta("relevance.resize", "100000"))
    put("preprocess", "bad-range", meta("relevance.input_range", "1,0"))
    put("preprocess", "bad-unknown-metadata", meta("relevance.colour", "red"))
    put("preprocess", "bad-twice.ini", b"[relevance]\nmean=0.5\nrelevance.mean=0.4\n")
    put("preprocess", "bad-override", meta("--scale", "-1"))
    put("preprocess", "bad-override-key", meta("--gamma", "1"))


def rules():
    put("rules", "ok-epsilon-plus-flat.txt", b"# EpsilonPlusFlat spelled out\nfirst  flat\nConv   zplus\nGemm   epsilon epsilon=1e-6\n")
    put("rules", "ok-gamma-box.txt", b"first zbox low=-1 high=2\nConv gamma gamma=0.25\ndefault epsilon epsilon=0.25\n")
    put("rules", "ok-names.txt",
        b"/0/Conv   alpha-beta alpha=2 beta=1\n"
        b"/2/Conv_output_0 wsquare\n"
        b"/6/Gemm epsilon epsilon=0\r\n\t# a tab and CRLF\n\n")
    put("rules", "ok-spellings.txt", b"Conv alphabeta\nGemm alpha_beta alpha=1 beta=0\nMatMul flat\n")
    put("rules", "ok-empty.txt", b"")
    put("rules", "ok-comments-only.txt", b"# nothing here\n   \n# default epsilon\n")
    put("rules", "bad-unknown-rule.txt", b"Conv lrp0\n")
    put("rules", "bad-pass-shape.txt", b"Gemm pass\n")
    put("rules", "bad-alpha-beta.txt", b"Conv alpha-beta alpha=3 beta=1\n")
    put("rules", "bad-zbox-order.txt", b"first zbox low=2 high=1\n")
    put("rules", "bad-unknown-layer.txt", b"/9/Conv epsilon\n")
    put("rules", "bad-not-linear.txt", b"/1/Relu epsilon\n")
    put("rules", "bad-duplicate.txt", b"Conv epsilon\nConv gamma\n")
    put("rules", "bad-parameter.txt", b"Conv gamma epsilon=1\n")
    put("rules", "bad-value.txt", b"Conv epsilon epsilon=1e400\n")
    put("rules", "bad-no-value.txt", b"Conv epsilon epsilon\n")
    put("rules", "bad-one-word.txt", b"Conv\n")
    put("rules", "bad-nul.txt", b"Conv epsilon\0\n")
    put("rules", "bad-latin1.txt", b"Conv epsilon # caf\xe9\n")


def cache_entry(h, w, pred, n_out, conf, values=None, probs=None, magic=b"RSPRAY02"):
    if values is None:
        values = np.linspace(-1, 1, h * w, dtype=np.float32)
    if probs is None:
        probs = np.full(n_out, 1.0 / max(n_out, 1), dtype=np.float32)
    head = magic + b"\0" * 32 + struct.pack("<iiiif", h, w, pred, n_out, conf)
    return head + np.asarray(values, "<f4").tobytes() + np.asarray(probs, "<f4").tobytes()


def spray_cache():
    # entries for the harness's model: 8×8 maps, 5 classes
    put("spray-cache", "ok-entry", cache_entry(8, 8, 4, 5, 0.5))
    put("spray-cache", "bad-magic", cache_entry(8, 8, 4, 5, 0.5, magic=b"RSPRAY01"))
    put("spray-cache", "bad-truncated", cache_entry(8, 8, 4, 5, 0.5)[:-1])
    put("spray-cache", "bad-long", cache_entry(8, 8, 4, 5, 0.5) + b"\0")
    put("spray-cache", "bad-header-only", cache_entry(8, 8, 4, 5, 0.5)[:60])
    put("spray-cache", "bad-short", b"RSPRAY02")
    put("spray-cache", "bad-empty", b"")
    put("spray-cache", "bad-other-size", cache_entry(4, 4, 4, 5, 0.5))
    put("spray-cache", "bad-other-classes", cache_entry(8, 8, 1, 3, 0.5))
    put("spray-cache", "bad-prediction", cache_entry(8, 8, 99, 5, 0.5))
    put("spray-cache", "bad-negative-prediction", cache_entry(8, 8, -1, 5, 0.5))
    put("spray-cache", "bad-confidence", cache_entry(8, 8, 4, 5, 7.0))
    put("spray-cache", "bad-huge-dims", cache_entry(65536, 65536, 4, 5, 0.5, values=[], probs=[]))
    put("spray-cache", "bad-negative-dims", cache_entry(-8, 8, 4, 5, 0.5, values=[], probs=[]))
    nan = np.zeros(8 * 8, np.float32)
    nan[10] = np.nan
    put("spray-cache", "bad-nan-map", cache_entry(8, 8, 4, 5, 0.5, values=nan))


def main():
    which = sys.argv[1:] or ["npy", "image", "idx", "preprocess", "rules", "spray_cache"]
    for w in which:
        globals()[w]()


if __name__ == "__main__":
    main()

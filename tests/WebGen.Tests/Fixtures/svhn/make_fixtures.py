#!/usr/bin/python3
"""Writes the small SVHN-format fixtures the tests read (Debian: apt-get install python3-scipy python3-numpy).

Both files hold the same 12 images in SVHN's layout: X uint8 32x32x3xN (MATLAB order), y Nx1 with labels 1-10,
10 meaning digit 0. Pixel X[row, col, channel, n] = (3*row + 5*col + 50*channel + 11*n) % 256, so a transposed
or channel-last reading shows up at once. plain.mat is written without compression and y as uint8;
compressed.mat with zlib-compressed elements and y as double, as the published files store it.

Run from this folder: /usr/bin/python3 make_fixtures.py
"""
import numpy as np
import scipy.io

COUNT = 12
LABELS = [10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 3]

row, col, channel, n = np.indices((32, 32, 3, COUNT))
X = ((3 * row + 5 * col + 50 * channel + 11 * n) % 256).astype(np.uint8)
y = np.array(LABELS, dtype=np.uint8).reshape(COUNT, 1)

scipy.io.savemat("plain.mat", {"X": X, "y": y}, do_compression=False)
scipy.io.savemat("compressed.mat", {"X": X, "y": y.astype(np.float64)}, do_compression=True)

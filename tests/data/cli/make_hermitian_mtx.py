"""Writes h0.mtx and h1.mtx for hermitian_mtx.json: H(t) = H0 + t*H1 = U B(t) U^H with
B(t) = [[t, c, 0], [conj(c), -t, 0], [0, 0, 2t - 0.5]], c = 0.18 + 0.24i (|c| = 0.3), and
U the unitary 3x3 Fourier matrix. Eigenvalues: -+sqrt(t^2 + 0.09) and 2t - 0.5.
H0 is written as coordinate/hermitian (lower triangle), H1 as array/general."""
import numpy as np

w = np.exp(2j * np.pi / 3)
U = np.array([[w ** (j * k) for k in range(3)] for j in range(3)]) / np.sqrt(3)
c = 0.18 + 0.24j
B0 = np.array([[0, c, 0], [np.conj(c), 0, 0], [0, 0, -0.5]])
B1 = np.diag([1.0, -1.0, 2.0]).astype(complex)
H0 = U @ B0 @ U.conj().T
H1 = U @ B1 @ U.conj().T
H0 = (H0 + H0.conj().T) / 2
H1 = (H1 + H1.conj().T) / 2

with open("h0.mtx", "w") as f:
    f.write("%%MatrixMarket matrix coordinate complex hermitian\n")
    f.write("% H0 = U B0 U^H, lower triangle\n3 3 6\n")
    for j in range(3):
        for i in range(j, 3):
            z = H0[i, j] if i != j else complex(H0[i, j].real, 0.0)
            f.write(f"{i + 1} {j + 1} {float(z.real)!r} {float(z.imag)!r}\n")
with open("h1.mtx", "w") as f:
    f.write("%%MatrixMarket matrix array complex general\n")
    f.write("% H1 = U diag(1, -1, 2) U^H, column by column\n3 3\n")
    for j in range(3):
        for i in range(3):
            f.write(f"{float(H1[i, j].real)!r} {float(H1[i, j].imag)!r}\n")

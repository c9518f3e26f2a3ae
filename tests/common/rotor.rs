//! An undamped, mirror-symmetric rotor on isotropic, speed-independent bearings, in
//! first-order form, as a rotordynamics finite-element code builds it: Euler–Bernoulli
//! shaft elements between `nodes` stations (dofs x, y, θx, θy each), lumped disks
//! (mass m, diametral Id, polar Ip) at the stations, bearings of stiffness kb in x and y at
//! both ends. M q̈ + Ω G q̇ + K q = 0, A(Ω) = [[0, I], [−M⁻¹K, −Ω M⁻¹G]].
//!
//! Two exact symmetries commute with A(Ω) for every Ω, so each eigenvector lies in one
//! sector of each and branches never leave theirs:
//! * the rotation by 90° about the shaft, R: (x, y, θx, θy) → (−y, x, −θy, θx), R² = −I on
//!   the lateral dofs: sectors R v = ±i v (forward and backward whirl of the positive
//!   frequencies);
//! * the mirror about the midspan, P: station i → nodes − 1 − i with θ → −θ: P v = ±v.
//!
//! Forward and backward modes (different R sectors) and modes of opposite parity cross
//! exactly as Ω grows; inside one sector they do not.

use nalgebra::DMatrix;

/// The first-order family A(t) = A₀ + t·A₁ and the symmetries on the state (q, q̇).
pub struct Rotor {
    pub a0: DMatrix<f64>,
    pub a1: DMatrix<f64>,
    /// R ⊕ R on (q, q̇) (lateral dofs; identity on axial and torsional ones).
    pub rotation: DMatrix<f64>,
    /// P ⊕ P on (q, q̇).
    pub mirror: DMatrix<f64>,
}

/// `si`: SI units as the FE code writes them (E = 2.1·10¹¹ Pa, stiffness entries of M⁻¹K
/// up to 10¹⁰, t = Ω/1000 with Ω in rad/s, eigenvalues in rad/s) or scaled (K·10⁻⁶ and
/// time in ms: the same eigenvalues divided by 1000). `free`: axial and torsional dofs
/// added, free–free (rigid-body modes λ = 0 as 2 × 2 Jordan blocks at every speed).
pub fn rotor(nodes: usize, si: bool, free: bool) -> Rotor {
    let (e, d, len): (f64, f64, f64) = (2.1e11, 0.05, 0.25);
    let ei = e * std::f64::consts::PI * d.powi(4) / 64.0;
    let kb = 2.0e7;
    // disks: heavier in the middle, mirror-symmetric
    let disk = |i: usize| {
        let mid = (nodes - 1) as f64 / 2.0;
        let w = 1.0 + 2.0 / (1.0 + (i as f64 - mid).powi(2));
        (8.0 * w, 0.06 * w, 0.11 * w)
    };
    let lat = 4 * nodes;
    let extra = if free { 2 * nodes } else { 0 };
    let dofs = lat + extra;
    let mut k = DMatrix::<f64>::zeros(dofs, dofs);
    let mut m = DMatrix::<f64>::zeros(dofs, dofs);
    let mut g = DMatrix::<f64>::zeros(dofs, dofs);
    // dof indices: station i: x = 4i, y = 4i + 1, θx = 4i + 2, θy = 4i + 3
    let l = len;
    let kel = DMatrix::from_row_slice(
        4,
        4,
        &[
            12.0,
            6.0 * l,
            -12.0,
            6.0 * l,
            6.0 * l,
            4.0 * l * l,
            -6.0 * l,
            2.0 * l * l,
            -12.0,
            -6.0 * l,
            12.0,
            -6.0 * l,
            6.0 * l,
            2.0 * l * l,
            -6.0 * l,
            4.0 * l * l,
        ],
    ) * (ei / l.powi(3));
    for el in 0..nodes - 1 {
        let (i, j) = (el, el + 1);
        // xz plane: (x, θy); yz plane: (y, −θx)
        let xz = [
            (4 * i, 1.0),
            (4 * i + 3, 1.0),
            (4 * j, 1.0),
            (4 * j + 3, 1.0),
        ];
        let yz = [
            (4 * i + 1, 1.0),
            (4 * i + 2, -1.0),
            (4 * j + 1, 1.0),
            (4 * j + 2, -1.0),
        ];
        for plane in [xz, yz] {
            for (p, &(dp, sp)) in plane.iter().enumerate() {
                for (q, &(dq, sq)) in plane.iter().enumerate() {
                    k[(dp, dq)] += sp * sq * kel[(p, q)];
                }
            }
        }
    }
    for end in [0, nodes - 1] {
        k[(4 * end, 4 * end)] += kb;
        k[(4 * end + 1, 4 * end + 1)] += kb;
    }
    for i in 0..nodes {
        let (mass, id, ip) = disk(i);
        m[(4 * i, 4 * i)] = mass;
        m[(4 * i + 1, 4 * i + 1)] = mass;
        m[(4 * i + 2, 4 * i + 2)] = id;
        m[(4 * i + 3, 4 * i + 3)] = id;
        g[(4 * i + 2, 4 * i + 3)] = ip;
        g[(4 * i + 3, 4 * i + 2)] = -ip;
    }
    if free {
        // axial (z) and torsional (ψ) chains, free–free
        let (ka, kt) = (e * 1.9e-3 / l, 8.0e10 * 6.1e-7 / l);
        for (off, kk) in [(lat, ka), (lat + nodes, kt)] {
            for el in 0..nodes - 1 {
                let (i, j) = (off + el, off + el + 1);
                k[(i, i)] += kk;
                k[(j, j)] += kk;
                k[(i, j)] -= kk;
                k[(j, i)] -= kk;
            }
            for i in 0..nodes {
                let (mass, _, ip) = disk(i);
                m[(off + i, off + i)] = if off == lat { mass } else { ip };
            }
        }
    }
    let (ks, speed) = if si { (1.0, 1000.0) } else { (1e-6, 1.0) };
    let minv = DMatrix::from_diagonal(&m.diagonal().map(|x| 1.0 / x));
    let n = 2 * dofs;
    let mut a0 = DMatrix::<f64>::zeros(n, n);
    a0.view_mut((0, dofs), (dofs, dofs))
        .copy_from(&DMatrix::identity(dofs, dofs));
    a0.view_mut((dofs, 0), (dofs, dofs))
        .copy_from(&(-(&minv * &k) * ks));
    let mut a1 = DMatrix::<f64>::zeros(n, n);
    a1.view_mut((dofs, dofs), (dofs, dofs))
        .copy_from(&(-(&minv * &g) * speed));
    // with K·10⁻⁶ and time in ms the frequencies are ω/1000 and λ²M + λΩG + K = 0 becomes
    // λ′²M + λ′(Ω/1000)G + 10⁻⁶K = 0: A₁ = −M⁻¹G there, −1000·M⁻¹G in SI (t = Ω/1000)
    let mut r = DMatrix::<f64>::identity(dofs, dofs);
    let mut p = DMatrix::<f64>::zeros(dofs, dofs);
    for i in 0..nodes {
        let b = 4 * i;
        for q in 0..4 {
            r[(b + q, b + q)] = 0.0;
        }
        // x' = −y, y' = x, θx' = −θy, θy' = θx
        r[(b, b + 1)] = -1.0;
        r[(b + 1, b)] = 1.0;
        r[(b + 2, b + 3)] = -1.0;
        r[(b + 3, b + 2)] = 1.0;
        let j = 4 * (nodes - 1 - i);
        p[(j, b)] = 1.0;
        p[(j + 1, b + 1)] = 1.0;
        p[(j + 2, b + 2)] = -1.0;
        p[(j + 3, b + 3)] = -1.0;
    }
    for off in (0..extra).map(|q| lat + q) {
        let (chain, i) = ((off - lat) / nodes, (off - lat) % nodes);
        let j = lat + chain * nodes + (nodes - 1 - i);
        // z is mirrored with a sign (the axis flips), ψ without
        p[(j, off)] = if chain == 0 { -1.0 } else { 1.0 };
    }
    let mut rotation = DMatrix::<f64>::zeros(n, n);
    let mut mirror = DMatrix::<f64>::zeros(n, n);
    for h in [0, dofs] {
        rotation.view_mut((h, h), (dofs, dofs)).copy_from(&r);
        mirror.view_mut((h, h), (dofs, dofs)).copy_from(&p);
    }
    Rotor {
        a0,
        a1,
        rotation,
        mirror,
    }
}

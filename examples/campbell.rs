//! A Campbell diagram: the whirl frequencies of a rotor against its spin speed.
//!
//! The model: a rigid steel disk (Ø 400 mm, 20 mm thick) at the free end of a massless
//! cantilevered steel shaft (Ø 20 mm, 200 mm long), with light viscous damping at the
//! disk. Coordinates: the disk's displacements u, v and slopes φ, ψ in two perpendicular
//! planes. The spinning disk adds the gyroscopic moments ±I_p·Ω·(rate of slope), which
//! couple the two planes:
//!
//!   M q̈ + (C + Ω G) q̇ + K q = 0,   q = (u, v, φ, ψ),
//!   M = diag(m, m, I_d, I_d),   K = EI/L³ [[12, −6L], [−6L, 4L²]] in each plane,
//!   G = I_p [[0, 1], [−1, 0]] on (φ, ψ).
//!
//! In first-order form x = (q, q̇), A(Ω) = [[0, I], [−M⁻¹K, −M⁻¹(C + ΩG)]], 8 × 8 and real;
//! its eigenvalues are λ = −σ ± iω. At rest each natural frequency is double (the two
//! planes are alike); the spin splits it into a forward whirl, stiffened by the gyroscopic
//! moment, and a backward whirl, softened by it. Where a whirl frequency equals the spin
//! speed (the 1× line) the rotor has a critical speed; for synchronous whirl the disk's
//! tilt inertia becomes I_d ∓ I_p, which gives the exact critical speeds to check against.
//!
//! Writes `plots/campbell.png`. Run with `cargo run --release --example campbell`.

use eigentrack::nalgebra::DMatrix;
use eigentrack::plot::PlotOptions;
use eigentrack::{Part, Tracker};

struct Rotor {
    m: f64,
    id: f64,
    ip: f64,
    k: [[f64; 2]; 2],
    c: f64,
}

impl Rotor {
    fn new() -> Self {
        let (e, rho) = (211e9, 7810.0);
        let (d_shaft, l): (f64, f64) = (0.02, 0.2);
        let (d_disk, h) = (0.4, 0.02);
        let ei = e * std::f64::consts::PI * d_shaft.powi(4) / 64.0;
        let r = d_disk / 2.0;
        let m = rho * std::f64::consts::PI * r * r * h;
        let s = ei / l.powi(3);
        let k = [[12.0 * s, -6.0 * l * s], [-6.0 * l * s, 4.0 * l * l * s]];
        // About 1 % of critical damping of the lateral stiffness.
        let c = 2.0 * 0.01 * (k[0][0] * m).sqrt();
        Rotor {
            m,
            id: m * r * r / 4.0 + m * h * h / 12.0,
            ip: m * r * r / 2.0,
            k,
            c,
        }
    }

    /// A(Ω) in first-order form.
    fn a(&self, spin: f64) -> DMatrix<f64> {
        let mass = [self.m, self.m, self.id, self.id];
        let mut k = DMatrix::zeros(4, 4);
        for plane in 0..2 {
            // Plane 0: (u, φ) = (0, 2); plane 1: (v, ψ) = (1, 3).
            let idx = [plane, plane + 2];
            for i in 0..2 {
                for j in 0..2 {
                    k[(idx[i], idx[j])] = self.k[i][j];
                }
            }
        }
        let mut cg = DMatrix::zeros(4, 4);
        cg[(0, 0)] = self.c;
        cg[(1, 1)] = self.c;
        cg[(2, 3)] = self.ip * spin;
        cg[(3, 2)] = -self.ip * spin;
        let mut a = DMatrix::zeros(8, 8);
        for i in 0..4 {
            a[(i, i + 4)] = 1.0;
            for j in 0..4 {
                a[(i + 4, j)] = -k[(i, j)] / mass[i];
                a[(i + 4, j + 4)] = -cg[(i, j)] / mass[i];
            }
        }
        a
    }

    /// Undamped synchronous critical speeds: ω = Ω with tilt inertia I_d ∓ I_p, i.e. the
    /// positive roots ω² of det(K − ω² diag(m, J)) = 0 for J = I_d − I_p (forward) and
    /// J = I_d + I_p (backward).
    fn critical_speeds(&self) -> Vec<(&'static str, f64)> {
        let [[k11, k12], [_, k22]] = self.k;
        let mut out = Vec::new();
        for (name, j) in [
            ("forward", self.id - self.ip),
            ("backward", self.id + self.ip),
        ] {
            // m J w² − (k11 J + k22 m) w + (k11 k22 − k12²) = 0 with w = ω².
            let (qa, qb, qc) = (self.m * j, -(k11 * j + k22 * self.m), k11 * k22 - k12 * k12);
            let disc = (qb * qb - 4.0 * qa * qc).sqrt();
            for w in [(-qb + disc) / (2.0 * qa), (-qb - disc) / (2.0 * qa)] {
                if w > 0.0 {
                    out.push((name, w.sqrt()));
                }
            }
        }
        out.sort_by(|a, b| a.1.total_cmp(&b.1));
        out
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rotor = Rotor::new();
    // Spin speeds up to 600 rad/s (about 5 700 rpm).
    let spin_max = 600.0;
    // A(Ω) is real: real arithmetic, exact conjugate pairs. At rest every frequency is
    // double (a repeated conjugate pair).
    let tracking = Tracker::new()
        .samples(301)?
        .track(|spin| rotor.a(spin), 0.0..=spin_max)?;
    println!("{tracking}\n");

    // The branches with positive frequencies; forward whirls rise with the spin.
    let last = tracking.samples().len() - 1;
    let mut shown = Vec::new();
    let mut labels = vec![String::new(); tracking.branches().len()];
    let mut order: Vec<usize> = (0..tracking.branches().len())
        .filter(|&k| tracking.branches()[k].values()[last].im > 0.0)
        .collect();
    order.sort_by(|&a, &b| {
        let f = |k: usize| tracking.branches()[k].values()[0].im;
        f(a).total_cmp(&f(b))
    });
    for (n, &k) in order.iter().enumerate() {
        let b = &tracking.branches()[k];
        let forward = b.values()[last].im > b.values()[0].im;
        labels[k] = format!(
            "mode {} {} (ω₀ = {:.0} rad/s)",
            n / 2 + 1,
            if forward { "forward" } else { "backward" },
            b.values()[0].im
        );
        shown.push(k);
    }

    // Critical speeds: where a whirl frequency meets the 1× line, from the tracked
    // branches (linear interpolation between samples) against the exact values.
    let ts = tracking.samples();
    let mut found = Vec::new();
    for &k in &shown {
        let v = tracking.branches()[k].values();
        for i in 0..last {
            let (f0, f1) = (v[i].im - ts[i], v[i + 1].im - ts[i + 1]);
            if f0 * f1 < 0.0 {
                found.push(ts[i] + (ts[i + 1] - ts[i]) * f0 / (f0 - f1));
            }
        }
    }
    found.sort_by(f64::total_cmp);
    let exact: Vec<(&str, f64)> = rotor
        .critical_speeds()
        .into_iter()
        .filter(|c| c.1 < spin_max)
        .collect();
    for (&(name, w), f) in exact.iter().zip(&found) {
        println!(
            "{name:>8} critical speed {w:8.2} rad/s = {:6.0} rpm, from the Campbell diagram {f:8.2} rad/s",
            w * 60.0 / (2.0 * std::f64::consts::PI)
        );
    }
    assert_eq!(
        found.len(),
        exact.len(),
        "critical speeds {found:?} against {exact:?}"
    );
    // Damping shifts the frequencies by about ζ²; allow 0.5 %.
    assert!(found
        .iter()
        .zip(&exact)
        .all(|(f, e)| (f - e.1).abs() < 5e-3 * e.1));

    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/plots");
    std::fs::create_dir_all(dir)?;
    let mut options = PlotOptions::new();
    for &(name, w) in &exact {
        options = options.point(format!("{name} critical speed {w:.0} rad/s"), (w, w));
    }
    tracking.plot_with(
        format!("{dir}/campbell.png"),
        &options
            .title("Campbell diagram: overhung disk on a cantilevered shaft")
            .parameter("Ω")
            .x_label("spin speed Ω (rad/s)")
            .y_label("whirl frequency ω = Im λ (rad/s)")
            .parts([Part::Im])
            .branches(shown)
            .labels(labels)
            .guide("1× line ω = Ω", [(0.0, 0.0), (spin_max, spin_max)])
            .size(1300, 750),
    )?;
    println!("wrote {dir}/campbell.png");
    Ok(())
}

//! Figures of a [`Tracking`] with [plotters](https://docs.rs/plotters) (feature `plot`, on by
//! default): eigencurves, the solver's sorted output against the tracked branches, paths in
//! the complex plane, slopes, and families of eigencurves over a parameter.
//!
//! The file extension chooses the format: `.png` (bitmap) or `.svg` (vector). Text is drawn
//! with DejaVu Sans, embedded in the binary, so no system font library is needed.
//!
//! Conventions shared by every figure:
//!
//! - Branch k keeps one colour everywhere (a ten-colour qualitative palette, the
//!   "tab10" colours of matplotlib, up to ten branches; 11 and 12 branches take twelve
//!   colours of the turbo scale, so no two share one), so a branch can be followed by eye
//!   through crossings.
//! - Bitmap curves are anti-aliased (the figure is drawn at twice its size and averaged
//!   down). A curve that runs on top of another for a stretch (a conjugate pair's real
//!   parts, a degenerate pair) is dashed so that both colours show; one that only passes
//!   close (a crossing, an avoided crossing) stays solid.
//! - Events are drawn in black on the eigencurve panels and listed in the legend:
//!   crossing ○, avoided crossing ◇ (labelled with its gap), exceptional point ×,
//!   level ▽ (with the level as a dashed line), unresolved step ! (in red).
//! - The legend sits in a column to the right of the panels and never covers a curve.
//! - Many branches (more than 12 drawn, e.g. a level diagram): the curves get thinner
//!   with the count (down to one pixel from 36 on) and are coloured on a scale by branch
//!   index (turbo; branch k starts as the k-th lowest eigenvalue, so this is also the
//!   order of the initial values), shown by a colour bar in place of the legend of
//!   branches; the legend lists the events only. Event markers are small, unfilled and
//!   unlabelled, there are no t marks, one arrow per complex-plane path, and no event
//!   lines on slope panels.
//!
//! ```
//! use eigentrack::plot::{Panels, PlotOptions};
//! use eigentrack::Tracking;
//! # fn demo(tracking: &Tracking) -> eigentrack::Result<()> {
//! // tracking = eigentrack::track(|t| a(t), -1.0..=1.5)?;
//! tracking.plot("eigencurves.png")?;
//! tracking.plot_with(
//!     "crossing.svg",
//!     &PlotOptions::new()
//!         .panels(Panels::SortedVsTracked)
//!         .title("λ = t against λ = e^{t²} − 1")
//!         .size(1200, 500),
//! )?;
//! # Ok(())
//! # }
//! ```
//!
//! The module is layered; each layer only reads the one before it:
//!
//! - `options`: what users set ([`PlotOptions`], [`Panels`]) and its validation;
//! - `scene`: the figure as plain data (panels, curves, markers, legend, colour bar), built
//!   from a [`Tracking`] and the options, without any drawing;
//! - `render`: the drawing of a scene with plotters (clipping, ticks, label placement,
//!   the legend box, the output file);
//! - `text`: the bitmap backend that lays text out glyph by glyph (used by `render` only).

#[cfg(doc)]
use crate::Error;
use crate::{Result, Tracking};
use std::path::Path;

mod options;
mod render;
mod scene;
mod text;
mod window;

pub use options::{Panels, PlotOptions};

impl Tracking {
    /// Draw the eigencurves (Re λ against t, and Im λ when a branch is complex) with the
    /// events marked, into `path`: `.png` or `.svg`. The defaults are those of
    /// [`PlotOptions`].
    ///
    /// # Errors
    /// [`Error::Output`] for an unknown extension, a missing folder or a failed write.
    ///
    /// ```no_run
    /// # fn demo(tracking: &eigentrack::Tracking) -> eigentrack::Result<()> {
    /// tracking.plot("plots/eigencurves.png")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn plot(&self, path: impl AsRef<Path>) -> Result<()> {
        self.plot_with(path, &PlotOptions::default())
    }

    /// Draw the figure chosen by `options` into `path` (`.png` or `.svg`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid option (size out of range, a branch that
    /// does not exist, a wrong number of labels, no part); [`Error::Output`] for an unknown
    /// extension, a missing folder or a failed write.
    ///
    /// ```no_run
    /// use eigentrack::plot::{Panels, PlotOptions};
    /// # fn demo(tracking: &eigentrack::Tracking) -> eigentrack::Result<()> {
    /// tracking.plot_with(
    ///     "plots/paths.svg",
    ///     &PlotOptions::new().panels(Panels::ComplexPlane).parameter("γ"),
    /// )?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn plot_with(&self, path: impl AsRef<Path>, options: &PlotOptions) -> Result<()> {
        let figure = scene::build_figure(self, options)?;
        render::render(path.as_ref(), &figure)
    }
}

impl crate::sparse::WindowTracking {
    /// Draw the tracked branches of a windowed track into `path` (`.png` or `.svg`): Re λ
    /// against t (and Im λ when a value or σ is complex), with the defaults of
    /// [`PlotOptions`]; see [`plot_with`](Self::plot_with).
    ///
    /// # Errors
    /// [`Error::Output`] for an unknown extension, a missing folder or a failed write.
    ///
    /// ```
    /// use eigentrack::sparse::{Nearest, SparseTerms};
    /// use nalgebra_sparse::{CooMatrix, CscMatrix};
    ///
    /// // diag(0, 1, …, 11) + t·diag(11, 10, …, 0): levels cross at t = 1
    /// let (mut d, mut e) = (CooMatrix::new(12, 12), CooMatrix::new(12, 12));
    /// for i in 0..12 {
    ///     d.push(i, i, i as f64);
    ///     e.push(i, i, (11 - i) as f64 - 5.5);
    /// }
    /// let fam = SparseTerms::new(12).constant(CscMatrix::from(&d))?.term(CscMatrix::from(&e), |t| t)?;
    /// let tr = Nearest::new(3, 3.0)?.samples(21)?.track(&fam, 0.0..=2.0)?;
    /// let path = std::env::temp_dir().join(format!("eigentrack-window-doc-{}.svg", std::process::id()));
    /// tr.plot(&path)?;
    /// assert!(std::fs::metadata(&path).unwrap().len() > 1000);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), eigentrack::Error>(())
    /// ```
    pub fn plot(&self, path: impl AsRef<Path>) -> Result<()> {
        self.plot_with(path, &PlotOptions::default())
    }

    /// Draw the tracked branches with `options` into `path` (`.png` or `.svg`).
    ///
    /// The figure: part(λ) of each branch against t (the parts of
    /// [`PlotOptions::parts`]; default Re, and Im too when a value or σ is complex), each
    /// branch in its own colour and under its own label all along, through crossings
    /// (the same palette as [`Tracking::plot`]); solid where the branch is among the k
    /// nearest σ, dashed and faded where it is computed in the guard band only, and
    /// absent where it is not computed. Window entries ▲, window exits ▼, crossings ○
    /// (labelled with t) and unresolved steps ! are marked on the branch concerned (at
    /// its value interpolated with its slopes); σ (its real or imaginary part) is a
    /// dashed grey reference line. By default the branches that are in the window at
    /// some sample are drawn ([`PlotOptions::branches`] chooses others). Honoured
    /// options: title, size, parameter, x and y labels, symbol, branches, labels (one
    /// per branch of the tracking), parts, events.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid option or a panel layout other than
    /// [`Panels::Eigencurves`]; [`Error::Output`] for an unknown extension, a missing
    /// folder or a failed write.
    ///
    /// ```no_run
    /// use eigentrack::PlotOptions;
    /// # fn demo(tr: &eigentrack::sparse::WindowTracking) -> eigentrack::Result<()> {
    /// tr.plot_with("plots/window.png", &PlotOptions::new().parameter("a").title("levels near σ"))?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn plot_with(&self, path: impl AsRef<Path>, options: &PlotOptions) -> Result<()> {
        let figure = window::build_window(self, options)?;
        render::render(path.as_ref(), &figure)
    }
}

/// Draw a family of eigencurves over a parameter: for each `(p, tracking)` of `runs`,
/// part(λ) against t of every selected branch, coloured by p on a viridis scale with a
/// colour bar titled [`PlotOptions::sweep_label`]. The part is the first of
/// [`PlotOptions::parts`] (default Re). `runs` need not be sorted; the trackings may have
/// different grids and branch counts (a selected branch missing from a run is skipped).
///
/// # Errors
/// [`Error::InvalidArgument`] when `runs` is empty, a parameter value is not finite, a
/// tracking has no samples or an option is invalid; [`Error::Output`] as for
/// [`Tracking::plot`].
///
/// ```no_run
/// use eigentrack::plot::{plot_sweep, PlotOptions};
/// # fn demo(runs: &[(f64, eigentrack::Tracking)]) -> eigentrack::Result<()> {
/// // runs = [(g, track(|t| [[t, g], [g, -t]], -1.0..=1.0)?) for g in 0.05..0.5]
/// plot_sweep("plots/sweep.png", runs, &PlotOptions::new().sweep_label("g"))?;
/// # Ok(())
/// # }
/// ```
pub fn plot_sweep(
    path: impl AsRef<Path>,
    runs: &[(f64, Tracking)],
    options: &PlotOptions,
) -> Result<()> {
    let figure = scene::build_sweep(runs, options)?;
    render::render(path.as_ref(), &figure)
}

/// Trackings with known answers, shared by the unit tests of the layers.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::tracking::{Branch, Stats};
    use crate::{Complex64, Event, Part, Tracking};

    fn branch(values: Vec<Complex64>, slopes: Vec<Complex64>) -> Branch {
        let n = values.len();
        Branch {
            values,
            slopes,
            curvatures: vec![Complex64::new(0.0, 0.0); n],
            condition: vec![1.0; n],
            right: None,
            left: None,
        }
    }

    /// λ₀ = t, λ₁ = −t on [−1, 1] (branch 0 starts lowest): one crossing at t = 0.
    pub(crate) fn x_crossing() -> Tracking {
        let ts: Vec<f64> = (0..=20).map(|i| -1.0 + 0.1 * i as f64).collect();
        let c = |x: f64| Complex64::new(x, 0.0);
        let b0 = branch(ts.iter().map(|&t| c(t)).collect(), vec![c(1.0); ts.len()]);
        let b1 = branch(ts.iter().map(|&t| c(-t)).collect(), vec![c(-1.0); ts.len()]);
        Tracking {
            samples: ts,
            branches: vec![b0, b1],
            events: vec![Event::Crossing {
                t: 0.0,
                branches: [0, 1],
                value: c(0.0),
                slopes: [c(1.0), c(-1.0)],
            }],
            stats: Stats::default(),
            real: true,
        }
    }

    /// The PT dimer H(γ) = [[iγ, 1], [1, −iγ]]: λ = ±√(1 − γ²), an exceptional point at
    /// γ = 1 where the real pair becomes an imaginary pair; slopes ∓γ/√(1 − γ²) diverge.
    pub(crate) fn pt_dimer() -> Tracking {
        let ts: Vec<f64> = (0..=40).map(|i| 0.05 * i as f64).collect();
        let lam = |g: f64| Complex64::new(1.0 - g * g, 0.0).sqrt();
        let slope = |g: f64| -g / lam(g);
        let b0 = branch(
            ts.iter().map(|&g| -lam(g)).collect(),
            ts.iter().map(|&g| -slope(g)).collect(),
        );
        let b1 = branch(
            ts.iter().map(|&g| lam(g)).collect(),
            ts.iter().map(|&g| slope(g)).collect(),
        );
        Tracking {
            samples: ts,
            branches: vec![b0, b1],
            events: vec![
                Event::ExceptionalPoint {
                    t: 1.0,
                    branches: [0, 1],
                    value: Complex64::new(0.0, 0.0),
                },
                Event::Level {
                    t: 1.5,
                    branch: 1,
                    part: Part::Im,
                    level: 1.0,
                    value: Complex64::new(0.0, 1.118033988749895),
                },
                Event::Unresolved {
                    t_start: 0.95,
                    t_end: 1.0,
                    branches: vec![0, 1],
                },
            ],
            stats: Stats::default(),
            real: false,
        }
    }

    /// `n` levels λ_k = ⌊k/2⌋ + t (k even) and ⌊k/2⌋ + ½ − t (k odd) on [0, 1], each pair
    /// crossing at t = ¼.
    pub(crate) fn ladder(n: usize) -> Tracking {
        let ts: Vec<f64> = (0..=20).map(|i| 0.05 * i as f64).collect();
        let c = |x: f64| Complex64::new(x, 0.0);
        let level = |k: usize, t: f64| {
            let base = (k / 2) as f64;
            if k % 2 == 0 {
                base + t
            } else {
                base + 0.5 - t
            }
        };
        let branches = (0..n)
            .map(|k| {
                let slope = if k % 2 == 0 { 1.0 } else { -1.0 };
                branch(
                    ts.iter().map(|&t| c(level(k, t))).collect(),
                    vec![c(slope); ts.len()],
                )
            })
            .collect();
        let events = (0..n / 2)
            .map(|m| Event::Crossing {
                t: 0.25,
                branches: [2 * m, 2 * m + 1],
                value: c(m as f64 + 0.25),
                slopes: [c(1.0), c(-1.0)],
            })
            .collect();
        Tracking {
            samples: ts,
            branches,
            events,
            stats: Stats::default(),
            real: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{ladder, pt_dimer, x_crossing};
    use super::*;

    #[test]
    fn every_panel_renders_to_png_and_svg() {
        let dir = std::env::temp_dir().join(format!("eigentrack-plot-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, tr) in [
            ("x", x_crossing()),
            ("pt", pt_dimer()),
            ("many", ladder(30)),
        ] {
            for panels in [
                Panels::Eigencurves,
                Panels::SortedVsTracked,
                Panels::ComplexPlane,
                Panels::Slopes,
            ] {
                let opt = PlotOptions::new().panels(panels).sorted_slopes(true);
                for ext in ["png", "svg"] {
                    let path = dir.join(format!("{name}-{panels:?}.{ext}"));
                    tr.plot_with(&path, &opt).unwrap();
                    assert!(std::fs::metadata(&path).unwrap().len() > 1000);
                }
            }
        }
        let runs: Vec<(f64, Tracking)> = (0..5).map(|i| (i as f64, x_crossing())).collect();
        plot_sweep(dir.join("sweep.png"), &runs, &PlotOptions::new()).unwrap();
        if std::env::var_os("EIGENTRACK_KEEP_PLOTS").is_none() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}

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
//!   "tab10" colours of matplotlib, cycling beyond ten branches), so a branch can be
//!   followed by eye through crossings.
//! - Events are drawn in black on the eigencurve panels and listed in the legend:
//!   crossing ○, avoided crossing ◇ (labelled with its gap), exceptional point ×,
//!   level ▽ (with the level as a dashed line), unresolved step ! (in red).
//! - The legend sits in a column to the right of the panels and never covers a curve.
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

use crate::{Complex64, Error, Event, Part, Result, Tracking};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;
use std::sync::OnceLock;

mod text;

type DResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The font family name the embedded DejaVu Sans is registered under.
const FONT: &str = "sans-serif";

/// Which panels a figure of a [`Tracking`] shows.
///
/// ```
/// use eigentrack::plot::{Panels, PlotOptions};
/// let options = PlotOptions::new().panels(Panels::ComplexPlane);
/// assert_eq!(options.get_panels(), Panels::ComplexPlane);
/// assert_eq!(PlotOptions::default().get_panels(), Panels::Eigencurves);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Panels {
    /// Re λ against t, one panel per part of λ: by default Re λ, and below it Im λ when any
    /// branch is complex (see [`PlotOptions::parts`]). Events are marked and labelled.
    #[default]
    Eigencurves,
    /// Two columns: on the left the solver's sorted output ([`Tracking::sorted`]), coloured
    /// by rank, whose colours swap at every crossing; on the right eigentrack's branches,
    /// coloured by identity. One row per part of λ as for [`Panels::Eigencurves`].
    SortedVsTracked,
    /// Im λ against Re λ: the path of each branch, arrows pointing to increasing t, dots at
    /// a few round values of t with their labels, and the events at their eigenvalues.
    ComplexPlane,
    /// dλ/dt against t per branch, continuous through crossings; one panel for Re dλ/dt and
    /// one for Im dλ/dt when any slope is complex. With [`PlotOptions::sorted_slopes`], a
    /// left column adds the slopes in sorted order, which jump at crossings.
    Slopes,
}

/// A reference curve drawn dashed in grey on every eigencurve panel, e.g. the 1× line
/// ω = Ω of a Campbell diagram.
#[derive(Debug, Clone, PartialEq)]
struct Guide {
    label: String,
    points: Vec<(f64, f64)>,
}

/// Options of a figure: every field has a default, set by the builder methods.
///
/// | option | default |
/// | --- | --- |
/// | [`title`](Self::title) | automatic: "eigenvalues along t", "sorted output against tracked branches", "eigenvalue paths in the complex plane", "slopes dλ/dt along the branches", "eigencurves over p" |
/// | [`parameter`](Self::parameter) | `"t"`: the name of the track parameter in labels |
/// | [`x_label`](Self::x_label) | the parameter name |
/// | [`y_label`](Self::y_label) | per panel: `"Re λ"`, `"Im λ"`, `"|λ|"`, `"Re dλ/dt"`, … |
/// | [`symbol`](Self::symbol) | `"λ"`: the eigenvalue's symbol in the default axis labels |
/// | [`size`](Self::size) | 1200 × 700 pixels |
/// | [`panels`](Self::panels) | [`Panels::Eigencurves`] |
/// | [`branches`](Self::branches) | all branches |
/// | [`labels`](Self::labels) | `"branch 0"`, `"branch 1"`, … |
/// | [`parts`](Self::parts) | Re, plus Im when a branch (or, for slopes, a slope) is complex |
/// | [`events`](Self::events) | `true`: events marked and labelled |
/// | [`sorted_slopes`](Self::sorted_slopes) | `false` |
/// | [`guide`](Self::guide) | none |
/// | [`point`](Self::point) | none |
/// | [`t_marks`](Self::t_marks) | 5 labelled values of t on complex-plane paths |
/// | [`sweep_label`](Self::sweep_label) | `"p"`: the name of the sweep parameter |
///
/// The builder methods do not fail; the options are checked when a figure is drawn, and an
/// invalid one gives [`Error::InvalidArgument`] naming it.
///
/// ```
/// use eigentrack::plot::{Panels, PlotOptions};
/// use eigentrack::Part;
/// let campbell = PlotOptions::new()
///     .title("Campbell diagram")
///     .parameter("Ω")
///     .x_label("spin speed Ω (rad/s)")
///     .y_label("natural frequency ω (rad/s)")
///     .parts([Part::Im])
///     .guide("1× (ω = Ω)", [(0.0, 0.0), (3000.0, 3000.0)])
///     .size(1000, 650);
/// assert_eq!(campbell.get_size(), (1000, 650));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PlotOptions {
    title: Option<String>,
    parameter: String,
    x_label: Option<String>,
    y_label: Option<String>,
    size: (u32, u32),
    panels: Panels,
    branches: Option<Vec<usize>>,
    labels: Option<Vec<String>>,
    parts: Option<Vec<Part>>,
    events: bool,
    sorted_slopes: bool,
    guides: Vec<Guide>,
    points: Vec<(String, (f64, f64))>,
    symbol: String,
    t_marks: usize,
    sweep_label: String,
}

impl Default for PlotOptions {
    fn default() -> Self {
        PlotOptions {
            title: None,
            parameter: "t".into(),
            x_label: None,
            y_label: None,
            size: (1200, 700),
            panels: Panels::Eigencurves,
            branches: None,
            labels: None,
            parts: None,
            events: true,
            sorted_slopes: false,
            guides: Vec::new(),
            points: Vec::new(),
            symbol: "λ".into(),
            t_marks: 5,
            sweep_label: "p".into(),
        }
    }
}

/// Smallest and largest accepted figure side, pixels.
const SIZE_RANGE: (u32, u32) = (200, 10_000);

impl PlotOptions {
    /// The defaults (see the table on [`PlotOptions`]).
    pub fn new() -> Self {
        Self::default()
    }
    /// The title above the panels; `""` draws none. Default: automatic per figure.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }
    /// The name of the track parameter, used in event and t-mark labels ("γ = 1") and in
    /// the default x label and slope labels. Default `"t"`.
    pub fn parameter(mut self, name: impl Into<String>) -> Self {
        self.parameter = name.into();
        self
    }
    /// The label of the parameter axis (the horizontal axis of every panel against t).
    /// Default: the parameter name. The complex plane's axes are `"Re λ"` and `"Im λ"`
    /// (see [`symbol`](Self::symbol)).
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = Some(label.into());
        self
    }
    /// The label of the value axis of every panel against t. Default: per panel, `"Re λ"`,
    /// `"Im λ"`, `"|λ|"`, `"Re dλ/dt"`, …. Set it when the figure shows one part of λ, e.g.
    /// a frequency. The complex plane keeps `"Re λ"` and `"Im λ"`.
    pub fn y_label(mut self, label: impl Into<String>) -> Self {
        self.y_label = Some(label.into());
        self
    }
    /// The symbol of the eigenvalue in the default axis labels (`"Re s"`, `"Im s"` for a
    /// root locus in the Laplace variable s). Default `"λ"`.
    pub fn symbol(mut self, symbol: impl Into<String>) -> Self {
        self.symbol = symbol.into();
        self
    }
    /// Width and height in pixels (also for SVG), each in 200..=10000. Default 1200 × 700.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }
    /// Which panels. Default [`Panels::Eigencurves`].
    pub fn panels(mut self, panels: Panels) -> Self {
        self.panels = panels;
        self
    }
    /// Draw only these branches (indices into [`Tracking::branches`]; in the sorted panel
    /// the same indices select ranks). Default: all.
    pub fn branches(mut self, branches: impl IntoIterator<Item = usize>) -> Self {
        self.branches = Some(branches.into_iter().collect());
        self
    }
    /// Legend names of the branches, one per branch of the tracking (not per selected
    /// branch). Default `"branch k"`.
    pub fn labels<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.labels = Some(labels.into_iter().map(Into::into).collect());
        self
    }
    /// Which parts of λ get a panel (eigencurves, sorted against tracked, slopes), top to
    /// bottom. Default: Re, plus Im when a branch is complex (for slopes: when a slope is
    /// complex).
    pub fn parts(mut self, parts: impl IntoIterator<Item = Part>) -> Self {
        self.parts = Some(parts.into_iter().collect());
        self
    }
    /// Mark and label the events. Default `true`.
    pub fn events(mut self, show: bool) -> Self {
        self.events = show;
        self
    }
    /// With [`Panels::Slopes`], add a left column with the slopes in sorted order, which
    /// jump where branches cross. Default `false`.
    pub fn sorted_slopes(mut self, show: bool) -> Self {
        self.sorted_slopes = show;
        self
    }
    /// Add a reference curve (t, y), drawn dashed in grey with a legend entry on every
    /// eigencurve panel (e.g. the 1× line ω = Ω of a Campbell diagram). Non-finite points
    /// break the curve. Default: none.
    pub fn guide(
        mut self,
        label: impl Into<String>,
        points: impl IntoIterator<Item = (f64, f64)>,
    ) -> Self {
        self.guides.push(Guide {
            label: label.into(),
            points: points.into_iter().collect(),
        });
        self
    }
    /// Add an annotated point (x, y): a filled black dot with `label`, on every eigencurve
    /// panel (and in the complex plane, at x + iy), e.g. a critical speed on a Campbell
    /// diagram. Default: none.
    pub fn point(mut self, label: impl Into<String>, at: (f64, f64)) -> Self {
        self.points.push((label.into(), at));
        self
    }
    /// How many round values of t get a dot and a label on complex-plane paths (about; the
    /// values are round numbers). `0` draws none. Default 5.
    pub fn t_marks(mut self, n: usize) -> Self {
        self.t_marks = n;
        self
    }
    /// The name of the sweep parameter in [`plot_sweep`] (colour bar title). Default `"p"`.
    pub fn sweep_label(mut self, name: impl Into<String>) -> Self {
        self.sweep_label = name.into();
        self
    }
    /// The figure size in pixels.
    pub fn get_size(&self) -> (u32, u32) {
        self.size
    }
    /// The panels.
    pub fn get_panels(&self) -> Panels {
        self.panels
    }

    fn check(&self, n_branches: usize) -> Result<()> {
        let (w, h) = self.size;
        let (lo, hi) = SIZE_RANGE;
        if !(lo..=hi).contains(&w) || !(lo..=hi).contains(&h) {
            return Err(Error::InvalidArgument {
                name: "PlotOptions::size",
                reason: format!("{w}×{h} pixels: each side must be in {lo}..={hi}"),
            });
        }
        if let Some(sel) = &self.branches {
            if sel.is_empty() {
                return Err(Error::InvalidArgument {
                    name: "PlotOptions::branches",
                    reason: "no branch selected".into(),
                });
            }
            if let Some(&k) = sel.iter().find(|&&k| k >= n_branches) {
                return Err(Error::InvalidArgument {
                    name: "PlotOptions::branches",
                    reason: format!("branch {k} does not exist (the tracking has {n_branches})"),
                });
            }
        }
        if let Some(labels) = &self.labels {
            if labels.len() != n_branches {
                return Err(Error::InvalidArgument {
                    name: "PlotOptions::labels",
                    reason: format!(
                        "{} labels for {n_branches} branches (give one per branch)",
                        labels.len()
                    ),
                });
            }
        }
        if let Some(parts) = &self.parts {
            if parts.is_empty() {
                return Err(Error::InvalidArgument {
                    name: "PlotOptions::parts",
                    reason: "no part of λ selected".into(),
                });
            }
        }
        Ok(())
    }

    fn selected(&self, n: usize) -> Vec<usize> {
        match &self.branches {
            Some(sel) => {
                let mut s = sel.clone();
                s.sort_unstable();
                s.dedup();
                s
            }
            None => (0..n).collect(),
        }
    }

    fn label(&self, k: usize) -> String {
        match &self.labels {
            Some(l) => l[k].clone(),
            None => format!("branch {k}"),
        }
    }

    fn title_or(&self, auto: String) -> Option<String> {
        match &self.title {
            Some(t) if t.is_empty() => None,
            Some(t) => Some(t.clone()),
            None => Some(auto),
        }
    }
}

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
        let figure = build_figure(self, options)?;
        render(path.as_ref(), &figure)
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
    let figure = build_sweep(runs, options)?;
    render(path.as_ref(), &figure)
}

// ---------------------------------------------------------------------------------------
// Figure description (plain data, built from a tracking, then rendered by one renderer)
// ---------------------------------------------------------------------------------------

/// The ten "tab10" colours of matplotlib, grey last (guides and levels are grey).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(127, 127, 127),
];

/// The colour of the k-th drawn branch (or rank): the palette, cycled.
fn branch_color(k: usize) -> RGBColor {
    PALETTE[k % PALETTE.len()]
}

const GUIDE_COLOR: RGBColor = RGBColor(90, 90, 90);
const LEVEL_COLOR: RGBColor = RGBColor(150, 150, 150);
const ZERO_COLOR: RGBColor = RGBColor(185, 185, 185);
const UNRESOLVED_COLOR: RGBColor = RGBColor(200, 0, 0);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MarkerKind {
    Crossing,
    Avoided,
    Exceptional,
    Level,
    Unresolved,
    TMark,
    /// A user's annotated point.
    Point,
}

#[derive(Debug, Clone)]
struct Curve {
    points: Vec<(f64, f64)>,
    color: RGBColor,
    dashed: bool,
    /// Stroke width in pixels at the reference size 1200 × 700.
    width: f64,
}

#[derive(Debug, Clone)]
struct Marker {
    at: (f64, f64),
    kind: MarkerKind,
    label: Option<String>,
}

/// An arrow at `at`, pointing towards `towards` (a point further along t), in `color`.
#[derive(Debug, Clone)]
struct Arrow {
    color: RGBColor,
    at: (f64, f64),
    towards: (f64, f64),
}

#[derive(Debug, Clone)]
struct Panel {
    title: Option<String>,
    x_label: Option<String>,
    y_label: String,
    curves: Vec<Curve>,
    markers: Vec<Marker>,
    /// Horizontal dashed lines (levels).
    levels: Vec<f64>,
    /// Vertical dashed lines (event locations on slope panels).
    verticals: Vec<f64>,
    /// Arrows pointing along increasing t.
    arrows: Vec<Arrow>,
    /// Fixed x range (the t range); otherwise from the data.
    x_range: Option<(f64, f64)>,
    /// Clip outliers of the y data (slopes near an exceptional point).
    robust_y: bool,
}

impl Panel {
    fn new(y_label: String) -> Self {
        Panel {
            title: None,
            x_label: None,
            y_label,
            curves: Vec::new(),
            markers: Vec::new(),
            levels: Vec::new(),
            verticals: Vec::new(),
            arrows: Vec::new(),
            x_range: None,
            robust_y: false,
        }
    }
}

#[derive(Debug, Clone)]
enum LegendEntry {
    Line {
        color: RGBColor,
        label: String,
        dashed: bool,
    },
    Marker {
        kind: MarkerKind,
        label: String,
    },
    Arrow {
        label: String,
    },
}

#[derive(Debug, Clone)]
struct ColorBar {
    title: String,
    min: f64,
    max: f64,
}

#[derive(Debug, Clone)]
struct Figure {
    title: Option<String>,
    size: (u32, u32),
    rows: usize,
    cols: usize,
    panels: Vec<Panel>,
    legend: Vec<LegendEntry>,
    colorbar: Option<ColorBar>,
}

fn part_label(part: Part, symbol: &str) -> String {
    match part {
        Part::Re => format!("Re {symbol}"),
        Part::Im => format!("Im {symbol}"),
        Part::Abs => format!("|{symbol}|"),
    }
}

/// A number for a label: up to three decimals, trailing zeros trimmed, scientific notation
/// for very large or small magnitudes.
fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let a = x.abs();
    if a == 0.0 {
        return "0".into();
    }
    if !(1e-3..1e5).contains(&a) {
        return format!("{x:.2e}");
    }
    let digits = if a >= 100.0 { 1 } else { 3 };
    let s = format!("{x:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// Linear interpolation of a branch's values at `t` on the grid `ts` (ascending or
/// descending); None outside the grid.
fn interpolate(ts: &[f64], values: &[Complex64], t: f64) -> Option<Complex64> {
    if ts.is_empty() {
        return None;
    }
    let (lo, hi) = (ts[0].min(ts[ts.len() - 1]), ts[0].max(ts[ts.len() - 1]));
    if !(lo..=hi).contains(&t) {
        return None;
    }
    for i in 0..ts.len().saturating_sub(1) {
        let (a, b) = (ts[i], ts[i + 1]);
        if (a <= t && t <= b) || (b <= t && t <= a) {
            let w = if b == a { 0.0 } else { (t - a) / (b - a) };
            return Some(values[i] * (1.0 - w) + values[i + 1] * w);
        }
    }
    Some(values[0])
}

/// Round values ("nice numbers" 1, 2, 5 × 10^k) inside [a, b], about `n` of them.
fn nice_marks(a: f64, b: f64, n: usize) -> Vec<f64> {
    let (lo, hi) = (a.min(b), a.max(b));
    if n == 0 || !lo.is_finite() || !hi.is_finite() || hi <= lo {
        return Vec::new();
    }
    let raw = (hi - lo) / n as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * mag);
    let mut out = Vec::new();
    let mut k = (lo / step).ceil();
    while k * step <= hi + 1e-9 * step {
        let v = k * step;
        out.push(if v.abs() < 1e-12 * step { 0.0 } else { v });
        k += 1.0;
    }
    out
}

fn check_tracking(tracking: &Tracking) -> Result<()> {
    if tracking.samples().is_empty() || tracking.branches().is_empty() {
        return Err(Error::InvalidArgument {
            name: "tracking",
            reason: format!(
                "nothing to draw: {} samples, {} branches",
                tracking.samples().len(),
                tracking.branches().len()
            ),
        });
    }
    Ok(())
}

fn t_range(tracking: &Tracking) -> (f64, f64) {
    let s = tracking.samples();
    let (a, b) = (s[0], s[s.len() - 1]);
    (a.min(b), a.max(b))
}

/// Where an unresolved step starts on a branch.
fn value_at(tracking: &Tracking, branch: usize, t: f64) -> Option<Complex64> {
    interpolate(tracking.samples(), tracking.branches()[branch].values(), t)
}

/// The event markers for a panel showing `part` of λ (`None`: the complex plane), and the
/// level lines.
fn event_markers(
    tracking: &Tracking,
    options: &PlotOptions,
    sel: &[usize],
    part: Option<Part>,
    panel: &mut Panel,
) {
    if !options.events {
        return;
    }
    let p = &options.parameter;
    let place = |z: Complex64, t: f64| match part {
        Some(part) => (t, part.of(z)),
        None => (z.re, z.im),
    };
    for e in tracking.events() {
        if !e.branches().iter().any(|b| sel.contains(b)) {
            continue;
        }
        let t = e.t();
        match e {
            Event::Crossing { value, .. } => panel.markers.push(Marker {
                at: place(*value, t),
                kind: MarkerKind::Crossing,
                label: Some(format!("{p} = {}", fmt_num(t))),
            }),
            Event::AvoidedCrossing { value, gap, .. } => panel.markers.push(Marker {
                at: place(*value, t),
                kind: MarkerKind::Avoided,
                label: Some(format!("gap {}", fmt_num(*gap))),
            }),
            Event::ExceptionalPoint { value, .. } => panel.markers.push(Marker {
                at: place(*value, t),
                kind: MarkerKind::Exceptional,
                label: Some(format!("EP {p} = {}", fmt_num(t))),
            }),
            Event::Level {
                value,
                part: lp,
                level,
                ..
            } => {
                if part.is_none() || part == Some(*lp) {
                    panel.markers.push(Marker {
                        at: place(*value, t),
                        kind: MarkerKind::Level,
                        label: Some(format!("{p} = {}", fmt_num(t))),
                    });
                }
                if part == Some(*lp) && !panel.levels.contains(level) {
                    panel.levels.push(*level);
                }
            }
            Event::Unresolved { branches, .. } => {
                for &b in branches.iter().filter(|b| sel.contains(b)) {
                    if let Some(z) = value_at(tracking, b, t) {
                        panel.markers.push(Marker {
                            at: place(z, t),
                            kind: MarkerKind::Unresolved,
                            label: Some(format!("{p} = {}", fmt_num(t))),
                        });
                    }
                }
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
}

/// Legend entries for the branches, the event kinds present and the guides.
fn legend_for(
    tracking: &Tracking,
    options: &PlotOptions,
    sel: &[usize],
    panels: &[Panel],
    with_guides: bool,
) -> Vec<LegendEntry> {
    let mut legend: Vec<LegendEntry> = sel
        .iter()
        .enumerate()
        .map(|(pos, &k)| LegendEntry::Line {
            color: branch_color(pos),
            label: options.label(k),
            dashed: false,
        })
        .collect();
    let present = |kind: MarkerKind| {
        panels
            .iter()
            .any(|p| p.markers.iter().any(|m| m.kind == kind))
    };
    let levels: Vec<String> = tracking
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::Level { part, level, .. } => Some(format!(
                "level {} = {}",
                part_label(*part, &options.symbol),
                fmt_num(*level)
            )),
            _ => None,
        })
        .fold(Vec::new(), |mut acc, s| {
            if !acc.contains(&s) {
                acc.push(s);
            }
            acc
        });
    let kinds = [
        (MarkerKind::Crossing, "crossing".to_string()),
        (MarkerKind::Avoided, "avoided crossing".to_string()),
        (MarkerKind::Exceptional, "exceptional point".to_string()),
        (
            MarkerKind::Level,
            if levels.len() == 1 {
                levels[0].clone()
            } else {
                "level".to_string()
            },
        ),
        (MarkerKind::Unresolved, "unresolved step".to_string()),
    ];
    for (kind, label) in kinds {
        if present(kind) {
            legend.push(LegendEntry::Marker { kind, label });
        }
    }
    if with_guides {
        for g in &options.guides {
            legend.push(LegendEntry::Line {
                color: GUIDE_COLOR,
                label: g.label.clone(),
                dashed: true,
            });
        }
    }
    legend
}

fn user_points(options: &PlotOptions, panel: &mut Panel) {
    for (label, at) in &options.points {
        panel.markers.push(Marker {
            at: *at,
            kind: MarkerKind::Point,
            label: Some(label.clone()),
        });
    }
}

fn guide_curves(options: &PlotOptions) -> Vec<Curve> {
    options
        .guides
        .iter()
        .map(|g| Curve {
            points: g.points.clone(),
            color: GUIDE_COLOR,
            dashed: true,
            width: 2.0,
        })
        .collect()
}

fn default_parts(options: &PlotOptions, complex: bool) -> Vec<Part> {
    match &options.parts {
        Some(p) => p.clone(),
        None if complex => vec![Part::Re, Part::Im],
        None => vec![Part::Re],
    }
}

/// Insert the located events of branch `k` that lie on it (crossings, exceptional points,
/// its level crossings) into its sampled curve, so that the curve passes through each
/// event marker exactly. `place` maps (λ, t) to a point; `points[i]` belongs to sample i.
fn with_event_points<P: Clone>(
    tracking: &Tracking,
    k: usize,
    points: Vec<(f64, P)>,
    place: impl Fn(Complex64, f64) -> (f64, P),
) -> Vec<(f64, P)> {
    let ts = tracking.samples();
    let mut extra: Vec<(f64, Complex64)> = tracking
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::Crossing {
                t, branches, value, ..
            }
            | Event::ExceptionalPoint {
                t, branches, value, ..
            } if branches.contains(&k) => Some((*t, *value)),
            Event::Level {
                t, branch, value, ..
            } if *branch == k => Some((*t, *value)),
            _ => None,
        })
        .filter(|(t, z)| t.is_finite() && z.re.is_finite() && z.im.is_finite())
        .collect();
    if extra.is_empty() || points.len() != ts.len() || ts.len() < 2 {
        return points;
    }
    let ascending = ts[ts.len() - 1] >= ts[0];
    extra.sort_by(|a, b| a.0.total_cmp(&b.0));
    if !ascending {
        extra.reverse();
    }
    let mut out = Vec::with_capacity(points.len() + extra.len());
    let mut e = extra.into_iter().peekable();
    for (i, p) in points.into_iter().enumerate() {
        while let Some(&(t, z)) = e.peek() {
            let before = if ascending { t < ts[i] } else { t > ts[i] };
            if !before {
                break;
            }
            if i > 0 {
                out.push(place(z, t));
            }
            e.next();
        }
        // An event exactly on a sample: the sample is the event.
        while e.peek().is_some_and(|&(t, _)| t == ts[i]) {
            e.next();
        }
        out.push(p);
    }
    out
}

/// A panel of part(λ) (or of part(dλ/dt) when `slopes`) against t, tracked or sorted.
fn curve_panel(
    tracking: &Tracking,
    options: &PlotOptions,
    sel: &[usize],
    part: Part,
    sorted: Option<&[Vec<(Complex64, Complex64)>]>,
    slopes: bool,
) -> Panel {
    let ts = tracking.samples();
    let symbol = if slopes {
        format!("d{}/d{}", options.symbol, options.parameter)
    } else {
        options.symbol.clone()
    };
    let mut panel = Panel::new(
        options
            .y_label
            .clone()
            .unwrap_or_else(|| part_label(part, &symbol)),
    );
    panel.x_range = Some(t_range(tracking));
    panel.robust_y = slopes;
    for (pos, &k) in sel.iter().enumerate() {
        let ys: Vec<f64> = match sorted {
            Some(s) => s[k]
                .iter()
                .map(|&(v, d)| part.of(if slopes { d } else { v }))
                .collect(),
            None => {
                let b = &tracking.branches()[k];
                let src = if slopes { b.slopes() } else { b.values() };
                src.iter().map(|&z| part.of(z)).collect()
            }
        };
        let mut points: Vec<(f64, f64)> = ts.iter().copied().zip(ys).collect();
        if sorted.is_none() && !slopes {
            points = with_event_points(tracking, k, points, |z, t| (t, part.of(z)));
        }
        panel.curves.push(Curve {
            points,
            color: branch_color(pos),
            dashed: false,
            width: 3.0,
        });
    }
    if slopes {
        if options.events {
            for e in tracking.events() {
                if matches!(
                    e,
                    Event::Crossing { .. }
                        | Event::AvoidedCrossing { .. }
                        | Event::ExceptionalPoint { .. }
                ) && e.branches().iter().any(|b| sel.contains(b))
                {
                    panel.verticals.push(e.t());
                }
            }
        }
    } else {
        if sorted.is_none() {
            event_markers(tracking, options, sel, Some(part), &mut panel);
            user_points(options, &mut panel);
        }
        let mut guides = guide_curves(options);
        guides.append(&mut panel.curves);
        panel.curves = guides;
    }
    panel
}

fn complex_plane_panel(tracking: &Tracking, options: &PlotOptions, sel: &[usize]) -> Panel {
    let ts = tracking.samples();
    let mut panel = Panel::new(part_label(Part::Im, &options.symbol));
    panel.x_label = Some(part_label(Part::Re, &options.symbol));
    user_points(options, &mut panel);
    let (t0, t1) = (ts[0], ts[ts.len() - 1]);
    let marks = nice_marks(t0, t1, options.t_marks);
    for (pos, &k) in sel.iter().enumerate() {
        let b = &tracking.branches()[k];
        let color = branch_color(pos);
        let points = ts.iter().zip(b.values()).map(|(&t, &z)| (t, (z.re, z.im)));
        let points = with_event_points(tracking, k, points.collect(), |z, t| (t, (z.re, z.im)));
        panel.curves.push(Curve {
            points: points.into_iter().map(|(_, p)| p).collect(),
            color,
            dashed: false,
            width: 3.0,
        });
        for &t in &marks {
            if let Some(z) = interpolate(ts, b.values(), t) {
                panel.markers.push(Marker {
                    at: (z.re, z.im),
                    kind: MarkerKind::TMark,
                    label: Some(format!("{} = {}", options.parameter, fmt_num(t))),
                });
            }
        }
        // Arrows midway between the marks (or at 1/3 and 2/3 of the range without marks).
        let mut anchors: Vec<f64> = marks.windows(2).map(|w| 0.5 * (w[0] + w[1])).collect();
        if anchors.is_empty() {
            anchors = vec![t0 + (t1 - t0) / 3.0, t0 + 2.0 * (t1 - t0) / 3.0];
        }
        let h = (t1 - t0) / (4 * ts.len().max(2)) as f64;
        for t in anchors {
            if let (Some(z), Some(w)) = (
                interpolate(ts, b.values(), t),
                interpolate(ts, b.values(), t + h),
            ) {
                panel.arrows.push(Arrow {
                    color,
                    at: (z.re, z.im),
                    towards: (w.re, w.im),
                });
            }
        }
    }
    event_markers(tracking, options, sel, None, &mut panel);
    panel
}

fn build_figure(tracking: &Tracking, options: &PlotOptions) -> Result<Figure> {
    check_tracking(tracking)?;
    let n = tracking.branches().len();
    options.check(n)?;
    let sel = options.selected(n);
    let p = options.parameter.clone();
    let x_label = options.x_label.clone().unwrap_or_else(|| p.clone());
    let with_x_label = |mut panel: Panel, bottom: bool| {
        if bottom {
            panel.x_label = Some(x_label.clone());
        }
        panel
    };
    let (title, rows, cols, panels, legend) = match options.panels {
        Panels::Eigencurves => {
            let parts = default_parts(options, tracking.is_complex());
            let rows = parts.len();
            let panels: Vec<Panel> = parts
                .iter()
                .enumerate()
                .map(|(i, &part)| {
                    with_x_label(
                        curve_panel(tracking, options, &sel, part, None, false),
                        i + 1 == rows,
                    )
                })
                .collect();
            let legend = legend_for(tracking, options, &sel, &panels, true);
            (format!("eigenvalues along {p}"), rows, 1, panels, legend)
        }
        Panels::SortedVsTracked => {
            let parts = default_parts(options, tracking.is_complex());
            let rows = parts.len();
            let sorted = tracking.sorted();
            let mut panels = Vec::new();
            for (i, &part) in parts.iter().enumerate() {
                let mut left = curve_panel(tracking, options, &sel, part, Some(&sorted), false);
                let mut right = curve_panel(tracking, options, &sel, part, None, false);
                if i == 0 {
                    left.title = Some("sorted solver output (colour = rank)".into());
                    right.title = Some("eigentrack branches (colour = identity)".into());
                }
                panels.push(with_x_label(left, i + 1 == rows));
                panels.push(with_x_label(right, i + 1 == rows));
            }
            let legend = legend_for(tracking, options, &sel, &panels, true);
            (
                "sorted output against tracked branches".to_string(),
                rows,
                2,
                panels,
                legend,
            )
        }
        Panels::ComplexPlane => {
            let panel = complex_plane_panel(tracking, options, &sel);
            let mut legend =
                legend_for(tracking, options, &sel, std::slice::from_ref(&panel), false);
            legend.push(LegendEntry::Arrow {
                label: format!("increasing {p}"),
            });
            if panel.markers.iter().any(|m| m.kind == MarkerKind::TMark) {
                legend.push(LegendEntry::Marker {
                    kind: MarkerKind::TMark,
                    label: format!("round values of {p}"),
                });
            }
            (
                "eigenvalue paths in the complex plane".to_string(),
                1,
                1,
                vec![panel],
                legend,
            )
        }
        Panels::Slopes => {
            let complex = tracking
                .branches()
                .iter()
                .any(|b| b.slopes().iter().any(|s| s.im != 0.0));
            let parts = default_parts(options, complex);
            let rows = parts.len();
            let sorted = options.sorted_slopes.then(|| tracking.sorted());
            let cols = if sorted.is_some() { 2 } else { 1 };
            let mut panels = Vec::new();
            for (i, &part) in parts.iter().enumerate() {
                let bottom = i + 1 == rows;
                if let Some(s) = &sorted {
                    let mut left = curve_panel(tracking, options, &sel, part, Some(s), true);
                    if i == 0 {
                        left.title = Some("sorted order (jumps at crossings)".into());
                    }
                    panels.push(with_x_label(left, bottom));
                }
                let mut right = curve_panel(tracking, options, &sel, part, None, true);
                if i == 0 && sorted.is_some() {
                    right.title = Some("eigentrack branches (continuous)".into());
                }
                panels.push(with_x_label(right, bottom));
            }
            let legend = legend_for(tracking, options, &sel, &panels, false);
            (
                format!("slopes dλ/d{p} along the branches"),
                rows,
                cols,
                panels,
                legend,
            )
        }
    };
    Ok(Figure {
        title: options.title_or(title),
        size: options.size,
        rows,
        cols,
        panels,
        legend,
        colorbar: None,
    })
}

/// Viridis, sampled at nine points and interpolated linearly; `x` in [0, 1].
fn viridis(x: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let x = if x.is_finite() {
        x.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let f = x * (STOPS.len() - 1) as f64;
    let i = (f.floor() as usize).min(STOPS.len() - 2);
    let w = f - i as f64;
    let mix = |a: u8, b: u8| (a as f64 * (1.0 - w) + b as f64 * w).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn build_sweep(runs: &[(f64, Tracking)], options: &PlotOptions) -> Result<Figure> {
    if runs.is_empty() {
        return Err(Error::InvalidArgument {
            name: "runs",
            reason: "no (parameter, tracking) pair to draw".into(),
        });
    }
    let mut n_max = 0;
    for (i, (p, tr)) in runs.iter().enumerate() {
        if !p.is_finite() {
            return Err(Error::InvalidArgument {
                name: "runs",
                reason: format!("parameter value {p} of run {i} is not finite"),
            });
        }
        check_tracking(tr)?;
        n_max = n_max.max(tr.branches().len());
    }
    options.check(n_max)?;
    let sel = options.selected(n_max);
    let part = options.parts.as_ref().map_or(Part::Re, |p| p[0]);
    let (pmin, pmax) = runs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (p, _)| {
            (a.min(*p), b.max(*p))
        });
    let scale = |p: f64| {
        if pmax > pmin {
            (p - pmin) / (pmax - pmin)
        } else {
            0.5
        }
    };
    let mut panel = Panel::new(
        options
            .y_label
            .clone()
            .unwrap_or_else(|| part_label(part, "λ")),
    );
    panel.x_label = Some(
        options
            .x_label
            .clone()
            .unwrap_or_else(|| options.parameter.clone()),
    );
    let (mut t0, mut t1) = (f64::INFINITY, f64::NEG_INFINITY);
    for (p, tr) in runs {
        let (a, b) = t_range(tr);
        t0 = t0.min(a);
        t1 = t1.max(b);
        let color = viridis(scale(*p));
        for &k in sel.iter().filter(|&&k| k < tr.branches().len()) {
            panel.curves.push(Curve {
                points: tr
                    .samples()
                    .iter()
                    .zip(tr.branches()[k].values())
                    .map(|(&t, &z)| (t, part.of(z)))
                    .collect(),
                color,
                dashed: false,
                width: 2.0,
            });
        }
    }
    panel.x_range = Some((t0, t1));
    let mut curves = guide_curves(options);
    curves.append(&mut panel.curves);
    panel.curves = curves;
    let legend = options
        .guides
        .iter()
        .map(|g| LegendEntry::Line {
            color: GUIDE_COLOR,
            label: g.label.clone(),
            dashed: true,
        })
        .collect();
    Ok(Figure {
        title: options.title_or(format!("eigencurves over {}", options.sweep_label)),
        size: options.size,
        rows: 1,
        cols: 1,
        panels: vec![panel],
        legend,
        colorbar: Some(ColorBar {
            title: options.sweep_label.clone(),
            min: pmin,
            max: pmax,
        }),
    })
}

// ---------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------

/// Register the embedded DejaVu Sans (regular and bold) once per process.
fn register_fonts() -> std::result::Result<(), String> {
    static REGISTERED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            let fail = |_| "the embedded DejaVu Sans font could not be loaded".to_string();
            plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
                .map_err(fail)?;
            plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold())
                .map_err(fail)
        })
        .clone()
}

fn render(path: &Path, figure: &Figure) -> Result<()> {
    let output = |reason: String| Error::Output {
        path: path.display().to_string(),
        reason,
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    if !matches!(ext.as_deref(), Some("png") | Some("svg")) {
        return Err(output(match ext {
            Some(e) => format!("unknown extension .{e}: use .png or .svg"),
            None => "no file extension: use .png or .svg".into(),
        }));
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.is_dir() {
            return Err(output(format!(
                "the folder {} does not exist",
                parent.display()
            )));
        }
    }
    if path.is_dir() {
        return Err(output("it is a folder".into()));
    }
    register_fonts().map_err(output)?;
    if ext.as_deref() == Some("png") {
        let root = text::Bitmap(BitMapBackend::new(path, figure.size)).into_drawing_area();
        draw_figure(&root, figure).map_err(|e| output(e.to_string()))?;
        root.present().map_err(|e| output(e.to_string()))
    } else {
        let root = SVGBackend::new(path, figure.size).into_drawing_area();
        draw_figure(&root, figure).map_err(|e| output(e.to_string()))?;
        root.present().map_err(|e| output(e.to_string()))
    }
}

/// Pixel sizes of the figure's text and strokes, scaled with the figure.
#[derive(Debug, Clone, Copy)]
struct Metrics {
    s: f64,
}

impl Metrics {
    fn new(size: (u32, u32)) -> Self {
        let s = (size.0 as f64 / 1200.0)
            .min(size.1 as f64 / 700.0)
            .clamp(0.6, 4.0);
        Metrics { s }
    }
    fn px(&self, x: f64) -> i32 {
        (x * self.s).round().max(1.0) as i32
    }
    /// An even stroke width (odd widths leave one-pixel steps at the ends of bitmap lines).
    fn stroke(&self, x: f64) -> u32 {
        2 * (x * self.s / 2.0).round().max(1.0) as u32
    }
    fn font(&self, x: f64) -> f64 {
        (x * self.s).max(9.0)
    }
}

fn draw_figure<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, figure: &Figure) -> DResult<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let m = Metrics::new(figure.size);
    let (w, _) = root.dim_in_pixel();
    let mut area = root.clone();
    if let Some(title) = &figure.title {
        let height = m.px(44.0) as u32;
        let (top, rest) = area.split_vertically(height);
        let style = TextStyle::from((FONT, m.font(24.0), FontStyle::Bold).into_font())
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Center));
        top.draw_text(
            title,
            &style,
            ((w / 2) as i32, (height / 2) as i32 + m.px(4.0)),
        )?;
        area = rest;
    }
    let legend_w = legend_width(figure, m, w);
    let (main, legend) = area.split_horizontally(w.saturating_sub(legend_w));
    let cells = main.split_evenly((figure.rows, figure.cols));
    for (cell, panel) in cells.iter().zip(&figure.panels) {
        draw_panel(root, cell, panel, m)?;
    }
    draw_legend(&legend, figure, m)?;
    Ok(())
}

/// Rough width of `text` in pixels at font size `font`.
fn text_width(text: &str, font: f64) -> i32 {
    (text.chars().count() as f64 * font * 0.58).ceil() as i32
}

fn legend_width(figure: &Figure, m: Metrics, w: u32) -> u32 {
    let font = m.font(16.0);
    let widest = figure
        .legend
        .iter()
        .map(|e| match e {
            LegendEntry::Line { label, .. }
            | LegendEntry::Marker { label, .. }
            | LegendEntry::Arrow { label } => text_width(label, font),
        })
        .max()
        .unwrap_or(0);
    let colorbar = if figure.colorbar.is_some() {
        m.px(130.0)
    } else {
        0
    };
    let want = (widest + m.px(70.0)).max(colorbar).max(m.px(120.0));
    (want as u32).min(w * 2 / 5)
}

/// Clip the polyline to the rectangle, split at non-finite points: the visible pieces.
fn clip_polyline(points: &[(f64, f64)], xr: (f64, f64), yr: (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let clipped = if finite(&a) && finite(&b) {
            clip_segment(a, b, xr, yr)
        } else {
            None
        };
        match clipped {
            Some((p, q)) => {
                if current.last() != Some(&p) {
                    if !current.is_empty() {
                        pieces.push(std::mem::take(&mut current));
                    }
                    current.push(p);
                }
                current.push(q);
            }
            None => {
                if !current.is_empty() {
                    pieces.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    if points.len() == 1 && finite(&points[0]) {
        let p = points[0];
        if (xr.0..=xr.1).contains(&p.0) && (yr.0..=yr.1).contains(&p.1) {
            pieces.push(vec![p]);
        }
    }
    pieces
}

/// Liang–Barsky clipping of the segment a→b to the rectangle.
fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    xr: (f64, f64),
    yr: (f64, f64),
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut u0, mut u1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - xr.0),
        (dx, xr.1 - a.0),
        (-dy, a.1 - yr.0),
        (dy, yr.1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                u0 = u0.max(r);
            } else {
                u1 = u1.min(r);
            }
        }
    }
    if u0 > u1 {
        return None;
    }
    let at = |u: f64| {
        if u == 0.0 {
            a
        } else if u == 1.0 {
            b
        } else {
            (a.0 + u * dx, a.1 + u * dy)
        }
    };
    Some((at(u0), at(u1)))
}

/// The range of the finite values with a margin; `robust` clips far outliers (the 2 % and
/// 98 % quantiles widened by half their spread, when the full range is over five times
/// wider).
fn data_range(values: &mut Vec<f64>, robust: bool) -> (f64, f64) {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return (-1.0, 1.0);
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let (mut lo, mut hi) = (values[0], values[values.len() - 1]);
    if robust && values.len() >= 10 {
        let q = |f: f64| values[((values.len() - 1) as f64 * f).round() as usize];
        let (qlo, qhi) = (q(0.02), q(0.98));
        let spread = qhi - qlo;
        if spread > 0.0 && hi - lo > 5.0 * spread {
            lo = lo.max(qlo - 0.5 * spread);
            hi = hi.min(qhi + 0.5 * spread);
        }
    }
    let span = hi - lo;
    let scale = lo.abs().max(hi.abs());
    if span <= 1e-9 * scale.max(1e-300) {
        let pad = if scale > 0.0 { 0.1 * scale } else { 1.0 };
        return (lo - pad, hi + pad);
    }
    (lo - 0.06 * span, hi + 0.06 * span)
}

fn panel_ranges(panel: &Panel) -> ((f64, f64), (f64, f64)) {
    let data = panel.curves.iter().filter(|c| !c.dashed);
    let mut ys: Vec<f64> = data
        .clone()
        .flat_map(|c| c.points.iter().map(|p| p.1))
        .collect();
    ys.extend(panel.markers.iter().map(|m| m.at.1));
    ys.extend(panel.levels.iter().copied());
    let yr = data_range(&mut ys, panel.robust_y);
    let xr = match panel.x_range {
        Some((a, b)) if b > a => (a, b),
        Some((a, _)) => (a - 1.0, a + 1.0),
        None => {
            let mut xs: Vec<f64> = data.flat_map(|c| c.points.iter().map(|p| p.0)).collect();
            xs.extend(panel.markers.iter().map(|m| m.at.0));
            data_range(&mut xs, false)
        }
    };
    // The complex plane: keep a flat path visible by giving both axes a comparable span.
    if panel.x_range.is_none() {
        let (wx, wy) = (xr.1 - xr.0, yr.1 - yr.0);
        let grow = |r: (f64, f64), w: f64| {
            let c = 0.5 * (r.0 + r.1);
            (c - 0.5 * w, c + 0.5 * w)
        };
        if wx < 0.15 * wy {
            return (grow(xr, 0.15 * wy), yr);
        }
        if wy < 0.15 * wx {
            return (xr, grow(yr, 0.15 * wx));
        }
    }
    (xr, yr)
}

/// Axis tick labels: short, without floating-point noise (a tick within 10⁻⁹ of the axis
/// span from zero is 0).
fn tick_label(v: f64, span: f64) -> String {
    let v = if v.abs() <= 1e-9 * span { 0.0 } else { v };
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// What label placement must avoid, in pixels: boxes of markers and labels, and the cells
/// of a coarse grid that curves pass through.
struct Occupied {
    boxes: Vec<(i32, i32, i32, i32)>,
    bounds: (i32, i32, i32, i32),
    cells: std::collections::HashSet<(i32, i32)>,
}

/// Side of a cell of the curve grid, pixels.
const CELL: i32 = 3;

impl Occupied {
    fn new(bounds: (i32, i32, i32, i32)) -> Self {
        Occupied {
            boxes: Vec::new(),
            bounds,
            cells: Default::default(),
        }
    }
    /// Mark the cells along the pixel segment a→b.
    fn add_segment(&mut self, a: (i32, i32), b: (i32, i32)) {
        let (dx, dy) = ((b.0 - a.0) as f64, (b.1 - a.1) as f64);
        let n = (dx.abs().max(dy.abs()) / CELL as f64).ceil().max(1.0) as i32;
        for i in 0..=n {
            let f = i as f64 / n as f64;
            let (x, y) = (a.0 as f64 + f * dx, a.1 as f64 + f * dy);
            self.cells
                .insert(((x as i32).div_euclid(CELL), (y as i32).div_euclid(CELL)));
        }
    }
    /// Whether every cell along the pixel segment a→b is already marked.
    fn covers_segment(&self, a: (i32, i32), b: (i32, i32)) -> bool {
        let (dx, dy) = ((b.0 - a.0) as f64, (b.1 - a.1) as f64);
        let n = (dx.abs().max(dy.abs()) / CELL as f64).ceil().max(1.0) as i32;
        (0..=n).all(|i| {
            let f = i as f64 / n as f64;
            let (x, y) = (a.0 as f64 + f * dx, a.1 as f64 + f * dy);
            self.cells
                .contains(&((x as i32).div_euclid(CELL), (y as i32).div_euclid(CELL)))
        })
    }
    fn inside(&self, b: (i32, i32, i32, i32)) -> bool {
        let (x0, y0, x1, y1) = self.bounds;
        b.0 >= x0 && b.1 >= y0 && b.2 <= x1 && b.3 <= y1
    }
    fn clear_of_boxes(&self, b: (i32, i32, i32, i32)) -> bool {
        self.boxes
            .iter()
            .all(|o| b.2 <= o.0 || b.0 >= o.2 || b.3 <= o.1 || b.1 >= o.3)
    }
    fn clear_of_curves(&self, b: (i32, i32, i32, i32)) -> bool {
        let (cx0, cy0) = (b.0.div_euclid(CELL), b.1.div_euclid(CELL));
        let (cx1, cy1) = (b.2.div_euclid(CELL), b.3.div_euclid(CELL));
        (cx0..=cx1).all(|cx| (cy0..=cy1).all(|cy| !self.cells.contains(&(cx, cy))))
    }
    /// The first candidate box clear of everything, else the first clear of markers and
    /// labels (over a curve, on a light background), else none.
    fn place(&self, candidates: &[(i32, i32, i32, i32)]) -> Option<(i32, i32, i32, i32)> {
        let ok = |b: &&(i32, i32, i32, i32)| self.inside(**b) && self.clear_of_boxes(**b);
        candidates
            .iter()
            .filter(ok)
            .find(|b| self.clear_of_curves(**b))
            .or_else(|| candidates.iter().find(ok))
            .copied()
    }
}

fn draw_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    cell: &DrawingArea<DB, Shift>,
    panel: &Panel,
    m: Metrics,
) -> DResult<()>
where
    DB::ErrorType: 'static,
{
    let (xr, yr) = panel_ranges(panel);
    let mut builder = ChartBuilder::on(cell);
    builder
        .margin(m.px(12.0))
        .margin_right(m.px(20.0))
        .x_label_area_size(m.px(if panel.x_label.is_some() { 52.0 } else { 30.0 }))
        .y_label_area_size(m.px(78.0));
    if let Some(title) = &panel.title {
        builder.caption(title, (FONT, m.font(19.0)));
    }
    let mut chart = builder.build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)?;
    let x_ticks = |v: &f64| tick_label(*v, xr.1 - xr.0);
    let y_ticks = |v: &f64| tick_label(*v, yr.1 - yr.0);
    let mut mesh = chart.configure_mesh();
    mesh.label_style((FONT, m.font(15.0)))
        .axis_desc_style((FONT, m.font(18.0)))
        .bold_line_style(RGBColor(222, 222, 222))
        .light_line_style(RGBColor(244, 244, 244))
        .x_labels(10)
        .y_labels(10)
        .x_label_formatter(&x_ticks)
        .y_label_formatter(&y_ticks)
        .y_desc(panel.y_label.as_str());
    if let Some(x) = &panel.x_label {
        mesh.x_desc(x.as_str());
    }
    mesh.draw()?;

    // Zero lines.
    let inside = |r: (f64, f64)| r.0 < 0.0 && 0.0 < r.1;
    if inside(yr) {
        chart.draw_series(LineSeries::new(
            [(xr.0, 0.0), (xr.1, 0.0)],
            ZERO_COLOR.stroke_width(1),
        ))?;
    }
    if panel.x_range.is_none() && inside(xr) {
        chart.draw_series(LineSeries::new(
            [(0.0, yr.0), (0.0, yr.1)],
            ZERO_COLOR.stroke_width(1),
        ))?;
    }
    for &level in &panel.levels {
        if yr.0 <= level && level <= yr.1 {
            chart.draw_series(DashedLineSeries::new(
                [(xr.0, level), (xr.1, level)],
                m.px(8.0),
                m.px(5.0),
                LEVEL_COLOR.stroke_width(m.stroke(1.5)),
            ))?;
        }
    }
    for &t in &panel.verticals {
        if xr.0 <= t && t <= xr.1 {
            chart.draw_series(DashedLineSeries::new(
                [(t, yr.0), (t, yr.1)],
                m.px(6.0),
                m.px(5.0),
                LEVEL_COLOR.stroke_width(1),
            ))?;
        }
    }
    // Curves; where a curve runs on top of an earlier one (a conjugate pair's real parts,
    // a degenerate pair), it is drawn dashed so that both colours show.
    let (px, py) = chart.plotting_area().get_pixel_range();
    let mut occupied = Occupied::new((px.start, py.start, px.end, py.end));
    let mut solid = Occupied::new((px.start, py.start, px.end, py.end));
    for curve in &panel.curves {
        let style = curve.color.stroke_width(m.stroke(curve.width));
        let mut drawn = Vec::new();
        for piece in clip_polyline(&curve.points, xr, yr) {
            let pixels: Vec<(i32, i32)> = piece.iter().map(|p| chart.backend_coord(p)).collect();
            drawn.push(pixels.clone());
            if curve.dashed {
                chart.draw_series(DashedLineSeries::new(piece, m.px(10.0), m.px(6.0), style))?;
                continue;
            }
            if piece.len() == 1 {
                chart.draw_series(std::iter::once(Circle::new(
                    piece[0],
                    m.px(2.0),
                    curve.color.filled(),
                )))?;
                continue;
            }
            // Runs of segments, each either on top of an earlier curve or not.
            let shared: Vec<bool> = pixels
                .windows(2)
                .map(|w| solid.covers_segment(w[0], w[1]))
                .collect();
            let mut start = 0;
            while start < shared.len() {
                let mut end = start;
                while end + 1 < shared.len() && shared[end + 1] == shared[start] {
                    end += 1;
                }
                let run = piece[start..=end + 1].to_vec();
                if shared[start] {
                    chart.draw_series(DashedLineSeries::new(run, m.px(9.0), m.px(9.0), style))?;
                } else {
                    chart.draw_series(LineSeries::new(run, style))?;
                }
                start = end + 1;
            }
        }
        for pixels in drawn {
            for w in pixels.windows(2) {
                occupied.add_segment(w[0], w[1]);
                if !curve.dashed {
                    solid.add_segment(w[0], w[1]);
                }
            }
        }
    }
    // Arrows, in pixels along the direction of the path on the screen.
    let r = m.px(7.0) as f64;
    for &Arrow {
        color,
        at: a,
        towards: b,
    } in &panel.arrows
    {
        let in_range = |p: (f64, f64)| (xr.0..=xr.1).contains(&p.0) && (yr.0..=yr.1).contains(&p.1);
        if !in_range(a) {
            continue;
        }
        let (pa, pb) = (chart.backend_coord(&a), chart.backend_coord(&b));
        let (dx, dy) = ((pb.0 - pa.0) as f64, (pb.1 - pa.1) as f64);
        let norm = dx.hypot(dy);
        let (ux, uy) = if norm >= 1.0 {
            (dx / norm, dy / norm)
        } else {
            // The points are closer than a pixel: use the data direction.
            let (ddx, ddy) = (b.0 - a.0, -(b.1 - a.1));
            let n = ddx.hypot(ddy);
            if n == 0.0 || !n.is_finite() {
                continue;
            }
            (ddx / n, ddy / n)
        };
        let tip = (pa.0 as f64 + ux * r, pa.1 as f64 + uy * r);
        let back = (pa.0 as f64 - ux * r, pa.1 as f64 - uy * r);
        let (nx, ny) = (-uy * 0.7 * r, ux * 0.7 * r);
        let tri = vec![
            (tip.0.round() as i32, tip.1.round() as i32),
            ((back.0 + nx).round() as i32, (back.1 + ny).round() as i32),
            ((back.0 - nx).round() as i32, (back.1 - ny).round() as i32),
        ];
        root.draw(&Polygon::new(tri, color.filled()))?;
    }
    // Markers (events first, then t marks; a marker on top of another one of the same
    // kind, or a t mark on top of any marker, is left out), then their labels where they
    // do not overlap.
    let mut placed: Vec<((i32, i32), &Marker)> = Vec::new();
    let ordered = panel
        .markers
        .iter()
        .filter(|mk| mk.kind != MarkerKind::TMark)
        .chain(
            panel
                .markers
                .iter()
                .filter(|mk| mk.kind == MarkerKind::TMark),
        );
    for marker in ordered {
        let (x, y) = marker.at;
        if !((xr.0..=xr.1).contains(&x) && (yr.0..=yr.1).contains(&y)) {
            continue;
        }
        let c = chart.backend_coord(&(x, y));
        let near = |(q, other): &((i32, i32), &Marker), d: i32| {
            (q.0 - c.0).abs() <= d
                && (q.1 - c.1).abs() <= d
                && (other.kind == marker.kind || marker.kind == MarkerKind::TMark)
        };
        if placed.iter().any(|p| near(p, m.px(4.0))) {
            continue;
        }
        draw_marker(root, c, marker.kind, m)?;
        let r = m.px(7.0);
        occupied.boxes.push((c.0 - r, c.1 - r, c.0 + r, c.1 + r));
        placed.push((c, marker));
    }
    let style = TextStyle::from((FONT, m.font(14.0)).into_font()).color(&RGBColor(30, 30, 30));
    for (c, marker) in placed {
        let Some(label) = &marker.label else {
            continue;
        };
        let (tw, th) = root.estimate_text_size(label, &style)?;
        let (tw, th) = (tw as i32 + 2, th as i32 + 2);
        let candidates: Vec<(i32, i32, i32, i32)> = [1, 2]
            .iter()
            .flat_map(|&k| {
                let g = k * m.px(8.0);
                [
                    (c.0 + g, c.1 - g - th),
                    (c.0 + g, c.1 + g),
                    (c.0 - g - tw, c.1 - g - th),
                    (c.0 - g - tw, c.1 + g),
                    (c.0 - tw / 2, c.1 - g - th - m.px(4.0)),
                    (c.0 - tw / 2, c.1 + g + m.px(4.0)),
                    (c.0 + g + m.px(4.0), c.1 - th / 2),
                    (c.0 - g - m.px(4.0) - tw, c.1 - th / 2),
                ]
            })
            .map(|(x, y)| (x, y, x + tw, y + th))
            .collect();
        if let Some(b) = occupied.place(&candidates) {
            occupied.boxes.push(b);
            if !occupied.clear_of_curves(b) {
                root.draw(&Rectangle::new(
                    [(b.0 - 1, b.1), (b.2 + 1, b.3)],
                    WHITE.mix(0.75).filled(),
                ))?;
            }
            root.draw_text(label, &style, (b.0 + 1, b.1 + 1))?;
        }
    }
    Ok(())
}

/// Draw a marker centred at pixel `c` of `area`.
fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: (i32, i32),
    kind: MarkerKind,
    m: Metrics,
) -> DResult<()>
where
    DB::ErrorType: 'static,
{
    let r = m.px(7.0);
    let line = BLACK.stroke_width(m.stroke(2.0));
    let closed = |pts: &[(i32, i32)]| {
        let mut v: Vec<(i32, i32)> = pts.iter().map(|p| (c.0 + p.0, c.1 + p.1)).collect();
        v.push(v[0]);
        v
    };
    match kind {
        MarkerKind::Crossing => {
            area.draw(&Circle::new(c, r, WHITE.filled()))?;
            area.draw(&Circle::new(c, r, line))?;
        }
        MarkerKind::Avoided => {
            let r = r + m.px(1.0);
            let pts = closed(&[(0, -r), (r, 0), (0, r), (-r, 0)]);
            area.draw(&Polygon::new(pts.clone(), WHITE.filled()))?;
            area.draw(&PathElement::new(pts, line))?;
        }
        MarkerKind::Exceptional => {
            area.draw(&Cross::new(c, r, BLACK.stroke_width(m.stroke(3.0))))?;
        }
        MarkerKind::Level => {
            let h = r * 6 / 10;
            let pts = closed(&[(-r, -h), (r, -h), (0, r + h / 2)]);
            area.draw(&Polygon::new(pts.clone(), WHITE.filled()))?;
            area.draw(&PathElement::new(pts, line))?;
        }
        MarkerKind::Unresolved => {
            let style = TextStyle::from((FONT, m.font(24.0), FontStyle::Bold).into_font())
                .color(&UNRESOLVED_COLOR)
                .pos(Pos::new(HPos::Center, VPos::Center));
            area.draw_text("!", &style, c)?;
        }
        MarkerKind::Point => {
            area.draw(&Circle::new(c, m.px(5.0), BLACK.filled()))?;
        }
        MarkerKind::TMark => {
            area.draw(&Circle::new(c, m.px(4.0), WHITE.filled()))?;
            area.draw(&Circle::new(
                c,
                m.px(4.0),
                BLACK.stroke_width(m.stroke(2.0)),
            ))?;
        }
    }
    Ok(())
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    figure: &Figure,
    m: Metrics,
) -> DResult<()>
where
    DB::ErrorType: 'static,
{
    let (_, h) = area.dim_in_pixel();
    let font = m.font(16.0);
    let style = TextStyle::from((FONT, font).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let row = m.px(26.0);
    let x0 = m.px(8.0);
    let sample = m.px(34.0);
    let mut y = m.px(40.0);
    let bottom = h as i32 - row;
    let total = figure.legend.len();
    for (i, entry) in figure.legend.iter().enumerate() {
        if y > bottom - row && i + 1 < total {
            let more = format!("… {} more", total - i);
            area.draw_text(&more, &style, (x0, y))?;
            break;
        }
        match entry {
            LegendEntry::Line {
                color,
                label,
                dashed,
            } => {
                let seg = [(x0, y), (x0 + sample, y)];
                if *dashed {
                    area.draw(&DashedPathElement::new(
                        seg,
                        m.px(7.0),
                        m.px(4.0),
                        color.stroke_width(m.stroke(2.0)),
                    ))?;
                } else {
                    area.draw(&PathElement::new(seg, color.stroke_width(m.stroke(4.0))))?;
                }
                area.draw_text(label, &style, (x0 + sample + m.px(8.0), y))?;
            }
            LegendEntry::Marker { kind, label } => {
                draw_marker(area, (x0 + sample / 2, y), *kind, m)?;
                area.draw_text(label, &style, (x0 + sample + m.px(8.0), y))?;
            }
            LegendEntry::Arrow { label } => {
                let r = m.px(7.0);
                let c = (x0 + sample / 2, y);
                area.draw(&Polygon::new(
                    vec![
                        (c.0 + r, c.1),
                        (c.0 - r, c.1 - r * 7 / 10),
                        (c.0 - r, c.1 + r * 7 / 10),
                    ],
                    BLACK.filled(),
                ))?;
                area.draw_text(label, &style, (x0 + sample + m.px(8.0), y))?;
            }
        }
        y += row;
    }
    if let Some(bar) = &figure.colorbar {
        let top = y + m.px(10.0);
        let title_style = TextStyle::from((FONT, m.font(18.0)).into_font())
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        area.draw_text(&bar.title, &title_style, (x0, top))?;
        let (y0, y1) = (
            top + m.px(22.0),
            (h as i32 - m.px(60.0)).max(top + m.px(60.0)),
        );
        let bw = m.px(24.0);
        for py in y0..=y1 {
            // Top = max, bottom = min.
            let f = (y1 - py) as f64 / (y1 - y0).max(1) as f64;
            area.draw(&PathElement::new(
                [(x0, py), (x0 + bw, py)],
                viridis(f).stroke_width(1),
            ))?;
        }
        area.draw(&Rectangle::new(
            [(x0, y0), (x0 + bw, y1)],
            BLACK.stroke_width(1),
        ))?;
        let ticks = if bar.max > bar.min {
            let mut t = nice_marks(bar.min, bar.max, 5);
            for end in [bar.min, bar.max] {
                if !t
                    .iter()
                    .any(|v| (v - end).abs() < 1e-9 * (bar.max - bar.min))
                {
                    t.push(end);
                }
            }
            t
        } else {
            vec![bar.min]
        };
        let tick_style = TextStyle::from((FONT, m.font(14.0)).into_font())
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        let mut last_y: Option<i32> = None;
        let mut ticks = ticks;
        ticks.sort_by(|a, b| b.total_cmp(a));
        for v in ticks {
            let f = if bar.max > bar.min {
                (v - bar.min) / (bar.max - bar.min)
            } else {
                0.5
            };
            let py = y1 - (f * (y1 - y0) as f64).round() as i32;
            if last_y.is_some_and(|l| (py - l).abs() < m.px(18.0)) {
                continue;
            }
            last_y = Some(py);
            area.draw(&PathElement::new(
                [(x0 + bw, py), (x0 + bw + m.px(5.0), py)],
                BLACK.stroke_width(1),
            ))?;
            area.draw_text(&fmt_num(v), &tick_style, (x0 + bw + m.px(8.0), py))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::{Branch, Stats};

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
    fn x_crossing() -> Tracking {
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
    fn pt_dimer() -> Tracking {
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

    #[test]
    fn every_panel_renders_to_png_and_svg() {
        let dir = std::env::temp_dir().join(format!("eigentrack-plot-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, tr) in [("x", x_crossing()), ("pt", pt_dimer())] {
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

    #[test]
    fn sorted_panel_swaps_colours_and_tracked_keeps_them() {
        let tr = x_crossing();
        let fig = build_figure(&tr, &PlotOptions::new().panels(Panels::SortedVsTracked)).unwrap();
        assert_eq!((fig.rows, fig.cols, fig.panels.len()), (1, 2, 2));
        let (sorted, tracked) = (&fig.panels[0], &fig.panels[1]);
        // The curve drawn in branch 0's colour: in the sorted panel it is min(t, −t) (it
        // bends at the crossing); in the tracked panel it is λ = t.
        let c0 = |p: &Panel| {
            p.curves
                .iter()
                .find(|c| c.color == branch_color(0) && !c.dashed)
                .unwrap()
                .points
                .clone()
        };
        for &(t, y) in &c0(sorted) {
            assert!((y - t.min(-t)).abs() < 1e-12);
        }
        for &(t, y) in &c0(tracked) {
            assert!((y - t).abs() < 1e-12);
        }
        // The crossing is marked on the tracked panel only, at (0, 0).
        assert!(sorted.markers.is_empty());
        assert_eq!(tracked.markers.len(), 1);
        assert_eq!(tracked.markers[0].kind, MarkerKind::Crossing);
        assert_eq!(tracked.markers[0].at, (0.0, 0.0));
    }

    #[test]
    fn parts_follow_complexity_and_options() {
        let tr = x_crossing();
        let fig = build_figure(&tr, &PlotOptions::new()).unwrap();
        assert_eq!(fig.panels.len(), 1);
        assert_eq!(fig.panels[0].y_label, "Re λ");
        let fig = build_figure(&tr, &PlotOptions::new().parts([Part::Re, Part::Abs])).unwrap();
        assert_eq!(fig.panels.len(), 2);
        assert_eq!(fig.panels[1].y_label, "|λ|");
        assert!(fig.panels[0].x_label.is_none() && fig.panels[1].x_label.is_some());
    }

    #[test]
    fn options_are_validated() {
        let tr = x_crossing();
        for (opt, name) in [
            (PlotOptions::new().size(10, 500), "PlotOptions::size"),
            (PlotOptions::new().branches([2]), "PlotOptions::branches"),
            (PlotOptions::new().branches([]), "PlotOptions::branches"),
            (PlotOptions::new().labels(["a"]), "PlotOptions::labels"),
            (PlotOptions::new().parts([]), "PlotOptions::parts"),
        ] {
            match build_figure(&tr, &opt) {
                Err(Error::InvalidArgument { name: n, .. }) => assert_eq!(n, name),
                other => panic!("expected InvalidArgument for {name}, got {other:?}"),
            }
        }
    }

    #[test]
    fn clipping_keeps_the_visible_part() {
        let pieces = clip_polyline(
            &[
                (-2.0, 0.0),
                (2.0, 0.0),
                (2.0, f64::NAN),
                (0.0, 0.5),
                (0.5, 0.5),
            ],
            (-1.0, 1.0),
            (-1.0, 1.0),
        );
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0], vec![(-1.0, 0.0), (1.0, 0.0)]);
        assert_eq!(pieces[1], vec![(0.0, 0.5), (0.5, 0.5)]);
        assert!(clip_segment((2.0, 2.0), (3.0, 3.0), (-1.0, 1.0), (-1.0, 1.0)).is_none());
    }

    #[test]
    fn robust_range_drops_outliers() {
        let mut v: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
        v.push(1e6);
        let (lo, hi) = data_range(&mut v, true);
        assert!(lo < 0.0 && hi < 2.0, "{lo} {hi}");
        let mut v: Vec<f64> = vec![3.0, 3.0];
        let (lo, hi) = data_range(&mut v, false);
        assert!((lo - 2.7).abs() < 1e-12 && (hi - 3.3).abs() < 1e-12);
    }

    #[test]
    fn nice_marks_are_round() {
        assert_eq!(nice_marks(0.0, 2.0, 5), vec![0.0, 0.5, 1.0, 1.5, 2.0]);
        assert_eq!(
            nice_marks(-1.0, 1.5, 5),
            vec![-1.0, -0.5, 0.0, 0.5, 1.0, 1.5]
        );
        assert!(nice_marks(1.0, 1.0, 5).is_empty());
        assert_eq!(fmt_num(1.2000000000000002), "1.2");
        assert_eq!(fmt_num(-0.0001), "-1.00e-4");
        assert_eq!(fmt_num(2500.0), "2500");
    }

    #[test]
    fn interpolation_and_viridis() {
        let ts = [0.0, 1.0, 2.0];
        let v = [
            Complex64::new(0.0, 0.0),
            Complex64::new(2.0, 1.0),
            Complex64::new(4.0, 0.0),
        ];
        assert_eq!(interpolate(&ts, &v, 0.5), Some(Complex64::new(1.0, 0.5)));
        assert_eq!(interpolate(&ts, &v, 3.0), None);
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
    }
}

//! The scene: a figure as plain data (panels of curves, event markers, levels, arrows, a
//! legend and an optional colour bar), built from a [`Tracking`] and the [`PlotOptions`].
//! Here are the decisions of what a figure shows: which panels, which branch gets which
//! colour, where the events sit and what their labels say. Nothing here draws; the render
//! layer turns a [`Figure`] into pixels.

use super::options::{Panels, PlotOptions};
use crate::{Complex64, Error, Event, Part, Result, Tracking};

/// A colour, red, green and blue (the render layer maps it to plotters' colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Rgb(pub(super) u8, pub(super) u8, pub(super) u8);

/// The ten "tab10" colours of matplotlib, grey last (guides and levels are grey).
const PALETTE: [Rgb; 10] = [
    Rgb(31, 119, 180),
    Rgb(255, 127, 14),
    Rgb(44, 160, 44),
    Rgb(214, 39, 40),
    Rgb(148, 103, 189),
    Rgb(140, 86, 75),
    Rgb(227, 119, 194),
    Rgb(188, 189, 34),
    Rgb(23, 190, 207),
    Rgb(127, 127, 127),
];

/// The colour of the k-th drawn branch (or rank): the palette, cycled.
pub(super) fn branch_color(k: usize) -> Rgb {
    PALETTE[k % PALETTE.len()]
}

pub(super) const GUIDE_COLOR: Rgb = Rgb(90, 90, 90);

/// Above this many drawn branches a figure is dense (a level diagram): thin curves coloured
/// on a scale by branch index with a colour bar instead of a legend of branches, small
/// event markers without labels, no t marks.
pub(super) const MANY_BRANCHES: usize = 12;

/// How the drawn branches look: the palette and thick curves for a few, a colour scale and
/// thin curves for many.
#[derive(Debug, Clone, Copy)]
pub(super) struct BranchStyle {
    pub(super) dense: bool,
    /// How many branches are drawn (more than the palette's ten: a colour scale by
    /// position, so that no two share a colour).
    count: usize,
    /// The smallest and largest drawn branch index (the ends of the colour scale).
    range: (usize, usize),
    /// Stroke width of a branch, pixels at the reference size 1200 × 700.
    pub(super) width: f64,
}

impl BranchStyle {
    pub(super) fn new(sel: &[usize]) -> Self {
        let n = sel.len();
        let dense = n > MANY_BRANCHES;
        let range = (
            sel.iter().copied().min().unwrap_or(0),
            sel.iter().copied().max().unwrap_or(0),
        );
        // Thinner as the branches get more: 3 px up to 12 branches, 1 px from 36 on.
        let width = if dense {
            (3.0 * MANY_BRANCHES as f64 / n as f64).max(1.0)
        } else {
            3.0
        };
        BranchStyle {
            dense,
            count: n,
            range,
            width,
        }
    }
    /// The colour of branch (or rank) `k`, drawn at position `pos` of the selection.
    pub(super) fn color(&self, pos: usize, k: usize) -> Rgb {
        if !self.dense && self.count <= PALETTE.len() {
            return branch_color(pos);
        }
        if !self.dense {
            // 11 or 12 branches: the palette would repeat (branches 0 and 10 both blue)
            return ColorMap::Turbo.at(pos as f64 / (self.count - 1).max(1) as f64);
        }
        let (lo, hi) = self.range;
        ColorMap::Turbo.at((k - lo) as f64 / (hi - lo).max(1) as f64)
    }
    /// The colour bar that replaces the legend of branches in a dense figure.
    pub(super) fn colorbar(&self) -> Option<ColorBar> {
        self.dense.then(|| ColorBar {
            title: "branch".into(),
            min: self.range.0 as f64,
            max: self.range.1 as f64,
            map: ColorMap::Turbo,
            integer: true,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MarkerKind {
    Crossing,
    Avoided,
    Exceptional,
    Level,
    Unresolved,
    TMark,
    /// A user's annotated point.
    Point,
    /// A branch enters the window of a windowed track (▲).
    WindowEntry,
    /// A branch leaves the window of a windowed track (▼).
    WindowExit,
}

#[derive(Debug, Clone)]
pub(super) struct Curve {
    pub(super) points: Vec<(f64, f64)>,
    pub(super) color: Rgb,
    pub(super) dashed: bool,
    /// Stroke width in pixels at the reference size 1200 × 700.
    pub(super) width: f64,
}

#[derive(Debug, Clone)]
pub(super) struct Marker {
    pub(super) at: (f64, f64),
    pub(super) kind: MarkerKind,
    pub(super) label: Option<String>,
}

/// An arrow at `at`, pointing towards `towards` (a point further along t), in `color`.
#[derive(Debug, Clone)]
pub(super) struct Arrow {
    pub(super) color: Rgb,
    pub(super) at: (f64, f64),
    pub(super) towards: (f64, f64),
}

#[derive(Debug, Clone)]
pub(super) struct Panel {
    pub(super) title: Option<String>,
    pub(super) x_label: Option<String>,
    pub(super) y_label: String,
    pub(super) curves: Vec<Curve>,
    pub(super) markers: Vec<Marker>,
    /// Horizontal dashed lines (levels).
    pub(super) levels: Vec<f64>,
    /// Vertical dashed lines (event locations on slope panels).
    pub(super) verticals: Vec<f64>,
    /// Arrows pointing along increasing t.
    pub(super) arrows: Vec<Arrow>,
    /// Fixed x range (the t range); otherwise from the data.
    pub(super) x_range: Option<(f64, f64)>,
    /// Clip outliers of the y data (slopes near an exceptional point).
    pub(super) robust_y: bool,
}

impl Panel {
    pub(super) fn new(y_label: String) -> Self {
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
pub(super) enum LegendEntry {
    Line {
        color: Rgb,
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

/// A sequential colour scale on [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ColorMap {
    /// Viridis (the parameter of a sweep).
    Viridis,
    /// Turbo without its darkest 5 % at either end (the branch index of a dense figure): a
    /// rainbow, so neighbouring branches differ more in hue than on viridis; no part of it
    /// fades into the white background, and no end looks black like the event markers.
    Turbo,
}

impl ColorMap {
    /// The colour at `x` in [0, 1] (clamped; not finite: 0).
    pub(super) fn at(self, x: f64) -> Rgb {
        match self {
            ColorMap::Viridis => viridis(x),
            ColorMap::Turbo => turbo(0.05 + 0.9 * x.clamp(0.0, 1.0)),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct ColorBar {
    pub(super) title: String,
    pub(super) min: f64,
    pub(super) max: f64,
    pub(super) map: ColorMap,
    /// Ticks at whole numbers only (branch indices).
    pub(super) integer: bool,
}

#[derive(Debug, Clone)]
pub(super) struct Figure {
    pub(super) title: Option<String>,
    pub(super) size: (u32, u32),
    pub(super) rows: usize,
    pub(super) cols: usize,
    pub(super) panels: Vec<Panel>,
    pub(super) legend: Vec<LegendEntry>,
    pub(super) colorbar: Option<ColorBar>,
    /// Many branches: thin markers and small arrows, and a curve on top of an earlier one
    /// is not dashed (in a dense spectrum every curve runs close to others).
    pub(super) dense: bool,
}

pub(super) fn part_label(part: Part, symbol: &str) -> String {
    match part {
        Part::Re => format!("Re {symbol}"),
        Part::Im => format!("Im {symbol}"),
        Part::Abs => format!("|{symbol}|"),
    }
}

/// A number for a label: up to three decimals, trailing zeros trimmed, scientific notation
/// for very large or small magnitudes.
pub(super) fn fmt_num(x: f64) -> String {
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
pub(super) fn nice_marks(a: f64, b: f64, n: usize) -> Vec<f64> {
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
    let first = panel.markers.len();
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
            Event::Touching { value, .. } => panel.markers.push(Marker {
                at: place(*value, t),
                kind: MarkerKind::Avoided,
                label: Some(format!("touch {p} = {}", fmt_num(t))),
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
    // Many branches: hundreds of events, whose labels would cover the curves.
    if BranchStyle::new(sel).dense {
        for marker in &mut panel.markers[first..] {
            marker.label = None;
        }
    }
}

/// Legend entries for the branches (none when dense: the colour bar stands for them), the
/// event kinds present and the guides.
fn legend_for(
    tracking: &Tracking,
    options: &PlotOptions,
    sel: &[usize],
    panels: &[Panel],
    with_guides: bool,
) -> Vec<LegendEntry> {
    let style = BranchStyle::new(sel);
    let shown = if style.dense { &[] } else { sel };
    let mut legend: Vec<LegendEntry> = shown
        .iter()
        .enumerate()
        .map(|(pos, &k)| LegendEntry::Line {
            color: style.color(pos, k),
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
            | Event::Touching {
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
    let style = BranchStyle::new(sel);
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
            color: style.color(pos, k),
            dashed: false,
            width: style.width,
        });
    }
    if slopes {
        // Many branches: a line per event would grey the panel out.
        if options.events && !style.dense {
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
    let style = BranchStyle::new(sel);
    let marks = if style.dense {
        Vec::new()
    } else {
        nice_marks(t0, t1, options.t_marks)
    };
    for (pos, &k) in sel.iter().enumerate() {
        let b = &tracking.branches()[k];
        let color = style.color(pos, k);
        let points = ts.iter().zip(b.values()).map(|(&t, &z)| (t, (z.re, z.im)));
        let points = with_event_points(tracking, k, points.collect(), |z, t| (t, (z.re, z.im)));
        panel.curves.push(Curve {
            points: points.into_iter().map(|(_, p)| p).collect(),
            color,
            dashed: false,
            width: style.width,
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
        // Arrows midway between the marks (or at 1/3 and 2/3 of the range without marks;
        // one at the middle when dense).
        let mut anchors: Vec<f64> = marks.windows(2).map(|w| 0.5 * (w[0] + w[1])).collect();
        if style.dense {
            anchors = vec![0.5 * (t0 + t1)];
        } else if anchors.is_empty() {
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

pub(super) fn build_figure(tracking: &Tracking, options: &PlotOptions) -> Result<Figure> {
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
        colorbar: BranchStyle::new(&sel).colorbar(),
        dense: BranchStyle::new(&sel).dense,
    })
}

/// Viridis, sampled at nine points and interpolated linearly; `x` in [0, 1].
fn viridis(x: f64) -> Rgb {
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
    Rgb(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Turbo (Mikhailov 2019, Google), from its published polynomial fit; `x` in [0, 1].
fn turbo(x: f64) -> Rgb {
    let x = if x.is_finite() {
        x.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let poly = |c: [f64; 6]| {
        let v = c[0] + x * (c[1] + x * (c[2] + x * (c[3] + x * (c[4] + x * c[5]))));
        (v.clamp(0.0, 1.0) * 255.0).round() as u8
    };
    Rgb(
        poly([
            0.13572138,
            4.61539260,
            -42.66032258,
            132.13108234,
            -152.94239396,
            59.28637943,
        ]),
        poly([
            0.09140261,
            2.19418839,
            4.84296658,
            -14.18503333,
            4.27729857,
            2.82956604,
        ]),
        poly([
            0.10667330,
            12.64194608,
            -60.58204836,
            110.36276771,
            -89.90310912,
            27.34824973,
        ]),
    )
}

pub(super) fn build_sweep(runs: &[(f64, Tracking)], options: &PlotOptions) -> Result<Figure> {
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
    let style = BranchStyle::new(&sel);
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
                width: style.width.min(2.0),
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
            map: ColorMap::Viridis,
            integer: false,
        }),
        dense: style.dense,
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{ladder, x_crossing};
    use super::*;

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
        assert_eq!(viridis(0.0), Rgb(68, 1, 84));
        assert_eq!(viridis(1.0), Rgb(253, 231, 37));
    }

    #[test]
    fn many_branches_are_thin_on_a_colour_scale_with_an_event_legend() {
        let tr = ladder(40);
        let fig = build_figure(&tr, &PlotOptions::new()).unwrap();
        assert!(fig.dense);
        let curves = &fig.panels[0].curves;
        assert_eq!(curves.len(), 40);
        assert!(curves.iter().all(|c| c.width == 1.0));
        // Coloured by index on the scale, from one end to the other.
        assert_eq!(curves[0].color, ColorMap::Turbo.at(0.0));
        assert_eq!(curves[39].color, ColorMap::Turbo.at(1.0));
        assert_ne!(curves[0].color, curves[39].color);
        // The legend lists the events only; a colour bar stands for the branches.
        assert!(matches!(
            fig.legend.as_slice(),
            [LegendEntry::Marker {
                kind: MarkerKind::Crossing,
                ..
            }]
        ));
        let bar = fig.colorbar.as_ref().unwrap();
        assert_eq!((bar.min, bar.max, bar.integer), (0.0, 39.0, true));
        assert_eq!(bar.map, ColorMap::Turbo);
        // Twenty crossings marked, none labelled.
        let markers = &fig.panels[0].markers;
        assert_eq!(markers.len(), 20);
        assert!(markers.iter().all(|m| m.label.is_none()));
        // Sorted against tracked: both columns on the same scale.
        let fig = build_figure(&tr, &PlotOptions::new().panels(Panels::SortedVsTracked)).unwrap();
        assert!(fig
            .panels
            .iter()
            .all(|p| p.curves[5].color == ColorMap::Turbo.at(5.0 / 39.0)));
    }

    #[test]
    fn line_width_falls_with_the_branch_count_beyond_twelve() {
        let tr = ladder(40);
        let width = |n: usize| {
            let fig = build_figure(&tr, &PlotOptions::new().branches(0..n)).unwrap();
            (fig.dense, fig.panels[0].curves[0].width)
        };
        assert_eq!(width(12), (false, 3.0));
        assert_eq!(width(24), (true, 1.5));
        assert_eq!(width(36), (true, 1.0));
        // Twelve drawn: a legend entry per branch, events labelled, and twelve distinct
        // colours of the scale (the ten-colour palette would repeat); ten: the palette.
        let fig = build_figure(&tr, &PlotOptions::new().branches(0..12)).unwrap();
        assert_eq!(fig.panels[0].curves[0].color, ColorMap::Turbo.at(0.0));
        let colours: std::collections::HashSet<(u8, u8, u8)> = fig.panels[0]
            .curves
            .iter()
            .map(|c| (c.color.0, c.color.1, c.color.2))
            .collect();
        assert_eq!(colours.len(), 12);
        let ten = build_figure(&tr, &PlotOptions::new().branches(0..10)).unwrap();
        assert_eq!(ten.panels[0].curves[0].color, branch_color(0));
        assert!(fig.colorbar.is_none());
        assert_eq!(
            fig.legend
                .iter()
                .filter(|e| matches!(e, LegendEntry::Line { .. }))
                .count(),
            12
        );
        assert!(fig.panels[0].markers.iter().all(|m| m.label.is_some()));
    }

    #[test]
    fn turbo_keeps_clear_of_its_dark_ends() {
        assert_eq!(ColorMap::Viridis.at(0.0), viridis(0.0));
        assert_eq!(ColorMap::Turbo.at(0.0), turbo(0.05));
        assert_eq!(ColorMap::Turbo.at(1.0), turbo(0.95));
        assert_eq!(ColorMap::Turbo.at(f64::NAN), turbo(0.0));
        for x in [0.0, 0.5, 1.0] {
            let Rgb(r, g, b) = ColorMap::Turbo.at(x);
            let luminance = 0.2126 * r as f64 + 0.7152 * g as f64 + 0.0722 * b as f64;
            assert!((40.0..235.0).contains(&luminance), "{x}: {luminance}");
        }
    }
}

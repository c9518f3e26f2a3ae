//! The scene of a windowed track ([`WindowTracking`]): part(λ) of the tracked branches
//! against t, solid where a branch is among the k nearest σ and dashed and faded where it
//! is computed in the guard band only; window entries ▲, exits ▼ and crossings ○; σ as a
//! dashed reference line. Built on the scene types of the dense figures and drawn by the
//! same renderer.

use super::options::{Panels, PlotOptions};
use super::scene::{
    fmt_num, part_label, BranchStyle, Curve, Figure, LegendEntry, Marker, MarkerKind, Panel, Rgb,
    GUIDE_COLOR,
};
use crate::sparse::{WindowEvent, WindowTracking};
use crate::{Complex64, Error, Part, Result};

/// `c` mixed with white: the colour of a branch outside the window.
fn faded(c: Rgb) -> Rgb {
    let mix = |x: u8| ((x as u16 + 2 * 255) / 3) as u8;
    Rgb(mix(c.0), mix(c.1), mix(c.2))
}

/// λ of `branch` at `t` by cubic Hermite interpolation of its values and slopes on the
/// samples around t (linear where a slope is missing); None where the branch is not
/// computed on both samples around t.
fn value_at(tr: &WindowTracking, branch: usize, t: f64) -> Option<Complex64> {
    let ts = tr.samples();
    let b = &tr.branches()[branch];
    let (v, d) = (b.values(), b.slopes());
    for i in 0..ts.len() {
        if ts[i] == t {
            if let Some(x) = v[i] {
                return Some(x);
            }
        }
    }
    for i in 0..ts.len().saturating_sub(1) {
        let (a, c) = (ts[i], ts[i + 1]);
        if !((a <= t && t <= c) || (c <= t && t <= a)) || a == c {
            continue;
        }
        let (Some(y0), Some(y1)) = (v[i], v[i + 1]) else {
            continue;
        };
        let h = c - a;
        let s = (t - a) / h;
        return Some(match (d[i], d[i + 1]) {
            (Some(d0), Some(d1)) => {
                let (s2, s3) = (s * s, s * s * s);
                y0 * (2.0 * s3 - 3.0 * s2 + 1.0)
                    + d0 * (h * (s3 - 2.0 * s2 + s))
                    + y1 * (-2.0 * s3 + 3.0 * s2)
                    + d1 * (h * (s3 - s2))
            }
            _ => y0 * (1.0 - s) + y1 * s,
        });
    }
    None
}

/// The branches drawn by default: those in the window at some sample.
fn default_selection(tr: &WindowTracking) -> Vec<usize> {
    tr.branches()
        .iter()
        .enumerate()
        .filter(|(_, b)| b.in_window().iter().any(|&w| w))
        .map(|(k, _)| k)
        .collect()
}

/// Branch `k` as runs of consecutive computed samples, split where the branch enters or
/// leaves the window: (points, in the window). A segment between a sample in the window
/// and one outside is drawn solid; neighbouring runs share their end sample, so the curve
/// stays connected.
fn runs(tr: &WindowTracking, k: usize, part: Part) -> Vec<(Vec<(f64, f64)>, bool)> {
    let b = &tr.branches()[k];
    let mut out: Vec<(Vec<(f64, f64)>, bool)> = Vec::new();
    let mut prev: Option<(f64, f64)> = None;
    for (i, &t) in tr.samples().iter().enumerate() {
        let Some(z) = b.values()[i] else {
            prev = None;
            continue;
        };
        let p = (t, part.of(z));
        let w = b.in_window()[i];
        match (prev, out.last_mut()) {
            (Some(_), Some((pts, inside))) if *inside == w => pts.push(p),
            (Some(_), Some((pts, true))) => {
                // leaves: the solid run ends at p, the dashed one starts there
                pts.push(p);
                out.push((vec![p], false));
            }
            (Some(q), _) => out.push((vec![q, p], true)), // enters
            (None, _) => out.push((vec![p], w)),
        }
        prev = Some(p);
    }
    out.retain(|(pts, _)| pts.len() > 1);
    out
}

fn curve_panel(
    tr: &WindowTracking,
    options: &PlotOptions,
    sel: &[usize],
    part: Part,
) -> (Panel, bool) {
    let ts = tr.samples();
    let (a, b) = (ts[0], ts[ts.len() - 1]);
    let mut panel = Panel::new(
        options
            .y_label
            .clone()
            .unwrap_or_else(|| part_label(part, &options.symbol)),
    );
    panel.x_range = Some((a.min(b), a.max(b)));
    let style = BranchStyle::new(sel);
    let mut any_faded = false;
    for (pos, &k) in sel.iter().enumerate() {
        let color = style.color(pos, k);
        for (points, inside) in runs(tr, k, part) {
            any_faded |= !inside;
            panel.curves.push(Curve {
                points,
                color: if inside { color } else { faded(color) },
                dashed: !inside,
                width: if inside {
                    style.width
                } else {
                    style.width * 0.6
                },
            });
        }
    }
    // σ: the reference line of the real and imaginary parts
    let sigma = tr.sigma();
    if matches!(part, Part::Re | Part::Im) {
        panel.levels.push(part.of(sigma));
    }
    if options.events {
        let p = &options.parameter;
        for e in tr.events() {
            let (kind, shown): (MarkerKind, Vec<usize>) = match e {
                WindowEvent::Entry { branch, .. } => (MarkerKind::WindowEntry, vec![*branch]),
                WindowEvent::Exit { branch, .. } => (MarkerKind::WindowExit, vec![*branch]),
                WindowEvent::Crossing { branches, .. } => (MarkerKind::Crossing, vec![branches[0]]),
                WindowEvent::Touching { branches, .. } => (MarkerKind::Avoided, vec![branches[0]]),
                WindowEvent::Unresolved { branches, .. } => {
                    (MarkerKind::Unresolved, branches.clone())
                }
                _ => continue,
            };
            for k in shown.into_iter().filter(|k| sel.contains(k)) {
                if let Some(z) = value_at(tr, k, e.t()) {
                    panel.markers.push(Marker {
                        at: (e.t(), part.of(z)),
                        kind,
                        label: (kind == MarkerKind::Crossing && !style.dense)
                            .then(|| format!("{p} = {}", fmt_num(e.t()))),
                    });
                }
            }
        }
    }
    (panel, any_faded)
}

/// The figure of a windowed track (see [`WindowTracking::plot_with`]).
pub(super) fn build_window(tr: &WindowTracking, options: &PlotOptions) -> Result<Figure> {
    if tr.samples().is_empty() || tr.branches().is_empty() {
        return Err(Error::InvalidArgument {
            name: "tracking",
            reason: format!(
                "nothing to draw: {} samples, {} branches",
                tr.samples().len(),
                tr.branches().len()
            ),
        });
    }
    if options.panels != Panels::Eigencurves {
        return Err(Error::InvalidArgument {
            name: "PlotOptions::panels",
            reason: format!(
                "a windowed track is drawn as eigencurves only, got {:?}",
                options.panels
            ),
        });
    }
    let n = tr.branches().len();
    options.check(n)?;
    let sel = match &options.branches {
        Some(_) => options.selected(n),
        None => default_selection(tr),
    };
    let sel = if sel.is_empty() {
        (0..n).collect()
    } else {
        sel
    };
    let complex = tr.branches().iter().any(|b| {
        b.values()
            .iter()
            .flatten()
            .any(|z| z.im.abs() > 1e-12 * (1.0 + z.re.abs()))
    }) || tr.sigma().im != 0.0;
    let parts = match &options.parts {
        Some(p) => p.clone(),
        None if complex => vec![Part::Re, Part::Im],
        None => vec![Part::Re],
    };
    let rows = parts.len();
    let x_label = options
        .x_label
        .clone()
        .unwrap_or_else(|| options.parameter.clone());
    let mut panels = Vec::new();
    let mut any_faded = false;
    for (i, &part) in parts.iter().enumerate() {
        let (mut panel, f) = curve_panel(tr, options, &sel, part);
        any_faded |= f;
        if i + 1 == rows {
            panel.x_label = Some(x_label.clone());
        }
        panels.push(panel);
    }
    let style = BranchStyle::new(&sel);
    let mut legend: Vec<LegendEntry> = if style.dense {
        Vec::new()
    } else {
        sel.iter()
            .enumerate()
            .map(|(pos, &k)| LegendEntry::Line {
                color: style.color(pos, k),
                label: options.label(k),
                dashed: false,
            })
            .collect()
    };
    if any_faded {
        legend.push(LegendEntry::Line {
            color: faded(GUIDE_COLOR),
            label: "outside the window (guard band)".into(),
            dashed: true,
        });
    }
    let sigma = tr.sigma();
    legend.push(LegendEntry::Line {
        color: GUIDE_COLOR,
        label: format!(
            "σ = {}",
            if sigma.im == 0.0 {
                fmt_num(sigma.re)
            } else {
                format!(
                    "{} {} {}i",
                    fmt_num(sigma.re),
                    if sigma.im < 0.0 { "−" } else { "+" },
                    fmt_num(sigma.im.abs())
                )
            }
        ),
        dashed: true,
    });
    for (kind, label) in [
        (MarkerKind::WindowEntry, "enters the window"),
        (MarkerKind::WindowExit, "leaves the window"),
        (MarkerKind::Crossing, "crossing"),
        (MarkerKind::Unresolved, "unresolved step"),
    ] {
        if panels
            .iter()
            .any(|p| p.markers.iter().any(|m| m.kind == kind))
        {
            legend.push(LegendEntry::Marker {
                kind,
                label: label.into(),
            });
        }
    }
    Ok(Figure {
        title: options.title_or(format!(
            "the {} eigenvalues nearest σ along {}",
            tr.k(),
            options.parameter
        )),
        size: options.size,
        rows,
        cols: 1,
        panels,
        legend,
        colorbar: style.colorbar(),
        dense: style.dense,
    })
}

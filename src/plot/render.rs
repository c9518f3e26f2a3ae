//! The drawing layer: turns a scene [`Figure`] into a PNG or an SVG file with plotters.
//! It owns everything about pixels: the output file and its checks, the embedded font,
//! sizes scaled with the figure, the panel grid, axis ranges and tick labels, clipping
//! curves to the axes, event markers and the placement of their labels clear of curves,
//! arrows, and the legend column with its colour bar. It decides nothing about what is
//! shown; only the plot module's entry points call it.

use super::scene::{
    fmt_num, nice_marks, Arrow, Figure, LegendEntry, Marker, MarkerKind, Panel, Rgb,
};
use super::text;
use crate::{Error, Result};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;
use std::sync::OnceLock;

type DResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The font family name the embedded DejaVu Sans is registered under.
const FONT: &str = "sans-serif";

const LEVEL_COLOR: RGBColor = RGBColor(150, 150, 150);
/// The shortest overlap with an earlier curve drawn dashed, pixels at the reference size:
/// a conjugate pair's real parts or a degenerate pair over an interval, not two curves
/// that only pass close.
const MIN_DASHED_RUN: f64 = 60.0;
const ZERO_COLOR: RGBColor = RGBColor(185, 185, 185);
const UNRESOLVED_COLOR: RGBColor = RGBColor(200, 0, 0);

/// The plotters colour of a scene colour.
fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

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

pub(super) fn render(path: &Path, figure: &Figure) -> Result<()> {
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
        let (w, h) = figure.size;
        let big = Figure {
            size: (SUPERSAMPLE * w, SUPERSAMPLE * h),
            ..figure.clone()
        };
        // anti-aliasing: the figure drawn at twice the size (its metrics scale with it)
        // and averaged down, when the doubled metrics are exactly twice the plain ones
        if Metrics::new(big.size).s == SUPERSAMPLE as f64 * Metrics::new(figure.size).s {
            let mut buf = vec![0u8; 3 * big.size.0 as usize * big.size.1 as usize];
            {
                let root = text::Bitmap(BitMapBackend::with_buffer(&mut buf, big.size))
                    .into_drawing_area();
                draw_figure(&root, &big).map_err(|e| output(e.to_string()))?;
                root.present().map_err(|e| output(e.to_string()))?;
            }
            let small = downsample(&buf, big.size, SUPERSAMPLE);
            let mut out = BitMapBackend::new(path, figure.size);
            out.blit_bitmap((0, 0), (w, h), &small)
                .map_err(|e| output(e.to_string()))?;
            return out.present().map_err(|e| output(e.to_string()));
        }
        let root = text::Bitmap(BitMapBackend::new(path, figure.size)).into_drawing_area();
        draw_figure(&root, figure).map_err(|e| output(e.to_string()))?;
        root.present().map_err(|e| output(e.to_string()))
    } else {
        let root = SVGBackend::new(path, figure.size).into_drawing_area();
        draw_figure(&root, figure).map_err(|e| output(e.to_string()))?;
        root.present().map_err(|e| output(e.to_string()))
    }
}

/// The supersampling factor of bitmap figures (anti-aliased curves: the figure is drawn at
/// this many times its size and each block of pixels averaged).
const SUPERSAMPLE: u32 = 2;

/// An RGB buffer of `size` averaged over `f` × `f` blocks.
fn downsample(buf: &[u8], size: (u32, u32), f: u32) -> Vec<u8> {
    let (bw, bh) = (size.0 as usize, size.1 as usize);
    let f = f as usize;
    let (w, h) = (bw / f, bh / f);
    let mut out = vec![0u8; 3 * w * h];
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                let mut sum = 0u32;
                for dy in 0..f {
                    for dx in 0..f {
                        sum += buf[3 * ((y * f + dy) * bw + x * f + dx) + c] as u32;
                    }
                }
                out[3 * (y * w + x) + c] = ((sum + (f * f / 2) as u32) / (f * f) as u32) as u8;
            }
        }
    }
    out
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
    /// The stroke width of a curve: even from 2 px at the reference size on (as
    /// [`stroke`](Self::stroke)), down to one pixel for the thin curves of many branches.
    fn line(&self, x: f64) -> u32 {
        if x >= 2.0 {
            self.stroke(x)
        } else {
            (x * self.s).round().max(1.0) as u32
        }
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
        draw_panel(root, cell, panel, m, figure.dense)?;
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
    dense: bool,
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
    // a degenerate pair), it is drawn dashed so that both colours show. Not when dense: in
    // a spectrum of many branches every curve runs within a few pixels of others.
    let (px, py) = chart.plotting_area().get_pixel_range();
    let mut occupied = Occupied::new((px.start, py.start, px.end, py.end));
    let mut solid = Occupied::new((px.start, py.start, px.end, py.end));
    for curve in &panel.curves {
        let style = rgb(curve.color).stroke_width(m.line(curve.width));
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
                    rgb(curve.color).filled(),
                )))?;
                continue;
            }
            // Runs of segments, each either on top of an earlier curve or not.
            let shared: Vec<bool> = pixels
                .windows(2)
                .map(|w| !dense && solid.covers_segment(w[0], w[1]))
                .collect();
            let mut start = 0;
            let min_dashed = m.px(MIN_DASHED_RUN) as f64;
            while start < shared.len() {
                let mut end = start;
                while end + 1 < shared.len() && shared[end + 1] == shared[start] {
                    end += 1;
                }
                let run = piece[start..=end + 1].to_vec();
                // a curve that only passes close to another (an avoided crossing that is
                // not an event, a crossing) stays solid: dashes there read as white gaps
                let length: f64 = pixels[start..=end + 1]
                    .windows(2)
                    .map(|w| {
                        let (dx, dy) = ((w[1].0 - w[0].0) as f64, (w[1].1 - w[0].1) as f64);
                        dx.hypot(dy)
                    })
                    .sum();
                if shared[start] && length >= min_dashed {
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
    let r = m.px(if dense { 4.0 } else { 7.0 }) as f64;
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
        root.draw(&Polygon::new(tri, rgb(color).filled()))?;
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
        draw_marker(root, c, marker.kind, m, dense)?;
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

/// Draw a marker centred at pixel `c` of `area`; `dense`: small, thin and not filled, so
/// that the many curves of a dense figure show through.
fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: (i32, i32),
    kind: MarkerKind,
    m: Metrics,
    dense: bool,
) -> DResult<()>
where
    DB::ErrorType: 'static,
{
    let r = m.px(if dense { 4.0 } else { 7.0 });
    let line = BLACK.stroke_width(if dense { m.line(1.0) } else { m.stroke(2.0) });
    let closed = |pts: &[(i32, i32)]| {
        let mut v: Vec<(i32, i32)> = pts.iter().map(|p| (c.0 + p.0, c.1 + p.1)).collect();
        v.push(v[0]);
        v
    };
    match kind {
        MarkerKind::Crossing => {
            if !dense {
                area.draw(&Circle::new(c, r, WHITE.filled()))?;
            }
            area.draw(&Circle::new(c, r, line))?;
        }
        MarkerKind::Avoided => {
            let r = r + m.px(1.0);
            let pts = closed(&[(0, -r), (r, 0), (0, r), (-r, 0)]);
            if !dense {
                area.draw(&Polygon::new(pts.clone(), WHITE.filled()))?;
            }
            area.draw(&PathElement::new(pts, line))?;
        }
        MarkerKind::Exceptional => {
            let width = if dense { m.line(1.5) } else { m.stroke(3.0) };
            area.draw(&Cross::new(c, r, BLACK.stroke_width(width)))?;
        }
        MarkerKind::Level => {
            let h = r * 6 / 10;
            let pts = closed(&[(-r, -h), (r, -h), (0, r + h / 2)]);
            if !dense {
                area.draw(&Polygon::new(pts.clone(), WHITE.filled()))?;
            }
            area.draw(&PathElement::new(pts, line))?;
        }
        MarkerKind::Unresolved => {
            let size = if dense { 16.0 } else { 24.0 };
            let style = TextStyle::from((FONT, m.font(size), FontStyle::Bold).into_font())
                .color(&UNRESOLVED_COLOR)
                .pos(Pos::new(HPos::Center, VPos::Center));
            area.draw_text("!", &style, c)?;
        }
        MarkerKind::Point => {
            area.draw(&Circle::new(c, m.px(5.0), BLACK.filled()))?;
        }
        MarkerKind::WindowEntry | MarkerKind::WindowExit => {
            // a filled triangle pointing up (entry) or down (exit)
            let h = r * 8 / 10;
            let s = if kind == MarkerKind::WindowEntry {
                1
            } else {
                -1
            };
            let pts = closed(&[(-r, s * h), (r, s * h), (0, -s * (r + h / 4))]);
            area.draw(&Polygon::new(pts, BLACK.filled()))?;
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
                        rgb(*color).stroke_width(m.stroke(2.0)),
                    ))?;
                } else {
                    area.draw(&PathElement::new(
                        seg,
                        rgb(*color).stroke_width(m.stroke(4.0)),
                    ))?;
                }
                area.draw_text(label, &style, (x0 + sample + m.px(8.0), y))?;
            }
            LegendEntry::Marker { kind, label } => {
                draw_marker(area, (x0 + sample / 2, y), *kind, m, figure.dense)?;
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
                rgb(bar.map.at(f)).stroke_width(1),
            ))?;
        }
        area.draw(&Rectangle::new(
            [(x0, y0), (x0 + bw, y1)],
            BLACK.stroke_width(1),
        ))?;
        let ticks = if bar.max > bar.min {
            let mut t = nice_marks(bar.min, bar.max, 5);
            if bar.integer {
                t.retain(|v| v.fract() == 0.0);
            }
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
}

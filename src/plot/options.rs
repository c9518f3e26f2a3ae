//! What users set: [`PlotOptions`] (every option with its default, the builder methods and
//! their validation) and [`Panels`]. Plain data; the scene reads it, nothing here draws.

#[cfg(doc)]
use super::plot_sweep;
#[cfg(doc)]
use crate::Tracking;
use crate::{Error, Part, Result};

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
pub(super) struct Guide {
    pub(super) label: String,
    pub(super) points: Vec<(f64, f64)>,
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
/// | [`labels`](Self::labels) | `"branch 0"`, `"branch 1"`, …; with more than 12 branches drawn, a colour bar instead |
/// | [`parts`](Self::parts) | Re, plus Im when a branch (or, for slopes, a slope) is complex |
/// | [`events`](Self::events) | `true`: events marked and labelled |
/// | [`sorted_slopes`](Self::sorted_slopes) | `false` |
/// | [`guide`](Self::guide) | none |
/// | [`point`](Self::point) | none |
/// | [`t_marks`](Self::t_marks) | 5 labelled values of t on complex-plane paths (none above 12 branches) |
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
    pub(super) title: Option<String>,
    pub(super) parameter: String,
    pub(super) x_label: Option<String>,
    pub(super) y_label: Option<String>,
    pub(super) size: (u32, u32),
    pub(super) panels: Panels,
    pub(super) branches: Option<Vec<usize>>,
    pub(super) labels: Option<Vec<String>>,
    pub(super) parts: Option<Vec<Part>>,
    pub(super) events: bool,
    pub(super) sorted_slopes: bool,
    pub(super) guides: Vec<Guide>,
    pub(super) points: Vec<(String, (f64, f64))>,
    pub(super) symbol: String,
    pub(super) t_marks: usize,
    pub(super) sweep_label: String,
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
    /// the same indices select ranks). Default: all. A window of at most 12 levels of a
    /// large spectrum is drawn in the few-branch style (palette, thick curves, legend of
    /// branches, labelled events).
    pub fn branches(mut self, branches: impl IntoIterator<Item = usize>) -> Self {
        self.branches = Some(branches.into_iter().collect());
        self
    }
    /// Legend names of the branches, one per branch of the tracking (not per selected
    /// branch). Default `"branch k"`. With more than 12 branches drawn the legend shows a
    /// colour bar by branch index instead, and the names are not used.
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
    /// values are round numbers). `0` draws none; so do more than 12 branches. Default 5.
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

    pub(super) fn check(&self, n_branches: usize) -> Result<()> {
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

    pub(super) fn selected(&self, n: usize) -> Vec<usize> {
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

    pub(super) fn label(&self, k: usize) -> String {
        match &self.labels {
            Some(l) => l[k].clone(),
            None => format!("branch {k}"),
        }
    }

    pub(super) fn title_or(&self, auto: String) -> Option<String> {
        match &self.title {
            Some(t) if t.is_empty() => None,
            Some(t) => Some(t.clone()),
            None => Some(auto),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_validated() {
        // Two branches, as in the tracking of λ = ±t.
        for (opt, name) in [
            (PlotOptions::new().size(10, 500), "PlotOptions::size"),
            (PlotOptions::new().branches([2]), "PlotOptions::branches"),
            (PlotOptions::new().branches([]), "PlotOptions::branches"),
            (PlotOptions::new().labels(["a"]), "PlotOptions::labels"),
            (PlotOptions::new().parts([]), "PlotOptions::parts"),
        ] {
            match opt.check(2) {
                Err(Error::InvalidArgument { name: n, .. }) => assert_eq!(n, name),
                other => panic!("expected InvalidArgument for {name}, got {other:?}"),
            }
        }
        assert!(PlotOptions::new().branches([1, 0]).check(2).is_ok());
    }
}

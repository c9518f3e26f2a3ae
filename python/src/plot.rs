//! The Rust figures (plotters) written to a file: `Tracking.plot(path)`,
//! `WindowTracking.plot(path)` and `plot_sweep`. The matplotlib drawings are in Python
//! (`eigentrack._display`).

use crate::errors::to_py;
use crate::options::parse_part;
use crate::results::PyTracking;
use eigentrack::plot::{Panels, PlotOptions};
use eigentrack::Tracking;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::path::{Path, PathBuf};

/// Draw `tr` into `path` (.png or .svg) with the GIL released.
pub(crate) fn plot_file(
    py: Python<'_>,
    tr: &Tracking,
    path: &Path,
    panels: &str,
    parameter: Option<String>,
    title: Option<String>,
) -> PyResult<()> {
    let mut o = PlotOptions::new().panels(match panels {
        "eigencurves" => Panels::Eigencurves,
        "sorted_vs_tracked" => Panels::SortedVsTracked,
        "complex_plane" => Panels::ComplexPlane,
        "slopes" => Panels::Slopes,
        p => {
            return Err(PyValueError::new_err(format!(
                "panels: expected \"eigencurves\", \"sorted_vs_tracked\", \"complex_plane\" or \"slopes\", got {p:?}"
            )))
        }
    });
    if let Some(p) = parameter {
        o = o.parameter(p);
    }
    if let Some(t) = title {
        o = o.title(t);
    }
    py.allow_threads(|| tr.plot_with(path, &o)).map_err(to_py)
}

/// Draw a sweep: for each (p, tracking) the curves of part(λ) coloured by p.
#[pyfunction]
#[pyo3(signature = (path, runs, label="p", part="re"))]
pub(crate) fn _plot_sweep(
    py: Python<'_>,
    path: PathBuf,
    runs: Vec<(f64, Bound<'_, PyTracking>)>,
    label: &str,
    part: &str,
) -> PyResult<()> {
    use eigentrack::plot::plot_sweep;
    let runs: Vec<(f64, Tracking)> = runs
        .into_iter()
        .map(|(p, t)| (p, t.get().inner.clone()))
        .collect();
    let o = PlotOptions::new()
        .sweep_label(label)
        .parts([parse_part(part)?]);
    py.allow_threads(|| plot_sweep(&path, &runs, &o))
        .map_err(to_py)
}

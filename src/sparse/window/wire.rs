//! The serde model of a [`WindowTracking`] and of a [`WindowRecord`]: the JSON of
//! `eigentrack track --nearest`, that Python's `WindowTracking.to_json`/`from_json` and
//! pickling use.
//!
//! ```text
//! {"method": "nearest" | "largest_real", "k", "sigma": {"re", "im"}, "n",
//!  "samples": [t…],
//!  "branches": [{"re", "im", "slope_re", "slope_im", "cond", "in_window", "right"}],
//!  "events": [{"kind", "t", "branches", "precision", "t_end"}],
//!  "stats": {"factorizations", …, "seconds", "factor_seconds", "solve_seconds"},
//!  "real": bool}
//! ```
//!
//! `null` where a branch is not computed (numbers otherwise as in the dense model: NaN
//! `null`, ±∞ `"inf"`/`"-inf"`); `right` (kept vectors) is one entry per sample, `null`
//! or a list of `[re, im]` pairs. `n` and `real` belong to the [`WindowRecord`].

use super::{Target, WindowBranch, WindowEvent, WindowStats, WindowTracking};
use crate::serde_num::{floats, nums, Num};
use crate::sparse::SolverStats;
use crate::tracking::wire::{vector_in, vectors_out};
use nalgebra::DVector;
use num_complex::Complex64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A windowed track as a file records it: the [`WindowTracking`] with the size `n` of
/// A(t) and whether it was tracked in real arithmetic (neither is part of the tracking
/// itself). Its JSON is the command-line tool's.
///
/// ```
/// use eigentrack::sparse::{Nearest, SparseTerms, WindowRecord};
/// use nalgebra_sparse::{CooMatrix, CscMatrix};
///
/// let mut d = CooMatrix::new(6, 6);
/// for i in 0..6 { d.push(i, i, i as f64); }
/// let fam = SparseTerms::new(6).term(CscMatrix::from(&d), |t| t + 1.0)?;
/// let tracking = Nearest::new(2, 1.0)?.samples(5)?.track(&fam, 0.0..=1.0)?;
/// let rec = WindowRecord { tracking, n: 6, real: true };
/// let back = WindowRecord::from_json(&serde_json::to_string(&rec).unwrap())?;
/// assert_eq!((back.n, back.real), (6, true));
/// assert_eq!(back.tracking.branches(), rec.tracking.branches());
/// # Ok::<(), eigentrack::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct WindowRecord {
    /// The tracking.
    pub tracking: WindowTracking,
    /// The size n of A(t).
    pub n: usize,
    /// Whether A(t) was tracked in real arithmetic.
    pub real: bool,
}

impl WindowRecord {
    /// A record read back from its JSON (what `serde_json::to_string(&record)` and the
    /// command-line tool write). A JSON without `"real"` is taken as real when every
    /// computed eigenvalue is real.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) (named `json`) for text
    /// that is not this JSON, with serde's line and column.
    pub fn from_json(text: &str) -> crate::Result<WindowRecord> {
        serde_json::from_str(text).map_err(|e| crate::Error::InvalidArgument {
            name: "json",
            reason: e.to_string(),
        })
    }
}

impl WindowTracking {
    /// Long-format CSV, header `t,branch,re,im,slope_re,slope_im,in_window`, the computed
    /// samples only (what `eigentrack track --nearest --csv` writes); numbers in Rust's
    /// shortest round-trip form.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("t,branch,re,im,slope_re,slope_im,in_window\n");
        for (i, t) in self.samples.iter().enumerate() {
            for (k, b) in self.branches.iter().enumerate() {
                if let (Some(v), Some(d)) = (b.values[i], b.slopes[i]) {
                    out.push_str(&format!(
                        "{t},{k},{},{},{},{},{}\n",
                        v.re, v.im, d.re, d.im, b.in_window[i]
                    ));
                }
            }
        }
        out
    }
}

type Pair = [Num; 2];

#[derive(Serialize, Deserialize)]
struct ComplexWire {
    re: Num,
    im: Num,
}

#[derive(Serialize, Deserialize)]
struct BranchWire {
    re: Vec<Option<Num>>,
    im: Vec<Option<Num>>,
    slope_re: Vec<Option<Num>>,
    slope_im: Vec<Option<Num>>,
    cond: Vec<Option<Num>>,
    in_window: Vec<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    right: Option<Vec<Option<Vec<Pair>>>>,
}

fn parts(v: &[Option<Complex64>]) -> (Vec<Option<Num>>, Vec<Option<Num>>) {
    (
        v.iter().map(|z| z.map(|z| Num(z.re))).collect(),
        v.iter().map(|z| z.map(|z| Num(z.im))).collect(),
    )
}

fn join(
    re: Vec<Option<Num>>,
    im: Vec<Option<Num>>,
    what: &str,
) -> Result<Vec<Option<Complex64>>, String> {
    if re.len() != im.len() {
        return Err(format!(
            "{what}: {} real and {} imaginary parts",
            re.len(),
            im.len()
        ));
    }
    Ok(re
        .into_iter()
        .zip(im)
        .map(|(a, b)| match (a, b) {
            (Some(a), Some(b)) => Some(Complex64::new(a.0, b.0)),
            _ => None,
        })
        .collect())
}

impl From<&WindowBranch> for BranchWire {
    fn from(b: &WindowBranch) -> Self {
        let (re, im) = parts(&b.values);
        let (slope_re, slope_im) = parts(&b.slopes);
        BranchWire {
            re,
            im,
            slope_re,
            slope_im,
            cond: b.condition.iter().map(|c| c.map(Num)).collect(),
            in_window: b.in_window.clone(),
            right: b.right.as_ref().map(|r| {
                r.iter()
                    .map(|v| {
                        v.as_ref()
                            .map(|v| vectors_out(std::slice::from_ref(v)).remove(0))
                    })
                    .collect()
            }),
        }
    }
}

impl BranchWire {
    fn into_branch(self, k: usize, samples: usize) -> Result<WindowBranch, String> {
        let values = join(self.re, self.im, &format!("branches[{k}].re/im"))?;
        let slopes = join(
            self.slope_re,
            self.slope_im,
            &format!("branches[{k}].slope_re/slope_im"),
        )?;
        let condition: Vec<Option<f64>> = self.cond.into_iter().map(|c| c.map(|c| c.0)).collect();
        let right: Option<Vec<Option<DVector<Complex64>>>> = self
            .right
            .map(|r| r.into_iter().map(|v| v.map(vector_in)).collect());
        let lens = [
            values.len(),
            slopes.len(),
            condition.len(),
            self.in_window.len(),
            right.as_ref().map_or(samples, Vec::len),
        ];
        if lens.iter().any(|&l| l != samples) {
            return Err(format!(
                "branches[{k}]: {lens:?} values, slopes, condition numbers, window flags and vectors for {samples} samples"
            ));
        }
        Ok(WindowBranch {
            values,
            slopes,
            condition,
            in_window: self.in_window,
            right,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct EventWire {
    kind: String,
    t: Num,
    branches: Vec<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    precision: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    t_end: Option<Num>,
}

impl From<&WindowEvent> for EventWire {
    fn from(e: &WindowEvent) -> Self {
        let (precision, t_end) = match e {
            WindowEvent::Entry { precision, .. }
            | WindowEvent::Exit { precision, .. }
            | WindowEvent::Crossing { precision, .. }
            | WindowEvent::Touching { precision, .. } => (Some(Num(*precision)), None),
            WindowEvent::Unresolved { t1, .. } => (None, Some(Num(*t1))),
            WindowEvent::Left { .. } => (None, None),
        };
        EventWire {
            kind: e.kind().to_string(),
            t: Num(e.t()),
            branches: e.branches(),
            precision,
            t_end,
        }
    }
}

impl EventWire {
    fn into_event(self, k: usize) -> Result<WindowEvent, String> {
        let kind = self.kind.as_str();
        let one = || match self.branches.as_slice() {
            [b] => Ok(*b),
            bs => Err(format!(
                "events[{k}] ({kind}): expected one branch, got {bs:?}"
            )),
        };
        let two = || {
            <[usize; 2]>::try_from(self.branches.as_slice()).map_err(|_| {
                format!(
                    "events[{k}] ({kind}): expected two branches, got {:?}",
                    self.branches
                )
            })
        };
        let precision = self.precision.map_or(f64::NAN, |p| p.0);
        let t = self.t.0;
        Ok(match kind {
            "window_entry" => WindowEvent::Entry {
                t,
                branch: one()?,
                precision,
            },
            "window_exit" => WindowEvent::Exit {
                t,
                branch: one()?,
                precision,
            },
            "crossing" => WindowEvent::Crossing {
                t,
                branches: two()?,
                precision,
            },
            "touching" => WindowEvent::Touching {
                t,
                branches: two()?,
                precision,
            },
            "left_band" => WindowEvent::Left { t, branch: one()? },
            "unresolved" => WindowEvent::Unresolved {
                t0: t,
                t1: self
                    .t_end
                    .ok_or_else(|| format!("events[{k}] (unresolved): missing t_end"))?
                    .0,
                branches: self.branches,
            },
            other => return Err(format!("events[{k}]: unknown event kind {other:?}")),
        })
    }
}

/// The statistics, flat (the command-line tool's names).
#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct StatsWire {
    factorizations: usize,
    symbolic_analyses: usize,
    nudges: usize,
    davidson_runs: usize,
    iterations: usize,
    solves: usize,
    recentrings: usize,
    accepted_steps: usize,
    rejected_steps: usize,
    event_points: usize,
    projected_events: usize,
    avoided_crossings: usize,
    patterns: usize,
    seconds: f64,
    factor_seconds: f64,
    solve_seconds: f64,
}

impl From<&WindowStats> for StatsWire {
    fn from(s: &WindowStats) -> Self {
        StatsWire {
            factorizations: s.solver.factorizations,
            symbolic_analyses: s.solver.symbolic_analyses,
            nudges: s.solver.nudges,
            davidson_runs: s.solver.runs,
            iterations: s.solver.iterations,
            solves: s.solver.solves,
            recentrings: s.solver.recentrings,
            accepted_steps: s.accepted_steps,
            rejected_steps: s.rejected_steps,
            event_points: s.event_points,
            projected_events: s.projected_events,
            avoided_crossings: s.avoided_crossings,
            patterns: s.patterns,
            seconds: s.seconds,
            factor_seconds: s.solver.factor_seconds,
            solve_seconds: s.solver.solve_seconds,
        }
    }
}

impl From<StatsWire> for WindowStats {
    fn from(s: StatsWire) -> Self {
        WindowStats {
            solver: SolverStats {
                factorizations: s.factorizations,
                symbolic_analyses: s.symbolic_analyses,
                nudges: s.nudges,
                runs: s.davidson_runs,
                iterations: s.iterations,
                solves: s.solves,
                recentrings: s.recentrings,
                factor_seconds: s.factor_seconds,
                solve_seconds: s.solve_seconds,
            },
            accepted_steps: s.accepted_steps,
            rejected_steps: s.rejected_steps,
            event_points: s.event_points,
            projected_events: s.projected_events,
            avoided_crossings: s.avoided_crossings,
            patterns: s.patterns,
            seconds: s.seconds,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct WindowWire {
    method: String,
    k: usize,
    sigma: ComplexWire,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    n: Option<usize>,
    samples: Vec<Num>,
    branches: Vec<BranchWire>,
    events: Vec<EventWire>,
    #[serde(default)]
    stats: StatsWire,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    real: Option<bool>,
}

fn wire(tr: &WindowTracking, n: Option<usize>, real: Option<bool>) -> WindowWire {
    WindowWire {
        method: match tr.target {
            Target::Nearest(_) => "nearest",
            Target::LargestReal => "largest_real",
        }
        .to_string(),
        k: tr.k,
        sigma: ComplexWire {
            re: Num(tr.sigma.re),
            im: Num(tr.sigma.im),
        },
        n,
        samples: nums(&tr.samples),
        branches: tr.branches.iter().map(BranchWire::from).collect(),
        events: tr.events.iter().map(EventWire::from).collect(),
        stats: StatsWire::from(&tr.stats),
        real,
    }
}

fn unwire(w: WindowWire) -> Result<(WindowTracking, Option<usize>, Option<bool>), String> {
    let sigma = Complex64::new(w.sigma.re.0, w.sigma.im.0);
    let target = match w.method.as_str() {
        "nearest" => Target::Nearest(sigma),
        "largest_real" => Target::LargestReal,
        m => {
            return Err(format!(
                "method: expected \"nearest\" or \"largest_real\", got {m:?}"
            ))
        }
    };
    let samples = floats(w.samples);
    if samples.is_empty() {
        return Err("samples: a windowed track has at least one sample".into());
    }
    let branches = w
        .branches
        .into_iter()
        .enumerate()
        .map(|(k, b)| b.into_branch(k, samples.len()))
        .collect::<Result<Vec<_>, _>>()?;
    let events = w
        .events
        .into_iter()
        .enumerate()
        .map(|(k, e)| e.into_event(k))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(e) = events
        .iter()
        .find(|e| e.branches().iter().any(|&b| b >= branches.len()))
    {
        return Err(format!(
            "event {} at t = {} names a branch beyond the {} branches",
            e.kind(),
            e.t(),
            branches.len()
        ));
    }
    Ok((
        WindowTracking {
            samples,
            k: w.k,
            sigma,
            target,
            branches,
            events,
            stats: w.stats.into(),
        },
        w.n,
        w.real,
    ))
}

impl Serialize for WindowTracking {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        wire(self, None, None).serialize(s)
    }
}

impl<'de> Deserialize<'de> for WindowTracking {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<WindowTracking, D::Error> {
        let w = WindowWire::deserialize(d)?;
        unwire(w).map(|r| r.0).map_err(serde::de::Error::custom)
    }
}

impl Serialize for WindowRecord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        wire(&self.tracking, Some(self.n), Some(self.real)).serialize(s)
    }
}

impl<'de> Deserialize<'de> for WindowRecord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<WindowRecord, D::Error> {
        let w = WindowWire::deserialize(d)?;
        let (tracking, n, real) = unwire(w).map_err(serde::de::Error::custom)?;
        let n = match n {
            Some(n) => n,
            None => return Err(serde::de::Error::missing_field("n")),
        };
        // every kept eigenvector has length n (the getters index by it)
        for (k, b) in tracking.branches.iter().enumerate() {
            if let Some(v) = b.right.iter().flatten().flatten().find(|v| v.len() != n) {
                return Err(serde::de::Error::custom(format!(
                    "branches[{k}]: an eigenvector of length {} for n = {n}",
                    v.len()
                )));
            }
        }
        let real = real.unwrap_or_else(|| {
            tracking
                .branches
                .iter()
                .all(|b| b.values.iter().flatten().all(|v| v.im == 0.0))
        });
        Ok(WindowRecord { tracking, n, real })
    }
}

impl Serialize for WindowEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EventWire::from(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for WindowEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<WindowEvent, D::Error> {
        EventWire::deserialize(d)?
            .into_event(0)
            .map_err(serde::de::Error::custom)
    }
}

impl Serialize for WindowStats {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StatsWire::from(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for WindowStats {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<WindowStats, D::Error> {
        StatsWire::deserialize(d).map(WindowStats::from)
    }
}

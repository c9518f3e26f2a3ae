//! The result of a track: branches on the sample grid, located events, statistics.

use nalgebra::DVector;
use num_complex::Complex64;
use std::fmt;

pub(crate) mod wire;

/// Which part of an eigenvalue a [`Level`] watches (`"re"`, `"im"`, `"abs"` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// Re λ (stability of dx/dt = A x: Re λ = 0).
    Re,
    /// Im λ.
    Im,
    /// |λ| (stability of x_{k+1} = A x_k: |λ| = 1).
    Abs,
}

impl Part {
    /// The part of `z`.
    pub fn of(self, z: Complex64) -> f64 {
        match self {
            Part::Re => z.re,
            Part::Im => z.im,
            Part::Abs => z.norm(),
        }
    }
    /// "re", "im" or "abs".
    pub fn name(self) -> &'static str {
        match self {
            Part::Re => "re",
            Part::Im => "im",
            Part::Abs => "abs",
        }
    }
}

/// A level to watch: an event is reported where `part(λ)` of a branch crosses `value`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Level {
    /// Which part of λ.
    pub part: Part,
    /// The level.
    pub value: f64,
}

/// Something that happens along the track. Crossings and avoided crossings are located on
/// the local models and certified on the true A(t*) (the default
/// [`Resolution::Local`](crate::Resolution::Local)); exceptional points and level events
/// on fresh decompositions.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Two branches meet: |λₐ − λ_b| vanishes at `t` (to the located precision).
    Crossing {
        /// Location.
        t: f64,
        /// The two branches (ascending).
        branches: [usize; 2],
        /// The common eigenvalue λ*.
        value: Complex64,
        /// dλ/dt of each branch at `t`, in the order of `branches`.
        slopes: [Complex64; 2],
    },
    /// Two branches meet without exchanging order (an even-order contact: ±t², a tangency,
    /// a symmetry-forced degeneracy with equal slopes): the certified gap closes at `t`
    /// (below `gap_tol`·scale) but λₐ − λ_b does not change sign. Each branch stays on its
    /// analytic curve and keeps its order.
    Touching {
        /// Location (where the gap is smallest).
        t: f64,
        /// The two branches (ascending).
        branches: [usize; 2],
        /// The common eigenvalue λ*.
        value: Complex64,
        /// dλ/dt of each branch at `t`, in the order of `branches` (equal at a touching).
        slopes: [Complex64; 2],
    },
    /// A local minimum of the gap between two neighbouring branches that stays open, where
    /// their eigenvectors exchange character.
    AvoidedCrossing {
        /// Location of the minimum gap.
        t: f64,
        /// The two branches (ascending).
        branches: [usize; 2],
        /// The minimum gap |λₐ − λ_b|.
        gap: f64,
        /// The midpoint (λₐ + λ_b)/2 at `t`.
        value: Complex64,
        /// Certified interval [g_lo, g_hi] of the true gap at `t` (from the residual of the
        /// local model's Ritz pairs; equal to `gap` where it was read from a decomposition).
        gap_bounds: [f64; 2],
        /// |d(λ_b − λₐ)/dt| of the diabatic states, √(½·d²(g²)/dt²) at `t`: the avoided
        /// crossing is *sharp* (the grid cannot show it) when `gap` < this × sample spacing.
        slope_difference: f64,
    },
    /// Two eigenvalues and their eigenvectors coalesce (a defective eigenvalue, κ → ∞);
    /// for a real matrix this includes the birth or death of a conjugate pair.
    ExceptionalPoint {
        /// Location.
        t: f64,
        /// The two branches (ascending).
        branches: [usize; 2],
        /// The eigenvalue where they meet.
        value: Complex64,
    },
    /// `part(λ)` of a branch crosses a level.
    Level {
        /// Location.
        t: f64,
        /// The branch.
        branch: usize,
        /// The part of λ watched.
        part: Part,
        /// The level.
        level: f64,
        /// λ at `t`.
        value: Complex64,
    },
    /// A step that could not be resolved at the smallest step size: the pairing across
    /// it is the best assignment but not certain.
    Unresolved {
        /// Start of the step.
        t_start: f64,
        /// End of the step.
        t_end: f64,
        /// The branches whose pairing was uncertain.
        branches: Vec<usize>,
    },
}

impl Event {
    /// The location (the start of the step for [`Event::Unresolved`]).
    pub fn t(&self) -> f64 {
        match self {
            Event::Crossing { t, .. }
            | Event::Touching { t, .. }
            | Event::AvoidedCrossing { t, .. }
            | Event::ExceptionalPoint { t, .. }
            | Event::Level { t, .. } => *t,
            Event::Unresolved { t_start, .. } => *t_start,
        }
    }
    /// The branches involved.
    pub fn branches(&self) -> Vec<usize> {
        match self {
            Event::Crossing { branches, .. }
            | Event::Touching { branches, .. }
            | Event::AvoidedCrossing { branches, .. }
            | Event::ExceptionalPoint { branches, .. } => branches.to_vec(),
            Event::Level { branch, .. } => vec![*branch],
            Event::Unresolved { branches, .. } => branches.clone(),
        }
    }
    /// "crossing", "touching", "avoided_crossing", "exceptional_point", "level" or
    /// "unresolved".
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Crossing { .. } => "crossing",
            Event::Touching { .. } => "touching",
            Event::AvoidedCrossing { .. } => "avoided_crossing",
            Event::ExceptionalPoint { .. } => "exceptional_point",
            Event::Level { .. } => "level",
            Event::Unresolved { .. } => "unresolved",
        }
    }
    /// The eigenvalue at the event (None for [`Event::Unresolved`]).
    pub fn value(&self) -> Option<Complex64> {
        match self {
            Event::Crossing { value, .. }
            | Event::Touching { value, .. }
            | Event::AvoidedCrossing { value, .. }
            | Event::ExceptionalPoint { value, .. }
            | Event::Level { value, .. } => Some(*value),
            Event::Unresolved { .. } => None,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Crossing {
                t,
                branches,
                value,
                slopes,
            } => write!(
                f,
                "crossing           t = {t:<+.10}  branches {} & {}  λ = {}  slopes {} / {}",
                branches[0],
                branches[1],
                fmt_c(*value),
                fmt_c(slopes[0]),
                fmt_c(slopes[1])
            ),
            Event::Touching {
                t, branches, value, ..
            } => write!(
                f,
                "touching           t = {t:<+.10}  branches {} & {}  λ = {}",
                branches[0],
                branches[1],
                fmt_c(*value)
            ),
            Event::AvoidedCrossing {
                t,
                branches,
                gap,
                value,
                ..
            } => write!(
                f,
                "avoided crossing   t = {t:<+.10}  branches {} & {}  gap = {gap:.6e}  λ ≈ {}",
                branches[0],
                branches[1],
                fmt_c(*value)
            ),
            Event::ExceptionalPoint { t, branches, value } => write!(
                f,
                "exceptional point  t = {t:<+.10}  branches {} & {}  λ = {}",
                branches[0],
                branches[1],
                fmt_c(*value)
            ),
            Event::Level {
                t,
                branch,
                part,
                level,
                value,
            } => write!(
                f,
                "level {}(λ) = {level:<6} t = {t:<+.10}  branch {branch}  λ = {}",
                part.name(),
                fmt_c(*value)
            ),
            Event::Unresolved {
                t_start,
                t_end,
                branches,
            } => write!(
                f,
                "unresolved step    t ∈ [{t_start:+.10}, {t_end:+.10}]  branches {branches:?}"
            ),
        }
    }
}

fn fmt_c(z: Complex64) -> String {
    if z.im == 0.0 {
        format!("{:+.8}", z.re)
    } else {
        format!("{:+.8}{:+.8}i", z.re, z.im)
    }
}

/// One eigenvalue followed along t: values and derivatives at every sample.
#[derive(Debug, Clone)]
pub struct Branch {
    pub(crate) values: Vec<Complex64>,
    pub(crate) slopes: Vec<Complex64>,
    pub(crate) curvatures: Vec<Complex64>,
    pub(crate) condition: Vec<f64>,
    pub(crate) right: Option<Vec<DVector<Complex64>>>,
    pub(crate) left: Option<Vec<DVector<Complex64>>>,
}

impl Branch {
    /// A branch from its parts, e.g. to rebuild a [`Tracking`] that was serialised
    /// (the Python package pickles results this way). `curvatures` may be empty (a track
    /// without curvatures); the vectors, when given, have one entry per sample.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when the lengths differ.
    pub fn from_parts(
        values: Vec<Complex64>,
        slopes: Vec<Complex64>,
        curvatures: Vec<Complex64>,
        condition: Vec<f64>,
        right: Option<Vec<DVector<Complex64>>>,
        left: Option<Vec<DVector<Complex64>>>,
    ) -> crate::Result<Branch> {
        let m = values.len();
        let bad = slopes.len() != m
            || (!curvatures.is_empty() && curvatures.len() != m)
            || condition.len() != m
            || right.as_ref().is_some_and(|r| r.len() != m)
            || left.as_ref().is_some_and(|l| l.len() != m);
        if bad {
            return Err(crate::Error::InvalidArgument {
                name: "branch",
                reason: format!(
                    "{m} values, {} slopes, {} curvatures, {} condition numbers, {:?} right and {:?} left vectors",
                    slopes.len(),
                    curvatures.len(),
                    condition.len(),
                    right.as_ref().map(Vec::len),
                    left.as_ref().map(Vec::len)
                ),
            });
        }
        Ok(Branch {
            values,
            slopes,
            curvatures,
            condition,
            right,
            left,
        })
    }
    /// λ at each sample.
    pub fn values(&self) -> &[Complex64] {
        &self.values
    }
    /// dλ/dt at each sample (yᴴA′x; at a degenerate sample the analytic slope of this
    /// branch from the rotated cluster basis).
    pub fn slopes(&self) -> &[Complex64] {
        &self.slopes
    }
    /// d²λ/dt² at each sample (second-order perturbation formula); empty when the
    /// tracker was built with `curvatures(false)`.
    pub fn curvatures(&self) -> &[Complex64] {
        &self.curvatures
    }
    /// Eigenvalue condition number κ at each sample.
    pub fn condition(&self) -> &[f64] {
        &self.condition
    }
    /// Unit right eigenvectors at each sample (gauge: parallel transport along the
    /// branch), when the tracker kept them.
    pub fn right_vectors(&self) -> Option<&[DVector<Complex64>]> {
        self.right.as_deref()
    }
    /// Left eigenvectors at each sample (yᴴx = 1), when the tracker kept them.
    pub fn left_vectors(&self) -> Option<&[DVector<Complex64>]> {
        self.left.as_deref()
    }
}

/// Counts and timings of a track (serialised with these field names; a missing field
/// reads as 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Stats {
    /// Eigen-decompositions, including those for locating events.
    pub decompositions: usize,
    /// The work budget of the track, in decompositions
    /// ([`Tracker::max_decompositions`](crate::Tracker::max_decompositions); default 64
    /// per sample + 1024).
    pub budget: usize,
    /// The work spent against the budget: `decompositions` plus 1/8 for each evaluation
    /// of A(t) or A′(t) alone (the local certificates), rounded down.
    pub budget_used: usize,
    /// Accepted steps.
    pub accepted_steps: usize,
    /// Rejected (halved) steps.
    pub rejected_steps: usize,
    /// Steps accepted at the smallest step size without a certain pairing.
    pub unresolved_steps: usize,
    /// Decompositions spent confirming crossings on the
    /// [`Resolution::Refine`](crate::Resolution::Refine) path (included in
    /// `decompositions`; 0 under the default local resolution).
    pub crossing_checks: usize,
    /// Local models built: questions about a few branches answered in O(n²k) instead of
    /// fresh decompositions (see the crate docs).
    pub local_models: usize,
    /// Evaluations of A(t) spent certifying the local answers.
    pub certificate_evaluations: usize,
    /// Steps halved because a local certificate failed (a fresh decomposition each).
    pub fallbacks: usize,
    /// Avoided crossings seen, reported as events or not (by default only the sharp ones
    /// are reported: see [`Tracker::avoided_gap_max`](crate::Tracker::avoided_gap_max)).
    pub avoided_crossings: usize,
    /// Wall time of the whole track, seconds.
    pub seconds: f64,
    /// Wall time inside the eigen-decompositions, seconds.
    pub decomposition_seconds: f64,
    /// Wall time computing slopes, curvatures and cluster bases, seconds.
    pub analysis_seconds: f64,
    /// Wall time pairing eigenpairs between steps, seconds.
    pub matching_seconds: f64,
    /// Wall time detecting events (their locating decompositions included), seconds.
    pub event_seconds: f64,
    /// Wall time in the local models and their certificates, seconds.
    pub local_seconds: f64,
}

/// The result of [`track`](crate::track): branches on the sample grid, events, statistics.
///
/// Branch k is the eigenpair k, in ascending (Re, Im) order, at the first sample.
#[derive(Debug, Clone)]
pub struct Tracking {
    pub(crate) samples: Vec<f64>,
    pub(crate) branches: Vec<Branch>,
    pub(crate) events: Vec<Event>,
    pub(crate) stats: Stats,
    pub(crate) real: bool,
}

impl Tracking {
    /// A tracking from its parts, e.g. to rebuild one that was serialised (the Python
    /// package pickles results this way): the sample grid, the branches (each with one
    /// entry per sample), the events, the statistics and whether A(t) was real.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when a branch's length
    /// is not the number of samples or an event names a branch that does not exist.
    pub fn from_parts(
        samples: Vec<f64>,
        branches: Vec<Branch>,
        events: Vec<Event>,
        stats: Stats,
        real: bool,
    ) -> crate::Result<Tracking> {
        let invalid = |reason: String| crate::Error::InvalidArgument {
            name: "tracking",
            reason,
        };
        if let Some(k) = branches
            .iter()
            .position(|b| b.values.len() != samples.len())
        {
            return Err(invalid(format!(
                "branch {k} has {} values for {} samples",
                branches[k].values.len(),
                samples.len()
            )));
        }
        if let Some(e) = events
            .iter()
            .find(|e| e.branches().iter().any(|&b| b >= branches.len()))
        {
            return Err(invalid(format!(
                "event {} at t = {} names a branch beyond the {} branches",
                e.kind(),
                e.t(),
                branches.len()
            )));
        }
        Ok(Tracking {
            samples,
            branches,
            events,
            stats,
            real,
        })
    }
    /// The sample grid.
    pub fn samples(&self) -> &[f64] {
        &self.samples
    }
    /// The branches.
    pub fn branches(&self) -> &[Branch] {
        &self.branches
    }
    /// Located events, in the order of t along the track.
    pub fn events(&self) -> &[Event] {
        &self.events
    }
    /// Counts and timings.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    /// Whether A(t) was real (eigenvalues in exact conjugate pairs).
    pub fn is_real(&self) -> bool {
        self.real
    }
    /// Whether any branch has a non-zero imaginary part somewhere.
    pub fn is_complex(&self) -> bool {
        self.branches
            .iter()
            .any(|b| b.values.iter().any(|v| v.im != 0.0))
    }
    /// What a solver's sorted output would show: at each sample the eigenvalues (and the
    /// slopes with them) in ascending (Re, Im) order. `sorted()[k][i]` is the k-th
    /// smallest eigenvalue at sample i with its slope.
    pub fn sorted(&self) -> Vec<Vec<(Complex64, Complex64)>> {
        let m = self.branches.len();
        let mut out = vec![Vec::with_capacity(self.samples.len()); m];
        for i in 0..self.samples.len() {
            let vals: Vec<Complex64> = self.branches.iter().map(|b| b.values[i]).collect();
            let scale = vals.iter().map(|v| v.norm()).fold(0.0, f64::max);
            let order = crate::eigen::canonical_order(&vals, 1e-12 * scale);
            for (k, &b) in order.iter().enumerate() {
                out[k].push((vals[b], self.branches[b].slopes[i]));
            }
        }
        out
    }

    /// The result as JSON in the format of the command-line tool (its serde model; see
    /// [`Tracking::from_json`] for the layout):
    /// `{"samples": [...], "branches": [{"re", "im", "slope_re", "slope_im", "curv_re",
    /// "curv_im", "cond"}], "events": [{"kind", "t", "branches", "re", "im", ...}],
    /// "stats": {...}, "real": bool}`, with `"right"`/`"left"` in each branch when the
    /// vectors were kept. NaN is written as `null`, ±∞ as `"inf"`/`"-inf"`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// A tracking read back from the JSON that [`to_json`](Self::to_json) (or the
    /// command-line tool) writes: the same samples, branches (eigenvectors included),
    /// events and statistics, bit for bit.
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// let tr = eigentrack::track(|t: f64| DMatrix::from_row_slice(2, 2, &[t, 0.1, 0.1, -t]), -1.0..=1.0)?;
    /// let text = tr.to_json().to_string();
    /// let back = eigentrack::Tracking::from_json(&text)?;
    /// assert_eq!(back.branches()[0].values(), tr.branches()[0].values());
    /// assert_eq!(back.events(), tr.events());
    /// # Ok::<(), eigentrack::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) (named `json`) for text
    /// that is not this JSON, with serde's line and column.
    pub fn from_json(text: &str) -> crate::Result<Tracking> {
        serde_json::from_str(text).map_err(|e| crate::Error::InvalidArgument {
            name: "json",
            reason: e.to_string(),
        })
    }

    /// The branches as long-format CSV with the header `t,branch,re,im,slope_re,slope_im`.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("t,branch,re,im,slope_re,slope_im\n");
        for (i, t) in self.samples.iter().enumerate() {
            for (k, b) in self.branches.iter().enumerate() {
                let (v, s) = (b.values[i], b.slopes[i]);
                out.push_str(&format!("{t},{k},{},{},{},{}\n", v.re, v.im, s.re, s.im));
            }
        }
        out
    }
}

impl fmt::Display for Tracking {
    /// A summary: the grid, each branch at both ends, the events, the statistics.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (t0, t1) = (
            self.samples[0],
            *self.samples.last().unwrap_or(&self.samples[0]),
        );
        writeln!(
            f,
            "{} branches over t ∈ [{t0}, {t1}], {} samples",
            self.branches.len(),
            self.samples.len()
        )?;
        writeln!(
            f,
            "{:>6}  {:>26}  {:>26}  {:>14}  {:>14}",
            "branch", "λ(first)", "λ(last)", "dλ/dt(first)", "dλ/dt(last)"
        )?;
        for (k, b) in self.branches.iter().enumerate() {
            let last = b.values.len() - 1;
            writeln!(
                f,
                "{k:>6}  {:>26}  {:>26}  {:>14.6}  {:>14.6}",
                fmt_c(b.values[0]),
                fmt_c(b.values[last]),
                b.slopes[0].re,
                b.slopes[last].re
            )?;
        }
        writeln!(f, "{} events", self.events.len())?;
        for e in &self.events {
            writeln!(f, "  {e}")?;
        }
        let s = &self.stats;
        write!(
            f,
            "{} decompositions, {} accepted and {} rejected steps, {} unresolved, {:.3} s ({:.0}% in decompositions)",
            s.decompositions,
            s.accepted_steps,
            s.rejected_steps,
            s.unresolved_steps,
            s.seconds,
            100.0 * s.decomposition_seconds / s.seconds.max(1e-300)
        )
    }
}

//! Detecting events between accepted steps and locating them on fresh decompositions.
//!
//! Under the default local resolution the crossings and avoided crossings of a step come
//! with its local answers (module `local`, passed in as its `Outcome`), and the rules for
//! them below apply only to what the local models did not see; under `Resolution::Refine`
//! they apply to every step.
//!
//! Between two accepted steps, with branches in the same order on both sides:
//!
//! * **level**: `part(λ) − level` changes sign on a branch; located by safeguarded Newton
//!   on that function (its derivative from the exact slope);
//! * **meeting on samples**: a pair whose gap is at resolution (≤ gap_tol·‖A‖) on one or
//!   more consecutive samples is decided when it parts: a crossing if its order changed,
//!   a touching if not, placed on the sample of its smallest gap (`resolve::Meetings`);
//!   a group within its error bars at both ends (√gap_tol·‖A‖ for a defective one: a
//!   Jordan block for an interval) has no event between its members;
//! * **crossing**: two branches with equal imaginary parts exchange the order of their
//!   real parts; located by safeguarded Newton on Re(λₐ − λ_b). Where the pair has κ ≥ 10³ there it is reported as an exceptional
//!   point instead, and where the gap does not close there (an avoided crossing narrower
//!   than h_min, jumped by an unresolved step) it goes to the avoided-crossing rule below;
//! * **exceptional point**: a real pair of a real matrix becomes a conjugate pair or the
//!   reverse, or an unresolvable step where two coalescing eigenvalues have κ ≥ 10³;
//!   located by regula falsi on Re((λₐ − λ_b)²), which is analytic through the point;
//! * **avoided crossing**: between nearest neighbours, φ = Re[(λₐ − λ_b)·conj(λₐ′ − λ_b′)]
//!   goes from negative to positive (the gap has a minimum); located by safeguarded Newton
//!   on φ. A minimum whose gap is below gap_tol·‖A‖ is a meeting (module `resolve`). Otherwise
//!   it is an avoided crossing when both eigenvalues are real there and the two-level
//!   coupling explains the curvature of the gap: |4 c_ab c_ba / (λ_b − λₐ)| ≥ ½ |λ_b″ − λₐ″| with c_ab = y_bᴴ A′ xₐ (eigenvectors
//!   exchange character), and is otherwise not reported.
//!
//! Locations are converged to |Δt| ≤ 1e-13 · |b − a| (or to the last representable step).

use crate::error::Result;
use crate::linalg::{cabs, cdist, cdiv};
use crate::local::Outcome;
use crate::matching::{self, MatchParams};
use crate::perturb::{Derivs, Point};
use crate::resolve::{self, Contact, Meetings};
use crate::tracking::{Branch, Event, Level, Part};

/// Fresh decompositions, lent by the step controller to locate events (the module does
/// not depend on the tracker).
pub(crate) trait Decompose {
    /// Decompose A(t) and analyse it with the derivatives `derivs` asks for.
    fn point(&mut self, t: f64, derivs: Derivs) -> Result<Point>;
    /// |b − a| of the track.
    fn span(&self) -> f64;
}
use num_complex::Complex64;

/// Condition number above which an unresolvable coalescence is an exceptional point.
const EP_CONDITION: f64 = 1e3;

/// What is kept of the sample where a meeting on samples came closest.
#[derive(Debug, Clone)]
struct SampleMeeting {
    t: f64,
    value: Complex64,
    slopes: [Complex64; 2],
    kappa: f64,
}

pub(crate) struct EventScan {
    levels: Vec<Level>,
    /// The crossing tolerance of local resolution (relative to ‖A‖_F); None: the
    /// refinement rule, every avoided crossing reported.
    gap_tol: Option<f64>,
    /// The one crossing tolerance (relative to the scale): what decides every meeting.
    meet_tol: f64,
    /// Pairs that meet on samples, decided when they part.
    meetings: Meetings<SampleMeeting>,
    avoided_gap_max: f64,
    span: f64,
    events: Vec<Event>,
    /// Avoided crossings seen by the scan (not by the local models), reported or not.
    pub avoided_seen: usize,
    /// Sample spacing of the current step (sharp avoided crossings are narrower than
    /// |Δslope| × spacing).
    pub spacing: f64,
}

/// A branch-ordered fresh point at `t` (slopes, no curvatures), paired against `base`.
fn fresh(ctx: &mut dyn Decompose, base: &Point, t: f64) -> Result<Point> {
    let p = ctx.point(t, Derivs::Slopes)?;
    let params = MatchParams {
        min_overlap: 0.5,
        prediction_ratio: 0.5,
    };
    let pairing = matching::pair(base, &p, &params);
    Ok(matching::apply(base, p, &pairing.perm, false))
}

/// Find a root of `f` in [s0.t, s1.t] where `f(s0)` and `f(s1)` have opposite signs (or
/// `f(s1) = 0`). `f` returns the value and, when it has one, the derivative.
///
/// The first guess is the root of the cubic Hermite interpolant when both end
/// derivatives are known (error O(h⁴)), of the chord otherwise; then Newton from the last
/// point, or the secant through the last two, as long as they stay inside the bracket,
/// with the Illinois step and bisection as fallbacks. Stops when the bracket or the last
/// correction is below 1e-13·|b − a|.
fn locate(
    ctx: &mut dyn Decompose,
    s0: &Point,
    s1: &Point,
    f: impl Fn(&Point) -> (f64, Option<f64>),
) -> Result<Point> {
    let (mut fa, da) = f(s0);
    let (mut fb, db) = f(s1);
    if fb == 0.0 {
        return Ok(s1.clone());
    }
    if fa == 0.0 {
        return Ok(s0.clone());
    }
    let (mut ta, mut tb) = (s0.t, s1.t);
    let tol = (1e-13 * ctx.span()).max(4.0 * f64::EPSILON * ta.abs().max(tb.abs()));
    let inside = |t: f64, a: f64, b: f64| t.is_finite() && t > a.min(b) && t < a.max(b);
    // first guess
    let chord = (ta * fb - tb * fa) / (fb - fa);
    let mut guess = match (da, db) {
        (Some(d0), Some(d1)) if d0.is_finite() && d1.is_finite() => {
            hermite_root(ta, tb, fa, fb, d0, d1).filter(|t| inside(*t, ta, tb))
        }
        _ => None,
    }
    .unwrap_or(chord);
    // the last two evaluated points, for Newton and the secant
    let mut last: Option<(f64, f64, Option<f64>)> = None;
    let mut best: Option<(Point, f64)> = None;
    let mut side = 0i8;
    for iter in 0..60 {
        if (tb - ta).abs() <= tol {
            break;
        }
        let mut t = guess;
        if !inside(t, ta, tb) || iter % 6 == 5 {
            t = 0.5 * (ta + tb);
        }
        let p = fresh(ctx, s0, t)?;
        let (ft, dt) = f(&p);
        if !ft.is_finite() {
            break;
        }
        if (ft < 0.0) == (fa < 0.0) {
            ta = t;
            fa = ft;
            if side == -1 {
                fb *= 0.5;
            }
            side = -1;
        } else {
            tb = t;
            fb = ft;
            if side == 1 {
                fa *= 0.5;
            }
            side = 1;
        }
        let correction = last.map_or(f64::INFINITY, |(lt, _, _)| (t - lt).abs());
        if best.as_ref().is_none_or(|(_, bf)| ft.abs() <= bf.abs()) {
            best = Some((p, ft));
        }
        if ft == 0.0 || correction <= tol {
            break;
        }
        let prev = last.map(|(lt, lf, _)| (lt, lf));
        last = Some((t, ft, dt));
        // next guess: Newton, else the secant, else Illinois
        let newton = dt
            .filter(|d| *d != 0.0 && d.is_finite())
            .map(|d| t - ft / d);
        let secant = prev.and_then(|(pt, pf)| (pf != ft).then(|| t - ft * (t - pt) / (ft - pf)));
        let illinois = (ta * fb - tb * fa) / (fb - fa);
        guess = [newton, secant, Some(illinois)]
            .into_iter()
            .flatten()
            .find(|g| inside(*g, ta, tb))
            .unwrap_or(0.5 * (ta + tb));
    }
    Ok(match best {
        Some((p, _)) => p,
        None if fa.abs() < fb.abs() => s0.clone(),
        None => s1.clone(),
    })
}

/// Fresh points spent at most on confirming one crossing.
const CONFIRM_POINTS: usize = 3;

/// The first pair of branches whose real parts exchange order over the accepted-looking
/// step s0 → s1 (branch order on both) with equal imaginary parts at both ends, and whose
/// crossing is not confirmed: a few Newton steps on Re(λₐ − λ_b) with the exact slopes
/// (from the root of the cubic Hermite interpolant, on fresh decompositions) must reach
/// |λₐ − λ_b| ≤ gap_tol × ‖A‖ (the one crossing tolerance, module `resolve`).
///
/// From the two ends alone a step that jumps over an avoided crossing narrower than the
/// step looks exactly like a crossing (values, slopes and eigenvector overlaps all follow
/// the diabatic states); only inside the step does the gap tell them apart. A genuine
/// crossing is confirmed in one to three decompositions (the Hermite guess is O(h⁴)
/// accurate and Newton converges quadratically); a gap that stays open is reported here,
/// and the tracker halves the step until the avoided crossing is resolved.
pub(crate) fn unconfirmed_swap(
    ctx: &mut dyn Decompose,
    s0: &Point,
    s1: &Point,
    gap_tol: f64,
) -> Result<Option<(usize, usize)>> {
    let n = s0.len();
    let (tol0, tol1) = (1e-12 * s0.scale, 1e-12 * s1.scale);
    // candidates: the pairs a before b in the order of Re at s0 with Re λa > Re λb at s1,
    // found by inserting the branches in s0 order into a list sorted by Re at s1 (the
    // earlier ones behind each insertion point are its inversions): O(n log n) plus the
    // pairs, not a scan of all n²/2 pairs
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| s0.values[a].re.total_cmp(&s0.values[b].re));
    let re1 = |i: usize| s1.values[i].re;
    let mut by_re1: Vec<usize> = Vec::with_capacity(n);
    for &b in &order {
        let at = by_re1.partition_point(|&a| re1(a) <= re1(b));
        by_re1.insert(at, b);
        for &a in &by_re1[at + 1..] {
            let (va0, vb0, va1, vb1) = (s0.values[a], s0.values[b], s1.values[a], s1.values[b]);
            if s1.cluster[a] == s1.cluster[b] || s0.cluster[a] == s0.cluster[b] {
                continue;
            }
            let same_im = (va0.im - vb0.im).abs() <= tol0 && (va1.im - vb1.im).abs() <= tol1;
            let defective = [s0, s1].iter().any(|p| p.defective[a] || p.defective[b]);
            if !same_im || defective {
                continue;
            }
            if !confirm_crossing(ctx, s0, s1, a, b, gap_tol)? {
                return Ok(Some((a, b)));
            }
        }
    }
    Ok(None)
}

/// Whether branches a and b cross between s0 and s1 (see [`unconfirmed_swap`]).
fn confirm_crossing(
    ctx: &mut dyn Decompose,
    s0: &Point,
    s1: &Point,
    a: usize,
    b: usize,
    gap_tol: f64,
) -> Result<bool> {
    // at fresh points only branches a and b are needed: find them by `pair_rows` and
    // read them in place
    let f = |p: &Point, ia: usize, ib: usize| (p.values[ia] - p.values[ib]).re;
    let df = |p: &Point, ia: usize, ib: usize| (p.slope(ia) - p.slope(ib)).re;
    let (mut ta, mut tb) = (s0.t, s1.t);
    let (fa, fb) = (f(s0, a, b), f(s1, a, b));
    let inside = |t: f64, lo: f64, hi: f64| t.is_finite() && t > lo.min(hi) && t < lo.max(hi);
    let chord = (ta * fb - tb * fa) / (fb - fa);
    let mut guess = hermite_root(ta, tb, fa, fb, df(s0, a, b), df(s1, a, b))
        .filter(|t| inside(*t, ta, tb))
        .unwrap_or(chord);
    for _ in 0..CONFIRM_POINTS {
        if !inside(guess, ta, tb) {
            guess = 0.5 * (ta + tb);
        }
        let p = ctx.point(guess, Derivs::Deferred)?;
        let Some(rows) = matching::pair_rows(s0, &p, &[a, b]) else {
            return Ok(false);
        };
        let (ia, ib) = (rows[0], rows[1]);
        if (p.values[ia] - p.values[ib]).norm() <= resolve::resolution(gap_tol, p.scale) {
            return Ok(true);
        }
        let ft = f(&p, ia, ib);
        if (ft < 0.0) == (fa < 0.0) {
            ta = p.t;
        } else {
            tb = p.t;
        }
        let d = df(&p, ia, ib);
        guess = if d != 0.0 && d.is_finite() {
            p.t - ft / d
        } else {
            0.5 * (ta + tb)
        };
    }
    Ok(false)
}

/// The root in (t0, t1) of the cubic Hermite interpolant of (f0, d0) at t0 and (f1, d1)
/// at t1, by bisection on the cubic (no decompositions); None without a sign change.
fn hermite_root(t0: f64, t1: f64, f0: f64, f1: f64, d0: f64, d1: f64) -> Option<f64> {
    let h = t1 - t0;
    let cubic = |s: f64| {
        let w = crate::local::hermite_weights(s);
        w[0] * f0 + w[1] * h * d0 + w[2] * f1 + w[3] * h * d1
    };
    if (f0 < 0.0) == (f1 < 0.0) {
        return None;
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..60 {
        let m = 0.5 * (lo + hi);
        if (cubic(m) < 0.0) == (f0 < 0.0) {
            lo = m;
        } else {
            hi = m;
        }
    }
    Some(t0 + h * 0.5 * (lo + hi))
}

/// Distance from 0 to the segment from `p` to `q` in the complex plane.
fn segment_distance(p: Complex64, q: Complex64) -> f64 {
    let d = q - p;
    let len2 = d.norm_sqr();
    if len2 == 0.0 {
        return p.norm();
    }
    let s = (-(p.conj() * d).re / len2).clamp(0.0, 1.0);
    (p + d * s).norm()
}

/// Re((λₐ − λ_b)²) in units of ‖A‖²: positive for a real pair, negative for a
/// conjugate pair, analytic through an exceptional point.
fn pair_square(p: &Point, a: usize, b: usize) -> f64 {
    let d = (p.values[a] - p.values[b]) / p.scale.max(f64::MIN_POSITIVE);
    (d * d).re
}

fn mid(p: &Point, a: usize, b: usize) -> Complex64 {
    (p.values[a] + p.values[b]) * 0.5
}

fn part_slope(part: Part, z: Complex64, dz: Complex64) -> f64 {
    match part {
        Part::Re => dz.re,
        Part::Im => dz.im,
        Part::Abs => {
            let r = z.norm();
            if r > 0.0 {
                (z.conj() * dz).re / r
            } else {
                dz.norm()
            }
        }
    }
}

fn nearest_neighbours(p: &Point) -> Vec<usize> {
    let n = p.len();
    (0..n)
        .map(|a| {
            (0..n)
                .filter(|&b| b != a)
                .min_by(|&x, &y| {
                    cdist(p.values[x], p.values[a]).total_cmp(&cdist(p.values[y], p.values[a]))
                })
                .unwrap_or(a)
        })
        .collect()
}

impl EventScan {
    pub fn new(
        levels: Vec<Level>,
        gap_tol: Option<f64>,
        meet_tol: f64,
        avoided_gap_max: f64,
        span: f64,
    ) -> Self {
        EventScan {
            levels,
            gap_tol,
            meet_tol,
            meetings: Meetings::default(),
            avoided_gap_max,
            span,
            events: Vec::new(),
            avoided_seen: 0,
            spacing: span,
        }
    }

    /// The events, without repeats: one exceptional point per pair within 1e-9·|b − a|.
    pub fn finish(self) -> Vec<Event> {
        let close = 1e-9 * self.span;
        let mut out: Vec<Event> = Vec::with_capacity(self.events.len());
        for e in self.events {
            let repeat = matches!(e, Event::ExceptionalPoint { .. })
                && out.iter().any(|o| {
                    matches!(o, Event::ExceptionalPoint { .. })
                        && o.branches() == e.branches()
                        && (o.t() - e.t()).abs() <= close
                });
            if !repeat {
                out.push(e);
            }
        }
        out
    }

    /// Record an uncertain step as [`Event::Unresolved`] without locating anything.
    pub fn unresolved_only(&mut self, s0: &Point, s1: &Point, uncertain: &[usize]) {
        self.events.push(Event::Unresolved {
            t_start: s0.t,
            t_end: s1.t,
            branches: uncertain.to_vec(),
        });
    }

    /// A crossing, or an exceptional point when the pair is ill-conditioned there.
    fn crossing(&mut self, p: &Point, a: usize, b: usize) {
        let event = if p.kappa[a].max(p.kappa[b]) >= EP_CONDITION {
            Event::ExceptionalPoint {
                t: p.t,
                branches: [a, b],
                value: mid(p, a, b),
            }
        } else {
            Event::Crossing {
                t: p.t,
                branches: [a, b],
                value: mid(p, a, b),
                slopes: [p.slopes[a], p.slopes[b]],
            }
        };
        self.events.push(event);
    }

    /// A meeting on samples, decided as the pair parted.
    fn sample_meeting(&mut self, contact: Contact, m: SampleMeeting, a: usize, b: usize) {
        self.events.push(if m.kappa >= EP_CONDITION {
            Event::ExceptionalPoint {
                t: m.t,
                branches: [a, b],
                value: m.value,
            }
        } else if contact == Contact::Crossing {
            Event::Crossing {
                t: m.t,
                branches: [a, b],
                value: m.value,
                slopes: m.slopes,
            }
        } else {
            Event::Touching {
                t: m.t,
                branches: [a, b],
                value: m.value,
                slopes: m.slopes,
            }
        });
    }

    /// Scan the accepted step s0 → s1 (branch order on both), `uncertain` the branches
    /// whose pairing was not certain (a step at h_min).
    pub fn step(
        &mut self,
        ctx: &mut dyn Decompose,
        s0: &Point,
        s1: &Point,
        uncertain: &[usize],
        local: Outcome,
    ) -> Result<()> {
        self.levels_step(ctx, s0, s1)?;
        let handled = local.pairs;
        self.events.extend(local.events);
        let n = s0.len();
        let tol_im = |p: &Point| 1e-12 * p.scale;
        let nn0 = nearest_neighbours(s0);
        let nn1 = nearest_neighbours(s1);
        let mut ep_pairs: Vec<(usize, usize)> = Vec::new();
        let (tol0, tol1) = (
            resolve::resolution(self.meet_tol, s0.scale),
            resolve::resolution(self.meet_tol, s1.scale),
        );
        let (jordan0, jordan1) = (
            resolve::jordan_resolution(self.meet_tol, s0.scale),
            resolve::jordan_resolution(self.meet_tol, s1.scale),
        );
        for a in 0..n {
            for b in a + 1..n {
                let (va0, vb0, va1, vb1) = (s0.values[a], s0.values[b], s1.values[a], s1.values[b]);
                let (d0, d1) = (va0 - vb0, va1 - vb1);
                // a group within its error bars at both ends (a Jordan block for an
                // interval, as rigid-body modes are; a multiplet): nothing between its
                // members, whatever the rounding
                let defective = [s0, s1].iter().any(|p| p.defective[a] || p.defective[b]);
                let bar = if defective {
                    [jordan0, jordan1]
                } else {
                    [tol0, tol1]
                };
                if d0.norm() <= bar[0]
                    && d1.norm() <= bar[1]
                    && !self.meetings.is_open((a, b))
                    && (defective || s0.cluster[a] == s0.cluster[b])
                {
                    continue;
                }
                if s1.cluster[a] == s1.cluster[b] && s1.defective[a] {
                    if s0.cluster[a] != s0.cluster[b] {
                        self.events.push(Event::ExceptionalPoint {
                            t: s1.t,
                            branches: [a, b],
                            value: mid(s1, a, b),
                        });
                        ep_pairs.push((a, b));
                    }
                    continue;
                }
                // a meeting on a sample (the gap at resolution there): decided when the
                // pair parts, from its order before and after
                if !defective {
                    let at = || SampleMeeting {
                        t: s1.t,
                        value: mid(s1, a, b),
                        slopes: [s1.slopes[a], s1.slopes[b]],
                        kappa: s1.kappa[a].max(s1.kappa[b]),
                    };
                    match self.meetings.step((a, b), [d0, d1], [tol0, tol1], at) {
                        resolve::Step::Free => {}
                        resolve::Step::Met => continue,
                        resolve::Step::Parted(contact, m) => {
                            self.sample_meeting(contact, m, a, b);
                            continue;
                        }
                    }
                }
                if s0.cluster[a] == s0.cluster[b] && s1.cluster[a] == s1.cluster[b] {
                    continue;
                }
                // birth or death of a conjugate pair of a real matrix
                let real0 = va0.im == 0.0 && vb0.im == 0.0;
                let real1 = va1.im == 0.0 && vb1.im == 0.0;
                let conj0 = va0.im != 0.0 && va0 == vb0.conj();
                let conj1 = va1.im != 0.0 && va1 == vb1.conj();
                if (real0 && conj1) || (conj0 && real1) {
                    let p = locate(ctx, s0, s1, |p| (pair_square(p, a, b), None))?;
                    self.events.push(Event::ExceptionalPoint {
                        t: p.t,
                        branches: [a, b],
                        value: mid(&p, a, b),
                    });
                    ep_pairs.push((a, b));
                    continue;
                }
                let same_im =
                    (va0.im - vb0.im).abs() <= tol_im(s0) && (va1.im - vb1.im).abs() <= tol_im(s1);
                let (d0, d1) = (d0.re, d1.re);
                if same_im && (d0 < 0.0) != (d1 < 0.0) && !handled.contains(&(a, b)) {
                    let p = locate(ctx, s0, s1, |p| {
                        (
                            (p.values[a] - p.values[b]).re,
                            Some((p.slopes[a] - p.slopes[b]).re),
                        )
                    })?;
                    // a crossing only if the gap closes there (the order also flips
                    // across an avoided crossing narrower than h_min, an unresolved step)
                    self.gap_minimum(&p, a, b, Contact::Crossing);
                    continue;
                }
                let neighbours = nn0[a] == b || nn0[b] == a || nn1[a] == b || nn1[b] == a;
                if !neighbours || handled.contains(&(a, b)) {
                    continue;
                }
                // φ′ needs the curvatures: only where they were computed
                // (in units of ‖A‖, so that products neither overflow nor underflow)
                let phi = |p: &Point| -> (f64, Option<f64>) {
                    let s = 1.0 / p.scale.max(f64::MIN_POSITIVE);
                    let d = (p.values[a] - p.values[b]) * s;
                    let dd = (p.slopes[a] - p.slopes[b]) * s;
                    let ddd = (p.curv[a] - p.curv[b]) * s;
                    let derivative = dd.norm_sqr() + (d * ddd.conj()).re;
                    ((d * dd.conj()).re, p.curv_exact.then_some(derivative))
                };
                // a gap minimum matters between real eigenvalues (an avoided crossing) or
                // where complex ones may touch (the straight segment between the two
                // differences passes within 1e-6·‖A‖ of zero)
                let both_real = va0.im.abs() <= tol_im(s0)
                    && vb0.im.abs() <= tol_im(s0)
                    && va1.im.abs() <= tol_im(s1)
                    && vb1.im.abs() <= tol_im(s1);
                let may_touch =
                    segment_distance(va0 - vb0, va1 - vb1) <= 1e-6 * s0.scale.max(s1.scale);
                // parallel levels (equal slopes to 1e-10·‖A‖ at both ends: a symmetry) have
                // no gap minimum; φ's sign is then rounding
                let parallel = |p: &Point| cabs(p.slopes[a] - p.slopes[b]) <= 1e-10 * p.scale;
                if (both_real || may_touch)
                    && !(parallel(s0) && parallel(s1))
                    && phi(s0).0 < 0.0
                    && phi(s1).0 >= 0.0
                {
                    // a minimum the grid shows: located (on fresh decompositions) only
                    // when it may be reported, otherwise counted
                    // (with local resolution the sharp ones were questions of the step)
                    if self.avoided_gap_max > 0.0 || self.gap_tol.is_none() {
                        let mut p = locate(ctx, s0, s1, phi)?;
                        // a gap that closes without a change of order touches: φ has a
                        // triple root there, the slope difference a simple one
                        let slope_gap = |p: &Point| (p.slopes[a] - p.slopes[b]).re;
                        let closed = (p.values[a] - p.values[b]).norm()
                            <= resolve::resolution(self.meet_tol, p.scale);
                        if closed && (slope_gap(s0) < 0.0) != (slope_gap(s1) < 0.0) {
                            p = locate(ctx, s0, s1, |p| {
                                let curv = (p.curv[a] - p.curv[b]).re;
                                (slope_gap(p), p.curv_exact.then_some(curv))
                            })?;
                        }
                        self.gap_minimum(&p, a, b, Contact::Touching);
                    } else if both_real {
                        self.avoided_seen += 1;
                    }
                }
            }
        }
        if !uncertain.is_empty() {
            self.unresolved(ctx, s0, s1, uncertain, &ep_pairs)?;
        }
        Ok(())
    }

    /// A located minimum of the gap |λ_b − λₐ| on a fresh decomposition: below the crossing
    /// tolerance a meeting, `closed` (a crossing where the pair's order exchanged over the
    /// step, a touching where it did not); otherwise, between real eigenvalues whose eigenvectors
    /// exchange character (the two-level coupling explains the curvature of the gap), an
    /// avoided crossing, reported when sharp or below `avoided_gap_max`.
    fn gap_minimum(&mut self, p: &Point, a: usize, b: usize, closed: Contact) {
        let delta = p.values[b] - p.values[a];
        let gap = delta.norm();
        if gap <= resolve::resolution(self.meet_tol, p.scale) {
            match closed {
                Contact::Crossing => self.crossing(p, a, b),
                Contact::Touching => self.events.push(Event::Touching {
                    t: p.t,
                    branches: [a, b],
                    value: mid(p, a, b),
                    slopes: [p.slopes[a], p.slopes[b]],
                }),
            }
            return;
        }
        // avoided crossings are a property of real eigenvalue curves
        let real_tol = 1e-12 * p.scale;
        if p.values[a].im.abs() > real_tol || p.values[b].im.abs() > real_tol {
            return;
        }
        // both in units of ‖A‖ (products of couplings over- or underflow otherwise)
        let s = 1.0 / p.scale.max(f64::MIN_POSITIVE);
        let coupling = cdiv(
            p.coupling(a, b) * s * (p.coupling(b, a) * s) * 4.0,
            delta * s,
        )
        .norm();
        let curvature = ((p.curvature_of(b) - p.curvature_of(a)) * s).norm();
        if coupling >= 0.5 * curvature {
            self.avoided_seen += 1;
            // at the minimum g″ = v²/g for g² = g₀² + v²τ²: v = √(g·g″)
            let slope_difference = (gap * curvature * p.scale).sqrt();
            let sharp = gap < slope_difference * self.spacing;
            if self.gap_tol.is_none() || sharp || gap < self.avoided_gap_max * p.scale {
                self.events.push(Event::AvoidedCrossing {
                    t: p.t,
                    branches: [a, b],
                    gap,
                    value: mid(p, a, b),
                    gap_bounds: [gap, gap],
                    slope_difference,
                });
            }
        }
    }

    fn levels_step(&mut self, ctx: &mut dyn Decompose, s0: &Point, s1: &Point) -> Result<()> {
        for li in 0..self.levels.len() {
            let Level { part, value: level } = self.levels[li];
            for a in 0..s0.len() {
                let f0 = part.of(s0.values[a]) - level;
                let f1 = part.of(s1.values[a]) - level;
                if f0 == 0.0 || !(f1 == 0.0 || (f0 < 0.0) != (f1 < 0.0)) {
                    continue;
                }
                let p = locate(ctx, s0, s1, |p| {
                    (
                        part.of(p.values[a]) - level,
                        Some(part_slope(part, p.values[a], p.slopes[a])),
                    )
                })?;
                self.events.push(Event::Level {
                    t: p.t,
                    branch: a,
                    part,
                    level,
                    value: p.values[a],
                });
            }
        }
        Ok(())
    }

    fn unresolved(
        &mut self,
        ctx: &mut dyn Decompose,
        s0: &Point,
        s1: &Point,
        uncertain: &[usize],
        ep_pairs: &[(usize, usize)],
    ) -> Result<()> {
        if uncertain.len() == 2 {
            let (a, b) = (
                uncertain[0].min(uncertain[1]),
                uncertain[0].max(uncertain[1]),
            );
            // already reported: landing on the point (this step) or leaving it (s0 on it)
            let at_s0 = s0.cluster[a] == s0.cluster[b] && s0.defective[a];
            if ep_pairs.contains(&(a, b)) || at_s0 {
                return Ok(());
            }
            let kappa = s0.kappa[a]
                .max(s0.kappa[b])
                .max(s1.kappa[a])
                .max(s1.kappa[b]);
            if kappa >= EP_CONDITION {
                let g = |p: &Point| (pair_square(p, a, b), None);
                let p = if (g(s0).0 < 0.0) != (g(s1).0 < 0.0) {
                    locate(ctx, s0, s1, g)?
                } else {
                    fresh(ctx, s0, 0.5 * s0.t + 0.5 * s1.t)?
                };
                self.events.push(Event::ExceptionalPoint {
                    t: p.t,
                    branches: [a, b],
                    value: mid(&p, a, b),
                });
                return Ok(());
            }
        }
        self.events.push(Event::Unresolved {
            t_start: s0.t,
            t_end: s1.t,
            branches: uncertain.to_vec(),
        });
        Ok(())
    }
}

/// Turn adiabatic branches into diabatic ones: after each avoided crossing (in the order
/// of the track) the two branches exchange their continuations; event branch ids are
/// mapped likewise.
pub(crate) fn apply_diabatic(
    grid: &[f64],
    branches: &mut [Branch],
    events: &mut [Event],
    dir: f64,
) {
    let n = branches.len();
    // out[id] = output branch of adiabatic branch id, changing at each avoided crossing
    let mut out: Vec<usize> = (0..n).collect();
    let mut sample_maps: Vec<Vec<usize>> = Vec::with_capacity(grid.len());
    let crossings: Vec<(f64, usize, usize)> = events
        .iter()
        .filter_map(|e| match e {
            Event::AvoidedCrossing { t, branches, .. } => Some((*t, branches[0], branches[1])),
            _ => None,
        })
        .collect();
    let mut next = 0;
    for &s in grid {
        while next < crossings.len() && dir * (s - crossings[next].0) > 0.0 {
            let (_, a, b) = crossings[next];
            out.swap(a, b);
            next += 1;
        }
        sample_maps.push(out.clone());
    }
    let adiabatic: Vec<Branch> = branches.to_vec();
    for (k, map) in sample_maps.iter().enumerate() {
        for id in 0..n {
            let dst = &mut branches[map[id]];
            let src = &adiabatic[id];
            dst.values[k] = src.values[k];
            dst.slopes[k] = src.slopes[k];
            if !src.curvatures.is_empty() {
                dst.curvatures[k] = src.curvatures[k];
            }
            dst.condition[k] = src.condition[k];
            if let (Some(d), Some(s)) = (dst.right.as_mut(), src.right.as_ref()) {
                d[k] = s[k].clone();
            }
            if let (Some(d), Some(s)) = (dst.left.as_mut(), src.left.as_ref()) {
                d[k] = s[k].clone();
            }
        }
    }
    // events: map the ids through the permutation in force at their t
    let mut out: Vec<usize> = (0..n).collect();
    let mut next = 0;
    for e in events.iter_mut() {
        while next < crossings.len() && dir * (e.t() - crossings[next].0) > 0.0 {
            let (_, a, b) = crossings[next];
            out.swap(a, b);
            next += 1;
        }
        // relabel: adiabatic id i → out[i]; apply as a sequence of swaps on a copy
        let ids = e.branches();
        let mapped: Vec<usize> = ids.iter().map(|&i| out[i]).collect();
        relabel(e, &ids, &mapped);
    }
}

fn relabel(e: &mut Event, from: &[usize], to: &[usize]) {
    if from == to {
        return;
    }
    match e {
        Event::Crossing { branches, .. }
        | Event::Touching { branches, .. }
        | Event::AvoidedCrossing { branches, .. }
        | Event::ExceptionalPoint { branches, .. } => {
            branches[0] = to[0];
            branches[1] = to[1];
            branches.sort_unstable();
        }
        Event::Level { branch, .. } => *branch = to[0],
        Event::Unresolved { branches, .. } => {
            *branches = to.to_vec();
            branches.sort_unstable();
        }
    }
}

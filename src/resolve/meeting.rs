//! Meetings on samples: pairs whose gap is at numerical resolution on a sample, and the
//! decision crossing/touching once they part.

use num_complex::Complex64;

/// The gap below which two branches meet: `gap_tol · scale` (scale = ‖A‖_F on the dense
/// path). The one tolerance of every exchange and event.
pub(crate) fn resolution(gap_tol: f64, scale: f64) -> f64 {
    gap_tol * scale
}

/// The error bar of a double eigenvalue of a defective (Jordan) group: rounding of size
/// ε·‖A‖ splits a 2 × 2 Jordan block by its square root, √(gap_tol)·scale. Two branches
/// closer than this at both ends of a step are one group within its error bars: no
/// exceptional point, crossing or pair transition is reported between them.
pub(crate) fn jordan_resolution(gap_tol: f64, scale: f64) -> f64 {
    gap_tol.sqrt() * scale
}

/// The order of a pair read from its difference d = λₐ − λ_b: by the real part where it
/// dominates, else by the imaginary part (eigenvalues on one vertical line, as a rotor's
/// whirl frequencies on the imaginary axis).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Side {
    imaginary: bool,
    negative: bool,
}

impl Side {
    pub(crate) fn of(d: Complex64) -> Side {
        let imaginary = d.im.abs() > d.re.abs();
        Side {
            imaginary,
            negative: if imaginary { d.im < 0.0 } else { d.re < 0.0 },
        }
    }
}

/// What a meeting was, from the pair's order before and after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Contact {
    /// The order exchanged (odd-order contact).
    Crossing,
    /// The order is the same on both sides (even-order contact).
    Touching,
}

impl Contact {
    fn from_sides(before: Side, after: Side) -> Contact {
        if before == after {
            Contact::Touching
        } else {
            Contact::Crossing
        }
    }
}

/// A pair that is at resolution on the samples since `first`.
#[derive(Debug, Clone)]
struct Open<P> {
    pair: (usize, usize),
    /// Its order on the last sample before (None: met from the start of the track).
    before: Option<Side>,
    /// The smallest |d| seen so far and what the caller keeps of that sample.
    best: f64,
    at: P,
}

/// The pairs meeting on samples, decided when they part.
#[derive(Debug, Clone)]
pub(crate) struct Meetings<P> {
    open: Vec<Open<P>>,
}

impl<P> Default for Meetings<P> {
    fn default() -> Self {
        Meetings { open: Vec::new() }
    }
}

impl<P> Meetings<P> {
    /// Whether the pair is met on the samples so far.
    pub(crate) fn is_open(&self, pair: (usize, usize)) -> bool {
        self.open.iter().any(|o| o.pair == pair)
    }

    /// A step s0 → s1 of the pair `pair` with differences d0, d1 and resolutions tol0,
    /// tol1 at its ends. `at` makes what is kept of s1 (its t, value, slopes) when this
    /// sample is the closest approach yet. See [`Step`] for the answers.
    pub(crate) fn step(
        &mut self,
        pair: (usize, usize),
        d: [Complex64; 2],
        tol: [f64; 2],
        at: impl FnOnce() -> P,
    ) -> Step<P> {
        let met0 = d[0].norm() <= tol[0];
        let met1 = d[1].norm() <= tol[1];
        let k = self.open.iter().position(|o| o.pair == pair);
        if met1 {
            let g = d[1].norm();
            match k {
                Some(k) => {
                    if g < self.open[k].best {
                        self.open[k].best = g;
                        self.open[k].at = at();
                    }
                }
                None => self.open.push(Open {
                    pair,
                    before: (!met0).then(|| Side::of(d[0])),
                    best: g,
                    at: at(),
                }),
            }
            return Step::Met;
        }
        match k {
            Some(k) => {
                let o = self.open.swap_remove(k);
                match o.before {
                    Some(before) => Step::Parted(Contact::from_sides(before, Side::of(d[1])), o.at),
                    None => Step::Met,
                }
            }
            // met on s0 without a record: the first sample of the track
            None if met0 => Step::Met,
            None => Step::Free,
        }
    }
}

/// What [`Meetings::step`] found for one pair over one step.
#[derive(Debug)]
pub(crate) enum Step<P> {
    /// Not met at either end: the step's other rules apply.
    Free,
    /// Met on s1 (or met on s0 from the start of the track): nothing to report now.
    Met,
    /// Met on the samples before s1, apart at s1: what the meeting was, and the kept
    /// sample of its closest approach.
    Parted(Contact, P),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(re: f64) -> Complex64 {
        Complex64::new(re, 0.0)
    }

    #[test]
    fn a_meeting_on_samples_is_decided_by_the_sides() {
        // t⁵ on samples −2 … 2 with tolerance 1.5: d = −32, −1, 0, 1, 32
        let d = [-32.0, -1.0, 0.0, 1.0, 32.0];
        let mut m = Meetings::default();
        let mut out = Vec::new();
        for k in 0..4 {
            match m.step((0, 1), [c(d[k]), c(d[k + 1])], [1.5; 2], || k + 1) {
                Step::Parted(contact, at) => out.push((contact, at)),
                Step::Met | Step::Free => {}
            }
        }
        assert_eq!(out, vec![(Contact::Crossing, 2)]);
        // t⁴: the same sides: a touching
        let d = [16.0, 1.0, 0.0, 1.0, 16.0];
        let mut m = Meetings::default();
        let mut out = Vec::new();
        for k in 0..4 {
            if let Step::Parted(contact, at) =
                m.step((0, 1), [c(d[k]), c(d[k + 1])], [1.5; 2], || k + 1)
            {
                out.push((contact, at));
            }
        }
        assert_eq!(out, vec![(Contact::Touching, 2)]);
        // met from the start: never decided
        let mut m: Meetings<usize> = Meetings::default();
        assert!(matches!(
            m.step((0, 1), [c(0.0), c(5.0)], [1.0; 2], || 0),
            Step::Met
        ));
        assert!(!m.is_open((0, 1)));
    }
}

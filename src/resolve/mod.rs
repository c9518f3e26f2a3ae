//! Where a meeting of two branches is decided: one rule and one tolerance for every path.
//!
//! When two branches meet inside a step (or on a sample) it is exactly one of:
//!
//! | what happens | certified | branches | event |
//! | --- | --- | --- | --- |
//! | the analytic branches exchange order (odd-order contact: t, t³, t⁵ …) | gap ≤ `gap_tol`·scale | keep their analytic curves | [`Crossing`](crate::Event::Crossing) where they meet |
//! | they meet without exchanging (even-order contact: ±t², a tangency) | gap ≤ `gap_tol`·scale | keep their curves and their order | [`Touching`](crate::Event::Touching) |
//! | they approach and part | gap > `gap_tol`·scale | adiabatic order (or character, `Diabatic`) | [`AvoidedCrossing`](crate::Event::AvoidedCrossing) when sharp or below `avoided_gap_max` |
//! | eigenvalues and eigenvectors coalesce | κ → ∞ | continue continuously; a conjugate pair keeps its sides | [`ExceptionalPoint`](crate::Event::ExceptionalPoint) |
//! | a group equal over an interval (Jordan blocks, multiplets) | within error bars | the group's analytic basis | none inside the group |
//!
//! The scale is ‖A(t)‖_F on the dense path ([`Point::scale`](crate::perturb)); the
//! cluster tolerance only groups eigenvalues for slopes and bases and never decides an
//! exchange or an event. Inside a step the local models decide (module `local`); on a
//! sample, [`Meetings`] does: a pair whose gap is at resolution on one or more
//! consecutive samples has met there, and whether it crossed or touched is read from the
//! sign of its difference on the last sample before and the first sample after.

mod meeting;

pub(crate) use meeting::{jordan_resolution, resolution, Contact, Meetings, Step};

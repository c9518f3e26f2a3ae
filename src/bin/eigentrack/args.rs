//! The options `track` and `sweep` share (`Common`, with the parsers of its values) and
//! what they set up from them: the loaded family file, the range and the configured
//! `Tracker` (`Setup`).

use crate::{in_file, Failure};
use clap::{Args, ValueEnum};
use eigentrack::family_file::FamilyFile;
use eigentrack::{CrossingPolicy, HermitianMode, Part, Resolution, Tracker};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct Common {
    /// The family file (JSON); see FAMILY FILE below.
    #[arg(value_name = "FAMILY.json")]
    pub(crate) family: PathBuf,
    /// Number of uniform samples over the range, both ends included.
    #[arg(long, value_name = "N", default_value_t = 201,
          value_parser = clap::value_parser!(u64).range(2..=10_000_000))]
    pub(crate) samples: u64,
    /// Override the family's range: T0:T1.
    #[arg(long, value_name = "T0:T1", value_parser = parse_range)]
    pub(crate) range: Option<(f64, f64)>,
    /// Write the JSON result to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// How branches continue through an avoided crossing: adiabatic follows the
    /// analytic curves (each stays on its side of the gap), diabatic follows
    /// eigenvector character (the branches exchange).
    #[arg(long, value_enum, default_value_t = PolicyArg::Adiabatic)]
    policy: PolicyArg,
    /// Decomposition path; overrides the family file's "hermitian": auto decides per
    /// matrix, yes always uses the Hermitian part (A + Aᴴ)/2, no never.
    #[arg(long, value_enum)]
    hermitian: Option<HermitianArg>,
    /// Report where PART(λ) of a branch crosses VALUE, PART being re, im or abs, e.g.
    /// re=0.0 (a stability change). May be repeated.
    #[arg(long, value_name = "PART=VALUE", value_parser = parse_level)]
    level: Vec<(Part, f64)>,
    /// No summary (and no progress bar) on stderr.
    #[arg(long, short)]
    pub(crate) quiet: bool,
    /// Skip the curvatures d²λ/dt² (faster; no curv_re / curv_im in the output).
    #[arg(long)]
    no_curvatures: bool,
    /// Do not detect and locate events (faster; only unresolved steps are reported).
    #[arg(long)]
    no_events: bool,
    /// How questions about a few branches (an exchange of order, an uncertain pairing, a
    /// close pass) are answered: local projects them onto the branches' eigenvectors and
    /// certifies each answer on the true A(t) (a fresh decomposition only where a
    /// certificate fails); refine halves the step on fresh decompositions (the first
    /// version's path).
    #[arg(long, value_enum, default_value_t = ResolutionArg::Local)]
    resolution: ResolutionArg,
    /// Gaps certified below G·‖A‖_F are crossings (default 256·ε).
    #[arg(long, value_name = "G")]
    gap_tol: Option<f64>,
    /// Also report avoided crossings with gap below G·‖A‖_F, "inf" for all (default: only
    /// those narrower than the grid can show).
    #[arg(long, value_name = "G")]
    avoided_gap_max: Option<f64>,
    /// The work budget: at most N eigen-decompositions per track (an evaluation of A(t)
    /// alone for a certificate counts 1/8); when spent the track stops with an error
    /// naming the t reached (exit 1). Default 64 per sample + 1024.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_decompositions: Option<u64>,
    /// Draw a figure: FILE.png or FILE.svg (track: the eigencurves with the events
    /// marked, and Im λ when any branch is complex; sweep: the curves of every
    /// parameter value, coloured by the value).
    #[arg(long, value_name = "FILE")]
    pub(crate) plot: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum PolicyArg {
    Adiabatic,
    Diabatic,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum ResolutionArg {
    Local,
    Refine,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum HermitianArg {
    Auto,
    Yes,
    No,
}

pub(crate) fn parse_number(s: &str, what: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{what} \"{s}\" is not a number"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("{what} \"{s}\" is not finite"))
    }
}

fn parse_level(s: &str) -> Result<(Part, f64), String> {
    let (part, value) = s
        .split_once('=')
        .ok_or_else(|| format!("expected PART=VALUE (e.g. re=0.0), got \"{s}\""))?;
    let part = match part.trim() {
        "re" => Part::Re,
        "im" => Part::Im,
        "abs" => Part::Abs,
        other => return Err(format!("unknown part \"{other}\" (expected re, im or abs)")),
    };
    Ok((part, parse_number(value, "the level")?))
}

fn parse_range(s: &str) -> Result<(f64, f64), String> {
    let (a, b) = s
        .split_once(':')
        .ok_or_else(|| format!("expected T0:T1, got \"{s}\""))?;
    let (a, b) = (parse_number(a, "T0")?, parse_number(b, "T1")?);
    if a == b {
        return Err(format!("the range {a}:{b} is empty"));
    }
    Ok((a, b))
}

impl Common {
    /// The first option given that the sparse path (`track --nearest`) cannot honour,
    /// as a message; `--no-curvatures` is fine (that path computes no curvatures).
    pub(crate) fn sparse_conflict(&self) -> Option<String> {
        let why =
            |opt: &str, reason: &str| Some(format!("{opt} does not apply to --nearest: {reason}"));
        if matches!(self.policy, PolicyArg::Diabatic) {
            return why(
                "--policy diabatic",
                "the sparse path keeps each branch on its side of an avoided crossing (adiabatic)",
            );
        }
        if matches!(self.resolution, ResolutionArg::Refine) {
            return why(
                "--resolution refine",
                "the sparse path always resolves crossings on fresh solves",
            );
        }
        if matches!(self.hermitian, Some(HermitianArg::Yes | HermitianArg::No)) {
            return why(
                "--hermitian",
                "the sparse path detects a Hermitian A(t) itself",
            );
        }
        if !self.level.is_empty() {
            return why("--level", "level events are not located on the sparse path");
        }
        if self.gap_tol.is_some() {
            return why(
                "--gap-tol",
                "the sparse path has no crossing tolerance to set",
            );
        }
        if self.avoided_gap_max.is_some() {
            return why(
                "--avoided-gap-max",
                "avoided crossings are counted, not reported, on the sparse path",
            );
        }
        if self.max_decompositions.is_some() {
            return why(
                "--max-decompositions",
                "the sparse path makes no eigen-decompositions of A(t)",
            );
        }
        if self.no_events {
            return why(
                "--no-events",
                "the sparse path always locates window entries, exits and crossings",
            );
        }
        None
    }
}

pub(crate) struct Setup {
    pub(crate) file: FamilyFile,
    pub(crate) tracker: Tracker,
    pub(crate) range: (f64, f64),
}

pub(crate) fn setup(c: &Common) -> Result<Setup, Failure> {
    let file = FamilyFile::load(&c.family).map_err(|e| in_file(&c.family, e))?;
    let range = c.range.unwrap_or(file.range());
    let samples = usize::try_from(c.samples).map_err(|_| Failure {
        message: "invalid samples: too many".into(),
        code: 2,
    })?;
    let hermitian = match c.hermitian {
        None => file.hermitian(),
        Some(HermitianArg::Auto) => HermitianMode::Auto,
        Some(HermitianArg::Yes) => HermitianMode::Yes,
        Some(HermitianArg::No) => HermitianMode::No,
    };
    let policy = match c.policy {
        PolicyArg::Adiabatic => CrossingPolicy::Adiabatic,
        PolicyArg::Diabatic => CrossingPolicy::Diabatic,
    };
    let mut tracker = Tracker::new()
        .samples(samples)?
        .hermitian(hermitian)
        .policy(policy)
        .curvatures(!c.no_curvatures)
        .locate_events(!c.no_events);
    tracker = tracker.resolution(match c.resolution {
        ResolutionArg::Local => Resolution::Local,
        ResolutionArg::Refine => Resolution::Refine,
    });
    if let Some(g) = c.gap_tol {
        tracker = tracker.gap_tol(g)?;
    }
    if let Some(g) = c.avoided_gap_max {
        tracker = tracker.avoided_gap_max(g)?;
    }
    if let Some(n) = c.max_decompositions {
        // beyond usize::MAX the budget is unlimited in effect
        tracker = tracker.max_decompositions(usize::try_from(n).unwrap_or(usize::MAX))?;
    }
    for &(part, value) in &c.level {
        tracker = tracker.level(part, value)?;
    }
    Ok(Setup {
        file,
        tracker,
        range,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_parsers() {
        assert_eq!(parse_level("re=0.5"), Ok((Part::Re, 0.5)));
        assert_eq!(parse_level("abs=1"), Ok((Part::Abs, 1.0)));
        assert!(parse_level("real=0").unwrap_err().contains("unknown part"));
        assert!(parse_level("re").is_err() && parse_level("re=inf").is_err());
        assert_eq!(parse_range("-1:2.5"), Ok((-1.0, 2.5)));
        assert!(parse_range("1:1").is_err() && parse_range("1").is_err());
    }
}

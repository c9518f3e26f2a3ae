//! `eigentrack track`: its options (`TrackArgs`), tracking one family with a non-finite
//! A(t) traced back to its coefficient (`track_one`, which `sweep` uses for each value)
//! and the run: the progress bar, the CSV, the figure, the JSON and the summary.

use crate::args::{setup, Common, Setup};
use crate::nearest::{parse_complex, run_nearest};
use crate::output::{emit, json_line};
use crate::progress::Bar;
use crate::{interrupt, Failure};
use clap::Args;
use eigentrack::expr::Scalar;
use eigentrack::family_file::{ExprFamily, FileFamily};
use eigentrack::{Complex64, Error, Tracker, Tracking};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

#[derive(Args, Debug)]
pub(crate) struct TrackArgs {
    #[command(flatten)]
    common: Common,
    /// Also write the branches as CSV (long format, header t,branch,re,im,slope_re,slope_im;
    /// with --nearest also in_window, and only the samples where a branch is computed).
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// Track only the K eigenvalues nearest --sigma, on the sparse path (for large
    /// sparse families: no n × n matrix is formed); see THE K EIGENVALUES NEAREST σ below.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
    nearest: Option<u64>,
    /// The target σ of --nearest: real or complex, e.g. 2.5, 1+2i, -0.5-3i, 2i.
    #[arg(long, value_name = "S", allow_hyphen_values = true, value_parser = parse_complex)]
    sigma: Option<Complex64>,
    /// Track only the K eigenvalues with the largest real part (stability: where Re λ
    /// crosses 0), on the sparse path; see THE K EIGENVALUES NEAREST σ below.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..),
          conflicts_with_all = ["nearest", "sigma"])]
    largest_real: Option<u64>,
}

/// Track one family. A non-finite A(t) is traced back to the coefficient and the
/// derivative that caused it, when it is one.
pub(crate) fn track_one<T: Scalar>(
    fam: &ExprFamily<T>,
    s: &Setup,
    tracker: &Tracker,
) -> eigentrack::Result<Tracking> {
    tracker
        .track_family(fam, s.range.0..=s.range.1)
        .map_err(|e| match e {
            Error::NonFinite {
                at: eigentrack::At(Some(t)),
                ..
            } => fam.check_on(&[t]).err().unwrap_or(e),
            e => e,
        })
}

pub(crate) fn run_track(args: &TrackArgs) -> Result<(), Failure> {
    // Ctrl-C from here on stops the track at its next step
    interrupt::install();
    if let Some(k) = args.largest_real {
        return run_nearest(&args.common, args.csv.as_deref(), k, None);
    }
    match (args.nearest, args.sigma) {
        (Some(k), Some(sigma)) => {
            return run_nearest(&args.common, args.csv.as_deref(), k, Some(sigma));
        }
        (Some(_), None) => {
            return Err(Failure {
                message: "--nearest K needs --sigma S, the target the K eigenvalues are nearest (e.g. --sigma 0 or --sigma 1+2i)".into(),
                code: 2,
            });
        }
        (None, Some(_)) => {
            return Err(Failure {
                message: "--sigma S needs --nearest K, the number of eigenvalues nearest S to track (without both, every eigenvalue is tracked)".into(),
                code: 2,
            });
        }
        (None, None) => {}
    }
    let s = setup(&args.common)?;
    // progress on stderr once the track has run for a second (not with --quiet): a bar
    // on a terminal, plain lines otherwise
    let bar = std::sync::Arc::new(Bar::new(1000, args.common.quiet));
    let start = std::time::Instant::now();
    let shown = bar.clone();
    let tracker = s.tracker.clone().progress(move |p| {
        if interrupt::requested() {
            return std::ops::ControlFlow::Break(());
        }
        if shown.enabled && start.elapsed().as_secs_f64() >= 1.0 {
            let done = (p.fraction * 1000.0) as usize;
            let label = format!(
                "t = {:<12.6}  {} decompositions, {} local models",
                p.t, p.stats.decompositions, p.stats.local_models
            );
            shown.done.store(done, Ordering::SeqCst);
            shown.draw(done.min(999), &label);
        }
        std::ops::ControlFlow::Continue(())
    });
    let tracking = match s.file.family() {
        FileFamily::Real(f) => track_one(f, &s, &tracker),
        FileFamily::Complex(f) => track_one(f, &s, &tracker),
    };
    bar.finish();
    let tracking = tracking.map_err(|e| interrupt::failure(&args.common.family, e))?;
    if let Some(csv) = &args.csv {
        emit(Some(csv), &tracking.to_csv())?;
    }
    if let Some(path) = &args.common.plot {
        tracking.plot(path)?;
    }
    emit(args.common.out.as_deref(), &json_line(&tracking.to_json())?)?;
    if !args.common.quiet {
        eprintln!("{tracking}");
    }
    Ok(())
}

//! `eigentrack track --nearest K --sigma S`: the sparse path. The family file is read as a
//! sparse family (`SparseFamilyFile`, no n × n matrix), the K eigenvalues nearest σ are
//! tracked (`Nearest`), and the result is written as JSON (`window_json`, the library's serde model), CSV and a
//! figure, with the summary on stderr, a progress bar and Ctrl-C (`interrupt`).

use crate::args::Common;
use crate::output::{emit, json_line};
use crate::progress::Bar;
use crate::{in_file, interrupt, Failure};
use eigentrack::family_file::{SparseFamilyFile, SparseFileFamily};
use eigentrack::sparse::{Nearest, Target, WindowRecord, WindowTracking};
use eigentrack::{Complex64, Error};
use serde_json::Value;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// A complex number as the command line writes it: `2.5`, `-1e-3`, `2i`, `-i`, `1+2i`,
/// `-0.5-3i`, `1.5e-3-2e2i` (spaces allowed, `j` accepted for `i`).
pub(crate) fn parse_complex(s: &str) -> Result<Complex64, String> {
    let bad = || {
        format!(
            "\"{s}\" is not a real or complex number (expected forms like 2.5, 1+2i, -0.5-3i, 2i)"
        )
    };
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let t = t.replace('j', "i");
    if t.is_empty() {
        return Err(bad());
    }
    let real = |x: &str| -> Result<f64, String> {
        // only plain decimal numbers: no "inf", "nan" or hex
        if x.is_empty()
            || !x
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        {
            return Err(bad());
        }
        x.parse::<f64>().map_err(|_| bad())
    };
    let z = match t.strip_suffix('i') {
        None => Complex64::new(real(&t)?, 0.0),
        Some(body) => {
            // split at the last sign that is not at the start and not an exponent's
            let bytes = body.as_bytes();
            let split = (1..bytes.len())
                .rev()
                .find(|&k| matches!(bytes[k], b'+' | b'-') && !matches!(bytes[k - 1], b'e' | b'E'));
            let (re, im) = match split {
                Some(k) => (&body[..k], &body[k..]),
                None => ("", body),
            };
            let im = match im {
                "" | "+" => 1.0,
                "-" => -1.0,
                x => real(x)?,
            };
            let re = if re.is_empty() { 0.0 } else { real(re)? };
            Complex64::new(re, im)
        }
    };
    if z.re.is_finite() && z.im.is_finite() {
        Ok(z)
    } else {
        Err(format!("\"{s}\" is not finite"))
    }
}

/// The result as JSON: the library's serde model of a [`WindowRecord`] (the grid, the
/// branches, null where a branch is not computed, the events, the statistics, n and the
/// arithmetic).
pub(crate) fn window_json(tr: WindowTracking, n: usize, real: bool) -> Result<Value, Failure> {
    serde_json::to_value(WindowRecord {
        tracking: tr,
        n,
        real,
    })
    .map_err(|e| Failure {
        message: format!("cannot serialise the result: {e}"),
        code: 1,
    })
}

/// The summary on stderr: the window at both ends, the events, the work.
fn summary(tr: &WindowTracking, n: usize) -> String {
    let ts = tr.samples();
    let (t0, t1) = (ts[0], ts[ts.len() - 1]);
    let sigma = tr.sigma();
    let which = match tr.target() {
        Target::Nearest(_) => format!(
            "nearest σ = {}",
            if sigma.im == 0.0 {
                format!("{}", sigma.re)
            } else {
                format!("{sigma}")
            }
        ),
        Target::LargestReal => "with the largest real part".to_string(),
    };
    let mut out = format!(
        "the {} eigenvalues {which} of a {n} × {n} family over t ∈ [{t0}, {t1}], {} samples: {} branches\n",
        tr.k(),
        ts.len(),
        tr.branches().len()
    );
    for (label, s) in [("first", 0), ("last", ts.len() - 1)] {
        let w: Vec<String> = tr
            .window(s)
            .iter()
            .map(|(b, re)| format!("{b}: {re:.6}"))
            .collect();
        out.push_str(&format!(
            "  window at t = {} ({label}): {}\n",
            ts[s],
            w.join(", ")
        ));
    }
    if tr.events().is_empty() {
        out.push_str("  no events\n");
    }
    for e in tr.events() {
        out.push_str(&format!(
            "  {:<13} t = {:<14.10} branches {:?}\n",
            e.kind(),
            e.t(),
            e.branches()
        ));
    }
    let s = tr.stats();
    out.push_str(&format!(
        "  {} factorisations, {} solver iterations, {} steps ({} halved), {} event points solved, {} events located on the projection, {:.3} s",
        s.solver.factorizations,
        s.solver.iterations,
        s.accepted_steps,
        s.rejected_steps,
        s.event_points,
        s.projected_events,
        s.seconds
    ));
    out
}

/// Run `track --nearest K --sigma S` (`sigma` Some) or `track --largest-real K` (None).
pub(crate) fn run_nearest(
    c: &Common,
    csv: Option<&Path>,
    k: u64,
    sigma: Option<Complex64>,
) -> Result<(), Failure> {
    let option = if sigma.is_some() {
        "--nearest"
    } else {
        "--largest-real"
    };
    if let Some(reason) = c.sparse_conflict() {
        return Err(Failure {
            message: format!("{reason} (see eigentrack track --help)"),
            code: 2,
        });
    }
    let file = SparseFamilyFile::load(&c.family).map_err(|e| in_file(&c.family, e))?;
    let n = file.dim();
    let k = usize::try_from(k).unwrap_or(usize::MAX);
    if k >= n {
        return Err(Failure {
            message: format!(
                "{option} {k}: K must be below the matrix size n = {n} of {} (the sparse path follows a few of the n eigenvalues; track all of them without {option})",
                c.family.display()
            ),
            code: 2,
        });
    }
    let range = c.range.unwrap_or(file.range());
    let samples = usize::try_from(c.samples).map_err(|_| Failure {
        message: "invalid samples: too many".into(),
        code: 2,
    })?;
    let bar = Arc::new(Bar::new(1000, c.quiet));
    let start = std::time::Instant::now();
    let shown = bar.clone();
    let nearest = match sigma {
        Some(sigma) => Nearest::new(k, sigma)?,
        None => Nearest::largest_real(k)?,
    }
    .samples(samples)?
    .progress(move |p| {
        if interrupt::requested() {
            return ControlFlow::Break(());
        }
        if shown.enabled && start.elapsed().as_secs_f64() >= 1.0 {
            let done = (p.fraction * 1000.0) as usize;
            let label = format!(
                "t = {:<12.6}  {} factorisations, {} iterations",
                p.t, p.stats.solver.factorizations, p.stats.solver.iterations
            );
            shown.done.store(done.max(1), Ordering::SeqCst);
            shown.draw(done.min(999), &label);
        }
        ControlFlow::Continue(())
    });
    let r = range.0..=range.1;
    let tracking = match (file.family(), file.mass()) {
        (SparseFileFamily::Real(f), None) => nearest.track(f, r),
        (SparseFileFamily::Complex(f), None) => nearest.track(f, r),
        (SparseFileFamily::Real(f), Some(SparseFileFamily::Real(b))) => {
            nearest.track_pencil(f, b, r)
        }
        (SparseFileFamily::Complex(f), Some(SparseFileFamily::Complex(b))) => {
            nearest.track_pencil(f, b, r)
        }
        _ => unreachable!("a family file's A and B share one arithmetic"),
    };
    bar.finish();
    let tracking = tracking
        .map_err(|e| match e {
            Error::NonFinite {
                at: eigentrack::At(Some(t)),
                ..
            } => file.check_on(&[t]).err().unwrap_or(e),
            e => e,
        })
        .map_err(|e| interrupt::failure(&c.family, e))?;
    if let Some(csv) = csv {
        emit(Some(csv), &tracking.to_csv())?;
    }
    if let Some(path) = &c.plot {
        tracking.plot(path)?;
    }
    if !c.quiet {
        eprintln!("{}", summary(&tracking, n));
    }
    let real = matches!(file.family(), SparseFileFamily::Real(_));
    emit(
        c.out.as_deref(),
        &json_line(&window_json(tracking, n, real)?)?,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complex_numbers() {
        let c = Complex64::new;
        for (s, z) in [
            ("2.5", c(2.5, 0.0)),
            ("-1e-3", c(-1e-3, 0.0)),
            ("1+2i", c(1.0, 2.0)),
            ("-0.5-3i", c(-0.5, -3.0)),
            ("2i", c(0.0, 2.0)),
            ("-i", c(0.0, -1.0)),
            ("i", c(0.0, 1.0)),
            ("1 - i", c(1.0, -1.0)),
            ("1.5e-3-2e2i", c(1.5e-3, -200.0)),
            ("1e+2+1e-2i", c(100.0, 0.01)),
            ("3+4j", c(3.0, 4.0)),
        ] {
            assert_eq!(parse_complex(s), Ok(z), "{s}");
        }
        for s in [
            "", "1+", "1+2", "a", "1+2k", "2ii", "inf", "nan", "1++2i", "i2", "1e400",
        ] {
            assert!(parse_complex(s).is_err(), "{s}");
        }
    }
}

//! `eigentrack sweep`: its options (`SweepArgs`, the `--param` values), dλ/dPARAM along
//! each branch, one tracking per parameter value (in parallel) and the run: the figure,
//! the JSON of all runs and one summary line per value.

use crate::args::{parse_number, setup, Common, Setup};
use crate::output::{emit, json_line, num};
use crate::progress::Bar;
use crate::track::track_one;
use crate::{in_file, Failure};
use clap::Args;
use eigentrack::expr::Scalar;
use eigentrack::family_file::{ExprFamily, FileFamily};
use eigentrack::{Complex64, Error, PlotOptions, Tracker, Tracking};
use rayon::prelude::*;
use serde_json::{json, Value};

#[derive(Args, Debug)]
pub(crate) struct SweepArgs {
    #[command(flatten)]
    common: Common,
    /// The parameter to sweep and its values: COUNT uniform values from START to END,
    /// both included (COUNT = 1: START only), e.g. g=0:0.01:11.
    #[arg(long, value_name = "NAME=START:END:COUNT", value_parser = parse_param)]
    param: ParamSweep,
}

#[derive(Debug, Clone)]
struct ParamSweep {
    name: String,
    values: Vec<f64>,
}

fn parse_param(s: &str) -> Result<ParamSweep, String> {
    let err = || format!("expected NAME=START:END:COUNT (e.g. g=0:0.01:11), got \"{s}\"");
    let (name, spec) = s.split_once('=').ok_or_else(err)?;
    let parts: Vec<&str> = spec.split(':').collect();
    let [start, end, count] = parts[..] else {
        return Err(err());
    };
    let (start, end) = (parse_number(start, "START")?, parse_number(end, "END")?);
    let count: usize = count
        .trim()
        .parse()
        .ok()
        .filter(|&c| (1..=100_000).contains(&c))
        .ok_or_else(|| format!("COUNT \"{count}\" must be an integer from 1 to 100000"))?;
    let values = (0..count)
        .map(|k| {
            if count == 1 {
                start
            } else if k == count - 1 {
                end
            } else {
                start + (end - start) * (k as f64 / (count - 1) as f64)
            }
        })
        .collect();
    Ok(ParamSweep {
        name: name.trim().to_string(),
        values,
    })
}

/// dλ/dp = yᴴ(∂A/∂p)x / yᴴx along each branch at each sample.
fn param_slopes<T: Scalar>(
    fam: &ExprFamily<T>,
    name: &str,
    tracking: &Tracking,
) -> eigentrack::Result<Vec<Vec<Complex64>>> {
    let mut out = vec![Vec::with_capacity(tracking.samples().len()); tracking.branches().len()];
    for (i, &t) in tracking.samples().iter().enumerate() {
        let dp = fam.param_derivative(name, t)?.map(|z| z.to_c64());
        for (k, b) in tracking.branches().iter().enumerate() {
            let (Some(x), Some(y)) = (b.right_vectors(), b.left_vectors()) else {
                return Err(Error::InvalidArgument {
                    name: "keep_vectors",
                    reason: "the tracking kept no eigenvectors".into(),
                });
            };
            let (x, y) = (&x[i], &y[i]);
            out[k].push(y.dotc(&(&dp * x)) / y.dotc(x));
        }
    }
    Ok(out)
}

/// One parameter value: the tracking JSON with dparam_re / dparam_im in each branch and
/// "param": {"name", "value"}.
fn sweep_one<T: Scalar>(
    fam: &ExprFamily<T>,
    name: &str,
    value: f64,
    s: &Setup,
    tracker: &Tracker,
) -> eigentrack::Result<(Value, String, Tracking)> {
    let mut fam = fam.clone();
    fam.set_param(name, value)?;
    let tracking = track_one(&fam, s, tracker)?;
    let slopes = param_slopes(&fam, name, &tracking)?;
    let mut v = tracking.to_json();
    if let Some(branches) = v["branches"].as_array_mut() {
        for (b, sl) in branches.iter_mut().zip(&slopes) {
            b["dparam_re"] = Value::Array(sl.iter().map(|z| num(z.re)).collect());
            b["dparam_im"] = Value::Array(sl.iter().map(|z| num(z.im)).collect());
        }
    }
    v["param"] = json!({"name": name, "value": value});
    let kinds: Vec<String> = tracking
        .events()
        .iter()
        .map(|e| format!("{} at t = {:.6}", e.kind(), e.t()))
        .collect();
    let summary = format!(
        "{name} = {value}: {} branches, {} events{}{}",
        tracking.branches().len(),
        kinds.len(),
        if kinds.is_empty() { "" } else { ": " },
        kinds.join(", ")
    );
    Ok((v, summary, tracking))
}

pub(crate) fn run_sweep(args: &SweepArgs) -> Result<(), Failure> {
    let s = setup(&args.common)?;
    let name = args.param.name.as_str();
    // an unknown name is an input error before any work
    if !s.file.family().params().iter().any(|(n, _)| *n == name) {
        let known: Vec<&str> = s.file.family().params().iter().map(|p| p.0).collect();
        return Err(Failure {
            message: format!(
                "--param: the family has no parameter \"{name}\" ({})",
                if known.is_empty() {
                    "it has no \"params\"".to_string()
                } else {
                    format!("its params: {}", known.join(", "))
                }
            ),
            code: 2,
        });
    }
    let tracker = s.tracker.clone().keep_vectors(true);
    let progress = Bar::new(args.param.values.len(), args.common.quiet);
    let runs: Vec<Result<(Value, String, Tracking), Failure>> = args
        .param
        .values
        .par_iter()
        .map(|&value| {
            let r = match s.file.family() {
                FileFamily::Real(f) => sweep_one(f, name, value, &s, &tracker),
                FileFamily::Complex(f) => sweep_one(f, name, value, &s, &tracker),
            };
            progress.tick();
            r.map_err(|e| {
                let f = in_file(&args.common.family, e);
                Failure {
                    message: format!("{name} = {value}: {}", f.message),
                    code: f.code,
                }
            })
        })
        .collect();
    let mut values = Vec::with_capacity(runs.len());
    let mut summaries = Vec::with_capacity(runs.len());
    let mut trackings = Vec::with_capacity(runs.len());
    for (r, &p) in runs.into_iter().zip(&args.param.values) {
        let (v, summary, tracking) = r?;
        values.push(v);
        summaries.push(summary);
        trackings.push((p, tracking));
    }
    if let Some(path) = &args.common.plot {
        eigentrack::plot_sweep(path, &trackings, &PlotOptions::new().sweep_label(name))?;
    }
    let out = json!({
        "param": name,
        "values": args.param.values,
        "runs": values,
    });
    emit(args.common.out.as_deref(), &json_line(&out)?)?;
    if !args.common.quiet {
        for line in summaries {
            eprintln!("{line}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_parser() {
        let p = parse_param("g=0:1:5").unwrap();
        assert_eq!(p.name, "g");
        assert_eq!(p.values, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(parse_param("g=2:3:1").unwrap().values, vec![2.0]);
        assert!(parse_param("g=0:1").is_err());
        assert!(parse_param("g=0:1:0").is_err());
        assert!(parse_param("g=0:x:3").is_err());
    }
}

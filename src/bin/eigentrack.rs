//! `eigentrack`: track the eigenvalues of a matrix family given as a JSON file.
//!
//! See `eigentrack --help`. Exit codes: 0 success, 2 a usage or input error (bad option,
//! malformed family file or Matrix Market file, non-finite A(t), an output file that
//! cannot be written), 1 a numerical failure (an eigen-decomposition that does not
//! converge). Every error is one line on stderr.

use clap::{Args, Parser, Subcommand, ValueEnum};
use eigentrack::expr::Scalar;
use eigentrack::family_file::{ExprFamily, FamilyFile, FileFamily};
use eigentrack::{
    Complex64, CrossingPolicy, Error, HermitianMode, Part, PlotOptions, Resolution, Tracker,
    Tracking,
};
use rayon::prelude::*;
use serde_json::{json, Value};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

const FAMILY_HELP: &str = "\
FAMILY FILE (JSON)
  A(t) = sum over terms of coef(t) * matrix, for t over \"range\":

    {
      \"range\": [-1.0, 1.5],
      \"params\": {\"g\": 0.001},
      \"hermitian\": \"auto\",
      \"terms\": [
        {\"coef\": \"t\", \"matrix\": [[1, 0], [0, 0]]},
        {\"coef\": \"exp(t^2) - 1\", \"matrix\": [[0, 0], [0, 1]]},
        {\"coef\": \"i*g\", \"matrix\": {\"re\": [[0, 1], [1, 0]], \"im\": [[0, 0], [0, 0]]}},
        {\"coef\": \"1\", \"mtx\": \"K.mtx\"}
      ]
    }

  range      [t0, t1]: the samples run uniformly from t0 to t1, both included.
  params     optional names and values usable in coef (and swept by `sweep`).
  hermitian  optional \"auto\" (default), \"yes\" or \"no\".
  coef       an expression in t and the params: numbers (1e-3), + - * / ^, unary
             minus, parentheses, pi, e, the imaginary unit i, and the functions
             sin cos tan exp log sqrt sinh cosh tanh abs. A'(t) and A''(t) are
             exact (derivatives of the expressions, no finite differences).
  matrix     rows of numbers, rows of [re, im] pairs, or {\"re\": rows, \"im\": rows}.
  mtx        a Matrix Market file (real, integer, complex, pattern; coordinate or
             array; general, symmetric, hermitian, skew-symmetric), relative to
             the family file.
  All matrices are square and of one size. A family whose coefficients contain
  no i and whose matrices are real is tracked in real arithmetic.

OUTPUT (JSON, to stdout unless --out)
  {\"samples\": [...], \"branches\": [{\"re\", \"im\", \"slope_re\", \"slope_im\",
   \"curv_re\", \"curv_im\", \"cond\"}], \"events\": [{\"kind\", \"t\", \"branches\",
   \"re\", \"im\", ...}], \"stats\": {...}}
  Branch k is eigenpair k in ascending (Re, Im) order at the first sample; event
  kinds: crossing, avoided_crossing (with gap), exceptional_point, level (with
  level and part), unresolved. --csv writes t,branch,re,im,slope_re,slope_im.

EXIT CODES
  0 success, 2 usage or input error, 1 numerical failure.";

/// Follow the eigenvalues of a parameter-dependent matrix A(t) through crossings,
/// with exact derivatives and located events.
#[derive(Parser, Debug)]
#[command(name = "eigentrack", version, after_help = FAMILY_HELP, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Track the eigenvalues of the family in FAMILY.json and write the branches and
    /// events as JSON (and CSV).
    #[command(after_help = FAMILY_HELP)]
    Track(TrackArgs),
    /// Track the family for each value of a parameter (in parallel) and report, per
    /// value, the tracking and dλ/dPARAM along each branch.
    ///
    /// Output: {"param": NAME, "values": [...], "runs": [...]}, one run per value: the
    /// JSON of `track` plus "param": {"name", "value"}, and in each branch "dparam_re"
    /// and "dparam_im", dλ/dPARAM = yᴴ(∂A/∂PARAM)x / yᴴx at each sample (∂A/∂PARAM
    /// exact from the expressions; null where it is not finite, e.g. at an exceptional
    /// point). A progress bar is drawn on stderr when it is a terminal.
    #[command(after_help = FAMILY_HELP)]
    Sweep(SweepArgs),
}

#[derive(Args, Debug)]
struct Common {
    /// The family file (JSON); see FAMILY FILE below.
    #[arg(value_name = "FAMILY.json")]
    family: PathBuf,
    /// Number of uniform samples over the range, both ends included.
    #[arg(long, value_name = "N", default_value_t = 201,
          value_parser = clap::value_parser!(u64).range(2..=10_000_000))]
    samples: u64,
    /// Override the family's range: T0:T1.
    #[arg(long, value_name = "T0:T1", value_parser = parse_range)]
    range: Option<(f64, f64)>,
    /// Write the JSON result to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
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
    quiet: bool,
    /// Skip the curvatures d²λ/dt² (faster; no curv_re / curv_im in the output).
    #[arg(long)]
    no_curvatures: bool,
    /// Do not detect and locate events (faster; only unresolved steps are reported).
    #[arg(long)]
    no_events: bool,
    /// Experimental: answer questions about a few branches on local models (projected
    /// families with a residual certificate) instead of fresh decompositions.
    #[arg(long)]
    local: bool,
    /// With --local: gaps below G·‖A‖_F are crossings (default 256·ε).
    #[arg(long, value_name = "G")]
    gap_tol: Option<f64>,
    /// With --local: also report avoided crossings with gap below G·‖A‖_F (default: only
    /// those narrower than the grid can show).
    #[arg(long, value_name = "G")]
    avoided_gap_max: Option<f64>,
    /// Draw a figure: FILE.png or FILE.svg (track: the eigencurves with the events
    /// marked, and Im λ when any branch is complex; sweep: the curves of every
    /// parameter value, coloured by the value).
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct TrackArgs {
    #[command(flatten)]
    common: Common,
    /// Also write the branches as CSV (long format, header t,branch,re,im,slope_re,slope_im).
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct SweepArgs {
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

#[derive(ValueEnum, Clone, Copy, Debug)]
enum PolicyArg {
    Adiabatic,
    Diabatic,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum HermitianArg {
    Auto,
    Yes,
    No,
}

fn parse_number(s: &str, what: &str) -> Result<f64, String> {
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

/// A failure: the message for stderr and the exit code.
struct Failure {
    message: String,
    code: u8,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        // numerical failures exit with 1, everything the user can fix with 2
        let code = match e {
            Error::NoConvergence { .. } | Error::IllDefined { .. } => 1,
            Error::Empty { .. }
            | Error::NotSquare { .. }
            | Error::NonFinite { .. }
            | Error::SizeChanged { .. }
            | Error::DimensionMismatch { .. }
            | Error::InvalidArgument { .. }
            | Error::Output { .. }
            | Error::Expression { .. }
            | Error::Coefficient { .. }
            | Error::Input { .. } => 2,
            _ => 1,
        };
        Failure {
            message: e.to_string(),
            code,
        }
    }
}

fn output_error(path: &Path, e: std::io::Error) -> Failure {
    Error::Output {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
    .into()
}

/// Write `text` to `path`, or to stdout (a closed pipe is not an error).
fn emit(path: Option<&Path>, text: &str) -> Result<(), Failure> {
    match path {
        Some(p) => std::fs::write(p, text).map_err(|e| output_error(p, e)),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(output_error(Path::new("<stdout>"), e))
                }
                _ => Ok(()),
            }
        }
    }
}

struct Setup {
    file: FamilyFile,
    tracker: Tracker,
    range: (f64, f64),
}

/// Errors about a coefficient get the family file's path in front (file errors carry
/// their own path).
fn in_file(path: &Path, e: Error) -> Failure {
    let prefix = matches!(e, Error::Expression { .. } | Error::Coefficient { .. });
    let mut f = Failure::from(e);
    if prefix {
        f.message = format!("{}: {}", path.display(), f.message);
    }
    f
}

fn setup(c: &Common) -> Result<Setup, Failure> {
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
    if c.local {
        tracker = tracker.resolution(Resolution::Local);
    }
    if let Some(g) = c.gap_tol {
        tracker = tracker.gap_tol(g)?;
    }
    if let Some(g) = c.avoided_gap_max {
        tracker = tracker.avoided_gap_max(g)?;
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

/// Track one family. A non-finite A(t) is traced back to the coefficient and the
/// derivative that caused it, when it is one.
fn track_one<T: Scalar>(
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

/// Serialise `v` as one line of JSON.
fn json_line(v: &Value) -> Result<String, Failure> {
    let mut text = serde_json::to_string(v).map_err(|e| Failure {
        message: format!("cannot serialise the result: {e}"),
        code: 1,
    })?;
    text.push('\n');
    Ok(text)
}

fn run_track(args: &TrackArgs) -> Result<(), Failure> {
    let s = setup(&args.common)?;
    // a bar on stderr once the track has run for a second (not with --quiet or when
    // stderr is not a terminal)
    let bar = std::sync::Arc::new(Bar::new(1000, args.common.quiet));
    let tracker = if bar.enabled {
        let start = std::time::Instant::now();
        let shown = bar.clone();
        s.tracker.clone().progress(move |p| {
            if start.elapsed().as_secs_f64() >= 1.0 {
                let done = (p.fraction * 1000.0) as usize;
                let label = format!(
                    "t = {:<12.6}  {} decompositions, {} local models",
                    p.t, p.stats.decompositions, p.stats.local_models
                );
                shown.done.store(done, Ordering::SeqCst);
                shown.draw(done.min(999), &label);
            }
            std::ops::ControlFlow::Continue(())
        })
    } else {
        s.tracker.clone()
    };
    let tracking = match s.file.family() {
        FileFamily::Real(f) => track_one(f, &s, &tracker),
        FileFamily::Complex(f) => track_one(f, &s, &tracker),
    };
    if bar.enabled && bar.done.load(Ordering::SeqCst) > 0 {
        eprintln!();
    }
    let tracking = tracking.map_err(|e| in_file(&args.common.family, e))?;
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

/// A finite number as JSON, null otherwise.
fn num(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
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

/// A progress bar on stderr, drawn only when stderr is a terminal.
struct Bar {
    total: usize,
    done: AtomicUsize,
    lock: Mutex<()>,
    enabled: bool,
}

impl Bar {
    fn new(total: usize, quiet: bool) -> Self {
        Bar {
            total,
            done: AtomicUsize::new(0),
            lock: Mutex::new(()),
            enabled: !quiet && std::io::stderr().is_terminal(),
        }
    }
    fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        if self.enabled {
            self.draw(done, &format!("{done}/{}", self.total));
        }
    }
    /// Draw `done` of `total` steps with a label; a newline when complete.
    fn draw(&self, done: usize, label: &str) {
        let _guard = self.lock.lock();
        let width = 30;
        let filled = (width * done / self.total.max(1)).min(width);
        eprint!(
            "\r[{}{}] {label}",
            "#".repeat(filled),
            " ".repeat(width - filled),
        );
        if done >= self.total {
            eprintln!();
        }
    }
}

fn run_sweep(args: &SweepArgs) -> Result<(), Failure> {
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

/// clap's message in one line: the text before the usage block, lines joined.
fn one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let head = text.split("\n\n").next().unwrap_or("");
    let joined: Vec<&str> = head
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    format!("{} (see eigentrack --help)", joined.join(" "))
}

fn main() -> ExitCode {
    // a bug must still end with one line, not a backtrace
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error: {info}");
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = e.print();
                    ExitCode::SUCCESS
                }
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    ExitCode::from(2)
                }
                _ => {
                    eprintln!("{}", one_line(&e));
                    ExitCode::from(2)
                }
            };
        }
    };
    let result = std::panic::catch_unwind(|| match &cli.command {
        Command::Track(args) => run_track(args),
        Command::Sweep(args) => run_sweep(args),
    });
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(f)) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
        Err(_) => ExitCode::from(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_by_error_kind() {
        let code = |e: Error| Failure::from(e).code;
        assert_eq!(
            code(Error::NoConvergence {
                n: 2,
                residual: 1.0,
                at: eigentrack::At(Some(0.5))
            }),
            1
        );
        assert_eq!(code(Error::IllDefined { reason: "x".into() }), 1);
        assert_eq!(
            code(Error::Input {
                path: "f".into(),
                line: Some(1),
                column: None,
                term: None,
                reason: "x".into()
            }),
            2
        );
        assert_eq!(
            code(Error::NonFinite {
                what: "A",
                row: 0,
                col: 0,
                value: f64::NAN,
                at: eigentrack::At(Some(0.0))
            }),
            2
        );
    }

    #[test]
    fn option_parsers() {
        assert_eq!(parse_level("re=0.5"), Ok((Part::Re, 0.5)));
        assert_eq!(parse_level("abs=1"), Ok((Part::Abs, 1.0)));
        assert!(parse_level("real=0").unwrap_err().contains("unknown part"));
        assert!(parse_level("re").is_err() && parse_level("re=inf").is_err());
        assert_eq!(parse_range("-1:2.5"), Ok((-1.0, 2.5)));
        assert!(parse_range("1:1").is_err() && parse_range("1").is_err());
        let p = parse_param("g=0:1:5").unwrap();
        assert_eq!(p.name, "g");
        assert_eq!(p.values, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(parse_param("g=2:3:1").unwrap().values, vec![2.0]);
        assert!(parse_param("g=0:1").is_err());
        assert!(parse_param("g=0:1:0").is_err());
        assert!(parse_param("g=0:x:3").is_err());
    }
}

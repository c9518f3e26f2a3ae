//! `eigentrack`: track the eigenvalues of a matrix family given as a JSON file.
//!
//! See `eigentrack --help`. Exit codes: 0 success, 2 a usage or input error (bad option,
//! malformed family file or Matrix Market file, non-finite A(t), an output file that
//! cannot be written), 1 a numerical failure (an eigen-decomposition that does not
//! converge, a work budget spent: `--max-decompositions`). Every error is one line on stderr.
//!
//! This file owns the command line itself (`Cli`, its subcommands and the help text they
//! share), the exit-code contract (`Failure`, and the family file's path in front of
//! coefficient errors) and `main`. The rest: `args` (the options both subcommands share
//! and the tracker they set up), `track` and `sweep` (one module per subcommand: its own
//! options and its run), `output` (the JSON and the writers), `progress` (the bar on
//! stderr).

use clap::{Parser, Subcommand};
use eigentrack::Error;
use std::path::Path;
use std::process::ExitCode;
use sweep::SweepArgs;
use track::TrackArgs;

mod args;
mod interrupt;
mod nearest;
mod output;
mod progress;
mod sweep;
mod track;

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

THE K EIGENVALUES NEAREST σ (track --nearest K --sigma S)
  For large sparse families: the family file is read without forming any n x n
  matrix (.mtx terms go straight into compressed sparse columns) and the K
  eigenvalues nearest S (real or complex: 2.5, 1+2i, -0.5-3i) are tracked by
  shift-invert on a sparse LU, with a guard band of extra pairs. Output:
  {\"method\": \"nearest\", \"k\", \"sigma\": {\"re\", \"im\"}, \"n\", \"samples\",
   \"branches\": [{\"re\", \"im\", \"slope_re\", \"slope_im\", \"cond\", \"in_window\"}],
   \"events\": [{\"kind\", \"t\", \"branches\", \"precision\"}], \"stats\": {...},
   \"real\"}
  with null where a branch is not computed (outside the guard band); in_window
  tells where it is among the K nearest S. Event kinds: window_entry,
  window_exit, crossing, touching, left_band, unresolved (with t_end). --csv adds an
  in_window column. Used with --nearest: --samples, --range, --out, --csv,
  --plot, --quiet; --no-curvatures is accepted (no curvatures are computed on
  this path); --policy diabatic, --resolution refine, --hermitian yes|no,
  --level, --gap-tol, --avoided-gap-max, --max-decompositions and --no-events
  are errors (the sparse path cannot honour them); the file's \"hermitian\" is
  not used (the sparse path detects a Hermitian A(t) itself). A \"mass\" list
  of terms in the family file makes it the pencil A(t)x = λB(t)x.
  track --largest-real K instead follows the K eigenvalues with the largest
  real part (method \"largest_real\"; sigma is then the last shift used).

OUTPUT (JSON, to stdout unless --out)
  {\"samples\": [...], \"branches\": [{\"re\", \"im\", \"slope_re\", \"slope_im\",
   \"curv_re\", \"curv_im\", \"cond\"}], \"events\": [{\"kind\", \"t\", \"branches\",
   \"re\", \"im\", ...}], \"stats\": {...}, \"real\": true|false}
  Branch k is eigenpair k in ascending (Re, Im) order at the first sample; event
  kinds: crossing and touching (the levels meet without exchanging order: t^2,
  a tangency; both with slopes_re, slopes_im), avoided_crossing (with gap),
  exceptional_point, level (with level and part), unresolved (with t_end). NaN
  is written as null, an infinity as \"inf\" or \"-inf\". The JSON is the
  library's serde model: Tracking::from_json (Python: eigentrack.Tracking.from_json)
  reads it back exactly. --csv writes t,branch,re,im,slope_re,slope_im.

EXIT CODES
  0 success, 2 usage or input error, 1 numerical failure (including a work
  budget spent, see --max-decompositions), 130 interrupted by Ctrl-C (a second
  Ctrl-C ends the process at once).";

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

/// A failure: the message for stderr and the exit code.
struct Failure {
    message: String,
    code: u8,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        // numerical failures exit with 1, everything the user can fix with 2
        let code = match e {
            Error::NoConvergence { .. } | Error::IllDefined { .. } | Error::Budget { .. } => 1,
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

/// glibc's allocator serves every large block (the n × b blocks of a sparse track: 5 MB
/// at n = 1.6·10⁵, 130 MB at 10⁶) from a fresh mmap and unmaps it when freed, so each is
/// cleared page by page by the kernel again: 14 % of the wall time of the `dot` family at
/// n = 1.6·10⁵ (6 s of system time in 44 s) and 106 s of 374 at 10⁶. Kept in the heap
/// and not trimmed, freed blocks are reused: 33–36 s with 0.4 s of system time there
/// (4 min 28 s with 5 s at 10⁶), for 5–10 % more peak memory. (glibc still maps a block
/// that the heap cannot grow to hold.)
fn keep_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets two allocator parameters, before any thread exists
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0);
        libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX);
    }
}

fn main() -> ExitCode {
    keep_large_blocks();
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
        Command::Track(args) => track::run_track(args),
        Command::Sweep(args) => sweep::run_sweep(args),
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
            code(Error::Budget {
                t: 0.5,
                used: 10,
                budget: 10
            }),
            1
        );
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
}

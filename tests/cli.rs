//! End-to-end tests of the `eigentrack` binary on family files with exact answers (the
//! rotated crossing family, Landau–Zener, an exceptional point, a complex Hermitian
//! family from Matrix Market files), the CSV, the sweep with exact ∂λ/∂g, and every
//! error: one line on stderr, exit code 2, no panic.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_eigentrack");

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/cli")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// A fresh directory for output files.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eigentrack-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run `track FAMILY args…` and parse the JSON on stdout.
fn track(family: &str, args: &[&str]) -> Value {
    let path = data(family);
    let mut all = vec!["track", path.to_str().unwrap(), "--quiet"];
    all.extend_from_slice(args);
    let out = run(&all);
    assert!(
        out.status.success(),
        "{family}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "--quiet prints nothing on stderr");
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

fn events_of_kind<'a>(j: &'a Value, kind: &str) -> Vec<&'a Value> {
    j["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

/// The second crossing of t and e^{t²} − 1: the root of e^{t²} − 1 − t near 0.75.
fn second_crossing() -> f64 {
    let mut t: f64 = 0.75;
    for _ in 0..50 {
        let f = (t * t).exp() - 1.0 - t;
        let df = 2.0 * t * (t * t).exp() - 1.0;
        t -= f / df;
    }
    t
}

fn assert_uniform_samples(j: &Value, a: f64, b: f64, n: usize) {
    let s = floats(&j["samples"]);
    assert_eq!(s.len(), n);
    assert_eq!((s[0], s[n - 1]), (a, b));
    for (k, &t) in s.iter().enumerate() {
        assert!((t - (a + (b - a) * k as f64 / (n - 1) as f64)).abs() < 1e-15);
    }
}

#[test]
fn crossing_family_keeps_branch_identity_and_locates_both_crossings() {
    let j = track("crossing.json", &[]);
    assert_uniform_samples(&j, -1.0, 1.5, 201);
    let branches = j["branches"].as_array().unwrap();
    assert_eq!(branches.len(), 2);
    let ts = floats(&j["samples"]);
    // branch 0 starts as the smaller eigenvalue, t = −1 (e^{1} − 1 > −1), and stays t
    // through both crossings; branch 1 stays e^{t²} − 1
    for (k, &t) in ts.iter().enumerate() {
        let ex = (t * t).exp();
        let (re0, re1) = (floats(&branches[0]["re"])[k], floats(&branches[1]["re"])[k]);
        assert!((re0 - t).abs() < 1e-12, "branch 0 at t = {t}: {re0}");
        assert!(
            (re1 - (ex - 1.0)).abs() < 1e-12,
            "branch 1 at t = {t}: {re1}"
        );
        let (s0, s1) = (
            floats(&branches[0]["slope_re"])[k],
            floats(&branches[1]["slope_re"])[k],
        );
        assert!((s0 - 1.0).abs() < 1e-9, "slope 0 at t = {t}: {s0}");
        assert!(
            (s1 - 2.0 * t * ex).abs() < 1e-9 * ex,
            "slope 1 at t = {t}: {s1}"
        );
        assert_eq!(floats(&branches[0]["im"])[k], 0.0);
        assert_eq!(floats(&branches[0]["slope_im"])[k], 0.0);
    }
    let crossings = events_of_kind(&j, "crossing");
    assert_eq!(crossings.len(), 2, "{}", j["events"]);
    assert_eq!(j["events"].as_array().unwrap().len(), 2);
    let t2 = second_crossing();
    for (e, t_exact) in crossings.iter().zip([0.0, t2]) {
        assert!((e["t"].as_f64().unwrap() - t_exact).abs() < 1e-9, "{e}");
        assert_eq!(e["branches"], serde_json::json!([0, 1]));
        assert!((e["re"].as_f64().unwrap() - t_exact).abs() < 1e-9);
        assert_eq!(e["im"].as_f64(), Some(0.0));
    }
    let ex = (t2 * t2).exp();
    let s = floats(&crossings[1]["slopes_re"]);
    assert!(
        (s[0] - 1.0).abs() < 1e-8 && (s[1] - 2.0 * t2 * ex).abs() < 1e-7,
        "{s:?}"
    );
    assert!(j["stats"]["decompositions"].as_u64().unwrap() >= 201);
}

#[test]
fn output_keys_follow_the_documented_order() {
    let j = track("crossing.json", &["--samples", "3"]);
    let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["samples", "branches", "events", "stats", "real"]);
    let b: Vec<&String> = j["branches"][0].as_object().unwrap().keys().collect();
    assert_eq!(&b[..5], ["re", "im", "slope_re", "slope_im", "curv_re"]);
    assert!(b.iter().any(|k| *k == "cond"));
}

#[test]
fn out_csv_and_summary() {
    let dir = temp_dir("csv");
    let (json, csv) = (dir.join("out.json"), dir.join("out.csv"));
    let out = run(&[
        "track",
        data("crossing.json").to_str().unwrap(),
        "--samples",
        "21",
        "--out",
        json.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty(), "with --out nothing goes to stdout");
    // the summary on stderr names the events
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("2 branches over t ∈ [-1, 1.5], 21 samples"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("crossing ").count(), 2, "{stderr}");
    let j: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_uniform_samples(&j, -1.0, 1.5, 21);
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("t,branch,re,im,slope_re,slope_im"));
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 21 * 2);
    let ts = floats(&j["samples"]);
    for (r, row) in rows.iter().enumerate() {
        let (i, k) = (r / 2, r % 2);
        assert_eq!(row.len(), 6);
        assert_eq!(row[0], ts[i]);
        assert_eq!(row[1], k as f64);
        let b = &j["branches"][k];
        assert_eq!(row[2], floats(&b["re"])[i]);
        assert_eq!(row[3], floats(&b["im"])[i]);
        assert_eq!(row[4], floats(&b["slope_re"])[i]);
        assert_eq!(row[5], floats(&b["slope_im"])[i]);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn range_override() {
    let j = track("crossing.json", &["--range", "0.5:1.0", "--samples", "11"]);
    assert_uniform_samples(&j, 0.5, 1.0, 11);
    let crossings = events_of_kind(&j, "crossing");
    assert_eq!(crossings.len(), 1);
    assert!((crossings[0]["t"].as_f64().unwrap() - second_crossing()).abs() < 1e-9);
}

#[test]
fn landau_zener_adiabatic_and_diabatic() {
    let g = 1e-3;
    let exact = |t: f64| (t * t + g * g).sqrt();
    let j = track("landau_zener.json", &[]);
    let ts = floats(&j["samples"]);
    let (b0, b1) = (
        floats(&j["branches"][0]["re"]),
        floats(&j["branches"][1]["re"]),
    );
    for (k, &t) in ts.iter().enumerate() {
        assert!(
            (b0[k] + exact(t)).abs() < 1e-12,
            "adiabatic branch 0 at {t}"
        );
        assert!(
            (b1[k] - exact(t)).abs() < 1e-12,
            "adiabatic branch 1 at {t}"
        );
    }
    let avoided = events_of_kind(&j, "avoided_crossing");
    assert_eq!(avoided.len(), 1, "{}", j["events"]);
    assert!(events_of_kind(&j, "crossing").is_empty());
    assert!(avoided[0]["t"].as_f64().unwrap().abs() < 1e-9);
    assert!((avoided[0]["gap"].as_f64().unwrap() - 2.0 * g).abs() < 1e-12);
    assert_eq!(avoided[0]["branches"], serde_json::json!([0, 1]));

    // diabatic: branch 0 follows the diagonal entry t, i.e. sign(t)·sqrt(t² + g²)
    let j = track("landau_zener.json", &["--policy", "diabatic"]);
    let (b0, b1) = (
        floats(&j["branches"][0]["re"]),
        floats(&j["branches"][1]["re"]),
    );
    for (k, &t) in ts.iter().enumerate() {
        if t.abs() < 1e-12 {
            continue;
        }
        assert!(
            (b0[k] - t.signum() * exact(t)).abs() < 1e-12,
            "diabatic branch 0 at {t}"
        );
        assert!(
            (b1[k] + t.signum() * exact(t)).abs() < 1e-12,
            "diabatic branch 1 at {t}"
        );
    }
}

#[test]
fn exceptional_point_and_level() {
    let j = track("exceptional_point.json", &["--level", "re=0.5"]);
    let ts = floats(&j["samples"]);
    let b = &j["branches"];
    for (k, &t) in ts.iter().enumerate() {
        if t.abs() < 0.02 {
            continue;
        }
        let r = t.abs().sqrt();
        let (re0, im0, re1, im1) = (
            floats(&b[0]["re"])[k],
            floats(&b[0]["im"])[k],
            floats(&b[1]["re"])[k],
            floats(&b[1]["im"])[k],
        );
        let (sre0, sim0) = (floats(&b[0]["slope_re"])[k], floats(&b[0]["slope_im"])[k]);
        if t < 0.0 {
            // ∓i·sqrt(−t), ascending (Re, Im): −i·sqrt(−t) first; slope ±i/(2 sqrt(−t))
            assert!(re0.abs() < 1e-12 && (im0 + r).abs() < 1e-12, "t = {t}");
            assert!(re1.abs() < 1e-12 && (im1 - r).abs() < 1e-12, "t = {t}");
            assert!(
                sre0.abs() < 1e-9 && (sim0 - 0.5 / r).abs() < 1e-9,
                "t = {t}"
            );
        } else {
            // ∓sqrt(t) on the other side; slope ∓1/(2 sqrt t)
            assert!((re0 + r).abs() < 1e-12 && im0.abs() < 1e-12, "t = {t}");
            assert!((re1 - r).abs() < 1e-12 && im1.abs() < 1e-12, "t = {t}");
            assert!(
                (sre0 + 0.5 / r).abs() < 1e-9 && sim0.abs() < 1e-9,
                "t = {t}"
            );
        }
        // κ grows like |t|^{-1/4}·const towards the exceptional point
        assert!(floats(&b[0]["cond"])[k] >= 1.0);
    }
    let ep = events_of_kind(&j, "exceptional_point");
    assert_eq!(ep.len(), 1, "{}", j["events"]);
    assert!(ep[0]["t"].as_f64().unwrap().abs() < 1e-6, "{}", ep[0]);
    assert_eq!(ep[0]["branches"], serde_json::json!([0, 1]));
    // Re λ = 0.5 on branch 1 at t = 0.25
    let level = events_of_kind(&j, "level");
    assert_eq!(level.len(), 1, "{}", j["events"]);
    assert!((level[0]["t"].as_f64().unwrap() - 0.25).abs() < 1e-9);
    assert_eq!(level[0]["branches"], serde_json::json!([1]));
    assert_eq!(level[0]["part"], "re");
    assert_eq!(level[0]["level"].as_f64(), Some(0.5));
}

#[test]
fn complex_hermitian_family_from_mtx_files() {
    // the ± pair's broad avoided crossing (gap 0.6, which the grid shows) is an event on
    // request
    let j = track("hermitian_mtx.json", &["--avoided-gap-max", "inf"]);
    let ts = floats(&j["samples"]);
    let b = &j["branches"];
    for (k, &t) in ts.iter().enumerate() {
        let r = (t * t + 0.09).sqrt();
        // at t = −1: 2t − 0.5 = −2.5 < −sqrt(1.09) < +sqrt(1.09)
        let want = [(2.0 * t - 0.5, 2.0), (-r, -t / r), (r, t / r)];
        for (m, (value, slope)) in want.iter().enumerate() {
            assert!(
                (floats(&b[m]["re"])[k] - value).abs() < 1e-12,
                "branch {m} at {t}"
            );
            assert!(floats(&b[m]["im"])[k].abs() < 1e-12);
            assert!(
                (floats(&b[m]["slope_re"])[k] - slope).abs() < 1e-9,
                "slope {m} at {t}"
            );
            assert!((floats(&b[m]["cond"])[k] - 1.0).abs() < 1e-9);
        }
    }
    let crossings = events_of_kind(&j, "crossing");
    assert_eq!(crossings.len(), 2, "{}", j["events"]);
    let s = 2.08f64.sqrt();
    for (e, (t_exact, pair)) in crossings
        .iter()
        .zip([((2.0 - s) / 6.0, [0, 1]), ((2.0 + s) / 6.0, [0, 2])])
    {
        assert!((e["t"].as_f64().unwrap() - t_exact).abs() < 1e-9, "{e}");
        assert_eq!(e["branches"], serde_json::json!(pair));
        assert!((e["re"].as_f64().unwrap() - (2.0 * t_exact - 0.5)).abs() < 1e-9);
    }
    // the ± pair has its minimum gap 0.6 at t = 0
    let avoided = events_of_kind(&j, "avoided_crossing");
    assert_eq!(avoided.len(), 1);
    assert!(avoided[0]["t"].as_f64().unwrap().abs() < 1e-9);
    assert!((avoided[0]["gap"].as_f64().unwrap() - 0.6).abs() < 1e-12);
    // --hermitian no takes the general path: the same curves
    let g = track(
        "hermitian_mtx.json",
        &["--hermitian", "no", "--samples", "11"],
    );
    let ts = floats(&g["samples"]);
    for (k, &t) in ts.iter().enumerate() {
        assert!((floats(&g["branches"][0]["re"])[k] - (2.0 * t - 0.5)).abs() < 1e-12);
    }
}

fn sweep(family: &str, param: &str, samples: &str) -> Value {
    let path = data(family);
    let out = run(&[
        "sweep",
        path.to_str().unwrap(),
        "--param",
        param,
        "--samples",
        samples,
        // the broad avoided crossings are events on request
        "--avoided-gap-max",
        "inf",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // no progress bar when stderr is not a terminal; one summary line per value
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains('\r') && !stderr.contains('#'), "{stderr}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// dλ∓/dg = ∓g/sqrt(t² + g²) for [[t, g e^{iφ}], [g e^{−iφ}, −t]].
fn check_lz_sweep(j: &Value, gs: &[f64]) {
    assert_eq!(j["param"], "g");
    assert_eq!(floats(&j["values"]), gs);
    let runs = j["runs"].as_array().unwrap();
    assert_eq!(runs.len(), gs.len());
    for (run, &g) in runs.iter().zip(gs) {
        assert_eq!(run["param"]["name"], "g");
        assert_eq!(run["param"]["value"].as_f64(), Some(g));
        let ts = floats(&run["samples"]);
        for (k, &t) in ts.iter().enumerate() {
            let r = (t * t + g * g).sqrt();
            for (m, sign) in [(0, -1.0), (1, 1.0)] {
                let b = &run["branches"][m];
                assert!((floats(&b["re"])[k] - sign * r).abs() < 1e-12);
                let d = floats(&b["dparam_re"])[k];
                assert!((d - sign * g / r).abs() < 1e-10, "g = {g}, t = {t}: {d}");
                assert!(floats(&b["dparam_im"])[k].abs() < 1e-10);
            }
        }
        let avoided = events_of_kind(run, "avoided_crossing");
        assert_eq!(avoided.len(), 1);
        assert!((avoided[0]["gap"].as_f64().unwrap() - 2.0 * g).abs() < 1e-12);
    }
}

#[test]
fn sweep_reports_exact_parameter_derivatives() {
    let j = sweep("landau_zener.json", "g=0.1:0.3:3", "41");
    check_lz_sweep(&j, &[0.1, 0.2, 0.3]);
    // complex arithmetic: a complex coupling phase changes nothing
    let j = sweep("lz_complex.json", "g=0.05:0.2:4", "21");
    check_lz_sweep(&j, &[0.05, 0.1, 0.15000000000000002, 0.2]);
}

/// Run a failing command: exit code 2, one line on stderr starting with "error: ",
/// nothing on stdout, no panic. Returns the line.
fn fails(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {:?}", out);
    assert!(out.stdout.is_empty(), "{args:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"));
    stderr.trim_end().to_string()
}

fn fails_on(family: &str) -> String {
    let path = data(family);
    fails(&["track", path.to_str().unwrap()])
}

#[test]
fn malformed_json_names_line_and_column() {
    let msg = fails_on("bad_json.json");
    let path = data("bad_json.json");
    assert_eq!(
        msg,
        format!(
            "error: {}:5:5: malformed JSON: expected `,` or `]`",
            path.display()
        )
    );
}

#[test]
fn unknown_function_and_name_name_term_and_position() {
    let path = data("bad_function.json");
    assert_eq!(
        fails_on("bad_function.json"),
        format!(
            "error: {}: terms[1].coef \"g*sinn(t)\", position 3: unknown function \"sinn\" (functions: sin cos tan exp log sqrt sinh cosh tanh abs)",
            path.display()
        )
    );
    let msg = fails_on("bad_name.json");
    assert!(
        msg.ends_with(
            "terms[0].coef \"t + omega\", position 5: unknown name \"omega\" (known: t, pi, e, i)"
        ),
        "{msg}"
    );
}

#[test]
fn wrong_size_names_the_term() {
    let path = data("bad_size.json");
    assert_eq!(
        fails_on("bad_size.json"),
        format!(
            "error: {}: terms[1]: the matrix is 3×3, terms[0] is 2×2: all terms must have one size",
            path.display()
        )
    );
}

#[test]
fn missing_and_malformed_mtx_name_path_and_line() {
    let msg = fails_on("missing_mtx.json");
    let missing = data("nonexistent.mtx");
    assert!(
        msg.starts_with(&format!(
            "error: {}: terms[0]: cannot read the Matrix Market file",
            missing.display()
        )),
        "{msg}"
    );
    assert_eq!(
        fails_on("bad_mtx.json"),
        format!(
            "error: {}:6: terms[1]: expected 3 numbers (row column value), found 2",
            data("bad.mtx").display()
        )
    );
}

#[test]
fn non_finite_a_names_the_t() {
    let msg = fails_on("nonfinite.json");
    assert!(
        msg.ends_with("terms[1].coef \"1/t\" at t = 0: the value is not finite (inf)"),
        "{msg}"
    );
    let msg = fails_on("real_sqrt.json");
    assert!(msg.contains("at t = -1: the value is complex"), "{msg}");
    assert!(msg.contains("add 0*i"), "{msg}");
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let fam = data("crossing.json");
    let fam = fam.to_str().unwrap();
    let msg = fails(&["track", fam, "--frobnicate"]);
    assert!(msg.contains("unexpected argument '--frobnicate'"), "{msg}");
    let msg = fails(&["track"]);
    assert!(
        msg.contains("required arguments were not provided: <FAMILY.json>"),
        "{msg}"
    );
    let msg = fails(&["track", fam, "--samples", "1"]);
    assert!(msg.contains("--samples"), "{msg}");
    let msg = fails(&["track", fam, "--samples", "many"]);
    assert!(msg.contains("invalid value 'many'"), "{msg}");
    let msg = fails(&["track", fam, "--level", "real=0"]);
    assert!(msg.contains("unknown part \"real\""), "{msg}");
    let msg = fails(&["track", fam, "--policy", "sideways"]);
    assert!(msg.contains("invalid value 'sideways'"), "{msg}");
    let msg = fails(&["track", fam, "--hermitian", "maybe"]);
    assert!(msg.contains("invalid value 'maybe'"), "{msg}");
    let msg = fails(&["track", fam, "--range", "1:1"]);
    assert!(msg.contains("empty"), "{msg}");
    let msg = fails(&["frobnicate"]);
    assert!(
        msg.contains("unrecognized subcommand 'frobnicate'"),
        "{msg}"
    );
    let msg = fails(&["sweep", fam, "--param", "g=0:1"]);
    assert!(msg.contains("NAME=START:END:COUNT"), "{msg}");
    let msg = fails(&["sweep", fam]);
    assert!(msg.contains("--param"), "{msg}");
    let lz = data("landau_zener.json");
    let msg = fails(&["sweep", lz.to_str().unwrap(), "--param", "h=0:1:3"]);
    assert_eq!(
        msg,
        "error: --param: the family has no parameter \"h\" (its params: g)"
    );
    let missing = data("no_such_family.json");
    let msg = fails(&["track", missing.to_str().unwrap()]);
    assert!(
        msg.contains("no_such_family.json: cannot read the family file"),
        "{msg}"
    );
    let msg = fails(&["track", fam, "--out", "/nonexistent-dir/out.json"]);
    assert!(
        msg.starts_with("error: cannot write /nonexistent-dir/out.json"),
        "{msg}"
    );
    // no subcommand: the help, on stderr, exit 2
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage: eigentrack <COMMAND>"));
}

#[test]
fn help_explains_every_option_and_the_format() {
    for args in [&["--help"][..], &["track", "--help"][..]] {
        let out = run(args);
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        for needle in [
            "FAMILY FILE (JSON)",
            "\"terms\"",
            "sin cos tan exp log sqrt sinh cosh tanh abs",
            "Matrix Market",
            "t,branch,re,im,slope_re,slope_im",
            "EXIT CODES",
        ] {
            assert!(text.contains(needle), "{args:?} lacks {needle}");
        }
        if args.len() == 2 {
            for opt in [
                "--samples",
                "--out",
                "--csv",
                "--policy",
                "--hermitian",
                "--level",
                "--quiet",
                "--range",
                "--plot",
            ] {
                assert!(text.contains(opt), "track --help lacks {opt}");
            }
        }
    }
    let out = run(&["sweep", "--help"]);
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("NAME=START:END:COUNT"));
    let out = run(&["--version"]);
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("eigentrack "));
}

/// A PNG's width and height from its header.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (w, h)
}

#[test]
fn plot_writes_png_and_svg_figures() {
    let dir = temp_dir("plot");
    let png = dir.join("lz.png");
    let svg = dir.join("lz.svg");
    track("landau_zener.json", &["--plot", png.to_str().unwrap()]);
    let (w, h) = png_size(&std::fs::read(&png).unwrap());
    assert!(w >= 400 && h >= 300, "{w}×{h}");
    track("landau_zener.json", &["--plot", svg.to_str().unwrap()]);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.starts_with("<svg") && text.contains("avoided"),
        "SVG without the event"
    );
    // sweep: one figure over the parameter
    let fam = data("landau_zener.json");
    let sweep_png = dir.join("sweep.png");
    let out = run(&[
        "sweep",
        fam.to_str().unwrap(),
        "--param",
        "g=0.1:0.3:3",
        "--samples",
        "21",
        "--quiet",
        "--plot",
        sweep_png.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    png_size(&std::fs::read(&sweep_png).unwrap());
    // unknown extension and unwritable path: exit 2, one line naming the path
    let bad = dir.join("lz.bmpx");
    let msg = fails(&[
        "track",
        fam.to_str().unwrap(),
        "--plot",
        bad.to_str().unwrap(),
    ]);
    assert!(msg.contains("lz.bmpx"), "{msg}");
    let msg = fails(&[
        "track",
        fam.to_str().unwrap(),
        "--plot",
        "/nonexistent-dir/x.png",
    ]);
    assert!(msg.contains("/nonexistent-dir/x.png"), "{msg}");
}

/// `--resolution refine` takes the first version's path (fresh decompositions, no local
/// models): the same curves, and every avoided crossing an event; the default reports
/// the broad one (gap 0.6, which the grid shows) only on request.
#[test]
fn resolution_refine_gives_the_same_curves() {
    let local = track("hermitian_mtx.json", &[]);
    let refine = track("hermitian_mtx.json", &["--resolution", "refine"]);
    for m in 0..3 {
        let (a, b) = (
            floats(&local["branches"][m]["re"]),
            floats(&refine["branches"][m]["re"]),
        );
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-12, "branch {m}: {x} vs {y}");
        }
    }
    assert!(events_of_kind(&local, "avoided_crossing").is_empty());
    assert_eq!(events_of_kind(&refine, "avoided_crossing").len(), 1);
    assert_eq!(refine["stats"]["local_models"].as_u64(), Some(0));
    assert!(local["stats"]["local_models"].as_u64().unwrap() > 0);
    let bad = run(&[
        "track",
        data("hermitian_mtx.json").to_str().unwrap(),
        "--resolution",
        "newton",
    ]);
    assert_eq!(bad.status.code(), Some(2));
}

/// Issue 15: families at the extremes of f64 end quickly with a result or a clear error.
fn extreme(name: &str, args: &[&str]) -> (Output, f64) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/extreme")
        .join(name);
    let mut all = vec!["track", path.to_str().unwrap(), "--quiet"];
    all.extend_from_slice(args);
    let start = std::time::Instant::now();
    let out = run(&all);
    let seconds = start.elapsed().as_secs_f64();
    // under a second in release builds (the test command of README.md)
    let limit = if cfg!(debug_assertions) { 10.0 } else { 1.0 };
    assert!(seconds < limit, "{name}: {seconds} s");
    (out, seconds)
}

#[test]
fn extreme_entry_complex_family_gives_the_eigenvalues() {
    // [[1e308 + t, 1e308], [1e308·i, −1e308 − t]]: ‖A‖_F overflows, λ = ±1e308·√(1 + i)
    // to working precision
    let (out, _) = extreme("huge_entry_complex.json", &["--samples", "11"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (re, im) = (1.098_684_113_467_81e308, 0.455_089_860_562_227_3e308);
    for (k, sign) in [(0, -1.0), (1, 1.0)] {
        let b = &j["branches"][k];
        for (x, y) in floats(&b["re"]).iter().zip(floats(&b["im"])) {
            assert!((x - sign * re).abs() < 1e-12 * re, "branch {k}: {x}");
            assert!((y - sign * im).abs() < 1e-12 * re, "branch {k}: {y}");
        }
    }
    assert!(j["stats"]["budget_used"].as_u64().unwrap() <= 64 * 11 + 1024);
}

#[test]
fn oscillation_over_1e20_ends_with_a_result() {
    let (out, _) = extreme("oscillating_1e20.json", &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = floats(&j["samples"]);
    assert_eq!((s.len(), s[0], s[200]), (201, 0.0, 1e20));
    for (k, &t) in s.iter().enumerate() {
        assert!(
            (t - 1e20 * k as f64 / 200.0).abs() <= 1e-15 * 1e20,
            "{k}: {t}"
        );
    }
    // sin(t)·σz + cos(t)·σx has eigenvalues ±1 at every t
    for (k, sign) in [(0, -1.0), (1, 1.0)] {
        for x in floats(&j["branches"][k]["re"]) {
            assert!((x - sign).abs() < 1e-12, "branch {k}: {x}");
        }
    }
    assert_eq!(j["stats"]["budget"], 64 * 201 + 1024);
}

#[test]
fn oscillation_over_1e6_with_11_samples_spends_the_budget() {
    for command in ["track", "sweep"] {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/extreme/oscillating_1e6.json");
        let mut args = vec![
            command,
            path.to_str().unwrap(),
            "--quiet",
            "--samples",
            "11",
        ];
        if command == "sweep" {
            args.extend_from_slice(&["--param", "p=0:1:1", "--max-decompositions", "300"]);
        }
        let start = std::time::Instant::now();
        let out = run(&args);
        let limit = if cfg!(debug_assertions) { 10.0 } else { 1.0 };
        assert!(start.elapsed().as_secs_f64() < limit, "{command}");
        assert_eq!(out.status.code(), Some(1), "{command}");
        let err = String::from_utf8_lossy(&out.stderr);
        let budget = if command == "sweep" {
            300
        } else {
            64 * 11 + 1024
        };
        assert!(
            err.contains(&format!("work budget spent: {budget} of {budget} decompositions used, the track reached t = ")),
            "{command}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn range_up_to_1e308_ends_where_a_entry_overflows() {
    // diag(t, 2t) on [5, 1e308]: 2t overflows beyond t ≈ 9e307, a clear input error there
    let (out, _) = extreme("huge_range.json", &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim_end(),
        "error: entry (1, 1) of A is not finite (inf) at t = 9e307"
    );
    // up to 8e307 the eigenvalues t and 2t are tracked on every sample
    let (out, _) = extreme("huge_range.json", &["--range", "5:8e307"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let samples = floats(&j["samples"]);
    assert_eq!((samples.len(), samples[200]), (201, 8e307));
    for (k, factor) in [(0, 1.0), (1, 2.0)] {
        for (t, x) in samples.iter().zip(floats(&j["branches"][k]["re"])) {
            assert!(
                (x - factor * t).abs() <= 1e-14 * factor * t,
                "branch {k}: {t} {x}"
            );
        }
    }
    assert_eq!(j["stats"]["decompositions"], 201);
}

/// The CLI's JSON is the library's serde model: it reads back with `Tracking::from_json`
/// and writes out again to the very same text, and its numbers are the library's own.
#[test]
fn cli_json_reads_back_with_from_json() {
    let path = data("crossing.json");
    let out = run(&[
        "track",
        path.to_str().unwrap(),
        "--quiet",
        "--samples",
        "21",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let back = eigentrack::Tracking::from_json(&text).expect("the CLI's JSON reads back");
    assert_eq!(back.samples().len(), 21);
    assert_eq!(back.events().len(), 2);
    assert!(matches!(
        back.events()[0],
        eigentrack::Event::Crossing { .. }
    ));
    assert!(back.is_real());
    let again = serde_json::to_string(&back).unwrap();
    assert_eq!(again, text.trim_end(), "a round trip changes nothing");
    let bad = eigentrack::Tracking::from_json("{\"samples\": [0, 1]}").unwrap_err();
    assert!(
        bad.to_string().contains("json") && bad.to_string().contains("branches"),
        "{bad}"
    );
}

// ---- track --nearest K --sigma S: the sparse path ----

/// μᵢ = 2 − 2cos(iπ/(m + 1)), i = 1 … m: the eigenvalues of tridiag(−1, 2, −1).
fn lap_eigs(m: usize) -> Vec<f64> {
    (1..=m)
        .map(|i| 2.0 - 2.0 * (i as f64 * std::f64::consts::PI / (m + 1) as f64).cos())
        .collect()
}

/// Writes Lx = T ⊗ I (symmetric storage, lower triangle) and Ly = I ⊗ T (general
/// storage) of an nx × ny grid as Matrix Market files in `dir`, and the family file
/// A(t) = (1 + t)·Lx + Ly over [0, 1]: λᵢⱼ(t) = (1 + t)μᵢ + νⱼ, exact crossings where
/// (1 + t)(μᵢ − μₖ) = νₗ − νⱼ.
fn write_grid_family(dir: &Path, nx: usize, ny: usize) -> PathBuf {
    let n = nx * ny;
    let (mut lx, mut ly) = (Vec::new(), Vec::new());
    for j in 0..ny {
        for i in 0..nx {
            let p = i + nx * j + 1;
            lx.push(format!("{p} {p} 2"));
            ly.push(format!("{p} {p} 2.0"));
            if i + 1 < nx {
                lx.push(format!("{} {p} -1", p + 1));
            }
            if j + 1 < ny {
                ly.push(format!("{} {p} -1", p + nx));
                ly.push(format!("{p} {} -1", p + nx));
            }
        }
    }
    for (name, kind, entries) in [("lx.mtx", "symmetric", lx), ("ly.mtx", "general", ly)] {
        let text = format!(
            "%%MatrixMarket matrix coordinate real {kind}\n% a grid Laplacian\n{n} {n} {}\n{}\n",
            entries.len(),
            entries.join("\n")
        );
        std::fs::write(dir.join(name), text).unwrap();
    }
    let fam = dir.join("grid.json");
    std::fs::write(
        &fam,
        r#"{"range": [0, 1], "terms": [{"coef": "1 + t", "mtx": "lx.mtx"}, {"coef": "1", "mtx": "ly.mtx"}]}"#,
    )
    .unwrap();
    fam
}

#[test]
fn nearest_on_mtx_terms_matches_the_closed_form() {
    let dir = temp_dir("nearest-grid");
    let (nx, ny, k, sigma) = (9, 7, 4, 1.3);
    let fam = write_grid_family(&dir, nx, ny);
    let out = run(&[
        "track",
        fam.to_str().unwrap(),
        "--nearest",
        "4",
        "--sigma",
        "1.3",
        "--samples",
        "41",
        "--quiet",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (j["method"].as_str(), j["k"].as_u64(), j["n"].as_u64()),
        (Some("nearest"), Some(4), Some(63))
    );
    // the library's serde model: it reads back and writes the same text again
    let rec =
        eigentrack::sparse::WindowRecord::from_json(std::str::from_utf8(&out.stdout).unwrap())
            .expect("the CLI's --nearest JSON reads back");
    assert_eq!((rec.n, rec.real, rec.tracking.k()), (63, true, 4));
    assert_eq!(
        serde_json::to_string(&rec).unwrap(),
        std::str::from_utf8(&out.stdout).unwrap().trim_end()
    );
    assert_eq!(
        (j["sigma"]["re"].as_f64(), j["sigma"]["im"].as_f64()),
        (Some(sigma), Some(0.0))
    );
    assert_uniform_samples(&j, 0.0, 1.0, 41);
    let ts = floats(&j["samples"]);
    let (mx, my) = (lap_eigs(nx), lap_eigs(ny));
    let levels: Vec<(usize, usize)> = (0..nx).flat_map(|i| (0..ny).map(move |l| (i, l))).collect();
    let value = |(i, l): (usize, usize), t: f64| (1.0 + t) * mx[i] + my[l];
    // every branch is one closed-form level all along, value and slope to 1e-9
    let branches = j["branches"].as_array().unwrap();
    let mut ids = Vec::new();
    for b in branches {
        let (re, im, slope) = (floats(&b["re"]), floats(&b["im"]), floats(&b["slope_re"]));
        let s0 = re
            .iter()
            .position(|x| x.is_finite())
            .expect("computed somewhere");
        let id = *levels
            .iter()
            .min_by(|&&p, &&q| {
                ((value(p, ts[s0]) - re[s0]).abs() + (mx[p.0] - slope[s0]).abs())
                    .total_cmp(&((value(q, ts[s0]) - re[s0]).abs() + (mx[q.0] - slope[s0]).abs()))
            })
            .unwrap();
        for s in 0..ts.len() {
            if b["re"][s].is_null() {
                assert!(b["slope_re"][s].is_null() && !b["in_window"][s].as_bool().unwrap());
                continue;
            }
            assert!(
                (re[s] - value(id, ts[s])).abs() < 1e-9,
                "branch {id:?} at t = {}: {} against {}",
                ts[s],
                re[s],
                value(id, ts[s])
            );
            assert!(
                (slope[s] - mx[id.0]).abs() < 1e-9,
                "slope of {id:?} at t = {}",
                ts[s]
            );
            assert_eq!(im[s], 0.0);
        }
        ids.push(id);
    }
    // the window at every sample is the k closed-form levels nearest σ
    for (s, &t) in ts.iter().enumerate() {
        let mut exact: Vec<f64> = levels.iter().map(|&p| value(p, t)).collect();
        exact.sort_by(|a, b| (a - sigma).abs().total_cmp(&(b - sigma).abs()));
        let mut want: Vec<f64> = exact[..k].to_vec();
        let mut got: Vec<f64> = branches
            .iter()
            .filter(|b| b["in_window"][s].as_bool().unwrap())
            .map(|b| b["re"][s].as_f64().unwrap())
            .collect();
        want.sort_by(f64::total_cmp);
        got.sort_by(f64::total_cmp);
        assert_eq!(got.len(), k, "t = {t}");
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g - w).abs() < 1e-9,
                "window at t = {t}: {got:?} against {want:?}"
            );
        }
    }
    // the crossings in the window: every pair of levels that meet at t* in (0, 1) at a
    // value among the k nearest σ (at the window's edge, where one of the two enters and
    // the other leaves, with an entry and an exit at the same t)
    let mut expected = Vec::new();
    for (a, &p) in levels.iter().enumerate() {
        for &q in &levels[a + 1..] {
            if p.0 == q.0 {
                continue; // parallel
            }
            let t = (my[q.1] - my[p.1]) / (mx[p.0] - mx[q.0]) - 1.0;
            if !(1e-6..1.0 - 1e-6).contains(&t) {
                continue;
            }
            let v = value(p, t);
            let nearer = levels
                .iter()
                .filter(|&&r| (value(r, t) - sigma).abs() < (v - sigma).abs() - 1e-12)
                .count();
            if nearer < k {
                expected.push((t, p, q, nearer + 1 == k));
            }
        }
    }
    assert!(
        !expected.is_empty(),
        "the test family has crossings in the window"
    );
    let crossings = events_of_kind(&j, "crossing");
    assert_eq!(
        crossings.len(),
        expected.len(),
        "{crossings:?} against {expected:?}"
    );
    let (entries, exits) = (
        events_of_kind(&j, "window_entry"),
        events_of_kind(&j, "window_exit"),
    );
    let at = |evs: &[&Value], t: f64| {
        evs.iter()
            .any(|x| (x["t"].as_f64().unwrap() - t).abs() < 1e-9)
    };
    assert!(
        expected.iter().any(|e| !e.3) && expected.iter().any(|e| e.3),
        "both kinds present: {expected:?}"
    );
    for (t, p, q, edge) in expected {
        assert_eq!(
            at(&entries, t) && at(&exits, t),
            edge,
            "entry and exit at the crossing t = {t}"
        );
        let want = {
            let mut w = [
                ids.iter().position(|&x| x == p),
                ids.iter().position(|&x| x == q),
            ];
            w.sort();
            w
        };
        let e = crossings
            .iter()
            .find(|e| (e["t"].as_f64().unwrap() - t).abs() < 1e-9)
            .unwrap_or_else(|| panic!("no crossing at t = {t} ({p:?}, {q:?}): {crossings:?}"));
        let got: Vec<usize> = e["branches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(
            vec![want[0].unwrap(), want[1].unwrap()],
            got,
            "the branches crossing at t = {t}"
        );
    }
    // entries and exits come in pairs at one t
    let (entries, exits) = (
        events_of_kind(&j, "window_entry"),
        events_of_kind(&j, "window_exit"),
    );
    assert_eq!(entries.len(), exits.len());
    for e in entries {
        let t = e["t"].as_f64().unwrap();
        assert!(
            exits
                .iter()
                .any(|x| (x["t"].as_f64().unwrap() - t).abs() < 1e-9),
            "entry at {t}"
        );
    }
    for key in ["factorizations", "iterations", "accepted_steps", "seconds"] {
        assert!(j["stats"][key].is_number(), "stats.{key}");
    }
}

#[test]
fn nearest_writes_csv_plot_and_summary() {
    let dir = temp_dir("nearest-out");
    let fam = write_grid_family(&dir, 6, 5);
    let (out_json, csv, png) = (dir.join("r.json"), dir.join("r.csv"), dir.join("r.png"));
    let out = run(&[
        "track",
        fam.to_str().unwrap(),
        "--nearest",
        "3",
        "--sigma=-0.5-3i",
        "--samples",
        "11",
        "--out",
        out_json.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
        "--plot",
        png.to_str().unwrap(),
        "--no-curvatures",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let summary = String::from_utf8(out.stderr).unwrap();
    assert!(
        summary.contains("the 3 eigenvalues nearest σ = -0.5-3i of a 30 × 30 family"),
        "{summary}"
    );
    assert!(summary.contains("factorisations"), "{summary}");
    let j: Value = serde_json::from_slice(&std::fs::read(&out_json).unwrap()).unwrap();
    assert_eq!(
        (j["sigma"]["re"].as_f64(), j["sigma"]["im"].as_f64()),
        (Some(-0.5), Some(-3.0))
    );
    // the three nearest −0.5 − 3i of a positive spectrum: the three smallest
    let (mx, my) = (lap_eigs(6), lap_eigs(5));
    let mut first: Vec<f64> = mx
        .iter()
        .flat_map(|a| my.iter().map(move |b| a + b))
        .collect();
    first.sort_by(f64::total_cmp);
    let mut got: Vec<f64> = j["branches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["in_window"][0].as_bool().unwrap())
        .map(|b| b["re"][0].as_f64().unwrap())
        .collect();
    got.sort_by(f64::total_cmp);
    for (g, w) in got.iter().zip(&first[..3]) {
        assert!((g - w).abs() < 1e-9, "{got:?}");
    }
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("t,branch,re,im,slope_re,slope_im,in_window\n"));
    let rows = text.lines().skip(1).count();
    let computed: usize = j["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            b["re"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| !v.is_null())
                .count()
        })
        .sum();
    assert_eq!(rows, computed);
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(png_size(&bytes), (1200, 700));
}

#[test]
fn nearest_bad_input_exits_2_with_a_clear_message() {
    let dir = temp_dir("nearest-bad");
    let fam = write_grid_family(&dir, 4, 3);
    let f = fam.to_str().unwrap();
    let msg = fails(&["track", f, "--sigma", "1"]);
    assert!(msg.contains("--sigma S needs --nearest K"), "{msg}");
    let msg = fails(&["track", f, "--nearest", "2"]);
    assert!(msg.contains("--nearest K needs --sigma S"), "{msg}");
    for bad in ["1+2", "1+2k", "abc", "2ii", "inf"] {
        let msg = fails(&["track", f, "--nearest", "2", "--sigma", bad]);
        assert!(msg.contains("--sigma") && msg.contains(bad), "{bad}: {msg}");
    }
    let msg = fails(&["track", f, "--nearest", "12", "--sigma", "1"]);
    assert!(
        msg.contains("--nearest 12") && msg.contains("n = 12"),
        "{msg}"
    );
    let msg = fails(&["track", f, "--nearest", "0", "--sigma", "1"]);
    assert!(msg.contains("--nearest"), "{msg}");
    for (opt, value) in [
        ("--policy", Some("diabatic")),
        ("--resolution", Some("refine")),
        ("--hermitian", Some("yes")),
        ("--level", Some("re=1")),
        ("--gap-tol", Some("1e-10")),
        ("--max-decompositions", Some("100")),
        ("--no-events", None),
    ] {
        let mut args = vec!["track", f, "--nearest", "2", "--sigma", "1", opt];
        args.extend(value);
        let msg = fails(&args);
        assert!(
            msg.contains(opt) && msg.contains("does not apply to --nearest"),
            "{msg}"
        );
    }
    // a missing .mtx file: the message names it
    std::fs::remove_file(dir.join("ly.mtx")).unwrap();
    let msg = fails(&["track", f, "--nearest", "2", "--sigma", "1"]);
    assert!(
        msg.contains(&dir.join("ly.mtx").display().to_string())
            && msg.contains("terms[1]")
            && msg.contains("cannot read"),
        "{msg}"
    );
    // a malformed one: file and line
    std::fs::write(
        dir.join("ly.mtx"),
        "%%MatrixMarket matrix coordinate real general\n12 12 2\n1 1 2\n2 x 1\n",
    )
    .unwrap();
    let msg = fails(&["track", f, "--nearest", "2", "--sigma", "1"]);
    assert!(
        msg.contains(&format!("{}:4:", dir.join("ly.mtx").display())),
        "{msg}"
    );
}

/// Ctrl-C (SIGINT) during a long sparse track: one line naming the t reached, exit code
/// 130, nothing written; before it, the plain progress line of a stderr that is a pipe.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_nearest_track_with_exit_130() {
    let dir = temp_dir("nearest-ctrl-c");
    // n = 10⁴ and 5000 samples: minutes of work, stopped after 2.5 seconds
    let fam = write_grid_family(&dir, 100, 100);
    let out_file = dir.join("never.json");
    let child = Command::new(BIN)
        .args([
            "track",
            fam.to_str().unwrap(),
            "--nearest",
            "4",
            "--sigma",
            "0.01",
            "--samples",
            "5000",
            "--out",
            out_file.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    // stderr is a pipe: plain progress lines (the first after a second, then one every
    // ten seconds), then the one error line
    let lines: Vec<&str> = stderr.lines().collect();
    let (last, progress) = lines.split_last().expect("an error line");
    assert!(
        last.starts_with("error: interrupted (Ctrl-C) at t = "),
        "{stderr}"
    );
    assert_eq!(progress.len(), 1, "{stderr}");
    assert!(
        progress[0].starts_with("eigentrack: ") && progress[0].contains("%  t = "),
        "{stderr}"
    );
    assert!(out.stdout.is_empty() && !out_file.exists());
}

#[test]
fn nearest_tracks_a_pencil_from_a_mass_key() {
    // A(t) = (1 + t)·Lx + Ly and B(t) = (1 + t/2)·I: λᵢⱼ(t) = ((1 + t)μᵢ + νⱼ)/(1 + t/2),
    // a t-dependent B whose B′ enters the slopes
    let dir = temp_dir("nearest-pencil");
    let (nx, ny) = (9, 7);
    // the grid family's lx.mtx and ly.mtx are the pencil's A terms
    write_grid_family(&dir, nx, ny);
    let n = nx * ny;
    let eye: Vec<String> = (1..=n).map(|p| format!("{p} {p} 1")).collect();
    std::fs::write(
        dir.join("eye.mtx"),
        format!(
            "%%MatrixMarket matrix coordinate real general\n{n} {n} {n}\n{}\n",
            eye.join("\n")
        ),
    )
    .unwrap();
    let fam = dir.join("pencil.json");
    std::fs::write(
        &fam,
        r#"{"range": [0, 1], "terms": [{"coef": "1 + t", "mtx": "lx.mtx"}, {"coef": "1", "mtx": "ly.mtx"}],
            "mass": [{"coef": "1 + t/2", "mtx": "eye.mtx"}]}"#,
    )
    .unwrap();
    let out = run(&[
        "track",
        fam.to_str().unwrap(),
        "--nearest",
        "4",
        "--sigma",
        "1.3",
        "--samples",
        "21",
        "--quiet",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ts = floats(&j["samples"]);
    let (mx, my) = (lap_eigs(nx), lap_eigs(ny));
    let exact = |i: usize, l: usize, t: f64| {
        let c = 1.0 + t / 2.0;
        let a = (1.0 + t) * mx[i] + my[l];
        (a / c, (mx[i] * c - a / 2.0) / (c * c))
    };
    let mut checked = 0;
    for b in j["branches"].as_array().unwrap() {
        let (re, slope, inw) = (
            floats(&b["re"]),
            floats(&b["slope_re"]),
            b["in_window"].as_array().unwrap().clone(),
        );
        let mut level = None;
        for (s, &t) in ts.iter().enumerate() {
            if re[s].is_nan() || inw[s] != Value::Bool(true) {
                continue;
            }
            // the level of this branch: fixed at its first sample in the window
            let (i, l) = *level.get_or_insert_with(|| {
                (0..nx)
                    .flat_map(|i| (0..ny).map(move |l| (i, l)))
                    .min_by(|&(a, b), &(c, d)| {
                        (exact(a, b, t).0 - re[s])
                            .abs()
                            .total_cmp(&(exact(c, d, t).0 - re[s]).abs())
                    })
                    .unwrap()
            });
            let (v, d) = exact(i, l, t);
            assert!(
                (re[s] - v).abs() < 1e-9,
                "({i}, {l}) at t = {t}: {} vs {v}",
                re[s]
            );
            assert!(
                (slope[s] - d).abs() < 1e-7,
                "slope ({i}, {l}) at t = {t}: {} vs {d}",
                slope[s]
            );
            checked += 1;
        }
    }
    assert!(checked >= 4 * 21, "{checked} values checked");
    // the dense path does not read "mass": a clear message, exit 2
    let out = run(&["track", fam.to_str().unwrap(), "--quiet"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"mass\"") && err.contains("--nearest"),
        "{err}"
    );
}

#[test]
fn largest_real_follows_the_rightmost_levels() {
    // diag(−1, …, −20) + 19.5t·e₂₀e₂₀ᵀ: the last level −20 + 19.5t passes −2 (enters the
    // window of the 2 rightmost) at t = 18/19.5 and −1 at t = 19/19.5
    let dir = temp_dir("largest-real");
    let n = 20;
    let d: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| if i == j { -((i + 1) as f64) } else { 0.0 })
                .collect()
        })
        .collect();
    let e: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| if i == j && i == n - 1 { 1.0 } else { 0.0 })
                .collect()
        })
        .collect();
    let fam = dir.join("right.json");
    std::fs::write(
        &fam,
        serde_json::json!({"range": [0, 1], "terms": [
            {"coef": "1", "matrix": d}, {"coef": "19.5*t", "matrix": e}]})
        .to_string(),
    )
    .unwrap();
    let out = run(&[
        "track",
        fam.to_str().unwrap(),
        "--largest-real",
        "2",
        "--samples",
        "21",
        "--quiet",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["method"], "largest_real");
    let entries: Vec<f64> = events_of_kind(&j, "window_entry")
        .iter()
        .map(|e| e["t"].as_f64().unwrap())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!((entries[0] - 18.0 / 19.5).abs() < 1e-9, "{entries:?}");
    // at t = 1 the window is {−0.5, −1}
    let mut last: Vec<f64> = j["branches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["in_window"][20] == Value::Bool(true))
        .map(|b| b["re"][20].as_f64().unwrap())
        .collect();
    last.sort_by(|a, b| b.total_cmp(a));
    assert_eq!(last.len(), 2);
    assert!(
        (last[0] + 0.5).abs() < 1e-10 && (last[1] + 1.0).abs() < 1e-10,
        "{last:?}"
    );
    // with --nearest it is an error
    let out = run(&[
        "track",
        fam.to_str().unwrap(),
        "--largest-real",
        "2",
        "--nearest",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

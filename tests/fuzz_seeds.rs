//! Replay of the fuzz seeds (`fuzz/seeds/`) through the calls of the fuzz targets, in the
//! plain test suite: every seed must end in a result or an error — never a panic — and
//! the family files within their work budget. (Crashes found by fuzzing are added to the
//! seeds, so this is also the regression test for them.)

use eigentrack::expr::Expr;
use eigentrack::family_file::{FamilyFile, FileFamily};
use eigentrack::mtx::parse_mtx;
use eigentrack::{Complex64, Error, Tracker};
use std::path::{Path, PathBuf};

fn seeds(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
}

#[test]
fn expression_seeds_parse_or_fail_cleanly() {
    let mut parsed = 0;
    for path in seeds("expr_parse") {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(e) = Expr::parse(&text, &["t", "g"]) else {
            continue;
        };
        parsed += 1;
        for t in [0.0, -1.5, 1e308, f64::MIN_POSITIVE] {
            let _ = e.eval(&[t, 0.5]);
            let _ = e.jet(&[t, 0.5], 0);
            let z = [Complex64::new(t, 0.25), Complex64::new(0.5, 0.0)];
            let _ = e.eval(&z);
            let _ = e.jet(&z, 1);
        }
    }
    assert!(
        parsed > 0,
        "no expression seed parses: the replay tests nothing"
    );
}

#[test]
fn family_file_seeds_end_in_a_result_or_an_error() {
    let mut tracked = 0;
    for path in seeds("family_file") {
        let text = std::fs::read_to_string(&path).unwrap();
        let Ok(file) = FamilyFile::parse(&text, &path) else {
            continue;
        };
        let (a, b) = file.range();
        let tracker = Tracker::new()
            .samples(5)
            .and_then(|t| t.max_decompositions(500))
            .unwrap()
            .hermitian(file.hermitian());
        let result = match file.family() {
            FileFamily::Real(f) => tracker.track_family(f, a..=b),
            FileFamily::Complex(f) => tracker.track_family(f, a..=b),
        };
        match result {
            Ok(tr) => {
                tracked += 1;
                assert!(tr.stats().budget_used <= 500, "{}", path.display());
                for br in tr.branches() {
                    assert!(
                        br.values()
                            .iter()
                            .all(|z| z.re.is_finite() && z.im.is_finite()),
                        "{}: a non-finite value passed off as a result",
                        path.display()
                    );
                }
            }
            Err(Error::Budget { used, budget, .. }) => assert!(used <= budget),
            Err(_) => {}
        }
    }
    assert!(
        tracked > 0,
        "no family seed tracks: the replay tests nothing"
    );
}

#[test]
fn matrix_market_seeds_parse_or_fail_cleanly() {
    let mut parsed = 0;
    for path in seeds("mtx") {
        let text = std::fs::read_to_string(&path).unwrap();
        if let Ok(m) = parse_mtx(&text, &path.to_string_lossy()) {
            parsed += 1;
            assert_eq!(m.to_complex().shape(), m.shape());
        }
    }
    assert!(
        parsed > 0,
        "no Matrix Market seed parses: the replay tests nothing"
    );
}

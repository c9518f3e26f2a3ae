//! Tests of family files: parsing every matrix form, real/complex detection, exact jets
//! (against hand-computed values and finite differences), parameters and ∂A/∂p,
//! Matrix Market terms relative to the file, and every error with where it is.

use eigentrack::family_file::{ExprFamily, FamilyFile, FileFamily};
use eigentrack::{finite_difference_jet, Complex64, Error, HermitianMode, MatrixFamily};
use nalgebra::DMatrix;
use std::path::{Path, PathBuf};

fn c(re: f64, im: f64) -> Complex64 {
    Complex64::new(re, im)
}

fn parse(text: &str) -> eigentrack::Result<FamilyFile> {
    FamilyFile::parse(text, Path::new("fam.json"))
}

fn real_family(text: &str) -> ExprFamily<f64> {
    match parse(text).unwrap().into_family() {
        FileFamily::Real(f) => f,
        FileFamily::Complex(_) => panic!("expected a real family"),
    }
}

fn complex_family(text: &str) -> ExprFamily<Complex64> {
    match parse(text).unwrap().into_family() {
        FileFamily::Complex(f) => f,
        FileFamily::Real(_) => panic!("expected a complex family"),
    }
}

/// A fresh directory under the system temp dir.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eigentrack-ff-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The rotated crossing family A(t) = R(t/2)·diag(t, e^{t²} − 1)·R(t/2)ᵀ written as
/// expression terms.
const CROSSING: &str = r#"{
  "range": [-1.0, 1.5],
  "terms": [
    {"coef": "t*cos(t/2)^2 + (exp(t^2)-1)*sin(t/2)^2", "matrix": [[1, 0], [0, 0]]},
    {"coef": "(t - exp(t^2) + 1)*cos(t/2)*sin(t/2)", "matrix": [[0, 1], [1, 0]]},
    {"coef": "t*sin(t/2)^2 + (exp(t^2)-1)*cos(t/2)^2", "matrix": [[0, 0], [0, 1]]}
  ]
}"#;

fn crossing_exact(t: f64) -> DMatrix<f64> {
    let (s, co) = (t / 2.0).sin_cos();
    let r = DMatrix::from_row_slice(2, 2, &[co, -s, s, co]);
    let d = DMatrix::from_row_slice(2, 2, &[t, 0.0, 0.0, (t * t).exp() - 1.0]);
    &r * d * r.transpose()
}

#[test]
fn crossing_family_value_matches_the_rotation() {
    let file = parse(CROSSING).unwrap();
    assert_eq!(file.range(), (-1.0, 1.5));
    assert_eq!(file.hermitian(), HermitianMode::Auto);
    assert_eq!(file.path(), Path::new("fam.json"));
    let FileFamily::Real(fam) = file.family() else {
        panic!("real")
    };
    assert_eq!(fam.dim(), 2);
    assert_eq!(fam.num_terms(), 3);
    assert!(fam.exact_derivatives());
    for t in [-1.0, -0.2, 0.0, 0.746882, 1.5] {
        let a = fam.value(t);
        assert!((&a - crossing_exact(t)).amax() < 1e-14, "t = {t}");
        // the eigenvalues are t and e^{t²} − 1
        let tr = a.trace();
        let det = a.determinant();
        let (l1, l2) = (t, (t * t).exp() - 1.0);
        assert!((tr - (l1 + l2)).abs() < 1e-13 && (det - l1 * l2).abs() < 1e-13);
    }
}

#[test]
fn crossing_family_jet_against_finite_differences() {
    let fam = real_family(CROSSING);
    for t in [-0.7, 0.1, 0.9] {
        let j = fam.jet(t);
        let fd = finite_difference_jet(crossing_exact, t);
        assert!((&j.a - &fd.a).amax() < 1e-14);
        assert!((&j.da - &fd.da).amax() < 1e-8, "A' at {t}");
        assert!((&j.dda - &fd.dda).amax() < 1e-5, "A'' at {t}");
    }
}

#[test]
fn jet_against_hand_computed_values() {
    // A(t) = t²·[[1, 2], [3, 4]] + sin(t)·[[0, 1], [0, 0]] + 5·[[1, 0], [0, 1]]
    let fam = real_family(
        r#"{"range": [0, 1], "terms": [
            {"coef": "t^2", "matrix": [[1, 2], [3, 4]]},
            {"coef": "sin(t)", "matrix": [[0, 1], [0, 0]]},
            {"coef": 5, "matrix": [[1, 0], [0, 1]]}]}"#,
    );
    let t: f64 = 0.5;
    let j = fam.jet(t);
    let (s, co) = t.sin_cos();
    assert_eq!(j.a[(0, 0)], 0.25 + 5.0);
    assert_eq!(j.a[(0, 1)], 0.5 + s);
    assert_eq!(j.a[(1, 0)], 0.75);
    assert_eq!(j.da[(0, 1)], 2.0 * 2.0 * t + co);
    assert_eq!(j.da[(1, 1)], 2.0 * 4.0 * t);
    assert_eq!(j.dda[(0, 1)], 2.0 * 2.0 - s);
    assert_eq!(j.dda[(1, 0)], 2.0 * 3.0);
    assert_eq!(j.dda[(0, 0)], 2.0);
    assert_eq!(fam.value(t), j.a);
}

#[test]
fn matrix_forms_and_arithmetic_choice() {
    // rows of pairs with zero imaginary parts: real
    let f = real_family(
        r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": [[[1, 0], 2], [3, [4, 0]]]}]}"#,
    );
    assert_eq!(
        f.value(2.0),
        DMatrix::from_row_slice(2, 2, &[2.0, 4.0, 6.0, 8.0])
    );
    // {"re", "im"} with zero im: real
    real_family(
        r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": {"re": [[1]], "im": [[0]]}}]}"#,
    );
    // {"re"} alone: real
    real_family(r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": {"re": [[1]]}}]}"#);
    // a complex entry: complex
    let f = complex_family(
        r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": [[1, [0, 2]], [[0, -2], 1]]}]}"#,
    );
    assert_eq!(f.value(3.0)[(0, 1)], c(0.0, 6.0));
    assert_eq!(f.jet(3.0).da[(1, 0)], c(0.0, -2.0));
    // {"re", "im"}: complex
    let f = complex_family(
        r#"{"range": [0, 1], "terms": [{"coef": "1", "matrix": {"re": [[1, 2], [3, 4]], "im": [[0, 1], [-1, 0]]}}]}"#,
    );
    assert_eq!(f.value(0.0)[(1, 0)], c(3.0, -1.0));
    // a coefficient with i: complex although the matrices are real
    let f = complex_family(
        r#"{"range": [0, 1], "params": {"g": 0.25}, "terms": [
            {"coef": "t", "matrix": [[1, 0], [0, -1]]},
            {"coef": "i*g*t^2", "matrix": [[0, 1], [1, 0]]}]}"#,
    );
    let j = f.jet(2.0);
    assert_eq!(j.a[(0, 1)], c(0.0, 1.0));
    assert_eq!(j.da[(0, 1)], c(0.0, 1.0));
    assert_eq!(j.dda[(1, 0)], c(0.0, 0.5));
    assert_eq!(j.a[(1, 1)], c(-2.0, 0.0));
}

#[test]
fn the_issue_example_with_an_mtx_file() {
    let dir = temp_dir("issue");
    std::fs::write(
        dir.join("K.mtx"),
        "%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n1 1 2\n2 1 -1\n",
    )
    .unwrap();
    let text = r#"{
      "range": [-1.0, 1.5],
      "params": {"g": 0.001},
      "hermitian": "auto",
      "terms": [
        {"coef": "t", "matrix": [[1, 0], [0, 0]]},
        {"coef": "exp(t^2) - 1", "matrix": [[0, 0], [0, 1]]},
        {"coef": "i*g", "matrix": {"re": [[0, 1], [1, 0]], "im": [[0, 0], [0, 0]]}},
        {"coef": "1", "mtx": "K.mtx"}
      ]
    }"#;
    let path = dir.join("family.json");
    std::fs::write(&path, text).unwrap();
    let file = FamilyFile::load(&path).unwrap();
    assert_eq!(file.family().params(), vec![("g", 0.001)]);
    assert_eq!(file.family().dim(), 2);
    let FileFamily::Complex(fam) = file.family() else {
        panic!("complex")
    };
    let t: f64 = 0.5;
    let j = fam.jet(t);
    let ex = (t * t).exp();
    assert_eq!(j.a[(0, 0)], c(t + 2.0, 0.0));
    assert_eq!(j.a[(0, 1)], c(-1.0, 0.001));
    assert_eq!(j.a[(1, 0)], c(-1.0, 0.001));
    assert_eq!(j.a[(1, 1)], c(ex - 1.0, 0.0));
    assert_eq!(j.da[(1, 1)], c(2.0 * t * ex, 0.0));
    assert_eq!(j.dda[(1, 1)], c((2.0 + 4.0 * t * t) * ex, 0.0));
    assert_eq!(j.da[(0, 1)], c(0.0, 0.0));
    // ∂A/∂g = i·[[0, 1], [1, 0]]
    let dg = fam.param_derivative("g", t).unwrap();
    assert_eq!(
        dg,
        DMatrix::from_row_slice(2, 2, &[c(0.0, 0.0), c(0.0, 1.0), c(0.0, 1.0), c(0.0, 0.0)])
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mtx_paths_are_relative_to_the_family_file() {
    let dir = temp_dir("relative");
    std::fs::create_dir_all(dir.join("sub/mats")).unwrap();
    std::fs::write(
        dir.join("sub/mats/h.mtx"),
        "%%MatrixMarket matrix coordinate complex hermitian\n2 2 2\n1 1 1 0\n2 1 0 1\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("sub/fam.json"),
        r#"{"range": [0, 1], "terms": [{"coef": "t", "mtx": "mats/h.mtx"}]}"#,
    )
    .unwrap();
    let file = FamilyFile::load(&dir.join("sub/fam.json")).unwrap();
    let FileFamily::Complex(fam) = file.family() else {
        panic!("complex")
    };
    assert_eq!(fam.value(2.0)[(0, 1)], c(0.0, -2.0));
    assert_eq!(fam.value(2.0)[(1, 0)], c(0.0, 2.0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn params_set_and_param_derivative_against_finite_differences() {
    let text = r#"{"range": [0, 1], "params": {"g": 0.3, "w": 2.0}, "terms": [
        {"coef": "cos(w*t)", "matrix": [[1, 0], [0, -1]]},
        {"coef": "g^2*t + sin(g*w)", "matrix": [[0, 1], [1, 0]]}]}"#;
    let mut file = parse(text).unwrap();
    let FileFamily::Real(fam) = file.family() else {
        panic!("real")
    };
    let (t, g, w) = (0.7, 0.3, 2.0);
    let dg = fam.param_derivative("g", t).unwrap();
    assert!((dg[(0, 1)] - (2.0 * g * t + w * (g * w).cos())).abs() < 1e-15);
    assert_eq!(dg[(0, 0)], 0.0);
    let dw = fam.param_derivative("w", t).unwrap();
    assert!((dw[(0, 0)] + t * (w * t).sin()).abs() < 1e-15);
    // finite differences in g through set_param
    let h = 1e-6;
    let mut f2 = fam.clone();
    f2.set_param("g", g + h).unwrap();
    let plus = f2.value(t);
    f2.set_param("g", g - h).unwrap();
    let minus = f2.value(t);
    let fd = (plus - minus) / (2.0 * h);
    assert!((&fd - &dg).amax() < 1e-8);
    assert!(matches!(
        fam.param_derivative("q", t),
        Err(Error::InvalidArgument {
            name: "parameter",
            ..
        })
    ));
    // through FileFamily
    file.family_mut().set_param("w", 1.0).unwrap();
    assert_eq!(file.family().params(), vec![("g", 0.3), ("w", 1.0)]);
    assert!(file.family_mut().set_param("w", f64::NAN).is_err());
    assert!(file.family_mut().set_param("t", 1.0).is_err());
}

#[test]
fn hermitian_field() {
    for (v, mode) in [
        ("\"auto\"", HermitianMode::Auto),
        ("\"yes\"", HermitianMode::Yes),
        ("\"no\"", HermitianMode::No),
        ("true", HermitianMode::Yes),
        ("false", HermitianMode::No),
    ] {
        let text = format!(
            r#"{{"range": [0, 1], "hermitian": {v}, "terms": [{{"coef": "t", "matrix": [[1]]}}]}}"#
        );
        assert_eq!(parse(&text).unwrap().hermitian(), mode);
    }
}

#[test]
fn a_decreasing_range_is_kept() {
    let f = parse(r#"{"range": [1, -2], "terms": [{"coef": "t", "matrix": [[1]]}]}"#).unwrap();
    assert_eq!(f.range(), (1.0, -2.0));
}

#[test]
fn comments_are_ignored() {
    let f = real_family(
        r#"{"comment": "x", "description": "y", "range": [0, 1],
            "terms": [{"comment": "z", "coef": "t", "matrix": [[1]]}]}"#,
    );
    assert_eq!(f.value(0.5)[(0, 0)], 0.5);
}

/// (term, line, column, reason) of an input error on fam.json.
fn input_error(text: &str) -> (Option<usize>, Option<usize>, Option<usize>, String) {
    match parse(text) {
        Err(Error::Input {
            path,
            line,
            column,
            term,
            reason,
        }) => {
            assert_eq!(path, "fam.json");
            (term, line, column, reason)
        }
        other => panic!("expected an input error, got {other:?}"),
    }
}

#[test]
fn malformed_json_has_line_and_column() {
    let text =
        "{\n  \"range\": [0, 1],\n  \"terms\": [\n    {\"coef\": \"t\" \"matrix\": [[1]]}\n  ]\n}";
    let (term, line, column, reason) = input_error(text);
    assert_eq!((term, line, column), (None, Some(4), Some(18)));
    assert!(
        reason.starts_with("malformed JSON: expected `,` or `}`"),
        "{reason}"
    );
    assert_eq!(
        parse(text).unwrap_err().to_string(),
        "fam.json:4:18: malformed JSON: expected `,` or `}`"
    );
    let (_, line, _, reason) = input_error("{\"range\": [0, 1e999]}");
    assert_eq!(line, Some(1));
    assert!(reason.contains("number out of range"), "{reason}");
    let (_, line, _, _) = input_error("");
    assert_eq!(line, Some(1));
}

#[test]
fn schema_errors_name_the_problem() {
    let t = r#""terms": [{"coef": "t", "matrix": [[1]]}]"#;
    let cases: Vec<(String, Option<usize>, &str)> = vec![
        ("[1, 2]".into(), None, "must be a JSON object"),
        (format!("{{{t}}}"), None, "missing \"range\""),
        (format!(r#"{{"range": [0, 0], {t}}}"#), None, "is empty (t0 = t1)"),
        (format!(r#"{{"range": [0], {t}}}"#), None, "\"range\" must be [t0, t1]"),
        (format!(r#"{{"range": ["a", 1], {t}}}"#), None, "two numbers"),
        (format!(r#"{{"range": [0, 1], "rnge": 1, {t}}}"#), None, "unknown key \"rnge\""),
        (format!(r#"{{"range": [0, 1], "params": {{"e": 1}}, {t}}}"#), None, "\"e\" cannot name a parameter"),
        (format!(r#"{{"range": [0, 1], "params": {{"t": 1}}, {t}}}"#), None, "\"t\" cannot name"),
        (format!(r#"{{"range": [0, 1], "params": {{"g": "x"}}, {t}}}"#), None, "g must be a number"),
        (format!(r#"{{"range": [0, 1], "params": [1], {t}}}"#), None, "\"params\" must be an object"),
        (format!(r#"{{"range": [0, 1], "hermitian": "maybe", {t}}}"#), None, "\"hermitian\" must be"),
        (r#"{"range": [0, 1]}"#.into(), None, "missing \"terms\""),
        (r#"{"range": [0, 1], "terms": []}"#.into(), None, "\"terms\" is empty"),
        (r#"{"range": [0, 1], "terms": {}}"#.into(), None, "\"terms\" must be an array"),
        (r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": [[1]]}, 3]}"#.into(), Some(1), "a term must be an object"),
        (r#"{"range": [0, 1], "terms": [{"matrix": [[1]]}]}"#.into(), Some(0), "missing \"coef\""),
        (r#"{"range": [0, 1], "terms": [{"coef": [1], "matrix": [[1]]}]}"#.into(), Some(0), "\"coef\" must be a string or a number"),
        (r#"{"range": [0, 1], "terms": [{"coef": "t"}]}"#.into(), Some(0), "missing the matrix"),
        (r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": [[1]], "mtx": "a.mtx"}]}"#.into(), Some(0), "not both"),
        (r#"{"range": [0, 1], "terms": [{"coef": "t", "mtx": 3}]}"#.into(), Some(0), "\"mtx\" must be a file name"),
        (r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": [[1]], "extra": 1}]}"#.into(), Some(0), "unknown key \"extra\" in a term"),
        (r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": [[1, 2], [3]]}]}"#.into(), Some(0), "row 1 has 1 entries, row 0 has 2"),
        (r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": [[1, "x"]]}]}"#.into(), Some(0), "matrix[0][1] must be a number or a [re, im] pair"),
        (r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": [[[1, 2, 3]]]}]}"#.into(), Some(0), "found another array"),
        (r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": [1, 2]}]}"#.into(), Some(0), "matrix[0] must be an array of numbers"),
        (r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": []}]}"#.into(), Some(0), "matrix is empty"),
        (r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": {"im": [[1]]}}]}"#.into(), Some(0), "needs \"re\""),
        (r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": {"re": [[1]], "im": [[1, 2]]}}]}"#.into(), Some(0), "matrix.im is 1×2, matrix.re is 1×1"),
        (r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": {"re": [[[1, 1]]]}}]}"#.into(), Some(0), "matrix.re must hold real numbers"),
        (r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": [[1, 2]]}]}"#.into(), Some(0), "the matrix is 1×2, not square"),
        (r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": [[1, 0], [0, 1]]}, {"coef": "1", "matrix": [[1]]}, {"coef": "1", "matrix": [[1, 2, 3], [1, 2, 3], [1, 2, 3]]}]}"#.into(), Some(1), "the matrix is 1×1, terms[0] is 2×2"),
    ];
    for (text, want_term, what) in cases {
        let (term, _, _, reason) = input_error(&text);
        assert_eq!(term, want_term, "{text}: {reason}");
        assert!(reason.contains(what), "{text}: {reason}");
    }
}

#[test]
fn wrong_size_message_names_the_term() {
    let e = parse(r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": [[1, 0], [0, 1]]}, {"coef": "1", "matrix": [[1, 2, 3], [1, 2, 3], [1, 2, 3]]}]}"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "fam.json: terms[1]: the matrix is 3×3, terms[0] is 2×2: all terms must have one size"
    );
}

#[test]
fn expression_errors_name_the_term_and_position() {
    let text = r#"{"range": [0, 1], "params": {"g": 1}, "terms": [
        {"coef": "t", "matrix": [[1]]},
        {"coef": "g*sinn(t)", "matrix": [[1]]}]}"#;
    match parse(text) {
        Err(Error::Expression {
            term: Some(1),
            expr,
            position: 3,
            reason,
        }) => {
            assert_eq!(expr, "g*sinn(t)");
            assert!(reason.contains("unknown function \"sinn\""));
        }
        other => panic!("{other:?}"),
    }
    let e =
        parse(r#"{"range": [0, 1], "terms": [{"coef": "t + h", "matrix": [[1]]}]}"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "terms[0].coef \"t + h\", position 5: unknown name \"h\" (known: t, pi, e, i)"
    );
}

#[test]
fn mtx_errors_carry_path_line_and_term() {
    let dir = temp_dir("mtxerr");
    std::fs::write(
        dir.join("bad.mtx"),
        "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 3 1.0\n",
    )
    .unwrap();
    let fam = dir.join("fam.json");
    std::fs::write(
        &fam,
        r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": [[1, 0], [0, 1]]}, {"coef": "1", "mtx": "bad.mtx"}]}"#,
    )
    .unwrap();
    match FamilyFile::load(&fam) {
        Err(e @ Error::Input { .. }) => {
            let Error::Input {
                ref path,
                line,
                term,
                ..
            } = e
            else {
                unreachable!()
            };
            assert_eq!(path, &dir.join("bad.mtx").display().to_string());
            assert_eq!((line, term), (Some(3), Some(1)));
            assert_eq!(
                e.to_string(),
                format!(
                    "{}:3: terms[1]: column index \"3\" is not in 1..=2",
                    dir.join("bad.mtx").display()
                )
            );
        }
        other => panic!("{other:?}"),
    }
    std::fs::write(
        &fam,
        r#"{"range": [0, 1], "terms": [{"coef": "1", "mtx": "missing.mtx"}]}"#,
    )
    .unwrap();
    match FamilyFile::load(&fam) {
        Err(Error::Input {
            path,
            line: None,
            term: Some(0),
            reason,
            ..
        }) => {
            assert_eq!(path, dir.join("missing.mtx").display().to_string());
            assert!(reason.contains("cannot read"));
        }
        other => panic!("{other:?}"),
    }
    // a missing family file
    match FamilyFile::load(&dir.join("nope.json")) {
        Err(Error::Input { path, reason, .. }) => {
            assert!(path.ends_with("nope.json") && reason.contains("cannot read the family file"));
        }
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_on_reports_non_finite_and_complex_coefficients() {
    let f = real_family(
        r#"{"range": [-1, 1], "terms": [{"coef": "1", "matrix": [[1]]}, {"coef": "1/t", "matrix": [[1]]}]}"#,
    );
    let grid = [-1.0, -0.5, 0.0, 0.5, 1.0];
    match f.check_on(&grid) {
        Err(Error::Coefficient {
            term: 1, t, reason, ..
        }) => {
            assert_eq!(t, 0.0);
            assert!(reason.contains("value is not finite (inf)"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // the value of A itself is not finite there (every entry)
    assert!(f.value(0.0)[(0, 0)].is_infinite());
    // sqrt(t) in a real family: complex for t < 0
    let f = real_family(r#"{"range": [-1, 1], "terms": [{"coef": "sqrt(t)", "matrix": [[1]]}]}"#);
    let e = f.check_on(&grid).unwrap_err();
    assert_eq!(
        e.to_string(),
        "terms[0].coef \"sqrt(t)\" at t = -1: the value is complex (0+1i) but the family is real (no coefficient contains i, no matrix is complex); add 0*i to the coefficient for complex arithmetic"
    );
    // in complex arithmetic it is fine for t < 0 but its derivative is infinite at 0
    let f = complex_family(
        r#"{"range": [-1, 1], "terms": [{"coef": "sqrt(t) + 0*i", "matrix": [[1]]}]}"#,
    );
    match f.check_on(&grid) {
        Err(Error::Coefficient {
            term: 0, t, reason, ..
        }) => {
            assert_eq!(t, 0.0);
            assert!(
                reason.contains("first derivative is not finite"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(f.check_on(&[-1.0, -0.5, 0.5]).is_ok());
    let f = real_family(CROSSING);
    assert!(f.check_on(&grid).is_ok());
}

#[test]
fn expr_family_new_validates() {
    let m = DMatrix::from_element(2, 2, 1.0);
    assert!(ExprFamily::<f64>::new(&[], vec![]).is_err());
    assert!(ExprFamily::new(&[("t", 1.0)], vec![("t".into(), m.clone())]).is_err());
    assert!(ExprFamily::new(&[("g", f64::NAN)], vec![("t".into(), m.clone())]).is_err());
    assert!(ExprFamily::new(&[("g", 1.0), ("g", 2.0)], vec![("t".into(), m.clone())]).is_err());
    assert!(ExprFamily::new(&[], vec![("i*t".into(), m.clone())]).is_err());
    assert!(ExprFamily::new(
        &[],
        vec![
            ("t".into(), m.clone()),
            ("1".into(), DMatrix::from_element(3, 3, 1.0))
        ]
    )
    .is_err());
    match ExprFamily::new(&[], vec![("t".into(), m.clone()), ("t+".into(), m.clone())]) {
        Err(Error::Expression {
            term: Some(1),
            position: 3,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    let f = ExprFamily::new(&[], vec![("i*t".into(), m.map(|x| c(x, 0.0)))]).unwrap();
    assert_eq!(f.value(2.0)[(1, 1)], c(0.0, 2.0));
    assert!(f.params().is_empty());
    assert!(f
        .param_derivative("g", 0.0)
        .unwrap_err()
        .to_string()
        .contains("no parameters"));
}

/// Numbers in the file are read exactly (correctly rounded), as Python's repr writes them.
#[test]
fn matrix_entries_round_trip_exactly() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
    let n = 30;
    let entries: Vec<f64> = (0..n * n)
        .map(|_| rng.random_range(-1.0..1.0) * 10f64.powi(rng.random_range(-8..8)))
        .collect();
    let rows: Vec<String> = entries
        .chunks(n)
        .map(|r| {
            let xs: Vec<String> = r.iter().map(|x| format!("{x:?}")).collect();
            format!("[{}]", xs.join(", "))
        })
        .collect();
    let text = format!(
        r#"{{"range": [0, 1], "terms": [{{"coef": "1", "matrix": [{}]}}]}}"#,
        rows.join(", ")
    );
    let a = real_family(&text).value(0.5);
    for i in 0..n {
        for j in 0..n {
            assert_eq!(a[(i, j)], entries[i * n + j], "entry ({i}, {j})");
        }
    }
}

// ---- SparseFamilyFile: the same file read as a sparse family ----

use eigentrack::family_file::{SparseFamilyFile, SparseFileFamily};
use eigentrack::sparse::SparseFamily;
use nalgebra_sparse::CscMatrix;

/// A sparse matrix as dense, for comparison.
fn densify<T: nalgebra::Scalar + Copy + num_traits_like::Zero>(m: &CscMatrix<T>) -> DMatrix<T> {
    let mut d = DMatrix::from_element(m.nrows(), m.ncols(), T::zero());
    for (i, j, &v) in m.triplet_iter() {
        d[(i, j)] = v;
    }
    d
}

mod num_traits_like {
    pub trait Zero {
        fn zero() -> Self;
    }
    impl Zero for f64 {
        fn zero() -> Self {
            0.0
        }
    }
    impl Zero for eigentrack::Complex64 {
        fn zero() -> Self {
            eigentrack::Complex64::new(0.0, 0.0)
        }
    }
}

/// A, A′, A″ of the dense and the sparse loader agree entry by entry at several t
/// (to a few ulps: the sums may be added in another order).
fn assert_same_jets<T>(dense: &impl MatrixFamily<Elem = T>, sparse: &impl SparseFamily<Elem = T>)
where
    T: eigentrack::Element + num_traits_like::Zero,
{
    for t in [-0.7, 0.0, 0.3, 1.1] {
        let d = dense.jet(t);
        let s = sparse.jet(t).expect("exact derivatives");
        for (dm, sm, what) in [
            (&d.a, &s.a, "A"),
            (&d.da, &s.da, "A'"),
            (&d.dda, &s.dda, "A''"),
        ] {
            let sm = densify(sm);
            assert_eq!(sm.shape(), dm.shape());
            for (x, y) in dm.iter().zip(sm.iter()) {
                let (x, y) = (x.to_c64(), y.to_c64());
                assert!(
                    (x - y).norm() <= 1e-14 * (1.0 + x.norm()),
                    "{what} at t = {t}: {x} against {y}"
                );
            }
        }
        assert!(
            (densify(&sparse.value(t)) == densify(&s.a)),
            "value and jet agree"
        );
    }
}

#[test]
fn sparse_loader_agrees_with_the_dense_loader_real_and_complex() {
    let dir = temp_dir("sparse-loader");
    std::fs::write(
        dir.join("K.mtx"),
        "%%MatrixMarket matrix coordinate real symmetric\n% stiffness\n3 3 4\n1 1 2\n2 1 -1\n2 2 2\n3 3 4.5\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("H.mtx"),
        "%%MatrixMarket matrix coordinate complex hermitian\n3 3 2\n2 2 1 0\n3 1 0.5 -0.25\n",
    )
    .unwrap();
    // real: expressions with parameters, inline rows and an .mtx term
    let real = dir.join("real.json");
    std::fs::write(
        &real,
        r#"{"range": [-1, 2], "params": {"g": 0.3},
            "terms": [{"coef": "exp(t^2) - 1", "matrix": [[1, 0, 0], [0, 0, 0], [0, 0, -1]]},
                      {"coef": "g*sin(3*t)", "matrix": [[0, 1, 0], [1, 0, 2], [0, 2, 0]]},
                      {"coef": "1 + t/2", "mtx": "K.mtx"}]}"#,
    )
    .unwrap();
    let dense = FamilyFile::load(&real).unwrap();
    let sparse = SparseFamilyFile::load(&real).unwrap();
    assert_eq!(
        (sparse.range(), sparse.dim(), sparse.params()),
        ((-1.0, 2.0), 3, vec![("g", 0.3)])
    );
    let (FileFamily::Real(d), SparseFileFamily::Real(s)) = (dense.family(), sparse.family()) else {
        panic!("both real")
    };
    assert_same_jets(d, s);
    // complex: a complex coefficient and a Hermitian .mtx
    let cplx = dir.join("complex.json");
    std::fs::write(
        &cplx,
        r#"{"range": [0, 1], "hermitian": "yes",
            "terms": [{"coef": "t", "matrix": [[1, 0, 0], [0, 2, 0], [0, 0, 3]]},
                      {"coef": "i*cos(t) + t^2", "mtx": "H.mtx"},
                      {"coef": "sqrt(t - 2)", "matrix": [[0, 0, 1], [0, 0, 0], [1, 0, 0]]}]}"#,
    )
    .unwrap();
    let dense = FamilyFile::load(&cplx).unwrap();
    let sparse = SparseFamilyFile::load(&cplx).unwrap();
    assert_eq!(sparse.hermitian(), HermitianMode::Yes);
    let (FileFamily::Complex(d), SparseFileFamily::Complex(s)) = (dense.family(), sparse.family())
    else {
        panic!("both complex")
    };
    assert_same_jets(d, s);
    // sqrt(t − 2) is i·√(2 − t) in complex arithmetic, and (i cos t + t²)·conj(0.5 − 0.25i)
    // at t = 0 is −0.25 + 0.5i: A(0)[0, 2] = −0.25 + (0.5 + √2)i
    let a = s.value(0.0);
    let z: Complex64 = a.get_entry(0, 2).unwrap().into_value();
    assert!((z - c(-0.25, 0.5 + 2f64.sqrt())).norm() < 1e-15, "{z}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sparse_loader_reads_large_mtx_without_densifying_and_reports_errors() {
    let dir = temp_dir("sparse-large");
    // n = 20,000: beyond the dense reader's limit (n ≤ 8192)
    let n = 20_000;
    let mut text = format!("%%MatrixMarket matrix coordinate real general\n{n} {n} {n}\n");
    for i in 1..=n {
        text.push_str(&format!("{i} {i} {i}\n"));
    }
    std::fs::write(dir.join("D.mtx"), text).unwrap();
    let fam = dir.join("big.json");
    std::fs::write(
        &fam,
        r#"{"range": [0, 1], "terms": [{"coef": "1 + t", "mtx": "D.mtx"}]}"#,
    )
    .unwrap();
    let msg = FamilyFile::load(&fam).unwrap_err().to_string();
    assert!(msg.contains("too large to store densely"), "{msg}");
    let file = SparseFamilyFile::load(&fam).unwrap();
    let SparseFileFamily::Real(s) = file.family() else {
        panic!("real")
    };
    let j = s.jet(0.5).unwrap();
    assert_eq!(j.a.nnz(), n);
    assert_eq!(
        j.a.get_entry(n - 1, n - 1).unwrap().into_value(),
        1.5 * n as f64
    );
    assert_eq!(j.da.get_entry(9, 9).unwrap().into_value(), 10.0);
    // a missing file names its path and term; a malformed one its line
    std::fs::write(&fam, r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": [[1, 0], [0, 1]]}, {"coef": "1", "mtx": "none.mtx"}]}"#).unwrap();
    let e = SparseFamilyFile::load(&fam).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "{}: terms[1]: cannot read",
            dir.join("none.mtx").display()
        )),
        "{e}"
    );
    std::fs::write(
        dir.join("bad.mtx"),
        "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 3 1.0\n",
    )
    .unwrap();
    std::fs::write(&fam, r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": [[1, 0], [0, 1]]}, {"coef": "1", "mtx": "bad.mtx"}]}"#).unwrap();
    let e = SparseFamilyFile::load(&fam).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}:3: terms[1]: column index \"3\" is not in 1..=2",
            dir.join("bad.mtx").display()
        )
    );
    // sizes must agree
    std::fs::write(&fam, r#"{"range": [0, 1], "terms": [{"coef": "t", "matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}, {"coef": "1", "mtx": "D.mtx"}]}"#).unwrap();
    let e = SparseFamilyFile::load(&fam).unwrap_err().to_string();
    assert!(e.contains("terms[1]") && e.contains("one size"), "{e}");
    // a coefficient that is not finite is traced back to its term
    std::fs::write(
        &fam,
        r#"{"range": [0, 1], "terms": [{"coef": "1/t", "matrix": [[1, 0], [0, 2]]}]}"#,
    )
    .unwrap();
    let file = SparseFamilyFile::load(&fam).unwrap();
    assert!(
        matches!(file.check_on(&[0.5, 0.0]), Err(Error::Coefficient { term: 0, t, .. }) if t == 0.0)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

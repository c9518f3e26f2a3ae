//! Tests of the Matrix Market reader: every format, field and symmetry, and the errors
//! with their path and line.

use eigentrack::mtx::{parse_mtx, read_mtx, MtxMatrix};
use eigentrack::{Complex64, Error};
use nalgebra::DMatrix;

fn c(re: f64, im: f64) -> Complex64 {
    Complex64::new(re, im)
}

fn real(text: &str) -> DMatrix<f64> {
    match parse_mtx(text, "a.mtx") {
        Ok(MtxMatrix::Real(a)) => a,
        other => panic!("expected a real matrix, got {other:?}"),
    }
}

fn complex(text: &str) -> DMatrix<Complex64> {
    match parse_mtx(text, "a.mtx") {
        Ok(MtxMatrix::Complex(a)) => a,
        other => panic!("expected a complex matrix, got {other:?}"),
    }
}

/// (line, reason) of an input error on `a.mtx`.
fn error(text: &str) -> (usize, String) {
    match parse_mtx(text, "a.mtx") {
        Err(Error::Input {
            path,
            line: Some(line),
            reason,
            ..
        }) => {
            assert_eq!(path, "a.mtx");
            (line, reason)
        }
        other => panic!("expected an input error with a line, got {other:?}"),
    }
}

#[test]
fn coordinate_real_general_with_comments_and_repeats() {
    let a = real(
        "%%MatrixMarket matrix coordinate real general\n\
         % comment\n\
         \n\
         2 3 4\n\
         1 1 1.5\n\
         2 3 -2e-1\n\
         % a comment between entries\n\
         1 2 3\n\
         1 2 0.25\n",
    );
    assert_eq!(
        a,
        DMatrix::from_row_slice(2, 3, &[1.5, 3.25, 0.0, 0.0, 0.0, -0.2])
    );
}

#[test]
fn coordinate_symmetric_and_skew() {
    let a = real(
        "%%MatrixMarket matrix coordinate real symmetric\n3 3 4\n1 1 2\n2 1 -1\n3 2 4\n3 3 5\n",
    );
    assert_eq!(
        a,
        DMatrix::from_row_slice(3, 3, &[2.0, -1.0, 0.0, -1.0, 0.0, 4.0, 0.0, 4.0, 5.0])
    );
    let s = real("%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n2 1 3\n");
    assert_eq!(s, DMatrix::from_row_slice(2, 2, &[0.0, -3.0, 3.0, 0.0]));
}

#[test]
fn coordinate_complex_general_and_hermitian() {
    let a = complex("%%MatrixMarket matrix coordinate complex general\n2 2 2\n1 2 1 2\n2 1 3 -4\n");
    assert_eq!(a[(0, 1)], c(1.0, 2.0));
    assert_eq!(a[(1, 0)], c(3.0, -4.0));
    assert_eq!(a[(0, 0)], c(0.0, 0.0));
    let h = complex(
        "%%MatrixMarket matrix coordinate complex hermitian\n3 3 4\n1 1 1 0\n2 1 0.5 -0.25\n3 1 0 1\n3 3 -2 0\n",
    );
    assert_eq!(h[(0, 1)], c(0.5, 0.25));
    assert_eq!(h[(1, 0)], c(0.5, -0.25));
    assert_eq!(h[(0, 2)], c(0.0, -1.0));
    assert_eq!(h, h.adjoint());
    // complex symmetric (not Hermitian): a_ji = a_ij
    let s = complex("%%MatrixMarket matrix coordinate complex symmetric\n2 2 1\n2 1 1 1\n");
    assert_eq!(s[(0, 1)], c(1.0, 1.0));
    // complex skew-symmetric
    let k = complex("%%MatrixMarket matrix coordinate complex skew-symmetric\n2 2 1\n2 1 1 1\n");
    assert_eq!(k[(0, 1)], c(-1.0, -1.0));
}

#[test]
fn array_formats_are_column_major() {
    let a = real("%%MatrixMarket matrix array real general\n2 3\n1\n2\n3\n4\n5\n6\n");
    assert_eq!(
        a,
        DMatrix::from_row_slice(2, 3, &[1.0, 3.0, 5.0, 2.0, 4.0, 6.0])
    );
    // symmetric: lower triangle column by column (a11 a21 a31 a22 a32 a33)
    let s = real("%%MatrixMarket matrix array real symmetric\n3 3\n1\n2\n3\n4\n5\n6\n");
    assert_eq!(
        s,
        DMatrix::from_row_slice(3, 3, &[1.0, 2.0, 3.0, 2.0, 4.0, 5.0, 3.0, 5.0, 6.0])
    );
    // skew-symmetric: strictly lower triangle (a21 a31 a32)
    let k = real("%%MatrixMarket matrix array real skew-symmetric\n3 3\n1\n2\n3\n");
    assert_eq!(
        k,
        DMatrix::from_row_slice(3, 3, &[0.0, -1.0, -2.0, 1.0, 0.0, -3.0, 2.0, 3.0, 0.0])
    );
    let h = complex("%%MatrixMarket matrix array complex hermitian\n2 2\n1 0\n2 3\n4 0\n");
    assert_eq!(
        h,
        DMatrix::from_row_slice(2, 2, &[c(1.0, 0.0), c(2.0, -3.0), c(2.0, 3.0), c(4.0, 0.0)])
    );
}

#[test]
fn integer_pattern_fortran_and_case() {
    let a = real("%%MatrixMarket MATRIX Coordinate INTEGER General\n2 2 2\n1 1 7\n2 2 -3\n");
    assert_eq!(a, DMatrix::from_row_slice(2, 2, &[7.0, 0.0, 0.0, -3.0]));
    let p = real("%%MatrixMarket matrix coordinate pattern symmetric\n2 2 2\n1 1\n2 1\n");
    assert_eq!(p, DMatrix::from_row_slice(2, 2, &[1.0, 1.0, 1.0, 0.0]));
    let d = real("%%MatrixMarket matrix array double general\n1 1\n1.5D+02\n");
    assert_eq!(d[(0, 0)], 150.0);
    // hermitian with a real field is symmetric
    let h = real("%%MatrixMarket matrix coordinate real hermitian\n2 2 1\n2 1 5\n");
    assert_eq!(h[(0, 1)], 5.0);
    // Windows line ends
    let w = real("%%MatrixMarket matrix array real general\r\n1 1\r\n2.5\r\n");
    assert_eq!(w[(0, 0)], 2.5);
}

#[test]
fn header_errors_are_on_line_one() {
    for (text, what) in [
        ("", "empty"),
        ("hello\n1 1\n1\n", "not a Matrix Market file"),
        ("%%MatrixMarket matrix array real\n1 1\n1\n", "5 words"),
        (
            "%%MatrixMarket vector array real general\n1\n1\n",
            "only the object",
        ),
        (
            "%%MatrixMarket matrix sparse real general\n1 1\n1\n",
            "unknown format",
        ),
        (
            "%%MatrixMarket matrix array quaternion general\n1 1\n1\n",
            "unknown field",
        ),
        (
            "%%MatrixMarket matrix array real upper\n1 1\n1\n",
            "unknown symmetry",
        ),
        (
            "%%MatrixMarket matrix array pattern general\n1 1\n",
            "pattern",
        ),
    ] {
        let (line, reason) = error(text);
        assert_eq!(line, 1, "{reason}");
        assert!(reason.contains(what), "{reason}");
    }
}

#[test]
fn body_errors_carry_their_line() {
    let h = "%%MatrixMarket matrix coordinate real general\n";
    let cases: Vec<(String, usize, &str)> = vec![
        (format!("{h}% only a comment\n"), 2, "size line is missing"),
        (format!("{h}2 2\n"), 2, "must have 3 numbers"),
        (format!("{h}2 x 1\n"), 2, "column count"),
        (format!("{h}0 2 0\n"), 2, "empty"),
        (format!("{h}100000 100000 1\n"), 2, "too large"),
        (format!("{h}2 2 2\n1 1 1\n1 2\n"), 4, "expected 3 numbers"),
        (format!("{h}2 2 1\n3 1 1\n"), 3, "row index \"3\""),
        (format!("{h}2 2 1\n1 0 1\n"), 3, "column index \"0\""),
        (format!("{h}2 2 1\n1 1 abc\n"), 3, "\"abc\" is not a number"),
        (format!("{h}2 2 1\n1 1 nan\n"), 3, "not finite"),
        (
            format!("{h}2 2 2\n1 1 1\n\n"),
            3,
            "declares 2 entries, the file ends after 1",
        ),
        (
            format!("{h}2 2 1\n1 1 1\n% c\n2 2 2\n"),
            5,
            "more entries than the 1",
        ),
        (
            "%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n1 2 1\n".into(),
            3,
            "above the diagonal",
        ),
        (
            "%%MatrixMarket matrix coordinate real symmetric\n2 3 1\n1 1 1\n".into(),
            2,
            "must be square",
        ),
        (
            "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n1 1 1\n".into(),
            3,
            "must be 0",
        ),
        (
            "%%MatrixMarket matrix coordinate complex hermitian\n2 2 1\n2 2 1 1\n".into(),
            3,
            "must be real",
        ),
        (
            "%%MatrixMarket matrix array complex general\n1 2\n1 2\n3\n".into(),
            4,
            "expected 2 numbers (re im)",
        ),
    ];
    for (text, line, what) in cases {
        let (l, reason) = error(&text);
        assert_eq!(l, line, "{text:?}: {reason}");
        assert!(reason.contains(what), "{text:?}: {reason}");
    }
}

#[test]
fn read_from_disk_and_missing_file() {
    let dir = std::env::temp_dir().join(format!("eigentrack-mtx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("k.mtx");
    std::fs::write(&path, "%%MatrixMarket matrix array real general\n1 1\n4\n").unwrap();
    assert_eq!(
        read_mtx(&path).unwrap(),
        MtxMatrix::Real(DMatrix::from_element(1, 1, 4.0))
    );
    let bad = dir.join("bad.mtx");
    std::fs::write(
        &bad,
        "%%MatrixMarket matrix array real general\n1 1\nfour\n",
    )
    .unwrap();
    let e = read_mtx(&bad).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{}:3: \"four\" is not a number", bad.display())
    );
    let missing = dir.join("missing.mtx");
    match read_mtx(&missing) {
        Err(Error::Input {
            path,
            line: None,
            reason,
            ..
        }) => {
            assert_eq!(path, missing.display().to_string());
            assert!(reason.contains("cannot read"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn shape_and_to_complex() {
    let m = parse_mtx("%%MatrixMarket matrix array real general\n2 1\n1\n2\n", "x").unwrap();
    assert_eq!(m.shape(), (2, 1));
    assert_eq!(m.to_complex()[(1, 0)], c(2.0, 0.0));
}

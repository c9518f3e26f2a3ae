//! A reader for Matrix Market (`.mtx`) files into dense matrices ([`read_mtx`]) or,
//! without ever storing n × n numbers, into sparse CSC matrices ([`read_mtx_sparse`]).
//!
//! Supported headers: `%%MatrixMarket matrix FORMAT FIELD SYMMETRY` with
//!
//! * FORMAT `coordinate` (one entry per line: `row col value`, 1-based) or `array`
//!   (all values column by column);
//! * FIELD `real`, `double`, `integer`, `complex` (two numbers: real and imaginary part) or
//!   `pattern` (coordinate only, every listed entry is 1);
//! * SYMMETRY `general`, `symmetric` (a_ji = a_ij), `skew-symmetric` (a_ji = −a_ij, zero
//!   diagonal) or `hermitian` (a_ji = conj(a_ij), real diagonal; for a real field the
//!   same as `symmetric`).
//!
//! As the format prescribes, a symmetric, skew-symmetric or Hermitian file stores the
//! lower triangle only (for `array`: the lower triangle column by column, without the
//! diagonal for skew-symmetric); an entry above the diagonal is an error, so that a
//! file with both triangles is not silently doubled. Repeated coordinate entries are
//! summed. Lines starting with `%` and blank lines are skipped; Fortran exponents
//! (`1.5D+02`) are accepted.
//!
//! Every error is an [`Error::Input`] with the path and the 1-based line.
//!
//! ```
//! use eigentrack::mtx::{parse_mtx, MtxMatrix};
//!
//! let text = "%%MatrixMarket matrix coordinate complex hermitian\n\
//!             % a 2×2 Hermitian matrix\n\
//!             2 2 3\n\
//!             1 1 1.0 0.0\n\
//!             2 1 0.5 -0.25\n\
//!             2 2 -1.0 0.0\n";
//! let MtxMatrix::Complex(a) = parse_mtx(text, "h.mtx")? else { unreachable!() };
//! assert_eq!(a[(0, 1)], eigentrack::Complex64::new(0.5, 0.25)); // the conjugate of a₂₁
//! # Ok::<(), eigentrack::Error>(())
//! ```

use crate::error::{Error, Result};
use nalgebra::DMatrix;
use nalgebra_sparse::{CooMatrix, CscMatrix};
use num_complex::Complex64;
use std::path::Path;

/// The largest matrix the reader stores densely: rows × columns ≤ 2²⁶ (n = 8192 for a
/// square matrix).
pub const MAX_ENTRIES: usize = 1 << 26;

/// A matrix read from a Matrix Market file: real for the `real`, `integer` and
/// `pattern` fields, complex for `complex`.
#[derive(Debug, Clone, PartialEq)]
pub enum MtxMatrix {
    /// A real matrix.
    Real(DMatrix<f64>),
    /// A complex matrix.
    Complex(DMatrix<Complex64>),
}

impl MtxMatrix {
    /// (rows, columns).
    pub fn shape(&self) -> (usize, usize) {
        match self {
            MtxMatrix::Real(a) => a.shape(),
            MtxMatrix::Complex(a) => a.shape(),
        }
    }
    /// The matrix with complex entries.
    pub fn to_complex(&self) -> DMatrix<Complex64> {
        match self {
            MtxMatrix::Real(a) => a.map(|x| Complex64::new(x, 0.0)),
            MtxMatrix::Complex(a) => a.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Real,
    Complex,
    Pattern,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Symmetry {
    General,
    Symmetric,
    Skew,
    Hermitian,
}

/// A matrix read from a Matrix Market file into compressed sparse columns
/// ([`read_mtx_sparse`]): real for the `real`, `integer` and `pattern` fields, complex for
/// `complex`. Repeated entries are summed; the mirrored triangle of a symmetric,
/// skew-symmetric or Hermitian file is stored explicitly.
///
/// ```
/// use eigentrack::mtx::{parse_mtx_sparse, SparseMtx};
///
/// let text = "%%MatrixMarket matrix coordinate complex general\n2 2 1\n2 1 0.5 -1\n";
/// let a = parse_mtx_sparse(text, "c.mtx")?;
/// assert!(matches!(a, SparseMtx::Complex(_)));
/// assert_eq!((a.shape(), a.nnz()), ((2, 2), 1));
/// assert_eq!(a.to_complex().get_entry(1, 0).unwrap().into_value(), eigentrack::Complex64::new(0.5, -1.0));
/// # Ok::<(), eigentrack::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum SparseMtx {
    /// A real matrix.
    Real(CscMatrix<f64>),
    /// A complex matrix.
    Complex(CscMatrix<Complex64>),
}

impl SparseMtx {
    /// (rows, columns).
    pub fn shape(&self) -> (usize, usize) {
        match self {
            SparseMtx::Real(a) => (a.nrows(), a.ncols()),
            SparseMtx::Complex(a) => (a.nrows(), a.ncols()),
        }
    }
    /// The number of stored entries.
    pub fn nnz(&self) -> usize {
        match self {
            SparseMtx::Real(a) => a.nnz(),
            SparseMtx::Complex(a) => a.nnz(),
        }
    }
    /// The matrix with complex entries.
    pub fn to_complex(&self) -> CscMatrix<Complex64> {
        match self {
            SparseMtx::Real(a) => map_csc(a, |x| Complex64::new(x, 0.0)),
            SparseMtx::Complex(a) => a.clone(),
        }
    }
}

/// `a` with `f` applied to every stored value (same pattern).
pub(crate) fn map_csc<S: Copy, T>(a: &CscMatrix<S>, f: impl Fn(S) -> T) -> CscMatrix<T> {
    CscMatrix::try_from_pattern_and_values(
        a.pattern().clone(),
        a.values().iter().map(|&v| f(v)).collect(),
    )
    .expect("the same pattern and number of values")
}

/// Read a Matrix Market file.
///
/// # Errors
/// [`Error::Input`] with the path (and the line, for a malformed file) when the file
/// cannot be read or is not a valid Matrix Market matrix.
pub fn read_mtx(path: &Path) -> Result<MtxMatrix> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::Input {
        path: shown.clone(),
        line: None,
        column: None,
        term: None,
        reason: format!("cannot read the Matrix Market file: {e}"),
    })?;
    parse_mtx(&text, &shown)
}

/// Read a Matrix Market file into a sparse CSC matrix, without the dense size limit
/// [`MAX_ENTRIES`]: memory is proportional to the entries listed (an `array` file is read
/// too, its zeros left out).
///
/// # Errors
/// [`Error::Input`] with the path (and the line, for a malformed file) when the file
/// cannot be read or is not a valid Matrix Market matrix.
///
/// ```
/// use eigentrack::mtx::{read_mtx_sparse, SparseMtx};
///
/// let dir = std::env::temp_dir().join(format!("eigentrack-mtx-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("k.mtx");
/// std::fs::write(&path, "%%MatrixMarket matrix coordinate real symmetric\n3 3 2\n1 1 2.0\n3 1 -1.0\n").unwrap();
/// let SparseMtx::Real(k) = read_mtx_sparse(&path)? else { unreachable!() };
/// assert_eq!(k.nnz(), 3); // (1, 1), (3, 1) and its mirror (1, 3)
/// assert_eq!(k.get_entry(0, 2).unwrap().into_value(), -1.0);
/// let missing = read_mtx_sparse(&dir.join("none.mtx")).unwrap_err();
/// assert!(missing.to_string().contains("none.mtx"));
/// # Ok::<(), eigentrack::Error>(())
/// ```
pub fn read_mtx_sparse(path: &Path) -> Result<SparseMtx> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::Input {
        path: shown.clone(),
        line: None,
        column: None,
        term: None,
        reason: format!("cannot read the Matrix Market file: {e}"),
    })?;
    parse_mtx_sparse(&text, &shown)
}

/// Parse the text of a Matrix Market file into a sparse CSC matrix; `path` names it in
/// errors. The same format and errors as [`parse_mtx`], without the dense size limit.
///
/// # Errors
/// [`Error::Input`] with `path` and the 1-based line of the problem.
///
/// ```
/// use eigentrack::mtx::{parse_mtx_sparse, SparseMtx};
///
/// let text = "%%MatrixMarket matrix coordinate real general\n100000 100000 1\n7 3 2.5\n";
/// let SparseMtx::Real(a) = parse_mtx_sparse(text, "big.mtx")? else { unreachable!() };
/// assert_eq!((a.nrows(), a.nnz()), (100000, 1));
/// assert_eq!(a.get_entry(6, 2).unwrap().into_value(), 2.5);
/// # Ok::<(), eigentrack::Error>(())
/// ```
pub fn parse_mtx_sparse(text: &str, path: &str) -> Result<SparseMtx> {
    let (field, sink) = parse_into(text, path, false)?;
    let Sink::Sparse(coo) = sink else {
        unreachable!("a sparse parse fills a sparse sink")
    };
    let a = CscMatrix::from(&coo);
    Ok(match field {
        Field::Complex => SparseMtx::Complex(a),
        _ => SparseMtx::Real(map_csc(&a, |z| z.re)),
    })
}

/// Where the entries of a file go: a dense matrix or a list of triplets.
enum Sink {
    Dense(DMatrix<Complex64>),
    Sparse(CooMatrix<Complex64>),
}

impl Sink {
    fn add(&mut self, i: usize, j: usize, v: Complex64) {
        match self {
            Sink::Dense(a) => a[(i, j)] += v,
            Sink::Sparse(c) => {
                if v != Complex64::new(0.0, 0.0) {
                    c.push(i, j, v)
                }
            }
        }
    }
}

/// Parse the text of a Matrix Market file; `path` names it in errors.
///
/// # Errors
/// [`Error::Input`] with `path` and the 1-based line of the problem.
pub fn parse_mtx(text: &str, path: &str) -> Result<MtxMatrix> {
    let (field, sink) = parse_into(text, path, true)?;
    let Sink::Dense(a) = sink else {
        unreachable!("a dense parse fills a dense sink")
    };
    Ok(match field {
        Field::Complex => MtxMatrix::Complex(a),
        _ => MtxMatrix::Real(a.map(|z| z.re)),
    })
}

/// The parser of both readers: the entries of the file (mirrored for the symmetric
/// kinds) into a dense matrix (`dense`, with the [`MAX_ENTRIES`] limit) or triplets.
fn parse_into(text: &str, path: &str, dense: bool) -> Result<(Field, Sink)> {
    let err = |line: usize, reason: String| Error::Input {
        path: path.to_string(),
        line: Some(line),
        column: None,
        term: None,
        reason,
    };
    let mut lines = text.lines().enumerate().map(|(k, l)| (k + 1, l));
    let (_, header) = lines.next().ok_or_else(|| {
        err(
            1,
            "the file is empty (expected a %%MatrixMarket header)".into(),
        )
    })?;
    let words: Vec<String> = header.split_whitespace().map(str::to_lowercase).collect();
    if words.first().map(String::as_str) != Some("%%matrixmarket") {
        return Err(err(
            1,
            "not a Matrix Market file: the first line must be \"%%MatrixMarket matrix FORMAT FIELD SYMMETRY\"".into(),
        ));
    }
    if words.len() != 5 {
        return Err(err(
            1,
            format!(
                "the header must have 5 words (%%MatrixMarket matrix FORMAT FIELD SYMMETRY), found {}",
                words.len()
            ),
        ));
    }
    if words[1] != "matrix" {
        return Err(err(
            1,
            format!(
                "only the object \"matrix\" is supported, found \"{}\"",
                words[1]
            ),
        ));
    }
    let coordinate = match words[2].as_str() {
        "coordinate" => true,
        "array" => false,
        other => {
            return Err(err(
                1,
                format!("unknown format \"{other}\" (expected coordinate or array)"),
            ))
        }
    };
    let field = match words[3].as_str() {
        "real" | "double" | "integer" => Field::Real,
        "complex" => Field::Complex,
        "pattern" => Field::Pattern,
        other => {
            return Err(err(
                1,
                format!("unknown field \"{other}\" (expected real, integer, complex or pattern)"),
            ))
        }
    };
    let mut symmetry = match words[4].as_str() {
        "general" => Symmetry::General,
        "symmetric" => Symmetry::Symmetric,
        "skew-symmetric" => Symmetry::Skew,
        "hermitian" => Symmetry::Hermitian,
        other => {
            return Err(err(
                1,
                format!(
                    "unknown symmetry \"{other}\" (expected general, symmetric, skew-symmetric or hermitian)"
                ),
            ))
        }
    };
    if field == Field::Pattern
        && (!coordinate || matches!(symmetry, Symmetry::Skew | Symmetry::Hermitian))
    {
        return Err(err(
            1,
            "the pattern field needs the coordinate format and general or symmetric symmetry"
                .into(),
        ));
    }
    if symmetry == Symmetry::Hermitian && field != Field::Complex {
        symmetry = Symmetry::Symmetric;
    }

    let mut data = lines.filter(|(_, l)| {
        let l = l.trim_start();
        !l.is_empty() && !l.starts_with('%')
    });
    let (size_line, size_text) = data.next().ok_or_else(|| {
        err(
            text.lines().count().max(1),
            "the size line is missing".into(),
        )
    })?;
    let sizes: Vec<&str> = size_text.split_whitespace().collect();
    let want = if coordinate { 3 } else { 2 };
    let parse_size = |s: &str, what: &str| {
        s.parse::<usize>().map_err(|_| {
            err(
                size_line,
                format!("the {what} \"{s}\" on the size line is not a non-negative integer"),
            )
        })
    };
    if sizes.len() != want {
        return Err(err(
            size_line,
            format!(
                "the size line must have {want} numbers ({}), found {}",
                if coordinate {
                    "rows columns entries"
                } else {
                    "rows columns"
                },
                sizes.len()
            ),
        ));
    }
    let rows = parse_size(sizes[0], "row count")?;
    let cols = parse_size(sizes[1], "column count")?;
    if rows == 0 || cols == 0 {
        return Err(err(
            size_line,
            format!("the matrix is empty ({rows}×{cols})"),
        ));
    }
    if dense && !matches!(rows.checked_mul(cols), Some(n) if n <= MAX_ENTRIES) {
        return Err(err(
            size_line,
            format!("{rows}×{cols} is too large to store densely (at most {MAX_ENTRIES} entries)"),
        ));
    }
    if symmetry != Symmetry::General && rows != cols {
        return Err(err(
            size_line,
            format!("a {} matrix must be square, found {rows}×{cols}", words[4]),
        ));
    }
    let expected = if coordinate {
        let nnz = parse_size(sizes[2], "entry count")?;
        let max = match symmetry {
            Symmetry::General => rows.saturating_mul(cols),
            Symmetry::Skew => rows.saturating_mul(rows - 1) / 2,
            _ => rows.saturating_mul(rows + 1) / 2,
        };
        // repeated entries are allowed, but a bound keeps a corrupt count harmless
        if nnz > max.saturating_mul(16) {
            return Err(err(
                size_line,
                format!(
                    "{nnz} entries declared for a {rows}×{cols} {} matrix",
                    words[4]
                ),
            ));
        }
        nnz
    } else {
        let count = match symmetry {
            Symmetry::General => rows.checked_mul(cols),
            Symmetry::Skew => rows.checked_mul(rows - 1).map(|x| x / 2),
            _ => rows.checked_mul(rows + 1).map(|x| x / 2),
        };
        count.ok_or_else(|| err(size_line, format!("{rows}×{cols} is too large")))?
    };

    let values_per_entry = match field {
        Field::Real => 1,
        Field::Complex => 2,
        Field::Pattern => 0,
    };
    let mut a = if dense {
        Sink::Dense(DMatrix::<Complex64>::zeros(rows, cols))
    } else {
        Sink::Sparse(CooMatrix::new(rows, cols))
    };
    // position of the next value of an array file
    let (mut ai, mut aj) = (0usize, 0usize);
    let first_array_row = |j: usize| match symmetry {
        Symmetry::General => 0,
        Symmetry::Skew => j + 1,
        _ => j,
    };
    if !coordinate {
        ai = first_array_row(0);
    }
    let mut count = 0usize;
    let mut last_line = size_line;
    for (line, text) in data {
        last_line = line;
        if count == expected {
            return Err(err(
                line,
                format!("more entries than the {expected} the size line declares"),
            ));
        }
        let tokens: Vec<&str> = text.split_whitespace().collect();
        let want = values_per_entry + if coordinate { 2 } else { 0 };
        if tokens.len() != want {
            return Err(err(
                line,
                format!(
                    "expected {want} numbers ({}), found {}",
                    match (coordinate, field) {
                        (true, Field::Real) => "row column value",
                        (true, Field::Complex) => "row column re im",
                        (true, Field::Pattern) => "row column",
                        (false, Field::Complex) => "re im",
                        (false, _) => "value",
                    },
                    tokens.len()
                ),
            ));
        }
        let (i, j, rest) = if coordinate {
            let index = |s: &str, n: usize, what: &str| {
                s.parse::<usize>()
                    .ok()
                    .filter(|&k| (1..=n).contains(&k))
                    .map(|k| k - 1)
                    .ok_or_else(|| err(line, format!("{what} index \"{s}\" is not in 1..={n}")))
            };
            (
                index(tokens[0], rows, "row")?,
                index(tokens[1], cols, "column")?,
                &tokens[2..],
            )
        } else {
            (ai, aj, &tokens[..])
        };
        let number = |s: &str| -> Result<f64> {
            let v = s
                .parse::<f64>()
                .or_else(|_| s.replace(['D', 'd'], "e").parse::<f64>())
                .map_err(|_| err(line, format!("\"{s}\" is not a number")))?;
            if v.is_finite() {
                Ok(v)
            } else {
                Err(err(line, format!("the value \"{s}\" is not finite")))
            }
        };
        let value = match field {
            Field::Real => Complex64::new(number(rest[0])?, 0.0),
            Field::Complex => Complex64::new(number(rest[0])?, number(rest[1])?),
            Field::Pattern => Complex64::new(1.0, 0.0),
        };
        if symmetry != Symmetry::General {
            if j > i {
                return Err(err(
                    line,
                    format!(
                        "entry ({}, {}) is above the diagonal; a {} file stores the lower triangle only",
                        i + 1,
                        j + 1,
                        words[4]
                    ),
                ));
            }
            if i == j && symmetry == Symmetry::Skew && value != Complex64::new(0.0, 0.0) {
                return Err(err(
                    line,
                    format!(
                        "diagonal entry ({0}, {0}) of a skew-symmetric matrix must be 0",
                        i + 1
                    ),
                ));
            }
            if i == j && symmetry == Symmetry::Hermitian && value.im != 0.0 {
                return Err(err(
                    line,
                    format!(
                        "diagonal entry ({0}, {0}) of a hermitian matrix must be real",
                        i + 1
                    ),
                ));
            }
        }
        a.add(i, j, value);
        if i != j {
            match symmetry {
                Symmetry::General => {}
                Symmetry::Symmetric => a.add(j, i, value),
                Symmetry::Skew => a.add(j, i, -value),
                Symmetry::Hermitian => a.add(j, i, value.conj()),
            }
        }
        count += 1;
        if !coordinate {
            ai += 1;
            if ai == rows {
                aj += 1;
                ai = first_array_row(aj);
            }
        }
    }
    if count < expected {
        return Err(err(
            last_line,
            format!("the size line declares {expected} entries, the file ends after {count}"),
        ));
    }
    Ok((field, a))
}

//! The output: the result as one line of JSON (non-finite numbers as null) and the
//! writers to a file or stdout, whose failures are input errors (exit code 2).

use crate::Failure;
use eigentrack::Error;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;

fn output_error(path: &Path, e: std::io::Error) -> Failure {
    Error::Output {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
    .into()
}

/// Write `text` to `path`, or to stdout (a closed pipe is not an error).
pub(crate) fn emit(path: Option<&Path>, text: &str) -> Result<(), Failure> {
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

/// Serialise `v` as one line of JSON.
pub(crate) fn json_line(v: &Value) -> Result<String, Failure> {
    let mut text = serde_json::to_string(v).map_err(|e| Failure {
        message: format!("cannot serialise the result: {e}"),
        code: 1,
    })?;
    text.push('\n');
    Ok(text)
}

/// A finite number as JSON, null otherwise.
pub(crate) fn num(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

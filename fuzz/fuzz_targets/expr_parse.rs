//! The expression parser on arbitrary text: parse with the names `t` and `g`, and where
//! that succeeds evaluate the value and the jet in real and complex arithmetic. Errors
//! are fine; a panic or a hang is a bug.
#![no_main]

use eigentrack::expr::Expr;
use eigentrack::Complex64;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(e) = Expr::parse(text, &["t", "g"]) else {
        return;
    };
    for t in [0.0, -1.5, 1e308, f64::MIN_POSITIVE] {
        let _ = e.eval(&[t, 0.5]);
        let _ = e.jet(&[t, 0.5], 0);
        let z = [Complex64::new(t, 0.25), Complex64::new(0.5, 0.0)];
        let _ = e.eval(&z);
        let _ = e.jet(&z, 1);
    }
});

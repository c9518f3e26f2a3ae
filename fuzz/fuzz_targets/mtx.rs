//! The Matrix Market reader on arbitrary text, and where a matrix parses, its complex
//! copy. Errors are fine; a panic or a hang is a bug.
#![no_main]

use eigentrack::mtx::parse_mtx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(m) = parse_mtx(text, "fuzz.mtx") {
        let (r, c) = m.shape();
        let z = m.to_complex();
        assert_eq!(z.shape(), (r, c));
    }
});

//! The family-file reader on arbitrary text, and where a family parses, a short track of
//! it (5 samples, a budget of 500 decompositions): hostile values inside valid JSON must
//! end in a result or an error. A panic or a hang is a bug.
#![no_main]

use eigentrack::family_file::{FamilyFile, FileFamily};
use eigentrack::Tracker;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = FamilyFile::parse(text, Path::new("fuzz/family.json")) else {
        return;
    };
    let (a, b) = file.range();
    let Ok(tracker) = Tracker::new()
        .samples(5)
        .and_then(|t| t.max_decompositions(500))
    else {
        return;
    };
    let tracker = tracker.hermitian(file.hermitian());
    let _ = match file.family() {
        FileFamily::Real(f) => tracker.track_family(f, a..=b),
        FileFamily::Complex(f) => tracker.track_family(f, a..=b),
    };
});

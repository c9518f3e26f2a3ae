//! Numbers in the JSON model of the results ([`Tracking`](crate::Tracking),
//! [`WindowTracking`](crate::sparse::WindowTracking)): a finite `f64` is a JSON number
//! (written so that it reads back bit for bit), NaN is `null`, and ±∞ are the strings
//! `"inf"` and `"-inf"` (JSON has no infinity; a condition number is ∞ at an exceptional
//! point). Reading accepts the same, and `"nan"`.

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An `f64` with the encoding above.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Num(pub(crate) f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = self.0;
        if x.is_finite() {
            s.serialize_f64(x)
        } else if x.is_nan() {
            s.serialize_none()
        } else if x > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

struct NumVisitor;

impl Visitor<'_> for NumVisitor {
    type Value = Num;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, null (NaN), \"inf\" or \"-inf\"")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
        Ok(Num(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
        Ok(Num(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
        Ok(Num(v as f64))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Num, E> {
        Ok(Num(f64::NAN))
    }
    fn visit_none<E: de::Error>(self) -> Result<Num, E> {
        Ok(Num(f64::NAN))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
        match v {
            "inf" | "+inf" | "Infinity" => Ok(Num(f64::INFINITY)),
            "-inf" | "-Infinity" => Ok(Num(f64::NEG_INFINITY)),
            "nan" | "NaN" => Ok(Num(f64::NAN)),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Num, D::Error> {
        d.deserialize_any(NumVisitor)
    }
}

/// `xs` as [`Num`]s.
pub(crate) fn nums(xs: &[f64]) -> Vec<Num> {
    xs.iter().map(|&x| Num(x)).collect()
}

/// The `f64`s of `xs`.
pub(crate) fn floats(xs: Vec<Num>) -> Vec<f64> {
    xs.into_iter().map(|x| x.0).collect()
}

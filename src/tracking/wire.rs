//! The serde model of a [`Tracking`]: the JSON the command-line tool writes, that
//! `Tracking.to_json`/`from_json` and pickling use in Python, read back exactly.
//!
//! ```text
//! {"samples": [t…],
//!  "branches": [{"re", "im", "slope_re", "slope_im", "curv_re", "curv_im", "cond",
//!                "right", "left"}],          // curv_* when computed, vectors when kept
//!  "events": [{"kind", "t", "branches", "re", "im", …}],
//!  "stats": {"decompositions", …},
//!  "real": bool}
//! ```
//!
//! Numbers: see [`serde_num`](crate::serde_num) (NaN is `null`, ±∞ `"inf"`/`"-inf"`).
//! Eigenvectors (`right`, `left`) are one list per sample of `[re, im]` pairs. Events
//! carry their eigenvalue as `re`, `im`; a crossing or a touching its slopes as
//! `slopes_re`, `slopes_im`; an avoided crossing `gap`, `gap_bounds`,
//! `slope_difference`; a level event `part`, `level` (and its branch in `branches`); an
//! unresolved step its end `t_end` (its start is `t`).

use super::{Branch, Event, Part, Stats, Tracking};
use crate::serde_num::{floats, nums, Num};
use nalgebra::DVector;
use num_complex::Complex64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

type Pair = [Num; 2];

fn pair(z: Complex64) -> Pair {
    [Num(z.re), Num(z.im)]
}

fn unpair(p: Pair) -> Complex64 {
    Complex64::new(p[0].0, p[1].0)
}

pub(crate) fn vectors_out(v: &[DVector<Complex64>]) -> Vec<Vec<Pair>> {
    v.iter()
        .map(|x| x.iter().map(|&z| pair(z)).collect())
        .collect()
}

pub(crate) fn vector_in(x: Vec<Pair>) -> DVector<Complex64> {
    DVector::from_iterator(x.len(), x.into_iter().map(unpair))
}

fn re(v: &[Complex64]) -> Vec<Num> {
    v.iter().map(|z| Num(z.re)).collect()
}

fn im(v: &[Complex64]) -> Vec<Num> {
    v.iter().map(|z| Num(z.im)).collect()
}

fn join(re: Vec<Num>, im: Vec<Num>, what: &str) -> Result<Vec<Complex64>, String> {
    if re.len() != im.len() {
        return Err(format!(
            "{what}: {} real and {} imaginary parts",
            re.len(),
            im.len()
        ));
    }
    Ok(re
        .into_iter()
        .zip(im)
        .map(|(a, b)| Complex64::new(a.0, b.0))
        .collect())
}

#[derive(Serialize, Deserialize)]
struct BranchWire {
    re: Vec<Num>,
    im: Vec<Num>,
    slope_re: Vec<Num>,
    slope_im: Vec<Num>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    curv_re: Vec<Num>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    curv_im: Vec<Num>,
    cond: Vec<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    right: Option<Vec<Vec<Pair>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    left: Option<Vec<Vec<Pair>>>,
}

impl From<&Branch> for BranchWire {
    fn from(b: &Branch) -> Self {
        BranchWire {
            re: re(&b.values),
            im: im(&b.values),
            slope_re: re(&b.slopes),
            slope_im: im(&b.slopes),
            curv_re: re(&b.curvatures),
            curv_im: im(&b.curvatures),
            cond: nums(&b.condition),
            right: b.right.as_deref().map(vectors_out),
            left: b.left.as_deref().map(vectors_out),
        }
    }
}

impl BranchWire {
    fn into_branch(self, k: usize) -> Result<Branch, String> {
        let at = |what: &str| format!("branches[{k}].{what}");
        let vecs = |v: Option<Vec<Vec<Pair>>>| v.map(|v| v.into_iter().map(vector_in).collect());
        Branch::from_parts(
            join(self.re, self.im, &at("re/im"))?,
            join(self.slope_re, self.slope_im, &at("slope_re/slope_im"))?,
            join(self.curv_re, self.curv_im, &at("curv_re/curv_im"))?,
            floats(self.cond),
            vecs(self.right),
            vecs(self.left),
        )
        .map_err(|e| format!("branches[{k}]: {e}"))
    }
}

#[derive(Serialize, Deserialize)]
struct EventWire {
    kind: String,
    t: Num,
    branches: Vec<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    re: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    im: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gap: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gap_bounds: Option<Pair>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    slope_difference: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    part: Option<Part>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    level: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    slopes_re: Option<Pair>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    slopes_im: Option<Pair>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    t_end: Option<Num>,
}

impl From<&Event> for EventWire {
    fn from(e: &Event) -> Self {
        let value = e.value();
        let mut w = EventWire {
            kind: e.kind().to_string(),
            t: Num(e.t()),
            branches: e.branches(),
            re: value.map(|v| Num(v.re)),
            im: value.map(|v| Num(v.im)),
            gap: None,
            gap_bounds: None,
            slope_difference: None,
            part: None,
            level: None,
            slopes_re: None,
            slopes_im: None,
            t_end: None,
        };
        match e {
            Event::Crossing { slopes, .. } | Event::Touching { slopes, .. } => {
                w.slopes_re = Some([Num(slopes[0].re), Num(slopes[1].re)]);
                w.slopes_im = Some([Num(slopes[0].im), Num(slopes[1].im)]);
            }
            Event::AvoidedCrossing {
                gap,
                gap_bounds,
                slope_difference,
                ..
            } => {
                w.gap = Some(Num(*gap));
                w.gap_bounds = Some([Num(gap_bounds[0]), Num(gap_bounds[1])]);
                w.slope_difference = Some(Num(*slope_difference));
            }
            Event::Level { part, level, .. } => {
                w.part = Some(*part);
                w.level = Some(Num(*level));
            }
            Event::Unresolved { t_end, .. } => w.t_end = Some(Num(*t_end)),
            Event::ExceptionalPoint { .. } => {}
        }
        w
    }
}

impl EventWire {
    fn into_event(self, k: usize) -> Result<Event, String> {
        let kind = self.kind.as_str();
        let missing = |field: &str| format!("events[{k}] ({kind}): missing {field}");
        let two = || -> Result<[usize; 2], String> {
            <[usize; 2]>::try_from(self.branches.as_slice()).map_err(|_| {
                format!(
                    "events[{k}] ({kind}): expected two branches, got {:?}",
                    self.branches
                )
            })
        };
        // a value written as null (NaN) reads back as NaN
        let nan = Num(f64::NAN);
        let value = Complex64::new(self.re.unwrap_or(nan).0, self.im.unwrap_or(nan).0);
        let slopes = || -> Result<[Complex64; 2], String> {
            let (r, i) = (
                self.slopes_re.ok_or_else(|| missing("slopes_re"))?,
                self.slopes_im.ok_or_else(|| missing("slopes_im"))?,
            );
            Ok([
                Complex64::new(r[0].0, i[0].0),
                Complex64::new(r[1].0, i[1].0),
            ])
        };
        let t = self.t.0;
        Ok(match kind {
            "crossing" => Event::Crossing {
                t,
                branches: two()?,
                value,
                slopes: slopes()?,
            },
            "touching" => Event::Touching {
                t,
                branches: two()?,
                value,
                slopes: slopes()?,
            },
            "avoided_crossing" => {
                let gb = self.gap_bounds.ok_or_else(|| missing("gap_bounds"))?;
                Event::AvoidedCrossing {
                    t,
                    branches: two()?,
                    gap: self.gap.ok_or_else(|| missing("gap"))?.0,
                    value,
                    gap_bounds: [gb[0].0, gb[1].0],
                    slope_difference: self.slope_difference.unwrap_or(nan).0,
                }
            }
            "exceptional_point" => Event::ExceptionalPoint {
                t,
                branches: two()?,
                value,
            },
            "level" => Event::Level {
                t,
                branch: match self.branches.as_slice() {
                    [b] => *b,
                    bs => {
                        return Err(format!(
                            "events[{k}] (level): expected one branch, got {bs:?}"
                        ))
                    }
                },
                part: self.part.ok_or_else(|| missing("part"))?,
                level: self.level.ok_or_else(|| missing("level"))?.0,
                value,
            },
            "unresolved" => Event::Unresolved {
                t_start: t,
                t_end: self.t_end.ok_or_else(|| missing("t_end"))?.0,
                branches: self.branches,
            },
            other => return Err(format!("events[{k}]: unknown event kind {other:?}")),
        })
    }
}

#[derive(Serialize, Deserialize)]
struct TrackingWire {
    samples: Vec<Num>,
    branches: Vec<BranchWire>,
    events: Vec<EventWire>,
    #[serde(default)]
    stats: Stats,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    real: Option<bool>,
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EventWire::from(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Event, D::Error> {
        EventWire::deserialize(d)?
            .into_event(0)
            .map_err(serde::de::Error::custom)
    }
}

impl Serialize for Branch {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        BranchWire::from(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Branch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Branch, D::Error> {
        BranchWire::deserialize(d)?
            .into_branch(0)
            .map_err(serde::de::Error::custom)
    }
}

impl Serialize for Tracking {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        TrackingWire {
            samples: nums(&self.samples),
            branches: self.branches.iter().map(BranchWire::from).collect(),
            events: self.events.iter().map(EventWire::from).collect(),
            stats: self.stats,
            real: Some(self.real),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Tracking {
    /// Reads what [`Serialize`] writes. A JSON without `"real"` (an older file) is taken
    /// as real when every eigenvalue at every sample is real.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Tracking, D::Error> {
        let w = TrackingWire::deserialize(d)?;
        let err = serde::de::Error::custom;
        let branches = w
            .branches
            .into_iter()
            .enumerate()
            .map(|(k, b)| b.into_branch(k))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let events = w
            .events
            .into_iter()
            .enumerate()
            .map(|(k, e)| e.into_event(k))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        if w.samples.is_empty() {
            return Err(err(
                "samples: a tracking has at least one sample".to_string()
            ));
        }
        // every kept eigenvector has one length, n (the getters index by it)
        let mut n = None;
        for (k, b) in branches.iter().enumerate() {
            for v in [&b.right, &b.left].into_iter().flatten().flatten() {
                match n {
                    None => n = Some(v.len()),
                    Some(n) if n != v.len() => {
                        return Err(err(format!(
                            "branches[{k}]: an eigenvector of length {} where the others have {n}",
                            v.len()
                        )))
                    }
                    _ => {}
                }
            }
        }
        let real = w.real.unwrap_or_else(|| {
            branches
                .iter()
                .all(|b| b.values.iter().all(|v| v.im == 0.0))
        });
        Tracking::from_parts(floats(w.samples), branches, events, w.stats, real)
            .map_err(|e| serde::de::Error::custom(e.to_string()))
    }
}

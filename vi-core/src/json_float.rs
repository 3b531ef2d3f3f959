//! Non-finite numbers in reports: JSON has no `inf` or `NaN`, and `serde_json` writes them as
//! `null`, which a reader cannot tell from "not measured". A report therefore writes a
//! non-finite value as the string `"inf"`, `"-inf"` or `"NaN"`, and reads back a number, one of
//! those strings, or `null` (read as NaN, as files written before this rule have it).
//!
//! Use with `#[serde(with = "crate::json_float")]` on `f64` fields, and the submodules for
//! `Option<f64>`, `Vec<f64>` and maps of metrics.

use std::collections::BTreeMap;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

/// A value as written: a finite number, or the name of a non-finite one.
#[derive(Clone, Copy, Debug, PartialEq)]
struct JsonF64(f64);

impl Serialize for JsonF64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.is_finite() {
            s.serialize_f64(v)
        } else if v.is_nan() {
            s.serialize_str("NaN")
        } else if v > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

impl<'de> Deserialize<'de> for JsonF64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = JsonF64;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number, \"inf\", \"-inf\", \"NaN\" or null")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<JsonF64, E> {
                Ok(JsonF64(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<JsonF64, E> {
                Ok(JsonF64(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<JsonF64, E> {
                Ok(JsonF64(v as f64))
            }
            fn visit_unit<E: de::Error>(self) -> Result<JsonF64, E> {
                Ok(JsonF64(f64::NAN))
            }
            fn visit_none<E: de::Error>(self) -> Result<JsonF64, E> {
                Ok(JsonF64(f64::NAN))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<JsonF64, E> {
                match v {
                    "inf" | "+inf" | "Infinity" => Ok(JsonF64(f64::INFINITY)),
                    "-inf" | "-Infinity" => Ok(JsonF64(f64::NEG_INFINITY)),
                    "NaN" | "nan" => Ok(JsonF64(f64::NAN)),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// Serializes an `f64`, writing non-finite values as strings.
///
/// # Errors
/// Those of the serializer.
pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    JsonF64(*v).serialize(s)
}

/// Reads an `f64` written by [`serialize`] (or a plain number, or `null` as NaN).
///
/// # Errors
/// Anything else.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    JsonF64::deserialize(d).map(|v| v.0)
}

/// `Option<f64>`: `None` is `null`, a non-finite value a string.
pub mod option {
    use super::*;

    /// Serializes `None` as `null` and a value as in [`super::serialize`].
    ///
    /// # Errors
    /// Those of the serializer.
    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(x) => JsonF64(*x).serialize(s),
            None => s.serialize_none(),
        }
    }

    /// Reads `null` as `None`, anything else as in [`super::deserialize`].
    ///
    /// # Errors
    /// Anything else.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(Option::<JsonF64>::deserialize(d)?.map(|v| v.0))
    }
}

/// `Vec<f64>`, entry by entry.
pub mod vec {
    use super::*;

    /// Serializes each entry as in [`super::serialize`].
    ///
    /// # Errors
    /// Those of the serializer.
    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for x in v {
            seq.serialize_element(&JsonF64(*x))?;
        }
        seq.end()
    }

    /// Reads each entry as in [`super::deserialize`].
    ///
    /// # Errors
    /// Anything but an array of such entries.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Ok(Vec::<JsonF64>::deserialize(d)?.into_iter().map(|v| v.0).collect())
    }

    /// `Option<Vec<f64>>`.
    pub mod option {
        use super::*;

        /// Serializes `None` as `null`, a vector entry by entry.
        ///
        /// # Errors
        /// Those of the serializer.
        pub fn serialize<S: Serializer>(v: &Option<Vec<f64>>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(x) => super::serialize(x, s),
                None => s.serialize_none(),
            }
        }

        /// Reads `null` as `None`, an array entry by entry.
        ///
        /// # Errors
        /// Anything else.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<f64>>, D::Error> {
            Ok(Option::<Vec<JsonF64>>::deserialize(d)?.map(|v| v.into_iter().map(|x| x.0).collect()))
        }
    }
}

/// `BTreeMap<String, f64>` (metrics), value by value.
pub mod map {
    use super::*;

    /// Serializes each value as in [`super::serialize`].
    ///
    /// # Errors
    /// Those of the serializer.
    pub fn serialize<S: Serializer>(m: &BTreeMap<String, f64>, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_map(Some(m.len()))?;
        for (k, v) in m {
            out.serialize_entry(k, &JsonF64(*v))?;
        }
        out.end()
    }

    /// Reads each value as in [`super::deserialize`].
    ///
    /// # Errors
    /// Anything but an object of such values.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, f64>, D::Error> {
        Ok(BTreeMap::<String, JsonF64>::deserialize(d)?.into_iter().map(|(k, v)| (k, v.0)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct R {
        #[serde(with = "super")]
        a: f64,
        #[serde(with = "super::option")]
        b: Option<f64>,
        #[serde(with = "super::vec")]
        c: Vec<f64>,
        #[serde(with = "super::map")]
        d: BTreeMap<String, f64>,
    }

    #[test]
    fn non_finite_values_round_trip_as_strings() {
        let r = R {
            a: f64::INFINITY,
            b: Some(f64::NEG_INFINITY),
            c: vec![1.5, f64::NAN],
            d: BTreeMap::from([("gap".to_string(), f64::INFINITY)]),
        };
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(s, r#"{"a":"inf","b":"-inf","c":[1.5,"NaN"],"d":{"gap":"inf"}}"#);
        let back: R = serde_json::from_str(&s).unwrap();
        assert_eq!(back.a, f64::INFINITY);
        assert_eq!(back.b, Some(f64::NEG_INFINITY));
        assert!(back.c[0] == 1.5 && back.c[1].is_nan());
        assert_eq!(back.d["gap"], f64::INFINITY);
    }

    #[test]
    fn finite_values_stay_numbers_and_old_nulls_read_as_nan() {
        let s = r#"{"a":2,"b":null,"c":[0.25],"d":{}}"#;
        let r: R = serde_json::from_str(s).unwrap();
        assert_eq!((r.a, r.b, r.c.clone()), (2.0, None, vec![0.25]));
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"a":2.0,"b":null,"c":[0.25],"d":{}}"#);
        let old: R = serde_json::from_str(r#"{"a":null,"b":1e-3,"c":[],"d":{"m":null}}"#).unwrap();
        assert!(old.a.is_nan() && old.d["m"].is_nan());
        assert!(serde_json::from_str::<R>(r#"{"a":"big","b":null,"c":[],"d":{}}"#).is_err());
    }
}

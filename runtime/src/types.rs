//! Value types and serde helpers that make generated models serialize exactly as PocketBase's API does.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A `geoPoint` value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GeoPoint {
    pub lon: f64,
    pub lat: f64,
}

/// Numbers as Go's `encoding/json` writes a float64: whole values without a fraction (`47`, not `47.0`).
pub mod number {
    use super::*;

    /// The largest integer below which every whole f64 is exact (2^53).
    const EXACT: f64 = 9_007_199_254_740_992.0;

    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        if value.fract() == 0.0 && value.abs() < EXACT {
            serializer.serialize_i64(*value as i64)
        } else {
            serializer.serialize_f64(*value)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        f64::deserialize(deserializer)
    }
}

/// A single select value that PocketBase writes as `""` when unset: `None` <-> `""`.
pub mod empty_as_none {
    use super::*;

    pub fn serialize<T: Serialize, S: Serializer>(value: &Option<T>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => v.serialize(serializer),
            None => serializer.serialize_str(""),
        }
    }

    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum EmptyOr<T> {
            Empty(Empty),
            Value(T),
        }
        #[derive(Deserialize)]
        enum Empty {
            #[serde(rename = "")]
            Empty,
        }
        Ok(match Option::<EmptyOr<T>>::deserialize(deserializer)? {
            None | Some(EmptyOr::Empty(_)) => None,
            Some(EmptyOr::Value(v)) => Some(v),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct N(#[serde(with = "number")] f64);

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Color {
        #[serde(rename = "red")]
        Red,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct S(#[serde(with = "empty_as_none")] Option<Color>);

    #[test]
    fn numbers_match_go() {
        assert_eq!(serde_json::to_string(&N(47.0)).unwrap(), "47");
        assert_eq!(serde_json::to_string(&N(-3.0)).unwrap(), "-3");
        assert_eq!(serde_json::to_string(&N(4.5)).unwrap(), "4.5");
        assert_eq!(serde_json::from_str::<N>("12").unwrap(), N(12.0));
    }

    #[test]
    fn empty_select_is_none() {
        assert_eq!(serde_json::to_string(&S(None)).unwrap(), r#""""#);
        assert_eq!(serde_json::to_string(&S(Some(Color::Red))).unwrap(), r#""red""#);
        assert_eq!(serde_json::from_str::<S>(r#""""#).unwrap(), S(None));
        assert_eq!(serde_json::from_str::<S>("null").unwrap(), S(None));
        assert_eq!(serde_json::from_str::<S>(r#""red""#).unwrap(), S(Some(Color::Red)));
        assert!(serde_json::from_str::<S>(r#""blue""#).is_err());
    }

    #[test]
    fn geopoint_fills_missing_coordinates() {
        let p: GeoPoint = serde_json::from_str(r#"{"lon":1}"#).unwrap();
        assert_eq!(p, GeoPoint { lon: 1.0, lat: 0.0 });
    }
}

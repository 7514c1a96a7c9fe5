//! A JSON tree that borrows its text: what the EVTX reader parses the `evtx` crate's JSON
//! rendering of a record into.
//!
//! The crate's own `serde_json::Value` path renders a record as JSON text and parses it back into
//! owned maps and strings; most of that is thrown away again when the record is flattened into
//! fields. This tree keeps objects as vectors of members in document order and strings as slices
//! of the rendered text (owned only where JSON escapes had to be decoded), so flattening copies
//! each value once. Nesting is bounded by `serde_json`'s recursion limit (128).

use crate::flatten::{Json, View};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// One JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer above `i64::MAX`.
    Big(u64),
    Float(f64),
    Str(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    /// Members in document order (the `evtx` crate renders unique keys, suffixing repeats `_N`).
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl<'a> Node<'a> {
    /// Parses JSON text; strings without escapes borrow from `bytes`.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Node<'a>, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Int(i) => Value::from(*i),
            Node::Big(u) => Value::from(*u),
            Node::Float(f) => Value::from(*f),
            Node::Str(s) => Value::String(s.to_string()),
            Node::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Node::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

impl Json for Node<'_> {
    fn view(&self) -> View<'_, Self> {
        match self {
            Node::Null => View::Null,
            Node::Bool(b) => View::Bool(*b),
            Node::Int(i) => View::Int(*i),
            Node::Big(u) => View::Big(*u),
            Node::Float(f) => View::Float(*f),
            Node::Str(s) => View::Str(s),
            Node::Array(items) => View::Array(items),
            Node::Object(_) => View::Object,
        }
    }

    fn get(&self, key: &str) -> Option<&Self> {
        match self {
            Node::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn for_each_member(&self, f: &mut dyn FnMut(&str, &Self)) {
        if let Node::Object(members) = self {
            for (k, v) in members {
                f(k, v);
            }
        }
    }

    fn json_text(&self) -> String {
        // Rare (objects inside lists, values nested past the depth limit): through serde_json's
        // `Value`, so the text is exactly what the `Value` path printed (keys sorted).
        self.to_value().to_string()
    }
}

/// A string that borrows from the input when it holds no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Node::Null)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Node::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
                Ok(Node::Bool(b))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Self::Value, E> {
                Ok(Node::Int(i))
            }
            fn visit_u64<E>(self, u: u64) -> Result<Self::Value, E> {
                Ok(i64::try_from(u).map_or(Node::Big(u), Node::Int))
            }
            fn visit_f64<E>(self, f: f64) -> Result<Self::Value, E> {
                Ok(Node::Float(f))
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Node::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Node::Str(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
                Ok(Node::Str(Cow::Owned(s)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Node::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
                while let Some((Text(k), v)) = map.next_entry::<Text<'de>, Node<'de>>()? {
                    members.push((k, v));
                }
                Ok(Node::Object(members))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_borrow_unless_escaped() {
        let text =
            br#"{"a":"plain","b":"tab\there","c":[1,-2,18446744073709551615,1.5,null,true]}"#;
        let n = Node::parse(text).unwrap();
        let Node::Object(m) = &n else { panic!() };
        assert!(matches!(&m[0].1, Node::Str(Cow::Borrowed("plain"))));
        assert!(matches!(&m[1].1, Node::Str(Cow::Owned(s)) if s == "tab\there"));
        assert_eq!(
            m[2].1,
            Node::Array(vec![
                Node::Int(1),
                Node::Int(-2),
                Node::Big(u64::MAX),
                Node::Float(1.5),
                Node::Null,
                Node::Bool(true)
            ])
        );
    }

    #[test]
    fn json_text_matches_serde_json_value() {
        let text = r#"{"z":{"b":1,"a":[{"y":2.5,"x":"q\"uote"}]},"big":18446744073709551615}"#;
        let n = Node::parse(text.as_bytes()).unwrap();
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(n.json_text(), v.to_string());
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(Node::parse(deep.as_bytes()).is_err());
    }
}

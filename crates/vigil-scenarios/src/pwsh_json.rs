//! JSON as Windows PowerShell 5.1 writes it with `ConvertTo-Json | Out-File -Encoding UTF8`: a UTF-8
//! byte-order mark, CRLF line ends, `"name":  value` (two spaces after the colon), nested values
//! indented four columns past the bracket that opens them (5.1's reformatting of the
//! JavaScriptSerializer output), dates as `"\/Date(ms)\/"`, and `<`, `>`, `&`, `'` escaped as
//! `\u003c`, `\u003e`, `\u0026`, `\u0027`.

/// A value to serialise, with properties in the order PowerShell lists them.
#[derive(Debug, Clone, PartialEq)]
pub enum Ps {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    /// A `DateTime`: milliseconds since 1970 (UTC), written `"\/Date(ms)\/"`.
    Date(i64),
    Array(Vec<Ps>),
    Object(Vec<(String, Ps)>),
}

impl Ps {
    pub fn str(s: impl Into<String>) -> Ps {
        Ps::Str(s.into())
    }

    /// An object from (name, value) pairs.
    pub fn obj(pairs: Vec<(&str, Ps)>) -> Ps {
        Ps::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }
}

/// The bytes of the file: BOM + the document + CRLF.
pub fn file_bytes(v: &Ps) -> Vec<u8> {
    let mut s = String::from("\u{feff}");
    s.push_str(&to_string(v));
    s.push_str("\r\n");
    s.into_bytes()
}

/// The document text (no BOM, no final line end).
pub fn to_string(v: &Ps) -> String {
    let mut out = String::new();
    write(&mut out, v, 0);
    out
}

/// Writes `v` whose first character lands at column `col` of the current line.
fn write(out: &mut String, v: &Ps, col: usize) {
    match v {
        Ps::Null => out.push_str("null"),
        Ps::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Ps::Int(i) => out.push_str(&i.to_string()),
        Ps::Str(s) => escape_into(out, s),
        Ps::Date(ms) => out.push_str(&format!("\"\\/Date({ms})\\/\"")),
        Ps::Array(items) => {
            out.push('[');
            out.push_str("\r\n");
            let inner = col + 4;
            if items.is_empty() {
                out.push_str("\r\n");
            }
            for (i, item) in items.iter().enumerate() {
                out.push_str(&" ".repeat(inner));
                write(out, item, inner);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push_str("\r\n");
            }
            out.push_str(&" ".repeat(col));
            out.push(']');
        }
        Ps::Object(props) => {
            out.push('{');
            out.push_str("\r\n");
            let inner = col + 4;
            if props.is_empty() {
                out.push_str("\r\n");
            }
            for (i, (k, val)) in props.iter().enumerate() {
                out.push_str(&" ".repeat(inner));
                let start = out.len();
                escape_into(out, k);
                out.push_str(":  ");
                let value_col = inner + (out.len() - start);
                write(out, val, value_col);
                if i + 1 < props.len() {
                    out.push(',');
                }
                out.push_str("\r\n");
            }
            out.push_str(&" ".repeat(col));
            out.push('}');
        }
    }
}

fn escape_into(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\'' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_windows_powershell_5_1() {
        let v = Ps::obj(vec![
            ("Name", Ps::str("O'Brien <x> & y")),
            ("When", Ps::Date(1_669_852_800_000)),
            (
                "Props",
                Ps::Array(vec![Ps::obj(vec![("Value", Ps::Int(1))]), Ps::Null]),
            ),
            ("Empty", Ps::Array(vec![])),
        ]);
        let s = to_string(&v);
        let expected = "{\r\n    \"Name\":  \"O\\u0027Brien \\u003cx\\u003e \\u0026 y\",\r\n    \"When\":  \"\\/Date(1669852800000)\\/\",\r\n    \"Props\":  [\r\n                  {\r\n                      \"Value\":  1\r\n                  },\r\n                  null\r\n              ],\r\n    \"Empty\":  [\r\n\r\n              ]\r\n}";
        assert_eq!(s, expected);
        // It is valid JSON (after the BOM) and the values survive.
        let bytes = file_bytes(&v);
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        let parsed: serde_json::Value = serde_json::from_slice(&bytes[3..]).unwrap();
        assert_eq!(parsed["Name"], "O'Brien <x> & y");
        assert_eq!(parsed["When"], "/Date(1669852800000)/");
        assert_eq!(parsed["Props"][0]["Value"], 1);
    }
}

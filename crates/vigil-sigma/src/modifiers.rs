//! Value modifiers: turn `field|mod1|mod2: values` into [`FieldTest`]s.
//!
//! Transformations (`windash`, `base64`, `base64offset`, the UTF-16 family, `expand`) run in the
//! order written; `contains`/`startswith`/`endswith` place wildcards at the end of the chain;
//! type modifiers (`re`, `cidr`, `lt`…, `exists`, `fieldref`, time parts) change what the value
//! is compared as.

use crate::cidr::Cidr;
use crate::encoding;
use crate::rule::{CmpOp, FieldTest, Position, TimePart, ValuePattern};
use crate::sigmastr::SigmaString;
use std::collections::HashMap;

/// Most values one field test may expand to (hostile input bound).
pub const MAX_VALUES: usize = 10_000;
/// Longest regular expression accepted.
pub const MAX_REGEX_LEN: usize = 32 * 1024;
/// Compiled size limit for a regular expression, so a rule cannot exhaust memory.
pub const REGEX_SIZE_LIMIT: usize = 2 * 1024 * 1024;
const WINDASH_MAX_VARIANTS: usize = 125;

/// A YAML scalar as a rule value.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Str(String),
    Num(f64, String),
    Bool(bool),
    Null,
}

impl Scalar {
    fn text(&self) -> Option<String> {
        match self {
            Scalar::Str(s) => Some(s.clone()),
            Scalar::Num(_, t) => Some(t.clone()),
            Scalar::Bool(b) => Some(b.to_string()),
            Scalar::Null => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transform {
    Windash,
    Base64,
    Base64Offset,
    Utf16Le,
    Utf16Be,
    Utf16Bom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Re,
    Cidr,
    Cmp(CmpOp),
    Exists,
    FieldRef,
    Time(TimePart),
}

#[derive(Debug, Default)]
struct Mods {
    transforms: Vec<Transform>,
    position: Option<Position>,
    kind: Option<Kind>,
    cmp: Option<CmpOp>,
    all: bool,
    cased: bool,
    neq: bool,
    expand: bool,
    re_flags: String,
}

fn parse_mods(names: &[&str]) -> Result<Mods, String> {
    let mut m = Mods::default();
    let set_kind = |m: &mut Mods, k: Kind, name: &str| -> Result<(), String> {
        match m.kind {
            None => {
                m.kind = Some(k);
                Ok(())
            }
            Some(Kind::Time(_)) if matches!(k, Kind::Cmp(_)) => Ok(()),
            Some(prev) => Err(format!("modifier '{name}' conflicts with {prev:?}")),
        }
    };
    let set_pos = |m: &mut Mods, p: Position, name: &str| -> Result<(), String> {
        if m.position.is_some_and(|q| q != p) {
            return Err(format!(
                "modifier '{name}' conflicts with another position modifier"
            ));
        }
        m.position = Some(p);
        Ok(())
    };
    for &name in names {
        match name {
            "contains" => set_pos(&mut m, Position::Anywhere, name)?,
            "startswith" => set_pos(&mut m, Position::Start, name)?,
            "endswith" => set_pos(&mut m, Position::End, name)?,
            "all" => m.all = true,
            "cased" => m.cased = true,
            "neq" => m.neq = true,
            "expand" => m.expand = true,
            "windash" => m.transforms.push(Transform::Windash),
            "base64" => m.transforms.push(Transform::Base64),
            "base64offset" => m.transforms.push(Transform::Base64Offset),
            "wide" | "utf16le" => m.transforms.push(Transform::Utf16Le),
            "utf16be" => m.transforms.push(Transform::Utf16Be),
            "utf16" => m.transforms.push(Transform::Utf16Bom),
            "re" => set_kind(&mut m, Kind::Re, name)?,
            "i" | "m" | "s" => {
                if m.kind != Some(Kind::Re) {
                    return Err(format!("regex flag '{name}' must follow the 're' modifier"));
                }
                if !m.re_flags.contains(name) {
                    m.re_flags.push_str(name);
                }
            }
            "cidr" => set_kind(&mut m, Kind::Cidr, name)?,
            "exists" => set_kind(&mut m, Kind::Exists, name)?,
            "fieldref" | "equalsfield" => set_kind(&mut m, Kind::FieldRef, name)?,
            // Hayabusa's shorthand for `fieldref|endswith`.
            "endswithfield" => {
                set_kind(&mut m, Kind::FieldRef, name)?;
                set_pos(&mut m, Position::End, name)?;
            }
            "lt" | "lte" | "gt" | "gte" => {
                let op = match name {
                    "lt" => CmpOp::Lt,
                    "lte" => CmpOp::Lte,
                    "gt" => CmpOp::Gt,
                    _ => CmpOp::Gte,
                };
                if m.cmp.is_some() {
                    return Err("only one of lt/lte/gt/gte may be used".into());
                }
                m.cmp = Some(op);
                set_kind(&mut m, Kind::Cmp(op), name)?;
            }
            "minute" | "hour" | "day" | "week" | "month" | "year" => {
                let part = match name {
                    "minute" => TimePart::Minute,
                    "hour" => TimePart::Hour,
                    "day" => TimePart::Day,
                    "week" => TimePart::Week,
                    "month" => TimePart::Month,
                    _ => TimePart::Year,
                };
                if m.kind.is_some_and(|k| !matches!(k, Kind::Cmp(_))) {
                    return Err(format!("modifier '{name}' conflicts with {:?}", m.kind));
                }
                m.kind = Some(Kind::Time(part));
            }
            "" => return Err("empty modifier ('||')".into()),
            other => return Err(format!("unknown modifier '{other}'")),
        }
    }
    let kind = m.kind.unwrap_or(Kind::Plain);
    let has_transforms = !m.transforms.is_empty() || m.expand;
    match kind {
        Kind::Plain => {}
        Kind::FieldRef => {
            if has_transforms {
                return Err("'fieldref' cannot be combined with value transformations".into());
            }
        }
        Kind::Time(_) => {
            if has_transforms || m.position.is_some() {
                return Err("time modifiers only combine with lt/lte/gt/gte, neq and all".into());
            }
        }
        other => {
            if has_transforms || m.position.is_some() {
                return Err(format!(
                    "{other:?} cannot be combined with string or encoding modifiers"
                ));
            }
        }
    }
    Ok(m)
}

/// Compiles a Sigma regular expression.
///
/// Sigma's flavour is PCRE, where `\w`, `\d`, `\s` and case folding are ASCII unless UTF mode
/// is requested; matching bytes without Unicode classes keeps that meaning and keeps automata
/// small (`\w{1,64}` over all of Unicode would not fit the size limit). Patterns that need
/// Unicode (a non-ASCII character in a class) fall back to Unicode mode. Both are linear time
/// and bounded by [`REGEX_SIZE_LIMIT`].
pub fn compile_regex(pat: &str) -> Result<regex::bytes::Regex, String> {
    let build = |unicode: bool| {
        regex::bytes::RegexBuilder::new(pat)
            .unicode(unicode)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT)
            .build()
    };
    build(false)
        .or_else(|_| build(true))
        .map_err(|e| format!("invalid regular expression: {e}"))
}

/// Intermediate value while transformations run.
enum Val {
    Str(SigmaString),
    Bytes(Vec<u8>),
}

/// Builds the test for one detection map entry.
///
/// `key` is the full key (`Image|endswith`), `values` the scalar(s) under it,
/// `placeholders` the values for `expand` (`name` → values, without the `%`).
pub fn build_field_test(
    key: &str,
    values: &[Scalar],
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<FieldTest, String> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or("");
    let names: Vec<&str> = parts.collect();
    let m = parse_mods(&names)?;
    let field = if field.is_empty() {
        None
    } else {
        Some(field.to_string())
    };
    if values.is_empty() {
        return Err("empty value list".into());
    }
    if values.len() > MAX_VALUES {
        return Err(format!("more than {MAX_VALUES} values"));
    }
    let kind = m.kind.unwrap_or(Kind::Plain);
    if field.is_none() && matches!(kind, Kind::Exists | Kind::FieldRef | Kind::Time(_)) {
        return Err(format!("{kind:?} needs a field name"));
    }
    if values.len() > 1 && values.contains(&Scalar::Null) {
        return Err("null cannot be part of a list of values (use a separate selection)".into());
    }
    let mut groups = Vec::with_capacity(values.len());
    let mut total = 0usize;
    for v in values {
        let mut alts = build_value(v, &m, kind, field.is_none(), placeholders)?;
        if m.neq {
            alts = alts
                .into_iter()
                .map(|p| ValuePattern::Not(Box::new(p)))
                .collect();
        }
        total += alts.len();
        if total > MAX_VALUES {
            return Err(format!(
                "values expand to more than {MAX_VALUES} alternatives"
            ));
        }
        groups.push(alts);
    }
    Ok(FieldTest {
        field,
        key: key.to_string(),
        groups,
        all: m.all,
    })
}

fn number_of(v: &Scalar) -> Option<f64> {
    match v {
        Scalar::Num(n, _) => Some(*n),
        Scalar::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn build_value(
    v: &Scalar,
    m: &Mods,
    kind: Kind,
    keyword: bool,
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<Vec<ValuePattern>, String> {
    match kind {
        Kind::Exists => match v {
            Scalar::Bool(b) => Ok(vec![ValuePattern::Exists(*b)]),
            Scalar::Str(s) if s.eq_ignore_ascii_case("true") => {
                Ok(vec![ValuePattern::Exists(true)])
            }
            Scalar::Str(s) if s.eq_ignore_ascii_case("false") => {
                Ok(vec![ValuePattern::Exists(false)])
            }
            _ => Err("'exists' takes true or false".into()),
        },
        Kind::Cmp(op) => {
            let n = number_of(v).ok_or_else(|| format!("{op:?} needs a numeric value"))?;
            Ok(vec![ValuePattern::Cmp { op, value: n }])
        }
        Kind::Time(part) => {
            let n = number_of(v).ok_or("time modifiers need a numeric value")?;
            Ok(vec![ValuePattern::Time {
                part,
                op: m.cmp.unwrap_or(CmpOp::Eq),
                value: n,
            }])
        }
        Kind::Cidr => {
            let t = v
                .text()
                .ok_or("'cidr' needs a network such as 10.0.0.0/8")?;
            Ok(vec![ValuePattern::Cidr(Cidr::parse(&t)?)])
        }
        Kind::Re => {
            let t = v.text().ok_or("'re' needs a regular expression")?;
            if t.len() > MAX_REGEX_LEN {
                return Err(format!(
                    "regular expression longer than {MAX_REGEX_LEN} bytes"
                ));
            }
            let pat = if m.re_flags.is_empty() {
                t
            } else {
                format!("(?{}){t}", m.re_flags)
            };
            compile_regex(&pat)?;
            Ok(vec![ValuePattern::Regex(pat)])
        }
        Kind::FieldRef => {
            let t = match v {
                Scalar::Str(s) if !s.is_empty() => s.clone(),
                _ => return Err("'fieldref' needs a field name".into()),
            };
            Ok(vec![ValuePattern::FieldRef {
                other: t,
                position: m.position.unwrap_or(Position::Whole),
                cased: m.cased,
            }])
        }
        Kind::Plain => build_plain(v, m, keyword, placeholders),
    }
}

fn build_plain(
    v: &Scalar,
    m: &Mods,
    keyword: bool,
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<Vec<ValuePattern>, String> {
    let plain_mods = m.transforms.is_empty() && m.position.is_none() && !m.expand;
    match v {
        Scalar::Null => {
            if !plain_mods {
                return Err("null cannot be combined with string modifiers".into());
            }
            return Ok(vec![ValuePattern::Null]);
        }
        Scalar::Bool(b) if plain_mods && !keyword => return Ok(vec![ValuePattern::Bool(*b)]),
        Scalar::Num(n, t) if plain_mods && !keyword => {
            return Ok(vec![ValuePattern::Num {
                value: *n,
                text: t.clone(),
            }]);
        }
        _ => {}
    }
    let text = v.text().unwrap_or_default();
    let raw_values = if m.expand {
        expand(&text, placeholders)?
    } else {
        vec![text]
    };
    let mut vals: Vec<Val> = raw_values
        .iter()
        .map(|t| Val::Str(SigmaString::parse(t)))
        .collect();
    for t in &m.transforms {
        let mut next = Vec::with_capacity(vals.len());
        for val in vals {
            match (t, val) {
                (Transform::Windash, Val::Str(s)) => {
                    next.extend(s.windash(WINDASH_MAX_VARIANTS).into_iter().map(Val::Str));
                }
                (Transform::Windash, Val::Bytes(_)) => {
                    return Err("'windash' must come before encoding modifiers".into());
                }
                (t, val) => {
                    let bytes = match val {
                        Val::Bytes(b) => b,
                        Val::Str(s) => s
                            .as_plain()
                            .ok_or("encoding modifiers cannot encode wildcards")?
                            .into_bytes(),
                    };
                    match t {
                        Transform::Base64 => {
                            next.push(Val::Str(SigmaString::literal(&encoding::base64(&bytes))))
                        }
                        Transform::Base64Offset => next.extend(
                            encoding::base64_offsets(&bytes)
                                .iter()
                                .map(|s| Val::Str(SigmaString::literal(s))),
                        ),
                        Transform::Utf16Le | Transform::Utf16Be | Transform::Utf16Bom => {
                            let s = String::from_utf8(bytes)
                                .map_err(|_| "UTF-16 modifiers need text input")?;
                            next.push(Val::Bytes(match t {
                                Transform::Utf16Le => encoding::utf16le(&s),
                                Transform::Utf16Be => encoding::utf16be(&s),
                                _ => encoding::utf16_bom(&s),
                            }));
                        }
                        Transform::Windash => {}
                    }
                }
            }
            if next.len() > MAX_VALUES {
                return Err(format!(
                    "value expands to more than {MAX_VALUES} alternatives"
                ));
            }
        }
        vals = next;
    }
    let position = m.position.unwrap_or(if keyword {
        Position::Anywhere
    } else {
        Position::Whole
    });
    let mut out = Vec::with_capacity(vals.len());
    for val in vals {
        let mut s =
            match val {
                Val::Str(s) => s,
                Val::Bytes(b) => SigmaString::literal(&String::from_utf8(b).map_err(
                    |_| "encoded value is not valid text; add 'base64' or 'base64offset'",
                )?),
            };
        match position {
            Position::Whole => {}
            Position::Start => s.append_star(),
            Position::End => s.prepend_star(),
            Position::Anywhere => {
                s.prepend_star();
                s.append_star();
            }
        }
        out.push(ValuePattern::Str {
            pattern: s,
            cased: m.cased,
        });
    }
    Ok(out)
}

/// Replaces `%name%` placeholders (not escaped as `\%`) by each of their values.
fn expand(text: &str, placeholders: &HashMap<String, Vec<String>>) -> Result<Vec<String>, String> {
    let mut results = vec![String::new()];
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("\\%") {
            for s in &mut results {
                s.push('%');
            }
            rest = r;
            continue;
        }
        if let Some(r) = rest.strip_prefix('%')
            && let Some(end) = r.find('%')
        {
            let name = r.get(..end).unwrap_or("");
            let vals = placeholders.get(name).ok_or_else(|| {
                format!("placeholder '%{name}%' has no value (give it in the placeholder map)")
            })?;
            if vals.is_empty() {
                return Err(format!("placeholder '%{name}%' has an empty value list"));
            }
            let mut next = Vec::with_capacity(results.len() * vals.len());
            for s in &results {
                for v in vals {
                    next.push(format!("{s}{v}"));
                }
            }
            if next.len() > MAX_VALUES {
                return Err(format!(
                    "placeholders expand to more than {MAX_VALUES} values"
                ));
            }
            results = next;
            rest = r.get(end + 1..).unwrap_or("");
            continue;
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            for s in &mut results {
                s.push(c);
            }
        }
        rest = chars.as_str();
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigmastr::Piece;

    fn s(v: &str) -> Scalar {
        Scalar::Str(v.to_string())
    }

    fn no_ph() -> HashMap<String, Vec<String>> {
        HashMap::new()
    }

    #[test]
    fn contains_wraps_with_stars() {
        let t = build_field_test("CommandLine|contains", &[s("whoami")], &no_ph()).unwrap();
        let ValuePattern::Str { pattern, cased } = &t.groups[0][0] else {
            panic!()
        };
        assert!(!cased);
        assert_eq!(
            pattern.pieces,
            vec![Piece::Star, Piece::Lit("whoami".into()), Piece::Star]
        );
    }

    #[test]
    fn modifier_errors() {
        assert!(
            build_field_test("a|foo", &[s("x")], &no_ph())
                .unwrap_err()
                .contains("unknown")
        );
        assert!(build_field_test("a|re|contains", &[s("x")], &no_ph()).is_err());
        assert!(build_field_test("a|i", &[s("x")], &no_ph()).is_err());
        assert!(build_field_test("a|cidr", &[s("300.0.0.0/8")], &no_ph()).is_err());
        assert!(build_field_test("a|re", &[s("(?<=x)y")], &no_ph()).is_err());
        assert!(build_field_test("a|gt", &[s("abc")], &no_ph()).is_err());
        assert!(build_field_test("a|exists", &[s("maybe")], &no_ph()).is_err());
        assert!(build_field_test("a|base64", &[s("a*b")], &no_ph()).is_err());
        assert!(build_field_test("a", &[s("x"), Scalar::Null], &no_ph()).is_err());
        assert!(
            build_field_test("a|expand", &[s("%nope%")], &no_ph())
                .unwrap_err()
                .contains("nope")
        );
    }

    #[test]
    fn expand_placeholders() {
        let mut ph = HashMap::new();
        ph.insert(
            "Admins".to_string(),
            vec!["root".to_string(), "adm_*".to_string()],
        );
        let t = build_field_test("User|expand", &[s("%Admins%")], &ph).unwrap();
        assert_eq!(t.groups[0].len(), 2);
        let t = build_field_test("User|expand", &[s(r"\%x%Admins%")], &ph).unwrap();
        let ValuePattern::Str { pattern, .. } = &t.groups[0][0] else {
            panic!()
        };
        assert_eq!(pattern.as_plain().as_deref(), Some("%xroot"));
    }

    #[test]
    fn encoding_chains() {
        let t = build_field_test("a|wide|base64offset|contains", &[s("cmd")], &no_ph()).unwrap();
        assert_eq!(t.groups[0].len(), 3);
        let t = build_field_test("a|base64", &[s("foo")], &no_ph()).unwrap();
        let ValuePattern::Str { pattern, .. } = &t.groups[0][0] else {
            panic!()
        };
        assert_eq!(pattern.as_plain().as_deref(), Some("Zm9v"));
    }
}

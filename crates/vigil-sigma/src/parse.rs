//! YAML rule documents → [`Rule`], [`Correlation`] and [`Filter`].
//!
//! A file may hold several documents (`---`). Legacy Sigma 1.x collections (`action: global`,
//! `action: reset`, `action: repeat`) are expanded the way Sigma 1.x defined them. Every problem
//! becomes a [`RuleError`] naming the file, the document, the YAML path and the reason; the
//! other documents go on.

use crate::condition::{CondExpr, parse_condition};
use crate::error::RuleError;
use crate::modifiers::{Scalar, build_field_test};
use crate::rule::{
    Correlation, CorrelationCondition, CorrelationType, DetectionSpec, FieldTest, Filter, Related,
    Rule, RuleMeta, RuleSet, Search,
};
use serde::Deserialize;
use std::collections::HashMap;
use vigil_model::{Level, LogSource};
use yaml_serde::{Mapping, Value};

/// Most YAML documents read from one file.
pub const MAX_DOCUMENTS: usize = 10_000;
/// Most search identifiers in one detection.
pub const MAX_IDENTIFIERS: usize = 1_000;
/// Most field tests in one detection.
pub const MAX_FIELD_TESTS: usize = 10_000;

/// Knobs of parsing: placeholder values for `expand` and the size bound.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Placeholder name (without `%`) → values, for the `expand` modifier.
    pub placeholders: HashMap<String, Vec<String>>,
    /// Largest rule file read, in bytes.
    pub max_file_size: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            placeholders: HashMap::new(),
            max_file_size: 4 * 1024 * 1024,
        }
    }
}

/// Parses every document of a rule file's text. `origin` names it in errors.
pub fn parse_rules_str(text: &str, origin: &str) -> (RuleSet, Vec<RuleError>) {
    parse_rules_str_with(text, origin, &LoadOptions::default())
}

/// [`parse_rules_str`] with options (placeholders for `expand`).
pub fn parse_rules_str_with(
    text: &str,
    origin: &str,
    opts: &LoadOptions,
) -> (RuleSet, Vec<RuleError>) {
    let mut set = RuleSet::default();
    let mut errors = Vec::new();
    if text.len() as u64 > opts.max_file_size {
        errors.push(RuleError::new(
            origin,
            None,
            "",
            format!("rule file larger than {} bytes", opts.max_file_size),
        ));
        return (set, errors);
    }
    let mut global: Option<Mapping> = None;
    let mut previous: Option<Mapping> = None;
    let mut n_docs = 0usize;
    for (i, de) in yaml_serde::Deserializer::from_str(text).enumerate() {
        let doc_no = i + 1;
        if doc_no > MAX_DOCUMENTS {
            errors.push(RuleError::new(
                origin,
                None,
                "",
                format!("more than {MAX_DOCUMENTS} YAML documents; the rest is ignored"),
            ));
            break;
        }
        let value = match Value::deserialize(de) {
            Ok(v) => v,
            Err(e) => {
                errors.push(RuleError::new(
                    origin,
                    Some(doc_no),
                    "",
                    format!("invalid YAML: {e}"),
                ));
                // A syntax error leaves the stream position unknown: stop here.
                break;
            }
        };
        n_docs += 1;
        let map = match value {
            Value::Mapping(m) => m,
            Value::Null => continue, // empty document (e.g. a trailing `---`)
            _ => {
                errors.push(RuleError::new(
                    origin,
                    Some(doc_no),
                    "",
                    "document is not a mapping",
                ));
                continue;
            }
        };
        let doc_origin = format!("{origin}#{doc_no}");
        let map = match get_str(&map, "action") {
            Some("global") => {
                let mut m = map;
                m.remove("action");
                global = Some(m);
                continue;
            }
            Some("reset") => {
                global = None;
                continue;
            }
            Some("repeat") => {
                let mut m = map;
                m.remove("action");
                match &previous {
                    Some(prev) => merge(prev.clone(), m),
                    None => {
                        errors.push(RuleError::new(
                            origin,
                            Some(doc_no),
                            "action",
                            "'action: repeat' without a preceding rule",
                        ));
                        continue;
                    }
                }
            }
            Some(other) => {
                errors.push(RuleError::new(
                    origin,
                    Some(doc_no),
                    "action",
                    format!("unknown collection action '{other}'"),
                ));
                continue;
            }
            None => match &global {
                Some(g) => merge(g.clone(), map),
                None => map,
            },
        };
        previous = Some(map.clone());
        let mk = |path: &str, reason: String, meta: Option<&RuleMeta>| {
            RuleError::new(origin, Some(doc_no), path, reason)
                .with_rule(meta.map(|m| m.id.clone().unwrap_or_else(|| m.title.clone())))
        };
        let meta = match parse_meta(&map, &doc_origin) {
            Ok(m) => m,
            Err((path, reason)) => {
                errors.push(mk(&path, reason, None));
                continue;
            }
        };
        let result = if map.contains_key("correlation") {
            parse_correlation(&map, meta.clone()).map(|c| set.correlations.push(c))
        } else if map.contains_key("filter") && !map.contains_key("detection") {
            parse_filter(&map, meta.clone(), opts).map(|f| set.filters.push(f))
        } else if map.contains_key("detection") {
            parse_rule(&map, meta.clone(), opts).map(|r| set.rules.push(r))
        } else {
            Err((
                String::new(),
                "document has no 'detection', 'correlation' or 'filter' section".to_string(),
            ))
        };
        if let Err((path, reason)) = result {
            errors.push(mk(&path, reason, Some(&meta)));
        }
    }
    if n_docs == 0 && errors.is_empty() {
        errors.push(RuleError::new(
            origin,
            None,
            "",
            "file holds no YAML document",
        ));
    }
    (set, errors)
}

pub(crate) type PErr = (String, String);

pub(crate) fn perr(path: &str, reason: impl Into<String>) -> PErr {
    (path.to_string(), reason.into())
}

/// Sigma 1.x collection merge: mappings merge recursively, other values are replaced.
fn merge(mut base: Mapping, over: Mapping) -> Mapping {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(Value::Mapping(b)), Value::Mapping(o)) => {
                let merged = merge(std::mem::take(b), o);
                *b = merged;
            }
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
    base
}

fn get_str<'a>(m: &'a Mapping, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}

pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar_text(&t.value),
        _ => None,
    }
}

fn opt_text(m: &Mapping, key: &str) -> Result<Option<String>, PErr> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => scalar_text(v)
            .map(Some)
            .ok_or_else(|| perr(key, "expected a single value")),
    }
}

/// A list of strings; a single string is a one-item list and null an empty one.
pub(crate) fn text_list(m: &Mapping, key: &str) -> Result<Vec<String>, PErr> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Sequence(items)) => items
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_null())
            .map(|(i, v)| {
                scalar_text(v).ok_or_else(|| perr(&format!("{key}[{i}]"), "expected a string"))
            })
            .collect(),
        Some(v) => scalar_text(v)
            .map(|s| vec![s])
            .ok_or_else(|| perr(key, "expected a list of strings")),
    }
}

fn parse_meta(m: &Mapping, origin: &str) -> Result<RuleMeta, PErr> {
    let title = opt_text(m, "title")?.ok_or_else(|| perr("title", "missing 'title'"))?;
    let level = match opt_text(m, "level")? {
        None => None,
        Some(l) => Some(l.parse::<Level>().map_err(|e| perr("level", e))?),
    };
    let logsource = match m.get("logsource") {
        None | Some(Value::Null) => LogSource::default(),
        Some(Value::Mapping(ls)) => {
            let f = |k: &str| -> Result<Option<String>, PErr> {
                Ok(opt_text(ls, k)
                    .map_err(|(p, r)| (format!("logsource.{p}"), r))?
                    .map(|s| s.to_lowercase()))
            };
            LogSource {
                product: f("product")?,
                category: f("category")?,
                service: f("service")?,
            }
        }
        Some(_) => return Err(perr("logsource", "expected a mapping")),
    };
    let related = match m.get("related") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Sequence(items)) => {
            let mut out = Vec::new();
            for (i, it) in items.iter().enumerate() {
                let path = format!("related[{i}]");
                let Value::Mapping(r) = it else {
                    return Err(perr(&path, "expected a mapping with 'id' and 'type'"));
                };
                let id = opt_text(r, "id")
                    .map_err(|(p, e)| (format!("{path}.{p}"), e))?
                    .ok_or_else(|| perr(&path, "missing 'id'"))?;
                let kind = opt_text(r, "type")
                    .map_err(|(p, e)| (format!("{path}.{p}"), e))?
                    .unwrap_or_default();
                out.push(Related { id, kind });
            }
            out
        }
        Some(_) => return Err(perr("related", "expected a list")),
    };
    Ok(RuleMeta {
        id: opt_text(m, "id")?,
        name: opt_text(m, "name")?,
        title,
        status: opt_text(m, "status")?,
        description: opt_text(m, "description")?,
        level,
        tags: text_list(m, "tags")?,
        logsource,
        falsepositives: text_list(m, "falsepositives")?,
        references: text_list(m, "references")?,
        related,
        author: opt_text(m, "author")?,
        date: opt_text(m, "date")?,
        modified: opt_text(m, "modified")?,
        fields: text_list(m, "fields")?,
        origin: origin.to_string(),
    })
}

fn parse_rule(m: &Mapping, meta: RuleMeta, opts: &LoadOptions) -> Result<Rule, PErr> {
    if !m.contains_key("logsource") {
        return Err(perr("logsource", "missing 'logsource'"));
    }
    let Some(Value::Mapping(det)) = m.get("detection") else {
        return Err(perr("detection", "expected a mapping"));
    };
    let detection = parse_detection(det, "detection", &[], opts)?;
    Ok(Rule { meta, detection })
}

fn parse_filter(m: &Mapping, meta: RuleMeta, opts: &LoadOptions) -> Result<Filter, PErr> {
    let Some(Value::Mapping(f)) = m.get("filter") else {
        return Err(perr("filter", "expected a mapping"));
    };
    let rules = text_list(f, "rules").map_err(|(p, r)| (format!("filter.{p}"), r))?;
    if rules.is_empty() {
        return Err(perr(
            "filter.rules",
            "a filter must name the rules it applies to",
        ));
    }
    let detection = parse_detection(f, "filter", &["rules"], opts)?;
    Ok(Filter {
        meta,
        rules,
        detection,
    })
}

fn parse_detection(
    det: &Mapping,
    base: &str,
    skip: &[&str],
    opts: &LoadOptions,
) -> Result<DetectionSpec, PErr> {
    let mut names = Vec::new();
    let mut searches = Vec::new();
    let mut cond_value = None;
    let mut n_tests = 0usize;
    for (k, v) in det {
        let key = scalar_text(k).ok_or_else(|| perr(base, "identifier must be a string"))?;
        if skip.contains(&key.as_str()) || key == "timeframe" {
            continue;
        }
        if key == "condition" {
            cond_value = Some(v);
            continue;
        }
        if names.len() >= MAX_IDENTIFIERS {
            return Err(perr(
                base,
                format!("more than {MAX_IDENTIFIERS} search identifiers"),
            ));
        }
        let path = format!("{base}.{key}");
        let search = parse_search(v, &path, opts, &mut n_tests)?;
        names.push(key);
        searches.push(search);
    }
    let cond_path = format!("{base}.condition");
    let conds: Vec<String> = match cond_value {
        None => return Err(perr(&cond_path, "missing 'condition'")),
        Some(Value::Sequence(items)) => items
            .iter()
            .map(|v| scalar_text(v).ok_or_else(|| perr(&cond_path, "expected a string")))
            .collect::<Result<_, _>>()?,
        Some(v) => vec![scalar_text(v).ok_or_else(|| perr(&cond_path, "expected a string"))?],
    };
    let mut parsed = Vec::new();
    for (i, c) in conds.iter().enumerate() {
        let p = if conds.len() > 1 {
            format!("{cond_path}[{i}]")
        } else {
            cond_path.clone()
        };
        parsed.push(parse_condition(c, &names).map_err(|e| perr(&p, e))?);
    }
    let condition = match parsed.len() {
        0 => return Err(perr(&cond_path, "empty condition list")),
        1 => parsed.remove(0),
        _ => CondExpr::Or(parsed),
    };
    Ok(DetectionSpec {
        names,
        searches,
        condition,
    })
}

fn to_scalar(v: &Value, path: &str) -> Result<Scalar, PErr> {
    match v {
        Value::Null => Ok(Scalar::Null),
        Value::Bool(b) => Ok(Scalar::Bool(*b)),
        Value::String(s) => Ok(Scalar::Str(s.clone())),
        Value::Number(n) => Ok(Scalar::Num(n.as_f64().unwrap_or(f64::NAN), n.to_string())),
        Value::Tagged(t) => to_scalar(&t.value, path),
        Value::Sequence(_) | Value::Mapping(_) => Err(perr(
            path,
            "expected a value or a list of values, found a nested structure",
        )),
    }
}

fn parse_search(
    v: &Value,
    path: &str,
    opts: &LoadOptions,
    n_tests: &mut usize,
) -> Result<Search, PErr> {
    match v {
        Value::Mapping(m) => parse_map(m, path, opts, n_tests),
        Value::Sequence(items) => {
            if items.is_empty() {
                return Err(perr(path, "empty list"));
            }
            let mut alts = Vec::new();
            let mut keywords: Vec<Scalar> = Vec::new();
            for (i, it) in items.iter().enumerate() {
                let p = format!("{path}[{i}]");
                match it {
                    Value::Mapping(m) => alts.push(parse_map(m, &p, opts, n_tests)?),
                    Value::Sequence(_) => return Err(perr(&p, "nested lists are not allowed")),
                    other => keywords.push(to_scalar(other, &p)?),
                }
            }
            if !keywords.is_empty() {
                let t = keyword_test(&keywords, path, opts, n_tests)?;
                alts.push(Search::And(vec![t]));
            }
            Ok(if alts.len() == 1 {
                alts.remove(0)
            } else {
                Search::Or(alts)
            })
        }
        Value::Null => Err(perr(path, "empty search identifier")),
        other => {
            let s = to_scalar(other, path)?;
            Ok(Search::And(vec![keyword_test(&[s], path, opts, n_tests)?]))
        }
    }
}

fn keyword_test(
    values: &[Scalar],
    path: &str,
    opts: &LoadOptions,
    n_tests: &mut usize,
) -> Result<FieldTest, PErr> {
    if values.contains(&Scalar::Null) {
        return Err(perr(path, "null is not a keyword"));
    }
    *n_tests += 1;
    build_field_test("", values, &opts.placeholders).map_err(|e| perr(path, e))
}

fn parse_map(
    m: &Mapping,
    path: &str,
    opts: &LoadOptions,
    n_tests: &mut usize,
) -> Result<Search, PErr> {
    if m.is_empty() {
        return Err(perr(path, "empty mapping"));
    }
    let mut tests = Vec::with_capacity(m.len());
    for (k, v) in m {
        let key = scalar_text(k).ok_or_else(|| perr(path, "field name must be a string"))?;
        let p = format!("{path}.{key}");
        *n_tests += 1;
        if *n_tests > MAX_FIELD_TESTS {
            return Err(perr(&p, format!("more than {MAX_FIELD_TESTS} field tests")));
        }
        let values: Vec<Scalar> = match v {
            Value::Sequence(items) => items
                .iter()
                .enumerate()
                .map(|(i, it)| to_scalar(it, &format!("{p}[{i}]")))
                .collect::<Result<_, _>>()?,
            other => vec![to_scalar(other, &p)?],
        };
        tests.push(build_field_test(&key, &values, &opts.placeholders).map_err(|e| perr(&p, e))?);
    }
    Ok(Search::And(tests))
}

pub(crate) fn parse_timespan(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let num: i64 = s.get(..s.len() - unit.len_utf8())?.trim().parse().ok()?;
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    if num <= 0 {
        return None;
    }
    num.checked_mul(mult)
}

fn parse_correlation(m: &Mapping, meta: RuleMeta) -> Result<Correlation, PErr> {
    let Some(Value::Mapping(c)) = m.get("correlation") else {
        return Err(perr("correlation", "expected a mapping"));
    };
    let at = |p: &str| format!("correlation.{p}");
    let lift = |(p, r): PErr| (format!("correlation.{p}"), r);
    let type_text = opt_text(c, "type")
        .map_err(lift)?
        .ok_or_else(|| perr(&at("type"), "missing"))?;
    let kind = CorrelationType::parse(&type_text).ok_or_else(|| {
        perr(
            &at("type"),
            format!("unknown correlation type '{type_text}'"),
        )
    })?;
    let rules = text_list(c, "rules").map_err(lift)?;
    if rules.is_empty() {
        return Err(perr(
            &at("rules"),
            "a correlation must reference at least one rule",
        ));
    }
    let group_by = text_list(c, "group-by").map_err(lift)?;
    let ts = opt_text(c, "timespan")
        .map_err(lift)?
        .ok_or_else(|| perr(&at("timespan"), "missing 'timespan'"))?;
    let timespan_secs = parse_timespan(&ts).ok_or_else(|| {
        perr(
            &at("timespan"),
            format!("'{ts}' is not a duration like 30s, 5m, 1h or 1d"),
        )
    })?;
    let mut condition = CorrelationCondition::default();
    match c.get("condition") {
        None | Some(Value::Null) => {}
        Some(Value::Mapping(cm)) => {
            for (k, v) in cm {
                let key = scalar_text(k).unwrap_or_default();
                let p = at(&format!("condition.{key}"));
                if key == "field" {
                    condition.field = match v {
                        Value::Sequence(items) => items
                            .iter()
                            .map(|x| scalar_text(x).ok_or_else(|| perr(&p, "expected a field")))
                            .collect::<Result<_, _>>()?,
                        other => {
                            vec![scalar_text(other).ok_or_else(|| perr(&p, "expected a field"))?]
                        }
                    };
                    continue;
                }
                let n = match v {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                }
                .ok_or_else(|| perr(&p, "expected a number"))?;
                let slot = match key.as_str() {
                    "gt" => &mut condition.gt,
                    "gte" => &mut condition.gte,
                    "lt" => &mut condition.lt,
                    "lte" => &mut condition.lte,
                    "eq" => &mut condition.eq,
                    "neq" => &mut condition.neq,
                    _ => return Err(perr(&p, format!("unknown condition operator '{key}'"))),
                };
                *slot = Some(n);
            }
        }
        Some(_) => {
            return Err(perr(
                &at("condition"),
                "expected a mapping such as {gte: 10}",
            ));
        }
    }
    let needs_condition = !matches!(
        kind,
        CorrelationType::Temporal | CorrelationType::TemporalOrdered
    ) && !kind.is_vigil_extension();
    if needs_condition && !condition.has_bounds() {
        return Err(perr(
            &at("condition"),
            format!("{type_text} needs a condition (gt, gte, …)"),
        ));
    }
    if kind.needs_field() && condition.field.is_empty() {
        return Err(perr(
            &at("condition.field"),
            format!("{type_text} needs 'field'"),
        ));
    }
    let mut aliases = Vec::new();
    match c.get("aliases") {
        None | Some(Value::Null) => {}
        Some(Value::Mapping(am)) => {
            for (k, v) in am {
                let alias = scalar_text(k).unwrap_or_default();
                let p = at(&format!("aliases.{alias}"));
                let Value::Mapping(per_rule) = v else {
                    return Err(perr(&p, "expected a mapping of rule name to field"));
                };
                let mut pairs = Vec::new();
                for (rk, rv) in per_rule {
                    let r = scalar_text(rk).ok_or_else(|| perr(&p, "expected a rule name"))?;
                    let f = scalar_text(rv).ok_or_else(|| perr(&p, "expected a field name"))?;
                    pairs.push((r, f));
                }
                aliases.push((alias, pairs));
            }
        }
        Some(_) => return Err(perr(&at("aliases"), "expected a mapping")),
    }
    let generate = match c.get("generate").or_else(|| m.get("generate")) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(perr(&at("generate"), "expected true or false")),
    };
    // vigil's extension types check their own condition and parameters.
    let extension = if kind.is_vigil_extension() {
        Some(crate::extensions::parse(kind, c, &condition)?)
    } else {
        None
    };
    Ok(Correlation {
        meta,
        kind,
        rules,
        group_by,
        timespan_secs,
        condition,
        aliases,
        generate,
        extension,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("30s"), Some(30));
        assert_eq!(parse_timespan("5m"), Some(300));
        assert_eq!(parse_timespan("1h"), Some(3600));
        assert_eq!(parse_timespan("2d"), Some(172_800));
        assert_eq!(parse_timespan("0m"), None);
        assert_eq!(parse_timespan("5x"), None);
        assert_eq!(parse_timespan(""), None);
        assert_eq!(parse_timespan("99999999999999999999d"), None);
    }
}

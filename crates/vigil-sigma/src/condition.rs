//! The detection `condition` grammar: `and`, `or`, `not`, parentheses, `1 of`/`all of`/`N of`
//! over identifier patterns or `them`.
//!
//! Precedence from loosest to tightest: `or`, `and`, `not`, `x of`, parentheses.

/// Deepest nesting of parentheses/`not` a condition may have (hostile input bound).
pub const MAX_CONDITION_DEPTH: usize = 64;
/// Longest condition text accepted.
pub const MAX_CONDITION_LEN: usize = 8192;

use serde::{Deserialize, Serialize};

/// A condition with identifiers resolved to indices into the rule's search identifiers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum CondExpr {
    Sel(usize),
    Not(Box<CondExpr>),
    And(Vec<CondExpr>),
    Or(Vec<CondExpr>),
    /// At least `n` of the listed identifiers (`1 of x*`, `3 of them`).
    AtLeast(usize, Vec<usize>),
    /// Every listed identifier (`all of x*`).
    All(Vec<usize>),
}

impl CondExpr {
    /// Evaluates with a callback giving each identifier's truth.
    pub fn eval(&self, sel: &mut dyn FnMut(usize) -> bool) -> bool {
        match self {
            CondExpr::Sel(i) => sel(*i),
            CondExpr::Not(e) => !e.eval(sel),
            CondExpr::And(v) => v.iter().all(|e| e.eval(sel)),
            CondExpr::Or(v) => v.iter().any(|e| e.eval(sel)),
            CondExpr::AtLeast(n, ids) => {
                let mut hits = 0;
                for i in ids {
                    if sel(*i) {
                        hits += 1;
                        if hits >= *n {
                            return true;
                        }
                    }
                }
                false
            }
            CondExpr::All(ids) => ids.iter().all(|i| sel(*i)),
        }
    }

    /// The identifiers this condition may consult.
    pub fn identifiers(&self, out: &mut Vec<usize>) {
        match self {
            CondExpr::Sel(i) => out.push(*i),
            CondExpr::Not(e) => e.identifiers(out),
            CondExpr::And(v) | CondExpr::Or(v) => v.iter().for_each(|e| e.identifiers(out)),
            CondExpr::AtLeast(_, ids) | CondExpr::All(ids) => out.extend(ids),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    LParen,
    RParen,
    Word(String),
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    if s.len() > MAX_CONDITION_LEN {
        return Err(format!(
            "condition longer than {MAX_CONDITION_LEN} characters"
        ));
    }
    let mut toks = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, toks: &mut Vec<Tok>| {
        if !cur.is_empty() {
            toks.push(Tok::Word(std::mem::take(cur)));
        }
    };
    for c in s.chars() {
        match c {
            '(' => {
                flush(&mut cur, &mut toks);
                toks.push(Tok::LParen);
            }
            ')' => {
                flush(&mut cur, &mut toks);
                toks.push(Tok::RParen);
            }
            '|' => {
                return Err(
                    "legacy aggregation expressions ('| count() ...', 'near') are not \
                            part of Sigma v2; use a correlation rule"
                        .to_string(),
                );
            }
            c if c.is_whitespace() => flush(&mut cur, &mut toks),
            c => cur.push(c),
        }
    }
    flush(&mut cur, &mut toks);
    Ok(toks)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    names: &'a [String],
}

fn is_kw(t: Option<&Tok>, kw: &str) -> bool {
    matches!(t, Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn expr(&mut self, depth: usize) -> Result<CondExpr, String> {
        if depth > MAX_CONDITION_DEPTH {
            return Err(format!(
                "condition nested deeper than {MAX_CONDITION_DEPTH}"
            ));
        }
        let mut parts = vec![self.and_expr(depth)?];
        while is_kw(self.peek(), "or") {
            self.pos += 1;
            parts.push(self.and_expr(depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            CondExpr::Or(parts)
        })
    }

    fn and_expr(&mut self, depth: usize) -> Result<CondExpr, String> {
        let mut parts = vec![self.not_expr(depth)?];
        while is_kw(self.peek(), "and") {
            self.pos += 1;
            parts.push(self.not_expr(depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            CondExpr::And(parts)
        })
    }

    fn not_expr(&mut self, depth: usize) -> Result<CondExpr, String> {
        if is_kw(self.peek(), "not") {
            self.pos += 1;
            if depth + 1 > MAX_CONDITION_DEPTH {
                return Err(format!(
                    "condition nested deeper than {MAX_CONDITION_DEPTH}"
                ));
            }
            return Ok(CondExpr::Not(Box::new(self.not_expr(depth + 1)?)));
        }
        self.atom(depth)
    }

    fn atom(&mut self, depth: usize) -> Result<CondExpr, String> {
        match self.peek().cloned() {
            None => Err("condition ends where an identifier was expected".into()),
            Some(Tok::RParen) => Err("unexpected ')' in condition".into()),
            Some(Tok::LParen) => {
                self.pos += 1;
                let e = self.expr(depth + 1)?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err("missing ')' in condition".into());
                }
                self.pos += 1;
                Ok(e)
            }
            Some(Tok::Word(w)) => {
                let lw = w.to_ascii_lowercase();
                if matches!(lw.as_str(), "and" | "or" | "of" | "them") {
                    return Err(format!("unexpected '{w}' in condition"));
                }
                self.pos += 1;
                if is_kw(self.peek(), "of") {
                    self.pos += 1;
                    let quant = if lw == "all" {
                        None
                    } else {
                        let n: usize = w
                            .parse()
                            .map_err(|_| format!("'{w} of': expected a number or 'all'"))?;
                        if n == 0 {
                            return Err("'0 of' is not a valid quantifier".into());
                        }
                        Some(n)
                    };
                    let target = match self.peek().cloned() {
                        Some(Tok::Word(t)) => t,
                        _ => {
                            return Err(format!(
                                "'{w} of' must be followed by a pattern or 'them'"
                            ));
                        }
                    };
                    self.pos += 1;
                    let ids = self.resolve_pattern(&target)?;
                    return Ok(match quant {
                        None => CondExpr::All(ids),
                        Some(n) => CondExpr::AtLeast(n, ids),
                    });
                }
                let idx = self.names.iter().position(|n| *n == w).ok_or_else(|| {
                    format!("condition refers to unknown search identifier '{w}'")
                })?;
                Ok(CondExpr::Sel(idx))
            }
        }
    }

    fn resolve_pattern(&self, pat: &str) -> Result<Vec<usize>, String> {
        let ids: Vec<usize> = if pat.eq_ignore_ascii_case("them") {
            (0..self.names.len())
                .filter(|&i| self.names.get(i).is_some_and(|n| !n.starts_with('_')))
                .collect()
        } else {
            (0..self.names.len())
                .filter(|&i| self.names.get(i).is_some_and(|n| star_match(pat, n)))
                .collect()
        };
        if ids.is_empty() {
            return Err(format!("'{pat}' matches no search identifier"));
        }
        Ok(ids)
    }
}

/// Matches `name` against a pattern where `*` stands for any run of characters.
pub fn star_match(pat: &str, name: &str) -> bool {
    let parts: Vec<&str> = pat.split('*').collect();
    if parts.len() == 1 {
        return pat == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.len() >= part.len() && rest.ends_with(part);
        } else if let Some(p) = rest.find(part) {
            rest = rest.get(p + part.len()..).unwrap_or("");
        } else {
            return false;
        }
    }
    true
}

/// Parses one condition string against the rule's search identifiers.
pub fn parse_condition(text: &str, names: &[String]) -> Result<CondExpr, String> {
    let toks = tokenize(text)?;
    if toks.is_empty() {
        return Err("empty condition".into());
    }
    let mut p = Parser {
        toks,
        pos: 0,
        names,
    };
    let e = p.expr(0)?;
    if let Some(t) = p.peek() {
        return Err(format!("unexpected {t:?} after the end of the condition"));
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn eval(cond: &str, ids: &[&str], truth: &[bool]) -> bool {
        let n = names(ids);
        let e = parse_condition(cond, &n).unwrap();
        e.eval(&mut |i| truth[i])
    }

    #[test]
    fn precedence_or_and_not() {
        let ids = ["a", "b", "c"];
        // a or (b and c)
        assert!(eval("a or b and c", &ids, &[true, false, false]));
        assert!(!eval("a and b or c", &ids, &[true, false, false]));
        assert!(eval("not a and b", &ids, &[false, true, false]));
        assert!(!eval("not (a or b)", &ids, &[false, true, false]));
        assert!(eval("a and not b and not c", &ids, &[true, false, false]));
        assert!(eval("NOT a AND b", &ids, &[false, true, false]));
    }

    #[test]
    fn quantifiers() {
        let ids = ["selection_1", "selection_2", "filter", "_hidden"];
        assert!(eval("1 of selection_*", &ids, &[false, true, false, false]));
        assert!(!eval(
            "all of selection_*",
            &ids,
            &[false, true, false, false]
        ));
        assert!(eval(
            "all of selection_* and not filter",
            &ids,
            &[true, true, false, false]
        ));
        assert!(eval("all of them", &ids, &[true, true, true, false]));
        assert!(!eval("1 of them", &ids, &[false, false, false, true]));
        assert!(eval("2 of them", &ids, &[true, false, true, false]));
        assert!(!eval("3 of them", &ids, &[true, false, true, true]));
        assert!(eval("1 of sel*_2", &ids, &[false, true, false, false]));
        assert!(eval("1 of *", &ids, &[false, false, false, true]));
    }

    #[test]
    fn errors_are_clear() {
        let n = names(&["a"]);
        assert!(
            parse_condition("a and b", &n)
                .unwrap_err()
                .contains("unknown search identifier 'b'")
        );
        assert!(
            parse_condition("(a", &n)
                .unwrap_err()
                .contains("missing ')'")
        );
        assert!(
            parse_condition("a |count() > 5", &n)
                .unwrap_err()
                .contains("correlation")
        );
        assert!(
            parse_condition("1 of x*", &n)
                .unwrap_err()
                .contains("matches no")
        );
        assert!(parse_condition("a a", &n).is_err());
        assert!(parse_condition("", &n).is_err());
        let deep = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        assert!(parse_condition(&deep, &n).unwrap_err().contains("deeper"));
        let nots = format!("{}a", "not ".repeat(100));
        assert!(parse_condition(&nots, &n).unwrap_err().contains("deeper"));
    }

    #[test]
    fn star_patterns() {
        assert!(star_match("sel*", "selection"));
        assert!(star_match("*tion", "selection"));
        assert!(star_match("s*c*n", "selection"));
        assert!(!star_match("x*", "selection"));
        assert!(star_match("selection", "selection"));
        assert!(!star_match("a*a", "a"));
    }
}

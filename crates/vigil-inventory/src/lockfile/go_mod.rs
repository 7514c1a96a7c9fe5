//! `go.mod`. Since Go 1.17 a module's `go.mod` lists every module the build needs (direct and
//! indirect), at the versions minimal version selection picked, so it is the lock. `replace`
//! directives are honoured: a replaced module is reported under its replacement's path and version
//! (`replace a => b v1.2.3`, with or without a version on the left), and a module replaced by a local
//! directory is reported as not assessed. `exclude` and `retract` do not change what is built and are
//! ignored. The `go` directive is a language version, not the toolchain that built the binary, so no
//! standard-library package is derived from it. Malformed `require`/`replace` lines and a module
//! required twice are warnings (both requirements are assessed: which one the build used is not
//! told by a file `go` would have rewritten).

use crate::Sink;
use crate::error::InventoryError;

struct Require {
    line: usize,
    path: String,
    version: String,
}

struct Replace {
    old: String,
    old_version: Option<String>,
    new: String,
    new_version: Option<String>,
    line: usize,
}

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let mut requires = Vec::new();
    let mut replaces = Vec::new();
    let mut block: Option<String> = None;
    let mut saw_module = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.split("//").next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let (verb, args) = if let Some(b) = &block {
            if line == ")" {
                block = None;
                continue;
            }
            (b.clone(), line.to_string())
        } else {
            let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let rest = rest.trim();
            if rest == "(" {
                block = Some(verb.to_string());
                continue;
            }
            (verb.to_string(), rest.to_string())
        };
        let words = tokens(&args);
        match verb.as_str() {
            "module" => saw_module = true,
            "require" => match words.as_slice() {
                [path, version] => requires.push(Require {
                    line: n,
                    path: path.clone(),
                    version: version.clone(),
                }),
                _ => sink.warn(Some(n), format!("malformed require `{args}`")),
            },
            "replace" => {
                let Some(arrow) = words.iter().position(|w| w == "=>") else {
                    sink.warn(Some(n), format!("malformed replace `{args}`"));
                    continue;
                };
                let (left, right) = words.split_at(arrow);
                let right = right.get(1..).unwrap_or_default();
                match (left, right) {
                    ([old, ov @ ..], [new, nv @ ..]) if ov.len() <= 1 && nv.len() <= 1 => replaces
                        .push(Replace {
                            old: old.clone(),
                            old_version: ov.first().cloned(),
                            new: new.clone(),
                            new_version: nv.first().cloned(),
                            line: n,
                        }),
                    _ => sink.warn(Some(n), format!("malformed replace `{args}`")),
                }
            }
            "go" | "toolchain" | "exclude" | "retract" | "godebug" | "tool" | "ignore" => {}
            other => {
                return Err(InventoryError::parse(
                    sink.file(),
                    Some(crate::lines::u32_line(n)),
                    format!("unknown go.mod directive `{other}`"),
                ));
            }
        }
    }
    if !saw_module && requires.is_empty() {
        return Err(InventoryError::parse(
            sink.file(),
            None,
            "no module directive: not a go.mod",
        ));
    }
    for (i, r) in requires.iter().enumerate() {
        if let Some(first) = requires
            .get(..i)
            .and_then(|before| before.iter().find(|f| f.path == r.path))
        {
            sink.warn(
                Some(r.line),
                format!(
                    "`{}` is required twice ({} at line {}, {} here); both are assessed",
                    r.path, first.version, first.line, r.version
                ),
            );
        }
    }
    for r in requires {
        // A versioned replace wins over an unversioned one for the same path.
        let rep = replaces
            .iter()
            .filter(|p| p.old == r.path && p.old_version.as_deref().is_none_or(|v| v == r.version))
            .max_by_key(|p| p.old_version.is_some());
        match rep {
            Some(p) => match &p.new_version {
                Some(v) => {
                    sink.package("Go", &p.new, v, Some(r.line));
                }
                None => sink.not_assessed(
                    Some(p.line),
                    format!(
                        "`{}` is replaced by the local directory `{}`",
                        r.path, p.new
                    ),
                ),
            },
            None => {
                sink.package("Go", &r.path, &r.version, Some(r.line));
            }
        }
    }
    Ok(())
}

/// Words of a directive, unquoting `"…"` and `` `…` `` strings.
fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' || c == '`' {
            chars.next();
            let mut w = String::new();
            while let Some(ch) = chars.next() {
                if ch == c {
                    break;
                }
                if ch == '\\' && c == '"' {
                    if let Some(n) = chars.next() {
                        w.push(n);
                    }
                    continue;
                }
                w.push(ch);
            }
            out.push(w);
        } else {
            let mut w = String::new();
            while let Some(&ch) = chars.peek() {
                if ch.is_whitespace() {
                    break;
                }
                w.push(ch);
                chars.next();
            }
            out.push(w);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Inventory;

    #[test]
    fn requires_and_replaces() {
        let t = "module example.com/app\n\ngo 1.21\n\ntoolchain go1.21.4\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.9.1\n\tgolang.org/x/net v0.17.0 // indirect\n\tgithub.com/old/lib v1.0.0\n\tgithub.com/local/thing v0.1.0\n)\n\nrequire \"gopkg.in/yaml.v3\" v3.0.1\n\nreplace github.com/old/lib => github.com/new/lib v1.2.0\n\nreplace (\n\tgithub.com/local/thing v0.1.0 => ../thing\n\tgolang.org/x/net v0.1.0 => golang.org/x/net v0.2.0\n)\n\nexclude golang.org/x/net v0.16.0\n";
        let mut inv = Inventory::default();
        parse(t, &mut Sink::new("go.mod", &mut inv)).unwrap();
        let got: Vec<(&str, &str, Option<u32>)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.location.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("github.com/gin-gonic/gin", "v1.9.1", Some(8)),
                ("golang.org/x/net", "v0.17.0", Some(9)),
                ("github.com/new/lib", "v1.2.0", Some(10)),
                ("gopkg.in/yaml.v3", "v3.0.1", Some(14)),
            ]
        );
        assert_eq!(
            inv.packages[1].purl.as_deref(),
            Some("pkg:golang/golang.org/x/net@v0.17.0")
        );
        assert_eq!(inv.not_assessed.len(), 1);
        assert_eq!(inv.not_assessed[0].location, "go.mod:19");
    }

    #[test]
    fn unknown_directive() {
        let mut inv = Inventory::default();
        let e = parse(
            "module a\nfrobnicate x\n",
            &mut Sink::new("go.mod", &mut inv),
        )
        .unwrap_err();
        assert_eq!(e.location(), "go.mod:2");
    }
}

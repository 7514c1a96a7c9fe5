//! Composer's `composer.lock`: `packages` and `packages-dev` arrays of `{name, version, …}`. Versions are
//! released tags, often with a `v` prefix (`v5.4.3`), which is dropped as Composer itself normalises it
//! away; branch checkouts (`dev-main`, `1.x-dev`) have no released version and are reported as not
//! assessed. A group that is not an array, an entry that is not an object, and a package listed twice
//! are warnings.

use crate::Sink;
use crate::error::InventoryError;
use crate::json_lines::{Seg, scan};
use crate::lockfile::{Unique, array_at, json, top_key_line};
use serde_json::Value;

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let doc = json(text, sink)?;
    if doc.get("packages").is_none() {
        return Err(InventoryError::parse(
            sink.file(),
            None,
            "no `packages`: not a composer.lock",
        ));
    }
    let lines = scan(text, |p| {
        p.len() == 3 && matches!(p.get(2), Some(Seg::Key(k)) if k == "name")
    });
    let mut unique = Unique::default();
    for group in ["packages", "packages-dev"] {
        let Some(pkgs) = array_at(&doc, group, sink, top_key_line(text, group)) else {
            continue;
        };
        for (i, p) in pkgs.iter().enumerate() {
            let line = lines
                .line(&[
                    Seg::Key(group.into()),
                    Seg::Index(i),
                    Seg::Key("name".into()),
                ])
                .map(|l| l as usize);
            let (Some(name), Some(version)) = (
                p.get("name").and_then(Value::as_str),
                p.get("version").and_then(Value::as_str),
            ) else {
                sink.warn(
                    line,
                    format!("entry {} of `{group}` has no name or version", i + 1),
                );
                continue;
            };
            if !unique.first(name.to_lowercase(), &format!("`{name}`"), line, sink) {
                continue;
            }
            if version.starts_with("dev-") || version.ends_with("-dev") {
                sink.not_assessed(line, format!("`{name}` is a branch checkout (`{version}`)"));
                continue;
            }
            let v = match version.strip_prefix(['v', 'V']) {
                Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
                _ => version,
            };
            sink.package("Packagist", name, v, line);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Inventory;

    #[test]
    fn composer() {
        let t = r#"{
    "_readme": ["This file locks the dependencies of your project to a known state"],
    "content-hash": "abc",
    "packages": [
        {
            "name": "guzzlehttp/guzzle",
            "version": "7.3.0",
            "source": {"type": "git", "url": "https://github.com/guzzle/guzzle.git", "reference": "7008573"}
        },
        {
            "name": "symfony/http-kernel",
            "version": "v5.4.3"
        },
        {
            "name": "acme/wip",
            "version": "dev-main"
        }
    ],
    "packages-dev": [
        {"name": "phpunit/phpunit", "version": "9.5.10"}
    ]
}"#;
        let mut inv = Inventory::default();
        parse(t, &mut Sink::new("composer.lock", &mut inv)).unwrap();
        let got: Vec<(&str, &str, Option<u32>)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.location.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("guzzlehttp/guzzle", "7.3.0", Some(6)),
                ("symfony/http-kernel", "5.4.3", Some(11)),
                ("phpunit/phpunit", "9.5.10", Some(20)),
            ]
        );
        assert_eq!(
            inv.packages[1].purl.as_deref(),
            Some("pkg:composer/symfony/http-kernel@5.4.3")
        );
        assert_eq!(inv.not_assessed[0].location, "composer.lock:15");
    }
}

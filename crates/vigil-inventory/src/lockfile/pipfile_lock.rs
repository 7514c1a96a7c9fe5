//! `Pipfile.lock` (pipenv): `default` and `develop` map names to `{"version": "==1.2.3", …}`. Entries
//! without a version (git, path and editable installs) are reported as not assessed; a group or entry
//! of the wrong type is a warning.

use crate::Sink;
use crate::error::InventoryError;
use crate::json_lines::{Seg, scan};
use crate::lockfile::{json, object_at, str_field, top_key_line, type_name};

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let doc = json(text, sink)?;
    let lines = scan(text, |p| {
        p.len() == 2 && matches!(p.first(), Some(Seg::Key(k)) if k == "default" || k == "develop")
    });
    if doc.get("_meta").is_none() && doc.get("default").is_none() {
        return Err(InventoryError::parse(
            sink.file(),
            None,
            "no `_meta` or `default`: not a Pipfile.lock",
        ));
    }
    for group in ["default", "develop"] {
        let Some(deps) = object_at(&doc, group, sink, top_key_line(text, group)) else {
            continue;
        };
        for (name, entry) in deps {
            let line = lines
                .line(&[Seg::Key(group.into()), Seg::Key(name.clone())])
                .map(|l| l as usize);
            if !entry.is_object() {
                sink.warn(
                    line,
                    format!("`{name}` is {}, not an object: not read", type_name(entry)),
                );
                continue;
            }
            match str_field(entry, "version") {
                Ok(Some(v)) if v.starts_with("==") => {
                    sink.package("PyPI", name, v.trim_start_matches('=').trim(), line);
                }
                Ok(_) => sink.not_assessed(
                    line,
                    format!("`{name}` has no `==` version (git, path or editable)"),
                ),
                Err(ty) => sink.warn(
                    line,
                    format!("the version of `{name}` is {ty}, not a string: not read"),
                ),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Inventory;

    #[test]
    fn pipfile() {
        let t = r#"{
    "_meta": {
        "hash": {"sha256": "abc"},
        "pipfile-spec": 6,
        "requires": {"python_version": "3.9"},
        "sources": [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": true}]
    },
    "default": {
        "django": {
            "hashes": ["sha256:a", "sha256:b"],
            "index": "pypi",
            "version": "==3.2.4"
        },
        "mylib": {
            "editable": true,
            "path": "."
        }
    },
    "develop": {
        "pytest": {"version": "==6.2.4"}
    }
}"#;
        let mut inv = Inventory::default();
        parse(t, &mut Sink::new("Pipfile.lock", &mut inv)).unwrap();
        let got: Vec<(&str, &str, Option<u32>)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.location.line))
            .collect();
        assert_eq!(
            got,
            vec![("django", "3.2.4", Some(9)), ("pytest", "6.2.4", Some(20))]
        );
        assert_eq!(inv.not_assessed[0].location, "Pipfile.lock:14");
    }
}

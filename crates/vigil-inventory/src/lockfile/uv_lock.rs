//! `uv.lock`: one `[[package]]` table per locked distribution. Packages whose `source` is `editable`,
//! `virtual` or `directory` are the project and its local members, not released distributions, and are
//! skipped (a workspace member is scanned as source, not matched as a PyPI release).

use crate::error::InventoryError;
use crate::lines::toml_array_headers;
use crate::lockfile::Unique;
use crate::{Sink, lockfile::toml_table};

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let table = toml_table(text, sink)?;
    let headers = toml_array_headers(text, "package");
    let pkgs = match table.get("package") {
        None => return Ok(()),
        Some(p) => p.as_array().ok_or_else(|| {
            InventoryError::parse(sink.file(), None, "`package` is not an array of tables")
        })?,
    };
    let mut unique = Unique::default();
    for (i, p) in pkgs.iter().enumerate() {
        let line = headers.get(i).map(|l| *l as usize);
        let Some(name) = p.get("name").and_then(|v| v.as_str()) else {
            sink.warn(line, "package without a name");
            continue;
        };
        let source = p.get("source").and_then(|s| s.as_table());
        if source.is_some_and(|s| {
            s.contains_key("editable") || s.contains_key("virtual") || s.contains_key("directory")
        }) {
            continue;
        }
        match p.get("version").and_then(|v| v.as_str()) {
            Some(v) => {
                let key = format!("{}\0{v}\0{:?}", name.to_lowercase(), source);
                if unique.first(key, &format!("`{name} {v}`"), line, sink) {
                    sink.package("PyPI", name, v, line);
                }
            }
            None => sink.not_assessed(line, format!("`{name}` has no locked version")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Inventory;

    #[test]
    fn uv() {
        let t = "version = 1\nrequires-python = \">=3.12\"\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\ndependencies = [\n    { name = \"idna\" },\n]\n\n[[package]]\nname = \"idna\"\nversion = \"3.6\"\nsource = { registry = \"https://pypi.org/simple\" }\nsdist = { url = \"https://files.pythonhosted.org/idna-3.6.tar.gz\", hash = \"sha256:9ecd\", size = 175426 }\n\n[[package]]\nname = \"gitdep\"\nsource = { git = \"https://github.com/x/gitdep?rev=main#abc\" }\n";
        let mut inv = Inventory::default();
        parse(t, &mut Sink::new("uv.lock", &mut inv)).unwrap();
        assert_eq!(inv.packages.len(), 1);
        assert_eq!(inv.packages[0].name, "idna");
        assert_eq!(inv.packages[0].location.line, Some(12));
        assert_eq!(inv.not_assessed.len(), 1);
        assert_eq!(inv.not_assessed[0].location, "uv.lock:18");
    }
}

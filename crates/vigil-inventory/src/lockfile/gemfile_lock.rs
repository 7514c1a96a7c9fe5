//! Bundler's `Gemfile.lock` / `gems.locked`. Locked gems are the four-space-indented `name (version)`
//! lines under `specs:` in the `GEM` (rubygems.org and other gem servers) and `GIT` sections; a platform
//! suffix (`nokogiri (1.13.3-x86_64-linux)`) is not part of the version. Gems in `PATH` sections are
//! local code and are reported as not assessed. A spec listed twice in one section is a warning.

use crate::Sink;
use crate::error::InventoryError;
use crate::lockfile::Unique;

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let mut section = String::new();
    let mut saw_section = false;
    let mut unique = Unique::default();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            section = line.trim().to_string();
            saw_section = true;
            continue;
        }
        if !line.starts_with("    ") || line.starts_with("     ") {
            continue; // section options (2 spaces) and dependencies of a spec (6 spaces).
        }
        let spec = line.trim();
        let Some((name, rest)) = spec.split_once(" (") else {
            continue;
        };
        let Some(ver) = rest.strip_suffix(')') else {
            sink.warn(Some(n), format!("malformed spec `{spec}`"));
            continue;
        };
        if !unique.first(
            format!("{section}\0{spec}"),
            &format!("`{spec}`"),
            Some(n),
            sink,
        ) {
            continue;
        }
        match section.as_str() {
            "GEM" | "GIT" => {
                let version = ver.split_once('-').map_or(ver, |(v, _platform)| v);
                sink.package("RubyGems", name, version, Some(n));
            }
            "PATH" => sink.not_assessed(Some(n), format!("`{name}` is a local path gem")),
            _ => {}
        }
    }
    if !saw_section {
        return Err(InventoryError::parse(
            sink.file(),
            None,
            "no sections: not a Gemfile.lock",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Inventory;

    #[test]
    fn gemfile() {
        let t = "PATH\n  remote: .\n  specs:\n    myapp (0.1.0)\n      rails (>= 6)\n\nGIT\n  remote: https://github.com/rails/rails.git\n  revision: abc\n  specs:\n    actionpack (7.0.0.alpha)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.13.3-x86_64-linux)\n      racc (~> 1.4)\n    racc (1.6.0)\n    rack (2.2.3)\n\nPLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  nokogiri\n  rack (= 2.2.3)\n\nBUNDLED WITH\n   2.3.7\n";
        let mut inv = Inventory::default();
        parse(t, &mut Sink::new("Gemfile.lock", &mut inv)).unwrap();
        let got: Vec<(&str, &str, Option<u32>)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.location.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("actionpack", "7.0.0.alpha", Some(11)),
                ("nokogiri", "1.13.3", Some(16)),
                ("racc", "1.6.0", Some(18)),
                ("rack", "2.2.3", Some(19)),
            ]
        );
        assert_eq!(inv.not_assessed[0].location, "Gemfile.lock:4");
    }
}

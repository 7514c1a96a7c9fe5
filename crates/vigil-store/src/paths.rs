//! Where the database (and vigil's other per-user files) live when the user does not say.

use std::ffi::OsString;
use std::path::PathBuf;

/// `$XDG_DATA_HOME/vigil/vigil.db`, else `~/.local/share/vigil/vigil.db` (on Windows
/// `%LOCALAPPDATA%\vigil\vigil.db`). `None` when none of these variables is usable.
pub fn default_db_path() -> Option<PathBuf> {
    db_path_from(
        std::env::var_os("XDG_DATA_HOME"),
        std::env::var_os("HOME"),
        std::env::var_os("LOCALAPPDATA"),
    )
}

/// The rule of [`default_db_path`] over given variable values. Relative values are ignored, as the XDG
/// base directory specification requires.
pub fn db_path_from(
    xdg_data_home: Option<OsString>,
    home: Option<OsString>,
    local_app_data: Option<OsString>,
) -> Option<PathBuf> {
    vigil_dir_from(xdg_data_home, home, ".local/share", local_app_data).map(|d| d.join("vigil.db"))
}

/// vigil's folder in one of the user's base directories: `$XDG_…/vigil` (the variable's value
/// given as `xdg`), else `~/<home_default>/vigil`, else `%LOCALAPPDATA%\vigil`. Relative values are
/// ignored, as the XDG base directory specification requires.
pub fn vigil_dir_from(
    xdg: Option<OsString>,
    home: Option<OsString>,
    home_default: &str,
    local_app_data: Option<OsString>,
) -> Option<PathBuf> {
    let absolute = |v: Option<OsString>| v.map(PathBuf::from).filter(|p| p.is_absolute());
    let base = absolute(xdg)
        .or_else(|| absolute(home).map(|h| h.join(home_default)))
        .or_else(|| absolute(local_app_data))?;
    Some(base.join("vigil"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdg_wins_then_home() {
        let p = |x: Option<&str>, h: Option<&str>| {
            db_path_from(x.map(Into::into), h.map(Into::into), None)
        };
        assert_eq!(
            p(Some("/data"), Some("/home/a")),
            Some(PathBuf::from("/data/vigil/vigil.db"))
        );
        assert_eq!(
            p(None, Some("/home/a")),
            Some(PathBuf::from("/home/a/.local/share/vigil/vigil.db"))
        );
        assert_eq!(
            p(Some("relative"), Some("/home/a")),
            Some(PathBuf::from("/home/a/.local/share/vigil/vigil.db"))
        );
        assert_eq!(p(Some(""), None), None);
        assert_eq!(p(None, None), None);
        // The same rule for the cache folder (`vigil hunt`'s rule cache).
        assert_eq!(
            vigil_dir_from(None, Some("/home/a".into()), ".cache", None),
            Some(PathBuf::from("/home/a/.cache/vigil"))
        );
    }
}

//! What was given of an asset, sorted the way `vigil audit` sorts a server's folder: knowledge
//! folders, documentation and the scenario record are not logs; files the inventory readers
//! recognise are inventory; a root filesystem contributes its `var/log`; everything else is a log
//! and is read through the log readers into a [`Profile`].

use crate::profile::Profile;
use std::path::PathBuf;
use vigil_logs::ReadOptions;

/// Inputs after sorting.
#[derive(Debug, Default)]
pub struct Inputs {
    pub logs: Vec<PathBuf>,
    pub inventory: Vec<PathBuf>,
    /// Paths not read: documentation, knowledge, the incident record.
    pub ignored: Vec<PathBuf>,
}

/// Sorts the given paths as `vigil audit` does ([`vigil_inventory::folder`]). A path that cannot be
/// looked at (missing, unreadable) is left among the logs, whose reader then records why it was not
/// read.
pub fn sort_inputs(paths: &[PathBuf]) -> Inputs {
    let parts = vigil_inventory::folder::sort_folder(paths, &Default::default());
    let mut ignored = parts.knowledge;
    ignored.extend(parts.incident_records);
    ignored.extend(parts.set_aside);
    Inputs {
        logs: parts.logs,
        inventory: parts.inventory,
        ignored,
    }
}

/// Reads every log of `inputs` into a profile. Files that cannot be read are recorded in it with
/// the reason; reading goes on.
pub fn profile_logs(logs: &[PathBuf], opts: &ReadOptions) -> Profile {
    let mut profile = Profile::default();
    for input in logs {
        let (files, listed) = vigil_logs::log_files_with(input, opts);
        for f in &listed.files {
            profile.end_file(f);
        }
        for file in files {
            match vigil_logs::read_path(&file, opts, &mut |e| profile.observe(&e)) {
                Ok(stats) => {
                    for f in &stats.files {
                        profile.end_file(f);
                    }
                }
                Err(e) => profile.unreadable(&file.display().to_string(), e.reason()),
            }
        }
    }
    profile
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documentation_and_knowledge_are_not_logs() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        std::fs::create_dir_all(dir.join("knowledge")).unwrap();
        std::fs::write(dir.join("knowledge/kev.json"), "{}").unwrap();
        std::fs::write(dir.join("README.md"), "# x").unwrap();
        std::fs::write(dir.join("mail.log"), "x").unwrap();
        let s = sort_inputs(std::slice::from_ref(&dir));
        assert_eq!(s.logs, vec![dir.join("mail.log")]);
        assert_eq!(s.ignored.len(), 2);
    }

    #[test]
    fn a_missing_input_is_recorded_as_not_read_with_the_reason() {
        let missing = PathBuf::from("/no/such/vigil/input");
        let s = sort_inputs(std::slice::from_ref(&missing));
        let p = profile_logs(&s.logs, &ReadOptions::default());
        let not_read: Vec<(&str, &str)> = p.not_read().collect();
        assert_eq!(not_read.len(), 1);
        assert_eq!(not_read[0].0, "/no/such/vigil/input");
        assert!(!not_read[0].1.contains("/no/such"), "{}", not_read[0].1);
    }
}

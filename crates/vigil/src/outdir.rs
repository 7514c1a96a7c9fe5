//! Report directories vigil owns.
//!
//! `vigil audit --out DIR` writes several files. Writing them straight into a user-named folder went
//! wrong in three ways: a symlink planted in the folder was followed and its target overwritten; an
//! earlier report's `breach-notice-*` of another incident stayed beside the new report; and a report
//! written inside an input folder was read as logs by the next run. So a report is always written into
//! a fresh folder vigil creates itself (files created with `create_new`, so nothing is written through
//! a link), marked by a manifest file, and then moved into place: onto a path that does not exist, or
//! in place of a folder that holds nothing but an earlier vigil report, which is replaced as a whole.
//! Any other non-empty folder is refused unless `--force` is given, and even then only vigil's own file
//! names are replaced, never through a symlink.

use anyhow::{Context as _, Result, bail};
use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The file that marks a folder as a vigil report (also what input walks skip).
pub const MARKER: &str = vigil_model::REPORT_MARKER;

/// A report being written; nothing is visible at the destination until [`ReportDir::commit`].
pub struct ReportDir {
    dest: PathBuf,
    staging: PathBuf,
    /// `--force` into a folder that is not a vigil report: files are put straight into `dest`.
    in_place: bool,
    written: Vec<String>,
}

/// What the destination holds now.
enum Destination {
    Absent,
    Empty,
    EarlierReport,
    Other(String),
}

fn inspect(dest: &Path) -> Result<Destination> {
    let meta = match fs::symlink_metadata(dest) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Destination::Absent),
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", dest.display())),
    };
    if meta.file_type().is_symlink() {
        return Ok(Destination::Other("it is a symbolic link".into()));
    }
    if !meta.is_dir() {
        return Ok(Destination::Other("it is not a folder".into()));
    }
    let mut entries =
        fs::read_dir(dest).with_context(|| format!("cannot list {}", dest.display()))?;
    if entries.next().is_none() {
        return Ok(Destination::Empty);
    }
    let marker = dest.join(MARKER);
    match fs::symlink_metadata(&marker) {
        Ok(m) if m.is_file() => Ok(Destination::EarlierReport),
        _ => Ok(Destination::Other(
            "it holds files that are not a vigil report".into(),
        )),
    }
}

impl ReportDir {
    /// Prepares to write a report to `dest`. Refuses a destination vigil does not own unless `force`.
    pub fn create(dest: &Path, force: bool) -> Result<ReportDir> {
        let in_place = match inspect(dest)? {
            Destination::Absent | Destination::Empty | Destination::EarlierReport => false,
            Destination::Other(why) if force => {
                if fs::symlink_metadata(dest).is_ok_and(|m| !m.is_dir()) {
                    bail!(
                        "cannot write the report to {}: {why}",
                        crate::term::path(dest)
                    );
                }
                true
            }
            Destination::Other(why) => bail!(
                "refusing to write the report into {}: {why}. Choose a new folder, or give --force to \
                 add vigil's files to it",
                crate::term::path(dest)
            ),
        };
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create {}", crate::term::path(&parent)))?;
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "report".into());
        // A fresh folder beside the destination (same file system, so the final move is a rename).
        let mut staging = None;
        for attempt in 0..100u32 {
            let candidate = parent.join(format!(".{name}.vigil-{}-{attempt}", std::process::id()));
            match fs::create_dir(&candidate) {
                Ok(()) => {
                    staging = Some(candidate);
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("cannot create a folder in {}", crate::term::path(&parent))
                    });
                }
            }
        }
        let Some(staging) = staging else {
            bail!(
                "cannot create a staging folder in {}",
                crate::term::path(&parent)
            );
        };
        Ok(ReportDir {
            dest: dest.to_path_buf(),
            staging,
            in_place,
            written: Vec::new(),
        })
    }

    /// Writes one file of the report. `name` is a plain file name chosen by vigil.
    pub fn put(&mut self, name: &str, body: &[u8]) -> Result<()> {
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            bail!("invalid report file name {name:?}");
        }
        let path = self.staging.join(name);
        let mut f: File = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("cannot write {}", crate::term::path(&path)))?;
        f.write_all(body)
            .and_then(|()| f.sync_all())
            .with_context(|| format!("cannot write {}", crate::term::path(&path)))?;
        self.written.push(name.to_string());
        Ok(())
    }

    /// Moves the finished report into place and returns the paths of its files.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        let mut manifest = format!(
            "vigil report\nvigil {}\nfiles:\n",
            env!("CARGO_PKG_VERSION")
        );
        for n in &self.written {
            manifest.push_str(n);
            manifest.push('\n');
        }
        let marker = self.staging.join(MARKER);
        fs::write(&marker, manifest)
            .with_context(|| format!("cannot write {}", crate::term::path(&marker)))?;
        let files: Vec<PathBuf> = self.written.iter().map(|n| self.dest.join(n)).collect();
        if self.in_place {
            for n in self
                .written
                .iter()
                .chain(std::iter::once(&MARKER.to_string()))
            {
                let target = self.dest.join(n);
                // Never through a link: whatever holds the name is removed first, then renamed onto.
                if fs::symlink_metadata(&target).is_ok_and(|m| !m.is_dir()) {
                    fs::remove_file(&target).with_context(|| {
                        format!("cannot replace {}", crate::term::path(&target))
                    })?;
                }
                fs::rename(self.staging.join(n), &target)
                    .with_context(|| format!("cannot write {}", crate::term::path(&target)))?;
            }
            let _ = fs::remove_dir(&self.staging);
            self.written.clear();
            return Ok(files);
        }
        // Re-inspect: the destination may have changed since `create`.
        let old = match inspect(&self.dest)? {
            Destination::Absent => None,
            Destination::Empty | Destination::EarlierReport => {
                let aside = self.staging.with_extension("old");
                fs::rename(&self.dest, &aside)
                    .with_context(|| format!("cannot replace {}", crate::term::path(&self.dest)))?;
                Some(aside)
            }
            Destination::Other(why) => bail!(
                "refusing to write the report into {}: {why} (it changed while the report was written)",
                crate::term::path(&self.dest)
            ),
        };
        fs::rename(&self.staging, &self.dest)
            .with_context(|| format!("cannot create {}", crate::term::path(&self.dest)))?;
        self.written.clear();
        if let Some(old) = old {
            fs::remove_dir_all(&old).with_context(|| {
                format!(
                    "cannot remove the earlier report {}",
                    crate::term::path(&old)
                )
            })?;
        }
        Ok(files)
    }
}

/// The audit's report renderer writes through this: each file goes into the staging folder.
impl vigil_report::ReportSink for ReportDir {
    fn file(&mut self, name: &str, body: &[u8]) -> std::io::Result<()> {
        // The message already names the file and the reason; kept whole, shown once.
        self.put(name, body)
            .map_err(|e| std::io::Error::other(format!("{e:#}")))
    }
}

impl Drop for ReportDir {
    /// An unfinished report leaves nothing behind.
    fn drop(&mut self) {
        if self.staging.exists() {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_pipeline::audit::is_report_dir;

    fn write(dest: &Path, force: bool, files: &[(&str, &str)]) -> Result<Vec<PathBuf>> {
        let mut r = ReportDir::create(dest, force)?;
        for (n, b) in files {
            r.put(n, b.as_bytes())?;
        }
        r.commit()
    }

    #[test]
    fn a_new_folder_is_created_and_marked() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("a/b/report");
        let files = write(&dest, false, &[("report.md", "# r")]).unwrap();
        assert_eq!(files, vec![dest.join("report.md")]);
        assert!(is_report_dir(&dest));
        // Only the report is left in the parent: no staging folder.
        let siblings: Vec<_> = fs::read_dir(dest.parent().unwrap()).unwrap().collect();
        assert_eq!(siblings.len(), 1);
    }

    #[test]
    fn an_earlier_report_is_replaced_as_a_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("out");
        write(
            &dest,
            false,
            &[
                ("report.md", "old"),
                ("breach-notice-INC-1.md", "old incident"),
            ],
        )
        .unwrap();
        write(&dest, false, &[("report.md", "new")]).unwrap();
        assert_eq!(fs::read_to_string(dest.join("report.md")).unwrap(), "new");
        assert!(
            !dest.join("breach-notice-INC-1.md").exists(),
            "a stale notice of another incident stayed"
        );
    }

    #[test]
    fn a_folder_of_other_files_is_refused_unless_forced() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("home");
        fs::create_dir(&dest).unwrap();
        fs::write(dest.join("thesis.docx"), "precious").unwrap();
        let err = write(&dest, false, &[("report.md", "r")]).unwrap_err();
        assert!(err.to_string().contains("refusing"), "{err}");
        assert!(!dest.join("report.md").exists());
        write(&dest, true, &[("report.md", "r")]).unwrap();
        assert_eq!(
            fs::read_to_string(dest.join("thesis.docx")).unwrap(),
            "precious"
        );
        assert_eq!(fs::read_to_string(dest.join("report.md")).unwrap(), "r");
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_never_written_through() {
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim.txt");
        fs::write(&victim, "keep me").unwrap();
        // A planted link inside an earlier report folder.
        let dest = tmp.path().join("out");
        write(&dest, false, &[("report.md", "old")]).unwrap();
        fs::remove_file(dest.join("report.md")).unwrap();
        std::os::unix::fs::symlink(&victim, dest.join("report.md")).unwrap();
        write(&dest, false, &[("report.md", "new")]).unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep me");
        // Forced into a foreign folder holding a link named like a report file.
        let foreign = tmp.path().join("foreign");
        fs::create_dir(&foreign).unwrap();
        std::os::unix::fs::symlink(&victim, foreign.join("report.html")).unwrap();
        write(&foreign, true, &[("report.html", "<p>")]).unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep me");
        assert!(
            !fs::symlink_metadata(foreign.join("report.html"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        // The destination itself a link to a folder: refused.
        let linked = tmp.path().join("linked");
        std::os::unix::fs::symlink(&foreign, &linked).unwrap();
        assert!(write(&linked, false, &[("report.md", "x")]).is_err());
    }

    #[test]
    fn an_unfinished_report_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("out");
        {
            let mut r = ReportDir::create(&dest, false).unwrap();
            r.put("report.md", b"half").unwrap();
        }
        assert!(!dest.exists());
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
    }
}

//! One asset's scan: its inventory read from files, folders, root filesystems or the host, matched
//! against the knowledge under the patch policy, and stored as a snapshot of the asset. `vigil scan`
//! and the service's scheduled scans both call [`scan_asset`]; rendering and exit codes stay with
//! the caller.

use crate::error::PipelineError;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use std::path::{Path, PathBuf};
use vigil_inventory::Inventory;
use vigil_model::Asset;
use vigil_scan::{
    HostUpdates, IgnoreFile, NotAssessed, NotAssessedKind, Policy, ScanInput, ScanReport,
};
use vigil_store::{AssetStore, KnowledgeStore, SavedSnapshot, Snapshot, StoreError};

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanRequest<'a> {
    /// Files or directories (lockfiles, SBOMs, package databases, Windows inventories).
    pub targets: Vec<PathBuf>,
    /// Gitignore-style patterns excluded from directory walks.
    pub excludes: Vec<String>,
    /// Mounted root filesystems whose OS package databases are read.
    pub roots: Vec<PathBuf>,
    /// Read the machine this runs on.
    pub host: bool,
    /// The asset's name; derived from the inventory or the targets when absent.
    pub asset: Option<String>,
    /// Policy tags; the stored tags are kept when empty.
    pub tags: Vec<String>,
    /// Deadlines measured as of this day instead of `now`'s day (UTC).
    pub today: Option<Date>,
    pub now: Timestamp,
    /// Knowledge older than this is reported as stale.
    pub max_age: SignedDuration,
    pub policy: &'a Policy,
    pub ignores: &'a IgnoreFile,
    /// Store a snapshot of the asset.
    pub store: bool,
}

/// What a scan found, and what of it was stored.
#[derive(Debug)]
pub struct ScanOutcome {
    pub asset: Asset,
    pub report: ScanReport,
    /// Some input could not be read at all (or a root held no package database).
    pub inputs_failed: bool,
    /// The snapshot stored, or why it was not; `None` when storing was not asked for.
    pub stored: Option<Result<SavedSnapshot, StoreError>>,
}

impl ScanOutcome {
    /// Whether anything was not read, not assessed or not stored: the scan is no all-clear.
    pub fn partial(&self) -> bool {
        self.inputs_failed
            || !self.report.not_assessed.is_empty()
            || matches!(self.stored, Some(Err(_)))
    }
}

/// Scans one asset. A failure to store the snapshot is returned in [`ScanOutcome::stored`], not as
/// an error: the report must still reach its reader.
pub fn scan_asset<S: KnowledgeStore + AssetStore>(
    store: &mut S,
    req: &ScanRequest<'_>,
) -> Result<ScanOutcome, PipelineError> {
    let (inv, inputs, inputs_failed) = collect(req)?;
    let today = req
        .today
        .unwrap_or_else(|| req.now.to_zoned(TimeZone::UTC).date());
    let name = asset_name(req, &inv);
    let tags = if req.tags.is_empty() {
        store
            .asset(&name)?
            .map(|a| a.asset.tags)
            .unwrap_or_default()
    } else {
        req.tags.clone()
    };
    let asset = Asset { name, tags };
    let input = ScanInput {
        asset: asset.clone(),
        inputs: inputs.clone(),
        packages: inv.packages.clone(),
        host: host_updates(&inv),
        notes: inv
            .not_assessed
            .iter()
            .map(|n| NotAssessed::new(NotAssessedKind::Input, &n.location, &n.reason))
            .collect(),
        today,
        max_age: req.max_age,
        now: req.now,
    };
    let report = vigil_scan::scan(&*store, &input, req.policy, req.ignores)?;

    let stored = req.store.then(|| {
        // The snapshot is dated when the inventory was collected, else on `today`, else now.
        let taken_at = inv
            .windows
            .as_ref()
            .and_then(|w| w.collected_at)
            .or_else(|| {
                req.today
                    .and_then(|d| d.to_zoned(TimeZone::UTC).ok())
                    .map(|z| z.timestamp())
            })
            .unwrap_or(req.now);
        store.save_snapshot(&Snapshot {
            asset: asset.clone(),
            taken_at,
            inputs,
            packages: inv.packages.clone(),
            findings: report.findings.iter().map(|f| f.finding.clone()).collect(),
            last_update: input
                .host
                .as_ref()
                .and_then(|h| h.last_installed().map(|(_, d)| d)),
        })
    });
    Ok(ScanOutcome {
        asset,
        report,
        inputs_failed,
        stored,
    })
}

/// Inventory of every target, the inputs as named in the snapshot, and whether some target could
/// not be read at all.
fn collect(req: &ScanRequest<'_>) -> Result<(Inventory, Vec<String>, bool), PipelineError> {
    if req.targets.is_empty() && req.roots.is_empty() && !req.host {
        return Err(PipelineError::Input(
            "nothing to scan: give files or directories, --root DIR or --host".into(),
        ));
    }
    let (inv, inputs, _) = read_inventory(&req.targets, &req.excludes, &req.roots, req.host);
    // After the roots and the host: a root without a package database is as incomplete as an
    // unreadable file.
    let failed = inv.incomplete();
    Ok((inv, inputs, failed))
}

/// The inventory of files and folders (`excludes` left out of folder walks), root filesystems and
/// the host, normalised; the inputs as a snapshot names them; whether a file or folder could not be
/// read.
pub(crate) fn read_inventory(
    targets: &[PathBuf],
    excludes: &[String],
    roots: &[PathBuf],
    host: bool,
) -> (Inventory, Vec<String>, bool) {
    let (mut inv, unreadable) = vigil_inventory::collect_inputs(targets, excludes);
    let mut inputs: Vec<String> = targets.iter().map(|t| t.display().to_string()).collect();
    for root in roots {
        inputs.push(format!("root:{}", root.display()));
        inv.merge(vigil_inventory::scan_root(root));
    }
    if host {
        inputs.push("host".to_string());
        inv.merge(vigil_inventory::scan_host());
    }
    inv.normalise();
    (inv, inputs, unreadable)
}

/// The installed Windows updates an inventory evidences.
pub(crate) fn host_updates(inv: &Inventory) -> Option<HostUpdates> {
    let w = inv.windows.as_ref()?;
    Some(HostUpdates {
        os_caption: w.os_caption.clone(),
        os_build: w.os_build.clone(),
        installed: w
            .hotfixes
            .iter()
            .map(|h| (h.id.clone(), h.installed_on))
            .collect(),
    })
}

/// The asset's name: as given, else the inventory's computer name, else the host name (for the
/// host), else the name of the first target's folder.
fn asset_name(req: &ScanRequest<'_>, inv: &Inventory) -> String {
    if let Some(a) = req
        .asset
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        return a.to_string();
    }
    if let Some(n) = inv.windows.as_ref().and_then(|w| w.computer_name.clone()) {
        return n;
    }
    if req.host
        && let Ok(h) = std::fs::read_to_string("/etc/hostname")
        && !h.trim().is_empty()
    {
        return h.trim().to_string();
    }
    let first = req.targets.first().or(req.roots.first());
    first
        .and_then(|p| std::fs::canonicalize(p).ok().or(Some(p.clone())))
        .and_then(|p| {
            let p = if p.is_file() {
                p.parent().map(Path::to_path_buf).unwrap_or(p)
            } else {
                p
            };
            p.file_name().map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "local".to_string())
}

//! Can this server be seen at all? vigil's logs of an asset are profiled from their events (which
//! sources, channels, event ids and fields occur, the time they cover), and from that profile
//! [`gaps`] states which detections are impossible and why — naming the bundled rules that go blind,
//! their ATT&CK techniques, and the fix (the [`fixes`] table) — and [`techniques`] gives ATT&CK
//! coverage for the techniques of a mail server. `vigil doctor` and `vigil coverage` are thin
//! front ends over [`assess`].

pub mod error;
pub mod fixes;
pub mod gaps;
pub mod input;
pub mod model;
pub mod profile;
pub mod techniques;

pub use error::CoverageError;
pub use gaps::{BlindRule, CheckOptions, Gap};
pub use profile::Profile;
pub use techniques::{State, TechniqueCoverage};

use serde::Serialize;
use std::path::PathBuf;
use vigil_logs::ReadOptions;
use vigil_sigma::RuleSet;

/// What was learnt of an asset.
#[derive(Debug, Serialize)]
pub struct Assessment {
    pub asset: Option<String>,
    /// Inventory files given (recognised, not read as logs).
    pub inventory: Vec<String>,
    /// Paths left out as not logs (documentation, knowledge).
    pub ignored: Vec<String>,
    pub profile: Profile,
    pub gaps: Vec<Gap>,
    pub coverage: Vec<TechniqueCoverage>,
    /// Rules (and correlations) assessed, and how many can fire on the asset.
    pub rules: usize,
    pub rules_firing: usize,
}

impl Assessment {
    /// Whether nothing could be assessed: no event was read.
    pub fn is_empty(&self) -> bool {
        self.profile.events == 0
    }

    /// Files given that could not be read, with why.
    pub fn unreadable(&self) -> Vec<(&str, &str)> {
        self.profile.not_read().collect()
    }
}

/// Reads an asset's logs and assesses them against the rules (`set` with its log sources
/// normalised, as `vigil_hunt::mapping::normalise_logsources` does). Inputs that cannot be read are
/// recorded in the profile with the reason.
pub fn assess(
    paths: &[PathBuf],
    asset: Option<String>,
    set: &RuleSet,
    read: &ReadOptions,
    opts: &CheckOptions,
) -> Result<Assessment, CoverageError> {
    let mappings = &vigil_hunt::mapping::reader_mappings()?;
    let inputs = input::sort_inputs(paths);
    let mut profile = input::profile_logs(&inputs.logs, read);
    let mut asset = asset;
    if !inputs.inventory.is_empty() {
        // What the inventory says of the server decides which logs it should have.
        let (inventory, _) = vigil_inventory::collect_inputs(&inputs.inventory, &[]);
        if let Some(w) = &inventory.windows {
            profile.facts.inventory_windows = true;
            profile.facts.inventory_exchange |= w.exchange.is_some();
            if asset.is_none() {
                asset = w.computer_name.clone();
            }
        }
    }
    let (gaps, model) = gaps::gaps(&profile, set, mappings, opts);
    let coverage = techniques::coverage(set, mappings, &model, &gaps);
    let firing = model.fireable(set, mappings).len();
    let show = |v: &[PathBuf]| v.iter().map(|p| p.display().to_string()).collect();
    Ok(Assessment {
        asset,
        inventory: show(&inputs.inventory),
        ignored: show(&inputs.ignored),
        profile,
        gaps,
        coverage,
        rules: set.rules.len() + set.correlations.len(),
        rules_firing: firing,
    })
}

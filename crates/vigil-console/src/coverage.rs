//! The ATT&CK coverage the console shows: what `vigil coverage` says of each watched server's logs
//! (`vigil_coverage::assess`, the same library), computed when the console starts and again when a
//! responder asks, on a thread of its own — profiling reads every watched log, seconds for large
//! ones, far beyond what a page may take — and kept with the time it was computed and how long it
//! took. One computation runs at a time; while one runs again, the last result stays shown.

use jiff::Timestamp;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use vigil_coverage::{Assessment, CheckOptions};
use vigil_sigma::RuleSet;

/// One server's watched logs, as the service's logging check takes them.
pub use vigil_serve::doctor::DoctorTarget as CoverageTarget;

/// One server's coverage, or why it could not be assessed.
#[derive(Debug)]
pub struct AssetCoverage {
    pub asset: String,
    /// Watched paths that did not exist (a log not written yet, a moved folder): not read.
    pub missing: Vec<String>,
    pub result: Result<Assessment, String>,
}

/// A finished computation.
#[derive(Debug)]
pub struct Computed {
    /// When it finished.
    pub at: Timestamp,
    pub took: Duration,
    pub assets: Vec<AssetCoverage>,
}

/// Where the computation stands.
#[derive(Debug, Default)]
pub enum CoverageState {
    /// The console was given no watched logs to assess.
    #[default]
    NotConfigured,
    /// Being computed since then.
    Computing(Timestamp),
    Ready(Computed),
}

/// What a computation reads: the watched logs and the rules of the service.
struct Source {
    targets: Vec<CoverageTarget>,
    rules: Arc<RuleSet>,
}

/// What asking for a new computation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recompute {
    Started,
    /// One is already running, since then.
    Running(Timestamp),
    /// The console has no watched logs to assess.
    NotConfigured,
}

/// The coverage shared between the computing thread and the pages.
#[derive(Clone, Default)]
pub struct CoverageBoard {
    state: Arc<Mutex<CoverageState>>,
    source: Arc<Mutex<Option<Source>>>,
    /// Since when a computation after the first runs (the last result stays shown meanwhile).
    again: Arc<Mutex<Option<Timestamp>>>,
}

impl std::fmt::Debug for CoverageBoard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CoverageBoard")
    }
}

/// Assesses every target against `rules`, as `vigil coverage` does.
pub fn compute(targets: &[CoverageTarget], rules: &RuleSet) -> Computed {
    let started = Instant::now();
    let assets = targets
        .iter()
        .map(|t| AssetCoverage {
            asset: t.asset.clone(),
            missing: t
                .paths
                .iter()
                .filter(|p| !p.exists())
                .map(|p| p.display().to_string())
                .collect(),
            result: vigil_coverage::assess(
                &t.paths,
                Some(t.asset.clone()),
                rules,
                &vigil_logs::ReadOptions::default(),
                &CheckOptions::default(),
            )
            .map_err(|e| e.to_string()),
        })
        .collect();
    Computed {
        at: Timestamp::now(),
        took: started.elapsed(),
        assets,
    }
}

impl CoverageBoard {
    /// A board holding `computed` (nothing to compute again from).
    pub fn ready(computed: Computed) -> CoverageBoard {
        CoverageBoard {
            state: Arc::new(Mutex::new(CoverageState::Ready(computed))),
            ..CoverageBoard::default()
        }
    }

    /// Starts computing the coverage of `targets` on a thread of its own; the board says
    /// "computing" until it is done. The thread ends when the computation does.
    pub fn spawn(
        targets: Vec<CoverageTarget>,
        rules: Arc<RuleSet>,
    ) -> std::io::Result<CoverageBoard> {
        let board = CoverageBoard {
            state: Arc::new(Mutex::new(CoverageState::Computing(Timestamp::now()))),
            source: Arc::new(Mutex::new(Some(Source { targets, rules }))),
            again: Arc::default(),
        };
        board.start()?;
        Ok(board)
    }

    /// Computes the coverage again from the same logs and rules, unless a computation runs.
    pub fn recompute(&self) -> std::io::Result<Recompute> {
        if let CoverageState::Computing(since) = &*self.lock() {
            return Ok(Recompute::Running(*since));
        }
        if self
            .source
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
        {
            return Ok(Recompute::NotConfigured);
        }
        {
            let mut again = self.again.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(since) = *again {
                return Ok(Recompute::Running(since));
            }
            *again = Some(Timestamp::now());
        }
        if let Err(e) = self.start() {
            *self.again.lock().unwrap_or_else(PoisonError::into_inner) = None;
            return Err(e);
        }
        Ok(Recompute::Started)
    }

    /// Since when a computation after the first runs, if one does.
    pub fn computing_again(&self) -> Option<Timestamp> {
        *self.again.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs a computation from the source on its own thread; its result replaces the state.
    fn start(&self) -> std::io::Result<()> {
        let shared = self.clone();
        std::thread::Builder::new()
            .name("vigil-coverage".into())
            .spawn(move || {
                // However the computation ends (even by a panic), "computing again" ends with it.
                struct Done(Arc<Mutex<Option<Timestamp>>>);
                impl Drop for Done {
                    fn drop(&mut self) {
                        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = None;
                    }
                }
                let _done = Done(Arc::clone(&shared.again));
                let (targets, rules) = {
                    let source = shared.source.lock().unwrap_or_else(PoisonError::into_inner);
                    let Some(src) = source.as_ref() else {
                        return;
                    };
                    (src.targets.clone(), Arc::clone(&src.rules))
                };
                let computed = compute(&targets, &rules);
                tracing::info!(
                    assets = computed.assets.len(),
                    ms = u64::try_from(computed.took.as_millis()).unwrap_or(u64::MAX),
                    "console: coverage computed"
                );
                *shared.lock() = CoverageState::Ready(computed);
            })?;
        Ok(())
    }

    /// The state, locked; a computing thread that panicked left the state as it was.
    pub fn lock(&self) -> MutexGuard<'_, CoverageState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

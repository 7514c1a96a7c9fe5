//! The heartbeat of `vigil serve`: its health snapshot, written every few seconds so that
//! `vigil status` (another process) can tell whether anybody is watching.

use crate::error::StoreError;
use vigil_model::HealthSnapshot;

/// Where the service's heartbeat is kept. One service per store: a new heartbeat replaces the last.
pub trait HealthStore {
    /// Replaces the stored heartbeat (service row and every source row) in one transaction.
    fn save_heartbeat(&mut self, snapshot: &HealthSnapshot) -> Result<(), StoreError>;

    /// The last heartbeat written, `None` when no service has run on this store.
    fn heartbeat(&self) -> Result<Option<HealthSnapshot>, StoreError>;
}

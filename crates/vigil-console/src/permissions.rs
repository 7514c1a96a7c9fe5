//! What each role may do, as data: one table, read by the pages, the API and the tests alike.

use vigil_store::Role;

/// Something a request may need to be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See the overview, alerts and assets.
    Read,
    /// Acknowledge and resolve alerts, fill in incident records, change the plan.
    ActOnAlerts,
    /// Read the audit trail.
    ReadTrail,
    /// Add, disable users; create, revoke tokens.
    ManageAccounts,
}

/// The least role granted each permission; a role includes the ones below it.
const LEAST_ROLE: &[(Permission, Role)] = &[
    (Permission::Read, Role::Viewer),
    (Permission::ActOnAlerts, Role::Responder),
    (Permission::ReadTrail, Role::Admin),
    (Permission::ManageAccounts, Role::Admin),
];

/// Whether `role` has `permission`. A permission missing from the table is refused.
pub fn allows(role: Role, permission: Permission) -> bool {
    LEAST_ROLE
        .iter()
        .find(|(p, _)| *p == permission)
        .is_some_and(|(_, least)| role >= *least)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_read_responders_act_admins_audit() {
        assert!(allows(Role::Viewer, Permission::Read));
        assert!(!allows(Role::Viewer, Permission::ActOnAlerts));
        assert!(allows(Role::Responder, Permission::ActOnAlerts));
        assert!(!allows(Role::Responder, Permission::ReadTrail));
        assert!(allows(Role::Admin, Permission::ReadTrail));
        assert!(allows(Role::Admin, Permission::ManageAccounts));
    }
}

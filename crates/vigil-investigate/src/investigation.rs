//! One investigation over grouped detections: each incident with its root cause, dwell time, timeline,
//! mailboxes taken and phishing sent. A pure function over what the caller gathered (`Knowledge`), so the
//! CLI, the service and the report renderers share the same `Case`.

use crate::mailbox::{MailboxExports, Phishing, mailbox_exports, phishing};
use crate::measures::DwellInput;
use crate::support::UnsupportedProduct;
use crate::timeline::{InventoryObservation, TimelineEntry, TimelineInput, incident_timeline};
use crate::{
    CveMap, DwellTime, Grouping, Incident, IncidentRecord, RootCause, RootCauseInput, dwell_time,
    root_cause,
};
use vigil_model::{Finding, KevEntry};

/// One investigated incident.
pub struct Case {
    pub incident: Incident,
    pub root_cause: RootCause,
    pub dwell: DwellTime,
    pub timeline: Vec<TimelineEntry>,
    /// Mailboxes exported or downloaded, and phishing sent, as the detections show.
    pub taken: MailboxExports,
    pub phishing: Vec<Phishing>,
}

/// What an investigation works from, beyond the detections.
pub struct Knowledge {
    pub findings: Vec<Finding>,
    pub observations: Vec<InventoryObservation>,
    pub kev: Vec<KevEntry>,
    pub cve_map: CveMap,
    /// Products the scan found out of vendor support (known to an audit, not kept in the store).
    pub unsupported: Vec<UnsupportedProduct>,
    /// The alerts raised on the incidents' detections (vigil's own, from the store), with their
    /// acknowledgements; `None` when no alert history could be consulted, so the investigation says
    /// "unknown" rather than "never alerted".
    pub alerts: Option<Vec<crate::AlertRecord>>,
    /// Self-tests that proved detection working (`vigil serve`'s canaries); `None` when no service
    /// history was consulted.
    pub selftests: Option<Vec<crate::rootcause::SelfTestRecord>>,
}

/// Root cause, dwell time and timeline of each incident.
pub fn investigate(
    grouping: &Grouping,
    k: &Knowledge,
    record: Option<&IncidentRecord>,
) -> Vec<Case> {
    grouping
        .incidents
        .iter()
        .map(|inc| {
            let rc = root_cause(
                inc,
                &RootCauseInput {
                    findings: &k.findings,
                    observations: &k.observations,
                    cve_map: &k.cve_map,
                    expected_sources: None,
                    alerts: k.alerts.as_deref(),
                    selftests: k.selftests.as_deref(),
                    unsupported: &k.unsupported,
                },
            );
            // The record's awareness time belongs to the incident it names (by asset), or to the only one.
            let applies = record.is_some_and(|r| {
                r.assets.is_empty()
                    || r.assets.iter().any(|a| inc.is_on(a))
                    || grouping.incidents.len() == 1
            });
            let rec = record.filter(|_| applies);
            let dwell = dwell_time(
                inc,
                &DwellInput {
                    first_malicious: rec.and_then(|r| r.first_malicious_event),
                    aware_at: rec.and_then(|r| r.aware_at),
                    notified_at: rec.and_then(|r| r.notified_at),
                    alerts: k.alerts.as_deref(),
                },
            );
            let timeline = incident_timeline(
                inc,
                &TimelineInput {
                    detections: &inc.detections,
                    events: &[],
                    observations: &k.observations,
                    findings: &k.findings,
                    kev: &k.kev,
                },
            );
            Case {
                incident: inc.clone(),
                root_cause: rc,
                dwell,
                timeline,
                taken: mailbox_exports(&inc.detections),
                phishing: phishing(&inc.detections),
            }
        })
        .collect()
}

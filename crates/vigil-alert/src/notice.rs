//! What is being sent: an alert at one step of its life (new, severity raised, escalated), with the
//! words every medium shares. The texts here are raw; each channel escapes them for its medium.

use jiff::{SignedDuration, Timestamp};
use vigil_store::Alert;

/// Why a notice is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeKind {
    /// The alert was just opened.
    New,
    /// A later detection raised the severity of a live alert.
    SeverityRaised,
    /// Nobody acknowledged it in time: escalation `level` (1, 2, …), to `contact` if the chain names one.
    Escalated { level: u32, contact: Option<String> },
    /// What the alert is about moved on in a way a person must hear of even after acknowledging it
    /// (a new wave of an incident): the text says what (raw, escaped by each channel).
    Progress(String),
}

/// An alert to send, at one step.
#[derive(Debug, Clone)]
pub struct Notice<'a> {
    pub alert: &'a Alert,
    pub kind: NoticeKind,
    pub at: Timestamp,
    /// How a person acknowledges it: a link to the console, or the command with a signed token.
    pub ack: Option<String>,
}

impl Notice<'_> {
    /// The escalation level the notice is sent at (0 for the first notice and updates).
    pub fn level(&self) -> u32 {
        match self.kind {
            NoticeKind::Escalated { level, .. } => level,
            _ => 0,
        }
    }

    /// `event` names used in machine-readable payloads.
    pub fn event(&self) -> &'static str {
        match self.kind {
            NoticeKind::New => "new",
            NoticeKind::SeverityRaised => "severity_raised",
            NoticeKind::Escalated { .. } => "escalated",
            NoticeKind::Progress(_) => "progress",
        }
    }

    /// How long the alert has been waiting for a person.
    pub fn waiting(&self) -> SignedDuration {
        self.at.duration_since(self.alert.created_at)
    }

    /// One line: `CRITICAL alert #17: <title> [MAIL01]`, prefixed by what happened.
    pub fn headline(&self) -> String {
        let a = self.alert;
        let what = format!(
            "{} alert #{}: {}{}",
            a.severity.as_str().to_uppercase(),
            a.id,
            a.title,
            a.asset
                .as_deref()
                .map(|x| format!(" [{x}]"))
                .unwrap_or_default()
        );
        match &self.kind {
            NoticeKind::New => what,
            NoticeKind::SeverityRaised => format!("Severity raised: {what}"),
            NoticeKind::Progress(news) => format!("{news}: {what}"),
            NoticeKind::Escalated { level, contact } => format!(
                "Unacknowledged for {} (escalation {level}{}): {what}",
                human(self.waiting()),
                contact
                    .as_deref()
                    .map(|c| format!(", to {c}"))
                    .unwrap_or_default()
            ),
        }
    }

    /// The facts every medium lists, as (label, value) pairs: the alert's own, then its evidence.
    pub fn facts(&self) -> Vec<(String, String)> {
        let a = self.alert;
        let mut facts = vec![
            ("Alert".to_string(), format!("#{}", a.id)),
            ("Severity".to_string(), a.severity.as_str().to_string()),
            (
                "About".to_string(),
                format!("{} {}", a.subject.as_str().replace('_', " "), a.reference),
            ),
        ];
        if let Some(asset) = &a.asset {
            facts.push(("Asset".into(), asset.clone()));
        }
        facts.push(("Raised".into(), a.created_at.to_string()));
        if a.updates > 0 {
            facts.push((
                "Updates".into(),
                format!("{} (last {})", a.updates, a.updated_at),
            ));
        }
        facts.push(("State".into(), a.state.as_str().to_string()));
        facts.extend(
            a.evidence
                .iter()
                .map(|e| (e.label.clone(), e.value.clone())),
        );
        facts
    }
}

/// `1h 30m`, `2d 4h`, `45s`: the largest two units.
pub fn human(d: SignedDuration) -> String {
    let secs = d.as_secs().max(0);
    let (days, hours, mins) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (days, hours, mins) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations() {
        assert_eq!(human(SignedDuration::from_secs(45)), "45s");
        assert_eq!(human(SignedDuration::from_mins(30)), "30m");
        assert_eq!(human(SignedDuration::from_mins(90)), "1h 30m");
        assert_eq!(human(SignedDuration::from_hours(4)), "4h");
        assert_eq!(human(SignedDuration::from_hours(52)), "2d 4h");
        assert_eq!(human(SignedDuration::from_hours(48)), "2d");
    }
}

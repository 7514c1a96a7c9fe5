//! Exchange message tracking (`TransportRoles\Logs\MessageTracking\MSGTRK*.LOG`): fields derived
//! from a record's columns, for rules about who sent mail to whom.
//!
//! The columns (Exchange 2013–2019: `date-time, client-ip, client-hostname, server-ip,
//! server-hostname, source-context, connector-id, source, event-id, internal-message-id,
//! message-id, network-message-id, recipient-address, recipient-status, total-bytes,
//! recipient-count, related-recipient-address, reference, message-subject, sender-address,
//! return-path, message-info, directionality, tenant-id, original-client-ip, original-server-ip,
//! custom-data, transport-traffic-type, log-id, schema-version`) are read by name by
//! [`crate::exchange_csv`]; this adds:
//!
//! - `recipient-address` as a list (the column separates recipients with `;`), and
//!   `recipient-domain`, the distinct lower-case domains of the recipients;
//! - `sender`, the lower-case `sender-address`, and `sender-domain`;
//! - `message-subject-normalized` (see [`crate::mail::normalize_subject`]);
//! - `client-type`, the `ClientType:` of a mailbox submission's `source-context` (`MOMT` for
//!   Outlook, `OWA`, `WebServices` for EWS, `AirSync`, …);
//! - `client-net` and `original-client-net`, the networks of `client-ip` and
//!   `original-client-ip` (the address of the client that submitted the message).

use std::collections::BTreeMap;
use vigil_model::FieldValue;

/// Most recipients kept from one record (a message to a huge distribution list is rare and the
/// first ones are enough to count; the record itself is already bounded in size).
pub const MAX_RECIPIENTS: usize = 10_000;

type Fields = BTreeMap<String, FieldValue>;

fn text<'a>(f: &'a Fields, k: &str) -> Option<&'a str> {
    match f.get(k) {
        Some(FieldValue::Str(s)) if !s.is_empty() => Some(s.as_str()),
        _ => None,
    }
}

fn put(f: &mut Fields, k: &str, v: String) {
    f.insert(k.to_string(), FieldValue::Str(v));
}

/// Adds the derived fields to a message tracking record.
pub(crate) fn derive(f: &mut Fields) {
    if let Some(list) = text(f, "recipient-address") {
        let recipients: Vec<String> = list
            .split(';')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .take(MAX_RECIPIENTS)
            .map(str::to_string)
            .collect();
        let mut domains: Vec<String> = Vec::new();
        for r in &recipients {
            if let Some(d) = crate::mail::domain_of(r)
                && !domains.contains(&d)
            {
                domains.push(d);
            }
        }
        f.insert(
            "recipient-address".into(),
            FieldValue::List(recipients.into_iter().map(FieldValue::Str).collect()),
        );
        if !domains.is_empty() {
            f.insert(
                "recipient-domain".into(),
                FieldValue::List(domains.into_iter().map(FieldValue::Str).collect()),
            );
        }
    }
    if let Some(sender) = text(f, "sender-address").map(str::to_ascii_lowercase) {
        if let Some(d) = crate::mail::domain_of(&sender) {
            put(f, "sender-domain", d);
        }
        put(f, "sender", sender);
    }
    if let Some(subject) = text(f, "message-subject") {
        let norm = crate::mail::normalize_subject(subject);
        put(f, "message-subject-normalized", norm);
    }
    if let Some(ct) = text(f, "source-context").and_then(client_type) {
        put(f, "client-type", ct.to_string());
    }
    for (ip, net) in [
        ("client-ip", "client-net"),
        ("original-client-ip", "original-client-net"),
    ] {
        if let Some(n) = text(f, ip).and_then(crate::net::network_of) {
            put(f, net, n);
        }
    }
}

/// `…, ClientType:WebServices, …` in a STOREDRIVER source context.
fn client_type(ctx: &str) -> Option<&str> {
    ctx.split(',')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("ClientType:"))
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_type_from_source_context() {
        assert_eq!(
            client_type(
                "MDB:x, Mailbox:y, Event:1, MessageClass:IPM.Note, ClientType:OWA, SubmissionAssistant:z"
            ),
            Some("OWA")
        );
        assert_eq!(client_type("08D509854059E1CD;250 2.0.0 OK"), None);
    }

    #[test]
    fn recipients_are_bounded() {
        let mut f = Fields::new();
        let many = (0..MAX_RECIPIENTS + 5)
            .map(|i| format!("u{i}@example.net"))
            .collect::<Vec<_>>()
            .join(";");
        f.insert("recipient-address".into(), FieldValue::Str(many));
        derive(&mut f);
        match f.get("recipient-address") {
            Some(FieldValue::List(v)) => assert_eq!(v.len(), MAX_RECIPIENTS),
            other => panic!("{other:?}"),
        }
    }
}

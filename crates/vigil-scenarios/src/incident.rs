//! The incident record (`incident.toml`) a person keeps when the organisation becomes aware: who the
//! controller is, when they became aware (the 72-hour clock), the asset; what is not known yet is left as
//! an `<…>` placeholder, as the organisation would.

use crate::out::Folder;
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// What the record says.
pub struct Record<'a> {
    pub title: &'a str,
    pub organisation: &'a str,
    pub asset: &'a str,
    /// The moment of awareness, written in the organisation's local time with its offset.
    pub aware_at: Timestamp,
    pub tz: &'a TimeZone,
    pub reported_by: &'a str,
    pub data_categories: &'a [&'a str],
}

/// TOML text of the record.
pub fn toml_text(r: &Record<'_>) -> String {
    let z = r.aware_at.to_zoned(r.tz.clone());
    let off = z.offset().seconds();
    let sign = if off < 0 { '-' } else { '+' };
    let aware = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        z.year(),
        z.month(),
        z.day(),
        z.hour(),
        z.minute(),
        z.second(),
        off.unsigned_abs() / 3600,
        (off.unsigned_abs() % 3600) / 60
    );
    let cats = r
        .data_categories
        .iter()
        .map(|c| format!("\"{}\"", esc(c)))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "# Incident record kept by {org}.\n\
         id = \"INC-{year}-001\"\n\
         title = \"{title}\"\n\
         organisation = \"{org}\"\n\
         jurisdiction = \"Guernsey\"\n\
         controller_contact = \"<practice manager name, phone, e-mail>\"\n\
         dpo_contact = \"<data protection officer name, phone, e-mail>\"\n\
         aware_at = \"{aware}\"\n\
         reported_by = \"{by}\"\n\
         assets = [\"{asset}\"]\n\
         data_categories = [{cats}]\n\
         data_subjects = \"<approximate number of patients affected>\"\n\
         measures_taken = []\n",
        org = esc(r.organisation),
        year = z.year(),
        title = esc(r.title),
        by = esc(r.reported_by),
        asset = esc(r.asset),
    )
}

pub fn write(folder: &mut Folder, r: &Record<'_>) {
    folder.document("incident.toml", toml_text(r).into_bytes(), Some(r.aware_at));
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ServerZone;

    #[test]
    fn record_is_toml_with_the_local_awareness_time() {
        let t: Timestamp = "2023-01-16T09:30:00Z".parse().unwrap();
        let tz = ServerZone::new_york().tz();
        let text = toml_text(&Record {
            title: "Phishing sent from \"our\" address",
            organisation: "Harbour Medical Practice",
            asset: "EXCH01",
            aware_at: t,
            tz: &tz,
            reported_by: "patients",
            data_categories: &["health data", "contact details"],
        });
        let v: toml::Value = toml::from_str(&text).unwrap();
        // An RFC 3339 string with the local offset (vigil's record reads timestamps from strings).
        assert_eq!(v["aware_at"].as_str(), Some("2023-01-16T04:30:00-05:00"));
        assert_eq!(v["assets"][0].as_str(), Some("EXCH01"));
        assert_eq!(
            v["title"].as_str(),
            Some("Phishing sent from \"our\" address")
        );
    }
}

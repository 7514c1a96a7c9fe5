//! The CISA Known Exploited Vulnerabilities catalog
//! (<https://www.cisa.gov/known-exploited-vulnerabilities-catalog>), as JSON or CSV.
//!
//! A catalog entry that is malformed (bad CVE id, unparsable date) is skipped with its position and
//! the reason; one bad row must not hide the other 1,400 exploited vulnerabilities.

use serde::Deserialize;
use vigil_model::KevEntry;

use crate::batch::{Batch, Skipped};
use crate::error::KnowledgeError;
use crate::text::{parse_date, parse_timestamp};

#[derive(Deserialize)]
struct RawCatalog {
    #[serde(rename = "catalogVersion", default)]
    catalog_version: Option<String>,
    #[serde(rename = "dateReleased", default)]
    date_released: Option<String>,
    #[serde(default)]
    count: Option<u64>,
    vulnerabilities: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawEntry {
    #[serde(rename = "cveID")]
    cve: String,
    #[serde(rename = "vendorProject", default)]
    vendor: String,
    #[serde(default)]
    product: String,
    #[serde(rename = "vulnerabilityName", default)]
    name: String,
    #[serde(rename = "dateAdded")]
    date_added: String,
    #[serde(rename = "dueDate", default)]
    due_date: Option<String>,
    #[serde(rename = "knownRansomwareCampaignUse", default)]
    ransomware: Option<String>,
    #[serde(rename = "requiredAction", default)]
    required_action: Option<String>,
}

/// The catalog's own identity: which release of it this is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogInfo {
    /// `catalogVersion`, e.g. `2025.08.25`.
    pub version: Option<String>,
    /// `dateReleased`.
    pub released: Option<jiff::Timestamp>,
    /// `count` as the catalog states it (compare with the entries actually read).
    pub count: Option<u64>,
}

fn is_cve_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|b| b.is_ascii_digit())
}

fn entry(raw: RawEntry) -> Result<KevEntry, String> {
    let cve = raw.cve.trim().to_string();
    if !is_cve_id(&cve) {
        return Err(format!("invalid cveID '{cve}'"));
    }
    let date_added = parse_date(&raw.date_added)
        .ok_or_else(|| format!("{cve}: invalid dateAdded '{}'", raw.date_added))?;
    let due_date = match raw.due_date.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(d) => Some(parse_date(d).ok_or_else(|| format!("{cve}: invalid dueDate '{d}'"))?),
    };
    let known_ransomware = match raw.ransomware.as_deref().map(str::trim) {
        Some(s) if s.eq_ignore_ascii_case("known") => true,
        None | Some("") => false,
        Some(s) if s.eq_ignore_ascii_case("unknown") => false,
        Some(other) => {
            return Err(format!(
                "{cve}: invalid knownRansomwareCampaignUse '{other}'"
            ));
        }
    };
    Ok(KevEntry {
        cve,
        vendor: raw.vendor,
        product: raw.product,
        name: raw.name,
        date_added,
        due_date,
        known_ransomware,
        required_action: raw.required_action.filter(|s| !s.trim().is_empty()),
    })
}

/// Parses the JSON catalog.
pub fn parse_json(bytes: &[u8], origin: &str) -> Result<(CatalogInfo, Batch), KnowledgeError> {
    let raw: RawCatalog = serde_json::from_slice(bytes)
        .map_err(|e| KnowledgeError::invalid(origin, format!("not a KEV JSON catalog: {e}")))?;
    let info = CatalogInfo {
        version: raw.catalog_version,
        released: raw.date_released.as_deref().and_then(parse_timestamp),
        count: raw.count,
    };
    let mut batch = Batch::new("kev", origin);
    batch.version = info.version.clone();
    batch.kev.reserve(raw.vulnerabilities.len());
    for (i, value) in raw.vulnerabilities.into_iter().enumerate() {
        let location = format!("{origin}#vulnerabilities[{i}]");
        match serde_json::from_value::<RawEntry>(value)
            .map_err(|e| e.to_string())
            .and_then(entry)
        {
            Ok(e) => batch.kev.push(e),
            Err(reason) => batch.skipped.push(Skipped::new(location, reason)),
        }
    }
    Ok((info, batch))
}

/// Parses the CSV form of the catalog (same columns, no catalog version).
pub fn parse_csv(bytes: &[u8], origin: &str) -> Result<Batch, KnowledgeError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| KnowledgeError::invalid(origin, format!("unreadable CSV header: {e}")))?
        .clone();
    if !headers.iter().any(|h| h == "cveID") {
        return Err(KnowledgeError::invalid(
            origin,
            "not a KEV CSV: no `cveID` column",
        ));
    }
    let mut batch = Batch::new("kev", origin);
    for (i, record) in reader.records().enumerate() {
        // Line 1 is the header.
        let location = format!("{origin}:{}", i + 2);
        let parsed = record
            .map_err(|e| e.to_string())
            .and_then(|r| {
                r.deserialize::<RawEntry>(Some(&headers))
                    .map_err(|e| e.to_string())
            })
            .and_then(entry);
        match parsed {
            Ok(e) => batch.kev.push(e),
            Err(reason) => batch.skipped.push(Skipped::new(location, reason)),
        }
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cve_ids() {
        assert!(is_cve_id("CVE-2021-34473"));
        assert!(is_cve_id("CVE-2021-1234567"));
        assert!(!is_cve_id("CVE-21-34473"));
        assert!(!is_cve_id("GHSA-xxxx"));
        assert!(!is_cve_id("CVE-2021-12"));
    }
}

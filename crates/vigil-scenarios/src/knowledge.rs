//! The knowledge snapshot written with a scenario: real MSRC CVRF and CISA KEV records, trimmed to what
//! the scenario needs (see `data/knowledge/LICENSES.md`), copied unchanged into `knowledge/`.

use crate::out::Folder;

const CVRF_2022_NOV: &[u8] = include_bytes!("../data/knowledge/cvrfDocument-2022-Nov.exchange.xml");
const KEV: &[u8] = include_bytes!("../data/knowledge/known_exploited_vulnerabilities.subset.json");
const LICENSES: &[u8] = include_bytes!("../data/knowledge/LICENSES.md");

/// Writes the Exchange knowledge (November 2022 security updates, KEV entries of the 2022 Exchange
/// chains) into `knowledge/` of the scenario folder.
pub fn write_exchange(folder: &mut Folder) {
    folder.document(
        "knowledge/msrc/cvrfDocument-2022-Nov.exchange.xml",
        CVRF_2022_NOV.to_vec(),
        None,
    );
    folder.document(
        "knowledge/kev/known_exploited_vulnerabilities.subset.json",
        KEV.to_vec(),
        None,
    );
    folder.document("knowledge/LICENSES.md", LICENSES.to_vec(), None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_holds_the_november_2022_exchange_fix_and_the_kev_entries() {
        let cvrf = String::from_utf8_lossy(CVRF_2022_NOV);
        assert!(cvrf.contains("<vuln:CVE>CVE-2022-41080</vuln:CVE>"));
        assert!(cvrf.contains("5019758"));
        assert!(cvrf.contains("15.02.1118.020"));
        let kev: serde_json::Value = serde_json::from_slice(KEV).unwrap();
        let ids: Vec<&str> = kev["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v["cveID"].as_str())
            .collect();
        assert_eq!(ids.len(), 3);
        assert!(ids.contains(&"CVE-2022-41082"));
    }
}

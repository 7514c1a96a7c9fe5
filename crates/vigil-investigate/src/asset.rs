//! Asset names as logs and inventories spell them.
//!
//! Logs name a host by its FQDN (`MAIL01.clinic.example.org`), Windows by its NetBIOS name, inventories by
//! whatever the collector chose (`MAIL01`). Incidents, findings and log sources are joined on one key so that
//! the same server is never split into two incidents or missed by the root cause.

/// The key two asset or host names are compared on: trimmed, lower case, and without the DNS domain unless
/// the name is an IP address.
pub fn asset_key(name: &str) -> String {
    let t = name.trim().trim_end_matches('.');
    let lower = t.to_lowercase();
    if lower.parse::<std::net::IpAddr>().is_ok() {
        return lower;
    }
    match lower.split_once('.') {
        Some((short, _)) if !short.is_empty() => short.to_string(),
        _ => lower,
    }
}

/// Whether two names denote the same asset.
pub fn same_asset(a: &str, b: &str) -> bool {
    asset_key(a) == asset_key(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdn_and_short_name_are_one_asset() {
        assert!(same_asset("MAIL01.clinic.example.org", "MAIL01"));
        assert!(same_asset("mail01", "MAIL01."));
        assert!(!same_asset("MAIL01", "MAIL02"));
        assert_eq!(asset_key("10.20.1.25"), "10.20.1.25");
        assert_eq!(asset_key("2001:DB8::1"), "2001:db8::1");
        assert_eq!(asset_key(".hidden"), ".hidden");
    }
}

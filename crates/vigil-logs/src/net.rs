//! The network an address belongs to, for grouping: `/24` for IPv4 and `/64` for IPv6.
//!
//! A slow password spray rotates through several addresses of one hosting range or customer line so
//! that no single address crosses a threshold; counting per network sees it whole. `/24` and `/64`
//! are what one provider customer or one cloud subnet usually gets (a /64 is the smallest IPv6
//! subnet handed out). Readers add the network beside each client address field (`rip` →
//! `rip_net`, `client_ip` → `client_net`, `c-ip` → `c-net`, …; see rules/vigil/FIELDS.md).
//!
//! The network is written as `203.0.113.0/24` or `2001:db8:1:2::/64`. IPv4-mapped IPv6
//! (`::ffff:203.0.113.7`) counts as IPv4, and a zone index (`fe80::1%3`, as Exchange writes
//! link-local addresses) is ignored.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The `/24` (IPv4) or `/64` (IPv6) network of an address given as text, `None` when the text
/// is not an IP address.
pub fn network_of(addr: &str) -> Option<String> {
    let addr = addr.trim();
    // `[2001:db8::1]` as some logs bracket IPv6; `%zone` as Windows writes link-local ones.
    let addr = addr
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(addr);
    let addr = addr.split('%').next().unwrap_or(addr);
    let ip: IpAddr = addr.parse().ok()?;
    Some(match ip {
        IpAddr::V4(v4) => v4_net(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_net(v4),
            None => v6_net(v6),
        },
    })
}

fn v4_net(ip: Ipv4Addr) -> String {
    let [a, b, c, _] = ip.octets();
    format!("{a}.{b}.{c}.0/24")
}

fn v6_net(ip: Ipv6Addr) -> String {
    let [a, b, c, d, ..] = ip.segments();
    let net = Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0);
    format!("{net}/64")
}

#[cfg(test)]
mod tests {
    use super::network_of;

    #[test]
    fn ipv4_is_grouped_by_24() {
        assert_eq!(
            network_of("203.0.113.77").as_deref(),
            Some("203.0.113.0/24")
        );
        assert_eq!(network_of(" 10.1.2.3 ").as_deref(), Some("10.1.2.0/24"));
    }

    #[test]
    fn ipv6_is_grouped_by_64_and_mapped_v4_as_v4() {
        assert_eq!(
            network_of("2001:db8:1:2:3:4:5:6").as_deref(),
            Some("2001:db8:1:2::/64")
        );
        assert_eq!(
            network_of("[2001:db8::1]").as_deref(),
            Some("2001:db8::/64")
        );
        assert_eq!(
            network_of("::ffff:198.51.100.9").as_deref(),
            Some("198.51.100.0/24")
        );
        assert_eq!(
            network_of("fe80::1234:5678:4321:1010%3").as_deref(),
            Some("fe80::/64")
        );
    }

    #[test]
    fn not_an_address() {
        for s in [
            "",
            "-",
            "unknown",
            "198.51.100",
            "mx1.example.net",
            "1.2.3.4:25",
        ] {
            assert_eq!(network_of(s), None, "{s}");
        }
    }
}

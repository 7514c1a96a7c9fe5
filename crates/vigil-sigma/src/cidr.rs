//! The `cidr` modifier: IPv4 and IPv6 network membership, without a dependency.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// A network such as `10.0.0.0/8` or `fe80::/10`.
#[derive(Debug, Clone, Serialize, Deserialize, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `addr/prefix`; a bare address is a host network (/32 or /128).
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net: IpAddr = addr
            .parse()
            .map_err(|_| format!("'{s}' is not an IPv4 or IPv6 network"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("'{s}' has an invalid prefix length (0..={max})"))?,
            None => max,
        };
        Ok(Cidr { net, prefix })
    }

    /// True when `text` is an address inside the network. IPv4-mapped IPv6 addresses count as
    /// IPv4; text that is not an address never matches.
    pub fn contains_text(&self, text: &str) -> bool {
        let t = text.trim();
        let t = t
            .strip_prefix('[')
            .and_then(|x| x.strip_suffix(']'))
            .unwrap_or(t);
        // Drop an IPv6 zone index (`fe80::1%eth0`).
        let t = t.split_once('%').map_or(t, |(a, _)| a);
        match t.parse::<IpAddr>() {
            Ok(ip) => self.contains(ip),
            Err(_) => false,
        }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = mask32(self.prefix);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = mask128(self.prefix);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

fn mask32(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix.min(32)))
    }
}

fn mask128(prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix.min(128)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_membership() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains_text("10.1.2.3"));
        assert!(!c.contains_text("11.0.0.1"));
        assert!(!c.contains_text("not an ip"));
        assert!(c.contains_text("::ffff:10.0.0.5"));
        let c = Cidr::parse("192.168.1.0/24").unwrap();
        assert!(c.contains_text("192.168.1.255"));
        assert!(!c.contains_text("192.168.2.1"));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains_text("8.8.8.8"));
        assert!(Cidr::parse("1.2.3.4").unwrap().contains_text("1.2.3.4"));
    }

    #[test]
    fn ipv6_membership() {
        let c = Cidr::parse("fe80::/10").unwrap();
        assert!(c.contains_text("fe80::1"));
        assert!(c.contains_text("[febf::1]"));
        assert!(c.contains_text("fe80::1%eth0"));
        assert!(!c.contains_text("fec0::1"));
        assert!(!c.contains_text("10.0.0.1"));
        assert!(Cidr::parse("::1/128").unwrap().contains_text("::1"));
    }

    #[test]
    fn bad_networks_are_errors() {
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("fe80::/129").is_err());
        assert!(Cidr::parse("10.0.0/8").is_err());
        assert!(Cidr::parse("x").is_err());
    }
}

//! Network addresses for generated logs, all from ranges that are never routed on the internet, so a
//! generated log can never name a real host:
//!
//! | who | range |
//! |---|---|
//! | the attacker's spraying network | 203.0.113.0/24 (TEST-NET-3, RFC 5737) or 2001:db8:bad::/64 |
//! | the attacker's other network (a later wave, a VPN exit) | 192.0.2.0/24 (TEST-NET-1) |
//! | scanners | 198.51.100.0/24 (TEST-NET-2) |
//! | internet mail servers, unrelated password-guessing bots | 198.18.0.0/15 (RFC 2544), many /24s |
//! | staff on mobile networks | 100.64.0.0/10 (shared address space, RFC 6598, as carrier NAT uses) |
//! | staff at home (IPv6) | 2001:db8:1000::/36, one /48 per household (RFC 3849) |
//! | the office LAN | 10.20.0.0/16 |

use crate::rng::Rng;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A random host in the attacker's IPv4 spraying network (203.0.113.0/24), avoiding the addresses
/// already taken.
pub fn attacker_v4(rng: &mut Rng, taken: &[IpAddr]) -> IpAddr {
    fresh(rng, taken, |r| {
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, r.range(2, 254) as u8))
    })
}

/// A random host in the attacker's IPv6 /64 (2001:db8:bad::/64).
pub fn attacker_v6(rng: &mut Rng, taken: &[IpAddr]) -> IpAddr {
    fresh(rng, taken, |r| {
        IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0xdb8,
            0xbad,
            0,
            r.range(1, 0xffff) as u16,
            r.range(1, 0xffff) as u16,
            r.range(1, 0xffff) as u16,
            r.range(1, 0xffff) as u16,
        ))
    })
}

/// A host in the attacker's second network (192.0.2.0/24).
pub fn attacker_other(rng: &mut Rng) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, rng.range(2, 254) as u8))
}

/// A scanner (198.51.100.0/24).
pub fn scanner(rng: &mut Rng) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(198, 51, 100, rng.range(2, 254) as u8))
}

/// An internet host (mail server, bot): 198.18.0.0/15, spread over its 512 /24s.
pub fn internet(rng: &mut Rng) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        198,
        18 + rng.range(0, 1) as u8,
        rng.range(0, 255) as u8,
        rng.range(1, 254) as u8,
    ))
}

/// A phone on a mobile network (100.64.0.0/10).
pub fn mobile(rng: &mut Rng) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        100,
        64 + rng.range(0, 63) as u8,
        rng.range(0, 255) as u8,
        rng.range(1, 254) as u8,
    ))
}

/// A household's IPv6 address (its own /48 under 2001:db8:1000::/36).
pub fn home(rng: &mut Rng) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(
        0x2001,
        0xdb8,
        0x1000 | rng.range(0, 0x0fff) as u16,
        rng.range(0, 0xffff) as u16,
        rng.range(1, 0xffff) as u16,
        rng.range(1, 0xffff) as u16,
        rng.range(1, 0xffff) as u16,
        rng.range(1, 0xffff) as u16,
    ))
}

/// A workstation on the office LAN (10.20.0.0/16).
pub fn office(rng: &mut Rng) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        10,
        20,
        rng.range(1, 8) as u8,
        rng.range(10, 250) as u8,
    ))
}

fn fresh(rng: &mut Rng, taken: &[IpAddr], mut make: impl FnMut(&mut Rng) -> IpAddr) -> IpAddr {
    let mut a = make(rng);
    for _ in 0..500 {
        if !taken.contains(&a) {
            break;
        }
        a = make(rng);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_stay_in_their_reserved_ranges() {
        let mut r = Rng::new(9);
        for _ in 0..200 {
            let IpAddr::V4(a) = attacker_v4(&mut r, &[]) else {
                panic!()
            };
            assert_eq!(&a.octets()[..3], &[203, 0, 113]);
            let IpAddr::V6(b) = attacker_v6(&mut r, &[]) else {
                panic!()
            };
            assert_eq!(&b.segments()[..4], &[0x2001, 0xdb8, 0xbad, 0]);
            let IpAddr::V4(m) = mobile(&mut r) else {
                panic!()
            };
            assert!(m.octets()[0] == 100 && (64..128).contains(&m.octets()[1]));
            let IpAddr::V4(i) = internet(&mut r) else {
                panic!()
            };
            assert!(i.octets()[0] == 198 && (18..=19).contains(&i.octets()[1]));
        }
        let taken = vec![attacker_v4(&mut r, &[])];
        assert_ne!(attacker_v4(&mut r, &taken), taken[0]);
    }
}

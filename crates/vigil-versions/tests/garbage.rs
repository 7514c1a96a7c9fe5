//! Throws random and hostile strings at every scheme: no input may panic, and whatever a scheme
//! accepts must compare equal to itself and antisymmetrically with any other accepted version.

use std::cmp::Ordering;
use vigil_versions::{Scheme, compare};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "0",
    "1",
    "9",
    "00",
    "01",
    "10",
    "18446744073709551616",
    ".",
    "-",
    "_",
    "+",
    "~",
    "^",
    ":",
    "!",
    "a",
    "b",
    "z",
    "A",
    "Z",
    "v",
    "V",
    "r",
    "rc",
    "alpha",
    "beta",
    "pre",
    "post",
    "dev",
    "p",
    "git",
    "sp",
    "ga",
    "final",
    "snapshot",
    "incompatible",
    " ",
    "\t",
    "\n",
    "\0",
    "*",
    "é",
    "Ⅻ",
    "٣",
    "\u{feff}",
    "😀",
    "%",
    "#",
    "/",
    "..",
    "--",
    "__",
    "++",
];

fn garbage(rng: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..rng.below(12) {
        if rng.below(10) == 0 {
            // A raw char anywhere in the Basic Multilingual Plane or beyond.
            if let Some(c) = char::from_u32(rng.below(0x2_0000) as u32) {
                s.push(c);
            }
        } else {
            s.push_str(PIECES[rng.below(PIECES.len())]);
        }
    }
    s
}

#[test]
fn random_strings_never_panic_and_order_consistently() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut accepted = 0usize;
    for _ in 0..20_000 {
        let a = garbage(&mut rng);
        let b = garbage(&mut rng);
        for scheme in Scheme::ALL {
            let ab = compare(scheme, &a, &b);
            let ba = compare(scheme, &b, &a);
            if let (Ok(x), Ok(y)) = (&ab, &ba) {
                accepted += 1;
                assert_eq!(
                    *x,
                    y.reverse(),
                    "{scheme}: {a:?} vs {b:?} not antisymmetric"
                );
            }
            if let Ok(o) = compare(scheme, &a, &a) {
                assert_eq!(o, Ordering::Equal, "{scheme}: {a:?} not equal to itself");
            }
        }
    }
    assert!(
        accepted > 1000,
        "the generator should also produce valid versions ({accepted})"
    );
}

#[test]
fn huge_and_deep_inputs_are_bounded() {
    let long_digits = "9".repeat(100_000);
    let nested = "1a".repeat(50_000);
    let dots = ".".repeat(100_000);
    let tildes = format!("1{}", "~".repeat(100_000));
    for scheme in Scheme::ALL {
        for s in [&long_digits, &nested, &dots, &tildes] {
            let _ = compare(scheme, s, "1.0");
            let _ = compare(scheme, "1.0", s);
            let _ = compare(scheme, s, s);
        }
    }
    assert_eq!(
        compare(
            Scheme::Debian,
            &format!("1.{long_digits}"),
            &format!("1.{long_digits}8")
        )
        .ok(),
        Some(Ordering::Less)
    );
}

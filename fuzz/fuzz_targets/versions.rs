//! Two arbitrary strings (split at the first newline) compared under every version scheme. Beyond
//! not panicking, the ordering must be reflexive and antisymmetric, and validity must not depend
//! on the other operand.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::cmp::Ordering;
use vigil_versions::{Scheme, compare};

fuzz_target!(|text: &str| {
    let (a, b) = text.split_once('\n').unwrap_or((text, ""));
    for scheme in Scheme::ALL {
        let ab = compare(scheme, a, b);
        let ba = compare(scheme, b, a);
        let aa = compare(scheme, a, a);
        let bb = compare(scheme, b, b);
        for (v, same) in [(a, &aa), (b, &bb)] {
            if let Ok(o) = same {
                assert_eq!(*o, Ordering::Equal, "{scheme:?}: {v:?} != itself");
            }
        }
        match (&ab, &ba) {
            (Ok(x), Ok(y)) => {
                assert_eq!(
                    *x,
                    y.reverse(),
                    "{scheme:?}: {a:?} vs {b:?} not antisymmetric"
                )
            }
            (Err(_), Err(_)) => {}
            _ => panic!("{scheme:?}: {a:?} vs {b:?} valid one way only: {ab:?} / {ba:?}"),
        }
        if ab.is_ok() {
            assert!(
                aa.is_ok() && bb.is_ok(),
                "{scheme:?}: {a:?} vs {b:?} ok but not alone"
            );
        }
    }
});

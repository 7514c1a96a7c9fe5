//! Microsoft build numbers (`15.2.792.13` for Exchange, `10.0.19041.1415` for Windows): dotted
//! decimal numbers compared part by part by value. A missing trailing part counts as zero
//! (`15.2.792` equals `15.2.792.0`), because Microsoft's tables drop trailing zero parts.

use crate::num::{cmp_digits, is_digits};
use crate::{Scheme, VersionError, invalid};
use std::cmp::Ordering;

/// Checks that `input` is a dotted decimal build number and returns it trimmed.
pub fn parse(input: &str) -> Result<&str, VersionError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(invalid(Scheme::MsBuild, input, "empty build number"));
    }
    if !s.split('.').all(is_digits) {
        return Err(invalid(
            Scheme::MsBuild,
            input,
            "a build number is decimal numbers separated by dots",
        ));
    }
    Ok(s)
}

/// Compares two build numbers.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (parse(a)?, parse(b)?);
    let (mut ia, mut ib) = (a.split('.'), b.split('.'));
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ok(Ordering::Equal),
            (x, y) => {
                let o = cmp_digits(x.unwrap_or(""), y.unwrap_or(""));
                if o != Ordering::Equal {
                    return Ok(o);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn exchange_builds() {
        assert_eq!(compare("15.2.792.13", "15.2.792.10").unwrap(), Greater);
        assert_eq!(compare("15.2.792", "15.2.792.0").unwrap(), Equal);
        assert_eq!(compare("15.1.2308.8", "15.2.221.12").unwrap(), Less);
        assert_eq!(compare("15.02.0792.013", "15.2.792.13").unwrap(), Equal);
        for bad in ["", "15..2", "15.2.x", "v15.2", "15.2."] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}

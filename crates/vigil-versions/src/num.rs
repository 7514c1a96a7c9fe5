//! Digit-string arithmetic shared by the schemes: version numbers may be longer than any machine
//! integer (dates, build stamps, hostile input), so they are compared as strings of digits.

use std::cmp::Ordering;

/// Compares two runs of ASCII digits by numeric value, at any length: leading zeros are ignored,
/// then the longer run is the larger number, then the first differing digit decides.
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

/// True when `s` is a non-empty run of ASCII digits.
pub(crate) fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// True when the digit run has the value zero (empty counts as zero).
pub(crate) fn is_zero(s: &str) -> bool {
    s.bytes().all(|b| b == b'0')
}

/// Length of the leading run of ASCII digits in `s`.
pub(crate) fn digit_prefix_len(s: &[u8]) -> usize {
    s.iter().take_while(|b| b.is_ascii_digit()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_beyond_u64() {
        assert_eq!(
            cmp_digits("18446744073709551616", "18446744073709551615"),
            Ordering::Greater
        );
        assert_eq!(cmp_digits("0009", "10"), Ordering::Less);
        assert_eq!(cmp_digits("000", ""), Ordering::Equal);
        assert_eq!(cmp_digits("0100", "100"), Ordering::Equal);
    }
}

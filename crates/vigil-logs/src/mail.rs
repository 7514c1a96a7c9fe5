//! Values derived from mail logs the same way for every mail server: the domain of an address and
//! a normalised subject.
//!
//! Phishing sent from a stolen mailbox is one text sent many times, often with a number or a name
//! changed per message ("Invoice 4411", "Invoice 9921") and with the `RE:`/`FW:` prefixes of the
//! conversation it hijacks. Counting "near-identical subjects" needs one key for all of them: the
//! normalised subject drops reply and forward prefixes (in the languages Outlook and Thunderbird
//! write them), lower-cases, turns every word that holds a digit into `#` and every address into
//! `@`, and keeps only letters, digits, `#` and `@` separated by single spaces.

/// Longest normalised subject kept, in characters (longer subjects share their beginning).
pub const MAX_SUBJECT_CHARS: usize = 160;

/// Reply and forward prefixes: English, German (AW, WG), Dutch (Antw, Doorst), French (TR),
/// Scandinavian (SV, VS, VB), Italian (R, RIF, I), Polish (ODP, PD), Spanish (RV), Portuguese (ENC).
const PREFIXES: &[&str] = &[
    "re", "fw", "fwd", "aw", "wg", "antw", "doorst", "tr", "sv", "vs", "vb", "r", "rif", "i",
    "odp", "pd", "rv", "enc",
];

/// The lower-case domain of an e-mail address (`Alice@Clinic.Example` → `clinic.example`), `None`
/// without an `@` or with nothing after it. Angle brackets around the address are ignored.
pub fn domain_of(addr: &str) -> Option<String> {
    let a = addr.trim().trim_start_matches('<').trim_end_matches('>');
    let (_, domain) = a.rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('.');
    (!domain.is_empty()).then(|| domain.to_ascii_lowercase())
}

/// The normalised form of a message subject (see the module documentation).
pub fn normalize_subject(subject: &str) -> String {
    let mut rest = subject.trim();
    // `RE: FW: AW:`, also `Re[2]:` and `RE :`.
    while let Some((head, tail)) = rest.split_once(':') {
        let word = head.trim();
        let word = word.split('[').next().unwrap_or(word).trim();
        if PREFIXES.iter().any(|p| word.eq_ignore_ascii_case(p)) {
            rest = tail.trim_start();
        } else {
            break;
        }
    }
    let mut out = String::new();
    for word in rest.split(|c: char| !(c.is_alphanumeric() || c == '@' || c == '.' || c == '_')) {
        let word = word.trim_matches(['.', '_']);
        if word.is_empty() {
            continue;
        }
        let token = if word.contains('@') {
            "@".to_string()
        } else if word.chars().any(|c| c.is_ascii_digit()) {
            "#".to_string()
        } else {
            word.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect()
        };
        if token.is_empty() {
            continue;
        }
        // Runs of numbers (`12/03 10:00`) count as one.
        if token == "#" && out.ends_with('#') {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&token);
        if out.chars().count() >= MAX_SUBJECT_CHARS {
            break;
        }
    }
    out.chars().take(MAX_SUBJECT_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert_eq!(
            domain_of("Alice@Clinic.Example").as_deref(),
            Some("clinic.example")
        );
        assert_eq!(domain_of("<a@b.example.>").as_deref(), Some("b.example"));
        assert_eq!(domain_of("MAILER-DAEMON"), None);
        assert_eq!(domain_of("x@"), None);
    }

    #[test]
    fn near_identical_subjects_share_one_form() {
        let a = normalize_subject("RE: FW: Invoice 4411 overdue - action required!");
        let b = normalize_subject("Invoice 9921 overdue – action required");
        let c = normalize_subject("AW: Re[2]: invoice A77F1 OVERDUE, action required");
        assert_eq!(a, "invoice # overdue action required");
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(
            normalize_subject("Your appointment on 12/03 at 10:00"),
            "your appointment on # at #"
        );
        assert_eq!(
            normalize_subject("Message for bob@example.net"),
            "message for @"
        );
        // A prefix is only stripped before a colon.
        assert_eq!(normalize_subject("Re-scheduling"), "re scheduling");
        assert_eq!(normalize_subject(""), "");
    }

    #[test]
    fn long_subjects_are_capped() {
        let long = "word ".repeat(500);
        assert!(normalize_subject(&long).chars().count() <= MAX_SUBJECT_CHARS);
        let wide = "é".repeat(1000);
        assert!(normalize_subject(&wide).chars().count() <= MAX_SUBJECT_CHARS);
    }
}

//! Names for the people, organisation and mail of a generated server: drawn from fixed pools with the
//! scenario's random generator, and always under the reserved `.example` top-level domain (RFC 2606).

use crate::rng::Rng;

const FIRST: &[&str] = &[
    "amelia", "ben", "chloe", "daniel", "eva", "farah", "george", "hannah", "ivan", "julia",
    "kofi", "lena", "marco", "nadia", "oliver", "priya", "quentin", "rosa", "samuel", "tomasz",
    "uma", "victor", "wen", "yusuf", "zoe", "aisha", "bruno", "carla", "dmitri", "elif", "finn",
    "grace", "hugo", "ines", "jonas", "keira", "luis", "mei", "nils", "olga",
];

const LAST: &[&str] = &[
    "le-page",
    "mahy",
    "ogier",
    "brehaut",
    "duquemin",
    "tostevin",
    "robin",
    "falla",
    "de-garis",
    "martel",
    "bichard",
    "gallienne",
    "torode",
    "lenfestey",
    "queripel",
    "guille",
    "ozanne",
    "sarre",
    "hamon",
    "dorey",
    "patel",
    "nowak",
    "okafor",
    "schmidt",
    "rossi",
    "kim",
    "silva",
    "jensen",
    "murphy",
    "ahmed",
];

const ORG_WORDS: &[&str] = &[
    "harbour",
    "castle",
    "vale",
    "cliff",
    "meadow",
    "bay",
    "elm",
    "granite",
    "lighthouse",
    "orchard",
];

const ORG_KINDS: &[(&str, &str)] = &[
    ("Medical Practice", "medical"),
    ("Dental Clinic", "dental"),
    ("Physiotherapy", "physio"),
    ("Family Law", "law"),
    ("Advocates", "advocates"),
];

/// The organisation running the server.
#[derive(Debug, Clone)]
pub struct Org {
    /// "Harbour Medical Practice".
    pub name: String,
    /// "harbour-medical.example".
    pub domain: String,
    /// The NetBIOS domain name Windows logs use ("HARBOUR").
    pub netbios: String,
    pub users: Vec<User>,
}

/// A mailbox owner.
#[derive(Debug, Clone)]
pub struct User {
    /// `amelia.le-page`.
    pub local: String,
    /// `amelia.le-page@harbour-medical.example`.
    pub address: String,
    /// "Amelia Le-Page".
    pub display: String,
}

impl Org {
    /// An organisation with `n` users (at least 3), named from the seed.
    pub fn generate(rng: &mut Rng, n: usize) -> Org {
        let word = rng.pick(ORG_WORDS).copied().unwrap_or("harbour");
        let (kind, short) = rng
            .pick(ORG_KINDS)
            .copied()
            .unwrap_or(("Medical Practice", "medical"));
        let domain = format!("{word}-{short}.example");
        let mut users: Vec<User> = Vec::new();
        let mut guard = 0;
        while users.len() < n.max(3) && guard < 10_000 {
            guard += 1;
            let f = rng.pick(FIRST).copied().unwrap_or("amelia");
            let l = rng.pick(LAST).copied().unwrap_or("le-page");
            let local = format!("{f}.{l}");
            if users.iter().any(|u| u.local == local) {
                continue;
            }
            users.push(User {
                address: format!("{local}@{domain}"),
                display: format!("{} {}", title(f), title(l)),
                local,
            });
        }
        Org {
            name: format!("{} {kind}", title(word)),
            netbios: word.to_ascii_uppercase(),
            domain,
            users,
        }
    }

    /// A role mailbox of the organisation (`reception`, `newsletter`).
    pub fn role(&self, local: &str) -> String {
        format!("{local}@{}", self.domain)
    }
}

/// "de-garis" → "De-Garis".
pub fn title(s: &str) -> String {
    s.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

const EXT_WORDS: &[&str] = &[
    "mail",
    "post",
    "inbox",
    "netmail",
    "webpost",
    "homemail",
    "fastmail",
    "islandnet",
    "coastmail",
    "brightpost",
    "telemail",
    "bluepost",
];

/// An external person's address: `firstname.lastnameNN@<provider>.example`. Providers are many, so
/// patients and contacts spread over many domains as real ones do.
pub fn external_address(rng: &mut Rng) -> String {
    let f = rng.pick(FIRST).copied().unwrap_or("ben");
    let l = rng.pick(LAST).copied().unwrap_or("mahy");
    let w = rng.pick(EXT_WORDS).copied().unwrap_or("mail");
    let n = rng.range(1, 99);
    let d = rng.range(1, 40);
    format!("{f}.{l}{n}@{w}{d}.example")
}

/// `count` distinct external addresses.
pub fn external_addresses(rng: &mut Rng, count: usize) -> Vec<String> {
    fresh_external(rng, &mut std::collections::BTreeSet::new(), count)
}

/// `n` external addresses not in `seen` (added to it): recipients who have not been written to before.
pub fn fresh_external(
    rng: &mut Rng,
    seen: &mut std::collections::BTreeSet<String>,
    n: usize,
) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    let mut guard = 0usize;
    while out.len() < n && guard < n.saturating_mul(50).max(100) {
        guard += 1;
        let a = external_address(rng);
        if seen.insert(a.clone()) {
            out.push(a);
        }
    }
    out
}

/// Subjects of everyday mail.
pub const BENIGN_SUBJECTS: &[&str] = &[
    "Appointment confirmation",
    "Re: referral letter",
    "Invoice March",
    "Rota for next week",
    "Re: lab results follow-up",
    "Meeting notes",
    "Fwd: insurance form",
    "Re: prescription request",
    "Training day reminder",
    "Re: parking at the surgery",
    "Supplier order 4471",
    "Holiday request",
];

/// Subjects of the phishing the attacker sends (near-identical, as campaigns are).
pub const PHISHING_SUBJECTS: &[&str] = &[
    "Important: update your patient details",
    "Important: update your patient details now",
    "Action required: update your patient details",
    "Important - update your patient details",
];

/// Browser user agents.
pub const BROWSER_UA: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/108.0.0.0 Safari/537.36 Edg/108.0.1462.46",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:107.0) Gecko/20100101 Firefox/107.0",
];

/// Outlook desktop user agent.
pub const OUTLOOK_UA: &str =
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.15726; Pro)";

/// Phones syncing with ActiveSync.
pub const EAS_UA: &[(&str, &str)] = &[
    ("Apple-iPhone14C2/2002.251", "iPhone"),
    ("Apple-iPhone13C2/2001.350", "iPhone"),
    ("Outlook-iOS-Android/1.0", "Outlook"),
    ("Android-SAMSUNG-SM-G991B/101.1201", "SAMSUNGSMG991B"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisations_have_distinct_users_under_example() {
        let mut r = Rng::new(3);
        let o = Org::generate(&mut r, 30);
        assert_eq!(o.users.len(), 30);
        assert!(o.domain.ends_with(".example"));
        let mut locals: Vec<&str> = o.users.iter().map(|u| u.local.as_str()).collect();
        locals.sort();
        locals.dedup();
        assert_eq!(locals.len(), 30);
        assert_eq!(title("de-garis"), "De-Garis");
        let ext = external_addresses(&mut r, 500);
        assert_eq!(ext.len(), 500);
        assert!(ext.iter().all(|a| a.ends_with(".example")));
    }
}

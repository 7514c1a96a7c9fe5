//! Parameters every generator shares: seed, the server's time zone, the amount of benign traffic and
//! which benign look-alikes it contains, the waves of an attack and the phishing it sends.

use jiff::tz::TimeZone;

/// The server's time zone: its IANA name (written where the system keeps it, e.g. `/etc/timezone`) and
/// the same rules as a POSIX TZ string (what the generator converts with, so that no time zone database
/// is needed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerZone {
    pub name: String,
    pub posix: String,
}

impl ServerZone {
    pub fn new(name: &str, posix: &str) -> ServerZone {
        ServerZone {
            name: name.to_string(),
            posix: posix.to_string(),
        }
    }

    pub fn utc() -> ServerZone {
        ServerZone::new("Etc/UTC", "UTC0")
    }

    /// Guernsey keeps UK time.
    pub fn london() -> ServerZone {
        ServerZone::new("Europe/London", "GMT0BST,M3.5.0/1,M10.5.0")
    }

    pub fn berlin() -> ServerZone {
        ServerZone::new("Europe/Berlin", "CET-1CEST,M3.5.0,M10.5.0/3")
    }

    pub fn new_york() -> ServerZone {
        ServerZone::new("America/New_York", "EST5EDT,M3.2.0,M11.1.0")
    }

    /// A half-hour offset, no daylight saving time.
    pub fn kolkata() -> ServerZone {
        ServerZone::new("Asia/Kolkata", "IST-5:30")
    }

    /// Southern hemisphere: summer time in December.
    pub fn auckland() -> ServerZone {
        ServerZone::new("Pacific/Auckland", "NZST-12NZDT,M9.5.0,M4.1.0/3")
    }

    /// The zone's rules; UTC if the POSIX string does not parse (the constructors above all do).
    pub fn tz(&self) -> TimeZone {
        TimeZone::posix(&self.posix).unwrap_or(TimeZone::UTC)
    }
}

/// Which benign events that look like attacks the server's logs contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookAlikes {
    /// Real users mistyping their password, then logging in.
    pub failed_logins: bool,
    /// A phone still configured with an old password, failing every few minutes for hours.
    pub stale_device: bool,
    /// A newsletter account that mails hundreds of external recipients every week.
    pub newsletter: bool,
    /// An administrator's routine management commands (Exchange cmdlets; sudo on Linux is not logged
    /// to mail.log).
    pub admin_activity: bool,
    /// Internet scanners probing the web front end (404s on /owa, /ecp and common paths).
    pub scanners: bool,
    /// The background of failed password guessing every internet-facing mail server sees, from many
    /// unrelated addresses, none of them successful.
    pub internet_noise: bool,
}

impl LookAlikes {
    pub fn all() -> LookAlikes {
        LookAlikes {
            failed_logins: true,
            stale_device: true,
            newsletter: true,
            admin_activity: true,
            scanners: true,
            internet_noise: true,
        }
    }

    pub fn none() -> LookAlikes {
        LookAlikes {
            failed_logins: false,
            stale_device: false,
            newsletter: false,
            admin_activity: false,
            scanners: false,
            internet_noise: false,
        }
    }
}

/// What every generator takes.
#[derive(Debug, Clone)]
pub struct Common {
    /// The seed of every random choice: the same parameters and seed give the same folder, byte for byte.
    pub seed: u64,
    pub zone: ServerZone,
    /// Mailboxes (users) on the server.
    pub users: usize,
    /// Benign sessions per user and working day (mail clients, webmail, phones); the amount of noise.
    pub sessions_per_user_day: u32,
    pub lookalikes: LookAlikes,
    /// Days of logs before the first malicious event (or before the end, for a server without incident).
    pub lookback_days: u32,
}

impl Common {
    pub fn new(seed: u64) -> Common {
        Common {
            seed,
            zone: ServerZone::london(),
            users: 16,
            sessions_per_user_day: 3,
            lookalikes: LookAlikes::all(),
            lookback_days: 10,
        }
    }
}

/// The waves of an attack: the attacker comes back after a quiet period through the same entry point or
/// artefact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waves {
    /// 1 or more.
    pub count: u32,
    /// Days without attacker activity between two waves.
    pub quiet_days: u32,
}

impl Waves {
    pub fn one() -> Waves {
        Waves {
            count: 1,
            quiet_days: 0,
        }
    }
}

/// Phishing sent from a taken-over mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhishingPlan {
    /// Messages per day.
    pub per_day: u32,
    /// Days it goes on.
    pub days: u32,
    /// Recipients per message, at most (each message has 1 to this many).
    pub max_recipients: u32,
}

impl PhishingPlan {
    pub fn new(per_day: u32, days: u32, max_recipients: u32) -> PhishingPlan {
        PhishingPlan {
            per_day: per_day.max(1),
            days: days.max(1),
            max_recipients: max_recipients.max(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn zones_convert_with_their_rules() {
        let summer = date(2022, 7, 1).at(12, 0, 0, 0);
        let winter = date(2022, 12, 1).at(12, 0, 0, 0);
        let off = |z: &ServerZone, dt: jiff::civil::DateTime| {
            dt.to_zoned(z.tz()).unwrap().offset().seconds()
        };
        assert_eq!(off(&ServerZone::london(), summer), 3600);
        assert_eq!(off(&ServerZone::london(), winter), 0);
        assert_eq!(off(&ServerZone::berlin(), winter), 3600);
        assert_eq!(off(&ServerZone::new_york(), winter), -5 * 3600);
        assert_eq!(off(&ServerZone::kolkata(), winter), 5 * 3600 + 1800);
        assert_eq!(off(&ServerZone::auckland(), winter), 13 * 3600);
        assert_eq!(off(&ServerZone::utc(), winter), 0);
    }
}

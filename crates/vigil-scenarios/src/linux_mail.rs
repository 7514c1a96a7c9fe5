//! Scenario (b): a Debian Postfix/Dovecot server taken over by a slow, distributed password spray with
//! default Dovecot logging, and the Linux half of the benign scenario.
//!
//! The folder holds the server's root filesystem as an investigator mounts it: `etc/` (release, host
//! name, time zone), `var/lib/dpkg/status`, and `var/log/mail.log` with its weekly rotations
//! (`mail.log.1`, `mail.log.2.gz`, …) in the server's local time; plus `incident.toml`. No knowledge
//! snapshot: no Debian advisory data is needed for the answers, and an audit must say that the Debian
//! packages could not be assessed.

use crate::debian::{self, Release};
pub use crate::linux_attack::Spray;
pub use crate::linux_server::DovecotPhrasing;
use crate::linux_server::MailHost;
use crate::linux_traffic::{self, Plan};
use crate::names::Org;
use crate::out::Mark;
use crate::params::{Common, PhishingPlan, Waves};
use crate::rng::Rng;
use crate::syslog::SyslogFile;
use crate::truth::{Entry, GroundTruth, IncidentTruth, Phishing, RootCause, Wave};
use crate::{GenError, incident};
use jiff::{SignedDuration, Timestamp};
use std::path::Path;

/// The server as configured.
#[derive(Debug, Clone)]
pub struct LinuxServer {
    pub release: Release,
    /// Dovecot's `auth_verbose` (off by default): the passdb's reason for each failure is logged too.
    pub auth_verbose: bool,
    pub phrasing: DovecotPhrasing,
    pub host: String,
}

impl Default for LinuxServer {
    fn default() -> Self {
        LinuxServer {
            release: Release::Bullseye,
            auth_verbose: false,
            phrasing: DovecotPhrasing::Classic,
            host: "mx1".to_string(),
        }
    }
}

/// Scenario (b).
#[derive(Debug, Clone)]
pub struct LinuxMailParams {
    pub common: Common,
    pub server: LinuxServer,
    pub spray: Spray,
    /// The spray's first attempt.
    pub spray_start: Timestamp,
    pub waves: Waves,
    pub phishing: PhishingPlan,
    /// Days from the attacker's last event to awareness.
    pub aware_after_days: u32,
}

impl LinuxMailParams {
    /// A 150-minute spray from six addresses of one /24, seven names an hour each, at night on
    /// 14 March 2023; phishing 200 a day for 2 days from the next day.
    pub fn spray(seed: u64) -> LinuxMailParams {
        LinuxMailParams {
            common: Common::new(seed),
            server: LinuxServer::default(),
            spray: Spray {
                addresses: 6,
                users_per_address_hour: 7,
                minutes: 150,
                ipv6: false,
                smtp_percent: 30,
            },
            spray_start: "2023-03-14T01:12:40Z"
                .parse()
                .unwrap_or(Timestamp::UNIX_EPOCH),
            waves: Waves::one(),
            phishing: PhishingPlan::new(200, 2, 4),
            aware_after_days: 2,
        }
    }
}

fn days(n: u32) -> SignedDuration {
    SignedDuration::from_hours(24 * i64::from(n))
}

fn setup(
    common: &Common,
    server: &LinuxServer,
    from: Timestamp,
    to: Timestamp,
) -> (MailHost, Vec<linux_traffic::Person>) {
    let mut rng = Rng::new(common.seed);
    let org = Org::generate(&mut rng.fork("org"), common.users);
    let tz = common.zone.tz();
    let log = SyslogFile::new(
        &server.host,
        tz,
        &format!("{}/var/log/mail.log", server.host),
        from,
        to,
    );
    let mut mh = MailHost::new(
        rng.fork("mail"),
        org,
        &server.host,
        log,
        server.auth_verbose,
        server.phrasing,
        from,
    );
    let people = linux_traffic::people(&mut mh);
    (mh, people)
}

fn write_benign(
    mh: &mut MailHost,
    people: &[linux_traffic::Person],
    common: &Common,
    server: &LinuxServer,
    from: Timestamp,
    to: Timestamp,
) -> Vec<Mark> {
    let plan = Plan {
        sessions_per_user_day: common.sessions_per_user_day,
        lookalikes: common.lookalikes.clone(),
        newsletter_recipients: 40 + 12 * common.users,
    };
    let marks = linux_traffic::benign(mh, people, &common.zone.tz(), from, to, &plan);
    let domain = mh.org.domain.clone();
    debian::write_root(
        &mut mh.folder,
        &server.host,
        server.release,
        &server.host,
        &domain,
        &common.zone.name,
        from - days(400),
    );
    marks
}

fn not_assessable(server: &LinuxServer) -> Vec<String> {
    vec![format!(
        "Debian {} packages: no Debian advisory data in the folder",
        server.release.version_id()
    )]
}

/// Writes scenario (b) into `dir`.
pub fn generate(p: &LinuxMailParams, dir: &Path) -> Result<GroundTruth, GenError> {
    if p.common.users < 3 {
        return Err(GenError::Params("at least 3 users are needed".into()));
    }
    // The window is known only after the attack is laid out; the attack does not depend on the
    // window, so it is planned first with a provisional end far enough out.
    let t0 = p.spray_start;
    let from = t0 - days(p.common.lookback_days);
    let horizon = t0
        + days(
            p.phishing.days
                + 2
                + p.aware_after_days
                + (p.waves.count.saturating_sub(1)) * (p.waves.quiet_days + 2),
        );
    let (mut mh, people) = setup(&p.common, &p.server, from, horizon);
    let victim_idx = mh.rng.below(people.len());
    let victim = people
        .get(victim_idx)
        .map(|x| x.user.address.clone())
        .unwrap_or_default();
    let users: Vec<String> = people.iter().map(|x| x.user.address.clone()).collect();
    let out =
        crate::linux_attack::spray(&mut mh, &victim, &users, t0, p.spray, p.waves, p.phishing);
    let tz = p.common.zone.tz();
    let aware = {
        let day = (out.last_event + days(p.aware_after_days))
            .to_zoned(tz.clone())
            .date();
        day.at(9, 30, 0, 0)
            .to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .unwrap_or(out.last_event + days(p.aware_after_days))
    };
    // The rotation schedule ends at awareness (when the logs are collected): the attack's lines move
    // to the files of that schedule.
    mh.log = SyslogFile::new(
        &p.server.host,
        tz.clone(),
        &format!("{}/var/log/mail.log", p.server.host),
        from,
        aware,
    );
    let base = mh.log.base().to_string();
    {
        let log = &mh.log;
        mh.folder.refile(&base, |t| log.route(t));
    }
    let lookalikes = write_benign(&mut mh, &people, &p.common, &p.server, from, aware);
    incident::write(
        &mut mh.folder,
        &incident::Record {
            title: "Patients report phishing e-mails sent from a colleague's address",
            organisation: &mh.org.name.clone(),
            asset: &p.server.host,
            aware_at: aware,
            tz: &tz,
            reported_by: "patients who received the phishing",
            data_categories: &["health data", "contact details"],
        },
    );
    let written = mh.folder.write(dir)?;
    let first = written.at(out.first_malicious)?;
    let waves = out
        .waves
        .iter()
        .map(|(s, e, by, m)| {
            Ok(Wave {
                start: *s,
                end: *e,
                linked_by: by.clone(),
                first_event: written.at(*m)?,
            })
        })
        .collect::<Result<Vec<_>, GenError>>()?;
    Ok(GroundTruth {
        scenario: "linux/password-spray".into(),
        asset: p.server.host.clone(),
        incident: Some(IncidentTruth {
            dwell: aware.duration_since(first.time),
            first_malicious: first,
            entry: Entry {
                event: written.at(out.entry)?,
                techniques: vec!["T1110.003".into(), "T1110".into(), "T1078".into()],
                description: format!(
                    "an IMAP login with a password guessed by a spray from {}",
                    out.network
                ),
            },
            root_cause: RootCause::CredentialCompromise {
                method: "password spraying".into(),
            },
            mailboxes_exported: vec![victim.to_lowercase()],
            forwarding_rules: Vec::new(),
            phishing: out
                .phishing
                .map(|(messages, recipients, first, last, days)| Phishing {
                    sender: victim.to_lowercase(),
                    messages,
                    distinct_external_recipients: recipients,
                    first,
                    last,
                    days,
                }),
            waves,
            attacker_addresses: out.addresses.clone(),
            accounts: vec![victim.to_lowercase()],
        }),
        aware_at: Some(aware),
        not_assessable: not_assessable(&p.server),
        lookalikes: lookalikes
            .iter()
            .map(|m| written.at(*m))
            .collect::<Result<Vec<_>, GenError>>()?,
    })
}

/// The benign Linux mail server: `common.lookback_days` of traffic ending at `end`.
pub fn generate_benign(
    common: &Common,
    server: &LinuxServer,
    end: Timestamp,
    dir: &Path,
) -> Result<GroundTruth, GenError> {
    let from = end - days(common.lookback_days.max(1));
    let (mut mh, people) = setup(common, server, from, end);
    let marks = write_benign(&mut mh, &people, common, server, from, end);
    let written = mh.folder.write(dir)?;
    Ok(GroundTruth {
        scenario: "benign/linux-mail".into(),
        asset: server.host.clone(),
        incident: None,
        aware_at: None,
        not_assessable: not_assessable(server),
        lookalikes: marks
            .iter()
            .map(|m| written.at(*m))
            .collect::<Result<Vec<_>, GenError>>()?,
    })
}

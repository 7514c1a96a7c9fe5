//! Scenario (a): an Exchange 2019 server in autumn 2022, compromised through the OWASSRF chain or by
//! credential stuffing on Outlook on the web, with waves after quiet periods and phishing sent from a
//! mailbox. Also the Exchange half of the benign scenario (the same server, no attacker).
//!
//! The folder holds what an administrator collects: the IIS logs of both sites, the HttpProxy and
//! message tracking logs, the `MSExchange Management` channel exported to JSON, the inventory as
//! Microsoft's commands print it (or none), the knowledge snapshot, and `incident.toml`.

use crate::exchange_attack::{self, AttackOut, Stuffing};
use crate::exchange_server::Exch;
use crate::exchange_traffic::{self, BenignPlan};
use crate::names::Org;
use crate::out::{Mark, Written};
use crate::params::{Common, PhishingPlan, Waves};
use crate::pwsh_json::file_bytes;
use crate::rng::Rng;
use crate::truth::{Entry, EventRef, GroundTruth, IncidentTruth, Phishing, RootCause, Wave};
use crate::w3c::IisFields;
use crate::wininventory::{self, Build, HotFix};
use crate::{GenError, incident, knowledge, winevents};
use jiff::civil::{Date, date};
use jiff::{SignedDuration, Timestamp};
use std::path::Path;

/// The Exchange build installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeBuild {
    /// Exchange 2019 CU12 with the October 2022 SU (15.2.1118.15): supported, missing November's SU.
    Cu12Oct22,
    /// Exchange 2019 CU11 with the August 2022 SU (15.2.986.29): supported, two SUs behind.
    Cu11Aug22,
    /// Exchange 2019 CU10 with the March 2022 SU (15.2.922.27): no longer supported in November
    /// 2022, so it received no November SU.
    Cu10Mar22,
}

impl ExchangeBuild {
    pub fn build(self) -> Build {
        let (build, revision, cu_revision) = match self {
            ExchangeBuild::Cu12Oct22 => (1118, 15, 7),
            ExchangeBuild::Cu11Aug22 => (986, 29, 5),
            ExchangeBuild::Cu10Mar22 => (922, 27, 7),
        };
        Build {
            major: 15,
            minor: 2,
            build,
            revision,
            cu_revision,
        }
    }

    pub fn out_of_support(self) -> bool {
        matches!(self, ExchangeBuild::Cu10Mar22)
    }
}

/// Which inventory the administrator saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InventoryForm {
    /// `ExSetup.exe`'s file version, `Get-ExchangeServer`, `Get-HotFix`.
    PowerShell,
    /// The same plus the `CurrentVersion` registry key (the Windows build and UBR).
    PowerShellWithOs,
    /// No inventory at all: the build can only be read from the logs.
    None,
}

/// The server as configured, attack or not.
#[derive(Debug, Clone)]
pub struct ExchangeServer {
    pub build: ExchangeBuild,
    pub iis_fields: IisFields,
    /// IIS restarted half-way through with another field selection.
    pub iis_fields_after_restart: Option<IisFields>,
    /// `MessageTrackingLogSubjectLoggingEnabled`.
    pub subject_logging: bool,
    pub inventory: InventoryForm,
}

impl Default for ExchangeServer {
    fn default() -> Self {
        ExchangeServer {
            build: ExchangeBuild::Cu12Oct22,
            iis_fields: IisFields::Default,
            iis_fields_after_restart: None,
            subject_logging: true,
            inventory: InventoryForm::PowerShell,
        }
    }
}

/// How the attacker got in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeEntry {
    /// CVE-2022-41080 + CVE-2022-41082 with a user's stolen password.
    OwaSsrf,
    /// Leaked passwords tried on Outlook on the web until one works.
    CredentialStuffing(Stuffing),
}

/// Scenario (a).
#[derive(Debug, Clone)]
pub struct ExchangeParams {
    pub common: Common,
    pub server: ExchangeServer,
    pub entry: ExchangeEntry,
    /// The attacker's first event.
    pub first_malicious: Timestamp,
    pub waves: Waves,
    pub phishing: PhishingPlan,
    /// Mailboxes exported (OWASSRF variant).
    pub exported_mailboxes: u32,
    /// Days from the attacker's last event to the organisation becoming aware.
    pub aware_after_days: u32,
}

impl ExchangeParams {
    /// OWASSRF on 29 November 2022 (three weeks after KB5019758), back after 38 quiet days, phishing
    /// 150 messages a day for 3 days.
    pub fn owassrf(seed: u64) -> ExchangeParams {
        ExchangeParams {
            common: Common::new(seed),
            server: ExchangeServer::default(),
            entry: ExchangeEntry::OwaSsrf,
            first_malicious: ts("2022-11-29T01:37:12Z"),
            waves: Waves {
                count: 2,
                quiet_days: 38,
            },
            phishing: PhishingPlan::new(150, 3, 3),
            exported_mailboxes: 2,
            aware_after_days: 2,
        }
    }

    /// Credential stuffing from five addresses, 40 attempts an hour, 60 accounts.
    pub fn stuffing(seed: u64) -> ExchangeParams {
        ExchangeParams {
            entry: ExchangeEntry::CredentialStuffing(Stuffing {
                addresses: 5,
                attempts_per_hour: 40,
                accounts: 60,
            }),
            exported_mailboxes: 0,
            ..ExchangeParams::owassrf(seed)
        }
    }
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap_or(Timestamp::UNIX_EPOCH)
}

fn days(n: u32) -> SignedDuration {
    SignedDuration::from_hours(24 * i64::from(n))
}

/// The organisation, the server and its staff for a seed.
fn setup(common: &Common, server: &ExchangeServer) -> (Exch, Vec<exchange_traffic::Staff>) {
    let mut rng = Rng::new(common.seed);
    let org = Org::generate(&mut rng.fork("org"), common.users);
    let mut ex = Exch::new(
        rng.fork("exchange"),
        org,
        server.build.build(),
        common.zone.tz(),
        server.iis_fields,
        server.subject_logging,
    );
    let staff = exchange_traffic::staff(&mut ex);
    (ex, staff)
}

/// 09:30 local time `after_days` days after `t`.
fn morning_after(ex: &Exch, t: Timestamp, after_days: u32) -> Timestamp {
    let day = (t + days(after_days)).to_zoned(ex.tz.clone()).date();
    day.at(9, 30, 0, 0)
        .to_zoned(ex.tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or(t + days(after_days))
}

/// Writes scenario (a) into `dir`.
pub fn generate(p: &ExchangeParams, dir: &Path) -> Result<GroundTruth, GenError> {
    let (mut ex, staff) = setup(&p.common, &p.server);
    if staff.len() < 3 {
        return Err(GenError::Params("at least 3 users are needed".into()));
    }
    let victim_idx = ex.rng.below(staff.len());
    let victim = staff
        .get(victim_idx)
        .map(|s| s.user.address.clone())
        .unwrap_or_default();
    let others: Vec<String> = staff
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != victim_idx)
        .map(|(_, s)| s.user.address.clone())
        .collect();
    let t0 = p.first_malicious;
    let attack: AttackOut = match p.entry {
        ExchangeEntry::OwaSsrf => {
            let mut mailboxes = vec![victim.clone()];
            mailboxes.extend(
                others
                    .iter()
                    .take(usize::try_from(p.exported_mailboxes.saturating_sub(1)).unwrap_or(0))
                    .cloned(),
            );
            mailboxes.truncate(usize::try_from(p.exported_mailboxes.max(1)).unwrap_or(1));
            exchange_attack::owassrf(&mut ex, &victim, &mailboxes, t0, p.waves, p.phishing)
        }
        ExchangeEntry::CredentialStuffing(pace) => {
            exchange_attack::stuffing(&mut ex, &victim, &others, pace, t0, p.waves, p.phishing)
        }
    };
    let aware = morning_after(&ex, attack.last_event, p.aware_after_days);
    let from = t0 - days(p.common.lookback_days);
    let benign = write_server(&mut ex, &staff, &p.common, &p.server, from, aware)?;
    incident::write(
        &mut ex.folder,
        &incident::Record {
            title: "Patients report phishing e-mails sent from our address",
            organisation: &ex.org.name.clone(),
            asset: &ex.name.clone(),
            aware_at: aware,
            tz: &ex.tz.clone(),
            reported_by: "patients who received the phishing",
            data_categories: &["health data", "contact details"],
        },
    );
    let asset = ex.name.clone();
    let build = ex.build;
    let written = ex.folder.write(dir)?;
    let (technique, description, root) = match p.entry {
        ExchangeEntry::OwaSsrf => (
            vec!["T1190".to_string()],
            "OWASSRF: CVE-2022-41080 (OWA server-side request forgery) to CVE-2022-41082 (remote PowerShell code execution)".to_string(),
            RootCause::MissingUpdate {
                kb: "KB5019758".into(),
                cves: vec!["CVE-2022-41080".into(), "CVE-2022-41082".into()],
                package: "Exchange Server".into(),
                installed_build: build.dotted(),
                cu_out_of_support: p.server.build.out_of_support(),
            },
        ),
        ExchangeEntry::CredentialStuffing(_) => (
            vec!["T1110.004".into(), "T1110".into(), "T1078".into()],
            "a logon to Outlook on the web with a password found by credential stuffing".to_string(),
            RootCause::CredentialCompromise {
                method: "credential stuffing".into(),
            },
        ),
    };
    let first = written.at(attack.first_malicious)?;
    let mut not_assessable = Vec::new();
    if p.server.inventory != InventoryForm::None {
        not_assessable.push(
            "Windows Server 2019: the knowledge snapshot holds no Windows security updates"
                .to_string(),
        );
    }
    Ok(GroundTruth {
        scenario: format!(
            "exchange/{}",
            match p.entry {
                ExchangeEntry::OwaSsrf => "owassrf",
                ExchangeEntry::CredentialStuffing(_) => "credential-stuffing",
            }
        ),
        asset,
        incident: Some(IncidentTruth {
            dwell: aware.duration_since(first.time),
            first_malicious: first,
            entry: Entry {
                event: written.at(attack.entry)?,
                techniques: technique,
                description,
            },
            root_cause: root,
            mailboxes_exported: attack.exported.clone(),
            forwarding_rules: attack.forwarding.clone(),
            phishing: attack.phishing.as_ref().map(|ph| Phishing {
                sender: ph.sender.clone(),
                messages: ph.messages,
                distinct_external_recipients: ph.recipients,
                first: ph.first,
                last: ph.last,
                days: ph.days,
            }),
            waves: waves(&written, &attack)?,
            attacker_addresses: attack.addresses.clone(),
            accounts: attack.accounts.clone(),
        }),
        aware_at: Some(aware),
        not_assessable,
        lookalikes: resolve(&written, &benign)?,
    })
}

fn waves(written: &Written, a: &AttackOut) -> Result<Vec<Wave>, GenError> {
    a.waves
        .iter()
        .map(|w| {
            Ok(Wave {
                start: w.start,
                end: w.end,
                linked_by: w.linked_by.clone(),
                first_event: written.at(w.first)?,
            })
        })
        .collect()
}

fn resolve(written: &Written, marks: &[Mark]) -> Result<Vec<EventRef>, GenError> {
    marks.iter().map(|m| written.at(*m)).collect()
}

/// Everything but the attack: benign traffic from `from` to `to`, the IIS restart, inventory, the
/// cmdlet channel export, knowledge.
fn write_server(
    ex: &mut Exch,
    staff: &[exchange_traffic::Staff],
    common: &Common,
    server: &ExchangeServer,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Mark>, GenError> {
    if let Some(f) = server.iis_fields_after_restart {
        let mid = from + (to.duration_since(from) / 2);
        ex.iis_restart(mid, f);
    }
    let plan = BenignPlan {
        sessions_per_user_day: common.sessions_per_user_day,
        lookalikes: common.lookalikes.clone(),
        newsletter_recipients: 40 + 12 * common.users,
    };
    let mut out = exchange_traffic::benign(ex, staff, from, to, &plan);
    write_inventory(ex, server.inventory, to);
    let cmdlets = std::mem::take(&mut ex.cmdlets);
    let (bytes, cited) = winevents::export(&cmdlets, &ex.fqdn, 41_200);
    let marks = ex.folder.document_marked(
        "EventLogs/MSExchange Management.json",
        bytes,
        Some(to),
        cited,
    );
    out.extend(marks);
    knowledge::write_exchange(&mut ex.folder);
    Ok(out)
}

/// Windows Server 2019 monthly cumulative updates: (release day, KB, UBR after it).
const WINDOWS_2019_LCU: &[(i16, i8, i8, &str, u32)] = &[
    (2022, 8, 9, "KB5016623", 3287),
    (2022, 9, 13, "KB5017315", 3406),
    (2022, 10, 11, "KB5018419", 3532),
    (2022, 11, 8, "KB5019966", 3650),
    (2022, 12, 13, "KB5021237", 3770),
    (2023, 1, 10, "KB5022286", 3887),
    (2023, 2, 14, "KB5022840", 4010),
    (2023, 3, 14, "KB5023702", 4131),
];

fn write_inventory(ex: &mut Exch, form: InventoryForm, collected: Timestamp) {
    if form == InventoryForm::None {
        return;
    }
    let today = collected.to_zoned(ex.tz.clone()).date();
    // The two latest monthly updates installed a few days after release, and the servicing stack update.
    let mut fixes = vec![HotFix {
        id: "KB5005112".into(),
        description: "Security Update".into(),
        installed_on: date(2021, 8, 17),
    }];
    let installed: Vec<(Date, &str, u32)> = WINDOWS_2019_LCU
        .iter()
        .map(|(y, m, d, kb, ubr)| (date(*y, *m, *d), *kb, *ubr))
        .filter_map(|(d, kb, ubr)| {
            let on = d.checked_add(jiff::Span::new().days(4)).ok()?;
            (on < today).then_some((on, kb, ubr))
        })
        .collect();
    let ubr = installed.last().map(|(_, _, u)| *u).unwrap_or(3287);
    for (on, kb, _) in installed.iter().rev().take(2).rev() {
        fixes.push(HotFix {
            id: (*kb).to_string(),
            description: "Security Update".into(),
            installed_on: *on,
        });
    }
    let created: Timestamp = ts("2019-11-04T10:12:00Z");
    let changed = collected - days(20);
    ex.folder.document(
        "inventory/ExSetup.json",
        file_bytes(&wininventory::exsetup(&ex.build)),
        Some(collected),
    );
    ex.folder.document(
        "inventory/Get-ExchangeServer.json",
        file_bytes(&wininventory::exchange_server(
            &ex.build,
            &ex.name,
            &ex.fqdn,
            &ex.ad_domain,
            created,
            changed,
        )),
        Some(collected),
    );
    ex.folder.document(
        "inventory/Get-HotFix.json",
        file_bytes(&wininventory::hotfixes(&fixes, &ex.name, &ex.tz)),
        Some(collected),
    );
    if form == InventoryForm::PowerShellWithOs {
        ex.folder.document(
            "inventory/CurrentVersion.json",
            file_bytes(&wininventory::current_version(ubr, created)),
            Some(collected),
        );
    }
}

/// The benign Exchange server: `days` days of traffic ending at `end`, no attacker.
pub fn generate_benign(
    common: &Common,
    server: &ExchangeServer,
    end: Timestamp,
    dir: &Path,
) -> Result<GroundTruth, GenError> {
    let (mut ex, staff) = setup(common, server);
    let from = end - days(common.lookback_days.max(1));
    let marks = write_server(&mut ex, &staff, common, server, from, end)?;
    let asset = ex.name.clone();
    let written = ex.folder.write(dir)?;
    let mut not_assessable = Vec::new();
    if server.inventory != InventoryForm::None {
        not_assessable.push(
            "Windows Server 2019: the knowledge snapshot holds no Windows security updates"
                .to_string(),
        );
    }
    Ok(GroundTruth {
        scenario: "benign/exchange".into(),
        asset,
        incident: None,
        aware_at: None,
        not_assessable,
        lookalikes: resolve(&written, &marks)?,
    })
}

//! One Windows/Exchange inventory from the facts of every input: which value each fact takes, the
//! packages the matcher assesses, what cannot be assessed, and where inputs disagree.
//!
//! Packages (ecosystem `Microsoft`): `Exchange Server` at each ExSetup.exe build found, `Windows Server`
//! (or `Windows` for client editions) at `major.minor.build.UBR`, each located at the fact it comes
//! from. When inputs give two values for one fact (two computer names, two Windows builds, two
//! Exchange builds) the disagreement is a `conflict` not-assessed item naming every value and its
//! source; the first value by source (vigil's inventory, ExSetup.exe, the registry, Get-HotFix,
//! Get-ComputerInfo, Get-ExchangeServer, then file and line) is used, and every Exchange build found is
//! assessed. Get-ExchangeServer lists every server of the organisation: only the entry of the machine
//! the other inputs name is used (or the only one, when no input names the machine).

use super::facts::{Fact, FactKind};
use super::powershell::short_name;
use super::{ExchangeInfo, HotFix, WindowsInventory, normalise_build};
use crate::outcome::{NotAssessed, NotAssessedKind};
use crate::{Inventory, Sink};
use jiff::Timestamp;

/// Derives the Windows inventory, its packages and notes from the collected facts. Call once, after
/// every input's facts are merged.
pub(crate) fn finish(inv: &mut Inventory) {
    let Some(w) = inv.windows.as_mut() else {
        return;
    };
    if w.facts.is_empty() {
        return;
    }
    w.facts.sort_by(|a, b| {
        (
            a.source.origin,
            &a.source.file,
            a.source.line,
            a.kind,
            &a.value,
        )
            .cmp(&(
                b.source.origin,
                &b.source.file,
                b.source.line,
                b.kind,
                &b.value,
            ))
    });
    w.facts.dedup();
    let facts = w.facts.clone();
    let mut d = Derive {
        facts: &facts,
        notes: Vec::new(),
        packages: Vec::new(),
    };
    let derived = d.run();
    let Derive {
        notes, packages, ..
    } = d;
    if let Some(w) = inv.windows.as_mut() {
        let facts = std::mem::take(&mut w.facts);
        *w = WindowsInventory { facts, ..derived };
    }
    for p in packages {
        Sink::new(&p.file, inv).package("Microsoft", p.name, &p.version, p.line);
    }
    inv.not_assessed.extend(notes);
}

struct NewPackage {
    name: &'static str,
    version: String,
    file: String,
    line: Option<usize>,
}

struct Derive<'f> {
    facts: &'f [Fact],
    notes: Vec<NotAssessed>,
    packages: Vec<NewPackage>,
}

fn at(f: &Fact) -> String {
    match f.source.line {
        Some(l) => format!("{}:{l}", f.source.file),
        None => f.source.file.clone(),
    }
}

fn caption_key(c: &str) -> String {
    let t = c.trim();
    t.strip_prefix("Microsoft ")
        .unwrap_or(t)
        .trim()
        .to_ascii_lowercase()
}

impl<'f> Derive<'f> {
    fn of(&self, kind: FactKind) -> impl Iterator<Item = &'f Fact> + 'f {
        self.facts.iter().filter(move |f| f.kind == kind)
    }

    fn note(&mut self, kind: NotAssessedKind, f: &Fact, reason: String) {
        self.notes.push(NotAssessed::new(kind, at(f), reason));
    }

    /// The value of a single-valued fact among `candidates`: the first; several different values
    /// (compared by `key`) are a conflict note.
    fn pick(
        &mut self,
        candidates: Vec<&'f Fact>,
        key: impl Fn(&str) -> String,
    ) -> Option<&'f Fact> {
        let first = *candidates.first()?;
        let mut distinct: Vec<&Fact> = Vec::new();
        for f in &candidates {
            if !distinct.iter().any(|d| key(&d.value) == key(&f.value)) {
                distinct.push(f);
            }
        }
        if distinct.len() > 1 {
            let listed: Vec<String> = distinct
                .iter()
                .map(|f| format!("`{}` from {}", f.value, f.source))
                .collect();
            let reason = format!(
                "the inputs disagree on the {}: {}; `{}` is used",
                first.kind.label(),
                listed.join(", "),
                first.value
            );
            self.note(NotAssessedKind::Conflict, first, reason);
        }
        Some(first)
    }

    fn run(&mut self) -> WindowsInventory {
        let mut w = WindowsInventory::default();
        let computer = self.pick(self.of(FactKind::ComputerName).collect(), |v| {
            short_name(v).to_ascii_lowercase()
        });
        w.computer_name = computer.map(|f| f.value.clone());
        w.collected_at = self
            .of(FactKind::CollectedAt)
            .filter_map(|f| f.value.parse::<Timestamp>().ok())
            .max();
        self.windows(&mut w);
        self.exchange(&mut w);
        self.hotfixes(&mut w);
        w
    }

    fn windows(&mut self, w: &mut WindowsInventory) {
        let caption = self.pick(self.of(FactKind::OsCaption).collect(), caption_key);
        let version = self.pick(self.of(FactKind::OsVersion).collect(), |v| {
            v.trim().to_string()
        });
        let revision = self.pick(self.of(FactKind::OsRevision).collect(), |v| {
            v.trim().to_string()
        });
        w.os_caption = caption.map(|f| f.value.clone());
        w.os_version = version.map(|f| f.value.clone());
        match (version, revision) {
            (Some(v), Some(r)) => {
                let parts = v.value.trim().split('.').count();
                match (normalise_build(&v.value), r.value.trim().parse::<u64>(), parts) {
                    (Some(b), Ok(u), 3) => {
                        let build = format!("{b}.{u}");
                        let name = if w.os_caption.as_deref().is_none_or(|c| c.contains("Server")) {
                            "Windows Server"
                        } else {
                            "Windows"
                        };
                        self.packages.push(NewPackage {
                            name,
                            version: build.clone(),
                            file: r.source.file.clone(),
                            line: r.source.line.map(|l| l as usize),
                        });
                        w.os_build = Some(build);
                    }
                    _ => self.note(
                        NotAssessedKind::Entry,
                        v,
                        format!(
                            "Windows version `{}` with UBR `{}` is not major.minor.build + revision",
                            v.value, r.value
                        ),
                    ),
                }
            }
            (Some(v), None) => {
                let hint = if self
                    .of(FactKind::OsVersion)
                    .all(|f| f.source.origin == super::facts::Origin::GetComputerInfo)
                {
                    " (Windows PowerShell 5.1's Get-ComputerInfo does not report it: add the output \
                     of Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion')"
                } else {
                    ""
                };
                self.note(
                    NotAssessedKind::Entry,
                    v,
                    format!(
                        "Windows {} without UBR: the installed update level is unknown{hint}",
                        v.value
                    ),
                );
            }
            (None, _) => {
                if let Some(f) = caption.or(revision) {
                    self.note(
                        NotAssessedKind::Entry,
                        f,
                        "Windows version missing from the inventory".to_string(),
                    );
                } else if let Some(f) = self.of(FactKind::HotFix).next() {
                    self.note(
                        NotAssessedKind::Entry,
                        f,
                        "installed updates are listed, but no input gives the Windows version: \
                         Windows updates cannot be assessed (add the output of Get-ItemProperty \
                         'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion')"
                            .to_string(),
                    );
                }
            }
        }
    }

    /// Exchange facts about the machine the inventory is about.
    fn exchange_context(&mut self, computer: Option<&str>) -> Vec<&'f Fact> {
        let context: Vec<&'f Fact> = self
            .facts
            .iter()
            .filter(|f| {
                matches!(
                    f.kind,
                    FactKind::ExchangeServer
                        | FactKind::ExchangeAdminDisplayVersion
                        | FactKind::ExchangeEdition
                        | FactKind::ExchangeServerRole
                        | FactKind::ExchangeFqdn
                        | FactKind::ExchangeSite
                )
            })
            .collect();
        let mut hosts: Vec<&'f str> = Vec::new();
        for f in &context {
            if let Some(h) = f.host.as_deref()
                && !hosts.iter().any(|x| x.eq_ignore_ascii_case(h))
            {
                hosts.push(h);
            }
        }
        let same = |a: &str, b: &str| short_name(a).eq_ignore_ascii_case(short_name(b));
        let chosen: Option<&str> = match computer {
            Some(c) => {
                let found = hosts.iter().copied().find(|h| same(h, c));
                if found.is_none()
                    && let Some(first) = context.iter().find(|f| f.host.is_some())
                {
                    let reason = format!(
                        "Get-ExchangeServer lists {} but not this machine ({c}): their details are \
                         not used",
                        hosts.join(", ")
                    );
                    self.note(NotAssessedKind::Entry, first, reason);
                }
                found
            }
            None if hosts.len() == 1 => hosts.first().copied(),
            None => {
                if let Some(first) = context.iter().find(|f| f.host.is_some()) {
                    let reason = format!(
                        "Get-ExchangeServer lists {} servers ({}) and no input names the machine \
                         this inventory is about: their details are not used (add Get-HotFix or \
                         Get-ComputerInfo output from the server itself)",
                        hosts.len(),
                        hosts.join(", ")
                    );
                    self.note(NotAssessedKind::Entry, first, reason);
                }
                None
            }
        };
        context
            .into_iter()
            .filter(|f| match (&f.host, chosen) {
                (None, _) => true,
                (Some(h), Some(c)) => same(h, c),
                (Some(_), None) => false,
            })
            .collect()
    }

    fn exchange(&mut self, w: &mut WindowsInventory) {
        let context = self.exchange_context(w.computer_name.as_deref());
        let in_context = |kind| {
            context
                .iter()
                .copied()
                .filter(move |f: &&Fact| f.kind == kind)
        };
        let mut builds: Vec<&'f Fact> = Vec::new();
        for f in self.of(FactKind::ExchangeBuild) {
            if !builds.iter().any(|b| b.value == f.value) {
                builds.push(f);
            }
        }
        if builds.is_empty() && context.is_empty() {
            return;
        }
        if builds.len() > 1
            && let Some(first) = builds.first()
        {
            let listed: Vec<String> = builds
                .iter()
                .map(|f| format!("{} from {}", f.value, f.source))
                .collect();
            let reason = format!(
                "the inputs give {} different Exchange builds: {}; each is assessed",
                builds.len(),
                listed.join(", ")
            );
            self.note(NotAssessedKind::Conflict, first, reason);
        }
        for b in &builds {
            self.packages.push(NewPackage {
                name: "Exchange Server",
                version: b.value.clone(),
                file: b.source.file.clone(),
                line: b.source.line.map(|l| l as usize),
            });
        }
        let adv = self.pick(
            in_context(FactKind::ExchangeAdminDisplayVersion).collect(),
            |v| v.trim().to_ascii_lowercase(),
        );
        let text = |kind| in_context(kind).next().map(|f: &Fact| f.value.clone());
        let info = ExchangeInfo {
            admin_display_version: adv.map(|f| f.value.clone()).filter(|v| !v.is_empty()),
            exsetup_version: builds.first().map(|f| f.value.clone()),
            edition: text(FactKind::ExchangeEdition),
            server_role: text(FactKind::ExchangeServerRole),
            name: text(FactKind::ExchangeServer),
            fqdn: text(FactKind::ExchangeFqdn),
            site: text(FactKind::ExchangeSite),
        };
        if w.computer_name.is_none() {
            w.computer_name = info.name.clone();
        }
        match (builds.first(), adv) {
            (None, _) => {
                if let Some(f) = adv.or_else(|| context.first().copied()) {
                    let reason = format!(
                        "Exchange build not assessable: only AdminDisplayVersion ({}) was collected, \
                         which does not change when security updates are installed; collect \
                         ExSetup.exe's file version (Get-Command ExSetup.exe | ForEach-Object \
                         {{ $_.FileVersionInfo }})",
                        info.admin_display_version.as_deref().unwrap_or("none")
                    );
                    self.note(NotAssessedKind::Entry, f, reason);
                }
            }
            (Some(b), Some(a)) => {
                if let Some(cu) = cu_of_admin_display_version(&a.value)
                    && !b.value.starts_with(&format!("{cu}."))
                {
                    let reason = format!(
                        "ExSetup.exe is {} ({}) but Get-ExchangeServer reports {} ({}): they name \
                         different cumulative updates; the ExSetup.exe build is assessed",
                        b.value, b.source, a.value, a.source
                    );
                    self.note(NotAssessedKind::Conflict, b, reason);
                }
            }
            (Some(_), None) => {}
        }
        w.exchange = Some(info);
    }

    fn hotfixes(&mut self, w: &mut WindowsInventory) {
        let mut list: Vec<(HotFix, &'f Fact)> = Vec::new();
        for f in self.of(FactKind::HotFix) {
            let id = f.value.trim().to_ascii_uppercase();
            match list.iter_mut().find(|(h, _)| h.id == id) {
                None => list.push((
                    HotFix {
                        id,
                        description: f.detail.clone(),
                        installed_on: f.date,
                        source: Some(f.source.clone()),
                    },
                    f,
                )),
                Some((h, first)) => {
                    if let (Some(a), Some(b)) = (h.installed_on, f.date)
                        && a != b
                    {
                        let reason = format!(
                            "the inputs disagree on when {} was installed: {a} from {}, {b} from {}; \
                             {a} is used",
                            h.id, first.source, f.source
                        );
                        self.notes.push(NotAssessed::new(
                            NotAssessedKind::Conflict,
                            at(first),
                            reason,
                        ));
                    }
                    if h.installed_on.is_none() {
                        h.installed_on = f.date;
                    }
                    if h.description.is_none() {
                        h.description.clone_from(&f.detail);
                    }
                }
            }
        }
        w.hotfixes = list.into_iter().map(|(h, _)| h).collect();
    }
}

/// `Version 15.1 (Build 2308.8)` → `15.1.2308`: the cumulative update's build.
fn cu_of_admin_display_version(v: &str) -> Option<String> {
    let rest = v.trim().strip_prefix("Version ")?;
    let (major_minor, build) = rest.split_once("(Build ")?;
    let build = build.split(['.', ')']).next()?.trim();
    let mm = normalise_build(major_minor.trim())?;
    let b: u64 = build.parse().ok()?;
    Some(format!("{mm}.{b}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_display_version_cu() {
        assert_eq!(
            cu_of_admin_display_version("Version 15.1 (Build 2308.8)").as_deref(),
            Some("15.1.2308")
        );
        assert_eq!(
            cu_of_admin_display_version("Version 15.2 (Build 792.3)").as_deref(),
            Some("15.2.792")
        );
        assert_eq!(cu_of_admin_display_version("15.1.2308.8"), None);
    }
}

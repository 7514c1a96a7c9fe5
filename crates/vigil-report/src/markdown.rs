//! A Markdown report for people: what is wrong, where, how late the patch is, what was waived, and
//! — always, as the last section — what was not assessed.
//!
//! Every value that comes from outside (advisory summaries, package names, versions, asset names,
//! ignore reasons, paths) goes through [`escape_text`], so it renders as the literal text it is:
//! it cannot end a table cell, start a new row, inject HTML or form a link.

use crate::{ScanResult, days_overdue, distinct_cves, finite, primary_id, truncate};
use std::fmt::Write as _;
use vigil_model::{Finding, Severity};

/// Advisory summaries longer than this are cut in tables; the full text is in the other formats.
const MAX_SUMMARY: usize = 300;

const SEVERITIES: [Severity; 6] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::None,
    Severity::Unknown,
];

/// Escapes untrusted text for a Markdown table cell or heading: see [`vigil_model::text::markdown`].
pub fn escape_text(s: &str) -> String {
    vigil_model::text::markdown(s)
}

fn title(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::None => "None",
        Severity::Unknown => "Unrated",
    }
}

fn or_dash(s: String) -> String {
    if s.is_empty() { "—".into() } else { s }
}

pub fn render(scan: &ScanResult) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# vigil scan report\n");
    let _ = writeln!(
        md,
        "Generated {} by vigil {}; deadlines measured on {}.\n",
        scan.generated_at,
        escape_text(scan.tool_version),
        scan.today
    );
    summary(&mut md, scan);
    for asset in scan.asset_names() {
        asset_section(&mut md, scan, asset);
    }
    ignored_section(&mut md, scan);
    not_assessed_section(&mut md, scan);
    md
}

fn summary(md: &mut String, scan: &ScanResult) {
    let _ = writeln!(md, "## Summary\n");
    let _ = writeln!(
        md,
        "| Severity | Open findings | Overdue |\n|---|---:|---:|"
    );
    for s in SEVERITIES {
        let of_sev: Vec<&Finding> = scan.findings.iter().filter(|f| f.severity == s).collect();
        let overdue = of_sev
            .iter()
            .filter(|f| days_overdue(f, scan.today).is_some_and(|d| d > 0))
            .count();
        let _ = writeln!(md, "| {} | {} | {} |", title(s), of_sev.len(), overdue);
    }
    let _ = writeln!(
        md,
        "| **Total** | **{}** | **{}** |\n",
        scan.findings.len(),
        scan.overdue_count()
    );
    let kev = scan.findings.iter().filter(|f| f.known_exploited).count();
    let _ = writeln!(
        md,
        "Known exploited (CISA KEV): {kev}. Ignored: {}. Not assessed: {}.\n",
        scan.ignored.len(),
        scan.not_assessed.len()
    );
}

fn asset_section(md: &mut String, scan: &ScanResult, asset: &str) {
    let _ = write!(md, "## Asset: {}", escape_text(asset));
    if let Some(a) = scan.assets.iter().find(|a| a.name == asset)
        && !a.tags.is_empty()
    {
        let tags: Vec<String> = a.tags.iter().map(|t| escape_text(t)).collect();
        let _ = write!(md, " (tags: {})", tags.join(", "));
    }
    let _ = writeln!(md, "\n");
    let mut findings: Vec<&Finding> = scan.findings.iter().filter(|f| f.asset == asset).collect();
    if findings.is_empty() {
        let _ = writeln!(md, "No open findings on this asset.\n");
        return;
    }
    // Most overdue first within a severity, then by advisory id for a stable order.
    findings.sort_by(|a, b| {
        let da = days_overdue(a, scan.today).unwrap_or(i64::MIN);
        let db = days_overdue(b, scan.today).unwrap_or(i64::MIN);
        db.cmp(&da).then_with(|| primary_id(a).cmp(primary_id(b)))
    });
    for s in SEVERITIES {
        let rows: Vec<&&Finding> = findings.iter().filter(|f| f.severity == s).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(md, "### {} ({})\n", title(s), rows.len());
        let _ = writeln!(
            md,
            "| Advisory | Package | Installed | Fixed | Fix released | Due | Days overdue \
             | KEV / EPSS |\n|---|---|---|---|---|---|---:|---|"
        );
        for f in rows {
            let _ = writeln!(md, "{}", row(f, scan));
        }
        let _ = writeln!(md);
    }
}

fn advisory_cell(f: &Finding) -> String {
    let id = primary_id(f);
    let mut cell = format!("**{}**", escape_text(id));
    let others: Vec<String> = distinct_cves(f)
        .into_iter()
        .filter(|c| *c != id)
        .map(escape_text)
        .collect();
    if !others.is_empty() {
        let _ = write!(cell, " ({})", others.join(", "));
    }
    if let Some(s) = f
        .summary
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let _ = write!(cell, "<br>{}", escape_text(&truncate(s, MAX_SUMMARY)));
    }
    cell
}

fn package_cell(f: &Finding) -> String {
    let p = &f.package;
    let mut cell = format!(
        "{} ({})",
        escape_text(&p.name),
        escape_text(p.ecosystem.as_str())
    );
    if !p.location.file.is_empty() {
        let mut at = p.location.file.clone();
        if let Some(line) = p.location.line {
            let _ = write!(at, ":{line}");
        }
        let _ = write!(cell, "<br>{}", escape_text(&at));
    }
    cell
}

fn row(f: &Finding, scan: &ScanResult) -> String {
    let fixed = match (&f.kb, f.fixed_versions.is_empty()) {
        (Some(kb), true) => format!("KB{}", escape_text(kb)),
        (Some(kb), false) => format!(
            "KB{} ({})",
            escape_text(kb),
            escape_text(&f.fixed_versions.join(", "))
        ),
        (None, false) => escape_text(&f.fixed_versions.join(", ")),
        (None, true) => "no fix".into(),
    };
    let overdue = match days_overdue(f, scan.today) {
        Some(d) if d > 0 => format!("**{d}**"),
        Some(d) => format!("due in {}", -d),
        None => "—".into(),
    };
    let mut kev = Vec::new();
    if f.known_exploited {
        match f.kev_due {
            Some(d) => kev.push(format!("KEV (due {d})")),
            None => kev.push("KEV".into()),
        }
    }
    if let Some(e) = finite(f.epss).filter(|e| (0.0..=1.0).contains(e)) {
        kev.push(format!("EPSS {:.1}%", e * 100.0));
    }
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} |",
        advisory_cell(f),
        package_cell(f),
        or_dash(escape_text(&f.package.version)),
        fixed,
        f.fix_released.map_or("—".into(), |d| d.to_string()),
        f.due.map_or("—".into(), |d| d.to_string()),
        overdue,
        or_dash(kev.join(", ")),
    )
}

fn ignored_section(md: &mut String, scan: &ScanResult) {
    let _ = writeln!(md, "## Ignored findings\n");
    if scan.ignored.is_empty() {
        let _ = writeln!(md, "None.\n");
        return;
    }
    let _ = writeln!(
        md,
        "These findings are waived by configuration. vigil has not verified the reasons; \
         review them regularly.\n"
    );
    let _ = writeln!(
        md,
        "| Asset | Advisory | Package | Installed | Severity | Reason |\n|---|---|---|---|---|---|"
    );
    for (f, reason) in scan.ignored {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            escape_text(&f.asset),
            advisory_cell(f),
            package_cell(f),
            or_dash(escape_text(&f.package.version)),
            title(f.severity),
            or_dash(escape_text(reason)),
        );
    }
    let _ = writeln!(md);
}

fn not_assessed_section(md: &mut String, scan: &ScanResult) {
    let _ = writeln!(md, "## Not assessed\n");
    if scan.not_assessed.is_empty() {
        let _ = writeln!(md, "Everything was assessed.");
        return;
    }
    let _ = writeln!(
        md,
        "**{} input(s) were NOT checked.** The absence of findings for them says nothing \
         about their safety.\n",
        scan.not_assessed.len()
    );
    let _ = writeln!(md, "| What | Why |\n|---|---|");
    for n in scan.not_assessed {
        let _ = writeln!(
            md,
            "| {} | {} |",
            or_dash(escape_text(&n.location)),
            or_dash(escape_text(&n.reason))
        );
    }
}

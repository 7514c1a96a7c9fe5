//! Terminal text shared by several commands: clipped cells, remedial-action lines and investigated
//! cases; the service section of `vigil status` (`health`). (The audit's report folder is
//! `vigil_report::audit_folder`.)

pub mod health;

use jiff::civil::Date;
use vigil_pipeline::investigate::CaseSummary;
use vigil_store::RemedialAction;

/// An age in its largest sensible unit: `45s`, `12m`, `30h`, `3d`.
pub fn human_age(d: jiff::SignedDuration) -> String {
    let secs = d.as_secs().max(0);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// Text cut to `max` characters (control characters shown as spaces), marking the cut.
pub fn clip(s: &str, max: usize) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() <= max {
        clean
    } else {
        let mut out: String = clean.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// One action on one line: id, status, due (and how overdue), owner, text.
pub fn action_line(a: &RemedialAction, today: Date) -> String {
    let due = match (a.due, a.days_overdue(today)) {
        (Some(d), Some(n)) if n > 0 => format!("due {d} ({n} days overdue)"),
        (Some(d), _) => format!("due {d}"),
        (None, _) => "no due date".into(),
    };
    format!(
        "{:>4}  {:<4}  {:<32}  {:<20}  {}{}",
        a.id,
        a.status.as_str(),
        due,
        clip(a.owner.as_deref().unwrap_or("-"), 20),
        clip(&a.action, 100),
        a.incident
            .as_deref()
            .map(|i| format!("  [{}]", clip(i, 40)))
            .unwrap_or_default()
    )
}

/// The terminal text of one case: entry point, missing fixes with days overdue, dwell time, deadline.
pub fn case_text(c: &CaseSummary) -> String {
    use vigil_investigate::time::{format_duration, format_ts};
    let i = c;
    let mut o = format!(
        "{}  {}  {} → {}  {} detections, highest {}\n",
        clip(&i.id, 80),
        clip(i.asset.as_deref().unwrap_or("-"), 40),
        format_ts(i.first_seen),
        format_ts(i.last_seen),
        i.detections,
        i.highest_level
    );
    if !i.tactics.is_empty() {
        let t: Vec<&str> = i.tactics.iter().map(|t| t.label()).collect();
        o.push_str(&format!("  tactics:      {}\n", t.join(" → ")));
    }
    if i.waves.len() > 1 {
        for w in &i.waves {
            o.push_str(&format!(
                "  wave {}:       {} → {}  {} detection(s){}\n",
                w.number,
                format_ts(w.start),
                format_ts(w.end),
                w.detections,
                w.link_text()
                    .map_or(String::new(), |l| format!("; {}", clip(&l, 200)))
            ));
        }
    }
    o.push_str(&format!(
        "  entry point:  {}\n",
        clip(&c.root_cause.entry_point.claim, 200)
    ));
    let fixes = c.root_cause.missing_fixes();
    if fixes.is_empty() {
        for l in c
            .root_cause
            .exploited
            .iter()
            .filter(|x| x.at_entry)
            .flat_map(|x| x.links.iter())
        {
            o.push_str(&format!("  root cause:   {}\n", clip(&l.claim, 600)));
        }
    }
    for f in fixes {
        let name =
            f.kb.as_deref()
                .map(|k| format!("KB{}", k.trim_start_matches("KB")))
                .or_else(|| f.advisories.first().cloned())
                .unwrap_or_default();
        let overdue = match f.days_overdue {
            Some(n) if n > 0 => format!("{n} days overdue"),
            Some(n) => format!("within its deadline ({} days left)", -n),
            None => "no deadline known".into(),
        };
        o.push_str(&format!(
            "  root cause:   {name} missing ({} {}): released {}, due {}, {overdue} at the entry point\n",
            clip(&f.package, 60),
            clip(&f.version, 40),
            f.fix_released.map_or("?".into(), |d| d.to_string()),
            f.due.map_or("?".into(), |d| d.to_string()),
        ));
    }
    for l in c
        .root_cause
        .support
        .iter()
        .chain(&c.root_cause.consistent_with)
    {
        o.push_str(&format!("  note:         {}\n", clip(&l.claim, 320)));
    }
    for b in &c.mailboxes_taken {
        o.push_str(&format!(
            "  mailbox taken: {}{}\n",
            clip(&b.mailbox, 120),
            if b.how.is_empty() {
                String::new()
            } else {
                format!(" ({})", clip(&b.how.join("; "), 200))
            }
        ));
    }
    for p in &c.phishing {
        o.push_str(&format!("  phishing:     {}\n", clip(&p.sentence(), 300)));
    }
    let d = &c.dwell;
    match d.to_awareness {
        Some(t) => o.push_str(&format!(
            "  dwell time:   {} (first malicious event {} → awareness {})\n",
            format_duration(t),
            format_ts(d.first_malicious),
            d.aware_at.map(format_ts).unwrap_or_default()
        )),
        None => o.push_str(&format!(
            "  dwell time:   unknown: no awareness time (give --incident incident.toml); first event {}\n",
            format_ts(d.first_malicious)
        )),
    }
    if let Some(dl) = d.notification_deadline {
        o.push_str(&format!(
            "  notify by:    {} (72 hours after awareness)\n",
            format_ts(dl)
        ));
    }
    o.push('\n');
    o
}

//! `vigil coverage --format html`: one self-contained page with the asset's ATT&CK techniques as a
//! grid, one column per tactic, each tile coloured by its state (rules can fire / blind / no rule),
//! and beneath it the gaps that blind rules with their fixes. Everything from the logs and rules is
//! escaped; the page loads nothing from outside (a Content-Security-Policy says so to the browser).

use crate::html::escape;
use std::fmt::Write as _;
use vigil_coverage::{Assessment, State, TechniqueCoverage};

/// Characters of any one text shown (rule titles, evidence) before it is cut.
const MAX_TEXT: usize = 600;

const STYLE: &str = r#"
:root{--covered:#2e7d32;--blind:#c62828;--none:#8a94a0;--ink:#1d232b;--muted:#5d6773;--line:#dde1e6;--bg:#f6f7f9}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
header{background:#1f2a37;color:#fff;padding:22px 32px}header h1{margin:0;font-size:24px;font-weight:600}
header p{margin:4px 0 0;color:#c9d1db}
main{padding:8px 32px 40px;max-width:1600px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:18px 0}
section h2{margin:0 0 12px;font-size:19px}
.legend span{display:inline-block;margin-right:18px;font-size:13px}
.legend i{display:inline-block;width:14px;height:14px;border-radius:3px;vertical-align:-2px;margin-right:6px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px}
.tactic h3{margin:0 0 8px;font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.tile{border-radius:6px;padding:8px 10px;margin:0 0 8px;color:#fff}
.tile .id{font-weight:700;font-size:13px}.tile .name{font-size:13px}
.tile .count{font-size:12px;opacity:.92;margin-top:2px}
.tile.covered,.legend .covered{background:var(--covered)}.tile.blind,.legend .blind{background:var(--blind)}
.tile.no_rule,.legend .no_rule{background:var(--none)}
.tile.gapped,.legend .gapped{box-shadow:inset 0 0 0 4px #f0b429}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:8px}.tiles .tile{margin:0}
.tile details{font-size:12px;margin-top:4px}.tile summary{cursor:pointer}
.tile ul{margin:4px 0;padding-left:16px}
.gap{border-left:6px solid var(--blind);background:#fdf1f0;padding:10px 14px;margin:10px 0;border-radius:4px}
.gap .why{color:var(--muted);font-size:13px}.gap ol{margin:6px 0}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;overflow-wrap:anywhere}
.empty{color:var(--muted);font-style:italic}
"#;

fn text(s: &str) -> String {
    escape(&crate::truncate(s, MAX_TEXT))
}

fn state_class(s: State) -> &'static str {
    match s {
        State::Covered => "covered",
        State::Blind => "blind",
        State::NoRule => "no_rule",
    }
}

/// Renders the coverage page.
pub fn render(a: &Assessment) -> String {
    let mut o = String::new();
    let asset = a.asset.as_deref().unwrap_or("the asset given");
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>ATT&amp;CK coverage – {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header><h1>What vigil can see on {}</h1><p>{} events read; {} of {} rules can fire; {} gaps</p></header>\n<main>\n",
        text(asset),
        text(asset),
        a.profile.events,
        a.rules_firing,
        a.rules,
        a.gaps.len()
    );
    if a.is_empty() {
        o.push_str(
            "<section><h2>Nothing to assess</h2><p class=\"empty\">No log event was read from the \
             inputs given: nothing can be said of what this asset's logs show.</p></section>\n",
        );
    }
    grid(&mut o, &a.coverage);
    gaps(&mut o, a);
    o.push_str("</main>\n</body>\n</html>\n");
    o
}

fn grid(o: &mut String, rows: &[TechniqueCoverage]) {
    o.push_str(
        "<section id=\"grid\"><h2>ATT&amp;CK techniques</h2>\n<p class=\"legend\">\
         <span><i class=\"covered\"></i>rules can fire</span>\
         <span><i class=\"blind\"></i>rules exist, blind (source or field missing)</span>\
         <span><i class=\"no_rule\"></i>no rule</span>\
         <span><i class=\"covered gapped\"></i>some of its rules blinded by a gap below</span></p>\n\
         <div class=\"grid\">\n",
    );
    // Tactic columns in the order the mail-server list names them.
    let mut tactics: Vec<&str> = Vec::new();
    for r in rows {
        if let Some(t) = r.tactic.as_deref()
            && !tactics.contains(&t)
        {
            tactics.push(t);
        }
    }
    for tactic in tactics {
        let _ = writeln!(
            o,
            "<div class=\"tactic\"><h3>{}</h3>",
            text(&tactic.replace('-', " "))
        );
        for r in rows.iter().filter(|r| r.tactic.as_deref() == Some(tactic)) {
            tile(o, r);
        }
        o.push_str("</div>\n");
    }
    o.push_str("</div></section>\n");
    // Techniques only the rules on the asset's sources name: a grid of their own.
    let others: Vec<&TechniqueCoverage> = rows.iter().filter(|r| r.tactic.is_none()).collect();
    if !others.is_empty() {
        o.push_str(
            "<section id=\"others\"><h2>Other techniques the rules on these sources name</h2>\n\
             <div class=\"tiles\">\n",
        );
        for r in others {
            tile(o, r);
        }
        o.push_str("</div></section>\n");
    }
}

fn tile(o: &mut String, r: &TechniqueCoverage) {
    let _ = write!(
        o,
        "<div class=\"tile {}{}\" data-technique=\"{}\" data-state=\"{}\" title=\"{}\">\
         <div class=\"id\">{}</div><div class=\"name\">{}</div>\
         <div class=\"count\">{}: {} firing, {} blind</div>",
        state_class(r.state),
        if r.blinded_by.is_empty() {
            ""
        } else {
            " gapped"
        },
        text(&r.id),
        state_class(r.state),
        text(r.state.label()),
        text(&r.id),
        text(r.name.as_deref().unwrap_or("")),
        text(r.state.label()),
        r.firing,
        r.blind
    );
    if !r.firing_titles.is_empty() || !r.blind_titles.is_empty() {
        o.push_str("<details><summary>rules</summary><ul>");
        for t in &r.firing_titles {
            let _ = write!(o, "<li>{}</li>", text(t));
        }
        for t in &r.blind_titles {
            let _ = write!(o, "<li>blind: {}</li>", text(t));
        }
        if !r.blinded_by.is_empty() {
            let _ = write!(o, "<li>blinded by: {}</li>", text(&r.blinded_by.join(", ")));
        }
        o.push_str("</ul></details>");
    }
    o.push_str("</div>\n");
}

fn gaps(o: &mut String, a: &Assessment) {
    o.push_str("<section id=\"gaps\"><h2>Why rules are blind, and the fix</h2>\n");
    if a.gaps.is_empty() {
        o.push_str("<p class=\"empty\">No gap found in what was given.</p>\n");
    }
    for g in &a.gaps {
        let _ = write!(
            o,
            "<div class=\"gap\" data-gap=\"{}\"><strong>{}</strong><div class=\"why\">{} — {} rules blind{}</div>",
            text(g.id),
            text(&g.title),
            text(&g.evidence),
            g.blind.len(),
            if g.techniques.is_empty() {
                String::new()
            } else {
                format!(" ({})", text(&g.techniques.join(", ")))
            }
        );
        if let Some(fix) = &g.fix {
            let _ = write!(o, "<div>Fix: {}</div><ol>", text(fix.summary));
            for s in fix.steps {
                let _ = write!(o, "<li><code>{}</code></li>", text(s));
            }
            let _ = write!(o, "</ol><div class=\"why\">{}</div>", text(fix.source));
        }
        o.push_str("</div>\n");
    }
    o.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_coverage::Profile;

    #[test]
    fn rule_titles_and_ids_from_the_rules_are_escaped() {
        let a = Assessment {
            asset: Some("mx1".into()),
            inventory: Vec::new(),
            ignored: Vec::new(),
            profile: Profile::default(),
            gaps: Vec::new(),
            coverage: vec![TechniqueCoverage {
                id: "T1\"><img src=x>".into(),
                name: None,
                tactic: None,
                mail_server: false,
                state: State::Blind,
                firing: 0,
                firing_titles: Vec::new(),
                blind: 1,
                blind_titles: vec!["<script>x()</script>".into()],
                blinded_by: vec!["windows-sysmon".into()],
            }],
            rules: 1,
            rules_firing: 0,
        };
        let html = render(&a);
        assert!(!html.contains("<script>x()"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;script&gt;x()&lt;/script&gt;"));
        assert!(html.contains("Nothing to assess"));
        assert!(html.contains("class=\"tile blind gapped\""));
    }
}

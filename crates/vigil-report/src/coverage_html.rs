//! `vigil coverage --format html`: one self-contained page with the asset's ATT&CK techniques as a
//! grid, one column per tactic, each tile coloured by its state (rules can fire / blind / no rule),
//! and beneath it the gaps that blind rules with their fixes. Everything from the logs and rules is
//! escaped; the page loads nothing from outside (a Content-Security-Policy says so to the browser).

use askama::Template;
use vigil_coverage::{Assessment, State, TechniqueCoverage};

/// Characters of any one text shown (rule titles, evidence) before it is cut.
const MAX_TEXT: usize = 600;

fn text(s: &str) -> String {
    crate::for_template(s, MAX_TEXT)
}

fn state_class(s: State) -> &'static str {
    match s {
        State::Covered => "covered",
        State::Blind => "blind",
        State::NoRule => "no_rule",
    }
}

struct Tile {
    id: String,
    name: String,
    class: &'static str,
    label: String,
    gapped: bool,
    firing: usize,
    blind: usize,
    firing_titles: Vec<String>,
    blind_titles: Vec<String>,
    blinded_by: String,
}

impl Tile {
    fn of(r: &TechniqueCoverage) -> Tile {
        Tile {
            id: text(&r.id),
            name: text(r.name.as_deref().unwrap_or("")),
            class: state_class(r.state),
            label: text(r.state.label()),
            gapped: !r.blinded_by.is_empty(),
            firing: r.firing,
            blind: r.blind,
            firing_titles: r.firing_titles.iter().map(|t| text(t)).collect(),
            blind_titles: r.blind_titles.iter().map(|t| text(t)).collect(),
            blinded_by: text(&r.blinded_by.join(", ")),
        }
    }
}

struct FixView {
    summary: String,
    steps: Vec<String>,
    source: String,
}

struct GapView {
    id: String,
    title: String,
    evidence: String,
    blind: usize,
    techniques: String,
    fix: Option<FixView>,
}

/// The page; every value is escaped by the template (askama escapes HTML by default).
#[derive(Template)]
#[template(path = "coverage.html")]
struct CoveragePage {
    /// vigil's shared stylesheet (a constant, not input: written as is).
    stylesheet: &'static str,
    asset: String,
    events: u64,
    rules_firing: usize,
    rules: usize,
    empty: bool,
    tactics: Vec<(String, Vec<Tile>)>,
    others: Vec<Tile>,
    gaps: Vec<GapView>,
}

/// Renders the coverage page.
pub fn render(a: &Assessment) -> String {
    // Tactic columns in the order the mail-server list names them.
    let mut tactics: Vec<(String, Vec<Tile>)> = Vec::new();
    for r in &a.coverage {
        let Some(t) = r.tactic.as_deref() else {
            continue;
        };
        let title = text(&t.replace('-', " "));
        match tactics.iter_mut().find(|(name, _)| *name == title) {
            Some((_, tiles)) => tiles.push(Tile::of(r)),
            None => tactics.push((title, vec![Tile::of(r)])),
        }
    }
    let page = CoveragePage {
        stylesheet: crate::STYLESHEET,
        asset: text(a.asset.as_deref().unwrap_or("the asset given")),
        events: a.profile.events,
        rules_firing: a.rules_firing,
        rules: a.rules,
        empty: a.is_empty(),
        tactics,
        // Techniques only the rules on the asset's sources name: a grid of their own.
        others: a
            .coverage
            .iter()
            .filter(|r| r.tactic.is_none())
            .map(Tile::of)
            .collect(),
        gaps: a
            .gaps
            .iter()
            .map(|g| GapView {
                id: text(g.id),
                title: text(&g.title),
                evidence: text(&g.evidence),
                blind: g.blind.len(),
                techniques: text(&g.techniques.join(", ")),
                fix: g.fix.as_ref().map(|f| FixView {
                    summary: text(f.summary),
                    steps: f.steps.iter().map(|s| text(s)).collect(),
                    source: text(f.source),
                }),
            })
            .collect(),
    };
    // A template with no fallible filter renders without error; an error is reported in the page
    // rather than panicking.
    page.render().unwrap_or_else(|e| {
        format!(
            "<!DOCTYPE html><html lang=\"en\"><body><p>The coverage page could not be rendered: {}</p></body></html>\n",
            crate::html::escape(&e.to_string())
        )
    })
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
        let mut a = a;
        a.gaps.push(vigil_coverage::Gap {
            id: "sysmon",
            title: "<b onmouseover=x>no Sysmon</b>".into(),
            evidence: "'\"><svg onload=x>".into(),
            blind: Vec::new(),
            techniques: vec!["T1505.003<i>".into()],
            fix: None,
        });
        let html = render(&a);
        assert!(html.contains(crate::STYLESHEET), "vigil's one look");
        // Every field from rules and logs goes through the template's escaping: none is `|safe`.
        assert!(
            !html.contains("<b onmouseover") && !html.contains("<svg") && !html.contains("<i>")
        );
        assert!(
            html.contains("&#60;b onmouseover=x&#62;no Sysmon&#60;/b&#62;"),
            "{html}"
        );
        assert!(!html.contains("<script>x()"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&#60;script&#62;x()&#60;/script&#62;"));
        assert!(html.contains("Nothing to assess"));
        assert!(html.contains("class=\"tile blind gapped\""));
    }
}

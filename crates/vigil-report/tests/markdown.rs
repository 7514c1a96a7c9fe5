mod common;

use common::*;
use vigil_report::markdown;

/// The cells of a table row, split on the pipes a GFM renderer would split on (unescaped ones).
fn cells(row: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut escaped = false;
    for c in row.chars() {
        match c {
            '|' if !escaped => out.push(String::new()),
            c => {
                if let Some(last) = out.last_mut() {
                    last.push(c);
                }
            }
        }
        escaped = c == '\\' && !escaped;
    }
    // A row starts and ends with a pipe: drop the empty outer pieces.
    out.remove(0);
    out.pop();
    out.into_iter().map(|s| s.trim().to_string()).collect()
}

fn section<'a>(md: &'a str, heading: &str) -> &'a str {
    let start = md.find(heading).unwrap_or_else(|| panic!("no {heading}"));
    let rest = &md[start + heading.len()..];
    let end = rest.find("\n## ").map_or(rest.len(), |e| e);
    &rest[..end]
}

#[test]
fn summary_counts_by_severity_and_overdue() {
    let fx = fixture();
    let md = markdown::render(&fx.scan());
    let s = section(&md, "## Summary");
    assert!(s.contains("| Critical | 1 | 1 |"), "{s}");
    assert!(s.contains("| High | 1 | 1 |"), "{s}");
    assert!(s.contains("| Medium | 1 | 0 |"), "{s}");
    assert!(s.contains("| Low | 0 | 0 |"), "{s}");
    assert!(s.contains("| **Total** | **3** | **2** |"), "{s}");
    assert!(
        s.contains("Known exploited (CISA KEV): 1. Ignored: 2. Not assessed: 2."),
        "{s}"
    );
}

#[test]
fn per_asset_tables_grouped_by_severity() {
    let fx = fixture();
    let md = markdown::render(&fx.scan());
    let mail = section(&md, "## Asset: MAIL01");
    assert!(mail.starts_with(" (tags: mail, internet-facing)"), "{mail}");
    assert!(mail.contains("### Critical (1)"));
    let row = mail.lines().find(|l| l.contains("KB5001779")).unwrap();
    let c = cells(row);
    assert_eq!(c.len(), 8, "{row}");
    assert!(
        c[0].starts_with("**KB5001779** (CVE-2021-34473, CVE-2021-34523"),
        "{}",
        c[0]
    );
    assert!(c[0].contains("CVE-2021-33766"));
    assert_eq!(
        c[1],
        "Exchange Server 2019 (Microsoft)<br>inventory/MAIL01-exchange.json"
    );
    assert_eq!(c[2], "15.2.792.3");
    assert_eq!(c[3], "KB5001779 (15.2.792.13)");
    assert_eq!(c[4], "2021-04-13");
    assert_eq!(c[5], "2021-04-27");
    assert_eq!(c[6], "**108**");
    assert_eq!(c[7], "KEV (due 2021-11-17), EPSS 97.5%");

    let web = section(&md, "## Asset: web01");
    let high = web.find("### High (1)").unwrap();
    let medium = web.find("### Medium (1)").unwrap();
    assert!(high < medium, "more severe first");
    let jinja = cells(web.lines().find(|l| l.contains("GHSA-462w")).unwrap());
    assert!(jinja[1].ends_with("app/requirements.txt:7"), "{}", jinja[1]);
    assert_eq!(jinja[3], "2.10.1");
    assert_eq!(jinja[7], "EPSS 1.3%");
    let urllib3 = cells(web.lines().find(|l| l.contains("urllib3")).unwrap());
    assert_eq!(urllib3[6], "due in 19");
    assert_eq!(urllib3[7], "—");
}

#[test]
fn hostile_summary_cannot_break_the_table_or_inject_html() {
    let fx = fixture();
    let md = markdown::render(&fx.scan());
    assert!(!md.contains("<script>"), "raw HTML leaked");
    assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        !md.contains("[click](javascript"),
        "link syntax must be escaped"
    );
    assert!(md.contains("\\[click\\](javascript:alert(1))"));
    // The hostile text stays in one row of the right width; no line of it starts a row.
    let rows: Vec<&str> = md.lines().filter(|l| l.contains("urllib3")).collect();
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let c = cells(rows[0]);
    assert_eq!(c.len(), 8, "{}", rows[0]);
    assert!(
        c[0].contains("CRLF injection &#124; in \\`putrequest\\` &#124; x &#124; y &#124;"),
        "{}",
        c[0]
    );
    assert!(!md.lines().any(|l| l.starts_with("| x |")));
    // Every table row has the column count of its table.
    for block in md.split("\n\n") {
        let lines: Vec<&str> = block.lines().filter(|l| l.starts_with('|')).collect();
        if let Some(first) = lines.first() {
            let width = cells(first).len();
            for l in &lines {
                assert_eq!(cells(l).len(), width, "ragged row: {l}");
            }
        }
    }
}

#[test]
fn escape_text_handles_every_breaking_character() {
    assert_eq!(markdown::escape_text("a|b"), "a&#124;b");
    assert_eq!(markdown::escape_text("a\\|b"), "a\\\\&#124;b");
    assert_eq!(
        markdown::escape_text("l1\nl2\r\nl3\u{2028}l4"),
        "l1 l2  l3 l4"
    );
    assert_eq!(
        markdown::escape_text("<img src=x onerror=alert(1)>"),
        "&lt;img src=x onerror=alert(1)&gt;"
    );
    assert_eq!(
        markdown::escape_text("**bold** _it_ `code` ~~s~~ $x$"),
        "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~ \\$x\\$"
    );
    assert_eq!(markdown::escape_text("&amp;"), "&amp;amp;");
    assert_eq!(markdown::escape_text("a\u{0}b\u{1b}[31m"), "a b \\[31m");
}

#[test]
fn ignored_findings_are_listed_with_escaped_reasons() {
    let fx = fixture();
    let md = markdown::render(&fx.scan());
    let ig = section(&md, "## Ignored findings");
    let row = ig.lines().find(|l| l.contains("requests")).unwrap();
    let c = cells(row);
    assert_eq!(c.len(), 6);
    assert_eq!(c[0], "web01");
    assert_eq!(c[4], "High");
    assert_eq!(
        c[5],
        "code\\_not\\_reachable: the app never follows redirects to plain HTTP &#124; see SEC-12"
    );
    assert!(ig.contains("Accepted until the Q3 maintenance window"));
    // Ignored findings do not count as open.
    assert!(!section(&md, "## Asset: web01").contains("requests"));
}

#[test]
fn not_assessed_is_always_the_last_section() {
    let fx = fixture();
    let md = markdown::render(&fx.scan());
    let last = md.rfind("\n## ").unwrap();
    assert!(md[last..].starts_with("\n## Not assessed"));
    let na = section(&md, "## Not assessed");
    assert!(na.contains("**2 input(s) were NOT checked.**"));
    assert!(
        na.contains(
            "| /srv/app/frontend/yarn.lock | yarn.lock format v8 (Yarn Berry) is not supported |"
        ),
        "{na}"
    );
    assert!(na.contains("| FILESRV02 | host did not answer"));
    assert!(!md.contains("Everything was assessed"));

    let mut clean = fixture();
    clean.not_assessed.clear();
    let md = markdown::render(&clean.scan());
    assert!(
        md.trim_end()
            .ends_with("## Not assessed\n\nEverything was assessed.")
    );

    // Even an empty scan says what it did and did not check.
    let mut empty = fixture();
    empty.findings.clear();
    empty.ignored.clear();
    let md = markdown::render(&empty.scan());
    assert!(md.contains("No open findings on this asset."));
    assert!(md.contains("## Not assessed"));
    assert!(md.contains("NOT checked"));
}

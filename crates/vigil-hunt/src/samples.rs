//! Rule tests: each rule that has a positive and a negative sample log, named in a manifest
//! (`tests/manifest.yml` beside the rules), must fire on the positive sample (as often as the
//! manifest says) and stay silent on the negative one, through the path `vigil hunt` takes (format
//! sniffing, reader, field mappings, engine, correlator). `vigil rules verify` runs them, and
//! `vigil serve` runs a site's own rule tests at every start, so that a rule or mapping change that
//! blinds a rule is seen before the service is trusted with it.
//!
//! ```yaml
//! samples:
//! - rule: lnx_dovecot_auth_failed          # rules/<rule>.yml
//!   positive: lnx_dovecot_auth_failed.positive.log   # beside the manifest
//!   negative: lnx_dovecot_auth_failed.negative.log
//!   format: syslog                          # optional: the reader the samples must be read with
//!   positive_matches: 2                     # optional: exactly this many detections (else: at least one)
//!   positive_records: 3                     # optional: the positive sample has this many records
//!   requires: [lnx_dovecot_auth_failed]     # optional: rule files a correlation builds on
//! ```

use crate::mapping::reader_mappings;
use crate::{HuntOptions, hunt};
use serde::Deserialize;
use std::path::{Component, Path, PathBuf};
use vigil_logs::Format;
use vigil_sigma::{Engine, LoadOptions, RuleSet, load_rules};

/// Largest manifest read.
const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// Most samples one manifest may list.
const MAX_SAMPLES: usize = 10_000;

/// A manifest of rule samples.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub samples: Vec<SampleSpec>,
}

/// One rule's samples and what they must give.
#[derive(Debug, Clone, Deserialize)]
pub struct SampleSpec {
    /// The rule file's stem (`<rules>/<rule>.yml`).
    pub rule: String,
    pub positive: String,
    pub negative: String,
    /// The reader the samples must be read with (`syslog`, `iis-w3c`, `exchange-httpproxy-csv`,
    /// `exchange-msgtrk-csv`, `windows-json`, `evtx`).
    #[serde(default)]
    pub format: Option<String>,
    /// Exactly this many detections on the positive sample; at least one when unset.
    #[serde(default)]
    pub positive_matches: Option<usize>,
    /// Records in the positive sample.
    #[serde(default)]
    pub positive_records: Option<usize>,
    /// Other rule files loaded with it (the base rules of a correlation).
    #[serde(default)]
    pub requires: Vec<String>,
}

/// Why the rule tests could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum SamplesError {
    #[error("{path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("the readers' field mappings: {0}")]
    Mappings(String),
}

/// The result of one rule's samples: passed when `failures` is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleResult {
    pub rule: String,
    pub failures: Vec<String>,
}

impl SampleResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// What hunting one sample gave.
#[derive(Debug, Clone, Default)]
pub struct SampleRun {
    /// Detections of the rule under test, each as its records' locations.
    pub hits: Vec<String>,
    pub events: u64,
    pub failed: u64,
    pub format: Option<Format>,
}

/// Reads a manifest (bounded in size and entries).
pub fn load_manifest(path: &Path) -> Result<Manifest, SamplesError> {
    let bad = |reason: String| SamplesError::Manifest {
        path: path.to_path_buf(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| bad(e.to_string()))?;
    if meta.len() > MAX_MANIFEST_BYTES {
        return Err(bad(format!("larger than {MAX_MANIFEST_BYTES} bytes")));
    }
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let manifest: Manifest = yaml_serde::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if manifest.samples.len() > MAX_SAMPLES {
        return Err(bad(format!("more than {MAX_SAMPLES} samples")));
    }
    Ok(manifest)
}

/// The manifest's format names → the reader that must read the sample.
pub fn format_named(name: &str) -> Option<Format> {
    Some(match name {
        "iis-w3c" | "w3c" => Format::W3c,
        "exchange-httpproxy-csv" | "exchange-msgtrk-csv" | "exchange-csv" => Format::ExchangeCsv,
        "windows-json" => Format::WinJson,
        "syslog" => Format::Syslog,
        "evtx" => Format::Evtx,
        _ => return None,
    })
}

/// Runs every sample of `manifest` (read from `manifest_path`) against the rule files in
/// `rules_dir`, in the manifest's order.
pub fn verify(
    rules_dir: &Path,
    manifest_path: &Path,
    manifest: &Manifest,
) -> Result<Vec<SampleResult>, SamplesError> {
    let mappings = reader_mappings().map_err(|e| SamplesError::Mappings(e.to_string()))?;
    let samples_dir = manifest_path.parent().unwrap_or(Path::new("."));
    Ok(manifest
        .samples
        .iter()
        .map(|s| SampleResult {
            rule: s.rule.clone(),
            failures: check(rules_dir, samples_dir, s, &mappings),
        })
        .collect())
}

/// A file the manifest names: a relative path that stays inside `dir`.
fn inside(dir: &Path, name: &str, what: &str) -> Result<PathBuf, String> {
    let p = Path::new(name);
    if name.is_empty() || !p.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(format!(
            "{what} {name:?}: must be a relative path inside the folder"
        ));
    }
    Ok(dir.join(p))
}

fn check(
    rules_dir: &Path,
    samples_dir: &Path,
    s: &SampleSpec,
    mappings: &vigil_sigma::Mappings,
) -> Vec<String> {
    let mut failures = Vec::new();
    let mut paths = Vec::new();
    for stem in std::iter::once(&s.rule).chain(&s.requires) {
        match inside(rules_dir, &format!("{stem}.yml"), "rule") {
            Ok(p) => paths.push(p),
            Err(e) => failures.push(e),
        }
    }
    let (positive, negative) = match (
        inside(samples_dir, &s.positive, "positive sample"),
        inside(samples_dir, &s.negative, "negative sample"),
    ) {
        (Ok(p), Ok(n)) => (p, n),
        (p, n) => {
            failures.extend(p.err());
            failures.extend(n.err());
            return failures;
        }
    };
    if !failures.is_empty() {
        return failures;
    }
    let (mut set, errors) = load_rules(&paths, &LoadOptions::default());
    crate::mapping::normalise_logsources(&mut set);
    if !errors.is_empty() {
        failures.extend(errors.iter().map(|e| format!("does not load: {e}")));
        return failures;
    }
    let Some(key) = rule_key(&set, &s.rule) else {
        failures.push("no rule loaded from the file".into());
        return failures;
    };
    let (engine, compile_errors) = Engine::compile(&set, mappings);
    if !compile_errors.is_empty() {
        failures.extend(
            compile_errors
                .iter()
                .map(|e| format!("does not compile: {e}")),
        );
        return failures;
    }
    let expected = match s.format.as_deref() {
        None => None,
        Some(name) => match format_named(name) {
            Some(f) => Some(f),
            None => {
                failures.push(format!("unknown format {name:?} in the manifest"));
                None
            }
        },
    };
    let pos = run_sample(&engine, &positive, &key);
    let neg = run_sample(&engine, &negative, &key);
    for (what, o) in [("positive", &pos), ("negative", &neg)] {
        if expected.is_some() && o.format != expected {
            failures.push(format!(
                "{what} sample read as {}, the manifest says {}",
                o.format.map_or("nothing".to_string(), |f| format!("{f:?}")),
                s.format.as_deref().unwrap_or_default()
            ));
        }
        if o.failed > 0 || o.events == 0 {
            failures.push(format!(
                "{what} sample: {} events read, {} records failed",
                o.events, o.failed
            ));
        }
    }
    if let Some(n) = s.positive_records
        && pos.events != n as u64
    {
        failures.push(format!(
            "positive sample: {} events read, the manifest says {n} records",
            pos.events
        ));
    }
    match s.positive_matches {
        Some(n) if pos.hits.len() != n => failures.push(format!(
            "positive sample: {} detections, expected {n}",
            pos.hits.len()
        )),
        None if pos.hits.is_empty() => {
            failures.push("positive sample: the rule does not fire".into());
        }
        _ => {}
    }
    if !neg.hits.is_empty() {
        failures.push(format!(
            "negative sample: the rule fires {} time(s) ({})",
            neg.hits.len(),
            neg.hits.join(", ")
        ));
    }
    failures
}

/// The key detections of the rule file `stem` carry (its first rule or correlation).
pub fn rule_key(set: &RuleSet, stem: &str) -> Option<String> {
    let file = format!("{stem}.yml");
    let origin_is = |o: &str| o.ends_with(&file) || o.contains(&format!("{file}#"));
    set.rules
        .iter()
        .map(|r| &r.meta)
        .chain(set.correlations.iter().map(|c| &c.meta))
        .find(|m| origin_is(&m.origin))
        .map(|m| m.key())
}

/// Hunts one sample file and keeps the detections of rule `key`.
pub fn run_sample(engine: &Engine, file: &Path, key: &str) -> SampleRun {
    let report = hunt(
        engine,
        &[file.to_path_buf()],
        &HuntOptions::default(),
        &|_, _| {},
    );
    SampleRun {
        hits: report
            .detections
            .iter()
            .filter(|d| d.rule_id == key)
            .map(|d| {
                d.sources
                    .iter()
                    .map(|s| format!("{:?}", s.record))
                    .collect::<Vec<_>>()
                    .join("+")
            })
            .collect(),
        events: report.events_read(),
        failed: report.records_failed(),
        format: report.files.first().and_then(|f| f.format),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = "title: SASL failure\nid: 1b0c4a52-0d9c-4d0e-9d3a-5a4f8e1c0001\nstatus: test\n\
        logsource:\n    product: linux\n    service: postfix\ndetection:\n    sel:\n        \
        message|contains: 'SASL LOGIN authentication failed'\n    condition: sel\nlevel: medium\n";

    fn folder(rule: &str, positive: &str, negative: &str) -> tempfile::TempDir {
        let d = tempfile::tempdir().expect("tempdir");
        std::fs::write(d.path().join("sasl.yml"), rule).expect("write");
        std::fs::create_dir(d.path().join("tests")).expect("mkdir");
        std::fs::write(d.path().join("tests/p.log"), positive).expect("write");
        std::fs::write(d.path().join("tests/n.log"), negative).expect("write");
        std::fs::write(
            d.path().join("tests/manifest.yml"),
            "samples:\n- rule: sasl\n  positive: p.log\n  negative: n.log\n  format: syslog\n  positive_matches: 1\n",
        )
        .expect("write");
        d
    }

    fn results(d: &Path) -> Vec<SampleResult> {
        let m = d.join("tests/manifest.yml");
        verify(d, &m, &load_manifest(&m).expect("manifest")).expect("verify")
    }

    const FAIL: &str = "2026-12-01T10:00:00+00:00 mx1 postfix/smtpd[1]: warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6\n";
    const PASS: &str =
        "2026-12-01T10:00:00+00:00 mx1 postfix/smtpd[1]: connect from unknown[192.0.2.7]\n";

    #[test]
    fn a_rule_that_fires_on_its_positive_sample_only_passes() {
        let d = folder(RULE, FAIL, PASS);
        let r = results(d.path());
        assert_eq!(r.len(), 1);
        assert!(r[0].passed(), "{:?}", r[0].failures);
    }

    #[test]
    fn a_rule_changed_so_that_it_no_longer_fires_fails_with_the_reason() {
        let d = folder(
            &RULE.replace("authentication failed", "authentication refused"),
            FAIL,
            PASS,
        );
        let r = results(d.path());
        assert!(!r[0].passed());
        assert!(
            r[0].failures.iter().any(|f| f.contains("0 detections")),
            "{:?}",
            r[0].failures
        );
    }

    #[test]
    fn a_rule_that_fires_on_its_negative_sample_fails() {
        let d = folder(RULE, FAIL, FAIL);
        let r = results(d.path());
        assert!(
            r[0].failures.iter().any(|f| f.contains("negative sample")),
            "{:?}",
            r[0].failures
        );
    }

    #[test]
    fn sample_paths_cannot_leave_the_folder() {
        let d = folder(RULE, FAIL, PASS);
        std::fs::write(
            d.path().join("tests/manifest.yml"),
            "samples:\n- rule: ../sasl\n  positive: /etc/passwd\n  negative: ../n.log\n",
        )
        .expect("write");
        let r = results(d.path());
        assert_eq!(r[0].failures.len(), 3, "{:?}", r[0].failures);
        assert!(r[0].failures.iter().all(|f| f.contains("relative path")));
    }
}

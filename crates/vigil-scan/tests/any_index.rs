//! A scan runs over any back end that implements the model's `KnowledgeIndex`, not only the SQLite
//! store: here a small in-memory index (one advisory, one source) and one whose look-ups fail.

use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};
use std::fmt;
use vigil_model::snapshots::{AssetRecord, SnapshotRecord, StoredFinding};
use vigil_model::sources::{ProductMatch, SourceState, SourceStatus, StoreStats};
use vigil_model::{
    Advisory, Asset, AssetIndex, Ecosystem, EpssScore, KevEntry, KnowledgeIndex, LookupError,
    MicrosoftFix, Package, PackageLocation,
};
use vigil_scan::posture::status;
use vigil_scan::{IgnoreFile, Policy, ScanError, ScanInput, scan};

/// An index held in memory. `fail` makes every look-up fail as a broken back end would.
struct MemoryIndex {
    advisories: Vec<Advisory>,
    fail: bool,
}

#[derive(Debug)]
struct Down;
impl fmt::Display for Down {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the knowledge server is unreachable")
    }
}
impl std::error::Error for Down {}

impl MemoryIndex {
    fn check(&self) -> Result<(), LookupError> {
        if self.fail {
            return Err(LookupError::new(Down));
        }
        Ok(())
    }
}

impl KnowledgeIndex for MemoryIndex {
    fn sources(&self) -> Result<Vec<SourceStatus>, LookupError> {
        self.check()?;
        let now = Timestamp::now();
        Ok(vec![SourceStatus {
            key: "memory".into(),
            origin: "test".into(),
            status: SourceState::Ok,
            etag: None,
            last_modified: None,
            sha256: None,
            last_attempt_at: Some(now),
            last_success_at: Some(now),
            last_error: None,
            imported: self.advisories.len() as u64,
            skipped: 0,
            withdrawn: 0,
            removed: 0,
            age: Some(SignedDuration::ZERO),
        }])
    }
    fn source(&self, key: &str) -> Result<Option<SourceStatus>, LookupError> {
        Ok(self.sources()?.into_iter().find(|s| s.key == key))
    }
    fn advisories_for(
        &self,
        ecosystem: &Ecosystem,
        name: &str,
    ) -> Result<Vec<Advisory>, LookupError> {
        self.check()?;
        Ok(self
            .advisories
            .iter()
            .filter(|a| {
                a.affected
                    .iter()
                    .any(|x| &x.package.ecosystem == ecosystem && x.package.name == name)
            })
            .cloned()
            .collect())
    }
    fn advisory(&self, id: &str) -> Result<Option<Advisory>, LookupError> {
        self.check()?;
        Ok(self.advisories.iter().find(|a| a.id == id).cloned())
    }
    fn aliases(&self, _id: &str) -> Result<Vec<String>, LookupError> {
        self.check()?;
        Ok(Vec::new())
    }
    fn advisories_for_alias(&self, _alias: &str) -> Result<Vec<Advisory>, LookupError> {
        self.check()?;
        Ok(Vec::new())
    }
    fn kev(&self, _cve: &str) -> Result<Option<KevEntry>, LookupError> {
        self.check()?;
        Ok(None)
    }
    fn epss(&self, _cve: &str) -> Result<Option<EpssScore>, LookupError> {
        self.check()?;
        Ok(None)
    }
    fn microsoft_fixes_for_cve(&self, _cve: &str) -> Result<Vec<MicrosoftFix>, LookupError> {
        self.check()?;
        Ok(Vec::new())
    }
    fn microsoft_fixes_for_kb(&self, _kb: &str) -> Result<Vec<MicrosoftFix>, LookupError> {
        self.check()?;
        Ok(Vec::new())
    }
    fn microsoft_fixes_for_product(
        &self,
        _product: &str,
        _how: ProductMatch,
    ) -> Result<Vec<MicrosoftFix>, LookupError> {
        self.check()?;
        Ok(Vec::new())
    }
    fn stats(&self) -> Result<StoreStats, LookupError> {
        self.check()?;
        Ok(StoreStats {
            advisories: self.advisories.len() as u64,
            by_ecosystem: vec![("PyPI".into(), self.advisories.len() as u64)],
            ..StoreStats::default()
        })
    }
}

impl AssetIndex for MemoryIndex {
    fn asset(&self, _name: &str) -> Result<Option<AssetRecord>, LookupError> {
        self.check()?;
        Ok(None)
    }
    fn assets(&self) -> Result<Vec<AssetRecord>, LookupError> {
        self.check()?;
        Ok(Vec::new())
    }
    fn snapshots(&self, _asset: &str) -> Result<Vec<SnapshotRecord>, LookupError> {
        self.check()?;
        Ok(Vec::new())
    }
    fn findings(&self, _asset: &str, _all: bool) -> Result<Vec<StoredFinding>, LookupError> {
        self.check()?;
        Ok(Vec::new())
    }
}

fn advisory() -> Advisory {
    serde_json::from_value(serde_json::json!({
        "id": "PYSEC-0000-1",
        "source": "osv",
        "modified": "2024-01-01T00:00:00Z",
        "published": "2024-01-01T00:00:00Z",
        "aliases": ["CVE-2024-0001"],
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": "example"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]
        }]
    }))
    .unwrap()
}

fn input() -> ScanInput {
    ScanInput {
        asset: Asset {
            name: "web1".into(),
            tags: vec![],
        },
        inputs: vec!["requirements.txt".into()],
        packages: vec![Package {
            ecosystem: Ecosystem::new("PyPI"),
            name: "example".into(),
            version: "1.0".into(),
            purl: None,
            source_name: None,
            location: PackageLocation {
                file: "requirements.txt".into(),
                line: Some(1),
            },
        }],
        host: None,
        notes: vec![],
        today: date(2024, 6, 1),
        max_age: SignedDuration::from_hours(24),
        now: Timestamp::now(),
    }
}

#[test]
fn a_scan_matches_through_an_in_memory_index() {
    let index = MemoryIndex {
        advisories: vec![advisory()],
        fail: false,
    };
    let report = scan(&index, &input(), &Policy::default(), &IgnoreFile::default()).unwrap();
    let ids: Vec<&str> = report
        .findings
        .iter()
        .flat_map(|f| f.finding.advisories.iter().map(String::as_str))
        .collect();
    assert_eq!(ids, ["PYSEC-0000-1"]);
}

#[test]
fn a_failing_back_end_fails_the_scan_with_its_own_message() {
    let index = MemoryIndex {
        advisories: vec![advisory()],
        fail: true,
    };
    let err = scan(&index, &input(), &Policy::default(), &IgnoreFile::default()).unwrap_err();
    assert!(matches!(err, ScanError::Store(_)), "{err:?}");
    assert_eq!(err.to_string(), "the knowledge server is unreachable");
    let err = status(&index, date(2024, 6, 1), &IgnoreFile::default()).unwrap_err();
    assert_eq!(err.to_string(), "the knowledge server is unreachable");
}

//! `vigil db update` end to end against a local fixture server: first fetch, conditional re-fetch, a corrupt
//! archive, a truncated download and a source that is down. The knowledge base must never be left
//! half-updated: a failed source keeps its previous data and is reported as failed.

mod support;

use std::io::Write;
use support::*;

fn osv_zip(files: &[&str]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for f in files {
            zip.start_file(format!("{f}.json"), opts).unwrap();
            zip.write_all(&read(&fixture(&format!("osv/{f}.json"))))
                .unwrap();
        }
        zip.finish().unwrap();
    }
    buf.into_inner()
}

const KEV: &str = r#"{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2021.11.03",
"dateReleased":"2021-11-03T14:00:00.0000Z","count":1,"vulnerabilities":[{"cveID":"CVE-2021-34473",
"vendorProject":"Microsoft","product":"Exchange Server","vulnerabilityName":"Microsoft Exchange Server Remote Code Execution Vulnerability",
"dateAdded":"2021-11-03","shortDescription":"ProxyShell","requiredAction":"Apply updates per vendor instructions.",
"dueDate":"2021-11-17","knownRansomwareCampaignUse":"Known","notes":""}]}"#;

fn epss_gz() -> Vec<u8> {
    let csv = "#model_version:v2023.03.01,score_date:2021-11-28T00:00:00+0000\ncve,epss,percentile\n\
               CVE-2021-34473,0.97359,0.99920\nCVE-2019-10906,0.00512,0.76000\n";
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(csv.as_bytes()).unwrap();
    enc.finish().unwrap()
}

struct Setup {
    server: FixtureServer,
    dir: tempfile::TempDir,
}

impl Setup {
    fn new(msrc_down: bool) -> Setup {
        let server = FixtureServer::start();
        let dir = tempfile::tempdir().unwrap();
        let msrc = if msrc_down {
            closed_port_url()
        } else {
            format!("{}/msrc", server.base)
        };
        let cfg = format!(
            "[sources.osv]\nurl = \"{b}/osv\"\necosystems = [\"PyPI\", \"npm\"]\n\
             [sources.kev]\nurl = \"{b}/kev.json\"\n[sources.epss]\nurl = \"{b}/epss.csv.gz\"\n\
             [sources.msrc]\nurl = \"{msrc}\"\n",
            b = server.base
        );
        std::fs::write(dir.path().join("vigil.toml"), cfg).unwrap();
        Setup { server, dir }
    }
    fn run(&self, args: &[&str]) -> std::process::Output {
        vigil(
            &self.dir.path().join("vigil.db"),
            Some(&self.dir.path().join("vigil.toml")),
            args,
        )
    }
    fn status_json(&self) -> serde_json::Value {
        let out = self.run(&["db", "status", "--json"]);
        assert!(out.status.success(), "{}", text(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn source<'a>(status: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    status["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == key)
        .unwrap_or_else(|| panic!("no source {key} in {status:#}"))
}

#[test]
fn update_conditional_refetch_and_failures() {
    let s = Setup::new(true);
    s.server.route(
        "/osv/PyPI/all.zip",
        Route::Ok {
            body: osv_zip(&["PYSEC-2019-217", "PYSEC-2014-8"]),
            etag: "\"v1\"".into(),
        },
    );
    // A corrupt archive: not a zip at all.
    s.server.route(
        "/osv/npm/all.zip",
        Route::Ok {
            body: b"PK\x03\x04this is not really a zip".to_vec(),
            etag: "\"bad\"".into(),
        },
    );
    s.server.route(
        "/kev.json",
        Route::Ok {
            body: KEV.as_bytes().to_vec(),
            etag: "\"k1\"".into(),
        },
    );
    s.server.route(
        "/epss.csv.gz",
        Route::Ok {
            body: epss_gz(),
            etag: "\"e1\"".into(),
        },
    );

    let out = s.run(&["db", "update"]);
    // npm is corrupt and MSRC is down: the update is partial (exit 3), the rest is imported.
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let st = s.status_json();
    let pypi = source(&st, "osv:PyPI");
    assert_eq!(pypi["status"], "ok");
    assert_eq!(pypi["imported"], 2);
    assert_eq!(source(&st, "osv:npm")["status"], "failed");
    assert!(
        source(&st, "msrc")["last_error"]
            .as_str()
            .unwrap()
            .contains("cannot reach")
    );
    assert_eq!(source(&st, "kev")["imported"], 1);
    assert_eq!(source(&st, "epss")["imported"], 2);
    assert_eq!(st["counts"]["kev"], 1);
    assert_eq!(st["counts"]["epss"], 2);

    // Second run: PyPI, KEV and EPSS are requested conditionally and answered 304.
    let out = s.run(&["db", "update", "--source", "osv", "--source", "kev"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("unchanged"),
        "{}",
        text(&out)
    );
    assert_eq!(
        s.server.requests("/osv/PyPI/all.zip"),
        vec![(false, 200), (true, 304)]
    );
    assert_eq!(
        s.server.requests("/kev.json"),
        vec![(false, 200), (true, 304)]
    );
    assert_eq!(
        s.server.requests("/epss.csv.gz").len(),
        1,
        "--source limits what is fetched"
    );

    // The PyPI source now serves a truncated download: the update fails, the old data stays.
    s.server.route(
        "/osv/PyPI/all.zip",
        Route::Truncated {
            body: osv_zip(&["PYSEC-2008-1"])[..40].to_vec(),
            len: 5000,
        },
    );
    let out = s.run(&["db", "update", "--source", "osv"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let st = s.status_json();
    let pypi = source(&st, "osv:PyPI");
    assert_eq!(pypi["status"], "failed");
    assert_eq!(pypi["imported"], 2, "the previous import is kept");
    assert!(
        pypi["last_error"]
            .as_str()
            .unwrap()
            .contains("PyPI/all.zip"),
        "{pypi:#}"
    );
    assert_eq!(st["counts"]["advisories"], 2);

    // A server error is a failure too, and --force ignores the validators.
    s.server.route("/kev.json", Route::Status(503));
    let out = s.run(&["db", "update", "--source", "kev", "--force"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("HTTP 503"),
        "{}",
        text(&out)
    );
    assert_eq!(
        s.status_json()["counts"]["kev"],
        1,
        "KEV data survives the failed update"
    );
}

#[test]
fn changed_source_replaces_its_previous_content() {
    let s = Setup::new(true);
    s.server.route(
        "/osv/PyPI/all.zip",
        Route::Ok {
            body: osv_zip(&["PYSEC-2019-217", "PYSEC-2014-8"]),
            etag: "\"v1\"".into(),
        },
    );
    let out = s.run(&["db", "update", "--source", "osv"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "npm is not served: {}",
        text(&out)
    );
    s.server.route(
        "/osv/PyPI/all.zip",
        Route::Ok {
            body: osv_zip(&["PYSEC-2008-1"]),
            etag: "\"v2\"".into(),
        },
    );
    s.run(&["db", "update", "--source", "osv"]);
    let st = s.status_json();
    assert_eq!(source(&st, "osv:PyPI")["imported"], 1);
    assert_eq!(
        st["counts"]["advisories"], 1,
        "advisories gone from the source are gone from the store"
    );
}

#[test]
fn status_on_an_empty_store_says_what_to_do() {
    let s = Setup::new(true);
    let out = s.run(&["db", "status"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("vigil db update"));
}

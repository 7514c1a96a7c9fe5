//! Collectors against real-format fixtures on disk.

use std::path::{Path, PathBuf};
use vigil_inventory::{Inventory, collect_file, discover, scan_root};

fn fx(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn triples(inv: &Inventory) -> Vec<(String, String, String, Option<u32>)> {
    inv.packages
        .iter()
        .map(|p| {
            (
                p.ecosystem.to_string(),
                p.name.clone(),
                p.version.clone(),
                p.location.line,
            )
        })
        .collect()
}

fn t(e: &str, n: &str, v: &str, l: Option<u32>) -> (String, String, String, Option<u32>) {
    (e.to_string(), n.to_string(), v.to_string(), l)
}

#[test]
fn cyclonedx_json_real_example() {
    let inv = collect_file(&fx("sbom/cern-lhc-vdm-editor.cdx.json")).unwrap();
    // 43 components in the BOM, plus the BOM's subject in metadata, which is not a dependency.
    assert_eq!(inv.packages.len(), 43);
    assert!(inv.not_assessed.is_empty(), "{:?}", inv.not_assessed);
    let p = inv.packages.iter().find(|p| p.name == "puppeteer").unwrap();
    assert_eq!(p.ecosystem.as_str(), "npm");
    assert_eq!(p.version, "1.19.0");
    assert_eq!(p.purl.as_deref(), Some("pkg:npm/puppeteer@1.19.0"));
    assert!(p.location.file.ends_with("cern-lhc-vdm-editor.cdx.json"));
    let line = p.location.line.unwrap();
    let text = std::fs::read_to_string(fx("sbom/cern-lhc-vdm-editor.cdx.json")).unwrap();
    let at = text.lines().nth(line as usize - 1).unwrap();
    assert!(
        at.contains("\"purl\": \"pkg:npm/puppeteer@1.19.0\""),
        "{at}"
    );
}

#[test]
fn cyclonedx_nested_components_and_distro_purls() {
    let inv = collect_file(&fx("sbom/nested-1.6.cdx.xml")).unwrap();
    assert_eq!(
        triples(&inv),
        vec![
            t(
                "Maven",
                "org.apache.logging.log4j:log4j-core",
                "2.14.1",
                Some(15)
            ),
            t("Debian:12", "libssl3", "3.0.11-1~deb12u2", Some(24)),
        ]
    );
    assert_eq!(inv.packages[1].source_name.as_deref(), Some("openssl"));
    let reasons: Vec<&str> = inv.not_assessed.iter().map(|n| n.reason.as_str()).collect();
    assert_eq!(inv.not_assessed.len(), 2, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("`debian` has no purl")));
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("`in-house-lib` has no purl"))
    );

    let inv = collect_file(&fx("sbom/nested-1.5.cdx.json")).unwrap();
    assert_eq!(
        triples(&inv),
        vec![
            t("npm", "lodash", "4.17.20", Some(13)),
            t("npm", "@acme/bundle", "1.0.0", Some(19)),
            t("npm", "minimist", "0.0.8", Some(25)),
            t("Alpine:v3.18", "busybox", "1.36.1-r2", Some(31)),
        ]
    );
    assert_eq!(inv.not_assessed.len(), 1);
    assert!(inv.not_assessed[0].reason.contains("percent-encoding"));
    assert!(
        inv.not_assessed[0]
            .location
            .ends_with("nested-1.5.cdx.json:39")
    );
}

#[test]
fn spdx_real_example() {
    let inv = collect_file(&fx("sbom/example11.spdx.json")).unwrap();
    let got = triples(&inv);
    assert!(
        got.contains(&t("crates.io", "hyper", "0.14", Some(39))),
        "{got:?}"
    );
    assert!(
        got.contains(&t("crates.io", "tokio", "1.19.2", Some(62))),
        "{got:?}"
    );
    let deb = inv
        .packages
        .iter()
        .find(|p| p.name == "libselinux1-dev")
        .unwrap();
    assert_eq!(deb.ecosystem.as_str(), "Debian");
    assert_eq!(deb.version, "3.1-3");
    assert_eq!(deb.location.line, Some(21));
    assert_eq!(inv.packages.len(), 4);
}

#[test]
fn debian_root() {
    let inv = scan_root(&fx("roots/debian12"));
    assert_eq!(inv.os.as_ref().map(|o| o.id.as_str()), Some("debian"));
    assert_eq!(
        triples(&inv),
        vec![
            t("Debian:12", "base-files", "12.4+deb12u5", Some(1)),
            t("Debian:12", "libssl3", "3.0.11-1~deb12u2", Some(24)),
            t(
                "Debian:12",
                "libpython3.11-minimal",
                "3.11.2-6+b1",
                Some(47)
            ),
        ]
    );
    let py = &inv.packages[2];
    assert_eq!(py.source_name.as_deref(), Some("python3.11"));
    assert!(
        py.purl
            .as_deref()
            .unwrap()
            .contains("upstream=python3.11%403.11.2-6")
    );
    assert!(inv.not_assessed.is_empty(), "{:?}", inv.not_assessed);
    // The same file read directly finds its root's os-release.
    let direct = collect_file(&fx("roots/debian12/var/lib/dpkg/status")).unwrap();
    assert_eq!(direct.packages, inv.packages);
}

#[test]
fn alpine_root() {
    let inv = scan_root(&fx("roots/alpine"));
    assert_eq!(
        triples(&inv),
        vec![
            t("Alpine:v3.18", "musl", "1.2.4-r2", Some(1)),
            t("Alpine:v3.18", "libcrypto3", "3.1.4-r1", Some(20)),
            t("Alpine:v3.18", "busybox", "1.36.1-r2", Some(36)),
        ]
    );
    assert_eq!(inv.packages[1].source_name.as_deref(), Some("openssl"));
}

/// `rpmdb.sqlite` as written by rpm 4.18 (`rpm --initdb` and `rpm -i --justdb` of two packages built
/// with rpmbuild), trimmed to its `Packages` table.
#[test]
fn alma_root_real_rpmdb() {
    let inv = scan_root(&fx("roots/alma9"));
    assert!(inv.not_assessed.is_empty(), "{:?}", inv.not_assessed);
    let mut got: Vec<(String, String, Option<String>)> = inv
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone(), p.source_name.clone()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "openssl-libs".into(),
                "3.0.7-24.el9".into(),
                Some("openssl".into())
            ),
            (
                "vigil-demo".into(),
                "2:1.2.3-4.el9".into(),
                Some("vigil-demo".into())
            ),
        ]
    );
    assert!(
        inv.packages
            .iter()
            .all(|p| p.ecosystem.as_str() == "AlmaLinux:9")
    );
    let ssl = inv
        .packages
        .iter()
        .find(|p| p.name == "openssl-libs")
        .unwrap();
    assert_eq!(
        ssl.purl.as_deref(),
        Some(
            "pkg:rpm/almalinux/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=almalinux-9&upstream=openssl-3.0.7-24.el9.src.rpm"
        )
    );
    assert!(ssl.location.file.ends_with("var/lib/rpm/rpmdb.sqlite"));
}

#[test]
fn corrupt_rpmdb_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rpmdb.sqlite");
    std::fs::write(&db, b"SQLite format 3\0garbage garbage garbage").unwrap();
    let e = collect_file(&db).unwrap_err();
    assert!(e.to_string().contains("rpmdb.sqlite"), "{e}");
}

#[test]
fn windows_inventory_iso_form() {
    let inv = collect_file(&fx("windows/vigil-inventory-MAIL01.json")).unwrap();
    assert_eq!(
        triples(&inv),
        vec![
            t("Microsoft", "Windows Server", "10.0.17763.1757", Some(9)),
            t("Microsoft", "Exchange Server", "15.2.792.3", Some(13)),
        ]
    );
    let w = inv.windows.unwrap();
    assert_eq!(w.computer_name.as_deref(), Some("MAIL01"));
    assert_eq!(w.collected_at.unwrap().to_string(), "2021-08-02T09:00:00Z");
    assert!(w.has_kb("KB5003435") && w.has_kb("5003646") && !w.has_kb("KB5004244"));
    assert_eq!(
        w.hotfixes[0].installed_on.unwrap().to_string(),
        "2021-05-11"
    );
    assert_eq!(w.exchange.unwrap().server_role.as_deref(), Some("Mailbox"));
}

#[test]
fn windows_inventory_powershell_51_form() {
    let inv = collect_file(&fx("windows/vigil-inventory-ps51.json")).unwrap();
    assert!(inv.not_assessed.is_empty(), "{:?}", inv.not_assessed);
    assert_eq!(
        triples(&inv),
        vec![
            t("Microsoft", "Windows Server", "10.0.14393.4402", Some(9)),
            t("Microsoft", "Exchange Server", "15.1.2176.9", Some(13)),
        ]
    );
    let w = inv.windows.unwrap();
    assert_eq!(w.collected_at.unwrap().to_string(), "2021-08-02T09:00:00Z");
    assert_eq!(w.hotfixes.len(), 1);
    assert_eq!(w.hotfixes[0].id, "KB5001779");
    assert_eq!(
        w.hotfixes[0].installed_on.unwrap().to_string(),
        "2021-04-13"
    );
}

#[test]
fn exchange_admin_display_version_alone_is_not_assessed() {
    let inv = collect_file(&fx("windows/vigil-inventory-adminonly.json")).unwrap();
    assert!(inv.packages.is_empty(), "{:?}", inv.packages);
    assert_eq!(inv.not_assessed.len(), 2, "{:?}", inv.not_assessed);
    let ex = inv
        .not_assessed
        .iter()
        .find(|n| n.reason.contains("Exchange"))
        .unwrap();
    assert!(ex.reason.contains("AdminDisplayVersion"));
    assert!(ex.location.ends_with("vigil-inventory-adminonly.json:6"));
    assert!(
        inv.not_assessed
            .iter()
            .any(|n| n.reason.contains("without UBR"))
    );
}

#[test]
fn windows_inventory_csv_form() {
    let inv = collect_file(&fx("windows/vigil-inventory-MAIL01.csv")).unwrap();
    assert_eq!(
        triples(&inv),
        vec![
            t("Microsoft", "Windows Server", "10.0.17763.1757", Some(9)),
            t("Microsoft", "Exchange Server", "15.2.792.3", Some(11)),
        ]
    );
    let w = inv.windows.unwrap();
    assert_eq!(w.kbs().collect::<Vec<_>>(), vec!["KB5003435", "KB5004244"]);
    assert_eq!(
        w.hotfixes[1].description.as_deref(),
        Some("Security Update, with a comma")
    );
    assert_eq!(
        w.hotfixes[1].installed_on.unwrap().to_string(),
        "2021-07-13"
    );
}

#[test]
fn discover_tree_with_excludes() {
    let root = fx("tree");
    let inv = discover(&root, &["vendor/".to_string()]);
    let mut got: Vec<(String, String, String, String, Option<u32>)> = inv
        .packages
        .iter()
        .map(|p| {
            let rel = Path::new(&p.location.file)
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (
                rel,
                p.ecosystem.to_string(),
                p.name.clone(),
                p.version.clone(),
                p.location.line,
            )
        })
        .collect();
    got.sort();
    let e = |f: &str, eco: &str, n: &str, v: &str, l: u32| {
        (
            f.to_string(),
            eco.to_string(),
            n.to_string(),
            v.to_string(),
            Some(l),
        )
    };
    assert_eq!(
        got,
        vec![
            e("Cargo.lock", "crates.io", "hyper", "0.14.9", 5),
            e("go/go.mod", "Go", "golang.org/x/text", "v0.3.5", 5),
            e("py/requirements.txt", "PyPI", "Django", "3.2.4", 2),
            e(
                "web/node_modules/left-pad/package-lock.json",
                "npm",
                "left-pad",
                "1.3.0",
                1
            ),
            e("web/package-lock.json", "npm", "ua-parser-js", "0.7.28", 7),
        ]
    );
    let na: Vec<String> = inv
        .not_assessed
        .iter()
        .map(|n| {
            format!(
                "{} {}",
                n.location
                    .strip_prefix(root.to_str().unwrap())
                    .unwrap_or(&n.location),
                n.reason
            )
        })
        .collect();
    assert_eq!(na.len(), 3, "{na:?}");
    assert!(
        na.iter()
            .any(|n| n.starts_with("/broken/composer.lock:4 invalid JSON")),
        "{na:?}"
    );
    assert!(
        na.iter().any(|n| n.starts_with("/go/go.mod no go.sum")),
        "{na:?}"
    );
    assert!(
        na.iter().any(|n| n.starts_with("/py/requirements.txt:3 ")),
        "{na:?}"
    );

    // Same result on a second run, and node_modules can be excluded too.
    assert_eq!(discover(&root, &["vendor/".to_string()]), inv);
    let fewer = discover(&root, &["vendor/".into(), "node_modules".into()]);
    assert_eq!(fewer.packages.len(), 4);
}

#[test]
fn unrecognised_and_missing_files() {
    let e = collect_file(&fx("tree/does-not-exist.lock")).unwrap_err();
    assert!(e.to_string().contains("does-not-exist.lock"));
    let e = collect_file(&fx("roots/debian12/etc/os-release")).unwrap_err();
    assert!(e.to_string().contains("not a format"), "{e}");
}

#[test]
fn hostile_inputs_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    // Deep JSON nesting.
    let p = dir.path().join("package-lock.json");
    std::fs::write(
        &p,
        format!("{}{}", "[".repeat(200_000), "]".repeat(200_000)),
    )
    .unwrap();
    assert!(collect_file(&p).is_err());
    // Deep TOML nesting.
    let p = dir.path().join("Cargo.lock");
    std::fs::write(
        &p,
        format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000)),
    )
    .unwrap();
    assert!(collect_file(&p).is_err());
    // Deep XML nesting.
    let p = dir.path().join("pom.xml");
    std::fs::write(&p, "<project>".repeat(100_000)).unwrap();
    assert!(collect_file(&p).is_err());
    // Invalid UTF-8 names the line.
    let p = dir.path().join("yarn.lock");
    std::fs::write(&p, b"# yarn lockfile v1\n\na@1:\n  version \"1\xff\"\n").unwrap();
    let e = collect_file(&p).unwrap_err();
    assert_eq!(e.location(), format!("{}:4", p.display()));
    // Over the size cap (sparse file: no disk is used).
    let p = dir.path().join("composer.lock");
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(vigil_inventory::input::MAX_INPUT_BYTES + 1)
        .unwrap();
    let e = collect_file(&p).unwrap_err();
    assert!(e.to_string().contains("limit"), "{e}");
    // YAML alias bomb.
    let p = dir.path().join("pnpm-lock.yaml");
    let mut y = String::from("lockfileVersion: 5\na: &a [x, x, x, x, x, x, x, x, x]\n");
    for i in 0..20 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("a{}", i - 1)
        };
        y.push_str(&format!("a{i}: &a{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    std::fs::write(&p, y).unwrap();
    assert!(collect_file(&p).is_err());
}

#[test]
fn ubuntu_root_and_rpm_qa_export() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "PRETTY_NAME=\"Ubuntu 22.04.3 LTS\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.3 LTS (Jammy Jellyfish)\"\nVERSION_CODENAME=jammy\n",
    )
    .unwrap();
    std::fs::write(
        root.join("var/lib/dpkg/status"),
        "Package: openssh-server\nStatus: install ok installed\nArchitecture: amd64\nSource: openssh\nVersion: 1:8.9p1-3ubuntu0.4\n",
    )
    .unwrap();
    let inv = scan_root(root);
    assert_eq!(
        triples(&inv),
        vec![t(
            "Ubuntu:22.04:LTS",
            "openssh-server",
            "1:8.9p1-3ubuntu0.4",
            Some(1)
        )]
    );
    assert_eq!(
        inv.packages[0].purl.as_deref(),
        Some(
            "pkg:deb/ubuntu/openssh-server@1:8.9p1-3ubuntu0.4?arch=amd64&distro=ubuntu-22.04&upstream=openssh"
        )
    );

    let qa = root.join("rpm-qa.txt");
    std::fs::write(
        &qa,
        "# vigil-rpm-qa ID=rocky VERSION_ID=8.9\nopenssl-libs\t1:1.1.1k-9.el8_7\tx86_64\topenssl-1.1.1k-9.el8_7.src.rpm\n",
    )
    .unwrap();
    let inv = collect_file(&qa).unwrap();
    assert_eq!(
        triples(&inv),
        vec![t(
            "Rocky Linux:8",
            "openssl-libs",
            "1:1.1.1k-9.el8_7",
            Some(2)
        )]
    );
    assert_eq!(inv.packages[0].source_name.as_deref(), Some("openssl"));

    // Without the header the distribution is unknown: packages are listed, the file is not assessed.
    std::fs::write(
        &qa,
        "bash\t0:5.1.8-6.el9_1\tx86_64\tbash-5.1.8-6.el9_1.src.rpm\n",
    )
    .unwrap();
    let inv = collect_file(&qa).unwrap();
    assert_eq!(inv.packages[0].ecosystem.as_str(), "rpm");
    assert_eq!(inv.not_assessed.len(), 1);
    assert!(inv.not_assessed[0].reason.contains("cannot be matched"));
}

#[test]
fn scan_host_reports_packages_or_why_not() {
    let inv = vigil_inventory::scan_host();
    eprintln!(
        "host: {} packages, first {:?}, not assessed {:?}",
        inv.packages.len(),
        inv.packages
            .first()
            .map(|p| (&p.ecosystem, &p.name, &p.version, &p.source_name)),
        inv.not_assessed.first()
    );
    assert!(!inv.packages.is_empty() || !inv.not_assessed.is_empty());
}

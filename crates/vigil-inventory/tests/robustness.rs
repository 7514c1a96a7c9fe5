//! Mutated and truncated inputs never panic or hang: each collector either reads them or names the
//! file and reason.

use std::path::Path;
use vigil_inventory::os::rpm_header;
use vigil_inventory::{Kind, collect_text};

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

const SEEDS: &[(Kind, &str)] = &[
    (
        Kind::CargoLock,
        "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    ),
    (
        Kind::NpmLock,
        "{\"lockfileVersion\": 3, \"packages\": {\"\": {}, \"node_modules/@a/b\": {\"version\": \"1.0.0\"}}}",
    ),
    (
        Kind::NpmLock,
        "{\"lockfileVersion\": 1, \"dependencies\": {\"a\": {\"version\": \"1.0.0\", \"dependencies\": {\"b\": {\"version\": \"npm:c@2.0.0\"}}}}}",
    ),
    (
        Kind::YarnLock,
        "# yarn lockfile v1\n\n\"@a/b@^1\", \"@a/b@^1.1\":\n  version \"1.2.0\"\n  dependencies:\n    c \"^1\"\n",
    ),
    (
        Kind::YarnLock,
        "__metadata:\n  version: 6\n\n\"a@npm:^1\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n",
    ),
    (
        Kind::PnpmLock,
        "lockfileVersion: '6.0'\npackages:\n  /a@1.0.0(b@2.0.0):\n    resolution: {integrity: x}\n",
    ),
    (
        Kind::Requirements,
        "a==1.0 ; python_version < \"3\" \\\n  --hash=sha256:x\n-r other.txt\nb>=2\n",
    ),
    (
        Kind::PoetryLock,
        "[[package]]\nname = \"a\"\nversion = \"1.0\"\n[package.source]\ntype = \"directory\"\n",
    ),
    (
        Kind::PipfileLock,
        "{\"_meta\": {}, \"default\": {\"a\": {\"version\": \"==1.0\"}}}",
    ),
    (
        Kind::UvLock,
        "version = 1\n[[package]]\nname = \"a\"\nversion = \"1.0\"\nsource = { registry = \"x\" }\n",
    ),
    (
        Kind::GoMod,
        "module m\ngo 1.21\nrequire (\n\ta v1.0.0\n)\nreplace a => b v1.1.0\n",
    ),
    (
        Kind::GemfileLock,
        "GEM\n  remote: https://rubygems.org/\n  specs:\n    a (1.0.0-java)\n      b (>= 1)\n",
    ),
    (
        Kind::ComposerLock,
        "{\"packages\": [{\"name\": \"a/b\", \"version\": \"v1.0.0\"}], \"packages-dev\": []}",
    ),
    (
        Kind::NugetLock,
        "{\"version\": 1, \"dependencies\": {\"net6.0\": {\"A\": {\"type\": \"Direct\", \"resolved\": \"1.0.0\"}}}}",
    ),
    (
        Kind::MavenPom,
        "<project><properties><v>1.0</v></properties><dependencies><dependency><groupId>g</groupId><artifactId>a</artifactId><version>${v}</version></dependency></dependencies></project>",
    ),
    (
        Kind::CycloneDxJson,
        "{\"bomFormat\": \"CycloneDX\", \"components\": [{\"name\": \"a\", \"purl\": \"pkg:npm/a@1\", \"components\": [{\"purl\": \"pkg:deb/debian/b@1?distro=debian-12\"}]}]}",
    ),
    (
        Kind::CycloneDxXml,
        "<bom><components><component><name>a</name><purl>pkg:maven/g/a@1</purl><components><component><purl>pkg:rpm/almalinux/b@1-1?epoch=1&amp;distro=almalinux-9</purl></component></components></component></components></bom>",
    ),
    (
        Kind::SpdxJson,
        "{\"spdxVersion\": \"SPDX-2.3\", \"packages\": [{\"name\": \"a\", \"externalRefs\": [{\"referenceType\": \"purl\", \"referenceLocator\": \"pkg:cargo/a@1\"}]}]}",
    ),
    (
        Kind::WindowsJson,
        "{\"VigilInventory\": 1, \"OS\": {\"Version\": \"10.0.17763\", \"UBR\": 1}, \"Exchange\": {\"ExSetupVersion\": \"15.2.792.3\"}, \"HotFixes\": [{\"HotFixID\": \"KB1\", \"InstalledOn\": \"/Date(1)/\"}]}",
    ),
    (
        Kind::ExSetupVersionJson,
        "{\"FileMajorPart\": 15, \"FileMinorPart\": 1, \"FileBuildPart\": 2308, \"FilePrivatePart\": 8, \"FileVersion\": \"15.01.2308.008\", \"ProductVersion\": \"15.01.2308.008\", \"OriginalFilename\": \"ExSetup.exe\", \"FileVersionRaw\": {\"Major\": 15}}",
    ),
    (
        Kind::ExchangeServerJson,
        "[{\"Name\": \"EX1\", \"Fqdn\": \"EX1.a.b\", \"AdminDisplayVersion\": {\"Major\": 15, \"Minor\": 1, \"Build\": 2308, \"Revision\": 8}, \"Site\": \"a/Sites/S\", \"ServerRole\": 16422}, \"System.Object\"]",
    ),
    (
        Kind::HotFixJson,
        "[{\"HotFixID\": \"KB1\", \"CSName\": \"H\", \"InstalledOn\": {\"value\": \"/Date(1618264800000+0200)/\", \"DateTime\": \"Tuesday, April 13, 2021 12:00:00 AM\"}}, {\"HotFixID\": \"File 1\", \"InstalledOn\": \"01d72fe72ecf3000\"}]",
    ),
    (
        Kind::ComputerInfoJson,
        "{\"CsName\": \"H\", \"OsName\": \"Microsoft Windows Server 2016 Standard\", \"OsVersion\": \"10.0.14393\", \"WindowsUBR\": 4350, \"OsLocalDateTime\": \"/Date(1627898400000)/\", \"OsHotFixes\": [{\"HotFixID\": \"KB2\", \"InstalledOn\": \"4/13/2021\"}, \"Microsoft.PowerShell.Commands.HotFix\"]}",
    ),
    (
        Kind::CurrentVersionJson,
        "{\"CurrentBuild\": \"14393\", \"CurrentMajorVersionNumber\": 10, \"CurrentMinorVersionNumber\": 0, \"UBR\": 4350, \"ProductName\": \"Windows 10 Pro\", \"PSPath\": \"Microsoft.PowerShell.Core\\\\Registry::HKEY_LOCAL_MACHINE\\\\SOFTWARE\\\\Microsoft\\\\Windows NT\\\\CurrentVersion\"}",
    ),
    (
        Kind::WindowsCsv,
        "Property,Value\nVigilInventory,1\nOS.Version,10.0.17763\nOS.UBR,1\nHotFixes[0].HotFixID,KB1\n",
    ),
];

#[test]
fn mutated_inputs_do_not_panic() {
    let mut rng = Lcg(0x5eed);
    for (kind, seed) in SEEDS {
        // Every truncation point.
        for cut in 0..=seed.len() {
            if let Some(t) = seed.get(..cut) {
                let _ = collect_text(*kind, "f", t);
            }
        }
        // Random byte-level edits, kept as UTF-8 (invalid UTF-8 is rejected before any parser runs).
        for _ in 0..300 {
            let mut b = seed.as_bytes().to_vec();
            for _ in 0..(1 + rng.next() % 4) {
                let len = b.len().max(1) as u64;
                let at = (rng.next() % len) as usize;
                const ALPHABET: &[u8] = b"{}[]\":,\n @/=<>&;%#()\\0a.-";
                let ch = ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize];
                match rng.next() % 3 {
                    0 if at < b.len() => b[at] = ch,
                    1 => b.insert(at.min(b.len()), ch),
                    _ if at < b.len() => {
                        b.remove(at);
                    }
                    _ => {}
                }
            }
            let text = String::from_utf8_lossy(&b);
            let _ = collect_text(*kind, "f", &text);
        }
    }
}

#[test]
fn random_rpm_headers_do_not_panic() {
    let mut rng = Lcg(42);
    for _ in 0..20_000 {
        let len = (rng.next() % 200) as usize;
        let mut blob: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Plausible small counts so that the index is actually walked.
        if blob.len() >= 8 {
            blob[0..4].copy_from_slice(&((rng.next() % 8) as u32).to_be_bytes());
            blob[4..8].copy_from_slice(&((rng.next() % 120) as u32).to_be_bytes());
        }
        let _ = rpm_header::parse(&blob);
    }
}

/// Every CycloneDX and SPDX 2.x example of the shared corpus reads without error and yields packages.
/// Runs only when `VIGIL_SHARED_DATA` points at the shared data folder.
#[test]
fn shared_sbom_corpus() {
    let Some(root) = std::env::var_os("VIGIL_SHARED_DATA") else {
        eprintln!("VIGIL_SHARED_DATA unset: skipping the shared SBOM corpus check");
        return;
    };
    let root = Path::new(&root).join("specs");
    let mut checked = 0;
    let mut stack = vec![
        root.join("cyclonedx-bom-examples/SBOM"),
        root.join("spdx-examples"),
    ];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let kind = if name.ends_with(".spdx.json") && p.to_string_lossy().contains("spdx2") {
                Kind::SpdxJson
            } else if p.to_string_lossy().contains("cyclonedx") && name.ends_with(".json") {
                Kind::CycloneDxJson
            } else if p.to_string_lossy().contains("cyclonedx") && name.ends_with(".xml") {
                Kind::CycloneDxXml
            } else {
                continue;
            };
            let text = std::fs::read_to_string(&p).unwrap();
            let inv = collect_text(kind, &p.display().to_string(), &text)
                .unwrap_or_else(|e| panic!("{e}"));
            if kind != Kind::SpdxJson {
                assert!(!inv.packages.is_empty(), "{}", p.display());
            }
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} SBOMs found");
}

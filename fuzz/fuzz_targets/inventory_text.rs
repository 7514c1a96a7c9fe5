//! Any text as every inventory format read from text: lockfiles, SBOMs, Windows inventories and
//! OS package databases.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_inventory::{Kind, collect_text};

const KINDS: &[(Kind, &str)] = &[
    (Kind::CargoLock, "Cargo.lock"),
    (Kind::NpmLock, "package-lock.json"),
    (Kind::YarnLock, "yarn.lock"),
    (Kind::PnpmLock, "pnpm-lock.yaml"),
    (Kind::Requirements, "requirements.txt"),
    (Kind::PoetryLock, "poetry.lock"),
    (Kind::PipfileLock, "Pipfile.lock"),
    (Kind::UvLock, "uv.lock"),
    (Kind::GoMod, "go.mod"),
    (Kind::GemfileLock, "Gemfile.lock"),
    (Kind::ComposerLock, "composer.lock"),
    (Kind::NugetLock, "packages.lock.json"),
    (Kind::MavenPom, "pom.xml"),
    (Kind::CycloneDxJson, "bom.cdx.json"),
    (Kind::CycloneDxXml, "bom.cdx.xml"),
    (Kind::SpdxJson, "bom.spdx.json"),
    (Kind::WindowsJson, "vigil-inventory-HOST.json"),
    (Kind::WindowsCsv, "vigil-inventory-HOST.csv"),
    (Kind::ExSetupVersionJson, "ExSetup.json"),
    (Kind::ExchangeServerJson, "ExchangeServer.json"),
    (Kind::HotFixJson, "HotFix.json"),
    (Kind::ComputerInfoJson, "ComputerInfo.json"),
    (Kind::CurrentVersionJson, "CurrentVersion.json"),
    (Kind::DpkgStatus, "var/lib/dpkg/status"),
    (Kind::ApkInstalled, "lib/apk/db/installed"),
    (Kind::RpmDb, "var/lib/rpm/rpmdb.sqlite"),
    (Kind::RpmQa, "rpm-qa.txt"),
];

fuzz_target!(|text: &str| {
    for (kind, file) in KINDS {
        let _ = collect_text(*kind, file, text);
    }
});

//! What administrators actually have: the outputs of Microsoft's documented commands saved by Windows
//! PowerShell 5.1 with `ConvertTo-Json`, recognised by content, alone and together, merged into the
//! Windows/Exchange inventory vigil's own format gives, with the source of every fact.
//!
//! The fixtures in `fixtures/powershell/EXSRV01/` were written for these tests from Microsoft's
//! documented property names, as Windows PowerShell 5.1 writes them (UTF-8 with BOM, CRLF, 4-space
//! aligned indents, `\u0027`/`\u0026` escapes, `\/Date(ms)\/` local-midnight dates at UTC+1/+2).

use std::path::{Path, PathBuf};
use vigil_inventory::detect::kind_of;
use vigil_inventory::{
    FactKind, InputStatus, Inventory, Kind, NotAssessedKind, Origin, collect_file, collect_inputs,
};

fn fx(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/powershell/EXSRV01")
        .join(name)
}

const FILES: [&str; 5] = [
    "ExSetup.json",
    "exchangeserver.json",
    "hotfix.json",
    "computerinfo.json",
    "currentversion.json",
];

fn packages(inv: &Inventory) -> Vec<(String, String, String)> {
    inv.packages
        .iter()
        .map(|p| {
            let file = Path::new(&p.location.file)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            (
                p.name.clone(),
                p.version.clone(),
                format!("{file}:{}", p.location.line.unwrap_or(0)),
            )
        })
        .collect()
}

fn notes(inv: &Inventory) -> Vec<String> {
    inv.not_assessed
        .iter()
        .map(|n| {
            let loc = Path::new(&n.location)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            format!("{} {loc}: {}", n.kind.as_str(), n.reason)
        })
        .collect()
}

fn hotfixes(inv: &Inventory) -> Vec<(String, String)> {
    inv.windows
        .as_ref()
        .map(|w| {
            w.hotfixes
                .iter()
                .map(|h| {
                    (
                        h.id.clone(),
                        h.installed_on.map(|d| d.to_string()).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

const UPDATES: [(&str, &str); 4] = [
    ("KB3192137", "2016-09-12"),
    ("KB4589210", "2021-01-12"),
    ("KB5001402", "2021-04-13"),
    ("KB5001347", "2021-04-13"),
];

fn expected_updates() -> Vec<(String, String)> {
    UPDATES
        .iter()
        .map(|(k, d)| (k.to_string(), d.to_string()))
        .collect()
}

#[test]
fn recognised_by_content_whatever_the_name() {
    let kinds = [
        Kind::ExSetupVersionJson,
        Kind::ExchangeServerJson,
        Kind::HotFixJson,
        Kind::ComputerInfoJson,
        Kind::CurrentVersionJson,
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, (name, kind)) in FILES.iter().zip(kinds).enumerate() {
        assert_eq!(kind_of(&fx(name)).unwrap(), kind, "{name}");
        // Any name, and `.txt` as Out-File users often choose.
        let other = dir.path().join(format!("output{i}.txt"));
        std::fs::copy(fx(name), &other).unwrap();
        assert_eq!(kind_of(&other).unwrap(), kind, "{name} as .txt");
    }
}

#[test]
fn each_output_alone() {
    let read = |name: &str| {
        let (inv, failed) = collect_inputs(&[fx(name)], &[]);
        assert_eq!(inv.inputs.len(), 1);
        assert_eq!(inv.inputs[0].status, InputStatus::Read, "{name}");
        (inv, failed)
    };

    let (inv, failed) = read("ExSetup.json");
    assert!(!failed);
    assert_eq!(
        packages(&inv),
        [(
            "Exchange Server".into(),
            "15.1.2308.8".into(),
            "ExSetup.json:10".into()
        )]
    );
    assert!(inv.not_assessed.is_empty(), "{:?}", notes(&inv));

    let (inv, failed) = read("exchangeserver.json");
    assert!(!failed);
    assert!(inv.packages.is_empty());
    assert_eq!(
        notes(&inv),
        [
            "entry exchangeserver.json:4: Get-ExchangeServer lists 2 servers (EXSRV01, EXSRV02) and no input names the machine this inventory is about: their details are not used (add Get-HotFix or Get-ComputerInfo output from the server itself)"
        ]
    );

    let (inv, _) = read("hotfix.json");
    assert!(inv.packages.is_empty());
    assert_eq!(hotfixes(&inv), expected_updates());
    let w = inv.windows.as_ref().unwrap();
    assert_eq!(w.computer_name.as_deref(), Some("EXSRV01"));
    assert_eq!(
        w.hotfixes[0].description.as_deref(),
        Some("Update"),
        "{:?}",
        w.hotfixes[0]
    );
    assert_eq!(
        notes(&inv),
        [
            "entry hotfix.json:25: installed updates are listed, but no input gives the Windows version: Windows updates cannot be assessed (add the output of Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion')"
        ]
    );

    let (inv, _) = read("computerinfo.json");
    assert!(inv.packages.is_empty());
    assert_eq!(hotfixes(&inv), expected_updates());
    let w = inv.windows.as_ref().unwrap();
    assert_eq!(
        w.os_caption.as_deref(),
        Some("Microsoft Windows Server 2016 Standard")
    );
    assert_eq!(
        w.collected_at.map(|t| t.to_string()).as_deref(),
        Some("2021-08-02T10:00:00Z")
    );
    assert_eq!(
        notes(&inv),
        [
            "entry computerinfo.json:85: Windows 10.0.14393 without UBR: the installed update level is unknown (Windows PowerShell 5.1's Get-ComputerInfo does not report it: add the output of Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion')"
        ]
    );

    let (inv, failed) = read("currentversion.json");
    assert!(!failed);
    assert_eq!(
        packages(&inv),
        [(
            "Windows Server".into(),
            "10.0.14393.4350".into(),
            "currentversion.json:23".into()
        )]
    );
    let w = inv.windows.as_ref().unwrap();
    assert_eq!(
        w.os_caption.as_deref(),
        Some("Windows Server 2016 Standard")
    );
    assert!(inv.not_assessed.is_empty(), "{:?}", notes(&inv));
}

#[test]
fn all_five_together_make_one_inventory_with_sources() {
    let dir = fx("");
    let (inv, failed) = collect_inputs(std::slice::from_ref(&dir), &[]);
    assert!(!failed, "{:?}", notes(&inv));
    assert!(inv.not_assessed.is_empty(), "{:?}", notes(&inv));
    assert_eq!(
        packages(&inv),
        [
            (
                "Exchange Server".into(),
                "15.1.2308.8".into(),
                "ExSetup.json:10".into()
            ),
            (
                "Windows Server".into(),
                "10.0.14393.4350".into(),
                "currentversion.json:23".into()
            ),
        ]
    );
    assert_eq!(inv.inputs.len(), 5);
    assert!(inv.inputs.iter().all(|i| i.status == InputStatus::Read));
    let w = inv.windows.as_ref().unwrap();
    assert_eq!(w.computer_name.as_deref(), Some("EXSRV01"));
    assert_eq!(w.os_build.as_deref(), Some("10.0.14393.4350"));
    assert_eq!(
        w.os_caption.as_deref(),
        Some("Windows Server 2016 Standard")
    );
    assert_eq!(
        w.collected_at.map(|t| t.to_string()).as_deref(),
        Some("2021-08-02T10:00:00Z")
    );
    let ex = w.exchange.as_ref().unwrap();
    assert_eq!(ex.exsetup_version.as_deref(), Some("15.1.2308.8"));
    assert_eq!(
        ex.admin_display_version.as_deref(),
        Some("Version 15.1 (Build 2308.8)"),
        "this host's entry, not EXSRV02's"
    );
    assert_eq!(ex.name.as_deref(), Some("EXSRV01"));
    assert_eq!(ex.fqdn.as_deref(), Some("EXSRV01.clinic.example.org"));
    assert_eq!(ex.site.as_deref(), Some("Amsterdam"));
    assert_eq!(ex.edition.as_deref(), Some("Standard"));
    assert_eq!(ex.server_role.as_deref(), Some("Mailbox"));
    assert_eq!(hotfixes(&inv), expected_updates());

    // Provenance per fact.
    let build = w.source_of(FactKind::ExchangeBuild).unwrap();
    assert_eq!(build.origin, Origin::ExSetupFileVersion);
    assert!(build.file.ends_with("ExSetup.json"));
    let updates = w.hotfixes[0].source.as_ref().unwrap();
    assert_eq!(updates.origin, Origin::GetHotFix);
    assert_eq!(
        w.source_of(FactKind::OsRevision).unwrap().origin,
        Origin::RegistryCurrentVersion
    );
    let lines = w.provenance();
    let shown = |f: &str| fx(f).display().to_string();
    for want in [
        format!(
            "Exchange build 15.1.2308.8 from {}:10 (Get-Command ExSetup.exe FileVersionInfo)",
            shown("ExSetup.json")
        ),
        format!(
            "Windows update revision (UBR) 4350 from {}:23 (HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion)",
            shown("currentversion.json")
        ),
        format!(
            "installed updates (4) from {} (Get-HotFix)",
            shown("hotfix.json")
        ),
        format!(
            "Exchange AdminDisplayVersion Version 15.1 (Build 2308.8) from {}:35 (Get-ExchangeServer)",
            shown("exchangeserver.json")
        ),
    ] {
        assert!(lines.contains(&want), "{want}\n{lines:#?}");
    }
}

/// The same facts in vigil's own inventory format: what the scan already assesses correctly.
const VIGIL_FORM: &str = r#"{
  "VigilInventory": 1,
  "ComputerName": "EXSRV01",
  "CollectedAt": "2021-08-02T10:00:00Z",
  "OS": { "Caption": "Windows Server 2016 Standard", "Version": "10.0.14393", "BuildNumber": "14393", "UBR": 4350 },
  "Exchange": { "AdminDisplayVersion": "Version 15.1 (Build 2308.8)", "ExSetupVersion": "15.1.2308.8", "Edition": "Standard", "ServerRole": "Mailbox" },
  "HotFixes": [
    { "HotFixID": "KB3192137", "Description": "Update", "InstalledOn": "2016-09-12" },
    { "HotFixID": "KB4589210", "Description": "Update", "InstalledOn": "2021-01-12" },
    { "HotFixID": "KB5001402", "Description": "Security Update", "InstalledOn": "2021-04-13" },
    { "HotFixID": "KB5001347", "Description": "Security Update", "InstalledOn": "2021-04-13" }
  ]
}"#;

#[test]
fn the_same_as_vigils_own_format() {
    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("vigil-inventory-EXSRV01.json");
    std::fs::write(&own, VIGIL_FORM).unwrap();
    let ours = collect_file(&own).unwrap();
    let (theirs, _) = collect_inputs(&[fx("")], &[]);
    let ident = |inv: &Inventory| {
        let mut v: Vec<_> = inv
            .packages
            .iter()
            .map(|p| (p.ecosystem.to_string(), p.name.clone(), p.version.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(ident(&ours), ident(&theirs));
    // What the matcher takes beyond packages: OS caption and build, and installed updates by day.
    let (a, b) = (ours.windows.unwrap(), theirs.windows.unwrap());
    assert_eq!(a.os_caption, b.os_caption);
    assert_eq!(a.os_build, b.os_build);
    assert_eq!(a.computer_name, b.computer_name);
    assert_eq!(a.collected_at, b.collected_at);
    let updates = |w: &vigil_inventory::WindowsInventory| {
        w.hotfixes
            .iter()
            .map(|h| (h.id.clone(), h.installed_on, h.description.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(updates(&a), updates(&b));
    let ex = |w: &vigil_inventory::WindowsInventory| {
        w.exchange
            .as_ref()
            .map(|e| (e.exsetup_version.clone(), e.admin_display_version.clone()))
    };
    assert_eq!(ex(&a), ex(&b));
}

/// Rewrites a JSON value with 2-space indents and LF (PowerShell 7's style).
fn pretty(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let v: serde_json::Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap();
    serde_json::to_string_pretty(&v).unwrap()
}

fn hotfix_variant(text: &str, bytes: Option<Vec<u8>>) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("updates.json");
    match bytes {
        Some(b) => std::fs::write(&p, b).unwrap(),
        None => std::fs::write(&p, text).unwrap(),
    }
    let inv = collect_file(&p).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(inv.inputs[0].format, "Get-HotFix (JSON)");
    hotfixes(&inv)
}

#[test]
fn encodings_indents_and_shapes() {
    let original = std::fs::read(fx("hotfix.json")).unwrap();
    let text = String::from_utf8(original.clone()).unwrap();
    let no_bom = text.trim_start_matches('\u{feff}').to_string();
    // No BOM; LF instead of CRLF; 2-space indents.
    assert_eq!(hotfix_variant(&no_bom, None), expected_updates());
    assert_eq!(
        hotfix_variant(&no_bom.replace("\r\n", "\n"), None),
        expected_updates()
    );
    let two_space = pretty(&fx("hotfix.json"));
    assert_eq!(hotfix_variant(&two_space, None), expected_updates());
    // UTF-16 LE with BOM, as Windows PowerShell 5.1's `>` writes.
    let mut utf16 = vec![0xFF, 0xFE];
    for u in no_bom.encode_utf16() {
        utf16.extend(u.to_le_bytes());
    }
    assert_eq!(hotfix_variant("", Some(utf16)), expected_updates());
    // One update piped: a bare object, not an array.
    let v: serde_json::Value = serde_json::from_str(&no_bom).unwrap();
    let single = serde_json::to_string_pretty(&v[3]).unwrap();
    assert_eq!(
        hotfix_variant(&single, None),
        [("KB5001347".to_string(), "2021-04-13".to_string())]
    );
    // Without the DateTime text, the local midnight is still read as that day; with the writer's
    // offset, exactly.
    let bare = two_space.replace("\"DateTime\"", "\"Display\"");
    assert_eq!(hotfix_variant(&bare, None), expected_updates());
    let offset = no_bom
        .replace("1618264800000)", "1618264800000+0200)")
        .replace("1610406000000)", "1610406000000+0100)");
    assert_eq!(hotfix_variant(&offset, None), expected_updates());
}

#[test]
fn depth_truncated_values_are_reported_not_read() {
    let dir = tempfile::tempdir().unwrap();
    // Get-ExchangeServer nested one level deeper than ConvertTo-Json's default depth keeps.
    let text = pretty(&fx("exchangeserver.json")).replace(
        "\"Version 15.1 (Build 2308.8)\"",
        "\"Microsoft.Exchange.Data.ServerVersion\"",
    );
    let servers = dir.path().join("servers.json");
    std::fs::write(&servers, text).unwrap();
    let (inv, _) = collect_inputs(&[servers, fx("hotfix.json")], &[]);
    let w = inv.windows.as_ref().unwrap();
    assert_eq!(w.exchange.as_ref().unwrap().admin_display_version, None);
    assert!(
        notes(&inv).iter().any(|n| n.ends_with(
            "`AdminDisplayVersion` is only the type name `Microsoft.Exchange.Data.ServerVersion`: ConvertTo-Json's depth cut the value off (run it with -Depth 4)"
        )),
        "{:?}",
        notes(&inv)
    );
    // Get-ComputerInfo at -Depth 1: the updates are type names.
    let mut ci: serde_json::Value =
        serde_json::from_str(&pretty(&fx("computerinfo.json"))).unwrap();
    ci["OsHotFixes"] = serde_json::json!([
        "Microsoft.PowerShell.Commands.HotFix",
        "Microsoft.PowerShell.Commands.HotFix"
    ]);
    let p = dir.path().join("ci.json");
    std::fs::write(&p, ci.to_string()).unwrap();
    let inv = collect_file(&p).unwrap();
    assert!(hotfixes(&inv).is_empty());
    assert!(
        notes(&inv).iter().any(|n| n.ends_with(
            "2 OsHotFixes entries are only type names: ConvertTo-Json's depth cut the value off (run it with -Depth 4)"
        )),
        "{:?}",
        notes(&inv)
    );
}

#[test]
fn conflicts_between_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    for f in FILES {
        std::fs::copy(fx(f), dir.path().join(f)).unwrap();
    }
    // A second ExSetup output, of another build (a file of another server copied in).
    let other = pretty(&fx("ExSetup.json"))
        .replace("15.01.2308.008", "15.01.2375.007")
        .replace("\"FileBuildPart\": 2308", "\"FileBuildPart\": 2375")
        .replace("\"FilePrivatePart\": 8", "\"FilePrivatePart\": 7");
    std::fs::write(dir.path().join("ExSetup-new.json"), other).unwrap();
    let (inv, failed) = collect_inputs(&[dir.path().to_path_buf()], &[]);
    assert!(failed, "a conflict is not a clean read");
    let builds: Vec<&str> = inv
        .packages
        .iter()
        .filter(|p| p.name == "Exchange Server")
        .map(|p| p.version.as_str())
        .collect();
    assert_eq!(builds, ["15.1.2375.7", "15.1.2308.8"], "both are assessed");
    let conflicts: Vec<&str> = inv
        .not_assessed
        .iter()
        .filter(|n| n.kind == NotAssessedKind::Conflict)
        .map(|n| n.reason.as_str())
        .collect();
    assert_eq!(conflicts.len(), 2, "{conflicts:?}");
    assert!(
        conflicts.iter().any(|c| c
            .starts_with("the inputs give 2 different Exchange builds: 15.1.2375.7 from ")
            && c.contains(", 15.1.2308.8 from ")
            && c.ends_with("; each is assessed")),
        "{conflicts:?}"
    );
    assert!(
        conflicts
            .iter()
            .any(|c| c.contains("but Get-ExchangeServer reports Version 15.1 (Build 2308.8)"))
    );

    // Two machines' outputs in one folder: the computer names disagree.
    let mixed = tempfile::tempdir().unwrap();
    std::fs::copy(fx("hotfix.json"), mixed.path().join("hotfix.json")).unwrap();
    let ci = pretty(&fx("computerinfo.json")).replace("\"EXSRV01\"", "\"EXSRV02\"");
    std::fs::write(mixed.path().join("ci.json"), ci).unwrap();
    let (inv, failed) = collect_inputs(&[mixed.path().to_path_buf()], &[]);
    assert!(failed);
    assert!(
        inv.not_assessed
            .iter()
            .any(|n| n.kind == NotAssessedKind::Conflict
                && n.reason
                    .starts_with("the inputs disagree on the computer name: `EXSRV01` from ")
                && n.reason.contains("`EXSRV02` from ")),
        "{:?}",
        notes(&inv)
    );
}

#[test]
fn wrong_file_versions_and_registry_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let notepad = pretty(&fx("ExSetup.json"))
        .replace(
            "C:\\\\Program Files\\\\Microsoft\\\\Exchange Server\\\\V15\\\\bin\\\\ExSetup.exe",
            "C:\\\\Windows\\\\System32\\\\notepad.exe",
        )
        .replace("\"ExSetup.exe\"", "\"NOTEPAD.EXE\"")
        .replace("\"ExSetup\"", "\"Notepad\"");
    let p = dir.path().join("version.json");
    std::fs::write(&p, notepad).unwrap();
    let e = collect_file(&p).unwrap_err();
    assert_eq!(
        e.reason(),
        "the file version of C:\\Windows\\System32\\notepad.exe, not of Exchange's ExSetup.exe: no Exchange build"
    );
    let other_key = pretty(&fx("currentversion.json")).replace(
        "Windows NT\\\\CurrentVersion\"",
        "Windows NT\\\\CurrentVersion\\\\Winlogon\"",
    );
    let p = dir.path().join("reg.json");
    std::fs::write(&p, other_key).unwrap();
    let e = collect_file(&p).unwrap_err();
    assert!(
        e.reason().starts_with("registry key `Microsoft.PowerShell.Core\\Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon`, not HKLM:"),
        "{e}"
    );
}

//! Debian's signed kernel images are matched under the kernel source, `linux`, as Debian's security
//! tracker (and so DSAs, DLAs and OSV's Debian records) files them.

use vigil_inventory::{Kind, collect_text, scan_root};

/// A bookworm status file as dpkg writes it for the signed kernel, its metapackage, a backported
/// kernel of bullseye's LTS, and an ordinary package.
const STATUS: &str = "Package: linux-image-6.1.0-18-amd64
Status: install ok installed
Priority: optional
Section: kernel
Installed-Size: 398609
Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>
Architecture: amd64
Source: linux-signed-amd64 (6.1.76+1)
Version: 6.1.76-1
Description: Linux 6.1 for 64-bit PCs (signed)

Package: linux-image-amd64
Status: install ok installed
Priority: optional
Section: kernel
Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>
Architecture: amd64
Source: linux-signed-amd64 (6.1.76+1)
Version: 6.1.76-1
Depends: linux-image-6.1.0-18-amd64 (= 6.1.76-1)
Description: Linux for 64-bit PCs (meta-package)

Package: linux-image-6.1.0-0.deb11.18-arm64
Status: install ok installed
Architecture: arm64
Source: linux-signed-6.1-arm64 (6.1.76+1~deb11u1)
Version: 6.1.76-1~deb11u1
Description: Linux 6.1 for 64-bit ARMv8 machines (signed)

Package: openssh-server
Status: install ok installed
Architecture: amd64
Source: openssh
Version: 1:9.2p1-2+deb12u2
Description: secure shell (SSH) server

";

#[test]
fn signed_kernel_images_are_matched_as_linux() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
    )
    .unwrap();
    std::fs::write(root.join("var/lib/dpkg/status"), STATUS).unwrap();
    let inv = scan_root(root);
    let got: Vec<(&str, &str, Option<&str>, Option<&str>)> = inv
        .packages
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.version.as_str(),
                p.source_name.as_deref(),
                p.purl.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "linux-image-6.1.0-18-amd64",
                "6.1.76-1",
                Some("linux"),
                Some(
                    "pkg:deb/debian/linux-image-6.1.0-18-amd64@6.1.76-1?arch=amd64&distro=debian-12&upstream=linux%406.1.76-1"
                )
            ),
            (
                "linux-image-amd64",
                "6.1.76-1",
                Some("linux"),
                Some(
                    "pkg:deb/debian/linux-image-amd64@6.1.76-1?arch=amd64&distro=debian-12&upstream=linux%406.1.76-1"
                )
            ),
            (
                "linux-image-6.1.0-0.deb11.18-arm64",
                "6.1.76-1~deb11u1",
                Some("linux-6.1"),
                Some(
                    "pkg:deb/debian/linux-image-6.1.0-0.deb11.18-arm64@6.1.76-1~deb11u1?arch=arm64&distro=debian-12&upstream=linux-6.1%406.1.76-1~deb11u1"
                )
            ),
            (
                "openssh-server",
                "1:9.2p1-2+deb12u2",
                Some("openssh"),
                Some(
                    "pkg:deb/debian/openssh-server@1:9.2p1-2%2Bdeb12u2?arch=amd64&distro=debian-12&upstream=openssh"
                )
            ),
        ]
    );
    assert!(inv.not_assessed.is_empty(), "{:?}", inv.not_assessed);
}

#[test]
fn sbom_purls_of_signed_kernels_name_linux() {
    let bom = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
      {"name": "linux-image-amd64", "version": "6.1.76-1",
       "purl": "pkg:deb/debian/linux-image-amd64@6.1.76-1?arch=amd64&distro=debian-12&upstream=linux-signed-amd64%406.1.76%2B1"}
    ]}"#;
    let inv = collect_text(Kind::CycloneDxJson, "bom.cdx.json", bom).unwrap();
    assert_eq!(inv.packages.len(), 1);
    assert_eq!(inv.packages[0].source_name.as_deref(), Some("linux"));
    assert_eq!(inv.packages[0].ecosystem.as_str(), "Debian:12");
}

//! Software bills of materials: CycloneDX (JSON and XML, 1.4–1.6, nested components) and SPDX 2.3 JSON.
//! A component is identified by its purl, which gives the ecosystem and name (see [`crate::purl`]);
//! components without a purl, or whose purl type has no OSV ecosystem, are reported as not assessed.

pub mod cyclonedx_json;
pub mod cyclonedx_xml;
pub mod spdx_json;

use crate::Sink;
use crate::purl::Purl;

/// Adds one SBOM component.
pub(crate) fn component(
    sink: &mut Sink<'_>,
    purl: Option<&str>,
    name: Option<&str>,
    version: Option<&str>,
    line: Option<usize>,
) {
    let label = name.unwrap_or("(unnamed)");
    let Some(purl_text) = purl.map(str::trim).filter(|p| !p.is_empty()) else {
        sink.not_assessed(line, format!("component `{label}` has no purl"));
        return;
    };
    let parsed = match Purl::parse(purl_text) {
        Ok(p) => p,
        Err(e) => {
            sink.not_assessed(line, format!("component `{label}`: {e}: `{purl_text}`"));
            return;
        }
    };
    let pkg = match parsed.to_package() {
        Ok(p) => p,
        Err(reason) => {
            sink.not_assessed(line, format!("component `{label}`: {reason}"));
            return;
        }
    };
    let Some(version) = pkg
        .version
        .as_deref()
        .or(version)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
    else {
        sink.not_assessed(line, format!("component `{label}` has no version"));
        return;
    };
    let out = sink.package(pkg.ecosystem.as_str(), &pkg.name, &version, line);
    out.purl = Some(purl_text.to_string());
    out.source_name = pkg.source_name;
}

//! The field mappings of every log reader, attached to the log sources their events carry.
//!
//! The mappings themselves are data shipped by `vigil-logs`; this module only decides where each
//! applies. IIS and Apache/nginx events share the `webserver` category, so their two maps are merged
//! (a Sigma field may then resolve to either reader's column); HttpProxy events are web server events
//! too, but with their own, more specific map.

use vigil_logs::Format;
use vigil_model::LogSource;
use vigil_sigma::{FieldMapping, MappingError, Mappings};

/// The mappings for all readers.
pub fn reader_mappings() -> Result<Mappings, MappingError> {
    let mut mappings = Mappings::new();
    let windows = merged(&[Format::Evtx, Format::WinJson])?;
    mappings.attach(LogSource::new(Some("windows"), None, None), windows);
    let web = merged(&[Format::W3c, Format::Access])?;
    mappings.attach(LogSource::new(None, Some("webserver"), None), web);
    let httpproxy = FieldMapping::from_yaml(vigil_logs::field_mapping(Format::ExchangeCsv))?;
    mappings.attach(
        LogSource::new(None, Some("webserver"), Some("msexchange-httpproxy")),
        httpproxy,
    );
    let syslog = FieldMapping::from_yaml(vigil_logs::field_mapping(Format::Syslog))?;
    mappings.attach(LogSource::new(Some("linux"), None, None), syslog);
    Ok(mappings)
}

/// One map holding every target of every listed reader for each Sigma name.
fn merged(formats: &[Format]) -> Result<FieldMapping, MappingError> {
    let mut out = FieldMapping::default();
    for &f in formats {
        let m = FieldMapping::from_yaml(vigil_logs::field_mapping(f))?;
        for (sigma, targets) in m.fields {
            let entry = out.fields.entry(sigma).or_default();
            for target in targets {
                if !entry.contains(&target) {
                    entry.push(target);
                }
            }
        }
    }
    Ok(out)
}

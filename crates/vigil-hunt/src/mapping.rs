//! The field mappings of every log reader, attached to the log sources their events carry, and
//! the rule log sources normalised to the names the readers emit.
//!
//! The mappings themselves are data shipped by `vigil-logs`; this module only decides where each
//! applies. IIS and Apache/nginx events share the `webserver` category, so their two maps are merged
//! (a Sigma field may then resolve to either reader's column); HttpProxy events are web server events
//! too, but with their own, more specific map. A reader's overlays (maps for a narrower log source,
//! such as Windows Defender's events) are layered on its map: the engine uses one map per event,
//! the most specific, so each overlay is attached as the reader's map plus every overlay of a wider
//! log source plus its own entries.

use vigil_logs::Format;
use vigil_model::LogSource;
use vigil_sigma::{FieldMapping, MappingError, Mappings, RuleSet};

/// The mappings for all readers.
pub fn reader_mappings() -> Result<Mappings, MappingError> {
    let mut mappings = Mappings::new();
    let windows_formats = [Format::Evtx, Format::WinJson];
    let windows = merged(&windows_formats)?;
    let overlays = merged_overlays(&windows_formats)?;
    for (selector, _) in &overlays {
        mappings.attach(selector.clone(), layered(&windows, &overlays, selector));
    }
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

/// Rewrites the Windows `service` names of rules and filters that older Sigma rules still use to
/// the taxonomy's current names (see [`vigil_logs::windows::canonical_service`]), so that such a
/// rule applies to the events the readers tag with the current name. Call before compiling.
pub fn normalise_logsources(set: &mut RuleSet) {
    let metas = set
        .rules
        .iter_mut()
        .map(|r| &mut r.meta)
        .chain(set.filters.iter_mut().map(|f| &mut f.meta));
    for meta in metas {
        let ls = &mut meta.logsource;
        let windows = ls
            .product
            .as_deref()
            .is_none_or(|p| p.eq_ignore_ascii_case("windows"));
        if !windows {
            continue;
        }
        if let Some(current) = ls
            .service
            .as_deref()
            .and_then(vigil_logs::windows::canonical_service)
        {
            ls.service = Some(current.to_string());
        }
    }
}

/// One map holding every target of every listed reader for each Sigma name.
fn merged(formats: &[Format]) -> Result<FieldMapping, MappingError> {
    let mut out = FieldMapping::default();
    for &f in formats {
        let m = FieldMapping::from_yaml(vigil_logs::field_mapping(f))?;
        merge_into(&mut out, m);
    }
    Ok(out)
}

fn merge_into(out: &mut FieldMapping, m: FieldMapping) {
    for (sigma, targets) in m.fields {
        let entry = out.fields.entry(sigma).or_default();
        for target in targets {
            if !entry.contains(&target) {
                entry.push(target);
            }
        }
    }
}

/// The overlays of the listed readers, one per log source (the readers' overlays for the same
/// log source merged), widest first.
fn merged_overlays(formats: &[Format]) -> Result<Vec<(LogSource, FieldMapping)>, MappingError> {
    let mut out: Vec<(LogSource, FieldMapping)> = Vec::new();
    for &f in formats {
        for text in vigil_logs::field_mapping_overlays(f) {
            let m = FieldMapping::from_yaml(text)?;
            let selector = m.logsource.clone().unwrap_or_default();
            match out.iter_mut().find(|(s, _)| *s == selector) {
                Some((_, into)) => merge_into(into, m),
                None => out.push((selector, m)),
            }
        }
    }
    out.sort_by_key(|(s, _)| keys(s));
    Ok(out)
}

/// The map for `target`: `base`, then each overlay whose log source is `target` or wider (widest
/// first), each replacing the entries it names.
fn layered(
    base: &FieldMapping,
    overlays: &[(LogSource, FieldMapping)],
    target: &LogSource,
) -> FieldMapping {
    let mut out = FieldMapping {
        logsource: Some(target.clone()),
        fields: base.fields.clone(),
    };
    for (selector, m) in overlays {
        if covers(selector, target) {
            for (sigma, targets) in &m.fields {
                out.fields.insert(sigma.clone(), targets.clone());
            }
        }
    }
    out
}

fn keys(ls: &LogSource) -> usize {
    [&ls.product, &ls.category, &ls.service]
        .iter()
        .filter(|k| k.is_some())
        .count()
}

/// True when every key `wide` sets has the same value in `narrow`.
fn covers(wide: &LogSource, narrow: &LogSource) -> bool {
    [
        (&wide.product, &narrow.product),
        (&wide.category, &narrow.category),
        (&wide.service, &narrow.service),
    ]
    .iter()
    .all(|(w, n)| {
        w.is_none() || w.as_deref().map(str::to_lowercase) == n.as_deref().map(str::to_lowercase)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlays_layer_on_the_reader_map() {
        let base =
            FieldMapping::from_yaml("fields:\n  Image: [Image, NewProcessName]\n  A: a\n").unwrap();
        let wide = FieldMapping::from_yaml(
            "logsource: {product: windows, service: windefend}\nfields:\n  A: wide\n  B: b\n",
        )
        .unwrap();
        let narrow = FieldMapping::from_yaml(
            "logsource: {product: windows, category: antivirus, service: windefend}\nfields:\n  B: narrow\n",
        )
        .unwrap();
        let overlays = vec![
            (wide.logsource.clone().unwrap(), wide),
            (narrow.logsource.clone().unwrap(), narrow),
        ];
        let av = LogSource::new(Some("windows"), Some("antivirus"), Some("windefend"));
        let m = layered(&base, &overlays, &av);
        assert_eq!(m.resolve("Image"), ["Image", "NewProcessName"]);
        assert_eq!(m.resolve("A"), ["wide"]);
        assert_eq!(m.resolve("B"), ["narrow"]);
        let defender = LogSource::new(Some("windows"), None, Some("windefend"));
        let m = layered(&base, &overlays, &defender);
        assert_eq!(m.resolve("B"), ["b"]);
    }

    fn fires(rule: &str, ls: LogSource, fields: &[(&str, &str)]) -> bool {
        let (set, errors) = vigil_sigma::parse_rules_str(rule, "t.yml");
        assert!(errors.is_empty(), "{errors:?}");
        let (engine, errors) = vigil_sigma::Engine::compile(&set, &reader_mappings().unwrap());
        assert!(errors.is_empty(), "{errors:?}");
        let mut ev = vigil_model::Event {
            timestamp: None,
            host: None,
            logsource: ls,
            source: vigil_model::SourceRef {
                file: "t.evtx".into(),
                record: vigil_model::RecordRef::EvtxRecord(1),
                generation: None,
            },
            fields: Default::default(),
            raw: None,
        };
        for (k, v) in fields {
            ev.fields.insert(k.to_string(), (*v).into());
        }
        let mut out = Vec::new();
        engine.matches(&ev, &mut out);
        !out.is_empty()
    }

    #[test]
    fn defender_names_resolve_only_on_defender_events() {
        let process = |service: &str| {
            format!(
                "title: t\nid: t\nlogsource: {{product: windows, service: {service}}}\n\
                 detection:\n  sel:\n    ProcessName|endswith: '\\explorer.exe'\n  condition: sel\n"
            )
        };
        let defender = LogSource::new(Some("windows"), None, Some("windefend"));
        let security = LogSource::new(Some("windows"), None, Some("security"));
        let exe = r"C:\Windows\explorer.exe";
        assert!(fires(
            &process("windefend"),
            defender.clone(),
            &[("Process Name", exe)]
        ));
        assert!(fires(
            &process("security"),
            security.clone(),
            &[("ProcessName", exe)]
        ));
        assert!(!fires(
            &process("security"),
            security,
            &[("Process Name", exe)]
        ));
        // Sigma's antivirus fields on Defender's detections; Sysmon's Signature stays itself.
        let av_rule = "title: t\nid: t\nlogsource: {category: antivirus}\n\
                       detection:\n  sel:\n    Signature|startswith: 'HackTool'\n  condition: sel\n";
        let av = LogSource::new(Some("windows"), Some("antivirus"), Some("windefend"));
        assert!(fires(
            av_rule,
            av,
            &[("Threat Name", "HackTool:Win64/Mikatz!dha")]
        ));
        let signer = "title: t\nid: t\nlogsource: {product: windows, category: image_load}\n\
                      detection:\n  sel:\n    Signature: 'Microsoft Windows'\n  condition: sel\n";
        let image_load = LogSource::new(Some("windows"), Some("image_load"), Some("sysmon"));
        assert!(fires(
            signer,
            image_load.clone(),
            &[("Signature", "Microsoft Windows")]
        ));
        assert!(!fires(
            signer,
            image_load,
            &[("Threat Name", "Microsoft Windows")]
        ));
    }

    #[test]
    fn older_service_names_are_rewritten() {
        let (mut set, errors) = vigil_sigma::parse_rules_str(
            "title: a\nid: a\nlogsource: {product: windows, service: microsoft-servicebus-client}\n\
             detection:\n  sel:\n    EventID: 1\n  condition: sel\n---\n\
             title: b\nid: b\nlogsource: {product: linux, service: ldap_debug}\n\
             detection:\n  sel:\n    x: 1\n  condition: sel\n",
            "t.yml",
        );
        assert!(errors.is_empty(), "{errors:?}");
        normalise_logsources(&mut set);
        assert_eq!(
            set.rules[0].meta.logsource.service.as_deref(),
            Some("servicebus-client")
        );
        // Only Windows services are renamed.
        assert_eq!(
            set.rules[1].meta.logsource.service.as_deref(),
            Some("ldap_debug")
        );
    }
}

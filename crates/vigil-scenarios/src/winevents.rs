//! The Exchange cmdlet audit channel as an administrator exports it:
//! `Get-WinEvent -LogName 'MSExchange Management' | ConvertTo-Json | Out-File -Encoding UTF8`.
//! Provider `MSExchange CmdletLogs`, event 1 ("Cmdlet suceeded." — Microsoft's spelling) or 6 ("Cmdlet
//! failed."), the cmdlet and its parameters as the first two event data items; newest event first, as
//! `Get-WinEvent` returns them.

use crate::pwsh_json::{Ps, file_bytes, to_string};
use jiff::Timestamp;

/// One cmdlet run.
#[derive(Debug, Clone)]
pub struct Cmdlet {
    pub at: Timestamp,
    pub name: String,
    /// Parameters in the order given: `("Mailbox", "alice")` is written `-Mailbox "alice"`; a switch
    /// has an empty value and is written `-Confirm:$false` style as given in the name.
    pub params: Vec<(String, String)>,
    /// Who ran it: `harbour.local/Users/Administrator`, `NT AUTHORITY\SYSTEM`.
    pub caller: String,
    /// The process that ran it: `w3wp#MSExchangePowerShellAppPool` (remote shell), `powershell`
    /// (local snap-in), `w3wp#MSExchangeECPAppPool` (the web admin centre / OWA options).
    pub process: String,
    pub succeeded: bool,
    /// Cite this record in the ground truth with this description.
    pub cite: Option<String>,
}

impl Cmdlet {
    /// `-Mailbox "alice" -FilePath "\\srv\share\a.pst"`.
    pub fn parameter_text(&self) -> String {
        self.params
            .iter()
            .map(|(k, v)| {
                if v.is_empty() {
                    format!("-{k}")
                } else {
                    format!("-{k} \"{v}\"")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The export of the channel: the document's bytes and, for each cited cmdlet (in the order of
/// `cmdlets`), the line of its record's opening brace, its time and description.
pub fn export(
    cmdlets: &[Cmdlet],
    machine: &str,
    first_record_id: u64,
) -> (Vec<u8>, Vec<(u64, Timestamp, String)>) {
    let mut order: Vec<(usize, &Cmdlet)> = cmdlets.iter().enumerate().collect();
    // Record ids follow the time order of writing; the export lists newest first.
    order.sort_by_key(|(i, c)| (c.at, *i));
    let ids: Vec<(usize, u64)> = order
        .iter()
        .enumerate()
        .map(|(n, (i, _))| (*i, first_record_id + n as u64))
        .collect();
    order.reverse();
    let records: Vec<Ps> = order
        .iter()
        .map(|(i, c)| {
            let id = ids
                .iter()
                .find(|(j, _)| j == i)
                .map(|(_, id)| *id)
                .unwrap_or(first_record_id);
            record(c, machine, id)
        })
        .collect();
    let doc = Ps::Array(records);
    let text = to_string(&doc);
    // Each record starts with a line holding only `{` at the array's item indentation.
    let starts: Vec<u64> = text
        .split("\r\n")
        .enumerate()
        .filter(|(_, l)| *l == "    {")
        .map(|(n, _)| n as u64 + 1)
        .collect();
    let mut cited = Vec::new();
    for (i, c) in cmdlets.iter().enumerate() {
        let Some(what) = &c.cite else { continue };
        let pos = order.iter().position(|(j, _)| *j == i).unwrap_or(0);
        let line = starts.get(pos).copied().unwrap_or(1);
        cited.push((line, c.at, what.clone()));
    }
    (file_bytes(&doc), cited)
}

fn record(c: &Cmdlet, machine: &str, record_id: u64) -> Ps {
    let params = c.parameter_text();
    let message = if c.succeeded {
        format!("Cmdlet suceeded. Cmdlet {}, parameters {params}.", c.name)
    } else {
        format!("Cmdlet failed. Cmdlet {}, parameters {params}.", c.name)
    };
    let data = vec![
        c.name.clone(),
        params,
        c.caller.clone(),
        "S-1-5-21-3623811015-3361044348-30300820-500".to_string(),
        "S-1-5-21-3623811015-3361044348-30300820-500".to_string(),
        "ServerRemoteHost".to_string(),
        format!("{} {}", 4000 + record_id % 3000, c.process),
        String::new(),
        "0 objects execution has been proxied to remote server.".to_string(),
        String::new(),
        format!("ActivityId: {:08x}-0000-0000-0000-000000000000", record_id),
        machine.to_string(),
        String::new(),
    ];
    Ps::obj(vec![
        ("Message", Ps::str(message)),
        ("Id", Ps::Int(if c.succeeded { 1 } else { 6 })),
        ("Version", Ps::Null),
        ("Qualifiers", Ps::Int(16384)),
        ("Level", Ps::Int(if c.succeeded { 4 } else { 2 })),
        ("Task", Ps::Int(1)),
        ("Opcode", Ps::Null),
        ("Keywords", Ps::Int(36_028_797_018_963_968)),
        (
            "RecordId",
            Ps::Int(i64::try_from(record_id).unwrap_or(i64::MAX)),
        ),
        ("ProviderName", Ps::str("MSExchange CmdletLogs")),
        ("ProviderId", Ps::Null),
        ("LogName", Ps::str("MSExchange Management")),
        ("ProcessId", Ps::Null),
        ("ThreadId", Ps::Null),
        ("MachineName", Ps::str(machine)),
        ("UserId", Ps::Null),
        ("TimeCreated", Ps::Date(c.at.as_millisecond())),
        ("ActivityId", Ps::Null),
        ("RelatedActivityId", Ps::Null),
        ("ContainerLog", Ps::str("MSExchange Management")),
        ("MatchedQueryIds", Ps::Array(vec![])),
        (
            "Bookmark",
            Ps::str("System.Diagnostics.Eventing.Reader.EventBookmark"),
        ),
        (
            "LevelDisplayName",
            Ps::str(if c.succeeded { "Information" } else { "Error" }),
        ),
        ("OpcodeDisplayName", Ps::Null),
        ("TaskDisplayName", Ps::str("General")),
        ("KeywordsDisplayNames", Ps::Array(vec![Ps::str("Classic")])),
        (
            "Properties",
            Ps::Array(
                data.into_iter()
                    .map(|d| Ps::obj(vec![("Value", Ps::Str(d))]))
                    .collect(),
            ),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_is_newest_first_json_and_cites_record_lines() {
        let t = |s: &str| -> Timestamp { s.parse().unwrap() };
        let cmd = |at: &str, name: &str, cite: Option<&str>| Cmdlet {
            at: t(at),
            name: name.into(),
            params: vec![
                ("Mailbox".into(), "a@b.example".into()),
                ("Confirm:$false".into(), String::new()),
            ],
            caller: "NT AUTHORITY\\SYSTEM".into(),
            process: "powershell".into(),
            succeeded: true,
            cite: cite.map(str::to_string),
        };
        let cmdlets = vec![
            cmd("2022-12-01T10:00:00Z", "Get-Mailbox", None),
            cmd(
                "2022-12-01T11:00:00Z",
                "New-MailboxExportRequest",
                Some("export"),
            ),
        ];
        let (bytes, cited) = export(&cmdlets, "EXCH01.h.example", 100);
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v[0]["Properties"][0]["Value"], "New-MailboxExportRequest");
        assert_eq!(v[0]["RecordId"], 101);
        assert_eq!(v[1]["RecordId"], 100);
        assert_eq!(
            v[0]["Message"],
            "Cmdlet suceeded. Cmdlet New-MailboxExportRequest, parameters -Mailbox \"a@b.example\" -Confirm:$false."
        );
        assert_eq!(cited.len(), 1);
        assert_eq!(cited[0].0, 2);
        let line = text.split("\r\n").nth(1).unwrap();
        assert_eq!(line, "    {");
    }
}

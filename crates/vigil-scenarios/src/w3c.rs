//! IIS logs in the W3C extended log file format (W3C WD-logfile; Microsoft's IIS field names): daily
//! files `u_exYYMMDD.log` per site (`W3SVC1` the front end, `W3SVC2` Exchange's back end), UTC times,
//! a `#Software/#Version/#Date/#Fields` directive block at the top and again after a restart, fields
//! separated by spaces, `-` for empty, spaces inside values written as `+`.

use crate::out::{FileSpec, Folder, Mark};
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Which fields the site logs (an administrator can change the selection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IisFields {
    /// IIS's default selection.
    Default,
    /// The default without `cs(User-Agent)` and `cs(Referer)`.
    NoUserAgent,
    /// The default without `cs-uri-query`.
    NoQuery,
    /// More fields, in another order (site, computer, host, bytes).
    Extended,
}

impl IisFields {
    pub fn names(self) -> &'static [&'static str] {
        match self {
            IisFields::Default => &[
                "date",
                "time",
                "s-ip",
                "cs-method",
                "cs-uri-stem",
                "cs-uri-query",
                "s-port",
                "cs-username",
                "c-ip",
                "cs(User-Agent)",
                "cs(Referer)",
                "sc-status",
                "sc-substatus",
                "sc-win32-status",
                "time-taken",
            ],
            IisFields::NoUserAgent => &[
                "date",
                "time",
                "s-ip",
                "cs-method",
                "cs-uri-stem",
                "cs-uri-query",
                "s-port",
                "cs-username",
                "c-ip",
                "sc-status",
                "sc-substatus",
                "sc-win32-status",
                "time-taken",
            ],
            IisFields::NoQuery => &[
                "date",
                "time",
                "s-ip",
                "cs-method",
                "cs-uri-stem",
                "s-port",
                "cs-username",
                "c-ip",
                "cs(User-Agent)",
                "cs(Referer)",
                "sc-status",
                "sc-substatus",
                "sc-win32-status",
                "time-taken",
            ],
            IisFields::Extended => &[
                "date",
                "time",
                "s-sitename",
                "s-computername",
                "s-ip",
                "cs-method",
                "cs-uri-stem",
                "cs-uri-query",
                "s-port",
                "cs-username",
                "c-ip",
                "cs-version",
                "cs(User-Agent)",
                "cs(Referer)",
                "cs-host",
                "sc-status",
                "sc-substatus",
                "sc-win32-status",
                "sc-bytes",
                "cs-bytes",
                "time-taken",
            ],
        }
    }
}

/// One HTTP request as IIS logs it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    pub stem: String,
    pub query: String,
    pub port: u16,
    pub user: String,
    pub client: String,
    pub user_agent: String,
    pub referer: String,
    pub status: u16,
    pub substatus: u16,
    pub win32: u32,
    pub taken_ms: u32,
    pub host: String,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

/// One IIS site's log directory.
pub struct IisSite {
    pub site_id: u32,
    pub site_name: String,
    pub computer: String,
    pub server_ip: String,
    /// The field selection from the start.
    pub fields: IisFields,
    /// A restart at which the selection changed, and the selection after it.
    pub changed: Option<(Timestamp, IisFields)>,
}

impl IisSite {
    /// `inetpub/logs/LogFiles/W3SVC1/u_ex221201.log` under `root`; IIS rolls files over at UTC midnight.
    pub fn path(&self, root: &str, at: Timestamp) -> String {
        let d = at.to_zoned(TimeZone::UTC).date();
        format!(
            "{root}inetpub/logs/LogFiles/W3SVC{}/u_ex{:02}{:02}{:02}.log",
            self.site_id,
            d.year() % 100,
            d.month(),
            d.day()
        )
    }

    /// The field selection in force at `at`.
    pub fn fields_at(&self, at: Timestamp) -> IisFields {
        match self.changed {
            Some((t, f)) if at >= t => f,
            _ => self.fields,
        }
    }

    fn declare(&self, folder: &mut Folder, root: &str, at: Timestamp) -> String {
        let path = self.path(root, at);
        let (initial, changed) = (self.fields, self.changed);
        folder.declare(&path, || FileSpec {
            header: Some(Box::new(move |first| {
                let fields = match changed {
                    Some((t, f)) if first >= t => f,
                    _ => initial,
                };
                directives(first, fields)
            })),
            eol: "\r\n",
            gzip: false,
        });
        path
    }

    pub fn push(&self, folder: &mut Folder, root: &str, at: Timestamp, r: &Request) {
        let path = self.declare(folder, root, at);
        folder.push(&path, at, self.line(at, r));
    }

    pub fn push_marked(
        &self,
        folder: &mut Folder,
        root: &str,
        at: Timestamp,
        r: &Request,
        what: &str,
    ) -> Mark {
        let path = self.declare(folder, root, at);
        folder.push_marked(&path, at, self.line(at, r), what)
    }

    /// The directive block IIS writes again when the service restarts; the field selection changes to
    /// `fields` from then on (for every record, whenever it is added).
    pub fn restart(&mut self, folder: &mut Folder, root: &str, at: Timestamp, fields: IisFields) {
        self.changed = Some((at, fields));
        let path = self.declare(folder, root, at);
        folder.push(&path, at, directives(at, fields).join("\n"));
    }

    /// The record line for the site's field selection.
    pub fn line(&self, at: Timestamp, r: &Request) -> String {
        let z = at.to_zoned(TimeZone::UTC);
        self.fields_at(at)
            .names()
            .iter()
            .map(|f| match *f {
                "date" => format!("{:04}-{:02}-{:02}", z.year(), z.month(), z.day()),
                "time" => format!("{:02}:{:02}:{:02}", z.hour(), z.minute(), z.second()),
                "s-sitename" => field(&self.site_name),
                "s-computername" => field(&self.computer),
                "s-ip" => field(&self.server_ip),
                "cs-method" => field(&r.method),
                "cs-uri-stem" => field(&r.stem),
                "cs-uri-query" => field(&r.query),
                "s-port" => r.port.to_string(),
                "cs-username" => field(&r.user),
                "c-ip" => field(&r.client),
                "cs-version" => "HTTP/1.1".to_string(),
                "cs(User-Agent)" => field(&r.user_agent),
                "cs(Referer)" => field(&r.referer),
                "cs-host" => field(&r.host),
                "sc-status" => r.status.to_string(),
                "sc-substatus" => r.substatus.to_string(),
                "sc-win32-status" => r.win32.to_string(),
                "sc-bytes" => r.bytes_sent.to_string(),
                "cs-bytes" => r.bytes_received.to_string(),
                "time-taken" => r.taken_ms.to_string(),
                _ => "-".to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `-` for an empty value; spaces written as `+` (IIS never writes a space inside a field).
pub fn field(v: &str) -> String {
    if v.is_empty() {
        "-".to_string()
    } else {
        v.replace(' ', "+")
    }
}

/// The directive block at the top of a file (and after a restart).
pub fn directives(at: Timestamp, fields: IisFields) -> Vec<String> {
    let z = at.to_zoned(TimeZone::UTC);
    vec![
        "#Software: Microsoft Internet Information Services 10.0".to_string(),
        "#Version: 1.0".to_string(),
        format!(
            "#Date: {:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            z.year(),
            z.month(),
            z.day(),
            z.hour(),
            z.minute(),
            z.second()
        ),
        format!("#Fields: {}", fields.names().join(" ")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_follow_the_fields_directive() {
        let at: Timestamp = "2022-12-01T02:03:04Z".parse().unwrap();
        for fields in [
            IisFields::Default,
            IisFields::NoUserAgent,
            IisFields::NoQuery,
            IisFields::Extended,
        ] {
            let site = IisSite {
                site_id: 1,
                site_name: "W3SVC1".into(),
                computer: "EXCH01".into(),
                server_ip: "10.20.0.5".into(),
                fields,
                changed: None,
            };
            let r = Request {
                method: "GET".into(),
                stem: "/owa/".into(),
                port: 443,
                client: "203.0.113.9".into(),
                user_agent: "Mozilla/5.0 (Windows NT 10.0)".into(),
                status: 200,
                ..Request::default()
            };
            let line = site.line(at, &r);
            let n = line.split(' ').count();
            assert_eq!(n, fields.names().len(), "{line}");
            assert!(line.starts_with("2022-12-01 02:03:04 "));
            assert!(!line.contains("  "));
            let d = directives(at, fields);
            assert!(d[3].starts_with("#Fields: date time "));
            assert_eq!(
                site.path("", at),
                "inetpub/logs/LogFiles/W3SVC1/u_ex221201.log"
            );
        }
        assert_eq!(field("a b"), "a+b");
        assert_eq!(field(""), "-");
    }
}

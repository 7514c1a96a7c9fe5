//! Exchange's CSV logs (HttpProxy, message tracking, …): a directive block (`#Software`, `#Version`
//! with the server's padded build, `#Log-type`, `#Date`, `#Fields`), then comma-separated records in
//! the `#Fields` order, values quoted when they hold a comma or a quote, UTC times with milliseconds.

use crate::out::{FileSpec, Folder, Mark};
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// One kind of Exchange CSV log.
#[derive(Debug, Clone)]
pub struct CsvLog {
    pub fields: &'static [&'static str],
    /// `Microsoft Exchange Server`.
    pub software: &'static str,
    /// `HttpProxy Logs`, `Message Tracking Log`.
    pub log_type: &'static str,
    /// The server's build as these logs write it: `15.02.1118.015`.
    pub version: String,
}

impl CsvLog {
    /// The directive block for a file whose first record is at `first`.
    pub fn header(&self, first: Timestamp) -> Vec<String> {
        vec![
            format!("#Software: {}", self.software),
            format!("#Version: {}", self.version),
            format!("#Log-type: {}", self.log_type),
            format!("#Date: {}", iso_ms(first)),
            format!("#Fields: {}", self.fields.join(",")),
        ]
    }

    /// A record: values by field name, in the `#Fields` order; fields not given are empty.
    pub fn row(&self, values: &[(&str, String)]) -> String {
        self.fields
            .iter()
            .map(|f| {
                values
                    .iter()
                    .find(|(k, _)| k == f)
                    .map(|(_, v)| quote(v))
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    fn declare(&self, folder: &mut Folder, path: &str) {
        let header = self.header_fn();
        folder.declare(path, || FileSpec {
            header: Some(header),
            eol: "\r\n",
            gzip: false,
        });
    }

    fn header_fn(&self) -> crate::out::HeaderFn {
        let me = self.clone();
        Box::new(move |first| me.header(first))
    }

    pub fn push(&self, folder: &mut Folder, path: &str, at: Timestamp, values: &[(&str, String)]) {
        self.declare(folder, path);
        folder.push(path, at, self.row(values));
    }

    pub fn push_marked(
        &self,
        folder: &mut Folder,
        path: &str,
        at: Timestamp,
        values: &[(&str, String)],
        what: &str,
    ) -> Mark {
        self.declare(folder, path);
        folder.push_marked(path, at, self.row(values), what)
    }
}

/// RFC 4180 quoting as Exchange writes it: only values with a comma, a quote or a line break are quoted.
pub fn quote(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

/// `2022-12-01T02:00:00.123Z`.
pub fn iso_ms(at: Timestamp) -> String {
    let z = at.to_zoned(TimeZone::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        z.year(),
        z.month(),
        z.day(),
        z.hour(),
        z.minute(),
        z.second(),
        z.subsec_nanosecond() / 1_000_000
    )
}

/// `YYYYMMDDHH` of an hourly log file name (UTC).
pub fn hour_stamp(at: Timestamp) -> String {
    let z = at.to_zoned(TimeZone::UTC);
    format!(
        "{:04}{:02}{:02}{:02}",
        z.year(),
        z.month(),
        z.day(),
        z.hour()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_fields_and_quote_when_needed() {
        let log = CsvLog {
            fields: &["a", "b", "c"],
            software: "Microsoft Exchange Server",
            log_type: "Test Logs",
            version: "15.02.1118.015".into(),
        };
        assert_eq!(
            log.row(&[("c", "x,y".into()), ("a", "say \"hi\"".into())]),
            "\"say \"\"hi\"\"\",,\"x,y\""
        );
        let at: Timestamp = "2022-12-01T02:00:00.123Z".parse().unwrap();
        let h = log.header(at);
        assert_eq!(h[3], "#Date: 2022-12-01T02:00:00.123Z");
        assert_eq!(h[4], "#Fields: a,b,c");
        assert_eq!(hour_stamp(at), "2022120102");
    }
}

//! The RPM header structure, as rpm stores one per installed package in its database.
//!
//! Layout (rpm's `lib/header.c`, `doc/manual/format_header.md`): two big-endian 32-bit counts, `il` index
//! entries and `dl` bytes of data, then `il` entries of 16 bytes (tag, type, offset into the data,
//! count), then the data. Headers in `.rpm` files carry an 8-byte intro (magic `8E AD E8 01` and 4
//! reserved bytes) first; database blobs do not. Every count and offset here comes from the file, so each
//! is checked against the blob before use, with rpm's own upper bounds.

/// rpm refuses headers with more index entries than this (`HEADER_TAGS_MAX`).
const MAX_ENTRIES: u32 = 0xffff;
/// rpm refuses headers with more data than this (`HEADER_DATA_MAX`).
const MAX_DATA: u32 = 0x0fff_ffff;
const HEADER_MAGIC: [u8; 4] = [0x8E, 0xAD, 0xE8, 0x01];

pub const TAG_NAME: u32 = 1000;
pub const TAG_VERSION: u32 = 1001;
pub const TAG_RELEASE: u32 = 1002;
pub const TAG_EPOCH: u32 = 1003;
pub const TAG_ARCH: u32 = 1022;
pub const TAG_SOURCERPM: u32 = 1044;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("header blob of {0} bytes is too short for its counts")]
    Truncated(usize),
    #[error("header declares {0} index entries (limit {MAX_ENTRIES})")]
    TooManyEntries(u32),
    #[error("header declares {0} data bytes (limit {MAX_DATA})")]
    TooMuchData(u32),
    #[error("tag {tag}: offset {offset} is outside the {len}-byte data store")]
    BadOffset { tag: u32, offset: u32, len: usize },
    #[error("tag {tag}: string is not NUL-terminated inside the data store")]
    Unterminated { tag: u32 },
    #[error("tag {tag}: unexpected type {ty}")]
    BadType { tag: u32, ty: u32 },
    #[error("header has no {0} tag")]
    Missing(&'static str),
}

/// The identity of one installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmHeader {
    pub name: String,
    pub version: String,
    pub release: String,
    pub epoch: Option<u32>,
    pub arch: Option<String>,
    pub source_rpm: Option<String>,
}

impl RpmHeader {
    /// `epoch:version-release`, without the epoch when there is none or it is 0.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) if e != 0 => format!("{e}:{}-{}", self.version, self.release),
            _ => format!("{}-{}", self.version, self.release),
        }
    }
}

struct Entry {
    tag: u32,
    ty: u32,
    offset: u32,
    count: u32,
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(s.try_into().ok()?))
}

pub fn parse(blob: &[u8]) -> Result<RpmHeader, HeaderError> {
    let blob = match blob.get(..4) {
        Some(m) if m == HEADER_MAGIC => blob.get(8..).ok_or(HeaderError::Truncated(blob.len()))?,
        _ => blob,
    };
    let il = be32(blob, 0).ok_or(HeaderError::Truncated(blob.len()))?;
    let dl = be32(blob, 4).ok_or(HeaderError::Truncated(blob.len()))?;
    if il > MAX_ENTRIES {
        return Err(HeaderError::TooManyEntries(il));
    }
    if dl > MAX_DATA {
        return Err(HeaderError::TooMuchData(dl));
    }
    let index_len = il as usize * 16;
    let data_start = 8 + index_len;
    let data = blob
        .get(data_start..data_start + dl as usize)
        .ok_or(HeaderError::Truncated(blob.len()))?;
    let entries: Vec<Entry> = (0..il as usize)
        .filter_map(|i| {
            let at = 8 + i * 16;
            Some(Entry {
                tag: be32(blob, at)?,
                ty: be32(blob, at + 4)?,
                offset: be32(blob, at + 8)?,
                count: be32(blob, at + 12)?,
            })
        })
        .collect();
    let find = |tag: u32| entries.iter().find(|e| e.tag == tag);
    let string = |tag: u32| -> Result<Option<String>, HeaderError> {
        let Some(e) = find(tag) else {
            return Ok(None);
        };
        if !matches!(e.ty, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) || e.count == 0 {
            return Err(HeaderError::BadType { tag, ty: e.ty });
        }
        let rest = data
            .get(e.offset as usize..)
            .ok_or(HeaderError::BadOffset {
                tag,
                offset: e.offset,
                len: data.len(),
            })?;
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(HeaderError::Unterminated { tag })?;
        Ok(rest
            .get(..end)
            .map(|s| String::from_utf8_lossy(s).into_owned()))
    };
    let epoch = match find(TAG_EPOCH) {
        None => None,
        Some(e) if e.ty == TYPE_INT32 && e.count >= 1 => {
            Some(be32(data, e.offset as usize).ok_or(HeaderError::BadOffset {
                tag: TAG_EPOCH,
                offset: e.offset,
                len: data.len(),
            })?)
        }
        Some(e) => {
            return Err(HeaderError::BadType {
                tag: TAG_EPOCH,
                ty: e.ty,
            });
        }
    };
    Ok(RpmHeader {
        name: string(TAG_NAME)?.ok_or(HeaderError::Missing("NAME"))?,
        version: string(TAG_VERSION)?.ok_or(HeaderError::Missing("VERSION"))?,
        release: string(TAG_RELEASE)?.ok_or(HeaderError::Missing("RELEASE"))?,
        epoch,
        arch: string(TAG_ARCH)?,
        source_rpm: string(TAG_SOURCERPM)?,
    })
}

/// Builds a header blob in the database layout (for tests and fixtures): `(tag, value)` pairs, where
/// a value is a string or an INT32.
#[cfg(test)]
pub(crate) fn build(entries: &[(u32, Value<'_>)]) -> Vec<u8> {
    let mut index = Vec::new();
    let mut data: Vec<u8> = Vec::new();
    for (tag, v) in entries {
        let (ty, bytes): (u32, Vec<u8>) = match v {
            Value::Str(s) => (TYPE_STRING, [s.as_bytes(), &[0]].concat()),
            Value::Int(i) => {
                while !data.len().is_multiple_of(4) {
                    data.push(0);
                }
                (TYPE_INT32, i.to_be_bytes().to_vec())
            }
        };
        index.extend_from_slice(&tag.to_be_bytes());
        index.extend_from_slice(&ty.to_be_bytes());
        index.extend_from_slice(&(data.len() as u32).to_be_bytes());
        index.extend_from_slice(&1u32.to_be_bytes());
        data.extend_from_slice(&bytes);
    }
    let mut out = Vec::new();
    out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(&index);
    out.extend_from_slice(&data);
    out
}

#[cfg(test)]
pub(crate) enum Value<'a> {
    Str(&'a str),
    Int(u32),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructed_header() {
        let blob = build(&[
            (TAG_NAME, Value::Str("bash")),
            (TAG_VERSION, Value::Str("5.1.8")),
            (TAG_RELEASE, Value::Str("6.el9_1")),
            (TAG_EPOCH, Value::Int(2)),
            (TAG_ARCH, Value::Str("x86_64")),
            (TAG_SOURCERPM, Value::Str("bash-5.1.8-6.el9_1.src.rpm")),
        ]);
        let h = parse(&blob).unwrap();
        assert_eq!(h.name, "bash");
        assert_eq!(h.evr(), "2:5.1.8-6.el9_1");
        assert_eq!(h.arch.as_deref(), Some("x86_64"));
        assert_eq!(h.source_rpm.as_deref(), Some("bash-5.1.8-6.el9_1.src.rpm"));
        // The same header behind the .rpm-file intro.
        let mut with_magic = HEADER_MAGIC.to_vec();
        with_magic.extend_from_slice(&[0, 0, 0, 0]);
        with_magic.extend_from_slice(&blob);
        assert_eq!(parse(&with_magic).unwrap(), h);
    }

    #[test]
    fn hostile_headers() {
        assert_eq!(parse(&[0, 0]), Err(HeaderError::Truncated(2)));
        assert_eq!(
            parse(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]),
            Err(HeaderError::TooManyEntries(u32::MAX))
        );
        assert_eq!(
            parse(&[0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]),
            Err(HeaderError::TooMuchData(u32::MAX))
        );
        // Count claims more data than present.
        assert!(matches!(
            parse(&[0, 0, 0, 1, 0, 0, 0, 9, 0, 0]),
            Err(HeaderError::Truncated(_))
        ));
        // Offset beyond the data store.
        let mut blob = build(&[(TAG_NAME, Value::Str("x"))]);
        blob[8 + 8..8 + 12].copy_from_slice(&1000u32.to_be_bytes());
        assert!(matches!(parse(&blob), Err(HeaderError::BadOffset { .. })));
        // String without its NUL.
        let mut blob = build(&[(TAG_NAME, Value::Str("x"))]);
        let last = blob.len() - 1;
        blob[last] = b'y';
        assert_eq!(
            parse(&blob),
            Err(HeaderError::Unterminated { tag: TAG_NAME })
        );
        let blob = build(&[(TAG_NAME, Value::Str("x")), (TAG_VERSION, Value::Str("1"))]);
        assert_eq!(parse(&blob), Err(HeaderError::Missing("RELEASE")));
    }
}

//! A small element tree over quick-xml, for the XML inputs (Maven POMs, CycloneDX XML): element local
//! names (namespace prefixes dropped), text, children and the 1-based line of each start tag.
//!
//! Bounded for hostile input: nesting deeper than [`MAX_DEPTH`] or more than [`MAX_NODES`] elements is an
//! error, and entity references other than XML's five predefined ones and character references are not
//! expanded (quick-xml never expands DTD entities), so entity-expansion bombs do not apply.

use crate::lines::LineIndex;
use quick_xml::Reader;
use quick_xml::events::Event;

pub const MAX_DEPTH: usize = 128;
pub const MAX_NODES: usize = 2_000_000;

#[derive(Debug, Default)]
pub struct Node {
    pub name: String,
    pub text: String,
    pub children: Vec<Node>,
    pub line: u32,
}

impl Node {
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Trimmed text of a child element, if present and non-empty.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }
}

/// Parses `text` into its root element; errors carry the line.
pub fn parse(text: &str) -> Result<Node, (Option<u32>, String)> {
    let idx = LineIndex::new(text);
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let mut nodes = 0usize;
    loop {
        let pos = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let ev = reader.read_event().map_err(|e| {
            let at = usize::try_from(reader.error_position()).unwrap_or(0);
            (Some(idx.line(at)), format!("invalid XML: {e}"))
        })?;
        match ev {
            Event::Start(ref s) | Event::Empty(ref s) => {
                nodes += 1;
                if nodes > MAX_NODES {
                    return Err((
                        Some(idx.line(pos)),
                        format!("more than {MAX_NODES} elements"),
                    ));
                }
                let name = s.local_name().as_ref().to_string();
                let node = Node {
                    name,
                    line: idx.line(pos.min(text.len())),
                    ..Node::default()
                };
                let is_empty = matches!(ev, Event::Empty(_));
                if is_empty {
                    attach(node, &mut stack, &mut root);
                } else {
                    if stack.len() >= MAX_DEPTH {
                        return Err((
                            Some(idx.line(pos)),
                            format!("nesting deeper than {MAX_DEPTH}"),
                        ));
                    }
                    stack.push(node);
                }
            }
            Event::End(_) => {
                if let Some(done) = stack.pop() {
                    attach(done, &mut stack, &mut root);
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&c.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    match r.resolve_char_ref() {
                        Ok(Some(ch)) => top.text.push(ch),
                        _ => match &*r {
                            "amp" => top.text.push('&'),
                            "lt" => top.text.push('<'),
                            "gt" => top.text.push('>'),
                            "quot" => top.text.push('"'),
                            "apos" => top.text.push('\''),
                            other => {
                                top.text.push('&');
                                top.text.push_str(other);
                                top.text.push(';');
                            }
                        },
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        if root.is_some() && stack.is_empty() {
            // Trailing content after the root element is ignored.
            break;
        }
    }
    root.ok_or((None, "no root element".to_string()))
}

fn attach(node: Node, stack: &mut [Node], root: &mut Option<Node>) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None => {
            if root.is_none() {
                *root = Some(node);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_with_lines_and_entities() {
        let t = "<?xml version=\"1.0\"?>\n<a:root xmlns:a=\"x\">\n  <b>1 &amp; 2 &#65;</b>\n  <c/>\n  <d><![CDATA[<raw>]]></d>\n</a:root>";
        let r = parse(t).unwrap();
        assert_eq!(r.name, "root");
        assert_eq!(r.line, 2);
        assert_eq!(r.text_of("b"), Some("1 & 2 A"));
        assert_eq!(r.child("c").map(|c| c.line), Some(4));
        assert_eq!(r.text_of("d"), Some("<raw>"));
    }

    #[test]
    fn bounded() {
        let deep = "<a>".repeat(10_000);
        assert!(parse(&deep).unwrap_err().1.contains("nesting"));
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("").is_err());
    }
}

//! CycloneDX XML (`<bom xmlns="http://cyclonedx.org/schema/bom/1.x">`). Components are read from
//! `<components>` and, recursively, each `<component>`'s own `<components>`; `<metadata><component>` is the
//! BOM's subject and is skipped.

use crate::Sink;
use crate::error::InventoryError;
use crate::xml_tree::{self, Node};

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let root = xml_tree::parse(text)
        .map_err(|(line, reason)| InventoryError::parse(sink.file(), line, reason))?;
    if root.name != "bom" {
        return Err(InventoryError::parse(
            sink.file(),
            Some(root.line),
            format!("root element is `{}`, not `bom`", root.name),
        ));
    }
    if let Some(list) = root.child("components") {
        walk(list, sink);
    }
    Ok(())
}

fn walk(list: &Node, sink: &mut Sink<'_>) {
    for c in list.children_named("component") {
        let name = match (c.text_of("group"), c.text_of("name")) {
            (Some(g), Some(n)) => Some(format!("{g}/{n}")),
            (_, n) => n.map(str::to_string),
        };
        let line = c.child("purl").map_or(c.line, |p| p.line) as usize;
        super::component(
            sink,
            c.text_of("purl"),
            name.as_deref(),
            c.text_of("version"),
            Some(line),
        );
        if let Some(sub) = c.child("components") {
            walk(sub, sink);
        }
    }
}

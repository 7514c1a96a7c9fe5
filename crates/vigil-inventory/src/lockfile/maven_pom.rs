//! Maven `pom.xml`, read on its own (without the parent chain or imported BOMs, which would need the
//! network or a local repository).
//!
//! Each `<dependency>` of `<dependencies>` becomes `groupId:artifactId` at its version when the version
//! is literal, or a `${property}` defined in the same pom's `<properties>` (or `${project.version}`,
//! `${project.groupId}`, `${project.parent.version}`), resolved recursively. A version that is missing
//! here but set in the same pom's `<dependencyManagement>` is taken from there. Anything else (a version
//! managed by a parent or BOM, a property defined elsewhere, a version range) is reported as not
//! assessed. Dependencies inside `<profiles>` are conditional and are read too, like the main ones.

use crate::Sink;
use crate::error::InventoryError;
use crate::xml_tree::{self, Node};
use std::collections::HashMap;

const MAX_INTERPOLATION: usize = 16;

pub fn parse(text: &str, sink: &mut Sink<'_>) -> Result<(), InventoryError> {
    let root = xml_tree::parse(text)
        .map_err(|(line, reason)| InventoryError::parse(sink.file(), line, reason))?;
    if root.name != "project" {
        return Err(InventoryError::parse(
            sink.file(),
            Some(root.line),
            format!("root element is `{}`, not `project`", root.name),
        ));
    }
    let mut props: HashMap<String, String> = HashMap::new();
    if let Some(p) = root.child("properties") {
        for c in &p.children {
            props.insert(c.name.clone(), c.text.trim().to_string());
        }
    }
    let parent = root.child("parent");
    let version = root
        .text_of("version")
        .or_else(|| parent.and_then(|p| p.text_of("version")));
    let group = root
        .text_of("groupId")
        .or_else(|| parent.and_then(|p| p.text_of("groupId")));
    for (k, v) in [
        ("project.version", version),
        ("pom.version", version),
        ("version", version),
        ("project.groupId", group),
        ("pom.groupId", group),
        (
            "project.parent.version",
            parent.and_then(|p| p.text_of("version")),
        ),
        (
            "project.parent.groupId",
            parent.and_then(|p| p.text_of("groupId")),
        ),
        ("project.artifactId", root.text_of("artifactId")),
    ] {
        if let Some(v) = v {
            props.entry(k.to_string()).or_insert_with(|| v.to_string());
        }
    }

    let mut managed: HashMap<(String, String), String> = HashMap::new();
    if let Some(dm) = root
        .child("dependencyManagement")
        .and_then(|d| d.child("dependencies"))
    {
        for d in dm.children_named("dependency") {
            if let (Some(g), Some(a), Some(v)) = (
                d.text_of("groupId"),
                d.text_of("artifactId"),
                d.text_of("version"),
            ) && let Ok(v) = interpolate(v, &props)
            {
                let g = interpolate(g, &props).unwrap_or_else(|_| g.to_string());
                managed.insert((g, a.to_string()), v);
            }
        }
    }

    let mut lists: Vec<&Node> = root.child("dependencies").into_iter().collect();
    if let Some(profiles) = root.child("profiles") {
        for p in profiles.children_named("profile") {
            lists.extend(p.child("dependencies"));
        }
    }
    for list in lists {
        for d in list.children_named("dependency") {
            dependency(d, &props, &managed, sink);
        }
    }
    Ok(())
}

fn dependency(
    d: &Node,
    props: &HashMap<String, String>,
    managed: &HashMap<(String, String), String>,
    sink: &mut Sink<'_>,
) {
    let line = Some(d.line as usize);
    let (Some(g), Some(a)) = (d.text_of("groupId"), d.text_of("artifactId")) else {
        sink.not_assessed(line, "dependency without groupId or artifactId");
        return;
    };
    let group = match interpolate(g, props) {
        Ok(g) => g,
        Err(p) => {
            sink.not_assessed(
                line,
                format!("`{g}:{a}`: groupId property `${{{p}}}` is not defined in this pom"),
            );
            return;
        }
    };
    let name = format!("{group}:{a}");
    let version = match d.text_of("version") {
        Some(v) => match interpolate(v, props) {
            Ok(v) => v,
            Err(p) => {
                sink.not_assessed(
                    line,
                    format!("`{name}`: version property `${{{p}}}` is not defined in this pom (parent or BOM)"),
                );
                return;
            }
        },
        None => match managed.get(&(group.clone(), a.to_string())) {
            Some(v) => v.clone(),
            None => {
                sink.not_assessed(
                    line,
                    format!("`{name}` has no version here: it is managed by a parent POM or an imported BOM"),
                );
                return;
            }
        },
    };
    if version.starts_with(['[', '(']) || version.contains(',') {
        sink.not_assessed(line, format!("`{name}` has the version range `{version}`"));
        return;
    }
    sink.package("Maven", &name, &version, line);
}

/// Replaces `${name}` references; returns the first undefined property name.
fn interpolate(value: &str, props: &HashMap<String, String>) -> Result<String, String> {
    let mut cur = value.to_string();
    for _ in 0..MAX_INTERPOLATION {
        let Some(start) = cur.find("${") else {
            return Ok(cur);
        };
        let Some(len) = cur.get(start + 2..).and_then(|r| r.find('}')) else {
            return Err(cur.get(start + 2..).unwrap_or_default().to_string());
        };
        let key = cur
            .get(start + 2..start + 2 + len)
            .unwrap_or_default()
            .to_string();
        let Some(val) = props.get(&key) else {
            return Err(key);
        };
        cur = format!(
            "{}{}{}",
            cur.get(..start).unwrap_or_default(),
            val,
            cur.get(start + 3 + len..).unwrap_or_default()
        );
    }
    Err(format!(
        "{value} (references nest more than {MAX_INTERPOLATION} deep)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Inventory;

    const POM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>2.6.5</version>
  </parent>
  <groupId>com.example</groupId>
  <artifactId>demo</artifactId>
  <version>1.0.0</version>
  <properties>
    <log4j.version>2.14.1</log4j.version>
    <log4j2.version>${log4j.version}</log4j2.version>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>com.fasterxml.jackson.core</groupId>
        <artifactId>jackson-databind</artifactId>
        <version>2.13.2</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>${log4j2.version}</version>
    </dependency>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-web</artifactId>
    </dependency>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
    </dependency>
    <dependency>
      <groupId>${project.groupId}</groupId>
      <artifactId>demo-common</artifactId>
      <version>${project.version}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
      <version>${slf4j.version}</version>
    </dependency>
    <dependency>
      <groupId>junit</groupId>
      <artifactId>junit</artifactId>
      <version>[4.12,5.0)</version>
      <scope>test</scope>
    </dependency>
  </dependencies>
</project>
"#;

    #[test]
    fn pom_properties_and_management() {
        let mut inv = Inventory::default();
        parse(POM, &mut Sink::new("pom.xml", &mut inv)).unwrap();
        let got: Vec<(&str, &str, Option<u32>)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.location.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("org.apache.logging.log4j:log4j-core", "2.14.1", Some(26)),
                (
                    "com.fasterxml.jackson.core:jackson-databind",
                    "2.13.2",
                    Some(35)
                ),
                ("com.example:demo-common", "1.0.0", Some(39)),
            ]
        );
        assert_eq!(
            inv.packages[0].purl.as_deref(),
            Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
        );
        let na: Vec<(&str, bool)> = inv
            .not_assessed
            .iter()
            .map(|n| (n.location.as_str(), n.reason.contains("slf4j.version")))
            .collect();
        assert_eq!(
            na,
            vec![
                ("pom.xml:31", false),
                ("pom.xml:44", true),
                ("pom.xml:49", false)
            ]
        );
    }

    #[test]
    fn self_reference_is_bounded() {
        let mut props = HashMap::new();
        props.insert("a".to_string(), "${a}".to_string());
        assert!(interpolate("${a}", &props).is_err());
    }
}

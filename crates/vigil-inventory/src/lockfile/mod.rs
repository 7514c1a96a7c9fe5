//! Language lockfiles and manifests: one module per format.

pub mod cargo_lock;
pub mod composer_lock;
pub mod gemfile_lock;
pub mod go_mod;
pub mod maven_pom;
pub mod npm_lock;
pub mod nuget_lock;
pub mod pipfile_lock;
pub mod pnpm_lock;
pub mod poetry_lock;
pub mod requirements;
pub mod uv_lock;
pub mod yarn_lock;

use crate::Sink;
use crate::error::InventoryError;

/// Parses JSON, turning serde_json's error into one naming the file and line.
pub(crate) fn json(text: &str, sink: &Sink<'_>) -> Result<serde_json::Value, InventoryError> {
    serde_json::from_str(text).map_err(|e| {
        InventoryError::parse(
            sink.file(),
            u32::try_from(e.line()).ok().filter(|l| *l > 0),
            format!("invalid JSON: {e}"),
        )
    })
}

/// Parses TOML, turning the error into one naming the file and line.
pub(crate) fn toml_table(text: &str, sink: &Sink<'_>) -> Result<toml::Table, InventoryError> {
    toml::from_str::<toml::Table>(text).map_err(|e| {
        InventoryError::parse(
            sink.file(),
            crate::lines::toml_error_line(text, &e),
            format!("invalid TOML: {}", e.message()),
        )
    })
}

//! File formats: Jolteon workflow and profile JSON ([`jolteon`]), the native
//! profile CSV ([`csv`]) and the project JSON ([`project`]). The plan JSON
//! lives with its type in [`crate::plan`].
//!
//! Every reader takes the file's contents as `&str`, never panics on bad input,
//! and returns an error whose message names where the problem is: a line
//! (and column) for syntax, a JSON path such as `stage1.compute[1][3]` or a
//! CSV line and column name for content. JSON objects with a repeated key are
//! rejected (the project file through serde's derived structs, Jolteon files
//! through a strict parser), never resolved silently.

pub mod csv;
pub mod jolteon;
pub mod project;
mod strict_json;

use serde_json::Value;

/// A short description of a JSON value for error messages: strings quoted,
/// other values as compact JSON, cut after 40 characters.
pub(crate) fn describe(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}..", &text[..cut]),
        None => text,
    }
}

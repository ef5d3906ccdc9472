//! File formats: Jolteon workflow and profile JSON ([`jolteon`]), the native
//! profile CSV ([`csv`]) and the project JSON ([`project`]); a user's own AWS
//! files: Step Functions state machines ([`asl`], YAML through [`yaml`]),
//! Lambda `REPORT` logs ([`lambda_logs`]) and Power Tuning results
//! ([`power_tuning`]), read together by [`batch`]; and [`detect`], which names
//! the kind of any file. The plan JSON lives with its type in [`crate::plan`].
//!
//! Every reader takes the file's contents as `&str`, never panics on bad input,
//! and returns an error whose message names where the problem is: a line
//! (and column) for syntax, a JSON path such as `stage1.compute[1][3]` or a
//! CSV line and column name for content. JSON objects with a repeated key are
//! rejected (the project file through serde's derived structs, Jolteon files
//! through a strict parser), never resolved silently.

pub mod asl;
pub mod batch;
pub mod csv;
pub mod detect;
pub mod jolteon;
pub mod lambda_logs;
pub mod power_tuning;
pub mod project;
mod strict_json;
pub mod yaml;

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

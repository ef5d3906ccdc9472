//! The project file: everything the app needs to restore a session.
//!
//! Pretty-printed JSON with a trailing newline, fields in this order:
//!
//! ```json
//! {
//!   "format": "faasplan-project",
//!   "version": 1,
//!   "workflow": { "name": .., "stages": [..], "edges": [..] },
//!   "profiles": { "mb_per_vcpu": .., "stages": [..] },
//!   "platform": { "name": .., "price_per_gb_s": .., .. },
//!   "settings": { "bound": {..}, "percentile": .., .. }
//! }
//! ```
//!
//! The nested objects are the serde forms of [`Workflow`], [`Profiles`],
//! [`Platform`] and [`PlanSettings`]. Reading checks `format` and `version`
//! first (so another file type or version gets a clear message), then parses
//! the rest, then validates the workflow, the platform and the settings, and
//! checks that every profiled stage is a stage of the workflow. Floats are
//! written in shortest round-trip form, so write → read → write is
//! byte-identical and read gives back the same values bit for bit.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::dag::{Workflow, WorkflowError};
use crate::platform::{Platform, PlatformError};
use crate::profile::Profiles;
use crate::settings::{PlanSettings, SettingsError};

/// The value of the `format` field.
pub const PROJECT_FORMAT: &str = "faasplan-project";
/// The version this code reads and writes.
pub const PROJECT_VERSION: u32 = 1;

/// A saved project.
#[derive(Clone, Debug, PartialEq)]
pub struct Project {
    /// The workflow DAG.
    pub workflow: Workflow,
    /// Measured profiles.
    pub profiles: Profiles,
    /// Prices and limits.
    pub platform: Platform,
    /// Planning settings.
    pub settings: PlanSettings,
}

/// Why a project file could not be read.
#[derive(Debug, Error)]
pub enum ProjectFileError {
    /// Not JSON, or a field has the wrong shape.
    #[error("project json: {0}")]
    Json(#[from] serde_json::Error),
    /// The `format` field is missing or names another file type.
    #[error("format: expected \"faasplan-project\", found {0} (not a faasplan project file)")]
    NotAProject(String),
    /// The `version` is not one this code reads.
    #[error("version: {0} is not supported (this faasplan reads project version 1)")]
    UnsupportedVersion(String),
    /// The workflow is invalid.
    #[error("workflow: {0}")]
    Workflow(#[from] WorkflowError),
    /// The platform is invalid.
    #[error("{0}")]
    Platform(#[from] PlatformError),
    /// The settings are invalid.
    #[error("{0}")]
    Settings(#[from] SettingsError),
    /// The profiles do not fit the workflow.
    #[error("profiles.{field}: {message}")]
    Profiles {
        /// The offending field, e.g. `stages[2].stage`.
        field: String,
        /// What is wrong.
        message: String,
    },
}

#[derive(Serialize)]
struct FileOut<'a> {
    format: &'a str,
    version: u32,
    workflow: &'a Workflow,
    profiles: &'a Profiles,
    platform: &'a Platform,
    settings: &'a PlanSettings,
}

#[derive(Deserialize)]
struct FileIn {
    workflow: Workflow,
    profiles: Profiles,
    platform: Platform,
    settings: PlanSettings,
}

/// The `format` and `version` fields of a faasplan JSON file, whatever their types.
#[derive(Deserialize)]
struct FileHeader {
    format: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
}

/// Why a faasplan JSON file's header does not match.
pub(crate) enum HeaderError {
    /// Not JSON.
    Json(serde_json::Error),
    /// Another file type; what `format` holds instead.
    Format(String),
    /// Another version; what `version` holds instead.
    Version(String),
}

/// Checks that `text` is a JSON object whose `format` and `version` are the given ones.
pub(crate) fn check_header(text: &str, format: &str, version: u32) -> Result<(), HeaderError> {
    let header: FileHeader = match serde_json::from_str(text) {
        Ok(h) => h,
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            return Err(HeaderError::Format(
                "a JSON value that is not an object".into(),
            ));
        }
        Err(e) => return Err(HeaderError::Json(e)),
    };
    let describe =
        |v: &Option<serde_json::Value>| v.as_ref().map_or("nothing".into(), super::describe);
    if header.format.as_ref().and_then(|f| f.as_str()) != Some(format) {
        return Err(HeaderError::Format(describe(&header.format)));
    }
    if header.version.as_ref().and_then(|v| v.as_u64()) != Some(u64::from(version)) {
        return Err(HeaderError::Version(describe(&header.version)));
    }
    Ok(())
}

impl Project {
    /// The project as pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let file = FileOut {
            format: PROJECT_FORMAT,
            version: PROJECT_VERSION,
            workflow: &self.workflow,
            profiles: &self.profiles,
            platform: &self.platform,
            settings: &self.settings,
        };
        // Serialising these plain data types to a String cannot fail: every map key is a string.
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads and validates a project file (see the module docs).
    pub fn from_json(text: &str) -> Result<Project, ProjectFileError> {
        check_header(text, PROJECT_FORMAT, PROJECT_VERSION).map_err(|e| match e {
            HeaderError::Json(e) => ProjectFileError::Json(e),
            HeaderError::Format(found) => ProjectFileError::NotAProject(found),
            HeaderError::Version(found) => ProjectFileError::UnsupportedVersion(found),
        })?;
        let file: FileIn = serde_json::from_str(text)?;
        file.workflow.validate()?;
        file.platform.validate()?;
        file.settings.validate()?;
        check_profiles(&file.profiles, &file.workflow)?;
        Ok(Project {
            workflow: file.workflow,
            profiles: file.profiles,
            platform: file.platform,
            settings: file.settings,
        })
    }
}

/// Checks profiles against the workflow they are for, as reading a project file
/// does: a valid `mb_per_vcpu`, stages of the workflow, each once, and every
/// run's values. The error names the field (`profiles.stages[2].runs[0].…`).
pub fn check_profiles(profiles: &Profiles, workflow: &Workflow) -> Result<(), ProjectFileError> {
    let err = |field: String, message: String| ProjectFileError::Profiles { field, message };
    if !(profiles.mb_per_vcpu.is_finite() && profiles.mb_per_vcpu > 0.0) {
        return Err(err(
            "mb_per_vcpu".into(),
            format!("{} is not a finite value above 0", profiles.mb_per_vcpu),
        ));
    }
    for (i, stage) in profiles.stages.iter().enumerate() {
        if workflow.stage_index(&stage.stage).is_none() {
            return Err(err(
                format!("stages[{i}].stage"),
                format!("{:?} is not a stage of the workflow", stage.stage),
            ));
        }
        if profiles.stages[..i].iter().any(|s| s.stage == stage.stage) {
            return Err(err(
                format!("stages[{i}].stage"),
                format!("{:?} is profiled twice", stage.stage),
            ));
        }
        for (j, run) in stage.runs.iter().enumerate() {
            if let Err(p) = run.check() {
                return Err(err(format!("stages[{i}].runs[{j}].{}", p.field), p.message));
            }
        }
    }
    Ok(())
}

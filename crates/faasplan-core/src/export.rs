//! Deploy-ready exports of a plan for a workflow imported from a Step
//! Functions state machine: the state machine with each Map's
//! `MaxConcurrency` set to the planned d, and the planned memory per function
//! as SAM/CloudFormation parameter overrides, a Terraform `tfvars` file and an
//! `aws lambda update-function-configuration` script; for a plan that chose
//! architectures, the functions' `Architectures` as parameters and tfvars
//! ([`architecture_files`]).
//!
//! Only Lambda stages whose function is named in the definition get memory;
//! a function chosen at run time or a service integration is listed in the
//! exports' comments instead. Re-importing the exported state machine gives
//! the same stages and edges.
//!
//! The import ties every function's stages to one memory size and architecture
//! ([`crate::dag::SharedMemory`]), so a plan of it never gives a function two;
//! the checks here ([`ExportError::Conflict`], [`ExportError::CycleCopies`])
//! stay as a guard against a plan made for another workflow or edited by hand.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::arch::Arch;
use crate::dag::Config;
use crate::formats::asl::{AslImport, Invoke};

/// The planned configuration of each stage, by stage id.
pub type StageConfigs = BTreeMap<String, Config>;

/// The planned configurations of a plan report, by stage id.
pub fn configs_of(report: &crate::plan::PlanReport) -> StageConfigs {
    report
        .stages
        .iter()
        .map(|s| {
            (
                s.stage.clone(),
                Config {
                    memory_mb: s.memory_mb,
                    d: s.d,
                },
            )
        })
        .collect()
}

/// Why an export cannot be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// The plan has no configuration for a stage.
    #[error("stage {0}: the plan has no configuration for it")]
    MissingStage(String),
    /// Stages of one function were planned with different memory sizes.
    #[error(
        "function {function}: its stages were planned with {a} MB and {b} MB; a function has one memory size"
    )]
    Conflict {
        /// Function name.
        function: String,
        /// One size.
        a: u32,
        /// Another size.
        b: u32,
    },
    /// Stages of one function were planned on different architectures.
    #[error(
        "function {function}: its stages were planned on {a} and {b}; a function has one architecture"
    )]
    ArchitectureConflict {
        /// Function name.
        function: String,
        /// One architecture.
        a: Arch,
        /// Another.
        b: Arch,
    },
    /// Copies of an unrolled cycle's state were planned with different memory sizes.
    #[error(
        "function {function}: stages {first} and {second} are copies of one state on a cycle that is unrolled (its body is not a chain of stages), planned with {a} MB and {b} MB; a function has one memory size: fix these stages to one memory size and plan again"
    )]
    CycleCopies {
        /// Function name.
        function: String,
        /// One copy's stage id.
        first: String,
        /// Another copy's stage id.
        second: String,
        /// The first copy's size.
        a: u32,
        /// The other's.
        b: u32,
    },
}

/// One function's planned memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionMemory {
    /// The function as the definition names it (name, ARN or placeholder), without qualifier.
    pub function: String,
    /// A parameter-safe name: letters and digits only.
    pub parameter: String,
    /// Planned memory, MB.
    pub memory_mb: u32,
}

fn parameter_name(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    format!("{out}MemorySize")
}

/// The planned memory of every named Lambda function, sorted by function.
pub fn function_memory(
    import: &AslImport,
    configs: &StageConfigs,
) -> Result<Vec<FunctionMemory>, ExportError> {
    let mut by_fn: BTreeMap<String, FunctionMemory> = BTreeMap::new();
    let mut stage_of: BTreeMap<String, &crate::formats::asl::ImportedStage> = BTreeMap::new();
    for s in &import.stages {
        let Invoke::Lambda(f) = &s.invoke else {
            continue;
        };
        let c = configs
            .get(&s.id)
            .ok_or_else(|| ExportError::MissingStage(s.id.clone()))?;
        let function = f.function();
        match by_fn.get(&function) {
            Some(prev) if prev.memory_mb != c.memory_mb => {
                if let Some(other) = stage_of.get(&function).filter(|o| o.state == s.state) {
                    return Err(ExportError::CycleCopies {
                        function,
                        first: other.id.clone(),
                        second: s.id.clone(),
                        a: prev.memory_mb,
                        b: c.memory_mb,
                    });
                }
                return Err(ExportError::Conflict {
                    function,
                    a: prev.memory_mb,
                    b: c.memory_mb,
                });
            }
            Some(_) => {}
            None => {
                stage_of.insert(function.clone(), s);
                by_fn.insert(
                    function.clone(),
                    FunctionMemory {
                        parameter: parameter_name(&f.name),
                        function,
                        memory_mb: c.memory_mb,
                    },
                );
            }
        }
    }
    Ok(by_fn.into_values().collect())
}

fn skipped(import: &AslImport) -> Vec<String> {
    import
        .stages
        .iter()
        .filter_map(|s| match &s.invoke {
            Invoke::Lambda(_) => None,
            Invoke::Dynamic(e) => Some(format!("{}: function chosen at run time ({e})", s.id)),
            Invoke::Service(r) => Some(format!("{}: not a Lambda function ({r})", s.id)),
        })
        .collect()
}

/// The state machine with each Map's `MaxConcurrency` set to the largest
/// planned d of its stages, as pretty JSON.
pub fn state_machine(import: &AslImport, configs: &StageConfigs) -> Result<String, ExportError> {
    let mut def = import.definition.clone();
    let mut by_map: BTreeMap<&str, u32> = BTreeMap::new();
    for s in &import.stages {
        let Some(m) = &s.map else { continue };
        let c = configs
            .get(&s.id)
            .ok_or_else(|| ExportError::MissingStage(s.id.clone()))?;
        let d = by_map.entry(m.pointer.as_str()).or_insert(1);
        *d = (*d).max(c.d);
    }
    for (pointer, d) in by_map {
        if let Some(Value::Object(map)) = def.pointer_mut(pointer) {
            map.remove("MaxConcurrencyPath");
            map.insert("MaxConcurrency".into(), Value::from(d));
        }
    }
    let mut text = serde_json::to_string_pretty(&def).unwrap_or_default();
    text.push('\n');
    Ok(text)
}

/// SAM/CloudFormation parameter overrides: `Key=Value` pairs for
/// `sam deploy --parameter-overrides` and `aws cloudformation deploy`.
pub fn parameter_overrides(
    import: &AslImport,
    configs: &StageConfigs,
) -> Result<String, ExportError> {
    let fns = function_memory(import, configs)?;
    let mut out = String::from(
        "# Planned Lambda memory (MB) as template parameters, one per function.\n\
         # sam deploy --parameter-overrides $(grep -v '^#' this-file)\n\
         # Each parameter is meant for the function's MemorySize: !Ref <Parameter>.\n",
    );
    for f in &fns {
        out.push_str(&format!("# {} -> {}\n", f.parameter, f.function));
    }
    for s in skipped(import) {
        out.push_str(&format!("# not set: {s}\n"));
    }
    let pairs: Vec<String> = fns
        .iter()
        .map(|f| format!("{}={}", f.parameter, f.memory_mb))
        .collect();
    out.push_str(&pairs.join(" "));
    out.push('\n');
    Ok(out)
}

/// CloudFormation parameter file (`[{"ParameterKey", "ParameterValue"}]`) for
/// `aws cloudformation create-stack --parameters file://..`.
pub fn cloudformation_parameters(
    import: &AslImport,
    configs: &StageConfigs,
) -> Result<String, ExportError> {
    let fns = function_memory(import, configs)?;
    let list: Vec<Value> = fns
        .iter()
        .map(|f| {
            serde_json::json!({
                "ParameterKey": f.parameter,
                "ParameterValue": f.memory_mb.to_string(),
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&Value::Array(list)).unwrap_or_default();
    text.push('\n');
    Ok(text)
}

fn hcl_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("$$"),
            '%' => out.push_str("%%"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Terraform variables: a map from function to memory size, MB.
pub fn tfvars(import: &AslImport, configs: &StageConfigs) -> Result<String, ExportError> {
    let fns = function_memory(import, configs)?;
    let mut out = String::from(
        "# Planned Lambda memory (MB) per function, for\n\
         #   variable \"lambda_memory_size\" { type = map(number) }\n\
         # and memory_size = var.lambda_memory_size[<function>] in each aws_lambda_function.\n",
    );
    for s in skipped(import) {
        out.push_str(&format!("# not set: {s}\n"));
    }
    out.push_str("lambda_memory_size = {\n");
    for f in &fns {
        out.push_str(&format!(
            "  {} = {}\n",
            hcl_string(&f.function),
            f.memory_mb
        ));
    }
    out.push_str("}\n");
    Ok(out)
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A shell script that sets each function's memory with the AWS CLI.
pub fn update_script(import: &AslImport, configs: &StageConfigs) -> Result<String, ExportError> {
    let fns = function_memory(import, configs)?;
    let mut out =
        String::from("#!/bin/sh\n# Sets the planned memory of each Lambda function.\nset -eu\n");
    for s in skipped(import) {
        out.push_str(&format!("# not set: {s}\n"));
    }
    for f in &fns {
        if f.function.contains("${") {
            out.push_str(&format!(
                "# {} is a deployment placeholder: replace it with the function's name\n",
                f.function
            ));
        }
        out.push_str(&format!(
            "aws lambda update-function-configuration --function-name {} --memory-size {}\n",
            shell_quote(&f.function),
            f.memory_mb
        ));
    }
    Ok(out)
}

/// The planned architecture of each stage that has one, by stage id (stages
/// planned on the platform's architecture only have none).
pub fn architectures_of(report: &crate::plan::PlanReport) -> BTreeMap<String, Arch> {
    report
        .stages
        .iter()
        .filter_map(|s| s.architecture.map(|a| (s.stage.clone(), a)))
        .collect()
}

/// The deploy files that set each named Lambda function's planned architecture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchitectureFiles {
    /// SAM/CloudFormation parameter overrides (`<Function>Architecture=arm64`),
    /// for `Architectures: [!Ref <Function>Architecture]`.
    pub parameters: String,
    /// The same as a CloudFormation parameter file.
    pub parameters_json: String,
    /// Terraform: `lambda_architectures = { "<function>" = ["arm64"] }`, for
    /// `architectures = var.lambda_architectures[<function>]`.
    pub tfvars: String,
}

/// The architecture files of a plan whose stages have architectures
/// ([`architectures_of`]); `None` when none has. A function whose stages
/// were planned on different architectures is refused.
pub fn architecture_files(
    import: &AslImport,
    archs: &BTreeMap<String, Arch>,
) -> Result<Option<ArchitectureFiles>, ExportError> {
    if archs.is_empty() {
        return Ok(None);
    }
    let mut by_fn: BTreeMap<String, (String, Arch)> = BTreeMap::new();
    for s in &import.stages {
        let Invoke::Lambda(f) = &s.invoke else {
            continue;
        };
        let Some(&a) = archs.get(&s.id) else {
            continue;
        };
        let function = f.function();
        let parameter = parameter_name(&f.name).replace("MemorySize", "Architecture");
        match by_fn.get(&function) {
            Some((_, prev)) if *prev != a => {
                return Err(ExportError::ArchitectureConflict {
                    function,
                    a: *prev,
                    b: a,
                });
            }
            Some(_) => {}
            None => {
                by_fn.insert(function, (parameter, a));
            }
        }
    }
    let mut parameters = String::from(
        "# Planned Lambda architecture as template parameters, one per function.\n\
         # sam deploy --parameter-overrides $(grep -v '^#' this-file)\n\
         # Each parameter is meant for the function's Architectures: [!Ref <Parameter>]\n\
         # (the function's code must be built for it).\n",
    );
    for (function, (parameter, _)) in &by_fn {
        parameters.push_str(&format!("# {parameter} -> {function}\n"));
    }
    let pairs: Vec<String> = by_fn
        .values()
        .map(|(p, a)| format!("{p}={}", a.name()))
        .collect();
    parameters.push_str(&pairs.join(" "));
    parameters.push('\n');
    let list: Vec<Value> = by_fn
        .values()
        .map(|(p, a)| serde_json::json!({"ParameterKey": p, "ParameterValue": a.name()}))
        .collect();
    let mut parameters_json = serde_json::to_string_pretty(&Value::Array(list)).unwrap_or_default();
    parameters_json.push('\n');
    let mut tfvars = String::from(
        "# Planned Lambda architecture per function, for\n\
         #   variable \"lambda_architectures\" { type = map(list(string)) }\n\
         # and architectures = var.lambda_architectures[<function>] in each aws_lambda_function.\n\
         lambda_architectures = {\n",
    );
    for (function, (_, a)) in &by_fn {
        tfvars.push_str(&format!(
            "  {} = [\"{}\"]\n",
            hcl_string(function),
            a.name()
        ));
    }
    tfvars.push_str("}\n");
    Ok(Some(ArchitectureFiles {
        parameters,
        parameters_json,
        tfvars,
    }))
}

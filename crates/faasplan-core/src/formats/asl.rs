//! AWS Step Functions state machines (Amazon States Language) as workflows.
//!
//! Reads ASL in JSON or YAML, or the state machine inside a SAM or
//! CloudFormation template (`Definition`, `DefinitionBody`, `DefinitionString`
//! with `Fn::Sub`/`!Sub` or `Fn::Join`; a `DefinitionUri` or
//! `DefinitionS3Location` names the file to import instead). `${..}`
//! placeholders are kept, quoted or not. Both query languages are read
//! (`QueryLanguage` at the top and per state); nothing is evaluated.
//!
//! Every Task becomes a stage. A Lambda Task (a function ARN as `Resource`, or
//! `arn:aws:states:::lambda:invoke` with `Parameters.FunctionName` or
//! `Arguments.FunctionName`) keeps its function; a function chosen at run
//! time (`FunctionName.$`, a JSONata expression) is reported, not guessed. Any
//! other service integration is a single-instance stage with a fixed
//! configuration. Parallel branches fork and join; the Tasks inside a Map (legacy
//! `Iterator` or `ItemProcessor`, inline or distributed) are parallel stages whose
//! d is limited by `MaxConcurrency` (0 or absent: unbounded, which is at most 40
//! for an inline Map and the account's default concurrency of 1,000 for a
//! distributed one). A Choice becomes a workflow [`Choice`]: its branches stay
//! in the DAG as alternatives, each holding the stages only it reaches, planned
//! for the slowest until the user sets their probabilities. Pass, Wait, Succeed and Fail
//! only route. Retry and Catch are noted; Catch routes are not planned.
//! A cycle (polling, pagination, retry loops) runs `loop_iterations` times.
//! When its body is a chain of stages (the usual retry or polling loop: a
//! Task, a Wait, a Choice back), the body is planned once, as a workflow
//! [`Loop`]: one configuration per function, latency and cost the sums of
//! `loop_iterations` runs. Any other body (parallel branches, a Choice
//! between stages) is unrolled `loop_iterations` times, copies `Name #2`, ..,
//! each with its own d. On AWS a function has one memory size: the Tasks
//! that name one function, and the copies of one state, form a
//! [`SharedMemory`] group of the workflow ([`shared_functions`]), so every
//! plan gives them one size.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::dag::{
    Alternative, Choice, ChoiceMode, Config, Edge, Loop, MemoryGrid, SharedMemory, Stage,
    StageKind, Workflow, WorkflowError,
};

/// What the import needs besides the file.
#[derive(Clone, Debug, PartialEq)]
pub struct AslOptions {
    /// How many times a cycle's body runs (at least 1).
    pub loop_iterations: u32,
    /// The template resource to read when a template holds several state machines.
    pub state_machine: Option<String>,
    /// Memory sizes every Lambda stage may use.
    pub memory: MemoryGrid,
}

impl Default for AslOptions {
    fn default() -> Self {
        AslOptions {
            loop_iterations: 3,
            state_machine: None,
            memory: MemoryGrid::stepped(128, 10_240, 128),
        }
    }
}

/// The query language of a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueryLanguage {
    /// JSONPath (the default).
    JsonPath,
    /// JSONata.
    Jsonata,
}

/// A Lambda function as a Task names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionRef {
    /// The text as written (ARN, partial ARN, name, `${..}` placeholder).
    pub raw: String,
    /// Function name (or the placeholder / template logical id).
    pub name: String,
    /// Version or alias, if the reference has one.
    pub qualifier: Option<String>,
}

impl FunctionRef {
    /// The function as the definition names it, without its qualifier: the
    /// deployed function whose memory size every Task naming it shares.
    pub fn function(&self) -> String {
        match &self.qualifier {
            Some(q) if self.raw.ends_with(&format!(":{q}")) => {
                self.raw[..self.raw.len() - q.len() - 1].to_string()
            }
            _ => self.raw.clone(),
        }
    }
}

/// The groups of stages that share one memory size: the Tasks naming one
/// function ([`FunctionRef::function`]) and the copies of one state on an
/// unrolled cycle (a function chosen at run time included). Service
/// integrations have a fixed configuration and share nothing.
pub fn shared_functions(stages: &[ImportedStage]) -> Vec<SharedMemory> {
    let mut by_key: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, st) in stages.iter().enumerate() {
        let keys = match &st.invoke {
            // The state's key cannot be a function's: it starts with a NUL.
            Invoke::Lambda(f) => vec![f.function(), format!("\u{0}{}", st.state)],
            Invoke::Dynamic(_) => vec![format!("\u{0}{}", st.state)],
            Invoke::Service(_) => Vec::new(),
        };
        for k in keys {
            match by_key.iter_mut().find(|(x, _)| *x == k) {
                Some((_, v)) => v.push(i),
                None => by_key.push((k, vec![i])),
            }
        }
    }
    let groups = crate::problem::merge_groups(by_key.iter().map(|(_, v)| v.clone()));
    groups
        .into_iter()
        .map(|g| {
            let first = &stages[g[0]];
            let function = match &first.invoke {
                Invoke::Lambda(f) => f.function(),
                _ => first.state.clone(),
            };
            SharedMemory {
                function,
                stages: g.iter().map(|&i| stages[i].id.clone()).collect(),
            }
        })
        .collect()
}

/// What a Task invokes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Invoke {
    /// A Lambda function named in the definition.
    Lambda(FunctionRef),
    /// A Lambda function chosen at run time: the expression that chooses it.
    Dynamic(String),
    /// Another service integration or an activity: the `Resource`.
    Service(String),
}

/// Where a stage runs inside a Map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapInfo {
    /// Name of the Map state.
    pub state: String,
    /// JSON pointer of the Map state in [`AslImport::definition`].
    pub pointer: String,
    /// Distributed (child executions) or inline.
    pub distributed: bool,
    /// `MaxConcurrency` when set and above 0; `None` is unbounded.
    pub max_concurrency: Option<u32>,
    /// Items are batched (`ItemBatcher`): one instance handles a batch.
    pub batched: bool,
}

/// One imported Task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportedStage {
    /// Stage id in the workflow.
    pub id: String,
    /// The state's name.
    pub state: String,
    /// What it invokes.
    pub invoke: Invoke,
    /// The state's query language.
    pub query_language: QueryLanguage,
    /// The Map it runs in, if any (the innermost).
    pub map: Option<MapInfo>,
}

/// A Choice state's alternatives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChoiceGroup {
    /// Name of the Choice state.
    pub state: String,
    /// The states each alternative starts at (`Choices[..].Next`, then `Default`).
    pub alternatives: Vec<String>,
}

/// A state machine read as a workflow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AslImport {
    /// The DAG of stages.
    pub workflow: Workflow,
    /// One entry per stage, in the workflow's order.
    pub stages: Vec<ImportedStage>,
    /// Choice states and their alternatives (all kept in the DAG).
    pub choices: Vec<ChoiceGroup>,
    /// Cycles found, as `from -> to` state names of the edge that closes each.
    pub loops: Vec<String>,
    /// Things the user should know: dynamic functions, unresolved placeholders, Catch routes.
    pub notes: Vec<String>,
    /// The ASL definition as read (after template extraction and `Fn::Sub`).
    pub definition: Value,
    /// The top-level query language.
    pub query_language: QueryLanguage,
    /// The architecture of each stage whose function the template declares
    /// (`Architectures: [arm64]` on its `AWS::Serverless::Function` or
    /// `AWS::Lambda::Function`, or SAM's `Globals.Function.Architectures`),
    /// by stage id: the architecture its runs are measured on.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub architectures: std::collections::BTreeMap<String, crate::arch::Arch>,
}

/// Why a file is not an importable state machine: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{place}: {message}")]
pub struct AslError {
    /// `line L, column C` for syntax, else a path such as `States.Resize.Next`.
    pub place: String,
    /// What is wrong.
    pub message: String,
}

fn err(place: impl Into<String>, message: impl Into<String>) -> AslError {
    AslError {
        place: place.into(),
        message: message.into(),
    }
}

/// Whether a JSON value is an ASL definition (`StartAt` and `States`).
pub fn is_definition(value: &Value) -> bool {
    value.get("StartAt").is_some() && value.get("States").is_some_and(Value::is_object)
}

/// Whether a JSON value is a SAM/CloudFormation template holding a state machine.
pub fn is_template_with_state_machine(value: &Value) -> bool {
    value
        .get("Resources")
        .and_then(Value::as_object)
        .is_some_and(|r| r.values().any(|res| state_machine_type(res).is_some()))
}

fn state_machine_type(resource: &Value) -> Option<&str> {
    match resource.get("Type").and_then(Value::as_str) {
        Some(t @ ("AWS::StepFunctions::StateMachine" | "AWS::Serverless::StateMachine")) => Some(t),
        _ => None,
    }
}

/// Reads a JSON or YAML text into a value. JSON gets its `${..}` placeholders
/// outside strings quoted first, so `"TimeoutSeconds": ${Timeout}` reads.
pub fn parse_text(text: &str) -> Result<Value, AslError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let fixed = quote_placeholders(trimmed);
        let offset = text.len() - trimmed.len();
        let lines_before = text[..offset].matches('\n').count();
        serde_json::from_str(&fixed).map_err(|e| {
            err(
                format!("line {}, column {}", e.line() + lines_before, e.column()),
                e.to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or("invalid JSON")
                    .to_string(),
            )
        })
    } else {
        super::yaml::parse(text)
            .map_err(|e| err(format!("line {}, column {}", e.line, e.column), e.message))
    }
}

/// Quotes every `${..}` that stands outside a JSON string.
fn quote_placeholders(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    let mut start = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b'$'
            && bytes.get(i + 1) == Some(&b'{')
            && let Some(len) = text[i..].find('}')
            && !text[i..i + len + 1].contains(['"', '\n'])
        {
            out.push_str(&text[start..i]);
            out.push('"');
            out.push_str(&text[i..i + len + 1]);
            out.push('"');
            i += len + 1;
            start = i;
            continue;
        }
        i += 1;
    }
    out.push_str(&text[start..]);
    out
}

/// Reads a state machine file (ASL JSON/YAML or a SAM/CloudFormation template).
pub fn import_state_machine(text: &str, options: &AslOptions) -> Result<AslImport, AslError> {
    let value = parse_text(text)?;
    let functions = function_architectures(&value)?;
    let (definition, name) = definition_of(value, options)?;
    let mut import = import_definition(definition, name, options)?;
    for st in &import.stages {
        if let Invoke::Lambda(f) = &st.invoke
            && let Some((_, a)) = functions.iter().find(|(names, _)| names.contains(&f.name))
        {
            import.architectures.insert(st.id.clone(), *a);
        }
    }
    Ok(import)
}

/// The functions of a template that declare their architecture: each
/// `AWS::Serverless::Function` / `AWS::Lambda::Function` with
/// `Properties.Architectures` (SAM functions also take
/// `Globals.Function.Architectures`), as (its logical id and its
/// `FunctionName` when written out, the architecture). A list that is not one
/// of `x86_64` and `arm64` is an error naming its place.
fn function_architectures(
    value: &Value,
) -> Result<Vec<(Vec<String>, crate::arch::Arch)>, AslError> {
    let Some(resources) = value.get("Resources").and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    let read = |v: &Value, place: String| -> Result<crate::arch::Arch, AslError> {
        let one = match v.as_array().map(Vec::as_slice) {
            Some([one]) => one.as_str(),
            _ => None,
        };
        match one {
            Some("x86_64") => Ok(crate::arch::Arch::X86_64),
            Some("arm64") => Ok(crate::arch::Arch::Arm64),
            _ => Err(err(
                place,
                format!("{v}: a function's Architectures is a list of one value, x86_64 or arm64"),
            )),
        }
    };
    let globals = match value.pointer("/Globals/Function/Architectures") {
        Some(v) => Some(read(v, "Globals.Function.Architectures".into())?),
        None => None,
    };
    let mut out = Vec::new();
    for (logical, r) in resources {
        let kind = r.get("Type").and_then(Value::as_str);
        let sam = kind == Some("AWS::Serverless::Function");
        if !sam && kind != Some("AWS::Lambda::Function") {
            continue;
        }
        let props = r.get("Properties");
        let arch = match props.and_then(|p| p.get("Architectures")) {
            Some(v) => Some(read(
                v,
                format!("Resources.{logical}.Properties.Architectures"),
            )?),
            None if sam => globals,
            None => None,
        };
        let Some(arch) = arch else {
            continue;
        };
        let mut names = vec![logical.clone()];
        if let Some(n) = props
            .and_then(|p| p.get("FunctionName"))
            .and_then(Value::as_str)
        {
            names.push(n.to_string());
        }
        out.push((names, arch));
    }
    Ok(out)
}

/// Finds the ASL definition in a parsed file: the file itself, or the state
/// machine resource of a template.
fn definition_of(value: Value, options: &AslOptions) -> Result<(Value, String), AslError> {
    if is_definition(&value) {
        let name = value
            .get("Comment")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty() && c.chars().count() <= 60)
            .unwrap_or("state machine")
            .to_string();
        return Ok((value, name));
    }
    let Some(resources) = value.get("Resources").and_then(Value::as_object) else {
        if value.get("States").is_some() {
            return Err(err(
                "StartAt",
                "missing: a state machine names its first state",
            ));
        }
        return Err(err(
            "top level",
            "not a state machine: no `StartAt` and `States`, and no template `Resources`",
        ));
    };
    let machines: Vec<(&String, &Value)> = resources
        .iter()
        .filter(|(_, r)| state_machine_type(r).is_some())
        .collect();
    let chosen = match &options.state_machine {
        Some(want) => machines.iter().find(|(k, _)| *k == want).ok_or_else(|| {
            err(
                format!("Resources.{want}"),
                format!(
                    "no such state machine; the template has: {}",
                    names(&machines)
                ),
            )
        })?,
        None => machines.first().ok_or_else(|| {
            err(
                "Resources",
                "a template without an AWS::StepFunctions::StateMachine or AWS::Serverless::StateMachine",
            )
        })?,
    };
    let (logical, resource) = (chosen.0.clone(), chosen.1);
    let place = format!("Resources.{logical}.Properties");
    let props = resource.get("Properties").cloned().unwrap_or(Value::Null);
    let subs = props
        .get("DefinitionSubstitutions")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let definition = if let Some(def) = props.get("Definition").or(props.get("DefinitionBody")) {
        let mut def = def.clone();
        substitute_in(&mut def, &subs);
        def
    } else if let Some(s) = props.get("DefinitionString") {
        let text = render(s, &Map::new()).ok_or_else(|| {
            err(
                format!("{place}.DefinitionString"),
                "not a string or Fn::Sub/Fn::Join",
            )
        })?;
        let text = substitute(&text, &subs);
        parse_text(&text)
            .map_err(|e| err(format!("{place}.DefinitionString, {}", e.place), e.message))?
    } else if let Some(uri) = props
        .get("DefinitionUri")
        .or(props.get("DefinitionS3Location"))
    {
        let target = match uri {
            Value::String(s) => s.clone(),
            other => format!(
                "s3://{}/{}",
                other.get("Bucket").and_then(Value::as_str).unwrap_or("?"),
                other.get("Key").and_then(Value::as_str).unwrap_or("?")
            ),
        };
        return Err(err(
            place,
            format!(
                "the state machine {logical} is defined in {target}, which is not in this file: import {target} itself"
            ),
        ));
    } else {
        return Err(err(
            place,
            "no Definition, DefinitionBody, DefinitionString or DefinitionUri",
        ));
    };
    if !is_definition(&definition) {
        return Err(err(place, "the definition has no `StartAt` and `States`"));
    }
    let mut out = (definition, logical);
    if machines.len() > 1 && options.state_machine.is_none() {
        out.1 = format!("{} (first of: {})", out.1, names(&machines));
    }
    Ok(out)
}

fn names(machines: &[(&String, &Value)]) -> String {
    machines
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A CloudFormation value rendered as text: strings as they are, `Ref` and
/// `Fn::GetAtt` as `${X}` / `${A.B}` placeholders, `Fn::Sub` and `Fn::Join` applied.
fn render(value: &Value, vars: &Map<String, Value>) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(o) if o.len() == 1 => {
            let (k, v) = o.iter().next()?;
            match k.as_str() {
                "Ref" => Some(format!("${{{}}}", v.as_str()?)),
                "Fn::GetAtt" => match v {
                    Value::Array(a) => Some(format!(
                        "${{{}}}",
                        a.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(".")
                    )),
                    Value::String(s) => Some(format!("${{{s}}}")),
                    _ => None,
                },
                "Fn::Sub" => match v {
                    Value::String(s) => Some(substitute(s, vars)),
                    Value::Array(a) => {
                        let template = a.first()?.as_str()?;
                        let mut local = vars.clone();
                        if let Some(m) = a.get(1).and_then(Value::as_object) {
                            local.extend(m.clone());
                        }
                        Some(substitute(template, &local))
                    }
                    _ => None,
                },
                "Fn::Join" => {
                    let a = v.as_array()?;
                    let sep = a.first()?.as_str()?;
                    let parts = a.get(1)?.as_array()?;
                    let parts: Option<Vec<String>> =
                        parts.iter().map(|p| render(p, vars)).collect();
                    Some(parts?.join(sep))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Replaces `${Name}` by the rendered value of `vars[Name]`; `${!Literal}`
/// becomes `${Literal}`; unknown names stay.
fn substitute(text: &str, vars: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[at..]);
            return out;
        };
        let name = &after[..end];
        if let Some(lit) = name.strip_prefix('!') {
            out.push_str("${");
            out.push_str(lit);
            out.push('}');
        } else if let Some(v) = vars.get(name).and_then(|v| render(v, &Map::new())) {
            out.push_str(&v);
        } else {
            out.push_str(&rest[at..at + 2 + end + 1]);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn substitute_in(value: &mut Value, vars: &Map<String, Value>) {
    match value {
        Value::String(s) if s.contains("${") && !vars.is_empty() => *s = substitute(s, vars),
        Value::Array(a) => a.iter_mut().for_each(|v| substitute_in(v, vars)),
        Value::Object(o) => o.values_mut().for_each(|v| substitute_in(v, vars)),
        _ => {}
    }
}

/// Splits a function reference into name and qualifier.
pub fn function_ref(raw: &str) -> FunctionRef {
    let raw = raw.trim();
    let (name, qualifier) = if let Some((_, tail)) = raw.split_once(":function:") {
        match tail.split_once(':') {
            Some((n, q)) => (n.to_string(), Some(q.to_string())),
            None => (tail.to_string(), None),
        }
    } else if let Some((inner, after)) = raw.strip_prefix("${").and_then(|r| r.split_once('}')) {
        let logical = inner.strip_suffix(".Arn").unwrap_or(inner);
        let qualifier = after.strip_prefix(':').filter(|q| !q.is_empty());
        (logical.to_string(), qualifier.map(String::from))
    } else if !raw.contains("${") && raw.contains(':') {
        let (n, q) = raw.split_once(':').unwrap_or((raw, ""));
        (n.to_string(), Some(q.to_string()))
    } else {
        (raw.to_string(), None)
    };
    FunctionRef {
        raw: raw.to_string(),
        name,
        qualifier,
    }
}

fn is_jsonata_expr(s: &str) -> bool {
    let t = s.trim();
    t.starts_with("{%") && t.ends_with("%}")
}

/// What a Task state invokes.
fn invoke_of(state: &Map<String, Value>) -> Invoke {
    let resource = match state.get("Resource") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => match render(other, &Map::new()) {
            Some(s) => s,
            None => return Invoke::Service(other.to_string()),
        },
        None => return Invoke::Service(String::new()),
    };
    let parts: Vec<&str> = resource.split(':').collect();
    let is_arn = parts.first() == Some(&"arn") && parts.len() >= 6;
    if is_arn
        && parts[2] == "states"
        && parts[5] == "lambda"
        && parts.get(6).is_some_and(|a| a.starts_with("invoke"))
    {
        for key in ["Parameters", "Arguments"] {
            let Some(p) = state.get(key).and_then(Value::as_object) else {
                continue;
            };
            if let Some(expr) = p.get("FunctionName.$").and_then(Value::as_str) {
                return Invoke::Dynamic(expr.to_string());
            }
            match p.get("FunctionName") {
                Some(Value::String(s)) if is_jsonata_expr(s) => return Invoke::Dynamic(s.clone()),
                Some(Value::String(s)) => {
                    let mut f = function_ref(s);
                    if f.qualifier.is_none() {
                        f.qualifier = p.get("Qualifier").and_then(Value::as_str).map(String::from);
                    }
                    return Invoke::Lambda(f);
                }
                Some(other) => {
                    if let Some(s) = render(other, &Map::new()) {
                        return Invoke::Lambda(function_ref(&s));
                    }
                    return Invoke::Dynamic(other.to_string());
                }
                None => {}
            }
        }
        return Invoke::Dynamic("(no FunctionName)".into());
    }
    if is_arn && parts[2] == "lambda" && parts.get(5) == Some(&"function") {
        return Invoke::Lambda(function_ref(&resource));
    }
    if is_arn {
        return Invoke::Service(resource);
    }
    if resource.contains("${") {
        // A placeholder filled in at deployment: a function ARN in every
        // template seen (`${MyFunctionArn}`).
        return Invoke::Lambda(function_ref(&resource));
    }
    Invoke::Service(resource)
}

fn query_language(state: &Map<String, Value>, inherited: QueryLanguage) -> QueryLanguage {
    match state.get("QueryLanguage").and_then(Value::as_str) {
        Some("JSONata") => QueryLanguage::Jsonata,
        Some("JSONPath") => QueryLanguage::JsonPath,
        _ => inherited,
    }
}

/// Most instances the loop unrolling may create.
const MAX_NODES: usize = 20_000;
/// Largest d an unbounded inline Map runs at once.
const INLINE_MAP_LIMIT: u32 = 40;
/// Largest d an unbounded distributed Map runs at once (default account concurrency).
const DISTRIBUTED_MAP_LIMIT: u32 = 1000;

struct Node {
    stage: Option<usize>,
    next: Vec<usize>,
    /// The state this node is the entry of.
    entry_of: Option<String>,
}

struct Builder<'a> {
    options: &'a AslOptions,
    nodes: Vec<Node>,
    stages: Vec<ImportedStage>,
    used_ids: HashMap<String, u32>,
    choices: Vec<ChoiceGroup>,
    /// Each Choice node of the unrolled graph: node, state name, alternatives.
    choice_nodes: Vec<(usize, String, Vec<String>)>,
    loops: Vec<String>,
    notes: Vec<String>,
    /// Plan each cycle once (its body as a [`Loop`]) instead of unrolling it.
    collapse: bool,
    /// Each cycle's name and the stages made for the states on it (collapsing only).
    bodies: Vec<(String, Vec<usize>)>,
}

impl Builder<'_> {
    fn node(&mut self, stage: Option<usize>) -> Result<usize, AslError> {
        if self.nodes.len() >= MAX_NODES {
            return Err(err(
                "States",
                format!(
                    "unrolling the cycles {} times makes more than {MAX_NODES} states: use fewer iterations",
                    self.options.loop_iterations
                ),
            ));
        }
        self.nodes.push(Node {
            stage,
            next: Vec::new(),
            entry_of: None,
        });
        Ok(self.nodes.len() - 1)
    }

    fn link(&mut self, from: usize, to: usize) {
        if !self.nodes[from].next.contains(&to) {
            self.nodes[from].next.push(to);
        }
    }

    fn fresh_id(&mut self, name: &str) -> String {
        let n = self.used_ids.entry(name.to_string()).or_insert(0);
        *n += 1;
        if *n == 1 {
            name.to_string()
        } else {
            format!("{name} #{n}")
        }
    }

    /// Builds the graph of one scope (the machine, a branch, a Map's
    /// processor); returns its entry and exit nodes.
    fn scope(
        &mut self,
        container: &Map<String, Value>,
        path: &str,
        pointer: &str,
        map: Option<&MapInfo>,
        lang: QueryLanguage,
    ) -> Result<(usize, usize), AslError> {
        let states = container
            .get("States")
            .and_then(Value::as_object)
            .ok_or_else(|| err(format!("{path}States"), "missing or not an object"))?;
        let start = container
            .get("StartAt")
            .and_then(Value::as_str)
            .ok_or_else(|| err(format!("{path}StartAt"), "missing or not a string"))?;
        if !states.contains_key(start) {
            return Err(err(
                format!("{path}StartAt"),
                format!("names {start:?}, which is not a state"),
            ));
        }
        let lang = query_language(container, lang);
        // Successor names of each state (normal routes only), checked.
        let mut succ: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (name, state) in states {
            let place = format!("{path}States.{name}");
            let obj = state
                .as_object()
                .ok_or_else(|| err(&place, "a state must be an object"))?;
            let kind = obj
                .get("Type")
                .and_then(Value::as_str)
                .ok_or_else(|| err(format!("{place}.Type"), "missing or not a string"))?;
            let mut next: Vec<&str> = Vec::new();
            match kind {
                "Choice" => {
                    let choices = obj
                        .get("Choices")
                        .and_then(Value::as_array)
                        .ok_or_else(|| err(format!("{place}.Choices"), "missing or not a list"))?;
                    for (i, c) in choices.iter().enumerate() {
                        let n = c.get("Next").and_then(Value::as_str).ok_or_else(|| {
                            err(
                                format!("{place}.Choices[{i}].Next"),
                                "missing or not a string",
                            )
                        })?;
                        next.push(n);
                    }
                    if let Some(d) = obj.get("Default").and_then(Value::as_str) {
                        next.push(d);
                    }
                }
                "Succeed" | "Fail" => {}
                "Task" | "Pass" | "Wait" | "Parallel" | "Map" => {
                    if obj.get("End").and_then(Value::as_bool) != Some(true) {
                        let n = obj.get("Next").and_then(Value::as_str).ok_or_else(|| {
                            err(
                                format!("{place}.Next"),
                                "missing: a state needs `Next` or `End: true`",
                            )
                        })?;
                        next.push(n);
                    }
                }
                other => {
                    return Err(err(
                        format!("{place}.Type"),
                        format!("unknown state type {other:?}"),
                    ));
                }
            }
            for n in &next {
                if !states.contains_key(*n) {
                    return Err(err(&place, format!("goes to {n:?}, which is not a state")));
                }
            }
            let mut seen = Vec::new();
            next.retain(|n| {
                let fresh = !seen.contains(n);
                seen.push(*n);
                fresh
            });
            succ.insert(name.as_str(), next);
        }
        // Back edges: a depth-first search from StartAt.
        let mut back: Vec<(&str, &str)> = Vec::new();
        {
            let mut color: HashMap<&str, u8> = HashMap::new();
            let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
            color.insert(start, 1);
            while let Some((s, i)) = stack.pop() {
                let nexts = &succ[s];
                if i < nexts.len() {
                    stack.push((s, i + 1));
                    let t = nexts[i];
                    match color.get(t).copied().unwrap_or(0) {
                        0 => {
                            color.insert(t, 1);
                            stack.push((t, 0));
                        }
                        1 => back.push((s, t)),
                        _ => {}
                    }
                } else {
                    color.insert(s, 2);
                }
            }
        }
        for (s, t) in &back {
            self.loops.push(format!("{s} -> {t}"));
        }
        // Collapsing builds every state once (k = 1: back edges are not
        // followed) and notes which stages each cycle's states made.
        let k = if self.collapse {
            1
        } else {
            self.options.loop_iterations.max(1)
        };
        let mut made_stages: HashMap<&str, std::ops::Range<usize>> = HashMap::new();
        let entry = self.node(None)?;
        let exit = self.node(None)?;
        let mut made: HashMap<(&str, Vec<u32>), (usize, usize)> = HashMap::new();
        let mut work: Vec<((&str, Vec<u32>), usize)> = vec![((start, vec![0; back.len()]), entry)];
        while let Some((key, from)) = work.pop() {
            if let Some(&(inn, _)) = made.get(&key) {
                self.link(from, inn);
                continue;
            }
            let (name, counters) = (key.0, key.1.clone());
            let place = format!("{path}States.{name}");
            let state = states[name]
                .as_object()
                .ok_or_else(|| err(&place, "not an object"))?;
            let ptr = format!(
                "{pointer}/States/{}",
                name.replace('~', "~0").replace('/', "~1")
            );
            let kind = state.get("Type").and_then(Value::as_str).unwrap_or("");
            let slang = query_language(state, lang);
            let first_stage = self.stages.len();
            if let Some(retry) = state.get("Retry").and_then(Value::as_array) {
                let attempts: f64 = retry
                    .iter()
                    .map(|r| r.get("MaxAttempts").and_then(Value::as_f64).unwrap_or(3.0))
                    .fold(0.0, f64::max);
                self.notes.push(format!(
                    "{name}: retried on errors (up to {attempts} retries); planned as one attempt"
                ));
            }
            if state.get("Catch").is_some() {
                self.notes.push(format!(
                    "{name}: Catch routes are error paths and are not planned"
                ));
            }
            let (inn, out) = match kind {
                "Task" => {
                    let invoke = invoke_of(state);
                    match &invoke {
                        Invoke::Dynamic(e) => self.notes.push(format!(
                            "{name}: the function is chosen at run time ({e}); name it before planning"
                        )),
                        Invoke::Service(r) => self.notes.push(format!(
                            "{name}: {} is not a Lambda function; it is planned with a fixed configuration",
                            if r.is_empty() { "a Task without Resource" } else { r }
                        )),
                        Invoke::Lambda(f) if f.raw.contains("${") => self.notes.push(format!(
                            "{name}: the function is the placeholder {}, filled in at deployment",
                            f.raw
                        )),
                        Invoke::Lambda(_) => {}
                    }
                    let id = self.fresh_id(name);
                    self.stages.push(ImportedStage {
                        id,
                        state: name.to_string(),
                        invoke,
                        query_language: slang,
                        map: map.cloned(),
                    });
                    let n = self.node(Some(self.stages.len() - 1))?;
                    (n, n)
                }
                "Parallel" => {
                    let inn = self.node(None)?;
                    let out = self.node(None)?;
                    let branches = state
                        .get("Branches")
                        .and_then(Value::as_array)
                        .ok_or_else(|| err(format!("{place}.Branches"), "missing or not a list"))?;
                    for (i, b) in branches.iter().enumerate() {
                        let b = b.as_object().ok_or_else(|| {
                            err(format!("{place}.Branches[{i}]"), "not an object")
                        })?;
                        let (e, x) = self.scope(
                            b,
                            &format!("{place}.Branches[{i}]."),
                            &format!("{ptr}/Branches/{i}"),
                            map,
                            slang,
                        )?;
                        self.link(inn, e);
                        self.link(x, out);
                    }
                    (inn, out)
                }
                "Map" => {
                    let (proc_key, processor) =
                        match (state.get("ItemProcessor"), state.get("Iterator")) {
                            (Some(p), _) => ("ItemProcessor", p),
                            (None, Some(p)) => ("Iterator", p),
                            (None, None) => {
                                return Err(err(
                                    &place,
                                    "a Map needs `ItemProcessor` or `Iterator`",
                                ));
                            }
                        };
                    let processor = processor
                        .as_object()
                        .ok_or_else(|| err(format!("{place}.{proc_key}"), "not an object"))?;
                    let distributed = processor
                        .get("ProcessorConfig")
                        .and_then(|c| c.get("Mode"))
                        .and_then(Value::as_str)
                        == Some("DISTRIBUTED");
                    let max_concurrency = match state.get("MaxConcurrency") {
                        None => None,
                        Some(v) => match v.as_f64() {
                            Some(x) if x >= 1.0 && x.fract() == 0.0 && x <= f64::from(u32::MAX) => {
                                Some(x as u32)
                            }
                            Some(0.0) => None,
                            _ => {
                                self.notes.push(format!(
                                    "{name}: MaxConcurrency {} is set at run time; planned as unbounded",
                                    super::describe(v)
                                ));
                                None
                            }
                        },
                    };
                    if state.get("MaxConcurrencyPath").is_some() {
                        self.notes.push(format!(
                            "{name}: MaxConcurrencyPath is read at run time; planned as unbounded"
                        ));
                    }
                    let batched = state.get("ItemBatcher").is_some();
                    if batched {
                        self.notes.push(format!(
                            "{name}: items are batched (ItemBatcher); each instance handles one batch"
                        ));
                    }
                    if map.is_some() {
                        self.notes.push(format!(
                            "{name}: a Map inside a Map; its d is planned on its own"
                        ));
                    }
                    let info = MapInfo {
                        state: name.to_string(),
                        pointer: ptr.clone(),
                        distributed,
                        max_concurrency,
                        batched,
                    };
                    let (e, x) = self.scope(
                        processor,
                        &format!("{place}.{proc_key}."),
                        &format!("{ptr}/{proc_key}"),
                        Some(&info),
                        slang,
                    )?;
                    let inn = self.node(None)?;
                    let out = self.node(None)?;
                    self.link(inn, e);
                    self.link(x, out);
                    (inn, out)
                }
                "Choice" => {
                    if !self.choices.iter().any(|c| c.state == name) {
                        self.choices.push(ChoiceGroup {
                            state: name.to_string(),
                            alternatives: succ[name].iter().map(|s| s.to_string()).collect(),
                        });
                    }
                    let n = self.node(None)?;
                    self.choice_nodes.push((
                        n,
                        name.to_string(),
                        succ[name].iter().map(|s| s.to_string()).collect(),
                    ));
                    (n, n)
                }
                _ => {
                    let n = self.node(None)?;
                    (n, n)
                }
            };
            made_stages.insert(name, first_stage..self.stages.len());
            self.link(from, inn);
            self.nodes[inn].entry_of = Some(name.to_string());
            made.insert((name, counters.clone()), (inn, out));
            if matches!(kind, "Succeed") || state.get("End").and_then(Value::as_bool) == Some(true)
            {
                self.link(out, exit);
            }
            // A state on a cycle follows the back edge until the cycle has run
            // k times, and its other routes only on the last pass.
            let backs: Vec<usize> = (0..back.len()).filter(|&b| back[b].0 == name).collect();
            let repeating: Vec<usize> = backs
                .iter()
                .copied()
                .filter(|&b| counters[b] + 1 < k)
                .collect();
            for t in &succ[name] {
                match back.iter().position(|&(s, bt)| s == name && bt == *t) {
                    Some(b) if counters[b] + 1 < k => {
                        let mut c = counters.clone();
                        c[b] += 1;
                        work.push(((t, c), out));
                    }
                    Some(_) => {}
                    None if repeating.is_empty() => work.push(((t, counters.clone()), out)),
                    None => {}
                }
            }
        }
        if self.collapse {
            for &(s, t) in &back {
                let on_cycle = cycle_states(&succ, s, t);
                let stages: Vec<usize> = on_cycle
                    .iter()
                    .filter_map(|n| made_stages.get(n))
                    .flat_map(Clone::clone)
                    .collect();
                self.bodies.push((format!("{s} -> {t}"), stages));
            }
        }
        Ok((entry, exit))
    }
}

/// The states on the cycles closed by the back edge `s -> t`: those reachable
/// from `t` from which `s` is reachable.
fn cycle_states<'a>(
    succ: &BTreeMap<&'a str, Vec<&'a str>>,
    s: &'a str,
    t: &'a str,
) -> Vec<&'a str> {
    let reach = |start: &'a str, forward: bool| {
        let mut seen: Vec<&str> = vec![start];
        let mut stack = vec![start];
        while let Some(at) = stack.pop() {
            let next: Vec<&str> = if forward {
                succ.get(at).cloned().unwrap_or_default()
            } else {
                succ.iter()
                    .filter(|(_, n)| n.contains(&at))
                    .map(|(k, _)| *k)
                    .collect()
            };
            for n in next {
                if !seen.contains(&n) {
                    seen.push(n);
                    stack.push(n);
                }
            }
        }
        seen
    };
    let from_t = reach(t, true);
    let to_s = reach(s, false);
    from_t.into_iter().filter(|n| to_s.contains(n)).collect()
}

/// Reads a parsed ASL definition.
pub fn import_definition(
    definition: Value,
    name: String,
    options: &AslOptions,
) -> Result<AslImport, AslError> {
    let (mut out, bodies) = build(&definition, &name, options, true)?;
    if out.loops.is_empty() {
        return Ok(out);
    }
    let k = options.loop_iterations.max(1);
    match loops_of(&out.workflow, &bodies, k) {
        Ok(loops) => {
            out.notes.push(format!(
                "cycles ({}) run {k} times per execution: each body is planned once, one configuration per stage, its latency and cost the sum of {k} runs",
                out.loops.join(", ")
            ));
            out.workflow.loops = loops;
            Ok(out)
        }
        Err(why) => {
            let (mut out, _) = build(&definition, &name, options, false)?;
            out.notes.push(format!(
                "cycles ({}) are unrolled {k} times ({why}): the copies of a state are planned with one memory size (their function's) and each its own d",
                out.loops.join(", ")
            ));
            Ok(out)
        }
    }
}

/// The workflow loops of the cycles' bodies (stages in the order they run),
/// or why they cannot be planned once (a body that is not a chain).
fn loops_of(
    workflow: &Workflow,
    bodies: &[(String, Vec<usize>)],
    iterations: u32,
) -> Result<Vec<Loop>, String> {
    let rank: Vec<usize> = match workflow.validate() {
        Ok(dag) => {
            let mut rank = vec![0; dag.topo.len()];
            for (r, &i) in dag.topo.iter().enumerate() {
                rank[i] = r;
            }
            rank
        }
        Err(_) => (0..workflow.stages.len()).collect(),
    };
    let mut loops: Vec<Loop> = Vec::new();
    for (name, stages) in bodies {
        if stages.is_empty() {
            continue;
        }
        let mut body = stages.clone();
        body.sort_by_key(|&i| rank[i]);
        body.dedup();
        let ids: Vec<String> = body
            .iter()
            .map(|&i| workflow.stages[i].id.clone())
            .collect();
        match loops
            .iter_mut()
            .find(|l| l.stages.iter().any(|s| ids.contains(s)))
        {
            // Cycles through the same states (two routes back) are one loop.
            Some(l) if l.stages == ids => l.name = format!("{}, {name}", l.name),
            Some(l) => {
                return Err(format!("the cycles {} and {name} share stages", l.name));
            }
            None => loops.push(Loop {
                name: name.clone(),
                stages: ids,
                iterations,
            }),
        }
    }
    let mut with_loops = workflow.clone();
    with_loops.loops.clone_from(&loops);
    match with_loops.validate() {
        Err(WorkflowError::Loop { name, message }) => Err(format!("cycle {name}: {message}")),
        _ => Ok(loops),
    }
}

/// Each cycle's name and the indices of the stages on it.
type CycleStages = Vec<(String, Vec<usize>)>;

/// Builds the import: each cycle planned once (`collapse`, returning the
/// stages on each cycle) or unrolled `loop_iterations` times.
fn build(
    definition: &Value,
    name: &str,
    options: &AslOptions,
    collapse: bool,
) -> Result<(AslImport, CycleStages), AslError> {
    let top = definition
        .as_object()
        .ok_or_else(|| err("top level", "a state machine must be a JSON object"))?;
    let lang = query_language(top, QueryLanguage::JsonPath);
    let mut b = Builder {
        options,
        nodes: Vec::new(),
        stages: Vec::new(),
        used_ids: HashMap::new(),
        choices: Vec::new(),
        choice_nodes: Vec::new(),
        loops: Vec::new(),
        notes: Vec::new(),
        collapse,
        bodies: Vec::new(),
    };
    b.scope(top, "", "", None, lang)?;
    if b.stages.is_empty() {
        return Err(err("States", "no Task states: nothing to plan"));
    }
    // Edges between stages through the routing states.
    let mut edges: Vec<Edge> = Vec::new();
    for from in 0..b.nodes.len() {
        let Some(s) = b.nodes[from].stage else {
            continue;
        };
        let mut seen = vec![false; b.nodes.len()];
        let mut stack: Vec<usize> = b.nodes[from].next.clone();
        while let Some(n) = stack.pop() {
            if std::mem::replace(&mut seen[n], true) {
                continue;
            }
            match b.nodes[n].stage {
                Some(t) => {
                    let e = Edge {
                        from: b.stages[s].id.clone(),
                        to: b.stages[t].id.clone(),
                    };
                    if !edges.contains(&e) {
                        edges.push(e);
                    }
                }
                None => stack.extend(b.nodes[n].next.iter().copied()),
            }
        }
    }
    let stages = b
        .stages
        .iter()
        .map(|s| workflow_stage(s, &options.memory))
        .collect();
    let choices = b.workflow_choices();
    let mut notes: Vec<String> = Vec::new();
    for n in b.notes {
        if !notes.contains(&n) {
            notes.push(n);
        }
    }
    for c in &choices {
        notes.push(format!(
            "{}: a Choice between {}; planned for the slowest unless its probabilities are set",
            c.name,
            c.labels()
        ));
    }
    let shared = shared_functions(&b.stages);
    for g in &shared {
        notes.push(format!(
            "{} run one function ({}): planned with one memory size",
            g.stages.join(", "),
            g.function
        ));
    }
    let import = AslImport {
        workflow: Workflow {
            name: name.to_string(),
            stages,
            edges,
            choices,
            loops: Vec::new(),
            shared,
        },
        stages: b.stages,
        choices: b.choices,
        loops: b.loops,
        notes,
        definition: definition.clone(),
        query_language: lang,
        architectures: std::collections::BTreeMap::new(),
    };
    Ok((import, b.bodies))
}

impl Builder<'_> {
    /// The stages reachable from `start` in the unrolled graph.
    fn reachable_stages(&self, start: usize) -> Vec<usize> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = vec![start];
        let mut out = Vec::new();
        while let Some(n) = stack.pop() {
            if std::mem::replace(&mut seen[n], true) {
                continue;
            }
            if let Some(s) = self.nodes[n].stage {
                out.push(s);
            }
            stack.extend(self.nodes[n].next.iter().copied());
        }
        out
    }

    /// One workflow Choice per Choice node with two routes or more (a Choice
    /// on an unrolled cycle has one route per pass and is no choice there):
    /// each alternative holds the stages reachable from it and from no other
    /// alternative, so the stages after the join belong to none.
    fn workflow_choices(&self) -> Vec<Choice> {
        let mut out: Vec<Choice> = Vec::new();
        let mut copies: HashMap<&str, u32> = HashMap::new();
        for (node, state, alternatives) in &self.choice_nodes {
            let routes: Vec<(&String, usize)> = alternatives
                .iter()
                .filter_map(|a| {
                    let n = self.nodes[*node]
                        .next
                        .iter()
                        .copied()
                        .find(|&n| self.nodes[n].entry_of.as_ref() == Some(a))?;
                    Some((a, n))
                })
                .collect();
            if routes.len() < 2 {
                continue;
            }
            let reach: Vec<Vec<usize>> = routes
                .iter()
                .map(|&(_, n)| self.reachable_stages(n))
                .collect();
            let k = routes.len() as f64;
            let alts: Vec<Alternative> = routes
                .iter()
                .enumerate()
                .map(|(j, &(label, _))| {
                    let mut own: Vec<usize> = reach[j]
                        .iter()
                        .copied()
                        .filter(|s| (0..reach.len()).all(|o| o == j || !reach[o].contains(s)))
                        .collect();
                    own.sort_unstable();
                    Alternative {
                        label: label.clone(),
                        stages: own.iter().map(|&s| self.stages[s].id.clone()).collect(),
                        probability: 1.0 / k,
                    }
                })
                .collect();
            if alts.iter().all(|a| a.stages.is_empty()) {
                continue;
            }
            let copy = copies.entry(state.as_str()).or_insert(0);
            *copy += 1;
            out.push(Choice {
                name: if *copy == 1 {
                    state.clone()
                } else {
                    format!("{state} #{copy}")
                },
                mode: ChoiceMode::Slowest,
                alternatives: alts,
            });
        }
        out
    }
}

/// The d values a Map stage may use up to `limit`.
pub fn map_allowed_d(limit: u32) -> Vec<u32> {
    let mut d: Vec<u32> = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000]
        .into_iter()
        .filter(|&x| x <= limit)
        .collect();
    if !d.contains(&limit) {
        d.push(limit);
    }
    d
}

/// The d limit of a Map: its `MaxConcurrency`, or the platform's limit when unbounded.
pub fn map_limit(map: &MapInfo) -> u32 {
    let cap = if map.distributed {
        DISTRIBUTED_MAP_LIMIT
    } else {
        INLINE_MAP_LIMIT
    };
    map.max_concurrency.unwrap_or(cap)
}

fn workflow_stage(s: &ImportedStage, memory: &MemoryGrid) -> Stage {
    let service = matches!(s.invoke, Invoke::Service(_));
    let (kind, allowed_d) = match &s.map {
        Some(m) if !service => (StageKind::Parallel, map_allowed_d(map_limit(m))),
        _ => (StageKind::Single, vec![1]),
    };
    Stage {
        id: s.id.clone(),
        kind,
        allowed_d,
        memory: memory.clone(),
        fixed: service.then_some(Config {
            memory_mb: memory.min_mb,
            d: 1,
        }),
        position: None,
    }
}

//! What a run drives: a state machine with its Lambda functions, or one function.

use faasplan_core::export::StageConfigs;
use faasplan_core::formats::asl::{self, AslImport, AslOptions, Invoke};
use faasplan_core::formats::lambda_logs::function_of_group;

use crate::error::{AwsError, ErrorKind};

/// A stage run by a Lambda function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageFunction {
    /// Stage id.
    pub stage: String,
    /// The function as the calls name it (name or unqualified ARN).
    pub function: String,
    /// The function's name (its log group is `/aws/lambda/<name>`).
    pub name: String,
    /// Whether the stage runs inside a Map (d instances).
    pub in_map: bool,
}

impl StageFunction {
    /// Its log group.
    pub fn log_group(&self) -> String {
        format!("/aws/lambda/{}", self.name)
    }
}

/// What a run drives.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A Step Functions state machine, read as a workflow.
    StateMachine {
        /// Its ARN.
        arn: String,
        /// Its definition as imported.
        import: Box<AslImport>,
    },
    /// One function invoked directly (a single-stage workflow), d instances at once.
    Function {
        /// The stage id it runs.
        stage: String,
        /// Function name or ARN.
        function: String,
    },
}

/// The function name of a name or ARN (`arn:aws:lambda:r:acct:function:NAME[:qualifier]`).
fn name_of(function: &str) -> String {
    match function.split(':').collect::<Vec<_>>().as_slice() {
        ["arn", _, "lambda", _, _, "function", name, ..] => (*name).to_string(),
        _ => function_of_group(function).unwrap_or_else(|| function.to_string()),
    }
}

impl Target {
    /// A state machine from its definition text (JSON or YAML, or a template holding one).
    pub fn state_machine(arn: &str, definition: &str) -> Result<Target, AwsError> {
        let import = asl::import_state_machine(definition, &AslOptions::default())
            .map_err(|e| AwsError::new(ErrorKind::Input, format!("state machine {arn}: {e}")))?;
        let t = Target::StateMachine {
            arn: arn.to_string(),
            import: Box::new(import),
        };
        t.stage_functions()?;
        Ok(t)
    }

    /// One function run directly as stage `stage`.
    pub fn function(stage: &str, function: &str) -> Result<Target, AwsError> {
        if stage.is_empty() || function.is_empty() {
            return Err(AwsError::new(
                ErrorKind::Input,
                "a function target needs a stage id and a function name",
            ));
        }
        Ok(Target::Function {
            stage: stage.to_string(),
            function: function.to_string(),
        })
    }

    /// The stage ids the target runs, in the workflow's order.
    pub fn stages(&self) -> Vec<String> {
        match self {
            Target::StateMachine { import, .. } => {
                import.stages.iter().map(|s| s.id.clone()).collect()
            }
            Target::Function { stage, .. } => vec![stage.clone()],
        }
    }

    /// Every stage run by a Lambda function named in the definition. A
    /// function that serves two stages, a version or alias, and a function
    /// chosen at run time are refused: their runs could not be told apart or
    /// their memory could not be set.
    pub fn stage_functions(&self) -> Result<Vec<StageFunction>, AwsError> {
        match self {
            Target::Function { stage, function } => Ok(vec![StageFunction {
                stage: stage.clone(),
                function: function.clone(),
                name: name_of(function),
                in_map: false,
            }]),
            Target::StateMachine { arn, import } => {
                let mut out: Vec<StageFunction> = Vec::new();
                for s in &import.stages {
                    match &s.invoke {
                        Invoke::Lambda(f) => {
                            if let Some(q) = f.qualifier.as_deref().filter(|q| *q != "$LATEST") {
                                return Err(AwsError::new(
                                    ErrorKind::Input,
                                    format!(
                                        "state machine {arn}, state {}: it invokes {} at version or alias {q}; a published version's memory cannot be changed, so point the state at the unqualified function to profile it",
                                        s.state, f.name
                                    ),
                                ));
                            }
                            if f.raw.contains("${") {
                                return Err(AwsError::new(
                                    ErrorKind::Input,
                                    format!(
                                        "state machine {arn}, state {}: the function is a placeholder ({}); use the deployed definition",
                                        s.state, f.raw
                                    ),
                                ));
                            }
                            let function = match &f.qualifier {
                                Some(q) => f.raw.trim_end_matches(&format!(":{q}")).to_string(),
                                None => f.raw.clone(),
                            };
                            let name = name_of(&function);
                            if let Some(prev) = out.iter().find(|p| p.name == name) {
                                return Err(AwsError::new(
                                    ErrorKind::Input,
                                    format!(
                                        "state machine {arn}: function {name} runs stages {} and {}; their REPORT lines could not be told apart",
                                        prev.stage, s.id
                                    ),
                                ));
                            }
                            out.push(StageFunction {
                                stage: s.id.clone(),
                                function,
                                name,
                                in_map: s.map.is_some(),
                            });
                        }
                        Invoke::Dynamic(expr) => {
                            return Err(AwsError::new(
                                ErrorKind::Input,
                                format!(
                                    "state machine {arn}, state {}: the function is chosen at run time ({expr}); its memory cannot be planned",
                                    s.state
                                ),
                            ));
                        }
                        Invoke::Service(_) => {}
                    }
                }
                if out.is_empty() {
                    return Err(AwsError::new(
                        ErrorKind::Input,
                        format!("state machine {arn}: no state invokes a Lambda function"),
                    ));
                }
                Ok(out)
            }
        }
    }

    /// Checks that `configs` gives every Lambda stage a configuration, and a
    /// d above 1 only to a Map stage (or a directly invoked function).
    pub fn check_configs(&self, configs: &StageConfigs, index: usize) -> Result<(), AwsError> {
        let functions = self.stage_functions()?;
        for f in &functions {
            let Some(c) = configs.get(&f.stage) else {
                return Err(AwsError::new(
                    ErrorKind::Input,
                    format!(
                        "configurations[{index}]: no configuration for stage {}",
                        f.stage
                    ),
                ));
            };
            if !(128..=10_240).contains(&c.memory_mb) {
                return Err(AwsError::new(
                    ErrorKind::Input,
                    format!(
                        "configurations[{index}].{}.memory_mb: {} MB is outside Lambda's 128..=10240 MB",
                        f.stage, c.memory_mb
                    ),
                ));
            }
            let direct = matches!(self, Target::Function { .. });
            if c.d == 0 || (c.d > 1 && !f.in_map && !direct) {
                return Err(AwsError::new(
                    ErrorKind::Input,
                    format!(
                        "configurations[{index}].{}.d: {} instances, but the stage is not inside a Map state",
                        f.stage, c.d
                    ),
                ));
            }
        }
        let known = self.stages();
        if let Some(extra) = configs.keys().find(|k| !known.contains(k)) {
            return Err(AwsError::new(
                ErrorKind::Input,
                format!("configurations[{index}]: stage {extra} is not in the workflow"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_arns_and_names() {
        assert_eq!(
            name_of("arn:aws:lambda:us-east-1:123456789012:function:split"),
            "split"
        );
        assert_eq!(
            name_of("arn:aws:lambda:us-east-1:123456789012:function:split:live"),
            "split"
        );
        assert_eq!(name_of("split"), "split");
    }
}

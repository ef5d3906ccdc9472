//! Stages that share one memory size: the states of a state machine that
//! invoke one Lambda function, or the copies of an unrolled cycle's body.
//!
//! On AWS the memory size (and the architecture) is a property of the
//! deployed function, not of the state that invokes it. A [`SharedMemory`]
//! group names such stages; every plan gives them one memory size (and, where
//! the architecture is a choice, one architecture). The instance count `d`
//! stays per stage: a Map's `MaxConcurrency` belongs to the state. A fixed
//! configuration on one member fixes the group's memory size.

use serde::{Deserialize, Serialize};

use super::{Workflow, WorkflowError};

/// A group of stages that run one function and so share its memory size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedMemory {
    /// The function (name or ARN) the stages invoke; a label for a group drawn by hand.
    pub function: String,
    /// Ids of the stages, at least two, each in no other group.
    pub stages: Vec<String>,
}

impl Workflow {
    /// The groups in index form: each group's stage positions, in the group's
    /// order (unknown ids are skipped; [`Workflow::validate`] refuses them).
    pub fn shared_groups(&self) -> Vec<Vec<usize>> {
        self.shared
            .iter()
            .map(|g| {
                g.stages
                    .iter()
                    .filter_map(|id| self.stage_index(id))
                    .collect()
            })
            .filter(|g: &Vec<usize>| g.len() >= 2)
            .collect()
    }

    /// The group stage `id` belongs to, if any.
    pub fn shared_of(&self, id: &str) -> Option<&SharedMemory> {
        self.shared
            .iter()
            .find(|g| g.stages.iter().any(|s| s == id))
    }

    /// The stages that share their memory size with stage `id` (not `id` itself).
    pub fn shares_memory_with(&self, id: &str) -> Vec<&str> {
        self.shared_of(id).map_or_else(Vec::new, |g| {
            g.stages
                .iter()
                .map(String::as_str)
                .filter(|s| *s != id)
                .collect()
        })
    }

    /// Ties stage `id` to `other`'s memory size: `id` leaves its own group (if
    /// any) and joins `other`'s, or both form a new group named `function`.
    /// Nothing changes when either id names no stage or they are equal.
    pub fn tie_memory(&mut self, id: &str, other: &str, function: &str) {
        if id == other || self.stage_index(id).is_none() || self.stage_index(other).is_none() {
            return;
        }
        self.untie_memory(id);
        match self
            .shared
            .iter_mut()
            .find(|g| g.stages.iter().any(|s| s == other))
        {
            Some(g) => g.stages.push(id.to_string()),
            None => self.shared.push(SharedMemory {
                function: function.to_string(),
                stages: vec![other.to_string(), id.to_string()],
            }),
        }
    }

    /// Removes stage `id` from its group; a group left with one stage is dropped.
    pub fn untie_memory(&mut self, id: &str) {
        for g in &mut self.shared {
            g.stages.retain(|s| s != id);
        }
        self.shared.retain(|g| g.stages.len() >= 2);
    }

    /// Renames stage `id` to `new_id` in every group.
    pub fn rename_shared_stage(&mut self, id: &str, new_id: &str) {
        for s in self.shared.iter_mut().flat_map(|g| &mut g.stages) {
            if s == id {
                *s = new_id.to_string();
            }
        }
    }

    /// Every group names at least two existing stages, each in no other group;
    /// the members' memory grids have a size in common; members with a fixed
    /// configuration agree on its memory size, which every member's grid holds.
    pub(super) fn check_shared(&self) -> Result<(), WorkflowError> {
        let mut owner: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (index, g) in self.shared.iter().enumerate() {
            let bad = |message: String| WorkflowError::Shared {
                index,
                function: g.function.clone(),
                message,
            };
            if g.stages.len() < 2 {
                return Err(bad(format!(
                    "stages: {} listed, a group needs at least two",
                    g.stages.len()
                )));
            }
            let mut members = Vec::with_capacity(g.stages.len());
            for (at, id) in g.stages.iter().enumerate() {
                let i = self
                    .stage_index(id)
                    .ok_or_else(|| bad(format!("stages[{at}]: no stage {id:?}")))?;
                if let Some(&other) = owner.get(id.as_str()) {
                    return Err(bad(if other == index {
                        format!("stages[{at}]: {id:?} is listed twice")
                    } else {
                        format!(
                            "stages[{at}]: {id:?} is already in shared[{other}] ({:?}); a stage shares memory with one group",
                            self.shared[other].function
                        )
                    }));
                }
                owner.insert(id.as_str(), index);
                members.push(i);
            }
            let stages: Vec<&super::Stage> = members.iter().map(|&i| &self.stages[i]).collect();
            let mut fixed: Option<(&str, u32)> = None;
            for s in &stages {
                if let Some(c) = s.fixed {
                    match fixed {
                        Some((other, mb)) if mb != c.memory_mb => {
                            return Err(bad(format!(
                                "stage {:?} is fixed at {} MB and stage {other:?} at {mb} MB; stages sharing a function need one memory size",
                                s.id, c.memory_mb
                            )));
                        }
                        Some(_) => {}
                        None => fixed = Some((&s.id, c.memory_mb)),
                    }
                }
            }
            if let Some((id, mb)) = fixed {
                if let Some(s) = stages.iter().find(|s| !s.memory.contains(mb)) {
                    return Err(bad(format!(
                        "stage {id:?} is fixed at {mb} MB, which stage {:?}'s memory grid does not hold",
                        s.id
                    )));
                }
                continue;
            }
            let common = stages[0]
                .memory
                .sizes()
                .any(|mb| stages[1..].iter().all(|s| s.memory.contains(mb)));
            if !common {
                let ids: Vec<String> = stages.iter().map(|s| format!("{:?}", s.id)).collect();
                return Err(bad(format!(
                    "the memory grids of {} have no size in common",
                    ids.join(", ")
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dag::{Config, Edge, MemoryGrid, Stage, StageKind};

    fn stage(id: &str, min: u32, max: u32, step: u32) -> Stage {
        Stage {
            id: id.into(),
            kind: StageKind::Single,
            allowed_d: vec![1],
            memory: MemoryGrid::stepped(min, max, step),
            fixed: None,
            position: None,
        }
    }

    fn workflow() -> Workflow {
        Workflow {
            name: "w".into(),
            stages: vec![
                stage("a", 128, 1024, 128),
                stage("b", 256, 2048, 256),
                stage("c", 128, 1024, 128),
            ],
            edges: vec![
                Edge {
                    from: "a".into(),
                    to: "b".into(),
                },
                Edge {
                    from: "b".into(),
                    to: "c".into(),
                },
            ],
            choices: Vec::new(),
            loops: Vec::new(),
            shared: vec![SharedMemory {
                function: "f".into(),
                stages: vec!["a".into(), "c".into()],
            }],
        }
    }

    fn error(w: &Workflow) -> String {
        w.validate().unwrap_err().to_string()
    }

    #[test]
    fn a_valid_group_passes_and_indexes() {
        let w = workflow();
        w.validate().unwrap();
        assert_eq!(w.shared_groups(), vec![vec![0, 2]]);
        assert_eq!(w.shares_memory_with("c"), vec!["a"]);
        assert!(w.shares_memory_with("b").is_empty());
    }

    #[test]
    fn malformed_groups_are_refused_naming_the_field() {
        let mut w = workflow();
        w.shared[0].stages.push("x".into());
        assert_eq!(
            error(&w),
            r#"shared[0] (function "f"): stages[2]: no stage "x""#
        );
        let mut w = workflow();
        w.shared[0].stages.push("a".into());
        assert!(error(&w).contains(r#"stages[2]: "a" is listed twice"#));
        let mut w = workflow();
        w.shared.push(SharedMemory {
            function: "g".into(),
            stages: vec!["b".into(), "c".into()],
        });
        assert!(
            error(&w)
                .starts_with(r#"shared[1] (function "g"): stages[1]: "c" is already in shared[0]"#)
        );
        let mut w = workflow();
        w.shared[0].stages.pop();
        assert!(error(&w).contains("a group needs at least two"));
    }

    #[test]
    fn grids_without_a_common_size_are_refused() {
        let mut w = workflow();
        w.stages[2].memory = MemoryGrid::stepped(2000, 3000, 500);
        assert!(error(&w).contains(r#"the memory grids of "a", "c" have no size in common"#));
        // 256 MB is on both grids.
        w.shared[0].stages = vec!["a".into(), "b".into()];
        w.validate().unwrap();
    }

    #[test]
    fn fixed_members_fix_the_group() {
        let mut w = workflow();
        w.stages[0].fixed = Some(Config {
            memory_mb: 512,
            d: 1,
        });
        w.validate().unwrap();
        w.stages[2].fixed = Some(Config {
            memory_mb: 640,
            d: 1,
        });
        assert!(error(&w).contains(r#"stage "c" is fixed at 640 MB and stage "a" at 512 MB"#));
        w.stages[2].fixed = None;
        w.stages[2].memory = MemoryGrid::stepped(128, 384, 128);
        assert!(error(&w).contains(r#"which stage "c"'s memory grid does not hold"#));
    }

    #[test]
    fn tie_untie_and_rename_keep_groups_well_formed() {
        let mut w = workflow();
        w.tie_memory("b", "c", "ignored");
        assert_eq!(w.shared.len(), 1);
        assert_eq!(w.shared[0].stages, ["a", "c", "b"]);
        w.untie_memory("a");
        w.untie_memory("c");
        assert!(w.shared.is_empty());
        w.tie_memory("a", "b", "fn");
        assert_eq!(w.shared[0].function, "fn");
        w.rename_shared_stage("a", "z");
        assert_eq!(w.shared[0].stages, ["b", "z"]);
        w.tie_memory("a", "nope", "fn");
        assert_eq!(w.shared.len(), 1);
        let json = serde_json::to_string(&w).unwrap();
        assert_eq!(serde_json::from_str::<Workflow>(&json).unwrap(), w);
    }
}

use faasplan_core::dag::Position;

use super::*;

fn one_stage() -> AppState {
    let mut s = AppState::default();
    s.apply(Action::AddStage {
        at: Position { x: 0.0, y: 0.0 },
    });
    s
}

#[test]
fn allowing_arm64_sets_the_stage_entry_and_undoes_in_one_step() {
    let mut s = one_stage();
    assert_eq!(arm64_choice(&s, "stage1"), (false, None));
    s.apply(Action::SetArchitecture {
        stage: "stage1".into(),
        arm64: true,
        time_factor: Some(0.8),
    });
    assert_eq!(arm64_choice(&s, "stage1"), (true, Some(0.8)));
    let entry = &s.project.settings.architectures["stage1"];
    assert_eq!(entry.allowed, vec![Arch::X86_64, Arch::Arm64]);
    s.apply(Action::Undo);
    assert_eq!(arm64_choice(&s, "stage1"), (false, None));
    s.apply(Action::Redo);
    assert_eq!(arm64_choice(&s, "stage1"), (true, Some(0.8)));
    s.apply(Action::SetArchitecture {
        stage: "stage1".into(),
        arm64: false,
        time_factor: None,
    });
    assert!(s.project.settings.architectures.is_empty());
}

#[test]
fn a_bad_factor_or_stage_is_refused_with_a_notice() {
    let mut s = one_stage();
    for (stage, f) in [
        ("stage1", Some(-1.0)),
        ("stage1", Some(f64::NAN)),
        ("nope", None),
    ] {
        s.apply(Action::SetArchitecture {
            stage: stage.into(),
            arm64: true,
            time_factor: f,
        });
        assert!(s.project.settings.architectures.is_empty());
    }
    assert_eq!(s.notices.len(), 3);
}

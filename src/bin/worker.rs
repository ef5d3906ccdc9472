//! Entry point of the planning web worker.

use faasplan_web::worker::agent::{PlannerAgent, install_crash_report};
use faasplan_web::worker::codec::Json;
use yew_agent::Registrable;

fn main() {
    install_crash_report();
    PlannerAgent::registrar().encoding::<Json>().register();
}

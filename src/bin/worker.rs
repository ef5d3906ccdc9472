//! Entry point of the planning web worker.

use faasplan_web::worker::agent::PlannerAgent;
use yew_agent::Registrable;

fn main() {
    console_error_panic_hook::set_once();
    PlannerAgent::registrar().register();
}

//! Integration tests of the AWS backend against moto's server (installed by
//! `scripts/setup` into `.tools/moto`). moto runs no function code here (it
//! would need Docker): its Lambda answers every invoke by echoing the payload
//! and writes no logs, so the tests write the `REPORT` lines the real service
//! would write into CloudWatch Logs (`PutLogEvents`), with the memory size the
//! function has at that moment. Everything else — configuration reads and
//! updates, the update wait, state machine updates, executions (moto's Step
//! Functions interpreter runs the definition, Map and Task states included),
//! stops, log queries — is moto's real implementation of the API.

mod moto;
mod runs;

//! Integration tests of the executor: the protocol against its OpenAPI file, the
//! server's security settings, and the local backend end to end. Each test
//! starts its own `faasplan-executor` process on a free port.

mod branches;
mod local;
mod protocol;
mod security;
mod support;

//! The `faasplan` command line.

fn main() {}

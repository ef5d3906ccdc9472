//! File formats: Jolteon workflow and profile JSON, the native profile CSV,
//! the project JSON and the plan JSON.

//! Store-free widgets: values in, `Callback`s out.

pub mod number_field;
pub mod slider;

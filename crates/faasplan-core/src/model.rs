//! Per-stage stochastic performance models fitted from profiles.

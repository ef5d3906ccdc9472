//! Monte Carlo sampling of the fitted models into a [`SampledProblem`](crate::problem::SampledProblem).

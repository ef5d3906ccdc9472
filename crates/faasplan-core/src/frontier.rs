//! The exact latency–cost Pareto frontier.

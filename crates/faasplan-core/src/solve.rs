//! The exact chance-constrained planner over the discrete configuration grid.

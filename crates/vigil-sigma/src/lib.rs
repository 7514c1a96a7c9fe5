//! The Sigma engine: rule parsing, compilation, evaluation and correlation.

//! Version schemes of every ecosystem vigil knows, and OSV range evaluation.

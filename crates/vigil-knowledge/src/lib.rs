//! Advisory sources: parse and normalise OSV, RustSec, CISA KEV, EPSS and Microsoft CVRF into vigil's model.

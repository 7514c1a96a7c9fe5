//! Any bytes under a handful of file names, with the format sniffed: the names steer the sniffer
//! to each reader (IIS W3C, Exchange HttpProxy CSV, syslog, EVTX, JSON lines, access logs).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_logs::{ReadOptions, read_bytes};

const NAMES: &[&str] = &[
    "u_ex210813.log",
    "HttpProxy_2021081223-1.LOG",
    "mail.log",
    "access.log",
    "x.evtx",
    "x.json",
    "x.log",
    "x.log.gz",
];

fuzz_target!(|data: &[u8]| {
    let opts = ReadOptions {
        evtx_threads: 1,
        max_gz_evtx_bytes: 64 << 20,
        ..ReadOptions::default()
    };
    for name in NAMES {
        let mut events = 0usize;
        let _ = read_bytes(name, data, None, &opts, &mut |_| events += 1);
    }
});

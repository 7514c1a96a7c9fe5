//! Sustained ingest throughput without detection (the floor): a tailed syslog file, the syslog
//! listener over UDP and TCP, and EVTX records re-read from a watched folder. One reading thread
//! each. Run by `bench/ingest.sh`; sizes from the arguments: `LINES EVTX_COPIES`.

use std::io::{BufWriter, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};
use vigil_ingest::{ListenerConfig, SyslogListener, Tailer, TailerConfig, Watch};
use vigil_logs::Format;

fn line(n: u64) -> String {
    format!(
        "Dec  4 10:{:02}:{:02} mx1 postfix/smtpd[{}]: connect from unknown[192.0.2.{}]\n",
        (n / 60) % 60,
        n % 60,
        n % 30000,
        n % 250
    )
}

fn report(what: &str, n: u64, bytes: u64, t: Duration) {
    let s = t.as_secs_f64().max(1e-9);
    println!(
        "{what:<28} {n:>9} events  {:>9.0} events/s  {:>7.1} MB/s",
        n as f64 / s,
        bytes as f64 / s / 1e6
    );
}

fn main() -> std::io::Result<()> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let lines = args.first().copied().unwrap_or(500_000);
    let copies = args.get(1).copied().unwrap_or(200);
    let dir = tempfile::tempdir()?;

    // File tail: the file written first, then followed from 0 by polls.
    let log = dir.path().join("mail.log");
    let mut w = BufWriter::new(std::fs::File::create(&log)?);
    for n in 0..lines {
        w.write_all(line(n).as_bytes())?;
    }
    w.flush()?;
    drop(w);
    let bytes = std::fs::metadata(&log)?.len();
    let mut watch = Watch::new("bench", &log);
    watch.format = Some(Format::Syslog);
    let mut t = Tailer::new(watch, TailerConfig::default(), Vec::new());
    let start = Instant::now();
    let mut n = 0u64;
    while n < lines {
        let r = t.poll(&mut |_| n += 1).map_err(std::io::Error::other)?;
        if r.events == 0 && !r.more {
            break;
        }
    }
    report("file tail (syslog)", n, bytes, start.elapsed());

    // TCP: one connection, newline framing; the consumer counts events.
    let l = SyslogListener::start(
        None,
        Some("127.0.0.1:0".parse().unwrap_or_else(|_| unreachable!())),
        ListenerConfig::default(),
    )?;
    let addr = l
        .tcp_addr()
        .ok_or_else(|| std::io::Error::other("no tcp address"))?;
    let sender = std::thread::spawn(move || -> std::io::Result<u64> {
        let mut c = BufWriter::new(TcpStream::connect(addr)?);
        let mut bytes = 0;
        for n in 0..lines {
            let m = format!("<22>{}", line(n));
            bytes += m.len() as u64;
            c.write_all(m.as_bytes())?;
        }
        c.flush()?;
        Ok(bytes)
    });
    let start = Instant::now();
    let mut n = 0u64;
    while n < lines && l.recv_timeout(Duration::from_secs(2)).is_some() {
        n += 1;
    }
    let el = start.elapsed();
    let bytes = sender.join().unwrap_or(Ok(0))?;
    report("tcp listener (syslog)", n, bytes, el);
    drop(l);

    // UDP: sent as fast as one thread can; what is received (and dropped) is counted.
    let l = SyslogListener::start(
        Some("127.0.0.1:0".parse().unwrap_or_else(|_| unreachable!())),
        None,
        ListenerConfig::default(),
    )?;
    let addr = l
        .udp_addr()
        .ok_or_else(|| std::io::Error::other("no udp address"))?;
    let sender = std::thread::spawn(move || -> std::io::Result<()> {
        let s = UdpSocket::bind("127.0.0.1:0")?;
        for n in 0..lines {
            let m = format!("<22>{}", line(n));
            s.send_to(m.as_bytes(), addr)?;
        }
        Ok(())
    });
    let start = Instant::now();
    let mut n = 0u64;
    while l.recv_timeout(Duration::from_millis(500)).is_some() {
        n += 1;
    }
    let el = start.elapsed().saturating_sub(Duration::from_millis(500));
    sender.join().unwrap_or(Ok(()))?;
    let st = l.stats();
    report("udp listener (syslog)", n, 0, el);
    println!(
        "  udp: {} sent, {} received by the socket, {} dropped (queue full), lost in the kernel: {}",
        lines,
        st.received,
        st.dropped_full,
        lines.saturating_sub(st.received)
    );
    drop(l);

    // EVTX: copies of a fixture in a watched folder, read from their start.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vigil-logs/tests/fixtures/security_4624_ntlm_cme.evtx");
    let evtx_dir = dir.path().join("evtx");
    std::fs::create_dir(&evtx_dir)?;
    for i in 0..copies {
        std::fs::copy(&fixture, evtx_dir.join(format!("s{i}.evtx")))?;
    }
    let bytes = std::fs::metadata(&fixture)?.len() * copies;
    let mut t = Tailer::new(
        Watch::new("evtx", &evtx_dir),
        TailerConfig::default(),
        Vec::new(),
    );
    let start = Instant::now();
    let mut n = 0u64;
    loop {
        let r = t.poll(&mut |_| n += 1).map_err(std::io::Error::other)?;
        if r.events == 0 && !r.more {
            break;
        }
    }
    report("evtx folder", n, bytes, start.elapsed());
    let start = Instant::now();
    let r = t.poll(&mut |_| n += 1).map_err(std::io::Error::other)?;
    println!(
        "  evtx re-poll with nothing new: {} events in {:?}",
        r.events,
        start.elapsed()
    );
    Ok(())
}

//! Writes one scenario folder by hand and prints its ground truth as JSON:
//!
//! ```sh
//! cargo run -p vigil-scenarios --example gen -- exchange-owassrf /tmp/x [SEED]
//! ```
//!
//! Scenarios: exchange-owassrf (alias exchange-2022), exchange-stuffing, linux-spray, benign-exchange,
//! benign-linux. The ground truth is also written to `<DIR>.truth.json` beside the folder (not inside
//! it, so that an audit of the folder does not read it).

use std::path::PathBuf;
use std::process::ExitCode;
use vigil_scenarios::Scenario;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(name), Some(dir)) = (args.first(), args.get(1)) else {
        eprintln!(
            "usage: gen SCENARIO DIR [SEED]\nscenarios: {}",
            Scenario::NAMES.join(", ")
        );
        return ExitCode::from(2);
    };
    let seed = match args.get(2).map(|s| s.parse::<u64>()) {
        None => 1,
        Some(Ok(s)) => s,
        Some(Err(e)) => {
            eprintln!(
                "SEED {:?}: {e}",
                args.get(2).map(String::as_str).unwrap_or("")
            );
            return ExitCode::from(2);
        }
    };
    let Some(scenario) = Scenario::by_name(name, seed) else {
        eprintln!(
            "{name}: no such scenario (one of {})",
            Scenario::NAMES.join(", ")
        );
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    match scenario.generate(&dir) {
        Ok(truth) => {
            let json = truth.to_json();
            let side = PathBuf::from(format!("{}.truth.json", dir.display()));
            if let Err(e) = std::fs::write(&side, &json) {
                eprintln!("{}: {e}", side.display());
                return ExitCode::from(4);
            }
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(4)
        }
    }
}

use std::process::ExitCode;

use bktec::config::EnvSnapshot;

fn main() -> ExitCode {
    let env = EnvSnapshot::from_process();
    ExitCode::from(bktec::app::main(std::env::args_os().collect(), env))
}

use std::process::ExitCode;

use bktec::cli::{self, Parsed};
use bktec::config::EnvSnapshot;
use bktec::shell::Shell;

fn main() -> ExitCode {
    let env = EnvSnapshot::from_process();
    let mut shell = Shell::stdio(&env);
    let status = match cli::parse(std::env::args_os().collect()) {
        Parsed::Cli(cli) => match bktec::app::run(*cli, env, &mut shell) {
            Ok(status) => status,
            Err(err) => {
                shell.error(&err);
                err.exit_code()
            }
        },
        Parsed::Exit { status, message } => {
            if status == 0 {
                shell.out(&message);
            } else {
                shell.err(&message);
            }
            status
        }
    };
    ExitCode::from(status)
}

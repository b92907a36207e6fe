//! What of the test command decides which Go packages build and which
//! tests they hold (D38): its `-tags`, `-mod`, `-race` and the like, wherever
//! it passes them to `go test` (after gotestsum's `--`, or to `go test`
//! itself, in a `sh -c` script too), and the variables it sets for itself.
//! Discovery's `go list` and the listing's `go test -list` use them, so
//! they see the packages and tests the test command runs.

use std::path::Path;

use super::super::template::CommandTemplate;

/// What of the test command changes which packages and tests exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GoFlags {
    /// The `go` the command runs (`/opt/go/bin/go`); `go` when it runs it
    /// through gotestsum.
    pub(crate) go: String,
    /// Build flags that `go list` and `go test` share (`-tags=integration`),
    /// `-C` first, as Go requires.
    pub(crate) build: Vec<String>,
    /// `go test` flags the listing needs too, as it runs the test binaries
    /// (`-exec`).
    pub(crate) test: Vec<String>,
    /// Variables the command sets for itself (`GOFLAGS=-tags=x gotestsum`).
    pub(crate) env: Vec<(String, String)>,
}

impl Default for GoFlags {
    fn default() -> GoFlags {
        GoFlags {
            go: "go".to_string(),
            build: Vec::new(),
            test: Vec::new(),
            env: Vec::new(),
        }
    }
}

/// Build flags with a value that change which files compile or which
/// packages exist (`-C` changes the directory, `-compiler=gccgo` sets the
/// `gccgo` build tag).
const BUILD_VALUES: &[&str] = &["C", "tags", "mod", "modfile", "overlay", "compiler"];

/// Boolean build flags that set a build tag (`race`, `msan`, `asan`).
const BUILD_SWITCHES: &[&str] = &["race", "msan", "asan"];

/// `go test` flags with a value that the listing needs to run the tests.
const TEST_VALUES: &[&str] = &["exec"];

/// The other `go test` and build flags that take a value: their value is
/// skipped, never read as a flag or a package.
const OTHER_VALUES: &[&str] = &[
    "asmflags",
    "bench",
    "benchtime",
    "blockprofile",
    "blockprofilerate",
    "count",
    "covermode",
    "coverpkg",
    "coverprofile",
    "cpu",
    "cpuprofile",
    "fuzz",
    "fuzzminimizetime",
    "fuzztime",
    "gccgoflags",
    "gcflags",
    "installsuffix",
    "ldflags",
    "list",
    "memprofile",
    "memprofilerate",
    "mutexprofile",
    "mutexprofilefraction",
    "o",
    "outputdir",
    "p",
    "pgo",
    "pkgdir",
    "run",
    "shuffle",
    "skip",
    "timeout",
    "toolexec",
    "trace",
    "vet",
];

/// Words that end the command in a script (`go test ... | tee`).
const SEPARATORS: &[&str] = &["&&", "||", ";", "|", "&"];

/// What of `template` changes which packages and tests exist: the flags
/// after `go test`, or after gotestsum's `--` when it runs `go test` itself,
/// and the `NAME=value` words before the program.
pub(crate) fn go_flags(template: &CommandTemplate) -> GoFlags {
    flags_of(&template.program_words())
}

/// [`go_flags`] of the command's words.
fn flags_of(words: &[String]) -> GoFlags {
    let name = |word: &String| {
        Path::new(word)
            .file_name()
            .map(|file| file.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    // `go test`, a `golang.org/dl` Go (`go1.22.1 test`) or richgo, the
    // wrappers that pass `go test`'s arguments through.
    let go = |word: &String| {
        let name = name(word);
        name == "go" || name.starts_with("go1.") || name == "richgo"
    };
    let go_test = (0..words.len())
        .find(|&at| go(&words[at]) && words.get(at + 1).is_some_and(|w| w == "test"));
    let (program, start) = match go_test {
        Some(at) => (at, Some(at + 2)),
        None => match words.iter().position(|w| name(w) == "gotestsum") {
            Some(at) => (
                at,
                words[at..]
                    .iter()
                    .position(|w| w == "--")
                    .map(|dash| at + dash + 1),
            ),
            None => (words.len(), None),
        },
    };
    let mut flags = GoFlags {
        env: assignments(&words[..program]),
        ..GoFlags::default()
    };
    if let Some(at) = go_test.filter(|&at| name(&words[at]) != "richgo") {
        flags.go.clone_from(&words[at]);
    }
    if let Some(start) = start {
        read_flags(&words[start..], &mut flags);
    }
    flags
}

/// The `NAME=value` words among `words` (what comes before the program:
/// `env`, `timeout 600` and the like are passed over).
fn assignments(words: &[String]) -> Vec<(String, String)> {
    words
        .iter()
        .filter_map(|word| word.split_once('='))
        .filter(|(name, _)| {
            let mut chars = name.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

/// Reads the flags of `args` (what follows `go test`) into `flags`, up to
/// the end of the command or `-args` (the test binary's own arguments).
fn read_flags(args: &[String], flags: &mut GoFlags) {
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if SEPARATORS.contains(&word.as_str()) || word == "-args" || word == "--args" {
            return;
        }
        let Some(flag) = word
            .strip_prefix("--")
            .or_else(|| word.strip_prefix('-'))
            .filter(|f| !f.is_empty())
        else {
            continue;
        };
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (flag, None),
        };
        if BUILD_SWITCHES.contains(&name) {
            flags.build.push(format!("-{flag}"));
            continue;
        }
        let takes_value = BUILD_VALUES.contains(&name)
            || TEST_VALUES.contains(&name)
            || OTHER_VALUES.contains(&name);
        if !takes_value {
            continue;
        }
        let Some(value) = inline.or_else(|| words.next().cloned()) else {
            return;
        };
        let spelled = format!("-{name}={value}");
        if name == "C" {
            flags.build.insert(0, spelled);
        } else if BUILD_VALUES.contains(&name) {
            flags.build.push(spelled);
        } else if TEST_VALUES.contains(&name) {
            flags.test.push(spelled);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(template: &str) -> GoFlags {
        go_flags(&CommandTemplate::parse(template).unwrap())
    }

    #[test]
    fn gotestsum_passes_go_test_flags_after_its_double_dash() {
        let got = flags(
            "gotestsum --format=dots --jsonfile={{resultPath}} -- -tags=integration -run TestX -mod vendor {{testExamples}} -race",
        );
        assert_eq!(got.go, "go");
        assert_eq!(
            got.build,
            ["-tags=integration", "-mod=vendor", "-race"],
            "-run and its value are not build flags"
        );
        assert!(got.test.is_empty() && got.env.is_empty());
    }

    #[test]
    fn gotestsum_without_a_double_dash_passes_no_flags() {
        assert_eq!(
            flags("gotestsum --jsonfile={{resultPath}} {{testExamples}}"),
            GoFlags::default()
        );
        assert_eq!(flags("make test"), GoFlags::default());
    }

    #[test]
    fn go_test_itself_in_a_script_with_its_go_and_variables() {
        let got = flags(
            "sh -c 'CGO_ENABLED=0 GOFLAGS=-tags=a /opt/go/bin/go test -json --tags x,y -modfile=ci.mod -exec=qemu {{testExamples}} > {{resultPath}}'",
        );
        assert_eq!(got.go, "/opt/go/bin/go");
        assert_eq!(got.build, ["-tags=x,y", "-modfile=ci.mod"]);
        assert_eq!(got.test, ["-exec=qemu"]);
        assert_eq!(
            got.env,
            [
                ("CGO_ENABLED".to_string(), "0".to_string()),
                ("GOFLAGS".to_string(), "-tags=a".to_string())
            ]
        );
    }

    #[test]
    fn raw_command_and_dash_c_and_what_ends_the_flags() {
        let got = flags(
            "gotestsum --raw-command -- go test -json -overlay o.json -C sub ./... -args -tags=not-ours",
        );
        assert_eq!(got.build, ["-C=sub", "-overlay=o.json"]);
        let got = flags("sh -c 'go test -json {{testExamples}} | tee out; go vet -tags=late'");
        assert!(got.build.is_empty(), "{got:?}");
    }

    #[test]
    fn a_go_of_golang_dl_is_the_go_bktec_runs_and_richgo_runs_go() {
        let got = flags("go1.22.1 test -json -tags=a {{testExamples}}");
        assert_eq!((got.go.as_str(), &got.build[..]), ("go1.22.1", &["-tags=a".to_string()][..]));
        let got = flags("richgo test -json -tags=b {{testExamples}}");
        assert_eq!((got.go.as_str(), &got.build[..]), ("go", &["-tags=b".to_string()][..]));
    }

    #[test]
    fn a_value_that_looks_like_a_flag_is_a_value() {
        let got = flags("go test -ldflags -race -gcflags=-race -tags=x {{testExamples}}");
        assert_eq!(got.build, ["-tags=x"]);
    }
}

//! Rendering command templates (behaviour document 7.2, D12, D25): each
//! value substituted into a template becomes exactly one argument, or, in a
//! `sh -c` script, one shell-quoted word. The template's parsing is a config
//! element (`config/elements/command_template.rs`).

pub(crate) use crate::config::elements::command_template::{
    CommandTemplate, RESULT_PATH, TEST_EXAMPLES, TEST_NAME_PATTERN, TemplateError, program_name,
    split_words,
};
use crate::config::elements::command_template::{Quoting, Script};
use crate::quote::quote_unless;
pub(crate) use crate::quote::shell_quote;
use crate::results::ResultFormat;

/// Whether tests are appended when the template has no `{{testExamples}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingTests {
    /// Append them at the end (pytest).
    Append,
    /// Leave them out (custom).
    Omit,
}
impl CommandTemplate {
    /// The result format named by the option that holds the (first)
    /// `{{resultPath}}`: `--json=P` or `--json P` is collector JSON,
    /// `--junit-xml`/`--junitxml` (either form) is JUnit (D30), also inside
    /// a `sh -c` script. Other `--json`/`--junit-xml` options are the user's
    /// own extra outputs. `None` when no such option holds it.
    pub fn result_format(&self) -> Option<ResultFormat> {
        match self.result_option()?.as_str() {
            "--json" => Some(ResultFormat::CollectorJson),
            "--junit-xml" | "--junitxml" => Some(ResultFormat::JUnitXml),
            _ => None,
        }
    }

    /// The option that holds the (first) `{{resultPath}}`, `--name` of
    /// `--name=P`, or the word before `P` (D30), also inside a `sh -c`
    /// script. `None` when no word holds it.
    pub fn result_option(&self) -> Option<String> {
        let index = self.words().iter().position(|w| w.contains(RESULT_PATH))?;
        match self.script() {
            // The script's words, split as the shell would split plain words
            // and quotes; enough to find an option and its value.
            Some(script) if script.index == index => {
                option_holding(&split_words(&self.words()[index]).ok()?)
            }
            Some(_) | None => option_holding(self.words()),
        }
    }

    /// The argv for `tests` and `result_path`. The first `{{testExamples}}`
    /// becomes one argument per test (text around the placeholder sticks to the
    /// first and last test); the first `{{resultPath}}` is replaced inside its
    /// word.
    pub fn render(
        &self,
        tests: &[String],
        result_path: &str,
        missing: MissingTests,
    ) -> Vec<String> {
        let mut argv = Vec::with_capacity(self.words().len() + tests.len());
        let mut tests_placed = false;
        let mut result_placed = false;
        for (index, word) in self.words().iter().enumerate() {
            if let Some(script) = self.script().filter(|s| s.index == index) {
                argv.push(script.render(
                    word,
                    tests,
                    result_path,
                    &mut tests_placed,
                    &mut result_placed,
                ));
                continue;
            }
            let word = if !result_placed && word.contains(RESULT_PATH) {
                result_placed = true;
                word.replacen(RESULT_PATH, result_path, 1)
            } else {
                word.clone()
            };
            match word.split_once(TEST_EXAMPLES) {
                Some((before, after)) if !tests_placed => {
                    tests_placed = true;
                    match tests {
                        [] => {
                            let joined = format!("{before}{after}");
                            if !joined.is_empty() {
                                argv.push(joined);
                            }
                        }
                        [only] => argv.push(format!("{before}{only}{after}")),
                        // D41: a quoted placeholder is one word, as the Go
                        // client passes it.
                        all if self.joins_tests() => {
                            argv.push(format!("{before}{}{after}", all.join(" ")));
                        }
                        [first, middle @ .., last] => {
                            argv.push(format!("{before}{first}"));
                            argv.extend(middle.iter().cloned());
                            argv.push(format!("{last}{after}"));
                        }
                    }
                }
                Some(_) | None => argv.push(word),
            }
        }
        if !tests_placed && missing == MissingTests::Append {
            argv.extend(tests.iter().cloned());
        }
        argv
    }
}
impl Script {
    /// The script with `{{testExamples}}` and `{{resultPath}}` substituted
    /// where the template has not placed them yet (only the first of each
    /// is), each value quoted as one script word for where it stands (D25).
    fn render(
        &self,
        script: &str,
        tests: &[String],
        result: &str,
        tests_placed: &mut bool,
        result_placed: &mut bool,
    ) -> String {
        let mut out = String::with_capacity(script.len());
        let mut from = 0;
        for slot in &self.slots {
            let words: Vec<String> = match slot.placeholder {
                TEST_EXAMPLES if !*tests_placed => {
                    *tests_placed = true;
                    tests.iter().map(|t| sh_quote(t)).collect()
                }
                RESULT_PATH if !*result_placed => {
                    *result_placed = true;
                    vec![sh_quote(result)]
                }
                _ => continue,
            };
            let joined = words.join(" ");
            out.push_str(&script[from..slot.at]);
            match slot.quoting {
                Quoting::Plain => out.push_str(&joined),
                Quoting::Single => out.push_str(&format!("'{joined}'")),
                Quoting::Double => out.push_str(&format!("\"{joined}\"")),
            }
            from = slot.at + slot.placeholder.len();
        }
        out.push_str(&script[from..]);
        out
    }
}
/// The option holding the first `{{resultPath}}` of `words`: in the same
/// word (`--json={{resultPath}}`) or as the word before it (`--json
/// {{resultPath}}`).
fn option_holding(words: &[String]) -> Option<String> {
    let index = words.iter().position(|w| w.contains(RESULT_PATH))?;
    let option = match words[index].split_once('=') {
        Some((option, value)) if option.starts_with("--") && value.contains(RESULT_PATH) => option,
        Some(_) | None => words.get(index.checked_sub(1)?)?.as_str(),
    };
    Some(option.to_string())
}
/// `argv` without the words that hold `result`, bktec's own temporary
/// result file, which is gone when bktec exits: the option that names it
/// (`--json=P`, or `--json` before a word `P`) goes with it, so that the
/// line that reproduces an attempt can be pasted (issue 21 item 4). `None`
/// when `result` stands inside a word otherwise (a `sh -c` script): that
/// word cannot lose it and stay the same command.
pub(crate) fn without_result_option(argv: &[String], result: &str) -> Option<Vec<String>> {
    let mut kept: Vec<String> = Vec::with_capacity(argv.len());
    for word in argv {
        if word == result {
            if kept.last().is_some_and(|option| option.starts_with('-')) {
                kept.pop();
            }
            continue;
        }
        let inline = word
            .strip_suffix(result)
            .and_then(|option| option.strip_suffix('='))
            .is_some_and(|option| option.starts_with('-') && !option.contains(char::is_whitespace));
        if inline {
            continue;
        }
        if word.contains(result) {
            return None;
        }
        kept.push(word.clone());
    }
    Some(kept)
}

/// `value` as one word of a POSIX shell script.
fn sh_quote(value: &str) -> String {
    quote_unless(value, "-_./:,+@%")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each template is refused: `parameter` reaches the script where the
    /// shell parses it again, in `context`.
    #[track_caller]
    fn assert_reparsed(cases: &[(&str, &str, &str)]) {
        for &(template, parameter, context) in cases {
            let err = CommandTemplate::parse(template).unwrap_err();
            assert!(
                matches!(
                    &err,
                    TemplateError::ReparsedParameter { parameter: p, context: c, .. }
                        if p == parameter && *c == context
                ),
                "{template}: {err}"
            );
        }
    }

    fn words(s: &str) -> Vec<String> {
        split_words(s).unwrap()
    }

    #[test]
    fn splits_like_shell_words() {
        assert_eq!(
            words("pytest  -x\t'a b' \"c d\""),
            ["pytest", "-x", "a b", "c d"]
        );
        assert_eq!(words(r#"a\ b "x\$y\n" 'q\z'"#), ["a b", "x$y\\n", "q\\z"]);
        assert_eq!(words("a\\\nb"), ["ab"]);
        assert_eq!(words("''"), [""]);
        assert!(words("   ").is_empty());
        assert_eq!(split_words("'a"), Err(TemplateError::SingleQuote));
        assert_eq!(split_words("\"a"), Err(TemplateError::DoubleQuote));
        assert_eq!(split_words("a\\"), Err(TemplateError::Backslash));
    }

    /// D41: a quoted placeholder with text around it is one word holding
    /// every test, joined with spaces, as the Go client passes it; an
    /// unquoted one still gives each test its own argument.
    #[test]
    fn a_quoted_placeholder_is_one_word_of_every_test() {
        let tests = ["test/a_test.rb".to_string(), "test/b_test.rb".to_string()];
        for template in [
            "rake test TEST_FILES='{{testExamples}}'",
            "rake test \"TEST_FILES={{testExamples}}\"",
            "rake test TEST_FILES=\"{{testExamples}}\"",
        ] {
            let t = CommandTemplate::parse(template).unwrap();
            assert!(t.joins_tests(), "{template}");
            assert_eq!(
                t.render(&tests, "", MissingTests::Omit),
                ["rake", "test", "TEST_FILES=test/a_test.rb test/b_test.rb"],
                "{template}"
            );
        }
        let t = CommandTemplate::parse("cypress run --spec={{testExamples}}").unwrap();
        assert!(!t.joins_tests());
        assert_eq!(
            t.render(&tests, "", MissingTests::Omit),
            ["cypress", "run", "--spec=test/a_test.rb", "test/b_test.rb"]
        );
        // A word that is the placeholder alone, quoted, is still one
        // argument per test (D12).
        let t = CommandTemplate::parse("pytest \"{{testExamples}}\"").unwrap();
        assert!(!t.joins_tests());
        assert_eq!(t.render(&tests, "", MissingTests::Omit)[1..], tests);
        // A script places its own placeholders (D25).
        let t =
            CommandTemplate::parse("sh -c 'rake test TEST_FILES=\"{{testExamples}}\"'").unwrap();
        assert!(!t.joins_tests());
    }

    #[test]
    fn every_test_is_one_argument() {
        // D12: spaces, quotes, $(...) and ; never split or inject.
        let t = CommandTemplate::parse("pytest {{testExamples}} --json={{resultPath}}").unwrap();
        let tests = [
            "tests/a b.py".to_string(),
            "t.py::x[$(rm -rf /); 'q']".to_string(),
        ];
        assert_eq!(
            t.render(&tests, "/tmp/r s.json", MissingTests::Append),
            [
                "pytest",
                "tests/a b.py",
                "t.py::x[$(rm -rf /); 'q']",
                "--json=/tmp/r s.json"
            ]
        );
    }

    #[test]
    fn missing_placeholder_appends_or_omits() {
        let t = CommandTemplate::parse("pytest -q").unwrap();
        let tests = ["a.py".to_string()];
        assert_eq!(
            t.render(&tests, "r", MissingTests::Append),
            ["pytest", "-q", "a.py"]
        );
        assert_eq!(t.render(&tests, "r", MissingTests::Omit), ["pytest", "-q"]);
    }

    #[test]
    fn embedded_placeholder_keeps_its_surroundings() {
        let t = CommandTemplate::parse("run --tests={{testExamples}}, --again {{testExamples}}")
            .unwrap();
        let tests = ["a".to_string(), "b".to_string(), "c".to_string()];
        assert_eq!(
            t.render(&tests, "r", MissingTests::Append),
            ["run", "--tests=a", "b", "c,", "--again", "{{testExamples}}"]
        );
        assert_eq!(
            t.render(&[], "r", MissingTests::Append),
            ["run", "--tests=,", "--again", "{{testExamples}}"]
        );
    }

    #[test]
    fn quoting_for_display_round_trips() {
        let argv: Vec<String> = ["pytest", "a b.py", "it's", "", "x;y", "--json=/tmp/r.json"]
            .map(String::from)
            .to_vec();
        let shown = shell_quote(&argv);
        assert_eq!(
            shown,
            r#"pytest 'a b.py' 'it'\''s' '' 'x;y' --json=/tmp/r.json"#
        );
        assert_eq!(words(&shown), argv);
    }

    fn script_of(template: &str) -> Option<String> {
        let t = CommandTemplate::parse(template).unwrap();
        t.script().map(|s| t.words()[s.index].clone())
    }

    #[test]
    fn posix_shells_with_dash_c_are_recognised() {
        // D25: directly, by path, through env, with combined flags.
        for template in [
            "sh -c 'S'",
            "/bin/sh -c 'S' sh arg",
            "bash -ec 'S'",
            "bash -xc 'S'",
            "bash -lc S",
            "dash -e -c S",
            "zsh -c -- S",
            "ksh +x -c S",
            "bash -o pipefail -c S",
            "bash -euo pipefail -c S",
            "bash --norc -c S",
            "env sh -c S",
            "env VAR=x sh -c S",
            "/usr/bin/env -i PATH=/bin -u HOME bash -c S",
            "env -- A=1 sh -c S",
            // Behind any wrapper.
            "timeout 600 sh -c S",
            "timeout --signal=KILL 10m /bin/bash -ec S",
            "nice -n 5 bash -ec S",
            "uv run sh -c S",
            "xvfb-run -a sh -c S",
            "docker compose run --rm app sh -c S",
            "docker exec -it box bash -lc S",
            "env -u sh bash -c S",
            "bash run.sh sh -c S",
        ] {
            assert_eq!(script_of(template).as_deref(), Some("S"), "{template}");
        }
        for template in [
            "sh script.sh {{testExamples}}",
            "sh -e script.sh",
            "sh -c",
            "pytest -c conf.ini {{testExamples}}",
            "shellcheck -c x",
            "env pytest -c x",
            "fish -c S",
        ] {
            assert_eq!(script_of(template), None, "{template}");
        }
    }

    /// Runs `template` rendered for `tests` with the real `sh`, and returns
    /// what it printed.
    fn run_sh(template: &str, tests: &[String], dir: &std::path::Path) -> String {
        let argv = CommandTemplate::parse(template).unwrap().render(
            tests,
            "/tmp/r s.json",
            MissingTests::Append,
        );
        let out = std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(dir)
            .output()
            .expect("run sh");
        assert!(out.status.success(), "{argv:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn script_values_are_one_word_each_in_every_quoting() {
        // D25 with the real sh: no value splits, expands or runs.
        let tests: Vec<String> = [
            "test_$(touch PWNED_D25).py",
            "a b.py",
            "it's.py",
            "q\"uote`x`.py",
            "back\\slash;|&<>*?~#.py",
            "new\nline.py",
            "${HOME}.py",
            "'",
            "\"",
        ]
        .map(String::from)
        .to_vec();
        let expected: String = tests.iter().map(|t| format!("<{t}>\n")).collect();
        let dir = tempfile::tempdir().unwrap();
        for template in [
            r#"sh -c 'printf "<%s>\n" {{testExamples}}'"#,
            r#"sh -c "printf '<%s>\\n' '{{testExamples}}'""#,
            r#"sh -c 'printf "<%s>\n" "{{testExamples}}"'"#,
            r#"bash -ec 'echo "$(printf "<%s>\n" {{testExamples}})"'"#,
        ] {
            assert_eq!(run_sh(template, &tests, dir.path()), expected, "{template}");
        }
        // Text around the placeholder sticks to the first and last test.
        let shown = run_sh(
            r#"env X=1 sh -c 'printf "<%s>\n" x{{testExamples}}y'"#,
            &tests[..2],
            dir.path(),
        );
        assert_eq!(shown, "<xtest_$(touch PWNED_D25).py>\n<a b.pyy>\n");
        assert!(!dir.path().join("PWNED_D25").exists());
        let result = run_sh(
            r#"sh -c 'printf "<%s>\n" --json={{resultPath}}'"#,
            &[],
            dir.path(),
        );
        assert_eq!(result, "<--json=/tmp/r s.json>\n");
    }

    #[test]
    fn script_placeholders_bktec_cannot_quote_are_refused() {
        for (template, context) in [
            ("sh -c 'echo `ls {{testExamples}}`'", "inside backquotes"),
            ("sh -c 'echo ${X:-{{resultPath}}}'", "inside `${…}`"),
            ("bash -c \"echo $'{{testExamples}}'\"", "inside `$'…'`"),
            ("sh -c 'pytest # {{testExamples}}'", "in a comment"),
            (
                "sh -c 'cat <<EOF\n{{testExamples}}\nEOF'",
                "after a here-document (`<<`)",
            ),
            (
                "sh -c 'echo \"{{testExamples}}'",
                "in a script with unbalanced quotes",
            ),
        ] {
            let err = CommandTemplate::parse(template).unwrap_err();
            assert!(
                matches!(err, TemplateError::UnquotableInScript { context: c, .. } if c == context),
                "{template}: {err}"
            );
        }
        // A `#` inside a word is no comment.
        assert!(CommandTemplate::parse("sh -c 'pytest a#{{testExamples}}'").is_ok());
    }

    #[test]
    fn script_placeholders_the_shell_parses_again_are_refused() {
        // Issue 19: quoting keeps a value one word, but these parse the word
        // again after quote removal, so a file name would run as code.
        let eval = "in an argument of `eval`";
        let nested = "in the `-c` script of a nested shell";
        let arith = "inside arithmetic `((…))`";
        let variable = "in the variable name of `printf -v` or `test -v`";
        for (template, context) in [
            ("sh -c 'eval pytest {{testExamples}}'", eval),
            ("sh -c 'eval \"pytest {{testExamples}}\"'", eval),
            ("bash -c 'builtin eval pytest \"{{testExamples}}\"'", eval),
            (
                "sh -c 'cd x && command -p eval pytest {{testExamples}}'",
                eval,
            ),
            ("sh -c 'X=1 eval pytest --json={{resultPath}}'", eval),
            (
                "sh -c 'if true; then eval pytest {{testExamples}}; fi'",
                eval,
            ),
            ("sh -c 'echo $(eval pytest {{testExamples}})'", eval),
            (
                "sh -c \"trap 'rm {{resultPath}}' EXIT; pytest\"",
                "in an argument of `trap`",
            ),
            ("sh -c 'sh -c \"pytest {{testExamples}}\"'", nested),
            ("sh -c 'exec bash -c \"pytest {{testExamples}}\"'", nested),
            (
                "bash -ec 'env A=1 zsh -c \"pytest {{testExamples}}\"'",
                nested,
            ),
            ("sh -c 'bash -ec pytest\\ {{testExamples}}'", nested),
            ("sh -c 'sh -xc \"pytest \"{{testExamples}}'", nested),
            ("sh -c 'dash -e -c \"pytest {{testExamples}}\"'", nested),
            (
                "sh -c 'ksh -o pipefail -c \"pytest {{testExamples}}\" ksh'",
                nested,
            ),
            (
                "sh -c 'find . -exec sh -c \"pytest {{testExamples}}\" \\;'",
                nested,
            ),
            ("bash -c 'echo $(( {{testExamples}} ))'", arith),
            ("bash -c 'echo \"$(( 1 + {{testExamples}} ))\"'", arith),
            ("bash -c '(( {{testExamples}} > 0 ))'", arith),
            (
                "bash -c 'for (( i={{testExamples}}; i<1; i++ )); do :; done'",
                arith,
            ),
            (
                "bash -c 'let n={{testExamples}}'",
                "in an argument of `let`",
            ),
            ("bash -c '[[ {{testExamples}} -eq 1 ]]'", "inside `[[ … ]]`"),
            (
                "bash -c '[[ -n x && {{testExamples}} -eq 1 ]] && pytest'",
                "inside `[[ … ]]`",
            ),
            ("bash -c 'a[{{testExamples}}]=1'", "in an array subscript"),
            (
                "bash -c 'declare -i n={{testExamples}}'",
                "in an argument of `declare`, `typeset` or `local`",
            ),
            (
                "bash -c 'read {{testExamples}} < /dev/null'",
                "in an argument of `read`",
            ),
            ("bash -c 'printf -v {{testExamples}} %s 1'", variable),
            ("bash -c '[ -v {{testExamples}} ]'", variable),
            ("sh -c 'e\"va\"l pytest {{testExamples}}'", eval),
            ("sh -c '\\eval pytest {{testExamples}}'", eval),
            ("sh -c \"bash -c 'pytest {{testExamples}}'\"", nested),
        ] {
            let err = CommandTemplate::parse(template).unwrap_err();
            assert!(
                matches!(err, TemplateError::ReparsedInScript { context: c, .. } if c == context),
                "{template}: {err}"
            );
        }
    }

    #[test]
    fn script_values_handed_to_another_parser_are_refused() {
        // Issue 19: a pipe into a shell, a process substitution and a
        // program's `-c` code read the value again as code.
        for (template, context) in [
            (
                "sh -c 'echo pytest {{testExamples}} | sh'",
                "in a command piped into a shell",
            ),
            (
                r#"sh -c 'printf "%s\n" {{testExamples}} | tee log | xargs -I{} sh -c "pytest {}"'"#,
                "in a command piped into a shell",
            ),
            (
                "sh -c 'echo {{testExamples}} | xargs su root -c'",
                "in a command piped into a shell",
            ),
            (
                "sh -c 'echo touch {{testExamples}} | su root'",
                "in a command piped into a shell",
            ),
            (
                "sh -c 'echo pytest {{testExamples}} | ssh ci-box'",
                "in a command piped into a shell",
            ),
            (
                "bash -c 'source <(echo pytest {{testExamples}})'",
                "inside a process substitution (`<(…)`, `>(…)`)",
            ),
            (
                r#"sh -c 'python3 -c "import os; os.system(\"pytest {{testExamples}}\")"'"#,
                "in the code given to a `-c` or `-e` option",
            ),
            (
                r#"sh -c 'su ci -c "pytest {{testExamples}}"'"#,
                "in the code given to a `-c` or `-e` option",
            ),
        ] {
            let err = CommandTemplate::parse(template).unwrap_err();
            assert!(
                matches!(err, TemplateError::ReparsedInScript { context: c, .. } if c == context),
                "{template}: {err}"
            );
        }
    }

    #[test]
    fn the_value_of_any_dash_c_option_is_refused_wherever_it_stands() {
        // Issue 19: `su`, `runuser`, `flock`, `script` and a shell named by a
        // variable run their `-c` value through a shell, even a bare value.
        for template in [
            "sh -c 'su root -c {{testExamples}}'",
            "sh -c 'runuser root -c {{testExamples}}'",
            "sh -c 'flock /tmp/lk -c {{testExamples}}'",
            "sh -c 'script -qc {{testExamples}} /dev/null'",
            r#"sh -c '"$SHELL" -c {{testExamples}}'"#,
            "sh -c '$0 -c {{testExamples}}' sh",
            "sh -c 'su root --command {{testExamples}}'",
            "sh -c 'su root --command={{testExamples}}'",
            "sh -c 'su root -c{{testExamples}}'",
            r#"sh -c 'su root -c "$1"' sh {{testExamples}}"#,
            // getopt's abbreviations, and `su`'s other command option.
            "sh -c 'su root --co {{testExamples}}'",
            "sh -c 'su root --session-command={{testExamples}}'",
            "sh -c 'script -q --com {{testExamples}} /dev/null'",
            "sh -c 'su root -c -- {{testExamples}}'",
        ] {
            let err = CommandTemplate::parse(template).unwrap_err();
            assert!(
                matches!(
                    &err,
                    TemplateError::ReparsedInScript { context, .. }
                        | TemplateError::ReparsedParameter { context, .. }
                        if *context == "in the code given to a `-c` or `-e` option"
                ),
                "{template}: {err}"
            );
        }
        // At the top of a template too: bktec runs `su`, which runs a shell.
        for template in [
            "su root -c {{testExamples}}",
            "runuser root -c {{testExamples}}",
            "flock /tmp/lk -c {{testExamples}}",
            "script -qc {{testExamples}} /dev/null",
            "python3 -c {{testExamples}}",
            "su root --command={{testExamples}}",
            "su root -c{{resultPath}}",
        ] {
            let err = CommandTemplate::parse(template).unwrap_err();
            assert!(
                matches!(
                    &err,
                    TemplateError::ReparsedWord { context, .. }
                        if *context == "in the code given to a `-c` or `-e` option"
                ),
                "{template}: {err}"
            );
        }
        assert_eq!(
            CommandTemplate::parse("flock /tmp/lk -c {{testExamples}}")
                .unwrap_err()
                .to_string(),
            "`{{testExamples}}` is in the code given to a `-c` or `-e` option in the command, \
             where the program may run that code, with the value in it, through a shell, so \
             bktec cannot quote it safely; move it out of there (D25)"
        );
        // A `-c` whose value is not the placeholder is an ordinary option.
        for template in [
            "pytest -c pytest.ini {{testExamples}}",
            "git -c x=y run {{testExamples}}",
            "pytest -p no:cacheprovider {{testExamples}}",
            // Elsewhere `--co` is another option: pytest's `--collect-only`.
            "pytest --co {{testExamples}} --json={{resultPath}}",
            "sh -c 'pytest --co {{testExamples}}'",
            "sh -c 'pytest -c pytest.ini {{testExamples}}'",
            "sh -c 'git -c x=y run {{testExamples}} --json={{resultPath}}'",
            "sh -c 'pytest -p no:cacheprovider {{testExamples}}'",
            "bash -lc 'pytest {{testExamples}}'",
            "timeout 60 sh -ec 'pytest {{testExamples}}'",
            r#"sh -c 'python3 -c "$0" {{testExamples}}' 'import sys'"#,
        ] {
            assert!(CommandTemplate::parse(template).is_ok(), "{template}");
        }
    }

    #[test]
    fn placeholders_in_older_arithmetic_aliases_and_code_variables_are_refused() {
        let code_variable = "in an assignment to a variable a shell runs as code or expands \
                             as a prompt (`PS0` to `PS4`, `PROMPT_COMMAND`, `BASH_ENV`, `ENV`, \
                             `BASH_FUNC_*`, `*_COMMAND`, `*_CMD`)";
        let process = "inside a process substitution (`<(…)`, `>(…)`)";
        for (template, context) in [
            (
                "bash -c 'echo $[{{testExamples}}]'",
                "inside arithmetic `$[…]`",
            ),
            (
                "bash -c 'echo \"$[ 1 + {{testExamples}} ]\"'",
                "inside arithmetic `$[…]`",
            ),
            (
                r#"sh -c 'alias p="echo "{{testExamples}}
p'"#,
                "in an argument of `alias`",
            ),
            (
                "bash -c 'PS4={{testExamples}}; set -x; true'",
                code_variable,
            ),
            ("bash -c 'PS4={{testExamples}} set -x'", code_variable),
            ("bash -c 'PROMPT_COMMAND={{testExamples}}'", code_variable),
            ("bash -c 'export PS1=\"{{testExamples}}\"'", code_variable),
            ("bash -c 'PS0={{testExamples}} PS2=x true'", code_variable),
            ("bash -c 'readonly PS3={{testExamples}}'", code_variable),
            (
                "bash -c 'BASH_ENV={{testExamples}} bash -c true'",
                code_variable,
            ),
            ("sh -c 'env ENV={{testExamples}} sh -i'", code_variable),
            ("sh -c 'PS4+={{testExamples}}'", code_variable),
            (
                r#"sh -c 'env "BASH_FUNC_f%%=() { echo "{{testExamples}}; }" bash -c f'"#,
                code_variable,
            ),
            (
                "sh -c 'GIT_SSH_COMMAND={{testExamples}} git fetch'",
                code_variable,
            ),
            (
                "bash -c 'RANDOM={{testExamples}}'",
                "in an assignment to `RANDOM`, `SRANDOM`, `OPTIND` or `HISTCMD`",
            ),
            (
                "bash -c 'BASH_ENV=<(echo {{testExamples}}) bash -c true'",
                process,
            ),
            ("bash -c 'pytest --x=<(echo {{testExamples}})'", process),
            ("bash -c 'cat a>(echo {{testExamples}})'", process),
        ] {
            let err = CommandTemplate::parse(template).unwrap_err();
            assert!(
                matches!(err, TemplateError::ReparsedInScript { context: c, .. } if c == context),
                "{template}: {err}"
            );
        }
        // At the top, no shell expands these, but a program bktec runs may.
        for template in [
            "env PS4={{testExamples}} bash -xc true",
            "env BASH_ENV={{resultPath}} bash -c true",
        ] {
            let err = CommandTemplate::parse(template).unwrap_err();
            assert!(
                matches!(err, TemplateError::ReparsedWord { context: c, .. } if c == code_variable),
                "{template}: {err}"
            );
        }
        for template in [
            r#"bash -c 'PS4="+ "; set -x; pytest {{testExamples}}'"#,
            "bash -c 'OUT={{resultPath}} pytest {{testExamples}}'",
            "bash -c 'echo $[1 + 2] {{testExamples}}'",
            r#"bash -c 'alias ll="ls -l"; pytest {{testExamples}}'"#,
            "sh -c 'pytest {{testExamples}} > >(tee log)'",
        ] {
            assert!(CommandTemplate::parse(template).is_ok(), "{template}");
        }
    }

    #[test]
    fn a_command_named_by_a_variable_set_to_eval_or_a_shell_is_refused() {
        // `e=eval; $e …` is `eval …`: literal assignments (and aliases) to
        // a command that parses its arguments again are followed.
        let named = "in an argument of `eval`";
        for (template, context) in [
            ("sh -c 'e=eval; $e pytest {{testExamples}}'", named),
            ("sh -c 'e=eval\n\"$e\" pytest {{testExamples}}'", named),
            (
                "bash -c 'export e=\"eval\"; ${e} pytest {{testExamples}}'",
                named,
            ),
            ("sh -c 'b=builtin; $b eval pytest {{testExamples}}'", named),
            ("sh -c 'alias e=eval; e pytest {{testExamples}}'", named),
            ("sh -c '${e:-eval} pytest {{testExamples}}'", named),
            (
                "sh -c 's=/bin/sh; $s -c \"pytest {{testExamples}}\"'",
                "in the `-c` script of a nested shell",
            ),
            (
                "sh -c 's=\"sh -c\"; $s {{testExamples}}'",
                "after a variable or alias that names a shell, `eval` or the like",
            ),
        ] {
            let err = CommandTemplate::parse(template).unwrap_err();
            assert!(
                matches!(err, TemplateError::ReparsedInScript { context: c, .. } if c == context),
                "{template}: {err}"
            );
        }
        // Ordinary variables, a command named by a variable with plain
        // arguments, and a name assigned something else again stay allowed.
        for template in [
            r#"sh -c '"$PYTHON" -m pytest {{testExamples}}'"#,
            "sh -c 'P=pytest; $P {{testExamples}} --json={{resultPath}}'",
            "sh -c 'e=eval; e=pytest; $e {{testExamples}}'",
            "sh -c 'e=eval; pytest e {{testExamples}}'",
            r#"bash -c 'echo "${HOME}" ${PYTEST:-pytest} {{testExamples}}'"#,
        ] {
            assert!(CommandTemplate::parse(template).is_ok(), "{template}");
        }
    }

    #[test]
    fn a_value_copied_into_a_variable_or_output_by_a_substitution_is_followed() {
        // The value reaches `eval` (or a `-c`, `PS4`) through a variable or
        // the output of `$(…)`: these ran `touch PWNED` from a file name.
        assert_reparsed(&[
            (
                r#"sh -c 'x={{testExamples}}; eval "$x"'"#,
                "$x",
                "in an argument of `eval`",
            ),
            (
                r#"sh -c 'x=$1; eval "pytest ${x}"' sh {{testExamples}}"#,
                "${x}",
                "in an argument of `eval`",
            ),
            (
                r#"sh -c 'for f in {{testExamples}}; do eval "$f"; done'"#,
                "$f",
                "in an argument of `eval`",
            ),
            (
                "bash -c 'printf -v v %s {{testExamples}}; PS4=$v; set -x'",
                "$v",
                "in an assignment to a variable a shell runs as code or expands as a prompt \
                 (`PS0` to `PS4`, `PROMPT_COMMAND`, `BASH_ENV`, `ENV`, `BASH_FUNC_*`, \
                 `*_COMMAND`, `*_CMD`)",
            ),
            (
                r#"sh -c 'eval "$(echo {{testExamples}})"'"#,
                "$(…)",
                "in an argument of `eval`",
            ),
            (
                r#"sh -c 'su root -c "$(echo a; echo {{testExamples}})"'"#,
                "$(…)",
                "in the code given to a `-c` or `-e` option",
            ),
            (
                r#"sh -c 'x="$(printf %s {{testExamples}})"; sh -c "$x"'"#,
                "$x",
                "in the `-c` script of a nested shell",
            ),
            (
                r#"bash -c 'x={{testExamples}}; : ${y:=$x}; eval "$y"'"#,
                "$y",
                "in an argument of `eval`",
            ),
            (
                r#"bash -c 'printf "%s\n" {{testExamples}} | while read -r f; do eval "$f"; done'"#,
                "$f",
                "in an argument of `eval`",
            ),
        ]);
        // Plain uses of such variables, and a variable set again, are fine.
        for template in [
            r#"bash -c 'export OUT={{resultPath}}; pytest --json="$OUT" {{testExamples}}'"#,
            r#"sh -c 'for f in {{testExamples}}; do pytest "$f"; done'"#,
            r#"sh -c 'x={{testExamples}}; x=true; eval "$x"'"#,
            r#"sh -c 'pytest $(printf "%s " {{testExamples}}) --json={{resultPath}}'"#,
            r#"sh -c 'x={{testExamples}}; eval "echo \$x"'"#,
        ] {
            assert!(CommandTemplate::parse(template).is_ok(), "{template}");
        }
    }

    #[test]
    fn arrays_namerefs_and_integer_variables_are_followed() {
        let code_variable = "in an assignment to a variable a shell runs as code or expands \
                             as a prompt (`PS0` to `PS4`, `PROMPT_COMMAND`, `BASH_ENV`, `ENV`, \
                             `BASH_FUNC_*`, `*_COMMAND`, `*_CMD`)";
        for (template, context) in [
            (
                "bash -c 'printf -v PS4 %s {{testExamples}}; set -x'",
                code_variable,
            ),
            (
                "bash -c 'declare -n r=PS4; r={{testExamples}}; set -x'",
                code_variable,
            ),
            (
                "bash -c 'declare -i n; n={{testExamples}}'",
                "in an assignment to a variable declared as an integer (`declare -i`)",
            ),
            (
                "bash -c 'local -ri n=1; n+={{testExamples}}'",
                "in an assignment to a variable declared as an integer (`declare -i`)",
            ),
        ] {
            let err = CommandTemplate::parse(template).unwrap_err();
            assert!(
                matches!(err, TemplateError::ReparsedInScript { context: c, .. } if c == context),
                "{template}: {err}"
            );
        }
        for (template, context) in [
            (
                r#"bash -c 'a=(x {{testExamples}}); eval "${a[@]}"'"#,
                "in an argument of `eval`",
            ),
            (
                r#"bash -c 'x=(eval {{testExamples}}); "${x[@]}"'"#,
                "after a variable or alias that names a shell, `eval` or the like",
            ),
        ] {
            let err = CommandTemplate::parse(template).unwrap_err();
            assert!(
                matches!(err, TemplateError::ReparsedParameter { context: c, .. } if c == context),
                "{template}: {err}"
            );
        }
        for template in [
            r#"bash -c 'a=(pytest -q {{testExamples}}); "${a[@]}" --json={{resultPath}}'"#,
            "bash -c 'declare -i n=0; pytest {{testExamples}}; n=$?'",
            "bash -c 'printf -v out %s {{resultPath}}; pytest {{testExamples}} --json=\"$out\"'",
        ] {
            assert!(CommandTemplate::parse(template).is_ok(), "{template}");
        }
    }

    #[test]
    fn placeholders_beside_the_contexts_the_shell_parses_again_stay_allowed() {
        // Plain words, the shell's own arguments and other commands' words
        // stay quoted and allowed.
        for template in [
            "sh -c 'pytest {{testExamples}}; eval true'",
            "sh -c 'eval \"$PRE\"; pytest \"{{testExamples}}\" --json={{resultPath}}'",
            r#"sh -c 'sh -c "pytest \"\$@\"" sh {{testExamples}}'"#,
            "bash -c 'echo $((1 + 2)) {{testExamples}}'",
            "bash -c '[[ -n x ]] && pytest {{testExamples}}'",
            "bash -c 'echo \"running {{testExamples}}\"; pytest {{testExamples}}'",
            r#"bash -c 'printf "<%s>\n" {{testExamples}}'"#,
            "bash -c 'read -r x < {{resultPath}}; pytest {{testExamples}}'",
            "bash -c 'export OUT={{resultPath}}; pytest --json=\"$OUT\"'",
            r#"bash -ec 'echo "$(printf "<%s>\n" {{testExamples}})"'"#,
            "sh -c 'a={{resultPath}} pytest {{testExamples}}'",
        ] {
            assert!(CommandTemplate::parse(template).is_ok(), "{template}");
        }
    }

    #[test]
    fn positional_parameters_that_reach_a_placeholder_are_refused_where_it_would_be() {
        // `sh -c 'eval pytest "$@"' sh {{testExamples}}`: the value reaches
        // the script as `$@` and `eval` parses it again.
        assert_reparsed(&[
            (
                r#"sh -c 'eval pytest "$@"' sh {{testExamples}}"#,
                "$@",
                "in an argument of `eval`",
            ),
            (
                "bash -c 'echo $(( $1 )); pytest \"$@\"' sh {{testExamples}}",
                "$1",
                "inside arithmetic `((…))`",
            ),
            (
                "sh -c 'sh -c \"pytest ${*}\"' sh {{testExamples}}",
                "${*}",
                "in the `-c` script of a nested shell",
            ),
            (
                "bash -c 'trap \"rm $0\" EXIT; pytest' {{resultPath}}",
                "$0",
                "in an argument of `trap`",
            ),
            (
                "sh -c 'echo `ls $@`' sh {{testExamples}}",
                "$@",
                "inside backquotes",
            ),
            // A function of the script reaches the script's own placeholders.
            (
                r#"sh -c 'f() { eval "$@"; }; f pytest {{testExamples}}'"#,
                "$@",
                "in an argument of `eval`",
            ),
        ]);
        let err =
            CommandTemplate::parse(r#"sh -c 'eval pytest "$@"' sh {{testExamples}}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`{{testExamples}}` reaches the shell script as `$@`, which is in an argument of \
             `eval` in the script, where the shell parses the value again as shell code, so \
             bktec cannot quote it safely; move it out of there (D25)"
        );
        // As plain words, in quotes as text, or without a placeholder after
        // the script, parameters are fine.
        for template in [
            r#"sh -c 'pytest "$@"' sh {{testExamples}}"#,
            r#"sh -c 'eval "$PRE"; pytest "$@" --json="$0"' {{resultPath}} {{testExamples}}"#,
            r#"sh -c 'echo '\''eval $@'\''; pytest "$@"' sh {{testExamples}}"#,
            r#"sh -c 'eval pytest "$@"' sh a.py"#,
            // `$0` is `sh`, and `$1` a plain word: neither reaches a placeholder.
            r#"sh -c 'eval "$0 $1"; pytest "$2"' sh -x {{testExamples}}"#,
            r#"bash -ec 'cd "$1" && pytest -e "$1" {{testExamples}} | tee log' sh dir"#,
            r#"sh -c 'pytest {{testExamples}} > >(tee log)'"#,
            r#"sh -c 'python3 -c "$0" {{testExamples}}' 'import sys; print(sys.argv)'"#,
            "sh -c 'python3 -m pytest -c pytest.ini {{testExamples}}'",
            "bash -ec 'source .venv/bin/activate && pytest {{testExamples}} --json={{resultPath}}'",
            "bash -c 'set -o pipefail; pytest {{testExamples}} --json={{resultPath}} | tee log.txt'",
            r#"bash -c 'if [[ -n "$CI" && -z "$X" ]]; then pytest {{testExamples}}; fi'"#,
            r#"bash -c 'for f in {{testExamples}}; do pytest "$f"; done'"#,
            "bash -c 'time pytest {{testExamples}} || [[ $? -eq 5 ]]'",
            r#"bash -c 'exec "$@"' sh pytest {{testExamples}}"#,
            r#"bash -c 'test -n "$1" && pytest "${@}"' sh {{testExamples}}"#,
            "bash -c 'pytest -p no:cacheprovider -c pytest.ini {{testExamples}} 2>&1 | cat'",
        ] {
            assert!(CommandTemplate::parse(template).is_ok(), "{template}");
        }
    }

    #[test]
    #[expect(
        clippy::too_many_lines,
        reason = "a table of templates, each with its reason"
    )]
    fn a_word_that_may_be_a_script_for_another_program_is_refused() {
        // D12 fails closed: bktec passes these words as they are, and the
        // program may run them as code with the value inside.
        for (template, word, holds) in [
            (
                "ssh ci-box \"pytest {{testExamples}}\"",
                "pytest {{testExamples}}",
                "whitespace",
            ),
            (
                "python3 -c \"import sys; run('{{testExamples}}')\"",
                "import sys; run('{{testExamples}}')",
                "whitespace",
            ),
            (
                "docker exec box fish -c 'pytest {{testExamples}}'",
                "pytest {{testExamples}}",
                "whitespace",
            ),
            (
                "env -S 'sh -c \"pytest {{testExamples}}\"'",
                "sh -c \"pytest {{testExamples}}\"",
                "whitespace",
            ),
            (
                "su -c pytest\\;{{testExamples}}",
                "pytest;{{testExamples}}",
                "`;`",
            ),
            ("run '$({{testExamples}})'", "$({{testExamples}})", "`$`"),
            (
                "pytest '`{{testExamples}}`'",
                "`{{testExamples}}`",
                "a backquote",
            ),
            (
                "pytest '--x=\"{{resultPath}}\"'",
                "--x=\"{{resultPath}}\"",
                "`\"`",
            ),
            (
                "pytest 'a\n{{resultPath}}'",
                "a\n{{resultPath}}",
                "a newline",
            ),
            ("pytest '{{resultPath}}*'", "{{resultPath}}*", "`*`"),
            // After the script, the shell's own arguments are plain words.
            (
                "sh -c 'pytest \"$@\"' sh 'a {{testExamples}}'",
                "a {{testExamples}}",
                "whitespace",
            ),
        ] {
            let err = CommandTemplate::parse(template).unwrap_err();
            let TemplateError::UnprovableWord {
                word: w, holds: h, ..
            } = &err
            else {
                panic!("{template}: {err}");
            };
            assert_eq!((w.as_str(), h.as_str()), (word, holds), "{template}");
        }
        for (template, program) in [
            ("ssh ci-box pytest {{testExamples}}", "ssh"),
            (
                "/usr/bin/ssh -t ci-box sh -c 'pytest {{testExamples}}'",
                "/usr/bin/ssh",
            ),
            ("sh -c 'ssh ci-box pytest {{testExamples}}'", "ssh"),
            ("watch -n 1 pytest --json={{resultPath}}", "watch"),
            ("parallel pytest ::: {{testExamples}}", "parallel"),
        ] {
            let err = CommandTemplate::parse(template).unwrap_err();
            assert!(
                matches!(&err, TemplateError::JoinedByProgram { program: p, .. } if p == program),
                "{template}: {err}"
            );
        }
        // The script's arguments may reach the program through `"$@"`.
        assert!(
            CommandTemplate::parse("sh -c 'pytest \"$@\"; ssh box true' sh {{testExamples}}")
                .is_err()
        );
        // Before the program, or without one, a placeholder is harmless.
        assert!(CommandTemplate::parse("pytest {{testExamples}} --x=1 ssh").is_ok());
        assert!(CommandTemplate::parse("ssh-agent pytest {{testExamples}}").is_ok());
        let err = CommandTemplate::parse("ssh box 'pytest {{testExamples}}'").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`{{testExamples}}` is in the word `pytest {{testExamples}}`, which holds whitespace: \
             a program may run that word as a script, where bktec cannot quote the value (D12); \
             run it through `sh -c '...'`, where bktec quotes each value (D25)"
        );
        // Plain words, and words without a placeholder, are fine.
        for template in [
            "pytest {{testExamples}} --json={{resultPath}}",
            "run --tests={{testExamples}}, --out=/tmp/x:{{resultPath}}",
            "pytest -k 'a and not b' {{testExamples}} --junit-xml=out/{{resultPath}}",
            "python3 -c 'import sys; print(sys.argv)' {{testExamples}}",
            "timeout 600 sh -c 'pytest {{testExamples}} --json={{resultPath}}'",
            "uv run bash -ec 'cd x && pytest {{testExamples}}' sh {{resultPath}}",
            "pytest {{testExamples}}{{resultPath}} --x=~/{{resultPath}}#1",
        ] {
            assert!(CommandTemplate::parse(template).is_ok(), "{template}");
        }
    }

    #[test]
    fn scripts_behind_a_wrapper_are_quoted_for_the_real_sh() {
        // D25 wherever the shell stands: `timeout` runs the real sh here.
        let dir = tempfile::tempdir().unwrap();
        let tests = ["test_$(touch PWNED).py".to_string(), "a b.py".to_string()];
        let shown = run_sh(
            r#"timeout 60 sh -c 'printf "<%s>\n" {{testExamples}}'"#,
            &tests,
            dir.path(),
        );
        assert_eq!(shown, "<test_$(touch PWNED).py>\n<a b.py>\n");
        assert!(!dir.path().join("PWNED").exists());
    }

    #[test]
    fn the_reproduction_loses_bktec_s_own_result_option() {
        let argv = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        let tmp = "/tmp/bktec-pytest-x/pytest-results.json";
        assert_eq!(
            without_result_option(
                &argv(&["pytest", "t.py", &format!("--json={tmp}"), "-q"]),
                tmp
            ),
            Some(argv(&["pytest", "t.py", "-q"]))
        );
        assert_eq!(
            without_result_option(&argv(&["pytest", "--junit-xml", tmp, "t.py"]), tmp),
            Some(argv(&["pytest", "t.py"]))
        );
        assert_eq!(
            without_result_option(&argv(&["sh", "-c", &format!("pytest --json={tmp}")]), tmp),
            None
        );
    }

    #[test]
    fn the_option_holding_the_result_path_names_the_format() {
        use ResultFormat::{CollectorJson, JUnitXml};
        // D30: the user's own extra outputs change nothing, in either order.
        for (template, format) in [
            (
                "pytest {{testExamples}} --json={{resultPath}} --junit-xml=junit.xml",
                Some(CollectorJson),
            ),
            (
                "pytest --junit-xml=junit.xml {{testExamples}} --json={{resultPath}}",
                Some(CollectorJson),
            ),
            (
                "pytest {{testExamples}} --json {{resultPath}} --junit-xml junit.xml",
                Some(CollectorJson),
            ),
            (
                "pytest --json=out.json --junit-xml={{resultPath}}",
                Some(JUnitXml),
            ),
            (
                "pytest --junit-xml {{resultPath}} --json=x.json",
                Some(JUnitXml),
            ),
            ("pytest --junitxml={{resultPath}}", Some(JUnitXml)),
            ("pytest --json=out/{{resultPath}}", Some(CollectorJson)),
            (
                "sh -c 'pytest {{testExamples}} --json={{resultPath}} --junit-xml=j.xml'",
                Some(CollectorJson),
            ),
            (
                "bash -ec \"pytest --junit-xml='{{resultPath}}' --json=x.json\"",
                Some(JUnitXml),
            ),
            (
                "sh -c 'pytest --json x.json --junit-xml \"{{resultPath}}\" && true'",
                Some(JUnitXml),
            ),
            // No option holds it: the caller keeps the older rule (D14).
            ("pytest {{testExamples}} --junit-xml=j.xml", None),
            ("pytest --result-log={{resultPath}} --json=x.json", None),
            ("pytest {{resultPath}}", None),
            ("sh -c 'pytest --json=x.json' sh {{resultPath}}", None),
        ] {
            let t = CommandTemplate::parse(template).unwrap();
            assert_eq!(t.result_format(), format, "{template}");
        }
    }
}

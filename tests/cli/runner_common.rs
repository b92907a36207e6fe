//! What every runner of issue 14 shares: `bktec config` shows its defaults,
//! `bktec list` finds its demo's files, and result uploads name its format
//! (behaviour document 5.2, 13.1).

use crate::support::TestDir;
use crate::support::runners::{bktec, example};
use crate::support::stand_in::{Reply, StandIn};

/// (runner, default test command, default pattern or "-").
const DEFAULTS: [(&str, &str, &str); 7] = [
    (
        "rspec",
        "bundle exec rspec --format progress --format json --out {{resultPath}} {{testExamples}}",
        "spec/**/*_spec.rb",
    ),
    (
        "jest",
        "npx jest --runTestsByPath {{testExamples}} --json --testLocationInResults --outputFile {{resultPath}}",
        "**/{__tests__/**/*,*.spec,*.test}.{ts,js,tsx,jsx}",
    ),
    (
        "vitest",
        "npx vitest run {{testExamples}} --reporter=default --reporter=json --outputFile {{resultPath}}",
        "**/{__tests__/**/*,*.spec,*.test}.{ts,js,tsx,jsx}",
    ),
    (
        "playwright",
        "npx playwright test",
        "**/{*.spec,*.test}.{ts,js}",
    ),
    (
        "cypress",
        "npx cypress run --spec {{testExamples}}",
        "**/*.cy.{js,jsx,ts,tsx}",
    ),
    (
        "gotest",
        "gotestsum --jsonfile={{resultPath}} {{packages}}",
        "-",
    ),
    (
        "cucumber",
        "cucumber --format pretty --format json --out {{resultPath}} {{testExamples}}",
        "features/**/*.feature",
    ),
];

#[test]
fn config_shows_each_runners_defaults_and_where_they_came_from() {
    let dir = TestDir::new();
    for (runner, command, pattern) in DEFAULTS {
        let out = dir
            .bktec()
            .args(["config", "--test-runner", runner, "--result-path", "r.json"])
            .output();
        out.assert_success();
        let stdout = out.stdout();
        let row = |key: &str| {
            stdout
                .lines()
                .find(|l| l.starts_with(&format!("{key} ")))
                .unwrap_or_else(|| panic!("no {key} row for {runner}:\n{stdout}"))
                .to_string()
        };
        let test_command = row("runner.test-command");
        assert!(
            test_command.contains(&format!("\"{command}\""))
                && test_command.ends_with(&format!("default for runner `{runner}`")),
            "{test_command}"
        );
        if pattern != "-" {
            let files = row("files.pattern");
            assert!(files.contains(&format!("\"{pattern}\"")), "{files}");
        }
    }
}

#[test]
fn list_finds_each_demos_files_with_the_default_pattern() {
    let cases: [(&str, &str, &[&str]); 7] = [
        (
            "rspec",
            "rspec",
            &[
                "spec/shop/cart_spec.rb",
                "spec/shop/checkout_spec.rb",
                "spec/stock_spec.rb",
            ],
        ),
        (
            "jest",
            "jest",
            &[
                "__tests__/stock.js",
                "src/cart.test.js",
                "src/checkout.test.js",
            ],
        ),
        (
            "vitest",
            "vitest",
            &[
                "__tests__/stock.test.js",
                "src/cart.test.js",
                "src/checkout.test.js",
            ],
        ),
        (
            "playwright",
            "playwright",
            &[
                "stock.test.js",
                "tests/cart.spec.js",
                "tests/checkout.spec.js",
            ],
        ),
        (
            "cypress",
            "node",
            &[
                "cypress/e2e/cart.cy.js",
                "cypress/e2e/checkout.cy.js",
                "cypress/e2e/stock.cy.js",
            ],
        ),
        (
            "gotest",
            "go",
            &[
                "example.com/shop/cart",
                "example.com/shop/checkout",
                "example.com/shop/stock",
            ],
        ),
        (
            "cucumber",
            "cucumber",
            &[
                "features/shop/cart.feature",
                "features/shop/checkout.feature",
                "features/stock.feature",
            ],
        ),
    ];
    for (runner, tool, files) in cases {
        let dir = example(runner, tool);
        let out = bktec(&dir).arg("list").output();
        out.assert_success();
        let mut listed: Vec<String> = out.stdout().lines().map(String::from).collect();
        listed.sort();
        assert_eq!(listed, files, "{runner}");
    }
}

#[test]
fn uploads_name_each_runners_result_format() {
    // 13.1: the format part of every upload; the file is the result file.
    for (runner, tool, format) in [
        ("rspec", "rspec", "rspec-json"),
        ("jest", "jest", "jest-json"),
        ("gotest", "gotestsum", "go-jsonl"),
        ("cucumber", "cucumber", "cucumber-json"),
    ] {
        let dir = example(runner, tool);
        let stand_in = StandIn::start(|_| Reply::json(202, serde_json::json!({"id": "x"})));
        bktec(&dir)
            .env("BUILDKITE_TEST_ENGINE_UPLOAD_RESULTS", "true")
            .env(
                "BUILDKITE_TEST_ENGINE_UPLOAD_BASE_URL",
                stand_in.url.clone(),
            )
            .env("BUILDKITE_ANALYTICS_TOKEN", "upload-token")
            .args(["run", "--result-path", "out/results.json"])
            .output()
            .assert_success();
        let uploads = stand_in.requests_to("/v1/uploads");
        assert_eq!(uploads.len(), 1, "{runner}");
        let body = &uploads[0].body;
        assert!(
            body.contains(&format!("name=\"format\"\r\n\r\n{format}\r\n")),
            "{runner}: {body}"
        );
        assert!(
            body.contains(&format!(
                "name=\"run_env[test_runner]\"\r\n\r\n{runner}\r\n"
            )),
            "{runner}: {body}"
        );
        assert!(body.contains("filename=\"results.json\""), "{runner}");
    }
}

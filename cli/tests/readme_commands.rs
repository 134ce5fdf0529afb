//! Runs every `$ qubit-experiences ...` line of the README, in order, and
//! checks what each prints, so the README cannot drift from the CLI.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A README command, with the exit code and error code its comment line
/// promises (`# exits 1 with [NOT_FOUND]: ...`).
struct Documented {
    args: Vec<String>,
    failure: Option<String>,
}

fn documented_commands() -> Vec<Documented> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let lines: Vec<&str> = readme.lines().collect();
    let mut commands = Vec::new();

    for (index, line) in lines.iter().enumerate() {
        let Some(command) = line.strip_prefix("$ qubit-experiences ") else {
            continue;
        };
        let failure = lines
            .get(index + 1)
            .and_then(|next| next.strip_prefix("# exits 1 with ["))
            .and_then(|rest| rest.split(']').next())
            .map(str::to_owned);
        commands.push(Documented {
            args: shlex::split(command).expect("README command parses"),
            failure,
        });
    }
    commands
}

fn cli() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qubit-experiences"));
    command.current_dir(repo_root());
    command
}

/// Starts the README's `emulator` command and waits for its URL line.
fn start_emulator(args: &[String]) -> (Child, String) {
    let mut child = cli()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    (child, first_line.trim().to_owned())
}

#[test]
fn every_readme_command_runs_as_documented() {
    let commands = documented_commands();
    assert!(commands.len() >= 8, "found {} commands", commands.len());
    let mut emulator: Option<(Child, String)> = None;

    for command in &commands {
        if command.args[0] == "emulator" {
            let (child, url) = start_emulator(&command.args);
            assert_eq!(url, "http://127.0.0.1:8765");
            emulator = Some((child, url));
            continue;
        }

        let output = cli().args(&command.args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        match &command.failure {
            Some(code) => {
                assert_eq!(output.status.code(), Some(1), "{:?}", command.args);
                assert!(stderr.starts_with("error: "), "{stderr}");
                assert!(
                    stderr.trim_end().ends_with(&format!("[{code}]")),
                    "{stderr}"
                );
            }
            None => assert!(output.status.success(), "{:?}: {stderr}", command.args),
        }
        check_output(
            &command.args,
            &output,
            emulator.as_ref().map(|(_, url)| url.as_str()),
        );
    }

    let (mut child, _) = emulator.expect("the README starts an emulator");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// What each documented command must print.
fn check_output(args: &[String], output: &Output, emulator_url: Option<&str>) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let has = |flag: &str| args.iter().any(|arg| arg == flag);

    match args[0].as_str() {
        "demo" => {
            assert!(
                stdout.contains("Callbacks: all 18 exposures were recorded"),
                "{stdout}"
            );
            assert!(stdout.contains("Set-Cookie: _qubitTracker="), "{stdout}");
        }
        "fetch" if has("--json") => {
            let answer: Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(answer["contextId"], "vip-1");
            assert_eq!(answer["experiencePayloads"].as_array().unwrap().len(), 7);
        }
        "fetch" if has("--strict") => assert!(stdout.is_empty()),
        "fetch" if has("--experience-ids") => {
            assert!(stdout.contains("not served: 139731"), "{stdout}");
            assert!(stdout.contains("  144119      826987     no "), "{stdout}");
        }
        "fetch" => assert!(stdout.contains("  160045      840511     yes"), "{stdout}"),
        "shown" => {
            assert_eq!(stdout, "callback sent for vip-1\n");
            let url = format!("{}/_emulator/callbacks", emulator_url.unwrap());
            let body = ureq::get(&url)
                .call()
                .unwrap()
                .body_mut()
                .read_to_string()
                .unwrap();
            let recorded: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(recorded[0]["body"], r#"{"id":"vip-1"}"#);
            assert_eq!(recorded[0]["decision"]["ExperienceId"], 144119);
        }
        "decode-callback" => {
            let decoded: Value = serde_json::from_str(&stdout).unwrap();
            let expected: Value = serde_json::from_slice(
                &std::fs::read(
                    repo_root()
                        .join("tests/data/real/answer-ios-sdk-fixture.callback-decoded.json"),
                )
                .unwrap(),
            )
            .unwrap();
            assert_eq!(decoded, expected);
        }
        other => panic!("the README shows `{other}`, which this test does not check"),
    }
}

#[test]
fn errors_go_to_stderr_without_a_backtrace() {
    let output = cli()
        .args([
            "fetch",
            "--tracking-id",
            "a/b",
            "--base-url",
            "http://127.0.0.1:9",
        ])
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: invalid argument: tracking id \"a/b\" may only hold letters, digits, `-`, `.`, \
         `_` and `~` [INVALID_ARGUMENT]\n"
    );
}

#[test]
fn a_bad_fixture_is_reported_with_its_path() {
    let dir = std::env::temp_dir().join(format!("qx-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = dir.join("bad.json");
    std::fs::write(&fixture, r#"{"trackingId": "", "experiences": []}"#).unwrap();

    let output = cli()
        .args(["fetch", "--fixture"])
        .arg(&fixture)
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: ") && stderr.contains("bad.json"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

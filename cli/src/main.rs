//! `qubit-experiences`: the SDK's command line. A demo of the main job, a
//! fetch and a callback for trying the service, a decoder for callback URLs,
//! and the local emulator that every test suite starts.

mod demo;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use qubit_experiences::{Client, Error, ExperienceFilter, Query, callback_data};
use qubit_experiences_emulator::{Emulator, Fixture};

#[derive(Parser)]
#[command(
    name = "qubit-experiences",
    version,
    about = "Qubit Server Experiences: demo, fetch, callbacks and a local emulator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole job against a local emulator: fetch for several
    /// visitors, send the callbacks, check they arrived, set a cookie.
    Demo,
    /// Fetch one visitor's experiences.
    Fetch(FetchArgs),
    /// Send the exposure callback of a callback URL.
    Shown {
        /// The callback URL, as an answer gave it.
        callback_url: String,
        /// The visitor's context id.
        #[arg(long)]
        context_id: String,
    },
    /// Serve the API locally from a fixture until stopped; prints its URL
    /// as the first line.
    Emulator {
        /// The fixture file (default: the shipped retail sample).
        #[arg(long)]
        fixture: Option<PathBuf>,
        /// The port on 127.0.0.1; 0 picks a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
    /// Print the bucketing decision inside a callback URL.
    DecodeCallback {
        /// The callback URL.
        url: String,
    },
}

#[derive(Args)]
struct FetchArgs {
    /// The property's tracking id (default: the fixture's).
    #[arg(long)]
    tracking_id: Option<String>,
    /// The service's base URL.
    #[arg(long, conflicts_with = "fixture")]
    base_url: Option<String>,
    /// Start an emulator from this fixture and fetch from it.
    #[arg(long)]
    fixture: Option<PathBuf>,
    /// The visitor's context id; without it the service generates one.
    #[arg(long)]
    context_id: Option<String>,
    /// Only these experiences, comma-separated.
    #[arg(long, value_delimiter = ',')]
    experience_ids: Vec<u64>,
    /// Send the experience ids to the service (an unknown or archived one
    /// fails the call) instead of filtering locally.
    #[arg(long)]
    strict: bool,
    /// Serve the latest unpublished iterations.
    #[arg(long)]
    preview: bool,
    /// Force the variation with this master id.
    #[arg(long)]
    variation: Option<u64>,
    /// Ignore segment targeting.
    #[arg(long)]
    ignore_segments: bool,
    /// The call's deadline in milliseconds.
    #[arg(long, default_value_t = 1000)]
    timeout_ms: u64,
    /// Print the answer as JSON.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();

    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Demo => demo::run(),
        Command::Fetch(args) => fetch(args),
        Command::Shown {
            callback_url,
            context_id,
        } => shown(&callback_url, &context_id),
        Command::Emulator { fixture, port } => serve(fixture, port),
        Command::DecodeCallback { url } => decode_callback(&url),
    }
}

fn fetch(args: FetchArgs) -> Result<(), String> {
    // The emulator, when asked for, lives until the fetch is done.
    let emulator = match &args.fixture {
        Some(path) => Some(start_emulator(load_fixture(path)?, 0)?),
        None => None,
    };
    let tracking_id = match (&args.tracking_id, &emulator) {
        (Some(id), _) => id.clone(),
        (None, Some(emulator)) => emulator.fixture().tracking_id().to_owned(),
        (None, None) => return Err("--tracking-id is needed without --fixture".into()),
    };

    let mut builder = Client::builder(tracking_id).timeout(Duration::from_millis(args.timeout_ms));
    if let Some(url) = emulator
        .as_ref()
        .map(Emulator::url)
        .or(args.base_url.clone())
    {
        builder = builder.base_url(url);
    }
    let client = builder.build().map_err(describe)?;

    let answer = client.get_experiences(&query_of(&args)).map_err(describe)?;
    match args.json {
        true => println!("{}", answer.to_json()),
        false => print!("{}", table::answer(&answer)),
    }
    Ok(())
}

fn query_of(args: &FetchArgs) -> Query {
    Query {
        context_id: args.context_id.clone(),
        experience_ids: args.experience_ids.clone(),
        filter: match args.strict {
            true => ExperienceFilter::Strict,
            false => ExperienceFilter::Tolerant,
        },
        preview: args.preview,
        variation: args.variation,
        ignore_segments: args.ignore_segments,
        timeout: None,
    }
}

fn shown(callback_url: &str, context_id: &str) -> Result<(), String> {
    // The callback host policy allows the base URL's own host, so the
    // client is pointed at the callback's origin.
    let origin = origin_of(callback_url)
        .ok_or_else(|| format!("{callback_url} is not an absolute http(s) URL"))?;
    let client = Client::builder("cli")
        .base_url(origin)
        .build()
        .map_err(describe)?;

    client
        .send_callback(callback_url, context_id)
        .map_err(describe)?;
    println!("callback sent for {context_id}");
    Ok(())
}

/// `scheme://authority` of an absolute URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty() && matches!(scheme, "http" | "https"))
        .then(|| format!("{scheme}://{authority}"))
}

fn serve(fixture: Option<PathBuf>, port: u16) -> Result<(), String> {
    let fixture = match fixture {
        Some(path) => load_fixture(&path)?,
        None => Fixture::sample(),
    };
    let emulator = start_emulator(fixture, port)?;

    // The first line is the contract with test harnesses: the URL alone.
    println!("{}", emulator.url());
    eprintln!(
        "serving {} until stopped (Ctrl-C, or POST {}/_emulator/shutdown)",
        emulator.fixture().tracking_id(),
        emulator.url()
    );
    emulator.wait();
    Ok(())
}

fn decode_callback(url: &str) -> Result<(), String> {
    let record = callback_data::decode_url(url).map_err(describe)?;
    let pretty = serde_json::to_string_pretty(&record).map_err(|err| err.to_string())?;
    println!("{pretty}");
    Ok(())
}

fn load_fixture(path: &std::path::Path) -> Result<Fixture, String> {
    Fixture::load(path).map_err(|err| err.to_string())
}

fn start_emulator(fixture: Fixture, port: u16) -> Result<Emulator, String> {
    Emulator::start_on(fixture, port)
        .map_err(|err| format!("could not start the emulator on port {port}: {err}"))
}

/// An SDK error with its stable code, for stderr.
fn describe(err: Error) -> String {
    format!("{err} [{}]", err.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_keeps_scheme_host_and_port() {
        assert_eq!(
            origin_of("http://127.0.0.1:8080/v1/callback?data=x").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin_of("https://sse.qubit.com?x").as_deref(),
            Some("https://sse.qubit.com")
        );
        assert_eq!(origin_of("ftp://x/y"), None);
        assert_eq!(origin_of("/v1/callback"), None);
    }
}

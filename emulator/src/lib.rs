//! A local server of Qubit's Server Experiences API, for tests.
//!
//! An [`Emulator`] serves one property, described by a [`Fixture`], on
//! `127.0.0.1` from a background thread. It answers
//! `GET /v1/{trackingId}/experiences` with deterministic bucketing (see
//! [`bucket`]), hands out callback URLs that point back at itself, records
//! every callback and API request, and can be told to misbehave with
//! [`Fault`]s. The same controls are reachable over HTTP under
//! `/_emulator/`, for tests written in other languages.
//!
//! The serving model, the fixture format and the control endpoints are
//! documented in `docs/emulator.md`.
//!
//! ```no_run
//! use qubit_experiences_emulator::{Emulator, Fixture};
//!
//! let emulator = Emulator::start(Fixture::sample())?;
//! let url = format!("{}/v1/retail_shop/experiences?contextId=visitor-1", emulator.url());
//! // ... point the client under test at `emulator.url()` ...
//! assert!(emulator.callbacks().is_empty());
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The library prints nothing; it logs through the `log` facade.

mod body;
mod bucket;
mod faults;
mod fixture;
mod query;
mod records;
mod server;
mod serving;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub use bucket::bucket;
pub use faults::{Fault, FaultKind, FaultTarget};
pub use fixture::{Fixture, FixtureError};
pub use records::{RecordedCallback, RecordedRequest};

use server::{Log, Shared};

/// A running emulator: one property served on `127.0.0.1` by a background
/// thread, with HTTP/1.1 keep-alive and concurrent connections.
///
/// Dropping it (or [`Emulator::shutdown`]) stops the server, closes every
/// connection and joins the thread. All methods are thread-safe.
pub struct Emulator {
    shared: Arc<Shared>,
    address: SocketAddr,
    thread: Option<JoinHandle<()>>,
    stopped: Arc<(Mutex<bool>, Condvar)>,
}

impl Emulator {
    /// Starts serving `fixture` on a free port of `127.0.0.1`.
    ///
    /// Returns once the port is listening. Fails when no socket or thread
    /// can be had.
    pub fn start(fixture: Fixture) -> std::io::Result<Emulator> {
        Emulator::start_on(fixture, 0)
    }

    /// Starts serving `fixture` on `127.0.0.1:port`; port 0 picks a free one.
    ///
    /// Returns once the port is listening. Fails when the port is taken, or
    /// no socket or thread can be had.
    pub fn start_on(fixture: Fixture, port: u16) -> std::io::Result<Emulator> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        let listener = {
            let _context = runtime.enter();
            TcpListener::from_std(listener)?
        };

        let (stop, mut stop_requested) = watch::channel(false);
        let shared = Arc::new(Shared {
            fixture,
            url: format!("http://{address}"),
            log: Mutex::new(Log::default()),
            stop,
        });
        let stopped = Arc::new((Mutex::new(false), Condvar::new()));

        let thread = {
            let shared = Arc::clone(&shared);
            let stopped = Arc::clone(&stopped);
            std::thread::Builder::new()
                .name(format!("qubit-emulator-{}", address.port()))
                .spawn(move || {
                    runtime.block_on(async move {
                        tokio::spawn(accept_connections(listener, shared));
                        // An error means every sender is gone: stop too.
                        let _ = stop_requested.wait_for(|stop| *stop).await;
                    });
                    // Dropping the runtime cancels every connection task.
                    drop(runtime);
                    log::info!("emulator on {address} stopped");

                    let (flag, changed) = &*stopped;
                    *flag.lock().unwrap_or_else(|p| p.into_inner()) = true;
                    changed.notify_all();
                })?
        };

        log::info!(
            "emulator for {} listening on {address}",
            shared.fixture.tracking_id()
        );
        Ok(Emulator {
            shared,
            address,
            thread: Some(thread),
            stopped,
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`, with no trailing slash.
    pub fn url(&self) -> String {
        self.shared.url.clone()
    }

    /// The port the emulator listens on.
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The fixture being served.
    pub fn fixture(&self) -> &Fixture {
        &self.shared.fixture
    }

    /// The callbacks received so far, in arrival order (as
    /// `GET /_emulator/callbacks`).
    pub fn callbacks(&self) -> Vec<RecordedCallback> {
        self.shared.log().callbacks.clone()
    }

    /// Forgets the callbacks received so far.
    pub fn clear_callbacks(&self) {
        self.shared.log().callbacks.clear();
    }

    /// The API requests received so far, in arrival order (as
    /// `GET /_emulator/requests`).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.log().requests.clone()
    }

    /// Forgets the API requests received so far.
    pub fn clear_requests(&self) {
        self.shared.log().requests.clear();
    }

    /// Replaces the fault list; an empty list switches faults off.
    pub fn set_faults(&self, faults: Vec<Fault>) {
        self.shared.log().faults = faults;
    }

    /// The faults not yet used up, with the `times` they have left.
    pub fn faults(&self) -> Vec<Fault> {
        self.shared.log().faults.clone()
    }

    /// Clears callbacks, requests and faults (as `POST /_emulator/reset`).
    pub fn reset(&self) {
        *self.shared.log() = Log::default();
    }

    /// Blocks until the server stops, which happens when a client sends
    /// `POST /_emulator/shutdown` (the owner stops it by dropping it). For
    /// the CLI's `emulator` command, which serves until told to stop.
    pub fn wait(&self) {
        let (flag, changed) = &*self.stopped;
        let mut stopped = flag.lock().unwrap_or_else(|p| p.into_inner());
        while !*stopped {
            stopped = changed.wait(stopped).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Stops the server, closes its connections and joins its thread.
    /// Same as dropping it; blocks for at most a moment.
    pub fn shutdown(self) {}
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shared.stop.send_replace(true);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            log::error!("the emulator thread panicked");
        }
    }
}

/// Accepts connections until the runtime is dropped.
async fn accept_connections(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(serve_connection(stream, Arc::clone(&shared)));
            }
            Err(err) => {
                // Out of file descriptors and the like: wait, don't spin.
                log::warn!("emulator accept failed: {err}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| server::handle(Arc::clone(&shared), request));

    let served = http1::Builder::new()
        .timer(TokioTimer::new())
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(err) = served {
        log::debug!("emulator connection ended: {err}");
    }
}

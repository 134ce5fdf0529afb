//! Blocking work on pool threads, settled as promises on the JavaScript
//! thread.
//!
//! Each call creates a promise on the JavaScript thread and hands its work
//! to the Tokio blocking pool (`spawn_blocking`), through a dispatcher
//! thread that spares the JavaScript thread the system calls of waking
//! pool threads; no async task is involved. Finished calls are queued here and the
//! JavaScript thread is woken through one thread-safe function per Node
//! environment, only when no wake-up is already on its way, so a burst of
//! answers is settled in one go.
//!
//! The wake-up does not settle anything itself: it schedules a
//! `setImmediate` that does. Node runs a thread-safe function's calls in a
//! loop (up to 1,000 in one go) as long as new ones arrive, and settled
//! promises start new calls whose answers arrive within that loop, so
//! settling inside it would starve timers under load. Through
//! `setImmediate`, each batch takes one turn of the event loop and timers
//! run between batches.
//!
//! The thread-safe function is referenced (keeps the event loop alive)
//! exactly while calls are pending, and unreferenced otherwise, so an idle
//! client never holds a process open.

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

use napi::bindgen_prelude::{Env, Result, ToNapiValue, spawn_blocking};
use napi::{check_status, sys};

use crate::client::RawJs;
use crate::errors;
use crate::json::raw::{self, make};

/// How a finished call settles its promise.
pub(crate) enum Settlement {
    /// Resolves with this value.
    Resolve(sys::napi_value),
    /// Rejects with this value.
    Reject(sys::napi_value),
}

/// Settles one promise; runs on the JavaScript thread.
type Settle = Box<dyn FnOnce(sys::napi_env) + Send>;

/// The queue of finished calls of one Node environment.
pub(crate) struct Completions {
    tsfn: AtomicPtr<sys::napi_threadsafe_function__>,
    /// `setImmediate` and the function that settles the queue, held by
    /// references; used on the JavaScript thread only.
    set_immediate: sys::napi_ref,
    settle_queue: sys::napi_ref,
    queue: Mutex<Queue>,
    /// Calls started and not yet settled. Changed on the JavaScript thread
    /// only; atomic so the struct can be shared.
    pending: AtomicUsize,
}

#[derive(Default)]
struct Queue {
    finished: Vec<Settle>,
    /// A wake-up (thread-safe function call, then immediate) is on its
    /// way and will settle everything queued.
    wake_pending: bool,
    /// The environment is gone: nothing can be settled any more.
    closed: bool,
}

/// A promise's deferred handle, used on the JavaScript thread only but
/// carried through the pool thread that does the work.
struct Deferred(sys::napi_deferred);

// SAFETY: the handle is only dereferenced by Node-API calls made on the
// JavaScript thread (in `Completions::settle_finished`); other threads just
// move the pointer.
unsafe impl Send for Deferred {}

// SAFETY: the thread-safe function is made to be called from any thread;
// the two references are only used on the JavaScript thread (`call_js`).
unsafe impl Send for Completions {}
unsafe impl Sync for Completions {}

impl Completions {
    /// The queue of this environment, with its (unreferenced) thread-safe
    /// function.
    pub(crate) fn new(env: &Env) -> Result<Arc<Completions>> {
        let raw_env = env.raw();
        let global = make(|out| unsafe { sys::napi_get_global(raw_env, out) })?;
        let set_immediate = make(|out| unsafe {
            sys::napi_get_named_property(raw_env, global, c"setImmediate".as_ptr(), out)
        })?;

        let completions = Arc::new_cyclic(|weak: &std::sync::Weak<Completions>| {
            let data = weak.as_ptr() as *mut c_void;
            let settle_queue = make(|out| unsafe {
                sys::napi_create_function(
                    raw_env,
                    c"settleQubitExperiences".as_ptr(),
                    -1,
                    Some(Completions::settle_queue),
                    data,
                    out,
                )
            });
            Completions {
                tsfn: AtomicPtr::new(ptr::null_mut()),
                set_immediate: raw::reference(raw_env, set_immediate).unwrap_or(ptr::null_mut()),
                settle_queue: settle_queue
                    .and_then(|value| raw::reference(raw_env, value))
                    .unwrap_or(ptr::null_mut()),
                queue: Mutex::new(Queue::default()),
                pending: AtomicUsize::new(0),
            }
        });
        if completions.set_immediate.is_null() || completions.settle_queue.is_null() {
            return Err(napi::Error::from_reason("setImmediate is not available"));
        }
        let context = Arc::into_raw(Arc::clone(&completions)) as *mut c_void;

        let name = raw::string(env.raw(), "qubit-experiences")?;
        let mut tsfn = ptr::null_mut();
        let created = check_status!(unsafe {
            sys::napi_create_threadsafe_function(
                env.raw(),
                ptr::null_mut(),
                ptr::null_mut(),
                name,
                0,
                1,
                context,
                Some(Completions::finalize),
                context,
                Some(Completions::call_js),
                &mut tsfn,
            )
        });
        if let Err(err) = created {
            drop(unsafe { Arc::from_raw(context as *const Completions) });
            return Err(err);
        }
        completions.tsfn.store(tsfn, Ordering::Release);
        check_status!(unsafe { sys::napi_unref_threadsafe_function(env.raw(), tsfn) })?;
        Ok(completions)
    }

    /// Runs `work` on a pool thread and returns a promise that `settle`
    /// settles on the JavaScript thread with its result. A failure of
    /// `settle` itself rejects with that error.
    pub(crate) fn spawn<T: Send + 'static>(
        self: &Arc<Completions>,
        env: &Env,
        work: impl FnOnce() -> T + Send + 'static,
        settle: impl FnOnce(sys::napi_env, T) -> Result<Settlement> + Send + 'static,
    ) -> Result<RawJs> {
        let mut deferred = ptr::null_mut();
        let mut promise = ptr::null_mut();
        check_status!(unsafe { sys::napi_create_promise(env.raw(), &mut deferred, &mut promise) })?;
        let deferred = Deferred(deferred);

        let completions = Arc::clone(self);
        dispatch(move || {
            let result = work();
            completions.push(Box::new(move |env| {
                // A panic while building the answer rejects this promise
                // with `INTERNAL`; the rest of the batch still settles.
                let settlement = catch_unwind(AssertUnwindSafe(|| settle(env, result)))
                    .unwrap_or_else(|payload| {
                        errors::qubit_error(env, &errors::panic_error(payload))
                            .map(Settlement::Reject)
                    })
                    .or_else(|err| {
                        unsafe { ToNapiValue::to_napi_value(env, err) }.map(Settlement::Reject)
                    });
                let deferred = deferred;
                // Nothing more can be done if settling fails: the
                // environment is going away.
                let _ = match settlement {
                    Ok(Settlement::Resolve(value)) => unsafe {
                        sys::napi_resolve_deferred(env, deferred.0, value)
                    },
                    Ok(Settlement::Reject(value)) => unsafe {
                        sys::napi_reject_deferred(env, deferred.0, value)
                    },
                    Err(_) => sys::Status::napi_generic_failure,
                };
            }));
        });

        // Counted only once the work is on its way; its settlement cannot
        // run before this call returns to JavaScript.
        if self.pending.fetch_add(1, Ordering::Relaxed) == 0 {
            let tsfn = self.tsfn.load(Ordering::Acquire);
            check_status!(unsafe { sys::napi_ref_threadsafe_function(env.raw(), tsfn) })?;
        }
        Ok(RawJs(promise))
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues a finished call; wakes the JavaScript thread unless a wake-up
    /// is already on its way.
    fn push(&self, settle: Settle) {
        let mut queue = self.lock();
        if queue.closed {
            return;
        }
        queue.finished.push(settle);
        if !queue.wake_pending {
            queue.wake_pending = true;
            // Called under the lock, so `finalize` cannot free it meanwhile.
            let tsfn = self.tsfn.load(Ordering::Acquire);
            unsafe {
                sys::napi_call_threadsafe_function(
                    tsfn,
                    ptr::null_mut(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                )
            };
        }
    }

    /// Settles every finished call, each in its own handle scope.
    fn settle_finished(&self, env: sys::napi_env) {
        let finished = {
            let mut queue = self.lock();
            queue.wake_pending = false;
            std::mem::take(&mut queue.finished)
        };

        for settle in finished {
            let mut scope = ptr::null_mut();
            let opened = unsafe { sys::napi_open_handle_scope(env, &mut scope) };
            settle(env);
            if opened == sys::Status::napi_ok {
                unsafe { sys::napi_close_handle_scope(env, scope) };
            }

            if self.pending.fetch_sub(1, Ordering::Relaxed) == 1 {
                let tsfn = self.tsfn.load(Ordering::Acquire);
                unsafe { sys::napi_unref_threadsafe_function(env, tsfn) };
            }
        }
    }

    unsafe extern "C" fn call_js(
        env: sys::napi_env,
        _js_callback: sys::napi_value,
        context: *mut c_void,
        _data: *mut c_void,
    ) {
        if env.is_null() || context.is_null() {
            return;
        }
        let completions = unsafe { &*(context as *const Completions) };
        let call = || -> Result<()> {
            let set_immediate = raw::referenced(env, completions.set_immediate)?;
            let settle_queue = raw::referenced(env, completions.settle_queue)?;
            let receiver = raw::undefined(env)?;
            make(|out| unsafe {
                sys::napi_call_function(env, receiver, set_immediate, 1, &settle_queue, out)
            })
            .map(|_| ())
        };
        if call().is_err() {
            // Settle now rather than never.
            completions.settle_finished(env);
        }
    }

    /// The function `setImmediate` runs: settles every finished call.
    unsafe extern "C" fn settle_queue(
        env: sys::napi_env,
        info: sys::napi_callback_info,
    ) -> sys::napi_value {
        let mut data = ptr::null_mut();
        let status = unsafe {
            sys::napi_get_cb_info(
                env,
                info,
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                &mut data,
            )
        };
        if status == sys::Status::napi_ok && !data.is_null() {
            let completions = unsafe { &*(data as *const Completions) };
            // Each call's settlement catches its own panics; this only
            // keeps anything else from unwinding into Node.
            let _ = catch_unwind(AssertUnwindSafe(|| completions.settle_finished(env)));
        }
        ptr::null_mut()
    }

    unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
        let completions = unsafe { Arc::from_raw(data as *const Completions) };
        let mut queue = completions.lock();
        queue.closed = true;
        queue.finished.clear();
    }
}

/// Work waiting for the dispatcher thread.
type Job = Box<dyn FnOnce() + Send>;

/// Hands jobs from the JavaScript thread to the blocking pool. Waking a
/// pool thread (or starting one) is a system call; done on the JavaScript
/// thread it would cost every call one. The dispatcher does it instead, and
/// the JavaScript thread wakes the dispatcher only when it sleeps: a burst
/// of calls (the continuations of a settled batch) costs one wake-up.
struct Dispatcher {
    state: Mutex<DispatchState>,
    wake: Condvar,
}

#[derive(Default)]
struct DispatchState {
    jobs: Vec<Job>,
    sleeping: bool,
}

/// Runs `job` on the blocking pool, through the dispatcher thread.
fn dispatch(job: impl FnOnce() + Send + 'static) {
    static DISPATCHER: OnceLock<Option<Arc<Dispatcher>>> = OnceLock::new();
    let dispatcher = DISPATCHER.get_or_init(Dispatcher::start);

    let Some(dispatcher) = dispatcher else {
        // No thread could be started: go to the pool directly.
        spawn_blocking(job);
        return;
    };
    let mut state = dispatcher.lock();
    state.jobs.push(Box::new(job));
    if state.sleeping {
        state.sleeping = false;
        dispatcher.wake.notify_one();
    }
}

impl Dispatcher {
    fn start() -> Option<Arc<Dispatcher>> {
        let dispatcher = Arc::new(Dispatcher {
            state: Mutex::new(DispatchState::default()),
            wake: Condvar::new(),
        });
        let runner = Arc::clone(&dispatcher);
        std::thread::Builder::new()
            .name("qubit-dispatch".into())
            .spawn(move || runner.run())
            .ok()?;
        Some(dispatcher)
    }

    fn lock(&self) -> MutexGuard<'_, DispatchState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn run(&self) {
        loop {
            let jobs = {
                let mut state = self.lock();
                while state.jobs.is_empty() {
                    state.sleeping = true;
                    state = self.wake.wait(state).unwrap_or_else(|p| p.into_inner());
                }
                std::mem::take(&mut state.jobs)
            };
            for job in jobs {
                // If the pool cannot take it (the runtime is shutting
                // down), the job's promise is settled by running it here.
                let mut job = Some(job);
                let spawned = catch_unwind(AssertUnwindSafe(|| {
                    if let Some(job) = job.take() {
                        spawn_blocking(job);
                    }
                }));
                if let (Err(_), Some(job)) = (spawned, job.take()) {
                    job();
                }
            }
        }
    }
}

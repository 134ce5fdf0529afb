//! State that belongs to one process, for clients that outlive a `fork()`.
//!
//! A forked child inherits the parent's memory but only the thread that
//! forked: connection pools hold the parent's sockets, callback workers do
//! not exist, and any lock another parent thread held at the fork stays
//! held forever. Taking such a lock in the child would hang it. So the
//! per-process state is reached without any lock: an atomic pointer tagged
//! with the process id. The first use in a new process builds fresh state
//! and swaps it in; the inherited state is leaked, never touched or freed,
//! because its locks, sockets and threads are the parent's.

use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

/// A value of type `T` for the current process, built on first use.
pub(crate) struct ProcessLocal<T> {
    current: AtomicPtr<Owned<T>>,
}

struct Owned<T> {
    pid: u32,
    value: T,
}

// SAFETY: the pointer is only read through `&T` (so `T: Sync` is needed to
// share it) and only freed in `drop` (so `T: Send` is needed to move it).
unsafe impl<T: Send + Sync> Send for ProcessLocal<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for ProcessLocal<T> {}

impl<T> ProcessLocal<T> {
    /// Empty: the first `get_or_try_init` builds the value.
    pub fn new() -> ProcessLocal<T> {
        ProcessLocal {
            current: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// This process's value, built with `init` when this process has none
    /// yet. Concurrent first uses may each run `init`; one value wins and
    /// the others are dropped.
    pub fn get_or_try_init<E>(&self, init: impl FnOnce() -> Result<T, E>) -> Result<&T, E> {
        let pid = std::process::id();
        let seen = self.current.load(Ordering::Acquire);
        if let Some(value) = self.value_for(seen, pid) {
            return Ok(value);
        }

        let fresh = Box::into_raw(Box::new(Owned {
            pid,
            value: init()?,
        }));
        let mut expected = seen;
        loop {
            match self.current.compare_exchange(
                expected,
                fresh,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                // What was there was inherited (or absent): it is leaked on
                // purpose, see the module documentation.
                // SAFETY: `fresh` came from a Box and is now owned by `self`,
                // which frees it only in `drop`.
                Ok(_) => return Ok(unsafe { &(*fresh).value }),
                Err(winner) => {
                    if let Some(value) = self.value_for(winner, pid) {
                        // Another thread of this process got there first.
                        // SAFETY: `fresh` was never shared; take it back.
                        drop(unsafe { Box::from_raw(fresh) });
                        return Ok(value);
                    }
                    expected = winner;
                }
            }
        }
    }

    /// This process's value, if it was built.
    #[cfg(test)]
    pub fn get(&self) -> Option<&T> {
        self.value_for(self.current.load(Ordering::Acquire), std::process::id())
    }

    fn value_for(&self, owned: *mut Owned<T>, pid: u32) -> Option<&T> {
        // SAFETY: a non-null pointer in `current` came from `Box::into_raw`
        // and stays valid until `self` is dropped (values are never freed
        // while `self` lives, only leaked or replaced).
        let owned = unsafe { owned.as_ref()? };
        (owned.pid == pid).then_some(&owned.value)
    }
}

impl<T> Drop for ProcessLocal<T> {
    fn drop(&mut self) {
        let owned = *self.current.get_mut();
        if owned.is_null() {
            return;
        }
        // SAFETY: see `value_for`; `&mut self` means no borrow is alive.
        if unsafe { (*owned).pid } == std::process::id() {
            // SAFETY: this process built it, and nothing else refers to it.
            drop(unsafe { Box::from_raw(owned) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn the_value_is_built_once_per_process() {
        let built = AtomicUsize::new(0);
        let local = ProcessLocal::new();

        for _ in 0..3 {
            let value = local
                .get_or_try_init(|| Ok::<_, ()>(built.fetch_add(1, Ordering::SeqCst) + 40))
                .unwrap();
            assert_eq!(*value, 40);
        }

        assert_eq!(built.load(Ordering::SeqCst), 1);
        assert_eq!(local.get(), Some(&40));
    }

    #[test]
    fn a_failed_init_leaves_it_empty() {
        let local: ProcessLocal<u8> = ProcessLocal::new();

        assert_eq!(local.get_or_try_init(|| Err("no")), Err("no"));
        assert_eq!(local.get(), None);
        assert_eq!(local.get_or_try_init(|| Ok::<_, ()>(7)), Ok(&7));
    }

    #[test]
    fn racing_first_uses_agree_on_one_value() {
        let local = Arc::new(ProcessLocal::new());

        let seen: Vec<usize> = (0..8)
            .map(|n| {
                let local = Arc::clone(&local);
                std::thread::spawn(move || *local.get_or_try_init(|| Ok::<_, ()>(n)).unwrap())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect();

        assert!(seen.iter().all(|value| *value == seen[0]), "{seen:?}");
    }

    #[test]
    fn a_value_from_another_process_is_replaced_and_leaked() {
        let local = ProcessLocal::new();
        let inherited = Box::into_raw(Box::new(Owned {
            pid: std::process::id().wrapping_add(1),
            value: String::from("parent's"),
        }));
        local.current.store(inherited, Ordering::SeqCst);

        assert_eq!(local.get(), None);
        let mine = local.get_or_try_init(|| Ok::<_, ()>(String::from("child's")));

        assert_eq!(mine.unwrap(), "child's");
        // SAFETY: the test made it and `local` leaked it; free it here.
        drop(unsafe { Box::from_raw(inherited) });
    }
}

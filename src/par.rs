//! Two pieces of start-up work at once: [`join`] runs one on a scoped thread and the other on
//! the calling thread. Made for work of a few milliseconds, where a thread pool's workers are
//! not awake yet when the second piece is ready to be stolen (rayon's `join` ran both halves
//! of the start-up on one core, measured with `perf stat`).

use std::sync::Mutex;

/// Runs `a` on a new thread and `b` here, and returns both results. When no thread can be
/// started, both run here, one after the other. A panic in `a` is resumed here.
pub fn join<A: Send, B, FA: FnOnce() -> A + Send>(a: FA, b: impl FnOnce() -> B) -> (A, B) {
    // The closure stays reachable from here: a thread that could not start gives it back.
    let cell = Mutex::new(Some(a));
    let take = || cell.lock().ok().and_then(|mut a| a.take());
    std::thread::scope(|s| {
        let spawned = std::thread::Builder::new().spawn_scoped(s, || take().map(|a| a()));
        let b = b();
        let a = match spawned.map(|h| h.join()) {
            Ok(Ok(Some(a))) => a,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            // Not started (or it found nothing to run): run it here.
            Ok(Ok(None)) | Err(_) => match take() {
                Some(a) => a(),
                None => unreachable!("the work is taken exactly once"),
            },
        };
        (a, b)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_run_and_keep_their_places() {
        let here = std::thread::current().id();
        let (a, b) = super::join(
            || (std::thread::current().id(), 1),
            || (std::thread::current().id(), 2),
        );
        assert_eq!((a.1, b.1), (1, 2));
        assert_eq!(b.0, here);
        assert_ne!(a.0, here);
    }
}

//! Classifies many files on several cores and hands the results over in input order, as
//! soon as each is ready: output streams out during a long batch, memory holds only the
//! results that finished ahead of their turn, and a consumer that stops reading (a closed
//! pipe) stops the batch.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{anyhow, Result};
use speech_emotion::model::EmotionModel;

use crate::errors::error_text;
use crate::progress::say;

/// Workers per core at most. The work is CPU-bound (decoding, features, the model), so past
/// one worker per core more workers add no speed, only a model each in memory and
/// switching between threads (400 workers on 10,000 files were 3× slower than 100, and
/// 65,535 ran out of threads). A few per core still cover files that wait on a slow disk
/// or network folder; four per core bounds what `--threads` can cost.
pub const MAX_WORKERS_PER_CORE: usize = 4;

/// How many workers to run: `asked` (default: one per core), at most
/// [`MAX_WORKERS_PER_CORE`] per core. A request above that is lowered, with a note.
pub fn worker_count(asked: Option<usize>) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let most = cores * MAX_WORKERS_PER_CORE;
    match asked {
        None => cores,
        Some(n) if n > most => {
            say(&format!("note: --threads {n} lowered to {most} ({MAX_WORKERS_PER_CORE} per core, {cores} cores)"));
            most
        }
        Some(n) => n.max(1),
    }
}

/// A tract plan's state is mutable, so each worker owns a model, loaded once; files are
/// handed out one at a time so a long file does not hold up the rest. Scoped threads rather
/// than rayon: "one model per worker, loaded once" is all that is needed, and rayon's
/// `map_init` would load one per work split.
pub struct Workers<'a> {
    pub model: &'a mut EmotionModel,
    pub load_another: &'a (dyn Fn() -> Result<EmotionModel> + Sync),
    pub threads: usize,
}

struct Delivery<T, D> {
    ready: BTreeMap<usize, T>,
    next: usize,
    deliver: D,
    error: Option<anyhow::Error>,
}

impl Workers<'_> {
    pub fn labels(&self) -> Vec<String> {
        self.model.labels().to_vec()
    }

    /// Runs `job` for items `0..count` and calls `deliver` with each result in index order.
    /// An error from `deliver` stops the remaining work and is returned.
    pub fn run_in_order<T, J, D>(&mut self, count: usize, job: J, deliver: D) -> Result<()>
    where
        T: Send,
        J: Fn(&mut EmotionModel, usize) -> T + Sync,
        D: FnMut(usize, T) -> Result<()> + Send,
    {
        let next_job = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let state = Mutex::new(Delivery { ready: BTreeMap::new(), next: 0, deliver, error: None });
        let work = |model: &mut EmotionModel| {
            while !stop.load(Ordering::Relaxed) {
                let i = next_job.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let result = job(model, i);
                let mut guard = state.lock().unwrap_or_else(|e| e.into_inner());
                let s = &mut *guard;
                s.ready.insert(i, result);
                while s.error.is_none() {
                    let Some(result) = s.ready.remove(&s.next) else { break };
                    if let Err(e) = (s.deliver)(s.next, result) {
                        s.error = Some(e);
                        stop.store(true, Ordering::Relaxed);
                    }
                    s.next += 1;
                }
            }
        };
        let helpers = self.threads.min(count).saturating_sub(1);
        let load_another = self.load_another;
        let main_model = &mut *self.model;
        std::thread::scope(|scope| -> Result<()> {
            // Helpers are started with `Builder::spawn_scoped`, which returns the OS's refusal
            // (a process or thread limit, memory) instead of panicking: the batch then goes
            // on with the workers that did start, and this thread is always one of them.
            let mut spawned = Vec::with_capacity(helpers);
            for _ in 0..helpers {
                let started = std::thread::Builder::new().name("worker".into()).spawn_scoped(scope, || {
                    // A model that loaded once fails again only for want of memory: this
                    // worker then takes no files, and the others classify them.
                    match load_another() {
                        Ok(mut model) => work(&mut model),
                        Err(e) => say(&format!("note: a worker could not load its model ({}); the others go on", error_text(&e))),
                    }
                });
                match started {
                    Ok(handle) => spawned.push(handle),
                    Err(e) => {
                        say(&format!(
                            "note: {} of {} workers started: the system refused another thread ({e}); going on with those",
                            spawned.len() + 1,
                            helpers + 1
                        ));
                        break;
                    }
                }
            }
            work(main_model);
            for handle in spawned {
                handle.join().map_err(|_| anyhow!("a worker thread panicked"))?;
            }
            Ok(())
        })?;
        let state = state.into_inner().unwrap_or_else(|e| e.into_inner());
        match state.error {
            Some(e) => Err(e),
            None => {
                debug_assert_eq!(state.next, count, "every item was delivered");
                Ok(())
            }
        }
    }
}

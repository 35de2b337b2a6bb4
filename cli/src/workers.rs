//! Classifies many files on several cores and hands the results over in input order, as
//! soon as each is ready: output streams out during a long batch, memory holds only the
//! results that finished ahead of their turn, and a consumer that stops reading (a closed
//! pipe) stops the batch.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{anyhow, Result};
use speech_emotion::model::EmotionModel;

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
            let spawned: Vec<_> = (0..helpers)
                .map(|_| {
                    scope.spawn(|| -> Result<()> {
                        let mut model = load_another()?;
                        work(&mut model);
                        Ok(())
                    })
                })
                .collect();
            work(main_model);
            for handle in spawned {
                handle.join().map_err(|_| anyhow!("a worker thread panicked"))??;
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

//! One cached value with a time to live: what a keyed cache is for many
//! values, for a single one (every scope, every service). A read is a read
//! lock and a clock read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

pub struct Snapshot<T> {
    ttl: Duration,
    slot: RwLock<Option<(Instant, Arc<T>)>>,
    /// Bumped by [`Snapshot::clear`]: a value read from the store before a
    /// clear must not be stored after it.
    generation: AtomicU64,
}

impl<T> Snapshot<T> {
    pub fn new(ttl: Duration) -> Snapshot<T> {
        Snapshot {
            ttl,
            slot: RwLock::new(None),
            generation: AtomicU64::new(0),
        }
    }

    /// The value, unless it is missing or older than the TTL.
    pub fn get(&self) -> Option<Arc<T>> {
        let slot = self.slot.read().ok()?;
        let (at, value) = slot.as_ref()?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }

    /// To read before loading the value that [`Snapshot::fill`] stores.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores `value`, loaded after [`Snapshot::generation`] returned
    /// `generation`, unless the snapshot was cleared meanwhile.
    pub fn fill(&self, generation: u64, value: Arc<T>) {
        if let Ok(mut slot) = self.slot.write()
            && self.generation.load(Ordering::Acquire) == generation
        {
            *slot = Some((Instant::now(), value));
        }
    }

    /// Drops the value; fills started before this call are ignored.
    pub fn clear(&self) {
        let mut slot = self.slot.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        *slot = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fill_started_before_a_clear_is_ignored() {
        let s = Snapshot::new(Duration::from_secs(60));
        let g = s.generation();
        s.clear();
        s.fill(g, Arc::new(1));
        assert!(s.get().is_none());
        s.fill(s.generation(), Arc::new(2));
        assert_eq!(s.get().as_deref(), Some(&2));
    }

    #[test]
    fn values_expire() {
        let s = Snapshot::new(Duration::ZERO);
        s.fill(s.generation(), Arc::new(1));
        assert!(s.get().is_none());
    }
}

//! Shared state in memory, for tests and for callers with no state directory.

use super::{MarkKind, Record, SharedState, StateError, SLOTS};
use std::collections::HashMap;
use std::sync::Mutex;

/// A [`SharedState`] held in this process only.
#[derive(Debug, Default)]
pub struct MemoryState {
    records: Mutex<HashMap<String, Record>>,
    marks: Mutex<HashMap<(MarkKind, String), u64>>,
}

impl MemoryState {
    /// An empty store.
    pub fn new() -> Self {
        MemoryState::default()
    }
}

impl SharedState for MemoryState {
    fn update(&self, name: &str, change: &mut dyn FnMut(&mut Record)) -> Result<Record, StateError> {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        let record = records.entry(name.to_string()).or_insert([0; SLOTS]);
        change(record);
        Ok(*record)
    }

    fn read(&self, name: &str) -> Result<Record, StateError> {
        Ok(self.records.lock().unwrap_or_else(|e| e.into_inner()).get(name).copied().unwrap_or([0; SLOTS]))
    }

    fn mark(&self, kind: MarkKind, key: &str) -> Option<u64> {
        self.marks.lock().unwrap_or_else(|e| e.into_inner()).get(&(kind, key.to_string())).copied()
    }

    fn set_mark(&self, kind: MarkKind, key: &str, value: u64) -> Result<(), StateError> {
        self.marks.lock().unwrap_or_else(|e| e.into_inner()).insert((kind, key.to_string()), value);
        Ok(())
    }

    fn clear_mark(&self, kind: MarkKind, key: &str) -> Result<(), StateError> {
        self.marks.lock().unwrap_or_else(|e| e.into_inner()).remove(&(kind, key.to_string()));
        Ok(())
    }
}

//! localStorage as JSON: the project autosave.

use gloo_storage::{LocalStorage, Storage};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Reads and parses the value under `key`; `Ok(None)` when nothing is stored.
pub fn load<T: DeserializeOwned>(key: &str) -> Result<Option<T>, String> {
    match LocalStorage::get::<T>(key) {
        Ok(value) => Ok(Some(value)),
        Err(gloo_storage::errors::StorageError::KeyNotFound(_)) => Ok(None),
        Err(e) => Err(format!("cannot restore saved project ({key}): {e}")),
    }
}

/// Stores `value` as JSON under `key`.
pub fn save<T: Serialize>(key: &str, value: &T) -> Result<(), String> {
    LocalStorage::set(key, value).map_err(|e| format!("cannot save project ({key}): {e}"))
}

/// Removes `key`.
pub fn remove(key: &str) {
    LocalStorage::delete(key);
}

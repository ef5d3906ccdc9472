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

/// Stores `value` as JSON under `key`; the error says how large it was.
pub fn save<T: Serialize>(key: &str, value: &T) -> Result<(), String> {
    let text = serde_json::to_string(value).map_err(|e| format!("cannot save ({key}): {e}"))?;
    let mb = text.len() as f64 / 1e6;
    LocalStorage::raw().set_item(key, &text).map_err(|_| {
        format!("{mb:.1} MB is more than this browser's local storage accepts (about 5 MB)")
    })
}

/// Removes `key`.
pub fn remove(key: &str) {
    LocalStorage::delete(key);
}

//! IndexedDB through the `idb` crate: the autosaved project as a JSON text
//! and, beside it, its profiles of any size as one binary value (a
//! `Uint8Array` of packed runs, stored by structured clone: no text to build
//! or scan), in one object store. Earlier saves kept the profiles as text;
//! [`load`] returns either. A record and its profiles are written in one
//! transaction, so a reload never pairs a project with profiles from an older save.

use idb::{Database, DatabaseEvent, Factory, ObjectStoreParams, TransactionMode};
use wasm_bindgen::JsValue;

/// The database's name.
pub const DATABASE: &str = "faasplan";
/// The object store holding the autosave texts.
const STORE: &str = "autosave";

/// What to do with the stored profiles beside a record.
#[derive(Clone, Debug, PartialEq)]
pub enum ProfilesText {
    /// Leave what is stored (the profiles did not change since the last save).
    Keep,
    /// Store these packed profiles (`wire::profiles_to_bytes`), as a `Uint8Array`.
    Put(Vec<u8>),
    /// Remove the stored profiles (no profiles, or they could not be kept).
    Remove,
}

/// Profiles as an autosave stored them.
#[derive(Clone, Debug, PartialEq)]
pub enum StoredProfiles {
    /// Packed bytes (this build's saves).
    Bytes(Vec<u8>),
    /// Text (earlier builds' saves: packed per stage, or plain JSON).
    Text(String),
}

/// A stored value as profiles: bytes from a `Uint8Array` or `ArrayBuffer`, or
/// a string; `None` for anything else.
fn stored(value: JsValue) -> Option<StoredProfiles> {
    use wasm_bindgen::JsCast;
    if let Some(text) = value.as_string() {
        return Some(StoredProfiles::Text(text));
    }
    if value.is_instance_of::<js_sys::Uint8Array>() || value.is_instance_of::<js_sys::ArrayBuffer>()
    {
        return Some(StoredProfiles::Bytes(
            js_sys::Uint8Array::new(&value).to_vec(),
        ));
    }
    None
}

/// The key the profiles of the record under `key` are stored under.
pub fn profiles_key(key: &str) -> String {
    format!("{key}.profiles")
}

async fn open() -> Result<Database, String> {
    let factory = Factory::new().map_err(|e| format!("IndexedDB is not available: {e}"))?;
    let mut request = factory
        .open(DATABASE, Some(1))
        .map_err(|e| format!("cannot open IndexedDB: {e}"))?;
    request.on_upgrade_needed(|event| {
        if let Ok(db) = event.database()
            && !db.store_names().iter().any(|s| s == STORE)
        {
            let _ = db.create_object_store(STORE, ObjectStoreParams::new());
        }
    });
    request
        .await
        .map_err(|e| format!("cannot open IndexedDB: {e}"))
}

/// The record under `key` and its profiles, if stored.
pub async fn load(key: &str) -> Result<(Option<String>, Option<StoredProfiles>), String> {
    let db = open().await?;
    let fail = |e: idb::Error| format!("cannot read the autosave from IndexedDB: {e}");
    let tx = db
        .transaction(&[STORE], TransactionMode::ReadOnly)
        .map_err(fail)?;
    let store = tx.object_store(STORE).map_err(fail)?;
    let record = store
        .get(JsValue::from_str(key))
        .map_err(fail)?
        .await
        .map_err(fail)?;
    let profiles = store
        .get(JsValue::from_str(&profiles_key(key)))
        .map_err(fail)?
        .await
        .map_err(fail)?;
    let _ = tx.await;
    db.close();
    Ok((
        record.and_then(|v| v.as_string()),
        profiles.and_then(stored),
    ))
}

/// Writes the record under `key` and does `profiles` to its profiles text, all
/// or nothing; the error carries the browser's reason (e.g. the quota).
pub async fn save(key: &str, record: &str, profiles: &ProfilesText) -> Result<(), String> {
    let db = open().await?;
    let fail = |e: idb::Error| e.to_string();
    let tx = db
        .transaction(&[STORE], TransactionMode::ReadWrite)
        .map_err(fail)?;
    let store = tx.object_store(STORE).map_err(fail)?;
    let written = async {
        store
            .put(&JsValue::from_str(record), Some(&JsValue::from_str(key)))
            .map_err(fail)?
            .await
            .map_err(fail)?;
        let pkey = JsValue::from_str(&profiles_key(key));
        match profiles {
            ProfilesText::Keep => {}
            ProfilesText::Put(bytes) => {
                let value = js_sys::Uint8Array::from(bytes.as_slice());
                store
                    .put(&value, Some(&pkey))
                    .map_err(fail)?
                    .await
                    .map_err(fail)?;
            }
            ProfilesText::Remove => {
                store.delete(pkey).map_err(fail)?.await.map_err(fail)?;
            }
        }
        Ok::<(), String>(())
    }
    .await;
    let done = match written {
        Ok(()) => match tx.await {
            Ok(r) if r.is_committed() => Ok(()),
            Ok(_) => Err("the browser aborted the write".to_string()),
            Err(e) => Err(e.to_string()),
        },
        Err(e) => Err(e),
    };
    db.close();
    done
}

/// Removes the record under `key` and its profiles.
pub async fn remove(key: &str) -> Result<(), String> {
    let db = open().await?;
    let fail = |e: idb::Error| e.to_string();
    let tx = db
        .transaction(&[STORE], TransactionMode::ReadWrite)
        .map_err(fail)?;
    let store = tx.object_store(STORE).map_err(fail)?;
    for k in [key.to_string(), profiles_key(key)] {
        store
            .delete(JsValue::from_str(&k))
            .map_err(fail)?
            .await
            .map_err(fail)?;
    }
    let done = tx.await.map(|_| ()).map_err(fail);
    db.close();
    done
}

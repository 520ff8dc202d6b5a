//! Extension points around writes, for user code that must not edit generated files.
//!
//! Generated crates define a typed `Hooks` trait (one method per collection and event, all with default
//! bodies) and adapt it to [`RecordHooks`], which the write handlers call with the record as JSON.

use serde_json::{Map, Value};

/// A hook's refusal: the write is rolled back and the client gets PocketBase's 400 with this message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookError(pub String);

impl HookError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

pub type HookResult = Result<(), HookError>;

/// Called by the write handlers. `before_*` run inside the write transaction (an error aborts it); `after_*`
/// run after the commit. Records are the stored values (every field, passwords as hashes).
pub trait RecordHooks: Send + Sync + 'static {
    fn before_create(&self, collection: &str, record: &mut Map<String, Value>) -> HookResult {
        let _ = (collection, record);
        Ok(())
    }
    fn after_create(&self, collection: &str, record: &Map<String, Value>) {
        let _ = (collection, record);
    }
    fn before_update(&self, collection: &str, record: &mut Map<String, Value>) -> HookResult {
        let _ = (collection, record);
        Ok(())
    }
    fn after_update(&self, collection: &str, record: &Map<String, Value>) {
        let _ = (collection, record);
    }
    fn before_delete(&self, collection: &str, record: &Map<String, Value>) -> HookResult {
        let _ = (collection, record);
        Ok(())
    }
    fn after_delete(&self, collection: &str, record: &Map<String, Value>) {
        let _ = (collection, record);
    }
}

/// No hooks.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHooks;

impl RecordHooks for NoHooks {}

/// Runs a typed hook on a JSON record: converts it to `T`, calls `f`, and writes the fields `T` has back.
/// Fields `T` does not carry (password hashes) are kept as they were.
pub fn typed<T, F>(record: &mut Map<String, Value>, f: F) -> HookResult
where
    T: serde::de::DeserializeOwned + serde::Serialize,
    F: FnOnce(&mut T) -> HookResult,
{
    let mut typed: T = serde_json::from_value(Value::Object(record.clone()))
        .map_err(|e| HookError(format!("the record does not fit its model: {e}")))?;
    f(&mut typed)?;
    if let Ok(Value::Object(changed)) = serde_json::to_value(&typed) {
        record.extend(changed);
    }
    Ok(())
}

/// Like [`typed`] for hooks that only look at the record.
pub fn typed_ref<T, F>(record: &Map<String, Value>, f: F) -> HookResult
where
    T: serde::de::DeserializeOwned,
    F: FnOnce(&T) -> HookResult,
{
    match serde_json::from_value::<T>(Value::Object(record.clone())) {
        Ok(typed) => f(&typed),
        // An after-hook cannot refuse; a record that does not fit its model is skipped, and logged.
        Err(e) => {
            tracing::warn!("hook skipped: the record does not fit its model: {e}");
            Ok(())
        }
    }
}

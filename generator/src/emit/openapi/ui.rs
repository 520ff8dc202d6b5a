//! The extension point for the Datastar UI endpoints under `/ui/`.
//!
//! The UI is not served by the runtime yet, so nothing is described here. When it lands, this function adds
//! its paths: pages as `text/html` responses and each fragment endpoint as a `text/event-stream` response
//! whose schema is one SSE message (`datastar-patch-elements` / `datastar-patch-signals`), following the
//! convention in [`super::realtime`].

use super::{Components, Paths};
use crate::ir::Ir;

pub fn add(_ir: &Ir, _paths: &mut Paths, _schemas: &mut Components) {}

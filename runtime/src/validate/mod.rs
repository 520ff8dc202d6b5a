//! Field validation and coercion, as PocketBase does it (being written).

//! Compiling a filter (an API rule or a client `?filter=`) to SQL with bound parameters (being written).

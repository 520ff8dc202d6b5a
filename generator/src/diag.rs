//! Diagnostics: every problem found in a schema, each with the path that leads to it.
//!
//! Stages never stop at the first error; they push into a [`Diagnostics`] sink and the CLI prints them all.

use std::fmt;

/// One step of a path into the schema, rendered as `collections[2] "posts"` or `fields[5] "author"`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Segment {
    pub key: String,
    pub index: Option<usize>,
    pub name: Option<String>,
}

/// Where in the input a problem is.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct SchemaPath(Vec<Segment>);

impl SchemaPath {
    pub fn root() -> Self {
        Self::default()
    }

    /// `collections[i] "name"`-style step into a list.
    pub fn item(&self, key: &str, index: usize, name: Option<&str>) -> Self {
        self.push(Segment { key: key.to_owned(), index: Some(index), name: name.map(str::to_owned) })
    }

    /// A plain key, like `listRule`.
    pub fn key(&self, key: &str) -> Self {
        self.push(Segment { key: key.to_owned(), index: None, name: None })
    }

    fn push(&self, segment: Segment) -> Self {
        let mut segments = self.0.clone();
        segments.push(segment);
        Self(segments)
    }
}

impl fmt::Display for SchemaPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" > ")?;
            }
            f.write_str(&s.key)?;
            if let Some(index) = s.index {
                write!(f, "[{index}]")?;
            }
            if let Some(name) = &s.name {
                write!(f, " {name:?}")?;
            }
        }
        Ok(())
    }
}

/// A single problem with the input.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub path: SchemaPath,
    pub message: String,
    pub help: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.0.is_empty() {
            f.write_str(&self.message)?;
        } else {
            write!(f, "{}: {}", self.path, self.message)?;
        }
        if let Some(help) = &self.help {
            write!(f, " (help: {help})")?;
        }
        Ok(())
    }
}

/// Collects every problem; `finish` turns a non-empty sink into an error.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn error(&mut self, path: &SchemaPath, message: impl Into<String>) {
        self.push(path, message.into(), None);
    }

    pub fn error_with_help(&mut self, path: &SchemaPath, message: impl Into<String>, help: impl Into<String>) {
        self.push(path, message.into(), Some(help.into()));
    }

    fn push(&mut self, path: &SchemaPath, message: String, help: Option<String>) {
        self.items.push(Diagnostic { path: path.clone(), message, help });
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// `Ok(value)` when nothing was reported, otherwise every problem grouped by collection in input order;
    /// within a collection problems keep the order they were found in (names, fields, rules, indexes).
    pub fn finish<T>(mut self, value: T) -> Result<T, Errors> {
        if self.items.is_empty() {
            return Ok(value);
        }
        self.items.sort_by(|a, b| a.path.0.first().cmp(&b.path.0.first()));
        Err(Errors(self.items))
    }
}

/// The problems that stopped generation, ordered by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Errors(pub Vec<Diagnostic>);

impl Errors {
    pub fn single(message: impl Into<String>) -> Self {
        Self(vec![Diagnostic { path: SchemaPath::root(), message: message.into(), help: None }])
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "error: {d}")?;
        }
        let n = self.0.len();
        write!(f, "{n} error{}", if n == 1 { "" } else { "s" })
    }
}

impl std::error::Error for Errors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_paths_like_the_architecture_note() {
        let path = SchemaPath::root().item("collections", 2, Some("posts")).item("fields", 5, Some("author"));
        let mut d = Diagnostics::default();
        d.error(&path, "relation to unknown collection \"pbc_123\"");
        let errors = d.finish(()).unwrap_err();
        assert_eq!(
            errors.0[0].to_string(),
            r#"collections[2] "posts" > fields[5] "author": relation to unknown collection "pbc_123""#
        );
    }
}

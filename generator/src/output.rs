//! Putting a [`FileSet`] on disk, or comparing it with what is on disk.
//!
//! Only files whose first line carries our marker are ever changed or removed; anything else in the output
//! directory is the user's, and a file set that would overwrite one is refused before anything is written.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use crate::emit::{FileSet, GENERATED_MARKER};

/// What `write` did, or what `check` found stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added(String),
    Updated(String),
    Removed(String),
}

#[derive(Debug)]
pub enum WriteError {
    Io(String),
    /// Files in the way that `gen` did not write; nothing was written.
    NotOurs(Vec<String>),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => f.write_str(e),
            Self::NotOurs(paths) => write!(
                f,
                "refusing to overwrite files that pbgen did not generate (no @generated header): {}",
                paths.join(", ")
            ),
        }
    }
}

fn io_err(path: &Path) -> impl Fn(io::Error) -> WriteError + '_ {
    move |e| WriteError::Io(format!("{}: {e}", path.display()))
}

/// Writes changed files only (mtimes of unchanged ones stay), and removes our files that are no longer emitted.
pub fn write(dir: &Path, files: &FileSet) -> Result<Vec<Change>, WriteError> {
    let existing = ours_on_disk(dir).map_err(io_err(dir))?;
    let mut not_ours = Vec::new();
    let mut plan = Vec::new();
    for (rel, contents) in &files.0 {
        let path = dir.join(rel);
        match fs::read(&path) {
            Ok(old) if old == contents.as_bytes() => {}
            Ok(old) if is_ours(&old) => plan.push(Change::Updated(rel.clone())),
            Ok(_) => not_ours.push(rel.clone()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => plan.push(Change::Added(rel.clone())),
            Err(e) => return Err(io_err(&path)(e)),
        }
    }
    if !not_ours.is_empty() {
        return Err(WriteError::NotOurs(not_ours));
    }
    plan.extend(existing.into_iter().filter(|rel| !files.0.contains_key(rel)).map(Change::Removed));
    for change in &plan {
        match change {
            Change::Added(rel) | Change::Updated(rel) => write_atomic(&dir.join(rel), &files.0[rel])?,
            Change::Removed(rel) => remove_with_empty_parents(dir, rel)?,
        }
    }
    Ok(plan)
}

/// Every stale, missing or orphaned file, each with a unified diff.
pub fn check(dir: &Path, files: &FileSet) -> Result<Vec<(Change, String)>, WriteError> {
    let mut stale = Vec::new();
    for (rel, contents) in &files.0 {
        let path = dir.join(rel);
        match fs::read_to_string(&path) {
            Ok(old) if old == *contents => {}
            Ok(old) => stale.push((Change::Updated(rel.clone()), diff(rel, &old, contents))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                stale.push((Change::Added(rel.clone()), diff(rel, "", contents)));
            }
            Err(e) => return Err(io_err(&path)(e)),
        }
    }
    for rel in ours_on_disk(dir).map_err(io_err(dir))? {
        if !files.0.contains_key(&rel) {
            let old = fs::read_to_string(dir.join(&rel)).unwrap_or_default();
            stale.push((Change::Removed(rel.clone()), diff(&rel, &old, "")));
        }
    }
    Ok(stale)
}

fn diff(rel: &str, old: &str, new: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header(&format!("a/{rel}"), &format!("b/{rel}"))
        .to_string()
}

fn is_ours(contents: &[u8]) -> bool {
    let first_line = contents.split(|&b| b == b'\n').next().unwrap_or_default();
    String::from_utf8_lossy(first_line).contains(GENERATED_MARKER)
}

/// Relative paths of files under `dir` that we generated (build output directories are skipped).
fn ours_on_disk(dir: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel_dir) = stack.pop() {
        let entries = match fs::read_dir(dir.join(&rel_dir)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let rel = rel_dir.join(entry.file_name());
            let ty = entry.file_type()?;
            if ty.is_dir() && entry.file_name() != "target" && entry.file_name() != "node_modules" {
                stack.push(rel);
            } else if ty.is_file() && fs::read(entry.path()).is_ok_and(|c| is_ours(&c)) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn write_atomic(path: &Path, contents: &str) -> Result<(), WriteError> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io_err(parent))?;
    let tmp = path.with_extension("pbgen-tmp");
    fs::write(&tmp, contents).map_err(io_err(&tmp))?;
    fs::rename(&tmp, path).map_err(io_err(path))
}

fn remove_with_empty_parents(dir: &Path, rel: &str) -> Result<(), WriteError> {
    let path = dir.join(rel);
    fs::remove_file(&path).map_err(io_err(&path))?;
    let mut parent = path.parent();
    while let Some(p) = parent {
        if p == dir || fs::remove_dir(p).is_err() {
            break;
        }
        parent = p.parent();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(files: &[(&str, &str)]) -> FileSet {
        FileSet(files.iter().map(|(p, c)| (p.to_string(), c.to_string())).collect())
    }

    #[test]
    fn writes_only_changes_removes_orphans_and_keeps_user_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let v1 = set(&[("a.rs", "// @generated by pbgen x\n1\n"), ("sub/b.rs", "// @generated by pbgen x\n2\n")]);
        assert_eq!(write(d, &v1).unwrap().len(), 2);
        assert!(write(d, &v1).unwrap().is_empty(), "a second write changes nothing");
        fs::write(d.join("mine.txt"), "user file").unwrap();
        let v2 = set(&[("a.rs", "// @generated by pbgen x\n1 changed\n")]);
        assert_eq!(check(d, &v2).unwrap().len(), 2);
        let changes = write(d, &v2).unwrap();
        assert_eq!(changes, vec![Change::Updated("a.rs".into()), Change::Removed("sub/b.rs".into())]);
        assert!(!d.join("sub").exists(), "the emptied directory is removed");
        assert_eq!(fs::read_to_string(d.join("mine.txt")).unwrap(), "user file");
        assert!(check(d, &v2).unwrap().is_empty());
    }

    #[test]
    fn refuses_to_overwrite_a_file_without_the_header() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.rs"), "fn mine() {}\n").unwrap();
        let files = set(&[("a.rs", "// @generated by pbgen x\n"), ("b.rs", "// @generated by pbgen x\n")]);
        match write(dir.path(), &files) {
            Err(WriteError::NotOurs(paths)) => assert_eq!(paths, vec!["a.rs".to_string()]),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(fs::read_to_string(dir.path().join("a.rs")).unwrap(), "fn mine() {}\n");
        assert!(!dir.path().join("b.rs").exists(), "nothing is written when one file is refused");
    }
}

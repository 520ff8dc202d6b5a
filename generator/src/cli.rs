//! The `gen` command line (see the README for the contract).

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::emit::{FileSet, Target};
use crate::output::{self, Change};
use crate::schema::{self, load::LoadError};

#[derive(Debug, Parser)]
#[command(name = "gen", version, about = "Generate a typed Rust server crate from a PocketBase schema")]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    select: Select,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Regenerate in memory and show a diff of every stale, missing or orphaned file; exit 1 if any.
    Check(Select),
}

/// Which schemas to generate. Without `--schema`: every `schemas/*.json` into `generated/<stem>/`.
#[derive(Debug, Args)]
struct Select {
    /// A pb_schema.json export (v0.23+ or legacy), a snapshot migration's JSON array, or a pb_data dir / data.db.
    #[arg(long, value_name = "PATH")]
    schema: Option<PathBuf>,
    /// The crate directory to write [default: generated/<name>].
    #[arg(long, value_name = "DIR", requires = "schema")]
    out: Option<PathBuf>,
    /// The crate name [default: the schema file's stem].
    #[arg(long, value_name = "CRATE", requires = "schema")]
    name: Option<String>,
}

/// Exit codes of the contract.
pub const OK: i32 = 0;
pub const INVALID: i32 = 1;
pub const USAGE: i32 = 2;

struct Job {
    schema: PathBuf,
    target: Target,
    /// Where this job's files go, relative to the output root.
    prefix: String,
}

pub fn run(cli: Cli) -> i32 {
    let (select, check) = match cli.command {
        Some(Command::Check(select)) => (select, true),
        None => (cli.select, false),
    };
    let (root, jobs) = match plan(&select) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("error: {e}");
            return USAGE;
        }
    };
    let mut files = FileSet::default();
    let mut status = OK;
    for job in &jobs {
        let generated = match schema::read_path(&job.schema) {
            Err(LoadError::Io(e)) => {
                eprintln!("error: {e}");
                return USAGE;
            }
            Err(LoadError::Schema(errors)) => Err(errors),
            Ok((schema, problems)) => crate::generate_with(&schema, problems, &job.target),
        };
        match generated {
            Ok(set) => files.0.extend(set.0.into_iter().map(|(rel, c)| (format!("{}{rel}", job.prefix), c))),
            Err(errors) => {
                eprintln!("{}:\n{errors}", job.target.source);
                status = INVALID;
            }
        }
    }
    if status != OK {
        eprintln!("nothing was written");
        return status;
    }
    if check { check_dir(&root, &files) } else { write_dir(&root, &files) }
}

fn plan(select: &Select) -> Result<(PathBuf, Vec<Job>), String> {
    if let Some(schema) = &select.schema {
        let name = match &select.name {
            Some(name) => name.clone(),
            None => default_name(schema)?,
        };
        check_crate_name(&name)?;
        let out = select.out.clone().unwrap_or_else(|| Path::new("generated").join(&name));
        let job = Job {
            target: Target { crate_name: name, source: display_source(schema) },
            schema: schema.clone(),
            prefix: String::new(),
        };
        return Ok((out, vec![job]));
    }
    let dir = Path::new("schemas");
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e} (run gen in the project root, or pass --schema)", dir.display()))?;
    let mut schemas: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    schemas.sort();
    if schemas.is_empty() {
        return Err("no schemas/*.json found".into());
    }
    let jobs = schemas
        .into_iter()
        .map(|schema| {
            let name = default_name(&schema)?;
            check_crate_name(&name)?;
            Ok(Job {
                prefix: format!("{name}/"),
                target: Target { crate_name: name, source: display_source(&schema) },
                schema,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok((PathBuf::from("generated"), jobs))
}

fn default_name(schema: &Path) -> Result<String, String> {
    schema
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{}: cannot take a crate name from this path; pass --name", schema.display()))
}

/// Cargo's rules, narrowed to names rustc accepts without a lint: lowercase words of letters and digits
/// joined by single `_` or `-`, starting with a letter (`blog`, `my-app`, `shop_v2`).
fn check_crate_name(name: &str) -> Result<(), String> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .split(['_', '-'])
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a usable crate name (lowercase letters and digits in words joined by `_` or `-`, \
             starting with a letter); pass --name"
        ))
    }
}

/// The schema path as shown in headers: as the user wrote it, `/`-separated; only the file name if absolute,
/// so output does not depend on where the project is checked out.
fn display_source(schema: &Path) -> String {
    if schema.is_absolute() {
        schema.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    } else {
        schema.to_string_lossy().replace('\\', "/")
    }
}

fn write_dir(root: &Path, files: &FileSet) -> i32 {
    match output::write(root, files) {
        Ok(changes) => {
            for change in &changes {
                match change {
                    Change::Added(p) => println!("added    {}", root.join(p).display()),
                    Change::Updated(p) => println!("updated  {}", root.join(p).display()),
                    Change::Removed(p) => println!("removed  {}", root.join(p).display()),
                }
            }
            println!("{}: {} files, {} changed", root.display(), files.0.len(), changes.len());
            OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            USAGE
        }
    }
}

fn check_dir(root: &Path, files: &FileSet) -> i32 {
    match output::check(root, files) {
        Ok(stale) if stale.is_empty() => {
            println!("{}: {} files, all up to date", root.display(), files.0.len());
            OK
        }
        Ok(stale) => {
            for (change, diff) in &stale {
                let (what, p) = match change {
                    Change::Added(p) => ("missing", p),
                    Change::Updated(p) => ("stale", p),
                    Change::Removed(p) => ("orphaned", p),
                };
                println!("{what}: {}\n{diff}", root.join(p).display());
            }
            eprintln!("{} file(s) out of date in {}: run `gen` and commit the result", stale.len(), root.display());
            INVALID
        }
        Err(e) => {
            eprintln!("error: {e}");
            USAGE
        }
    }
}

//! The servers under load, each a child process on its own loopback port: started, timed until
//! `/api/health` answers, measured from /proc, and killed by PID when dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::http;

pub struct Server {
    pub name: &'static str,
    pub port: u16,
    child: Child,
    log: PathBuf,
    /// From spawn until `/api/health` first answered 200.
    pub startup: Duration,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What to run: the program and its arguments, given the port.
pub struct Launch {
    pub name: &'static str,
    pub program: PathBuf,
    pub args: Box<dyn Fn(u16) -> Vec<String>>,
    /// The working directory (PocketBase needs its own: it treats `<dir>/..` as its project folder).
    pub cwd: PathBuf,
    /// Health path answering 200 once the server is ready.
    pub health: &'static str,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

impl Launch {
    pub fn start(&self) -> Result<Server, String> {
        let port = free_port();
        let log = self.cwd.join(format!("{}-{port}.log", self.name));
        let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let started = Instant::now();
        let child = Command::new(&self.program)
            .args((self.args)(port))
            .current_dir(&self.cwd)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(out.try_clone().map_err(|e| e.to_string())?)
            .stderr(out)
            .spawn()
            .map_err(|e| format!("start {}: {e}", self.program.display()))?;
        let mut server = Server { name: self.name, port, child, log, startup: Duration::ZERO };
        let deadline = started + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("{} exited during start-up ({status}):\n{}", self.name, server.log_tail()));
            }
            if matches!(http::request(port, "GET", self.health, &[], None), Ok(r) if r.status == 200) {
                server.startup = started.elapsed();
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!("{} did not become healthy:\n{}", self.name, server.log_tail()));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// (current, peak) resident set size in KiB, from /proc/PID/status.
    pub fn rss_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    pub fn stop(self) {}
}

/// Copies a pb_data tree into `parent/pb_data`.
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The generated blog server (or any generated crate's binary) on `parent/pb_data`.
pub fn ours(name: &'static str, program: &Path, parent: &Path) -> Launch {
    let dir = parent.join("pb_data");
    Launch {
        name,
        program: program.to_owned(),
        args: Box::new(move |port| {
            let mut a: Vec<String> =
                ["serve", "--http", &format!("127.0.0.1:{port}"), "--dir"].map(String::from).into();
            a.push(dir.display().to_string());
            a.extend(["--rate-limits", "off"].map(String::from));
            a
        }),
        cwd: parent.to_owned(),
        health: "/api/health",
    }
}

/// The reference PocketBase on `parent/pb_data`.
pub fn pocketbase(program: &Path, parent: &Path) -> Launch {
    let dir = parent.join("pb_data");
    Launch {
        name: "pocketbase",
        program: program.to_owned(),
        args: Box::new(move |port| {
            vec![
                "serve".into(),
                "--http".into(),
                format!("127.0.0.1:{port}"),
                "--dir".into(),
                dir.display().to_string(),
            ]
        }),
        cwd: parent.to_owned(),
        health: "/api/health",
    }
}

/// The PocketBase binary itself (not a pyenv shim around it, which would add to its start-up time and hide
/// its PID): `$PB_BIN`, else what `pyenv which pocketbase` names, else `pocketbase` on PATH.
pub fn pocketbase_binary() -> PathBuf {
    if let Ok(bin) = std::env::var("PB_BIN") {
        return bin.into();
    }
    if let Ok(out) = Command::new("pyenv").args(["which", "pocketbase"]).stderr(Stdio::null()).output()
        && out.status.success()
    {
        return String::from_utf8_lossy(&out.stdout).trim().into();
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join("pocketbase")).find(|p| p.is_file()))
        .unwrap_or_else(|| "pocketbase".into())
}

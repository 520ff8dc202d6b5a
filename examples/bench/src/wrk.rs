//! Load from wrk (Debian's `wrk`): each scenario becomes a small Lua script that rotates through paths,
//! fills a unique value into write bodies, and reports its counts and latency percentiles as one JSON line.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// What one scenario sends.
#[derive(Clone)]
pub struct Load {
    pub method: &'static str,
    /// Rotated through, one per request.
    pub paths: Vec<String>,
    pub headers: Vec<(String, String)>,
    /// A JSON body; `{n}` becomes a value unique to the request, `{i}` a per-thread request counter.
    pub body: Option<String>,
    pub connections: u32,
}

impl Load {
    pub fn get(paths: Vec<String>) -> Self {
        Self { method: "GET", paths, headers: Vec::new(), body: None, connections: 64 }
    }

    pub fn auth(mut self, token: &str) -> Self {
        self.headers.push(("Authorization".into(), token.into()));
        self
    }

    pub fn connections(mut self, n: u32) -> Self {
        self.connections = n;
        self
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Outcome {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Non-2xx answers and socket errors: a scenario with any is reported, not trusted.
    pub errors: u64,
}

fn lua_string(s: &str) -> String {
    // A long bracket string cannot contain its own closing bracket; `]==]` never occurs in our values.
    format!("[==[{s}]==]")
}

fn script(load: &Load, nonce: &str) -> String {
    let paths: Vec<String> = load.paths.iter().map(|p| lua_string(p)).collect();
    let mut headers: Vec<String> =
        load.headers.iter().map(|(k, v)| format!("[ {} ] = {}", lua_string(k), lua_string(v))).collect();
    if load.body.is_some() {
        headers.push("[\"Content-Type\"] = \"application/json\"".into());
    }
    format!(
        r#"local paths = {{ {paths} }}
local headers = {{ {headers} }}
local method = "{method}"
local body = {body}
local nonce = "{nonce}"
local counter = 0
local made = 0
tid = 0
function setup(thread)
  made = made + 1
  thread:set("tid", made)
end
function request()
  counter = counter + 1
  local b = nil
  if body then
    b = (body:gsub("{{n}}", nonce .. "-" .. tid .. "-" .. counter))
    b = (b:gsub("{{i}}", tostring(counter)))
  end
  return wrk.format(method, paths[(counter % #paths) + 1], headers, b)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {{"requests":%d,"duration_us":%d,"socket_errors":%d,"non2xx":%d,"p50_us":%d,"p99_us":%d}}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
"#,
        paths = paths.join(", "),
        headers = headers.join(", "),
        method = load.method,
        body = load.body.as_deref().map_or("nil".into(), lua_string),
    )
}

/// Runs wrk (one thread: the load generator shares the machine with the server) for `duration`.
pub fn run(load: &Load, port: u16, duration: Duration, scratch: &Path, nonce: &str) -> Result<Outcome, String> {
    let path = scratch.join(format!("{nonce}.lua"));
    std::fs::write(&path, script(load, nonce)).map_err(|e| e.to_string())?;
    let out = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{}", load.connections),
            &format!("-d{}s", duration.as_secs().max(1)),
            "--timeout",
            "20s",
        ])
        .arg("-s")
        .arg(&path)
        .arg(format!("http://127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run wrk ({e}); install it with `apt-get install wrk`"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix("WRKJSON ")).ok_or_else(|| {
        format!("wrk printed no result ({}):\n{stdout}\n{}", out.status, String::from_utf8_lossy(&out.stderr))
    })?;
    let v: Value = serde_json::from_str(line).map_err(|e| format!("wrk result {line}: {e}"))?;
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    let secs = n("duration_us") as f64 / 1e6;
    Ok(Outcome {
        rps: if secs > 0.0 { (n("requests") - n("non2xx")) as f64 / secs } else { 0.0 },
        p50_ms: n("p50_us") as f64 / 1000.0,
        p99_ms: n("p99_us") as f64 / 1000.0,
        errors: n("non2xx") + n("socket_errors"),
    })
}

//! `task bench`: the generated blog server against the reference PocketBase on the same seeded data, loaded
//! alternately with wrk, plus realtime fan-out, memory, start-up, a bare axum ceiling, PocketBase's own
//! benchmark schema, and the generator's speed. Prints one table (see BENCHMARKS.md).
//!
//! `pbgen-bench [--smoke] [--duration SECS] [--subscribers N] [--rows N] [--only TEXT]` (run by
//! examples/bench/run.sh, which builds the binaries first; `--smoke` or `BENCH_SMOKE=1`: tiny data, one second per
//! scenario, for CI; `--only`: just the measurements whose label contains TEXT, e.g. while profiling one).
//! `pbgen-bench ceiling --http ADDR --db FILE` serves the ceiling route.

mod ceiling;
mod fixture;
mod gen_speed;
mod http;
mod realtime;
mod report;
mod servers;
mod wrk;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use report::{Report, Row};
use servers::{Launch, Server};
use wrk::Load;

struct Options {
    smoke: bool,
    duration: Duration,
    subscribers: usize,
    rows: usize,
    only: Option<String>,
}

impl Options {
    /// Whether the measurement labelled `label` is to run (`--only`).
    fn wants(&self, label: &str) -> bool {
        self.only.as_ref().is_none_or(|o| label.contains(o.as_str()))
    }

    /// Whether any measurement of a part whose labels start with `prefix` is to run.
    fn wants_part(&self, prefix: &str) -> bool {
        self.only.as_ref().is_none_or(|o| o.starts_with(prefix) || prefix.contains(o.as_str()))
    }
}

fn options(args: &[String]) -> Result<Options, String> {
    let smoke = args.iter().any(|a| a == "--smoke") || std::env::var("BENCH_SMOKE").is_ok_and(|v| v == "1");
    let value = |flag: &str| -> Result<Option<u64>, String> {
        match args.iter().position(|a| a == flag) {
            Some(i) => {
                args.get(i + 1).and_then(|v| v.parse().ok()).map(Some).ok_or_else(|| format!("{flag} needs a number"))
            }
            None => Ok(None),
        }
    };
    Ok(Options {
        smoke,
        duration: Duration::from_secs(value("--duration")?.unwrap_or(if smoke { 1 } else { 10 })),
        subscribers: value("--subscribers")?.unwrap_or(if smoke { 20 } else { 10_000 }) as usize,
        rows: value("--rows")?.unwrap_or(if smoke { 1_000 } else { 100_000 }) as usize,
        only: args
            .iter()
            .position(|a| a == "--only")
            .map(|i| args.get(i + 1).cloned().ok_or("--only needs a label"))
            .transpose()?,
    })
}

/// Where things are: the repository, and the binaries next to this one (same target dir and profile).
struct Paths {
    root: PathBuf,
    bin_dir: PathBuf,
    target: PathBuf,
    release: bool,
    scratch: tempfile::TempDir,
}

fn paths() -> Result<Paths, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin_dir = exe.parent().ok_or("no exe dir")?.to_owned();
    let target = bin_dir.parent().ok_or("no target dir")?.to_owned();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().map_err(|e| e.to_string())?;
    let scratch = tempfile::Builder::new().prefix("pbgen-bench").tempdir().map_err(|e| e.to_string())?;
    Ok(Paths { root, release: bin_dir.ends_with("release"), bin_dir, target, scratch })
}

/// Lets the realtime fan-out hold 10,000 sockets on each side (the servers inherit the limit).
fn raise_open_files_limit() {
    // SAFETY: getrlimit/setrlimit only read and write the struct passed to them.
    unsafe {
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// Starts a server three times (the start-up time is the median) and keeps the last one running.
fn start(launch: &Launch) -> Result<(Server, Duration), String> {
    let mut times = Vec::new();
    for _ in 0..2 {
        let s = launch.start()?;
        times.push(s.startup);
        s.stop();
    }
    let s = launch.start()?;
    times.push(s.startup);
    times.sort();
    Ok((s, times[1]))
}

fn token(server: &Server, collection: &str, email: &str) -> Result<String, String> {
    let body = serde_json::json!({"identity": email, "password": fixture::PASSWORD}).to_string();
    let path = format!("/api/collections/{collection}/auth-with-password");
    let r = http::expect_ok(
        &format!("{} sign-in", server.name),
        http::request(server.port, "POST", &path, &[], Some(&body)),
    )?;
    r.json()["token"].as_str().map(str::to_owned).ok_or_else(|| format!("{}: no token in {path}", server.name))
}

/// One scenario per server: checked once (it must answer 2xx), then loaded with wrk.
struct Scenario {
    name: String,
    ours: Load,
    theirs: Load,
}

fn check(server: &Server, load: &Load) -> Result<(), String> {
    let body = load.body.as_ref().map(|b| b.replace("{n}", "check").replace("{i}", "1"));
    let headers: Vec<(&str, &str)> = load.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let what = format!("{} {} {}", server.name, load.method, load.paths[0]);
    http::expect_ok(&what, http::request(server.port, load.method, &load.paths[0], &headers, body.as_deref())).map(drop)
}

fn run_pair(
    opts: &Options,
    p: &Paths,
    report: &mut Report,
    ours: &Server,
    pb: &Server,
    s: &Scenario,
) -> Result<(), String> {
    if !opts.wants(&s.name) {
        return Ok(());
    }
    check(ours, &s.ours)?;
    check(pb, &s.theirs)?;
    let nonce = |who: &str| format!("{who}{}", report.rows.len());
    let o = wrk::run(&s.ours, ours.port, opts.duration, p.scratch.path(), &nonce("o"))?;
    let t = wrk::run(&s.theirs, pb.port, opts.duration, p.scratch.path(), &nonce("p"))?;
    eprintln!("  {:<34} ours {:>9.0}/s  pocketbase {:>8.0}/s", s.name, o.rps, t.rps);
    report.rows.push(Row { name: s.name.clone(), ours: o, theirs: Some(t) });
    Ok(())
}

fn blog_scenarios(blog: &fixture::Blog, ours_token: &str, pb_token: &str) -> Vec<Scenario> {
    let records = "/api/collections/posts/records";
    let both = |name: &str, load: Load| Scenario { name: name.into(), ours: load.clone(), theirs: load };
    let authed = |name: &str, load: Load| Scenario {
        name: name.into(),
        ours: load.clone().auth(ours_token),
        theirs: load.auth(pb_token),
    };
    let post_body = format!(
        r#"{{"title":"Bench post {{n}}","slug":"bench-{{n}}","status":"live","published":true,"author":"{}","body":"<p>Written by the benchmark.</p>","categories":["tech"]}}"#,
        blog.user_id
    );
    let write = |method, paths: Vec<String>, body: String| Load {
        method,
        paths,
        headers: Vec::new(),
        body: Some(body),
        connections: 64,
    };
    vec![
        both("view one record", Load::get(blog.public_posts.iter().map(|id| format!("{records}/{id}")).collect())),
        both("list perPage=30 (with total)", Load::get(vec![format!("{records}?perPage=30")])),
        both("list perPage=30 skipTotal", Load::get(vec![format!("{records}?perPage=30&skipTotal=1")])),
        // The count cache (runtime/src/store/counts.rs) answers repeated lists; here no list repeats within
        // the cache's life, so every request counts, as after a write.
        both(
            "list perPage=30 (with total), new filter each request",
            Load::get((0..20_000).map(|k| format!("{records}?perPage=30&filter=views%3E%3D{k}")).collect()),
        ),
        both(
            "list filter + sort",
            Load::get(vec![format!(
                "{records}?perPage=30&filter=%28status%3D%27live%27%20%26%26%20views%3E100%29&sort=-views%2Ccreated"
            )]),
        ),
        authed(
            "list expand=author,tags (signed in)",
            Load::get(vec![format!("{records}?perPage=30&expand=author%2Ctags")]),
        ),
        authed("create (signed in)", write("POST", vec![records.into()], post_body)),
        authed(
            "update (signed in)",
            write(
                "PATCH",
                blog.user_posts.iter().map(|id| format!("{records}/{id}")).collect(),
                r#"{"views":{i},"title":"Edited {n}"}"#.into(),
            ),
        ),
        both(
            "auth-with-password (bcrypt)",
            write(
                "POST",
                vec!["/api/collections/users/auth-with-password".into()],
                format!(r#"{{"identity":"{}","password":"{}"}}"#, blog.user_email, fixture::PASSWORD),
            )
            .connections(8),
        ),
        authed(
            "auth-refresh",
            Load { method: "POST", ..Load::get(vec!["/api/collections/users/auth-refresh".into()]) },
        ),
    ]
}

fn fanout(opts: &Options, server: &Server, token: &str, user_id: &str, tag: &str) -> Result<realtime::Fanout, String> {
    let marker = format!("fanout-{tag}-{}", server.port);
    let body =
        serde_json::json!({"title": marker, "slug": marker, "status": "live", "published": true, "author": user_id})
            .to_string();
    let (port, token) = (server.port, token.to_owned());
    let f = realtime::fanout(port, opts.subscribers, "posts/*", &marker, move || {
        let headers = [("Authorization", token.as_str())];
        http::expect_ok(
            "fan-out write",
            http::request(port, "POST", "/api/collections/posts/records", &headers, Some(&body)),
        )
        .map(drop)
    })?;
    if f.received < f.subscribers {
        return Err(format!("{}: only {} of {} subscribers got the event", server.name, f.received, f.subscribers));
    }
    Ok(f)
}

fn blog_part(opts: &Options, p: &Paths, report: &mut Report) -> Result<(), String> {
    let pb_bin = servers::pocketbase_binary();
    let size = if opts.smoke {
        fixture::BlogSize { users: 10, posts: 200, comments: 200 }
    } else {
        fixture::BlogSize { users: 200, posts: 5_000, comments: 5_000 }
    };
    eprintln!("seeding the blog ({} posts) ...", size.posts);
    let blog = fixture::blog(&p.root, &pb_bin.display().to_string(), &p.scratch.path().join("blog-ref"), &size)?;
    report
        .notes
        .push(format!("blog data: {} users, {} posts, {} comments, 20 tags", size.users, size.posts, size.comments));
    let (ours_dir, pb_dir, ceil_dir) =
        (p.scratch.path().join("blog-ours"), p.scratch.path().join("blog-pb"), p.scratch.path().join("blog-ceiling"));
    for d in [&ours_dir, &pb_dir, &ceil_dir] {
        servers::copy_dir(&blog.pb_data, &d.join("pb_data")).map_err(|e| e.to_string())?;
    }
    let ceiling_launch = Launch {
        name: "ceiling",
        program: std::env::current_exe().map_err(|e| e.to_string())?,
        args: Box::new({
            let db = ceil_dir.join("pb_data/data.db");
            move |port| {
                vec![
                    "ceiling".into(),
                    "--http".into(),
                    format!("127.0.0.1:{port}"),
                    "--db".into(),
                    db.display().to_string(),
                ]
            }
        }),
        cwd: ceil_dir.clone(),
        health: "/api/health",
    };
    let (ours, ours_start) = start(&servers::ours("ours", &p.bin_dir.join("blog-app"), &ours_dir))?;
    let (pb, pb_start) = start(&servers::pocketbase(&pb_bin, &pb_dir))?;
    report.startup = Some((ours_start, pb_start));
    std::thread::sleep(Duration::from_secs(if opts.smoke { 1 } else { 3 }));
    report.idle = Some((ours.rss_kib().0, pb.rss_kib().0));

    // The ceiling first, alone on the machine like every other measurement.
    if opts.wants("ceiling") {
        let ceiling = ceiling_launch.start()?;
        let ceiling_load = Load::get(blog.public_posts.iter().map(|id| format!("/row/{id}")).collect());
        check(&ceiling, &ceiling_load)?;
        let c = wrk::run(&ceiling_load, ceiling.port, opts.duration, p.scratch.path(), "ceiling")?;
        eprintln!("  {:<34} {:>9.0}/s", "ceiling (bare axum + one row)", c.rps);
        report.ceiling = Some(c);
    }

    let ours_token = token(&ours, "users", &blog.user_email)?;
    let pb_token = token(&pb, "users", &blog.user_email)?;
    for s in blog_scenarios(&blog, &ours_token, &pb_token) {
        run_pair(opts, p, report, &ours, &pb, &s)?;
    }
    report.loaded = Some((ours.rss_kib().1, pb.rss_kib().1));
    if !opts.wants("realtime fan-out") {
        return Ok(());
    }

    eprintln!("realtime fan-out to {} subscribers ...", opts.subscribers);
    let fo = fanout(opts, &ours, &ours_token, &blog.user_id, "o")?;
    report.fanout_rss = Some((ours.rss_kib().0, 0));
    drop(ours);
    let ft = fanout(opts, &pb, &pb_token, &blog.user_id, "p")?;
    if let Some(r) = report.fanout_rss.as_mut() {
        r.1 = pb.rss_kib().0;
    }
    report.fanout = Some((fo, ft));
    Ok(())
}

fn pb_schema_part(opts: &Options, p: &Paths, tools: &gen_speed::Tools, report: &mut Report) -> Result<(), String> {
    let schema = p.root.join("../shared/corpus/pocketbase__benchmarks__schema.json");
    if !schema.exists() {
        return Err(format!("{} is missing (the shared corpus beside the repository)", schema.display()));
    }
    let ws = tools.scratch_workspace()?;
    tools.generate(&schema, &ws.join("crates/pb_benchmarks"), "pb_benchmarks")?;
    eprintln!("building the generated crate for PocketBase's benchmark schema ...");
    let (_, bin) = tools.build(&ws, "pb_benchmarks")?;
    let pb_bin = servers::pocketbase_binary();
    eprintln!("seeding PocketBase's benchmark schema ({} + {} rows) ...", opts.rows / 10, opts.rows);
    let data = fixture::pb_benchmarks(
        &p.root,
        &pb_bin.display().to_string(),
        &schema,
        &p.scratch.path().join("pbb-ref"),
        opts.rows,
    )?;
    let (ours_dir, pb_dir) = (p.scratch.path().join("pbb-ours"), p.scratch.path().join("pbb-pb"));
    for d in [&ours_dir, &pb_dir] {
        servers::copy_dir(&data, &d.join("pb_data")).map_err(|e| e.to_string())?;
    }
    let ours = servers::ours("ours-pbb", &bin, &ours_dir).start()?;
    let pb = servers::pocketbase(&pb_bin, &pb_dir).start()?;
    // The tables keep the schema's names (`posts10k`, `posts100k`); the labels say how many rows they hold.
    let (small, big) = (format!("posts10k, {}", short(opts.rows / 10)), format!("posts100k, {}", short(opts.rows)));
    let list = |table: &str| format!("/api/collections/{table}/records?perPage=20");
    let both = |name: String, load: Load| Scenario { name, ours: load.clone(), theirs: load };
    let body =
        r#"{"title":"Bench {n}","description":"<p>new</p>","public":true,"type":["a"],"author":"u00000000000000"}"#;
    let scenarios = vec![
        both(format!("bench schema: list {small} (total)"), Load::get(vec![list("posts10k")])),
        both(format!("bench schema: list {small} skipTotal"), Load::get(vec![list("posts10k") + "&skipTotal=1"])),
        both(format!("bench schema: list {big} (total)"), Load::get(vec![list("posts100k")])),
        both(format!("bench schema: list {big} skipTotal"), Load::get(vec![list("posts100k") + "&skipTotal=1"])),
        both(
            format!("bench schema: view {big}"),
            Load::get(
                (0..100).map(|i| format!("/api/collections/posts100k/records/r{:014}", i * 7 % opts.rows)).collect(),
            ),
        ),
        both(
            format!("bench schema: create {big}"),
            Load {
                method: "POST",
                body: Some(body.into()),
                ..Load::get(vec!["/api/collections/posts100k/records".into()])
            },
        ),
    ];
    for s in &scenarios {
        run_pair(opts, p, report, &ours, &pb, s)?;
    }
    Ok(())
}

fn short(n: usize) -> String {
    if n >= 1000 && n.is_multiple_of(1000) { format!("{}k rows", n / 1000) } else { format!("{n} rows") }
}

fn generator_part(opts: &Options, tools: &gen_speed::Tools, p: &Paths, report: &mut Report) -> Result<(), String> {
    let out = p.scratch.path().join("gen");
    let median = |f: &dyn Fn() -> Result<Duration, String>| -> Result<Duration, String> {
        let mut t = [f()?, f()?, f()?];
        t.sort();
        Ok(t[1])
    };
    let blog_schema = p.root.join("schemas/blog.json");
    let blog_collections = read_json(&blog_schema)?.as_array().map_or(0, Vec::len);
    let t = median(&|| tools.generate(&blog_schema, &out.join("blog"), "blog_gen"))?;
    report.generator.push((format!("gen, blog schema ({blog_collections} collections)"), t));
    let sizes: &[usize] = if opts.smoke { &[50] } else { &[50, 200, 500] };
    for &n in sizes {
        let path = p.scratch.path().join(format!("synthetic{n}.json"));
        std::fs::write(&path, gen_speed::synthetic_schema(n).to_string()).map_err(|e| e.to_string())?;
        let t = median(&|| tools.generate(&path, &out.join(format!("s{n}")), &format!("synthetic{n}")))?;
        report.generator.push((format!("gen, synthetic schema ({n} collections)"), t));
    }

    // A one-field edit: generate, build, add a field, generate again, time the rebuild.
    let ws = tools.scratch_workspace()?;
    let blog = read_json(&blog_schema)?;
    let edited = p.scratch.path().join("blog-edited.json");
    let crate_dir = ws.join("crates/blog_edit");
    std::fs::write(&edited, gen_speed::with_extra_field(&blog, "posts", "benchFieldA").to_string())
        .map_err(|e| e.to_string())?;
    tools.generate(&edited, &crate_dir, "blog_edit")?;
    eprintln!("building a generated blog crate, then again after a one-field edit ...");
    tools.build(&ws, "blog_edit")?;
    std::fs::write(&edited, gen_speed::with_extra_field(&blog, "posts", "benchFieldB").to_string())
        .map_err(|e| e.to_string())?;
    let g = tools.generate(&edited, &crate_dir, "blog_edit")?;
    let (b, _) = tools.build(&ws, "blog_edit")?;
    let profile = if tools.release { "release" } else { "dev" };
    report.generator.push((format!("one-field edit: gen + incremental `cargo build` ({profile} profile)"), g + b));
    Ok(())
}

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn bench(args: &[String]) -> Result<(), String> {
    let opts = options(args)?;
    let p = paths()?;
    raise_open_files_limit();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut report = Report::new(cores, opts.smoke, opts.duration, opts.subscribers);
    let tools = gen_speed::Tools {
        root: p.root.clone(),
        target: p.target.clone(),
        gen_bin: p.bin_dir.join("gen"),
        release: p.release,
    };
    blog_part(&opts, &p, &mut report)?;
    if opts.wants_part("bench schema") {
        pb_schema_part(&opts, &p, &tools, &mut report)?;
    }
    if opts.wants_part("gen") {
        generator_part(&opts, &tools, &p, &mut report)?;
    }
    let table = report.render();
    println!("{table}");
    let results = p.root.join("examples/bench/results");
    std::fs::create_dir_all(&results).map_err(|e| e.to_string())?;
    let file = results.join(match (opts.smoke, &opts.only) {
        (true, _) => "smoke.md",
        (false, None) => "latest.md",
        (false, Some(_)) => "partial.md",
    });
    std::fs::write(&file, &table).map_err(|e| e.to_string())?;
    eprintln!("written to {}", file.display());
    if let Some(bad) = report.rows.iter().find(|r| r.ours.errors > 0 || r.theirs.is_some_and(|t| t.errors > 0)) {
        return Err(format!("scenario {:?} had failed requests (see the table)", bad.name));
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if args.first().map(String::as_str) == Some("ceiling") {
        let get = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
        match (get("--http"), get("--db")) {
            (Some(addr), Some(db)) => ceiling::serve(&addr, db.into()),
            _ => Err("usage: pbgen-bench ceiling --http ADDR --db FILE".into()),
        }
    } else {
        bench(&args)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

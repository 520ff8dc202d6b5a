//! `schemas/teams.json` for the tests that need a manageRule, back-relations through a composite unique
//! index and the like: its seeded reference database, and our server for it, served in-process from the
//! generated `teams` crate. Included with `#[path = "support/teams.rs"] mod teams_support;`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{self, Seeded};

/// Our server for a generated crate other than blog: served in-process on a thread of its own (a test can
/// run only its own package's binaries), on a copy of `pb_data` in `parent/pb_data`.
pub fn serve_in_process(app: &'static pbgen_runtime::codegen::App, pb_data: &Path, parent: &Path) -> u16 {
    support::copy_dir(pb_data, &parent.join("pb_data"));
    let port = support::free_port();
    let dir = parent.join("pb_data");
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        if let Err(e) = rt.block_on(pbgen_runtime::codegen::Server::new(app).serve(addr, dir)) {
            panic!("in-process server: {e}");
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while !support::request(port, "GET", "/api/health", &[], None).is_ok_and(|r| r.status == 200) {
        assert!(Instant::now() < deadline, "the in-process server did not start on port {port}");
        std::thread::sleep(Duration::from_millis(25));
    }
    port
}

pub mod ids {
    pub const ANN: &str = "mann00000000001";
    pub const BEN: &str = "mben00000000002";
    pub const CID: &str = "mcid00000000003";
    pub const DEE: &str = "mdee00000000004";
    pub const T1: &str = "tann00000000001";
    pub const T2: &str = "tben00000000002";
    pub const T3: &str = "tcid00000000003";
    pub const M1: &str = "ms0000000000001";
    pub const M2: &str = "ms0000000000002";
    pub const M3: &str = "ms0000000000003";
    pub const M4: &str = "ms0000000000004";
    pub const M5: &str = "ms0000000000005";
    pub const M6: &str = "ms0000000000006";
    pub const P1: &str = "pr0000000000001";
    pub const P2: &str = "pr0000000000002";
    pub const P3: &str = "pr0000000000003";
    pub const P4: &str = "pr0000000000004";
    pub const K1: &str = "tk0000000000001";
    pub const K2: &str = "tk0000000000002";
    pub const K3: &str = "tk0000000000003";
    pub const K4: &str = "tk0000000000004";
    pub const K5: &str = "tk0000000000005";
    pub const K6: &str = "tk0000000000006";
}

/// `schemas/teams.json`'s reference database, seeded. Ann supervises Ben and Cid (the members manageRule),
/// Ben supervises Dee; Dee is not verified (the authRule refuses her).
pub fn fixture(out: &Path) -> (PathBuf, Seeded) {
    use ids::*;
    use support::{PASSWORD_HASH, seed};
    let pb_data = support::make_reference_db(&support::workspace_root().join("schemas/teams.json"), out);
    let conn = rusqlite::Connection::open(pb_data.join("data.db")).expect("open the reference data.db");
    let mut s = Seeded::default();
    let date = |n: u32| format!("2024-02-{:02} 10:00:00.000Z", n + 1);
    let token = |n: u32| format!("teamskey{n:02}abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN");
    seed(
        &conn,
        &mut s,
        "_superusers",
        &[json!({"id": support::ids::SUPERUSER, "email": "admin@example.com", "emailVisibility": false,
            "verified": true, "password": PASSWORD_HASH, "tokenKey": token(0), "created": date(0), "updated": date(0)})],
    );
    let member = |id: &str, name: &str, vis: bool, verified: bool, supervisor: &str, n: u32| {
        json!({"id": id, "email": format!("{}@example.com", name.to_lowercase()), "emailVisibility": vis,
            "verified": verified, "name": name, "bio": format!("{name}'s bio"), "secretNote": format!("{name} secret"),
            "supervisor": supervisor, "password": PASSWORD_HASH, "tokenKey": token(n), "created": date(n),
            "updated": date(n)})
    };
    seed(
        &conn,
        &mut s,
        "members",
        &[
            member(ANN, "Ann", false, true, "", 1),
            member(BEN, "Ben", true, true, ANN, 2),
            member(CID, "Cid", false, true, ANN, 3),
            member(DEE, "Dee", false, false, BEN, 4),
        ],
    );
    let team = |id: &str, name: &str, owner: &str, private: bool, n: u32| json!({"id": id, "name": name, "owner": owner, "private": private, "created": date(n), "updated": date(n)});
    seed(
        &conn,
        &mut s,
        "teams",
        &[
            team(T1, "Ann's team", ANN, true, 5),
            team(T2, "Ben's team", BEN, false, 6),
            team(T3, "Cid's team", CID, true, 7),
        ],
    );
    let ms = |id: &str, team: &str, user: &str, role: &str, n: u32| json!({"id": id, "team": team, "user": user, "role": role, "created": date(n), "updated": date(n)});
    seed(
        &conn,
        &mut s,
        "memberships",
        &[
            ms(M1, T1, ANN, "admin", 8),
            ms(M2, T1, BEN, "viewer", 9),
            ms(M3, T2, BEN, "admin", 10),
            ms(M4, T2, CID, "editor", 11),
            ms(M5, T3, DEE, "editor", 12),
            ms(M6, T2, ANN, "viewer", 13),
        ],
    );
    let project = |id: &str, team: &str, name: &str, labels: Value, archived: bool, reviewers: Value, n: u32| {
        json!({"id": id, "team": team, "name": name, "labels": labels, "archived": archived, "reviewers": reviewers,
            "created": date(n), "updated": date(n)})
    };
    seed(
        &conn,
        &mut s,
        "projects",
        &[
            project(P1, T1, "Apollo", json!(["red", "green"]), false, json!([CID]), 14),
            project(P2, T2, "Gemini", json!(["blue"]), false, json!([]), 15),
            project(P3, T2, "Mercury", json!(["red", "green", "blue"]), true, json!([ANN, DEE]), 16),
            project(P4, T3, "Secret", json!([]), false, json!([BEN]), 17),
        ],
    );
    let task = |id: &str, project: &str, title: &str, assignee: &str, done: bool, estimate: f64, n: u32| {
        json!({"id": id, "project": project, "title": title, "assignee": assignee, "done": done,
            "estimate": estimate, "created": date(n), "updated": date(n)})
    };
    seed(
        &conn,
        &mut s,
        "tasks",
        &[
            task(K1, P1, "Design", ANN, false, 3.0, 18),
            task(K2, P1, "Build", BEN, false, 5.5, 19),
            task(K3, P2, "Test", CID, true, 2.0, 20),
            task(K4, P3, "Ship", "", false, 8.0, 21),
            task(K5, P4, "Hide", DEE, false, 1.0, 22),
            task(K6, P4, "Review", BEN, true, 0.0, 23),
        ],
    );
    drop(conn);
    (pb_data, s)
}

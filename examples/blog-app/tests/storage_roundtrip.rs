//! Storage compatibility, the direction the differential test does not cover: records (and files) our
//! server writes are read back identically by the real PocketBase from the same data directory.

mod support;

use serde_json::{Value, json};
use support::{PASSWORD, blog_fixture, spawn_ours, wait_healthy};

/// A small but real PNG (2x2 pixels).
fn png() -> Vec<u8> {
    let hex = "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73000000164944415478da63f8cfc0f09f81e13f03c37f06000dfe03fd8f09a4d40000000049454e44ae426082";
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

fn multipart(fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "pbgen-roundtrip-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    let (field, name, content) = file;
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(content);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[test]
fn records_and_files_written_by_us_read_back_in_pocketbase() {
    let tmp = tempfile::tempdir().unwrap();
    let (pb_data, _) = blog_fixture(&tmp.path().join("fixture"));
    let parent = tmp.path().join("shared");
    let mut ours = spawn_ours(&pb_data, &parent);
    wait_healthy(&mut [&mut ours]);

    let (content_type, body) = multipart(
        &[
            ("email", "roundtrip@example.com"),
            ("emailVisibility", "true"),
            ("password", "12345678"),
            ("passwordConfirm", "12345678"),
            ("name", "Round Trip"),
            ("role", "author"),
        ],
        ("avatar", "Round Trip.png", &png()),
    );
    let created =
        ours.request("POST", "/api/collections/users/records", &[("Content-Type", content_type.as_str())], Some(&body));
    assert_eq!(created.status, 200, "{}", String::from_utf8_lossy(&created.body));
    let ours_record = created.json();
    let id = ours_record["id"].as_str().unwrap().to_owned();
    let avatar = ours_record["avatar"].as_str().unwrap().to_owned();
    assert!(avatar.starts_with("round_trip_") && avatar.ends_with(".png"), "{avatar}");
    drop(ours);

    // The same directory, now served by PocketBase.
    let mut pocketbase = support::start_pocketbase(&parent);
    wait_healthy(&mut [&mut pocketbase]);
    let auth = pocketbase.request(
        "POST",
        "/api/collections/_superusers/auth-with-password",
        &[("Content-Type", "application/json")],
        Some(json!({ "identity": "admin@example.com", "password": PASSWORD }).to_string().as_bytes()),
    );
    assert_eq!(auth.status, 200, "{}", String::from_utf8_lossy(&auth.body));
    let token = auth.json()["token"].as_str().unwrap().to_owned();
    let read =
        pocketbase.request("GET", &format!("/api/collections/users/records/{id}"), &[("Authorization", &token)], None);
    assert_eq!(read.status, 200, "{}", String::from_utf8_lossy(&read.body));
    let theirs: Value = read.json();
    // Every key our server returned reads back the same in PocketBase (a superuser also sees more).
    for (key, value) in ours_record.as_object().unwrap() {
        assert_eq!(theirs.get(key), Some(value), "`{key}` as PocketBase reads it");
    }
    // PocketBase accepts the password we hashed.
    let login = pocketbase.request(
        "POST",
        "/api/collections/users/auth-with-password",
        &[("Content-Type", "application/json")],
        Some(json!({ "identity": "roundtrip@example.com", "password": "12345678" }).to_string().as_bytes()),
    );
    assert_eq!(login.status, 200, "{}", String::from_utf8_lossy(&login.body));
    // …and serves the file we stored, with the type we recorded.
    let file = pocketbase.get(&format!("/api/files/users/{id}/{avatar}"));
    assert_eq!(file.status, 200);
    assert_eq!(file.header("content-type"), Some("image/png"));
    assert_eq!(file.body, png());
}

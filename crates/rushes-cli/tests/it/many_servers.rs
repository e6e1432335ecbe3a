//! Many users on one PostgreSQL library (issue 22): two `rushes serve` processes against one
//! database stand for two machines. Entries added to one collection through both at once,
//! from several connections each, are all kept in one order both servers show; a tag, a
//! rename and a removal made on one are seen on the other at its next request.

use std::collections::BTreeSet;

use rushes_core::AssetId;
use serde_json::Value;

use crate::postgres::{CLIP, crane_library, get, send, serve};

/// The status line's code and the body of an answer.
fn answer(response: Option<String>) -> (u16, Value) {
    let response = response.expect("an answer");
    let code = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("");
    (code, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// `method path` with `body` as JSON (none for `Value::Null`), as a script on the same
/// machine sends it.
fn request(port: u16, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let head =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    let whole = match body {
        Value::Null => format!("{head}\r\n"),
        body => {
            let body = body.to_string();
            format!(
                "{head}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
        }
    };
    answer(send(port, &whole))
}

/// The ids of a collection's entries, in order, as `port`'s server lists them.
fn entries(port: u16, name: &str) -> Vec<i64> {
    let (code, page) = answer(get(port, &format!("/api/collections/{name}")));
    assert_eq!(code, 200, "{page}");
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["id"].as_i64())
        .collect()
}

#[test]
fn two_servers_editing_one_collection_lose_nothing_and_see_each_others_edits() {
    let url = crane_library();
    let clip = AssetId::from_path(std::path::Path::new(CLIP)).to_string();
    let (_one, first, _first_cache) = serve(&url);
    let (_other, second, _second_cache) = serve(&url);

    // Both servers add to one collection at once, three connections each.
    const CONNECTIONS_PER_SERVER: usize = 3;
    const ADDS_PER_CONNECTION: usize = 10;
    let asset = clip.as_str();
    let added: Vec<i64> = std::thread::scope(|scope| {
        let adders: Vec<_> = [first, second]
            .into_iter()
            .flat_map(|port| (0..CONNECTIONS_PER_SERVER).map(move |n| (port, n)))
            .enumerate()
            .map(|(thread, (port, _))| {
                scope.spawn(move || {
                    (0..ADDS_PER_CONNECTION)
                        .map(|n| {
                            let start = (thread * ADDS_PER_CONNECTION + n) as f64 * 0.25;
                            let entry = serde_json::json!(
                                {"asset": asset, "start": start, "end": start + 0.2}
                            );
                            let (code, item) =
                                request(port, "POST", "/api/collections/selects/items", &entry);
                            assert_eq!(code, 201, "{item}");
                            item["id"].as_i64().expect("an entry id")
                        })
                        .collect::<Vec<i64>>()
                })
            })
            .collect();
        adders
            .into_iter()
            .flat_map(|adder| adder.join().expect("an adder thread"))
            .collect()
    });
    let total = 2 * CONNECTIONS_PER_SERVER * ADDS_PER_CONNECTION;
    let distinct: BTreeSet<i64> = added.iter().copied().collect();
    assert_eq!(distinct.len(), total, "every add made its own entry");
    let listed = entries(first, "selects");
    assert_eq!(listed.len(), total, "nothing lost");
    assert_eq!(listed.iter().copied().collect::<BTreeSet<_>>(), distinct);
    assert_eq!(entries(second, "selects"), listed, "one order on both");

    // What one changes, the other shows at its next request.
    let (code, page) = request(
        first,
        "PATCH",
        "/api/collections/selects",
        &serde_json::json!({"name": "EPK"}),
    );
    assert_eq!(code, 200, "{page}");
    assert_eq!(entries(second, "EPK"), listed);
    let (code, _) = request(
        second,
        "DELETE",
        &format!("/api/collections/EPK/items/{}", listed[0]),
        &Value::Null,
    );
    assert_eq!(code, 204);
    assert_eq!(entries(first, "EPK"), listed[1..]);
    let (code, tagged) = request(
        second,
        "POST",
        &format!("/api/assets/{clip}/annotations"),
        &serde_json::json!({"start": 10.0, "end": 12.0, "add": ["keeper"]}),
    );
    assert_eq!(code, 200, "{tagged}");
    let (code, page) = answer(get(first, "/api/search?q=tag:keeper"));
    assert_eq!(code, 200, "{page}");
    let hits = page["hits"].as_array().expect("hits");
    assert!(
        !hits.is_empty() && hits.iter().all(|hit| hit["start"] == 10.0),
        "{page}"
    );
}

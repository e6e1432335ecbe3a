//! Index workers on a PostgreSQL library (issue 22): `rushes index --queue-only` queues the
//! footage, one worker is killed while it holds a file, three more work the queue in
//! parallel; every file ends up indexed once, with the moments a local index of the same
//! footage has (and the same first hits for a few searches), the killed worker's file taken
//! over after its lease; a second `rushes index` skips what is indexed and unchanged.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rushes_store::{Index, OpenMode};
use rushes_testkit::postgres::shared_server;

use crate::footage::{copy_tree, footage, hits_of, json, ok, repo_root, rushes};

/// Only the cheap stages: the queue is what is tested, not the models.
const CHEAP: [&str; 5] = [
    "--no-ocr",
    "--no-captions",
    "--no-speech",
    "--no-semantic",
    "--no-visual",
];

fn worker(url: &str, machine: &str, exit_when_idle: bool) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rushes"));
    command
        .args([
            "worker",
            "--index",
            url,
            "--machine",
            machine,
            "--lease",
            "3",
        ])
        .args(CHEAP)
        .env_remove("RUSHES_INDEX")
        .env("RUSHES_MODELS", repo_root().join("models"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if exit_when_idle {
        command.arg("--exit-when-idle");
    }
    command.spawn().expect("start a worker")
}

/// (file relative to the shoot, start ms, end ms) of every moment.
type Moments = BTreeSet<(String, i64, i64)>;

fn relative(path: &str, shoot: &Path) -> String {
    path.strip_prefix(shoot.to_str().expect("utf-8"))
        .unwrap_or(path)
        .to_string()
}

fn millis(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

/// When each asset was written, by id.
fn indexed_times(client: &mut rushes_postgres::Client) -> Vec<i64> {
    client
        .query("SELECT indexed_at FROM assets ORDER BY id", &[])
        .expect("indexed_at")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[test]
fn workers_in_parallel_and_one_killed_index_every_file_once() {
    let temp = tempfile::tempdir().expect("temp dir");
    let shoot = temp.path().join("shoot");
    for part in ["day1", "day2", "stills", "bad"] {
        copy_tree(&footage().join(part), &shoot.join(part));
    }
    let shoot_arg = shoot.to_str().expect("utf-8");
    let url = shared_server()
        .expect("PostgreSQL for tests")
        .fresh_database()
        .expect("a fresh database");
    let mut client = rushes_postgres::open(&url).expect("connect");

    let queued = ok(&[
        &["index", shoot_arg, "--index", &url, "--queue-only"][..],
        &CHEAP[..],
    ]
    .concat());
    let said = String::from_utf8_lossy(&queued.stderr).to_string();
    let jobs: i64 = client
        .query_one(
            "SELECT count(*) FROM index_jobs WHERE state = 'queued'",
            &[],
        )
        .expect("count jobs")
        .get(0);
    assert!(jobs >= 6, "every media file queued: {said}");
    assert!(said.contains(&format!("{jobs} queued")), "{said}");

    // One worker is killed while it holds a file.
    let mut doomed = worker(&url, "doomed", false);
    let started = Instant::now();
    let held_job: i64 = loop {
        let row = client
            .query_opt(
                "SELECT id FROM index_jobs WHERE state = 'claimed' AND worker LIKE 'doomed:%'",
                &[],
            )
            .expect("look for the doomed worker's claim");
        if let Some(row) = row {
            break row.get(0);
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the doomed worker never claimed a file"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    doomed.kill().expect("kill the worker");
    doomed.wait().expect("reap the worker");

    let workers: Vec<Child> = (0..3)
        .map(|n| worker(&url, &format!("machine-{n}"), true))
        .collect();
    for child in workers {
        let output = child.wait_with_output().expect("a worker ends");
        assert!(
            output.status.success(),
            "worker failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let states: Vec<(String, i64)> = client
        .query(
            "SELECT state, count(*) FROM index_jobs GROUP BY 1 ORDER BY 1",
            &[],
        )
        .expect("job states")
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    // Two of the three bad files fail the walk (recorded then, never queued), one its job.
    let failed_jobs = states
        .iter()
        .find(|(state, _)| state == "failed")
        .map_or(0, |(_, count)| *count);
    assert_eq!(
        states,
        vec![
            ("done".to_string(), jobs - failed_jobs),
            ("failed".to_string(), failed_jobs)
        ],
        "every job finished; the bad files failed"
    );
    assert!(failed_jobs >= 1, "{states:?}");
    let taken_over = client
        .query_one(
            "SELECT state, attempts FROM index_jobs WHERE id = $1",
            &[&held_job],
        )
        .expect("the killed worker's job");
    assert!(
        taken_over.get::<_, i32>(1) >= 2,
        "the killed worker's file was claimed again after its lease"
    );
    let reasons: i64 = client
        .query_one("SELECT count(*) FROM failures WHERE reason <> ''", &[])
        .expect("failures")
        .get(0);
    assert_eq!(reasons, 3, "each bad file recorded with its reason");
    let (assets, paths): (i64, i64) = {
        let row = client
            .query_one("SELECT count(*), count(DISTINCT path) FROM assets", &[])
            .expect("assets");
        (row.get(0), row.get(1))
    };
    let done = jobs - failed_jobs;
    assert_eq!((assets, paths), (done, done), "each file once");
    // `rushes status` on the library says where its queue stands.
    let status = ok(&["status", "--index", &url]);
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.contains(&format!(
            "queue: 0 queued, {done} done, {failed_jobs} failed"
        )),
        "{status}"
    );

    // The same moments as a local index of the same footage.
    let local = temp.path().join("local-index");
    ok(&[
        &[
            "index",
            shoot_arg,
            "--index",
            local.to_str().expect("utf-8"),
        ][..],
        &CHEAP[..],
    ]
    .concat());
    let index = Index::open(&local, OpenMode::ReadOnly).expect("open the local index");
    let mut local_moments = Moments::new();
    let mut local_ids = BTreeSet::new();
    for asset in index.assets().expect("local assets") {
        local_ids.insert(asset.id.to_string());
        let detail = index
            .asset_detail(&asset.id)
            .expect("asset detail")
            .expect("the asset");
        for moment in detail.moments {
            local_moments.insert((
                relative(&asset.path.to_string_lossy(), &shoot),
                millis(moment.start),
                millis(moment.end),
            ));
        }
    }
    let pg_moments: Moments = client
        .query(
            "SELECT a.display_path, m.start_time, m.end_time FROM moments m
             JOIN assets a ON a.id = m.asset_id",
            &[],
        )
        .expect("moments")
        .iter()
        .map(|row| {
            (
                relative(&row.get::<_, String>(0), &shoot),
                millis(row.get(1)),
                millis(row.get(2)),
            )
        })
        .collect();
    let moment_rows: i64 = client
        .query_one("SELECT count(*) FROM moments", &[])
        .expect("moments")
        .get(0);
    assert_eq!(moment_rows as usize, pg_moments.len(), "no moment twice");
    assert_eq!(pg_moments, local_moments);
    let pg_ids: BTreeSet<String> = client
        .query("SELECT id FROM assets", &[])
        .expect("ids")
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(pg_ids, local_ids, "the same asset ids as locally");
    // The same first hits, in the same order, for searches by file and folder name, kind
    // and a sidecar transcript's words.
    let first_hits = |index: &str, query: &str| -> Vec<(String, i64, i64)> {
        let response = json(&["search", query, "--index", index, "--json", "--limit", "3"]);
        hits_of(&response)
            .iter()
            .map(|hit| {
                (
                    relative(hit["asset"]["path"].as_str().unwrap_or_default(), &shoot),
                    millis(hit["start"].as_f64().unwrap_or(-1.0)),
                    millis(hit["end"].as_f64().unwrap_or(-1.0)),
                )
            })
            .collect()
    };
    let local_arg = local.to_str().expect("utf-8");
    for query in [
        "crowd",
        "A001 slate",
        "coffee dolly",
        "kind:image",
        "folder:day2",
    ] {
        let on_local = first_hits(local_arg, query);
        assert!(!on_local.is_empty(), "{query} finds something locally");
        assert_eq!(first_hits(&url, query), on_local, "{query}");
    }

    // A second run: nothing new is queued; a done file queued again is skipped unchanged.
    let indexed_at = indexed_times(&mut client);
    client
        .execute(
            "UPDATE index_jobs SET state = 'queued' WHERE id = (
                 SELECT min(id) FROM index_jobs WHERE state = 'done')",
            &[],
        )
        .expect("queue a done file again");
    let second = json(
        &[
            &["index", shoot_arg, "--index", &url, "--json"][..],
            &CHEAP[..],
        ]
        .concat(),
    );
    assert_eq!(second["indexed"], 0, "{second}");
    assert_eq!(second["skipped"], 1, "{second}");
    assert_eq!(
        second["failed"], failed_jobs,
        "failed files are tried again: {second}"
    );
    let after = indexed_times(&mut client);
    assert_eq!(after, indexed_at, "no asset written again");
}

#[test]
fn paths_maps_this_machines_prefix_and_refuses_a_relative_one() {
    let url = shared_server()
        .expect("PostgreSQL for tests")
        .fresh_database()
        .expect("a fresh database");
    let on = |machine: &str, args: &[&str]| -> Vec<String> {
        let tail: [&str; 4] = ["--index", &url, "--machine", machine];
        args.iter()
            .chain(&tail)
            .map(|arg| arg.to_string())
            .collect()
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        rushes(&args)
    };
    let stdout = |output: std::process::Output| String::from_utf8_lossy(&output.stdout).to_string();

    assert!(
        run(on("mac", &["paths", "set", "/Volumes/Footage/=/footage"]))
            .status
            .success()
    );
    assert_eq!(
        stdout(run(on("mac", &["paths", "list"]))),
        "/Volumes/Footage=/footage\n"
    );
    assert_eq!(
        stdout(run(on("linux", &["paths", "list"]))),
        "",
        "per machine"
    );

    let refused = run(on("mac", &["paths", "set", "footage=/footage"]));
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("absolute"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(
        run(on("mac", &["paths", "remove", "/footage"]))
            .status
            .success()
    );
    assert_eq!(stdout(run(on("mac", &["paths", "list"]))), "");
    assert!(
        !run(on("mac", &["paths", "remove", "/footage"]))
            .status
            .success()
    );
}

/// Library paths of every asset, in order.
fn asset_paths(client: &mut rushes_postgres::Client) -> Vec<String> {
    client
        .query("SELECT path FROM assets ORDER BY path", &[])
        .expect("asset paths")
        .iter()
        .map(|row| String::from_utf8_lossy(row.get::<_, &[u8]>(0)).into_owned())
        .collect()
}

#[test]
fn a_file_deleted_from_disk_leaves_the_postgres_library_but_a_share_not_mounted_keeps_its_files() {
    let temp = tempfile::tempdir().expect("temp dir");
    let mnt = temp.path().join("mnt");
    let (shoot, other) = (mnt.join("shoot"), mnt.join("other"));
    copy_tree(&footage().join("day1"), &shoot.join("day1"));
    copy_tree(&footage().join("stills"), &shoot.join("stills"));
    copy_tree(&footage().join("day2"), &other.join("day2"));
    let url = shared_server()
        .expect("PostgreSQL for tests")
        .fresh_database()
        .expect("a fresh database");
    let utf8 = |path: &Path| path.to_str().expect("utf-8 temp path").to_string();
    // Two shares this machine mounts below mnt/, stored as /library/… in the library.
    for (local, library) in [(&shoot, "/library/shoot"), (&other, "/library/other")] {
        let mapping = format!("{}={library}", utf8(local));
        ok(&[
            "paths",
            "set",
            &mapping,
            "--index",
            &url,
            "--machine",
            "editor",
        ]);
    }
    let index = |extra: &[&str]| {
        let mnt = utf8(&mnt);
        let args = [
            &["index", &mnt, "--index", &url, "--machine", "editor"][..],
            &CHEAP[..],
            extra,
        ]
        .concat();
        ok(&args)
    };
    index(&[]);
    let mut client = rushes_postgres::connect(&url).expect("connect");
    let before = asset_paths(&mut client);
    let deleted = "/library/shoot/stills/football_break.jpg";
    assert!(before.iter().any(|path| path == deleted), "{before:?}");
    let others: Vec<&String> = before
        .iter()
        .filter(|path| path.starts_with("/library/other/"))
        .collect();
    assert!(!others.is_empty(), "{before:?}");

    // The other share is unmounted, and one still is deleted from the shoot.
    std::fs::rename(&other, temp.path().join("unmounted")).expect("unmount");
    let still = shoot.join("stills/football_break.jpg");
    std::fs::remove_file(&still).expect("delete a still");
    let output = index(&["--json"]);
    let said = String::from_utf8_lossy(&output.stderr).to_string();
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).expect("summary");
    assert_eq!(summary["removed"], 1, "{summary} {said}");
    assert!(
        said.contains(&format!("removed (file is gone): {}", utf8(&still))),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "note: {} is not on this machine (not mounted?): nothing below it was removed",
            utf8(&other)
        )),
        "{said}"
    );
    let after = asset_paths(&mut client);
    let expected: Vec<&String> = before.iter().filter(|path| *path != deleted).collect();
    assert_eq!(
        after.iter().collect::<Vec<_>>(),
        expected,
        "only the deleted still left"
    );
    let jobs: i64 = client
        .query_one(
            "SELECT count(*) FROM index_jobs WHERE path = $1",
            &[&deleted],
        )
        .expect("count jobs")
        .get(0);
    assert_eq!(jobs, 0, "the deleted file's job went with it");

    // Put back, the still is indexed again (its job was not left `done`).
    std::fs::copy(footage().join("stills/football_break.jpg"), &still).expect("restore");
    index(&[]);
    assert_eq!(asset_paths(&mut client), before);
}

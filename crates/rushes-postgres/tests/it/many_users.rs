//! Many users on one library: two `PgLibrary`s on one database stand for two `rushes serve`
//! machines. What one writes, the other reads on its next call; adds to one collection from
//! both at once, on several threads each, lose nothing and keep one order.

use std::collections::HashSet;
use std::thread;

use rushes_postgres::PgLibrary;
use rushes_store::seams::AssetWrites;
use rushes_store::{Library, TimeRange};
use rushes_testkit::TestError;
use rushes_testkit::postgres::shared_server;

use crate::corpus::library;

/// Two libraries (servers) on one fresh database holding the corpus.
fn two_servers() -> Result<(PgLibrary, PgLibrary, String), TestError> {
    let url = shared_server()?.fresh_database()?;
    let first = PgLibrary::open(&url)?;
    first.engine().put_assets(&library(), None)?;
    Ok((first, PgLibrary::open(&url)?, url))
}

#[test]
fn a_tag_a_note_a_collection_entry_and_a_name_made_on_one_server_are_seen_on_the_other()
-> Result<(), TestError> {
    let (one, other, _) = two_servers()?;
    let records = library();
    let (a001, interview) = (&records[0].asset.id, &records[2].asset.id);
    // The other server reads first, so its pooled connection is warm when the change lands.
    assert_eq!(other.user_tags(a001)?, Vec::<String>::new());
    assert!(other.collections()?.is_empty());
    one.add_hand_tags(a001, None, &["keeper".to_string()])?;
    one.set_note(interview, TimeRange::new(30.0, 45.0).ok(), "great answer")?;
    let item = one.add_to_collection("Selects", interview, TimeRange::new(30.0, 45.0).ok(), "")?;
    assert_eq!(other.user_tags(a001)?, ["keeper"]);
    assert_eq!(other.annotations(interview)?[0].note, "great answer");
    let seen = other.collection("Selects")?;
    assert_eq!(seen.items.len(), 1);
    assert_eq!(seen.items[0].id, item.id);
    // And back: the other removes it, the first sees it gone.
    other.remove_from_collection("Selects", item.id)?;
    assert!(one.collection("Selects")?.items.is_empty());
    Ok(())
}

#[test]
fn two_servers_adding_to_one_collection_at_once_lose_nothing_and_keep_one_order()
-> Result<(), TestError> {
    let (one, other, url) = two_servers()?;
    let records = library();
    let interview = records[2].asset.id.clone();
    const THREADS_PER_SERVER: usize = 3;
    const ADDS_PER_THREAD: usize = 60;
    // Each thread adds its own ranges of the 60 s interview, in increasing order.
    let ranges = |thread: usize| -> Vec<TimeRange> {
        (0..ADDS_PER_THREAD)
            .filter_map(|n| {
                let start = (n * THREADS_PER_SERVER * 2 + thread) as f64 * 0.1;
                TimeRange::new(start, start + 0.05).ok()
            })
            .collect()
    };
    let added: Vec<Vec<i64>> = thread::scope(|scope| {
        let mut workers = Vec::new();
        for (server, engine) in [&one, &other].into_iter().enumerate() {
            for thread in 0..THREADS_PER_SERVER {
                let lane = server * THREADS_PER_SERVER + thread;
                let interview = interview.clone();
                workers.push(scope.spawn(move || -> Result<Vec<i64>, String> {
                    let mut ids = Vec::new();
                    for range in ranges(lane) {
                        let item = engine
                            .add_to_collection("Selects", &interview, Some(range), "")
                            .map_err(|error| error.to_string())?;
                        ids.push(item.id);
                    }
                    Ok(ids)
                }));
            }
        }
        workers
            .into_iter()
            .map(|worker| worker.join().map_err(|_| "a thread panicked".to_string())?)
            .collect::<Result<Vec<_>, String>>()
    })?;
    let total = 2 * THREADS_PER_SERVER * ADDS_PER_THREAD;
    let all: HashSet<i64> = added.iter().flatten().copied().collect();
    assert_eq!(all.len(), total, "every add made an entry of its own");
    for reader in [&one, &other] {
        let collection = reader.collection("Selects")?;
        assert_eq!(collection.items.len(), total, "nothing lost");
        // Each thread's entries appear in the order it added them.
        let order: Vec<i64> = collection.items.iter().map(|item| item.id).collect();
        for ids in &added {
            let positions: Vec<usize> = ids
                .iter()
                .filter_map(|id| order.iter().position(|o| o == id))
                .collect();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
        }
    }
    // Positions are 1..=n, each once: one order, the same for every reader.
    let mut client = rushes_postgres::connect(&url)?;
    let row = client.query_one(
        "SELECT count(DISTINCT position), min(position), max(position) FROM collection_items",
        &[],
    )?;
    let (distinct, min, max): (i64, i32, i32) = (row.get(0), row.get(1), row.get(2));
    assert_eq!((distinct, min, max), (total as i64, 1, total as i32));
    assert_eq!(one.collection("Selects")?, other.collection("Selects")?);
    Ok(())
}

#[test]
fn a_reorder_and_adds_at_once_from_two_servers_keep_every_entry() -> Result<(), TestError> {
    let (one, other, _) = two_servers()?;
    let records = library();
    let interview = records[2].asset.id.clone();
    for n in 0..20 {
        let start = n as f64;
        one.add_to_collection(
            "Selects",
            &interview,
            TimeRange::new(start, start + 0.5).ok(),
            "",
        )?;
    }
    thread::scope(|scope| -> Result<(), TestError> {
        let reorders = scope.spawn(|| -> Result<(), String> {
            for _ in 0..20 {
                let current = one.collection("Selects").map_err(|e| e.to_string())?;
                let reversed: Vec<i64> = current.items.iter().rev().map(|item| item.id).collect();
                match one.reorder_collection("Selects", &reversed) {
                    // An add landed between the read and the reorder: the order no longer
                    // names every entry, and nothing is changed.
                    Ok(()) | Err(rushes_store::StoreError::Invalid(_)) => {}
                    Err(error) => return Err(error.to_string()),
                }
            }
            Ok(())
        });
        for n in 20..60 {
            let start = n as f64 * 0.9 + 0.25;
            other.add_to_collection(
                "Selects",
                &interview,
                TimeRange::new(start, start + 0.1).ok(),
                "",
            )?;
        }
        reorders
            .join()
            .map_err(|_| "the reordering thread panicked")??;
        Ok(())
    })?;
    let collection = other.collection("Selects")?;
    assert_eq!(collection.items.len(), 60);
    let ids: HashSet<i64> = collection.items.iter().map(|item| item.id).collect();
    assert_eq!(ids.len(), 60);
    Ok(())
}

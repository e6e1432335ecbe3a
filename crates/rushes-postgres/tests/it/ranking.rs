//! The documents' narrow copy a query of words alone ranks in (`moment_ranks`, schema step
//! 8): it follows every write of `moment_texts` — indexing, hand tags and notes, a moved or
//! removed asset — so such a query finds what a filtered one finds, ranked the same; and a
//! library made before the step gets the copy of every document it holds.

use rushes_postgres::schema::{SCHEMA_VERSION, migrate};
use rushes_postgres::{Client, PgLibrary};
use rushes_store::Library;
use rushes_store::TimeRange;
use rushes_store::query::parse;
use rushes_store::seams::{AssetWrites, TextIndex, TextOrder};
use rushes_testkit::TestError;
use rushes_testkit::postgres::shared_server;

use crate::corpus::library;

/// The schema step that made the ranking copy.
const RANKING_STEP: i32 = 8;

/// Moments whose ranking copy is missing, left over or differs from their text row.
fn stale_copies(client: &mut Client) -> Result<i64, TestError> {
    Ok(client
        .query_one(
            "SELECT count(*) FROM moment_texts t FULL JOIN moment_ranks r USING (moment_id)
             WHERE t.document IS DISTINCT FROM r.document",
            &[],
        )?
        .get(0))
}

/// (moment id, score) of `text` ranked by the library's text index, best first.
fn ranked(pg: &PgLibrary, text: &str) -> Result<Vec<(i64, f32)>, TestError> {
    let query = parse(text)?;
    let index = pg.engine().text();
    let Some(words) = index.build_query(&query.terms, &query.filters, true)? else {
        return Ok(Vec::new());
    };
    Ok(index.top_moments(&index.snapshot(), &words, 100, TextOrder::Score)?)
}

fn ids(ranked: &[(i64, f32)]) -> Vec<i64> {
    ranked.iter().map(|(id, _)| *id).collect()
}

#[test]
fn words_alone_rank_in_a_copy_that_follows_every_write() -> Result<(), TestError> {
    let url = shared_server()?.fresh_database()?;
    let pg = PgLibrary::open(&url)?;
    let records = library();
    pg.engine().put_assets(&records, None)?;
    let mut client = rushes_postgres::connect(&url)?;
    let moments: i64 = client
        .query_one("SELECT count(*) FROM moment_ranks", &[])?
        .get(0);
    let indexed: usize = records.iter().map(|record| record.moments.len()).sum();
    assert_eq!(
        moments as usize, indexed,
        "every indexed moment has its copy"
    );
    assert_eq!(stale_copies(&mut client)?, 0);

    // A query of words alone and the same words under a filter every moment passes rank
    // the same moments the same way (the one in the copy, the other in `moment_texts`).
    let alone = ranked(&pg, "crane")?;
    assert!(!alone.is_empty(), "the corpus has a crane");
    let filtered = ranked(&pg, "crane -kind:audio")?;
    assert_eq!(alone, filtered);

    // A hand tag reaches the copy at once; removing it takes it away again.
    let asset = records[0].asset.id.clone();
    let first_shot = TimeRange::new(0.0, 5.0).ok();
    assert!(ranked(&pg, "zebracorn")?.is_empty());
    pg.add_hand_tags(&asset, first_shot, &["zebracorn".to_string()])?;
    let tagged = ranked(&pg, "zebracorn")?;
    assert_eq!(tagged.len(), 1, "the tagged moment: {tagged:?}");
    assert_eq!(ids(&tagged), ids(&ranked(&pg, "zebracorn -kind:audio")?));
    pg.set_note(&asset, first_shot, "the gaffer dropped a zebracorn")?;
    assert_eq!(stale_copies(&mut client)?, 0);
    pg.remove_hand_tags(&asset, first_shot, &["zebracorn".to_string()])?;
    assert_eq!(
        ids(&ranked(&pg, "zebracorn")?),
        ids(&tagged),
        "the note still says it"
    );
    pg.set_note(&asset, first_shot, "")?;
    assert!(ranked(&pg, "zebracorn")?.is_empty());
    assert_eq!(stale_copies(&mut client)?, 0);

    // A removed asset's moments leave the copy with their text rows.
    let crane_before = ids(&alone);
    pg.engine().remove_asset(&asset)?;
    assert_eq!(stale_copies(&mut client)?, 0);
    let crane_after = ids(&ranked(&pg, "crane")?);
    assert_eq!(crane_after, ids(&ranked(&pg, "crane -kind:audio")?));
    assert!(crane_after.iter().all(|id| crane_before.contains(id)));
    Ok(())
}

#[test]
fn a_library_made_before_the_copy_gets_it_for_every_document() -> Result<(), TestError> {
    let url = shared_server()?.fresh_database()?;
    let pg = PgLibrary::open(&url)?;
    pg.engine().put_assets(&library(), None)?;
    let before = ranked(&pg, "crane")?;
    let mut client = rushes_postgres::connect(&url)?;
    // The database as step 7 left it: no copy, no trigger (the later steps run again).
    client.batch_execute(
        "DROP TABLE moment_ranks;
         DROP FUNCTION rushes_copy_ranking_document() CASCADE;",
    )?;
    client.execute(
        "DELETE FROM schema_version WHERE version >= $1",
        &[&RANKING_STEP],
    )?;
    assert_eq!(migrate(&mut client)?, SCHEMA_VERSION);
    assert_eq!(stale_copies(&mut client)?, 0);
    let copied: i64 = client
        .query_one("SELECT count(*) FROM moment_ranks", &[])?
        .get(0);
    let texts: i64 = client
        .query_one("SELECT count(*) FROM moment_texts", &[])?
        .get(0);
    assert_eq!(copied, texts);
    assert_eq!(ranked(&PgLibrary::open(&url)?, "crane")?, before);
    Ok(())
}

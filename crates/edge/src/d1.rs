//! D1 and the records queue: running the core's SQL statements.

use super::records::prepare;
use consent_edge::records::{self, Record, Statement};
use worker::{D1Result, Env, Result};

/// Writes one record: straight to D1, or through the queue when configured.
pub async fn store_record(env: &Env, record: Record, queue: bool) -> Result<()> {
    if queue {
        return env.queue("RECORDS")?.send(&record).await;
    }
    run_statements(env, records::insert(&[record]))
        .await
        .map(|_| ())
}

/// Runs `statements` in one batch (one round trip, one transaction).
pub async fn run_statements(env: &Env, statements: Vec<Statement>) -> Result<Vec<D1Result>> {
    let db = env.d1("DB")?;
    let mut prepared = Vec::with_capacity(statements.len());
    for s in statements {
        prepared.push(prepare(&db, &s)?);
    }
    db.batch(prepared).await
}

/// The rows of one query, as JSON objects.
pub async fn query_rows(env: &Env, s: &Statement) -> Result<Vec<serde_json::Value>> {
    let db = env.d1("DB")?;
    prepare(&db, s)?.all().await?.results::<serde_json::Value>()
}

/// Runs one statement; how many rows it changed.
pub async fn query_rows_run(env: &Env, s: &Statement) -> Result<u64> {
    let db = env.d1("DB")?;
    let res = prepare(&db, s)?.run().await?;
    Ok(res.meta()?.and_then(|m| m.changes).unwrap_or(0) as u64)
}

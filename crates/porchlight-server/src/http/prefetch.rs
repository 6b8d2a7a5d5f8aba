//! The next page of a long pull, made while the device applies the one before it. A device
//! pulls page after page and writes each into its workspace before asking for the next, so
//! without this the service would sit idle during every write and the device during every
//! page; with it, a first sync of thousands of cases takes about as long as the slower side.
//!
//! Only an optimisation: a prefetched page is exactly the page a pull would make at that moment
//! for that cursor (made by `sync::pull` in a transaction of its own, under the device's pull
//! lock like any pull), so serving it, or not, changes nothing. It is served only to the same
//! device asking with that very cursor and limit within `FRESH`. Any other request of the device
//! outdates what was being made: an outdated page is rolled back unless it committed before the
//! other request reached the database, and then the epoch rule of `sync::pull` undoes what it
//! recorded. Its audit entry is written when it is served, before it
//! is sent; a page never asked for is never audited as read. Another instance of the service
//! simply does not have it and makes the page itself.

use crate::db::Pool;
use crate::rules::Grant;
use crate::sync::pull::{self, Page, Puller};
use porchlight_sync::{Clock, Cursor};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use uuid::Uuid;

/// How long a prefetched page waits for its device.
pub const FRESH: Duration = Duration::from_secs(30);

/// A page made ahead, with its zstd form (for a device that accepts zstd, as the app does), and
/// the rules row it was made under: a page made before the user's role changed is not served
/// under the new one (the epoch rule of `sync::pull` then undoes what it recorded).
pub struct Ready {
    pub page: Page,
    /// The page compressed, in the column form when `columns`, else as `page.text`.
    pub zstd: Vec<u8>,
    pub columns: bool,
    pub grant: &'static Grant,
}

struct Slot {
    cursor: Cursor,
    limit: usize,
    made: Instant,
    page: watch::Receiver<Option<Arc<Ready>>>,
}

#[derive(Default)]
struct Devices {
    slots: HashMap<Uuid, Slot>,
    /// Bumped by every request of the device that does not take the page being made.
    generations: HashMap<Uuid, u64>,
}

#[derive(Default)]
pub struct Prefetch {
    devices: Mutex<Devices>,
}

/// What a prefetch needs to make the page as its device's next request would.
pub struct Ask {
    pub pool: Pool,
    pub grant: &'static Grant,
    pub user: Uuid,
    pub device: Uuid,
    pub address: Option<String>,
    pub clock: Arc<Clock>,
    pub level: i32,
    /// The device asked for pages in the column form (`porchlight_sync::columns`).
    pub columns: bool,
    pub cursor: Cursor,
    pub limit: usize,
}

impl Prefetch {
    fn lock(&self) -> std::sync::MutexGuard<'_, Devices> {
        self.devices
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Called by every pull of the device: returns the page made ahead for exactly this request
    /// once it is ready, or `None` (none, stale, for another cursor, or it failed). Any other
    /// request outdates what is being made.
    pub async fn take(&self, device: Uuid, cursor: Cursor, limit: usize) -> Option<Arc<Ready>> {
        let slot = {
            let mut d = self.lock();
            let slot = d
                .slots
                .remove(&device)
                .filter(|s| s.cursor == cursor && s.limit == limit && s.made.elapsed() <= FRESH);
            if slot.is_none() {
                *d.generations.entry(device).or_insert(0) += 1;
            }
            slot?
        };
        let mut page = slot.page;
        let ready = tokio::time::timeout(FRESH, page.wait_for(Option::is_some))
            .await
            .ok()?
            .ok()?;
        ready.clone()
    }

    fn generation(&self, device: Uuid) -> u64 {
        self.lock().generations.get(&device).copied().unwrap_or(0)
    }

    /// Starts making the page that follows `ask.cursor`.
    pub fn start(self: &Arc<Self>, ask: Ask) {
        let (send, receive) = watch::channel(None);
        let generation = {
            let mut d = self.lock();
            d.slots.retain(|_, s| s.made.elapsed() <= FRESH);
            d.slots.insert(
                ask.device,
                Slot {
                    cursor: ask.cursor,
                    limit: ask.limit,
                    made: Instant::now(),
                    page: receive,
                },
            );
            d.generations.get(&ask.device).copied().unwrap_or(0)
        };
        let me = Arc::clone(self);
        tokio::spawn(async move {
            match make(&me, ask, generation).await {
                Ok(Some(ready)) => {
                    // Nobody may wait any more (the slot was taken or replaced): then it is dropped.
                    let _ = send.send(Some(Arc::new(ready)));
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "a page could not be made ahead"),
            }
        });
    }
}

/// Makes the page; `None` when a newer request of the device came before it could commit.
async fn make(
    me: &Prefetch,
    ask: Ask,
    generation: u64,
) -> Result<Option<Ready>, Box<dyn std::error::Error + Send + Sync>> {
    let mut db = ask.pool.get().await?;
    let now = super::now();
    let puller = Puller {
        grant: ask.grant,
        user: ask.user,
        device: ask.device,
        address: ask.address,
        now,
        server_stamp: ask.clock.tick(now),
    };
    let tx = db.transaction().await?;
    let page = pull::pull(&tx, &puller, ask.cursor, ask.limit).await?;
    // The device's pull lock is held until the transaction ends: a newer request either came
    // before this check (and the page is rolled back) or reaches the database after the commit.
    if me.generation(ask.device) != generation {
        return Ok(None);
    }
    tx.commit().await?;
    let (level, columns) = (ask.level, ask.columns);
    let (page, zstd) = tokio::task::spawn_blocking(move || {
        // In one call, so that the frame says how large the page is and the device reads it
        // into memory of that size at once.
        let packed = if columns {
            porchlight_sync::columns::to_columns(&page.text)
                .map_err(|e| {
                    std::io::Error::other(format!("a page could not be laid out in columns: {e}"))
                })
                .and_then(|text| zstd::bulk::compress(text.as_bytes(), level))
        } else {
            zstd::bulk::compress(page.text.as_bytes(), level)
        };
        (page, packed)
    })
    .await?;
    Ok(Some(Ready {
        page,
        zstd: zstd?,
        columns,
        grant: ask.grant,
    }))
}

//! Read-only snapshots of the store for tasks other than the app.

use super::reducer::Store;
use std::sync::Arc;
use tokio::sync::watch;

/// A shared, immutable copy of the store at one revision.
pub type Snapshot = Arc<Store>;

/// A channel on which the app publishes a snapshot after each batch of events.
pub fn channel() -> (watch::Sender<Snapshot>, watch::Receiver<Snapshot>) {
    watch::channel(Arc::new(Store::new()))
}

/// Publish `store` unless receivers already have this revision.
pub fn publish(sender: &watch::Sender<Snapshot>, store: &Store) {
    sender.send_if_modified(|current| {
        if current.revision == store.revision {
            false
        } else {
            *current = Arc::new(store.clone());
            true
        }
    });
}

//! The LSM merge: the live tables' points in key order, the newest version of each key,
//! point deletions and range deletions applied by sequence number, virtual tables cut to their
//! bounds and ingested tables given their MANIFEST seqnum. Streams: one data block per table
//! in memory, whatever the payload's size.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::V3Error;
use super::lsm::{LiveTable, cmp_internal};
use super::sstable::{
    KIND_DEL, KIND_DEL_SIZED, KIND_MERGE, KIND_SET, KIND_SET_WITH_DEL, KIND_SINGLE_DEL, Point,
    RangeDel, Table,
};

/// Most range deletions held at once (baton-sdk writes a handful).
const MAX_RANGE_DELS: usize = 1 << 20;

/// A visible record: key and value.
pub type Record = (Vec<u8>, Vec<u8>);

/// What the merge saw.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct MergeStats {
    pub tables: usize,
    pub virtual_tables: usize,
    pub points: u64,
    pub hidden_by_bounds: u64,
    pub older_versions: u64,
    pub tombstones: u64,
    pub range_dels: usize,
    pub shadowed_by_range_dels: u64,
    pub visible: u64,
}

/// The seqnum of a point as the LSM sees it: an ingested table's points carry 0 on disk and
/// take the MANIFEST's seqnum (`table_metadata.go`: smallest == largest).
fn seq_of(meta: &LiveTable, on_disk: u64) -> u64 {
    if on_disk == 0 && meta.smallest_seq == meta.largest_seq {
        meta.smallest_seq
    } else {
        on_disk
    }
}

/// One table's points in order, cut to its bounds.
struct TableIter {
    table: Table,
    meta: LiveTable,
    block: usize,
    points: std::vec::IntoIter<Point>,
    done: bool,
}

impl TableIter {
    fn next(&mut self, stats: &mut MergeStats) -> Result<Option<Point>, V3Error> {
        loop {
            if self.done {
                return Ok(None);
            }
            if let Some(mut p) = self.points.next() {
                stats.points += 1;
                p.seq = seq_of(&self.meta, p.seq);
                if let Some((lo, hi)) = &self.meta.virtual_bounds {
                    let k = (p.key.as_slice(), p.seq << 8 | u64::from(p.kind));
                    if cmp_internal(k, (&lo.key, lo.trailer)) == Ordering::Less {
                        stats.hidden_by_bounds += 1;
                        continue;
                    }
                    if cmp_internal(k, (&hi.key, hi.trailer)) == Ordering::Greater {
                        stats.hidden_by_bounds += 1;
                        continue;
                    }
                }
                return Ok(Some(p));
            }
            if self.block >= self.table.blocks() {
                self.done = true;
                return Ok(None);
            }
            self.points = self.table.block_points(self.block)?.into_iter();
            self.block += 1;
        }
    }
}

/// A heap entry: the next point of table `src`. The heap's top is the smallest key, and among
/// equal keys the newest.
struct Head {
    p: Point,
    src: usize,
}

impl PartialEq for Head {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Head {
    fn cmp(&self, o: &Self) -> Ordering {
        o.p.key
            .cmp(&self.p.key)
            .then(self.p.seq.cmp(&o.p.seq))
            .then(o.src.cmp(&self.src))
    }
}

/// The merged, visible records.
pub struct Merge {
    iters: Vec<TableIter>,
    heap: BinaryHeap<Head>,
    dels: Vec<RangeDel>,
    next_del: usize,
    active: Vec<usize>,
    pub stats: MergeStats,
}

impl Merge {
    /// Opens the merge over `tables` (each with its MANIFEST entry).
    pub fn new(tables: Vec<(Table, LiveTable)>) -> Result<Merge, V3Error> {
        let mut stats = MergeStats {
            tables: tables.len(),
            ..MergeStats::default()
        };
        let mut dels = Vec::new();
        let mut iters = Vec::new();
        for (table, meta) in tables {
            if meta.virtual_bounds.is_some() {
                stats.virtual_tables += 1;
            }
            for mut d in table.range_dels()? {
                d.seq = seq_of(&meta, d.seq);
                // A virtual table's spans are cut to its user-key bounds.
                if let Some((lo, hi)) = &meta.virtual_bounds {
                    if d.start < lo.key {
                        d.start = lo.key.clone();
                    }
                    let mut end = hi.key.clone();
                    end.push(0);
                    if d.end > end {
                        d.end = end;
                    }
                    if d.start >= d.end {
                        continue;
                    }
                }
                dels.push(d);
                if dels.len() > MAX_RANGE_DELS {
                    return Err(V3Error::corrupt(
                        "more than a million range deletions".into(),
                    ));
                }
            }
            iters.push(TableIter {
                table,
                meta,
                block: 0,
                points: Vec::new().into_iter(),
                done: false,
            });
        }
        dels.sort_by(|a, b| a.start.cmp(&b.start));
        stats.range_dels = dels.len();
        let mut m = Merge {
            iters,
            heap: BinaryHeap::new(),
            dels,
            next_del: 0,
            active: Vec::new(),
            stats,
        };
        for src in 0..m.iters.len() {
            m.refill(src)?;
        }
        Ok(m)
    }

    fn refill(&mut self, src: usize) -> Result<(), V3Error> {
        if let Some(p) = self.iters[src].next(&mut self.stats)? {
            self.heap.push(Head { p, src });
        }
        Ok(())
    }

    /// True when a range deletion newer than `seq` covers `key` (keys arrive in order).
    fn deleted_by_range(&mut self, key: &[u8], seq: u64) -> bool {
        while self.next_del < self.dels.len() && self.dels[self.next_del].start.as_slice() <= key {
            self.active.push(self.next_del);
            self.next_del += 1;
        }
        let dels = &self.dels;
        self.active.retain(|&i| dels[i].end.as_slice() > key);
        self.active.iter().any(|&i| dels[i].seq > seq)
    }

    /// The next visible record.
    pub fn next_visible(&mut self) -> Result<Option<Record>, V3Error> {
        while let Some(Head { p, src }) = self.heap.pop() {
            self.refill(src)?;
            // Older versions of the same key are shadowed by this one.
            while self.heap.peek().is_some_and(|h| h.p.key == p.key) {
                let h = self.heap.pop().expect("peeked");
                self.stats.older_versions += 1;
                self.refill(h.src)?;
            }
            match p.kind {
                KIND_SET | KIND_SET_WITH_DEL => {
                    if self.deleted_by_range(&p.key, p.seq) {
                        self.stats.shadowed_by_range_dels += 1;
                        continue;
                    }
                    self.stats.visible += 1;
                    return Ok(Some((p.key, p.value)));
                }
                KIND_DEL | KIND_SINGLE_DEL | KIND_DEL_SIZED => self.stats.tombstones += 1,
                KIND_MERGE => {
                    return Err(V3Error::unsupported(
                        "a MERGE point (baton-sdk never writes one)".into(),
                    ));
                }
                k => {
                    return Err(V3Error::unsupported(format!(
                        "a point of internal key kind {k}"
                    )));
                }
            }
        }
        Ok(None)
    }
}

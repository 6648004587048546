//! A least-recently-used map that holds at most `cap` keys and grows with what it holds.
//!
//! `lru::LruCache::new(cap)` allocates room for all `cap` entries up front: the rule states'
//! maps (10,000 keys each) were 1.4 MiB of the 3.5 MiB heap of a 20-line run, and most of them
//! never see a key. This is the same cache unbounded underneath, with the cap applied on insert
//! exactly as the bounded one applies it (the least recently used entry makes room).

use std::borrow::Borrow;
use std::hash::Hash;

use lru::LruCache;

#[derive(Debug)]
pub struct Capped<K: Hash + Eq, V> {
    map: LruCache<K, V>,
    cap: usize,
}

impl<K: Hash + Eq, V> Capped<K, V> {
    /// An empty map for at most `cap` keys (at least one).
    pub fn new(cap: usize) -> Self {
        Capped {
            map: LruCache::unbounded(),
            cap: cap.max(1),
        }
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// True if `k` is held (its recency is left alone).
    pub fn contains<Q: Hash + Eq + ?Sized>(&self, k: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.map.contains(k)
    }

    /// The value of `k`, made the most recently used.
    pub fn get<Q: Hash + Eq + ?Sized>(&mut self, k: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.map.get(k)
    }

    /// The value of `k`, made the most recently used.
    pub fn get_mut<Q: Hash + Eq + ?Sized>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.map.get_mut(k)
    }

    /// The value of `k`, inserted from `f` if absent (evicting the least recently used entry
    /// when full); made the most recently used either way.
    pub fn get_or_insert_mut(&mut self, k: K, f: impl FnOnce() -> V) -> &mut V {
        let _ = self.make_room_for(&k);
        self.map.get_or_insert_mut(k, f)
    }

    /// Inserts `k`; returns the value it replaced, if any. A new key evicts the least recently
    /// used one when full (dropped, as `LruCache::put` does).
    pub fn put(&mut self, k: K, v: V) -> Option<V> {
        let _ = self.make_room_for(&k);
        self.map.put(k, v)
    }

    /// Inserts `k`; returns the entry it replaced (same key) or evicted (the least recently
    /// used, when full), as `LruCache::push` does.
    pub fn push(&mut self, k: K, v: V) -> Option<(K, V)> {
        let evicted = self.make_room_for(&k);
        let replaced = self.map.push(k, v);
        evicted.or(replaced)
    }

    pub fn pop<Q: Hash + Eq + ?Sized>(&mut self, k: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.map.pop(k)
    }

    pub fn pop_lru(&mut self) -> Option<(K, V)> {
        self.map.pop_lru()
    }

    /// Entries from the most to the least recently used.
    pub fn iter(&self) -> lru::Iter<'_, K, V> {
        self.map.iter()
    }

    /// Evicts and returns the least recently used entry when full and `k` is new (the length
    /// is looked at first: a map that is not full costs no second lookup).
    fn make_room_for(&mut self, k: &K) -> Option<(K, V)> {
        if self.map.len() >= self.cap && !self.map.contains(k) {
            self.map.pop_lru()
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroUsize;

    use super::*;

    /// The same operations on this map and on lru's bounded cache give the same answers and
    /// leave the same entries in the same order.
    #[test]
    fn behaves_as_the_bounded_lru() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for cap in [1usize, 2, 3, 7, 16] {
            let mut ours: Capped<u8, u32> = Capped::new(cap);
            let mut theirs: LruCache<u8, u32> = LruCache::new(NonZeroUsize::new(cap).unwrap());
            for step in 0..20_000u32 {
                let r = next();
                let k = (r >> 8) as u8 % 24;
                match r % 6 {
                    0 => assert_eq!(ours.put(k, step), theirs.put(k, step)),
                    1 => assert_eq!(ours.push(k, step), theirs.push(k, step)),
                    2 => assert_eq!(
                        *ours.get_or_insert_mut(k, || step),
                        *theirs.get_or_insert_mut(k, || step)
                    ),
                    3 => assert_eq!(ours.get_mut(&k), theirs.get_mut(&k)),
                    4 if step % 2 == 0 => assert_eq!(ours.get(&k), theirs.get(&k)),
                    4 => assert_eq!(ours.pop(&k), theirs.pop(&k)),
                    _ => assert_eq!(ours.contains(&k), theirs.contains(&k)),
                }
                assert!(ours.len() <= cap);
                let a: Vec<_> = ours.iter().collect();
                let b: Vec<_> = theirs.iter().collect();
                assert_eq!(a, b, "cap {cap}, step {step}");
            }
        }
    }

    #[test]
    fn an_empty_map_holds_no_room_for_its_cap() {
        let big: Capped<u128, [u8; 64]> = Capped::new(1_000_000);
        assert_eq!(big.map.cap().get(), usize::MAX, "unbounded underneath");
        assert!(big.is_empty());
    }
}

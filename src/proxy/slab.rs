//! A generational slab: values addressed by a `u32` handle that a foreign
//! caller (the JavaScript body pump) holds. A stale handle — its slot freed
//! and reused since — finds nothing instead of another response's value.

/// Slot `i` holds the value of handle `i | generation << 16`: at most
/// 65 536 live values, and a reused slot gets a new generation.
#[derive(Debug)]
pub struct Slab<T> {
    slots: Vec<(u16, Option<T>)>,
    vacant: Vec<u16>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            vacant: Vec::new(),
        }
    }
}

impl<T> Slab<T> {
    /// Stores `value`; its handle, or `None` when 65 536 values are live.
    pub fn insert(&mut self, value: T) -> Option<u32> {
        let i = match self.vacant.pop() {
            Some(i) => i,
            None => {
                let i = u16::try_from(self.slots.len()).ok()?;
                self.slots.push((0, None));
                i
            }
        };
        let slot = &mut self.slots[usize::from(i)];
        slot.0 = slot.0.wrapping_add(1);
        slot.1 = Some(value);
        Some(u32::from(i) | u32::from(slot.0) << 16)
    }

    /// The live value of `handle`.
    pub fn get(&mut self, handle: u32) -> Option<&mut T> {
        let (gen, v) = self.slots.get_mut((handle & 0xffff) as usize)?;
        if u32::from(*gen) != handle >> 16 {
            return None;
        }
        v.as_mut()
    }

    /// Takes the value of `handle` out; its slot is free for reuse.
    pub fn remove(&mut self, handle: u32) -> Option<T> {
        let i = handle & 0xffff;
        let (gen, v) = self.slots.get_mut(i as usize)?;
        if u32::from(*gen) != handle >> 16 {
            return None;
        }
        let v = v.take()?;
        self.vacant.push(i as u16);
        Some(v)
    }

    /// How many values are live.
    pub fn len(&self) -> usize {
        self.slots.len() - self.vacant.len()
    }

    /// Whether no value is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn insert_get_remove() {
        let mut s = Slab::default();
        let a = s.insert("a").unwrap();
        let b = s.insert("b").unwrap();
        assert_ne!(a, b);
        assert_eq!(s.get(a).copied(), Some("a"));
        assert_eq!(s.len(), 2);
        assert_eq!(s.remove(a), Some("a"));
        assert_eq!(s.remove(a), None, "released once");
        assert_eq!(s.get(a), None);
        assert_eq!(s.get(b).copied(), Some("b"));
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn a_stale_handle_does_not_reach_the_slots_next_value() {
        let mut s = Slab::default();
        let old = s.insert(1).unwrap();
        s.remove(old);
        let new = s.insert(2).unwrap();
        assert_eq!(old & 0xffff, new & 0xffff, "the slot is reused");
        assert_ne!(old, new);
        assert_eq!(s.get(old), None);
        assert_eq!(s.remove(old), None);
        assert_eq!(s.get(new).copied(), Some(2));
    }

    #[test]
    fn unknown_handles_find_nothing() {
        let mut s: Slab<u8> = Slab::default();
        assert_eq!(s.get(0), None);
        assert_eq!(s.remove(u32::MAX), None);
        assert!(s.is_empty());
    }

    #[test]
    fn at_most_65536_live_values() {
        let mut s = Slab::default();
        for i in 0..65_536u32 {
            assert!(s.insert(i).is_some(), "{i}");
        }
        assert_eq!(s.insert(0), None, "full");
        s.remove(7 | 1 << 16);
        assert!(s.insert(0).is_some(), "a freed slot is usable again");
    }

    proptest! {
        /// Against a model: every live handle finds its value, every released one nothing.
        #[test]
        fn behaves_like_a_map(ops in proptest::collection::vec((any::<bool>(), any::<u8>()), 1..200)) {
            let mut s = Slab::default();
            let mut live: Vec<(u32, u32)> = Vec::new();
            let mut dead: Vec<u32> = Vec::new();
            for (n, (add, pick)) in ops.into_iter().enumerate() {
                let n = n as u32;
                if add || live.is_empty() {
                    let h = s.insert(n).unwrap();
                    live.push((h, n));
                } else {
                    let (h, v) = live.remove(usize::from(pick) % live.len());
                    prop_assert_eq!(s.remove(h), Some(v));
                    dead.push(h);
                }
                for (h, v) in &live {
                    prop_assert_eq!(s.get(*h).copied(), Some(*v));
                }
                for h in &dead {
                    prop_assert!(s.get(*h).is_none_or(|v| live.iter().any(|(lh, lv)| lh == h && lv == v)));
                }
                prop_assert_eq!(s.len(), live.len());
            }
        }
    }
}

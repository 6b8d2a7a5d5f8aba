//! The small seeded random number generator behind every generated value. It is SplitMix64:
//! fast, dependency-free and stable across platforms and releases, so a seed gives the same
//! cases everywhere. It is not for anything that needs to be unpredictable.

/// A SplitMix64 stream.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// An independent stream for one item of a run, so any case can be generated on its own
    /// without generating the ones before it.
    pub fn for_item(seed: u64, index: u64, purpose: u64) -> Self {
        let mut mix = Rng::new(seed ^ 0x5EED_CA5E_0000_0000);
        let a = mix.next_u64();
        let mut mix = Rng::new(a ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let b = mix.next_u64();
        Rng::new(b ^ purpose.wrapping_mul(0xD1B5_4A32_D192_ED03))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`; `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        // Multiply-shift keeps the bias negligible for the small ranges used here.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// Picks by weight; the weights need not sum to anything in particular.
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut roll = self.below(u64::from(total)) as u32;
        for (item, w) in items {
            if roll < *w {
                return item;
            }
            roll -= w;
        }
        &items[items.len() - 1].0
    }

    /// A digit string of the given length.
    pub fn digits(&mut self, len: usize) -> String {
        (0..len).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_stream_and_items_differ() {
        let a: Vec<u64> = (0..5).map({ let mut r = Rng::new(7); move |_| r.next_u64() }).collect();
        let b: Vec<u64> = (0..5).map({ let mut r = Rng::new(7); move |_| r.next_u64() }).collect();
        assert_eq!(a, b);
        assert_ne!(Rng::for_item(1, 0, 0).next_u64(), Rng::for_item(1, 1, 0).next_u64());
        assert_ne!(Rng::for_item(1, 0, 0).next_u64(), Rng::for_item(1, 0, 1).next_u64());
        assert_ne!(Rng::for_item(1, 0, 0).next_u64(), Rng::for_item(2, 0, 0).next_u64());
    }

    #[test]
    fn ranges_stay_in_bounds_and_cover_them() {
        let mut r = Rng::new(42);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let v = r.range(3, 9);
            assert!((3..=9).contains(&v));
            seen[(v - 3) as usize] = true;
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert!(seen.iter().all(|s| *s));
    }
}

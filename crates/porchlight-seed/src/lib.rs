//! Synthetic, reproducible case data and generated photos for tests, demos and benchmarks.

//! Seed optimisations switched off one at a time for the benchmark's ablation table
//! (`benchmarks/README.md`). Compiled only with the cargo feature `ablation`, which
//! `nox -s bench` builds with; a production build has none of this and reads no environment.
//!
//! `BOLT_ABLATE` is a comma list of `zero_copy`, `lazy_parts`, `pin_thread` (bolt-api reads
//! the others), read once when the server starts.

/// Which optimisations are off.
#[derive(Clone, Copy, Default)]
pub struct Ablation {
    /// Copy response bodies out of Python instead of sending them from the `bytes` object.
    pub zero_copy: bool,
    /// Copy every request part into the request object, whatever the route reads.
    pub lazy_parts: bool,
    /// Create and destroy a Python thread state per request instead of one per worker.
    pub pin_thread: bool,
}

impl Ablation {
    /// The switches `BOLT_ABLATE` names.
    pub fn from_env() -> Self {
        Self::parse(&std::env::var("BOLT_ABLATE").unwrap_or_default())
    }

    /// The switches a comma list names (unknown names are bolt-api's or nobody's).
    fn parse(raw: &str) -> Self {
        let has = |name: &str| raw.split(',').any(|n| n.trim() == name);
        Self {
            zero_copy: has("zero_copy"),
            lazy_parts: has("lazy_parts"),
            pin_thread: has("pin_thread"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Ablation;

    #[test]
    fn names_in_a_comma_list_switch_their_optimisation_off() {
        let off = Ablation::parse("zero_copy, pin_thread,compile_fast_path");
        assert!(off.zero_copy && off.pin_thread && !off.lazy_parts);
        let none = Ablation::parse("");
        assert!(!none.zero_copy && !none.pin_thread && !none.lazy_parts);
    }
}

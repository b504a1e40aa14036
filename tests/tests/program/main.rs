//! Smart Treasury in a real agave runtime: one module per instruction or rule.

mod top_up;

//! Harness for running Smart Treasury inside a real agave runtime (solana-program-test)
//! with the real SPL Token and Token-2022 programs.

pub mod config_checks;
pub use config_checks::*;
pub mod cluster;
pub mod errors;
pub mod events;
pub mod fixture;
pub mod fuzz;
pub mod governance;
pub mod ix;
pub mod runtime;
pub mod tcp_proxy;
pub mod temp_dir;
pub mod tokens;

pub use cluster::start_cluster;
pub use errors::*;
pub use events::*;
pub use fixture::*;
pub use runtime::*;
pub use tcp_proxy::TcpProxy;
pub use temp_dir::TempDir;
pub use tokens::*;
pub mod movement;
pub use movement::*;

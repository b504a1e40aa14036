//! The whole integration suite in one test binary (each binary links the runtime, so
//! one keeps builds fast): the program in a real agave runtime, and the local cluster
//! driven over HTTP and WebSocket by standard clients.

mod api;
mod cli;
mod cluster;
mod keeper;
mod program;
mod scripts;

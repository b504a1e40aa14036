//! The whole integration suite in one test binary (each binary links the runtime, so
//! one keeps builds fast): the program in a real agave runtime.

mod program;

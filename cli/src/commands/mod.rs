//! One module per subcommand, each a function that `main` calls with the model, the workers
//! and the options every command shares (set up once in `main`).

pub mod classify;
pub mod enrol;
pub mod evaluate;
pub mod info;

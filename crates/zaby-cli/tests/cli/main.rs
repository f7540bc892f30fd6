//! `zaby` end to end: each test starts `zaby dev` (a live ci-profile zaby-server beside
//! the `zaby` binary) in a fresh folder and drives it only through the command line, as a
//! user would; the chat test types into a pseudo-terminal.

mod chat;
mod client_tools;
mod dev;
mod errors;
mod lifecycle;
mod webhooks;

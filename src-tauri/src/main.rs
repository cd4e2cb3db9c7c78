//! Starts Satchel's desktop app ([`satchel_app::run`]).
// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    satchel_app::run();
}

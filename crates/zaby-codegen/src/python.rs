//! Generated Python methods and stubs.

use crate::Generated;

pub fn generate() -> Vec<Generated> {
    Vec::new()
}

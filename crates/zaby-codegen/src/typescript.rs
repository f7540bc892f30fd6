//! Generated TypeScript clients and declarations.

use crate::Generated;

pub fn generate() -> Vec<Generated> {
    Vec::new()
}

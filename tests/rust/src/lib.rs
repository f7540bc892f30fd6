//! zaby-e2e: the end-to-end suite lives in `tests/e2e` (see README.md).

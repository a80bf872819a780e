//! Integration tests of the collector through the facade.

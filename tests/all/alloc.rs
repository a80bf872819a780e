//! Integration tests of the allocator through the facade.

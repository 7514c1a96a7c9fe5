//! The embedded SQLite store of vigil: schema migrations, transactional imports and look-ups.

//! The Porchlight desktop shell.

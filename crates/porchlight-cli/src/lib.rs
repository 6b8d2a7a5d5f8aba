//! The porchlight command line over the workspace use cases.

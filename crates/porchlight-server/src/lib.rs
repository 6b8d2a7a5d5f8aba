//! The central service: accounts, roles, devices, case access and the audit trail, on PostgreSQL.

//! Theme loading: embedded themes plus the user's theme folder, file structs resolved to roles.
